"""What a reader can work out from the sums a report publishes, and hiding more until the
hidden figures that matter stay uncertain enough: pure functions over a flat vector of cells
(cells of one or several tables) and linear relations between them.

A relation is ``{cell: coefficient}`` with Σ coefficient × value = a constant the report
publishes (a total; 0 for a row that is the sum of others). A reader moves the shown cells to
the constant's side; the hidden cells are then the unknowns of a linear system.

* :func:`determined` — which hidden cells the system pins exactly;
* :func:`close_gaps` — hide more until no protected cell (a small number, a dominated cost;
  not a complement) is pinned exactly. Line-by-line secondary suppression
  (:func:`carecase.report.suppression.secondary_lines`) leaves each line with no hidden cell
  or two or more, but lines together can still give one back: an area of need's £ less an
  agency's (GP appointments = physical health − the acute trust, its two services hidden);
* :func:`protection_level` and :func:`protect_magnitudes` — a cost one or two people
  dominate must also not be bounded too closely: the largest upper bound a reader can put on
  it (a linear programme: the relations, every hidden value ≥ 0) must exceed it by its upper
  protection level, else the second-costliest person, subtracting their own cost, still
  estimates the costliest within p% (Hundepool et al. 2012, Handbook on Statistical
  Disclosure Control, §4.2: protection levels for secondary suppression);
* :func:`giving_back` and :func:`capacity_cut` — what any suppression that protects a cell
  must hide, for :mod:`carecase.report.complements`, which chooses complements jointly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from scipy.optimize import linprog

from carecase.report.config import DominanceConfig
from carecase.report.suppression import pick_complement

Relations = Sequence[Mapping[int, float]]
TOL = 1e-9


def _matrix(relations: Relations, cells: np.ndarray) -> np.ndarray:
    """The relations' coefficients over ``cells`` (relations × cells)."""
    return np.array([[float(r.get(int(c), 0.0)) for c in cells] for r in relations], dtype=float).reshape(
        len(relations), len(cells))


def determined(hidden: np.ndarray, relations: Relations) -> np.ndarray:
    """Which hidden cells a reader can work out exactly: a hidden cell is determined when it is
    a linear combination of the relations over the hidden cells alone (its component is 0 in
    every vector of their null space)."""
    h = np.flatnonzero(np.asarray(hidden, dtype=bool))
    out = np.zeros(len(hidden), dtype=bool)
    if not len(h) or not relations:
        return out
    a = _matrix(relations, h)
    a = a[np.abs(a).sum(axis=1) > 0]
    if not len(a):
        return out
    _, sv, vt = np.linalg.svd(a)
    rank = int((sv > TOL * max(1.0, float(sv.max(initial=0.0)))).sum())
    null = vt[rank:].T  # hidden cells × null-space dimensions
    free = np.abs(null).max(axis=1, initial=0.0) > TOL if null.size else np.zeros(len(h), dtype=bool)
    out[h[~free]] = True
    return out


def _combination(hidden: np.ndarray, relations: Relations, j: int) -> np.ndarray:
    """The least-norm coefficients y (one per relation) with Σ y_r × relation r over the
    hidden cells = hidden cell ``j``: the combination a reader uses to give it back."""
    h = np.flatnonzero(hidden)
    a = _matrix(relations, h)
    target = (h == j).astype(float)
    y, *_ = np.linalg.lstsq(a.T, target, rcond=None)
    return np.asarray(y, dtype=float)


def _relations_giving(hidden: np.ndarray, relations: Relations, j: int) -> list[int]:
    """The relations a combination that gives hidden cell ``j`` back uses."""
    return [i for i, v in enumerate(_combination(hidden, relations, j).tolist()) if abs(v) > 1e-7]


def giving_back(hidden: np.ndarray, relations: Relations, j: int) -> np.ndarray:
    """For a :func:`determined` hidden cell ``j``: the shown cells a reader's combination of
    relations reads to give it back (True where the combination's coefficient is not 0; the
    cell itself and the other hidden cells have none). Hiding one of them breaks that
    combination, and nothing short of that does: every suppression that keeps them all shown
    gives ``j`` back the same way."""
    hid = np.asarray(hidden, dtype=bool)
    combined = _combination(hid, relations, j) @ _matrix(relations, np.arange(hid.size))
    out = np.abs(combined) > 1e-7 * max(1.0, float(np.abs(combined).max(initial=0.0)))
    out[j] = False
    return out & ~hid


def close_gaps(values: np.ndarray, mask: np.ndarray, relations: Relations,
               protect: np.ndarray, keep: np.ndarray | None = None) -> np.ndarray:
    """Extend ``mask`` until no cell of ``protect`` is :func:`determined` by ``relations``.

    For the first determined cell, a visible cell of a relation that its combination uses is
    hidden (chosen as secondary suppression chooses a complement: smallest non-zero first,
    ``keep`` last), and the check runs again. The combination may run through relations that
    do not hold the cell (the mental-health trust = the total spend − the acute trust, and the
    acute trust = physical health, shown). A cell whose combination uses only relations with
    nothing left to hide is left as it is: their published constants alone give it back."""
    v = np.asarray(values, dtype=float).ravel()
    hidden = np.asarray(mask, dtype=bool).ravel().copy()
    kept = np.zeros(v.size, dtype=bool) if keep is None else np.asarray(keep, dtype=bool).ravel()
    guard = np.asarray(protect, dtype=bool).ravel()
    stuck: set[int] = set()
    while True:
        found = [int(j) for j in np.flatnonzero(determined(hidden, relations) & guard) if int(j) not in stuck]
        if not found:
            return hidden
        j = found[0]
        used = _relations_giving(hidden, relations, j)
        cand = sorted({int(c) for i in used for c, coef in relations[i].items() if coef != 0 and not hidden[int(c)]})
        k = pick_complement(v[cand], hidden[cand], kept[cand]) if cand else None
        if k is None:
            stuck.add(j)
        else:
            hidden[cand[k]] = True


def protection_level(total: np.ndarray, largest: np.ndarray, second: np.ndarray,
                     rule: DominanceConfig) -> np.ndarray:
    """How far above its value a reader's upper bound on a dominated cost must lie (0 where
    the cost is not dominated). p% rule: (p/100)·x₁ − (X − x₁ − x₂), the amount by which the
    second-largest person's estimate of the largest (X − x₂) falls short of x₁ + p%; (n,k):
    (x₁ [+ x₂])·100/k − X, the total at which the rule would pass."""
    x = np.nan_to_num(np.asarray(total, dtype=float))
    x1 = np.nan_to_num(np.asarray(largest, dtype=float))
    x2 = np.nan_to_num(np.asarray(second, dtype=float))
    if rule.rule == "p_percent":
        level = rule.p / 100 * x1 - (x - x1 - x2)
    elif rule.rule == "nk":
        level = (x1 + (x2 if rule.n == 2 else 0.0)) * 100 / rule.k - x
    else:
        level = np.zeros(x.shape)
    return np.where(x > 0, np.maximum(level, 0.0), 0.0)


def _solve_bound(values: np.ndarray, hidden: np.ndarray, relations: Relations, j: int) -> tuple[float, np.ndarray | None]:
    """(:func:`upper_bound` of cell ``j``, the dual values u of the relations: the bound is
    Σ_r u_r × relation r's constant less its shown cells; None when unbounded or not solved)."""
    h = np.flatnonzero(np.asarray(hidden, dtype=bool))
    v = np.nan_to_num(np.asarray(values, dtype=float))
    a = _matrix(relations, h)
    rows = np.flatnonzero(np.abs(a).sum(axis=1) > 0)
    if not len(rows):
        return float("inf"), None
    a = a[rows]
    c = -(h == j).astype(float)
    res = linprog(c, A_eq=a, b_eq=a @ v[h], bounds=(0, None), method="highs")
    if res.status == 3:  # unbounded: no relation caps it
        return float("inf"), None
    if res.status != 0:  # not solved: taken as pinned at its value, so more is hidden
        return float(v[j]), None
    u = np.zeros(len(relations))
    u[rows] = -np.asarray(res.eqlin.marginals, dtype=float)  # the marginals are of min −x_j
    return float(-res.fun), u


def _bound(values: np.ndarray, hidden: np.ndarray, relations: Relations, j: int) -> tuple[float, list[int]]:
    """(:func:`upper_bound` of cell ``j``, the relations that bind it: non-zero dual values of
    the linear programme; every relation with a hidden cell when it was not solved)."""
    bound, u = _solve_bound(values, hidden, relations, j)
    if u is None:
        if bound == float("inf"):
            return bound, []
        a = _matrix(relations, np.flatnonzero(np.asarray(hidden, dtype=bool)))
        return bound, [int(r) for r in np.flatnonzero(np.abs(a).sum(axis=1) > 0)]
    return bound, [int(r) for r in np.flatnonzero(np.abs(u) > 1e-9)]


def upper_bound(values: np.ndarray, hidden: np.ndarray, relations: Relations, j: int) -> float:
    """The largest value hidden cell ``j`` can take given the relations (their constants from
    ``values``) with every hidden value ≥ 0: what a reader can bound it by. Infinite when no
    relation bounds it."""
    return _bound(values, hidden, relations, j)[0]


def capacity_cut(values: np.ndarray, hidden: np.ndarray, relations: Relations, j: int,
                 level: float) -> np.ndarray | None:
    """Where hidden cell ``j``'s :func:`upper_bound` falls short of its value plus ``level``:
    a weight ≥ 0 per cell such that every suppression that lifts the bound that far hides
    cells whose weights add up to ``level`` or more (a capacity constraint of the attacker
    problem, Fischetti and Salazar-González 2001, as in Hundepool et al. 2012, §4.4).

    From the linear programme's dual values u, each cell's reduced cost r = Σ u × relation −
    (1 on ``j``): while every hidden cell has r ≥ 0, u still bounds ``j`` by its value +
    Σ r × value over the hidden cells. So a suppression must hide a cell with r < 0 (it frees
    u's bound: weight ``level``) or hidden cells whose r × value add up to ``level`` (each
    weighs min(r × value, ``level``)); the suppression at hand weighs less than ``level``.
    None when the bound is far enough already, infinite, or the programme was not solved."""
    v = np.abs(np.nan_to_num(np.asarray(values, dtype=float).ravel()))
    hid = np.asarray(hidden, dtype=bool).ravel()
    bound, u = _solve_bound(v, hid, relations, j)
    if u is None or bound >= v[j] + level - 1e-6 * max(1.0, v[j]):
        return None
    r = u @ _matrix(relations, np.arange(v.size))
    r[j] -= 1.0
    frees = (r < -1e-9) & ~hid  # the hidden ones are ≥ 0 at the optimum (rounding aside)
    return np.where(frees, level, np.minimum(np.clip(r, 0.0, None) * v, level))


def protect_magnitudes(values: np.ndarray, mask: np.ndarray, relations: Relations,
                       required: np.ndarray, keep: np.ndarray | None = None) -> np.ndarray:
    """Extend ``mask`` until every hidden cell with a ``required`` upper protection (> 0) has
    an :func:`upper_bound` at least its value plus that much. For a cell short of it, the
    visible cells of the relations that bind the bound are candidates: the smallest whose
    value covers the shortfall is hidden (else the largest), ``keep`` last, and the bound is
    worked out again. A cell whose binding relations have nothing left to hide stays as it is."""
    v = np.nan_to_num(np.asarray(values, dtype=float).ravel())
    hidden = np.asarray(mask, dtype=bool).ravel().copy()
    kept = np.zeros(v.size, dtype=bool) if keep is None else np.asarray(keep, dtype=bool).ravel()
    need = np.asarray(required, dtype=float).ravel()
    for j in [int(x) for x in np.flatnonzero(hidden & (need > 0))]:
        while True:
            bound, binding = _bound(v, hidden, relations, j)
            short = v[j] + need[j] - bound
            if short <= 1e-6 * max(1.0, v[j]):
                break
            cand = sorted({int(c) for i in binding for c, coef in relations[i].items()
                           if coef != 0 and not hidden[int(c)]})
            if not cand:
                break
            enough = [c for c in cand if v[c] >= short]
            order = sorted(enough, key=lambda c: (kept[c], v[c], c)) or sorted(cand, key=lambda c: (kept[c], -v[c], c))
            hidden[order[0]] = True
    return hidden
