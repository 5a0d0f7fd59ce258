"""Complementary suppressions chosen jointly: the cell-suppression problem as a small
mixed-integer programme (Hundepool et al. 2012, Handbook on Statistical Disclosure Control,
§4.3–4.4), solved by HiGHS through ``scipy.optimize.milp``.

Line-by-line secondary suppression (:func:`carecase.report.suppression.secondary_lines`)
picks one complement at a time, line after line: a complement chosen for one line opens
another, and the passes can end hiding far more than a joint choice would (one dominated GP
row in the audit's cost tables hid every service). Here every complement is chosen at once:

* a binary ``hidden`` per unit of cells hidden together (a table row: its people and its
  events), fixed at 1 for the units hidden for what they are (``mask``); a unit with no value
  (all its cells missing) is never a complement;
* for every line (cells that add up, or whose sum is published) and every cell of it: the
  cell hidden ⇒ another cell of the line hidden (no line holds exactly one hidden cell);
* the published relations (:mod:`carecase.report.relations`) checked on each solution, and
  a cut added for each shortfall, then solved again, until none is left: a protected cell
  :func:`~carecase.report.relations.determined` adds "hide one of the shown cells the
  reader's combination reads" (:func:`~carecase.report.relations.giving_back`), and a
  dominated cost whose upper bound is within its protection level adds the capacity
  constraint of the attacker problem (:func:`~carecase.report.relations.capacity_cut`);
  both are met by every suppression that protects the cell, so no good one is cut off;
* objective: the fewest units hidden — a hidden row costs the reader its people, events, £
  and activity whatever its size —, ties to the smallest units (by their first count: a
  row's people; the line-by-line rule's preference, the least information lost), then to
  the earliest. The weights are integers, each unit a distinct one; two sets of units can
  still weigh the same (ranks 0 + 3 and 1 + 2), and HiGHS, proving the optimum to a gap of 0
  with no time limit, breaks such a tie the same way on every run of one install.

The caller keeps its own exact checks after it (they find nothing more when every cut was
met). None is returned when HiGHS gives no solution, so that the caller goes on line by
line as before.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from carecase.report.relations import Relations, capacity_cut, determined, giving_back

#: solves with the cuts found so far; a report's tables need a handful
ROUNDS = 50


def units_of(n: int, together: Sequence[Sequence[int]]) -> np.ndarray:
    """Each of ``n`` cells' unit: the cells of one group of ``together`` (or of groups that
    share a cell) share one; units are numbered from 0 in the order of their first cell."""
    parent = list(range(n))

    def root(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for group in together:
        cells = [int(c) for c in group]
        for c in cells[1:]:
            a, b = root(cells[0]), root(c)
            parent[max(a, b)] = min(a, b)
    roots = [root(c) for c in range(n)]
    number = {r: k for k, r in enumerate(dict.fromkeys(roots))}
    return np.array([number[r] for r in roots], dtype=int)


def _weights(values: np.ndarray, unit: np.ndarray, m: int) -> np.ndarray:
    """Integer objective weights: m² per unit (so the count of units comes first) plus the
    unit's rank by (a zero first count last, its first count, its number)."""
    first = np.full(m, np.nan)
    present = np.flatnonzero(~np.isnan(values))
    units, at = np.unique(unit[present], return_index=True)  # the first present cell of each
    first[units] = np.abs(values[present[at]])
    size = np.nan_to_num(first, nan=np.inf)
    rank = np.empty(m, dtype=float)
    rank[np.lexsort((np.arange(m), size, size == 0))] = np.arange(m)
    return float(m) * m + rank


def _line_rows(lines: Sequence[Sequence[int]], unit: np.ndarray, can_hide: np.ndarray) -> list[np.ndarray]:
    """One row ≥ 0 per cell of each line: (the line's other hidden cells) − (the cell hidden).
    A cell with nothing else in its line that can be hidden gets none (it is left, as the
    line-by-line rule leaves it)."""
    m = len(can_hide)
    out = []
    for line in lines:
        count = np.bincount(unit[np.asarray(line, dtype=int)], minlength=m) * can_hide
        for u in np.flatnonzero(count == 1).tolist():
            row = count.astype(float)
            row[u] = -1.0
            if (row > 0).any():
                out.append(row)
    return out


def _union_rows(lines: Sequence[Sequence[int]], unit: np.ndarray, can_hide: np.ndarray, values: np.ndarray,
                people: np.ndarray, threshold: int) -> list[np.ndarray]:
    """One row ≥ 0 per people cell of 0 to ``threshold`` in a line of people cells: (the
    line's units on more than ``threshold`` people, hidden) − (that cell's unit, hidden). A
    line publishes its hidden cells' sum, and with it their £ together, which rests on their
    people together: only each row's own count is known, not how many they share, so a hidden
    line holds a row on more than ``threshold`` (a row of 0 people protects nothing)."""
    m = len(can_hide)
    out = []
    for line in lines:
        cells = [int(c) for c in line if people[int(c)] and not np.isnan(values[int(c)])]
        big = [c for c in cells if abs(values[c]) > threshold]
        small = {int(unit[c]) for c in cells if abs(values[c]) <= threshold}
        if not small:
            continue
        row_big = np.zeros(m)
        row_big[np.unique(unit[big]).astype(int)] = 1.0
        row_big *= can_hide
        if not row_big.any():  # a line of few people only: nothing in it can protect the rest
            continue
        for u in sorted(small):
            if row_big[u]:
                continue
            row = row_big.copy()
            row[u] = -1.0
            out.append(row)
    return out


def _cuts(hidden: np.ndarray, unit: np.ndarray, can_hide: np.ndarray, relations: Relations,
          protect: np.ndarray, money: np.ndarray, required: np.ndarray) -> Iterator[np.ndarray]:
    """The cuts (rows ≥ 1 over the units) this suppression falls short of."""
    m = len(can_hide)
    for j in np.flatnonzero(hidden & protect & determined(hidden, relations)).tolist():
        row = np.zeros(m)
        row[unit[giving_back(hidden, relations, j)]] = 1.0
        if (row * can_hide).any():  # else the published constants alone give it back
            yield row * can_hide
    for j in np.flatnonzero(hidden & (required > 0)).tolist():
        weight = capacity_cut(money, hidden, relations, j, float(required[j]))
        if weight is None:
            continue
        row = np.minimum(np.bincount(unit, weights=weight, minlength=m) / required[j], 1.0) * can_hide
        if row.sum() >= 1.0 - 1e-9:  # else no suppression meets it: left to the caller's checks
            yield row


def _solve(weight: np.ndarray, fixed: np.ndarray, can_hide: np.ndarray, rows: list[np.ndarray],
           least: list[float]) -> np.ndarray | None:
    """The optimal units to hide (every row · hidden ≥ its ``least``), or None when HiGHS
    proves there are none. Two choices of equal weight (the same number of rows hidden and the
    same sum of ranks) are told apart by HiGHS, which is deterministic for one install (scipy,
    which bundles it, is pinned in requirements/constraints.txt)."""
    constraints = [LinearConstraint(np.vstack(rows), np.asarray(least), np.inf)] if rows else []
    res = milp(weight, integrality=np.ones(len(weight)), bounds=Bounds(fixed.astype(float), can_hide.astype(float)),
               # no time limit: a report's tables are a few dozen rows, solved in milliseconds, and
               # a limit would make what is hidden depend on how busy the machine was
               constraints=constraints, options={"mip_rel_gap": 0.0})
    if res.status != 0 or res.x is None:
        return None
    return np.asarray(res.x) > 0.5


def joint_complements(values: np.ndarray, mask: np.ndarray, lines: Sequence[Sequence[int]],
                      together: Sequence[Sequence[int]] = (), relations: Relations = (),
                      protect: np.ndarray | None = None, money: np.ndarray | None = None,
                      required: np.ndarray | None = None, people: np.ndarray | None = None,
                      threshold: int = 0) -> np.ndarray | None:
    """``mask`` extended by the fewest complements (see the module) over a flat vector of
    cells: ``values`` their counts; ``lines`` lists of cells that add up; ``together`` groups
    of cells hidden together; ``relations`` the published sums (:mod:`~carecase.report.relations`)
    that must not give back a ``protect`` cell, nor bound a cell's ``money`` within its
    ``required`` upper protection; ``people`` the cells that count people: a line's hidden
    people cells include one of more than ``threshold`` (:func:`_union_rows`). None when no
    solution came back."""
    v = np.asarray(values, dtype=float).ravel()
    n = v.size
    start = np.asarray(mask, dtype=bool).ravel()
    guard = np.zeros(n, dtype=bool) if protect is None else np.asarray(protect, dtype=bool).ravel()
    cost = np.zeros(n) if money is None else np.asarray(money, dtype=float).ravel()
    need = np.zeros(n) if required is None else np.asarray(required, dtype=float).ravel()
    if not n:
        return start.copy()
    unit = units_of(n, together)
    m = int(unit.max()) + 1
    fixed = np.zeros(m, dtype=bool)
    fixed[unit[start]] = True
    can_hide = fixed.copy()
    can_hide[unit[~np.isnan(v)]] = True
    weight = _weights(v, unit, m)
    rows = _line_rows(lines, unit, can_hide)
    if people is not None:
        rows += _union_rows(lines, unit, can_hide, v, np.asarray(people, dtype=bool).ravel(), threshold)
    least = [0.0] * len(rows)
    hidden = start.copy()
    for _ in range(ROUNDS):
        units = _solve(weight, fixed, can_hide, rows, least)
        if units is None:
            return None
        hidden = units[unit]
        cuts = list(_cuts(hidden, unit, can_hide, relations, guard, cost, need)) if relations else []
        if not cuts:
            break
        rows += cuts
        least += [1.0] * len(cuts)
    return hidden
