"""Statistical disclosure control for shared tables: pure functions.

The rules (configurable in ``report.suppression``; the defaults follow common NHS England /
ONS practice for published health and care statistics — see docs/report.md):

* **primary suppression** — a count from 1 to ``threshold`` (default 7) is hidden; 0 is shown;
* **rounding** — every other count is rounded to the nearest ``base`` (default 5), halves up;
* **secondary (complementary) suppression** — a row or column of the count matrix that holds
  exactly one suppressed cell has its next-smallest visible cell suppressed too (smallest
  non-zero first, ties to the earliest position), repeated over rows and columns until no
  line holds exactly one suppressed cell, so a hidden cell cannot be recovered by subtracting
  the visible cells from a published total of that line;
* **related cells** — besides whole rows and columns, a table can declare groups of rows
  that add up (one row is the sum of the others, say participants = eligible + excluded),
  and cells of different tables can be protected together (:func:`secondary_lines`): each
  such group is a line too, so a hidden cell is not recovered from its relation's total;
* **linked values** — a money value derived from a count (say the cost of the people
  counted) is hidden wherever its count is hidden;
* **dominance** — a cost one or two people dominate is primary-suppressed whatever its
  count (:func:`dominated`: the p% rule by default, or an (n,k) rule);
* **totals** — computed from the rounded values shown, or suppressed when their line holds a
  suppressed cell;
* **nested top groups** — figures of "the k highest-cost people" of one ranked population
  (the concentration table's top 1% / 5% / 10%, the top-N group, each point of the Lorenz
  curve) give, two at a time, the cost of the people between them: :func:`nested_groups`
  publishes a group only when it differs from every other published group (and from nobody
  and from everybody) by 0 or more than ``threshold`` people.

Everything here works on numpy arrays (rows × count columns); missing values are NaN and are
never suppressed or counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from carecase.report.config import DominanceConfig, SuppressionConfig


def round_to_base(values: np.ndarray, base: int) -> np.ndarray:
    """Round to the nearest multiple of ``base``, halves away from zero; NaN stays NaN."""
    v = np.asarray(values, dtype=float)
    b = max(int(base), 1)  # base 1 too: np.round would take halves to even (2.5 → 2)
    return np.sign(v) * np.floor(np.abs(v) / b + 0.5) * b


def primary_mask(counts: np.ndarray, threshold: int) -> np.ndarray:
    """True where a count is small and non-zero: 1 ≤ count ≤ threshold (magnitudes)."""
    c = np.abs(np.asarray(counts, dtype=float))
    with np.errstate(invalid="ignore"):
        return (c > 0) & (c <= threshold) & ~np.isnan(c)


def dominated(total: np.ndarray, largest: np.ndarray, second: np.ndarray, rule: DominanceConfig) -> np.ndarray:
    """True where a cell's total is dominated by its largest contributions (non-negative
    costs: ``largest`` ≥ ``second`` ≥ every other person's), by the rules of Hundepool et al.
    (2012), Handbook on Statistical Disclosure Control, section 4.2.2:

    * ``p_percent``: X − x₁ − x₂ < (p/100)·x₁ — the second largest contributor, subtracting
      their own cost from the total, would estimate the largest within p%;
    * ``nk``: x₁ (+ x₂ when n = 2) > (k/100)·X.

    A total of 0 (or missing) is never dominated; NaN contributions count as 0."""
    x = np.asarray(total, dtype=float)
    x1 = np.nan_to_num(np.asarray(largest, dtype=float))
    x2 = np.nan_to_num(np.asarray(second, dtype=float))
    with np.errstate(invalid="ignore"):
        present = ~np.isnan(x) & (x > 0)
        if rule.rule == "p_percent":
            out = x - x1 - x2 < rule.p / 100 * x1
        elif rule.rule == "nk":
            out = x1 + (x2 if rule.n == 2 else 0.0) > rule.k / 100 * x
        else:
            out = np.zeros(x.shape, dtype=bool)
    return present & out


def pick_complement(values: np.ndarray, hidden: np.ndarray, keep: np.ndarray | None = None) -> int | None:
    """Index of the cell to suppress next in one line: smallest non-zero visible value,
    then smallest zero; ties go to the earliest index; cells flagged in ``keep`` (published
    elsewhere in the report, so hiding them protects nothing) only when no other is left.
    None when nothing is left."""
    kept = np.zeros(len(values), dtype=bool) if keep is None else np.asarray(keep, dtype=bool)
    candidates = [
        (int(k), 0 if v != 0 else 1, abs(v), i)
        for i, (v, h, k) in enumerate(zip(values.tolist(), hidden.tolist(), kept.tolist(), strict=True))
        if not h and not np.isnan(v)
    ]
    if not candidates:
        return None
    return min(candidates)[3]


def secondary_mask(counts: np.ndarray, mask: np.ndarray, axes: tuple[int, ...] = (0, 1),
                   groups: Sequence[Sequence[int]] = ()) -> np.ndarray:
    """Extend ``mask`` so that no row (axis 1 lines) / column (axis 0 lines) among ``axes``
    holds exactly one suppressed cell. ``axes``: 0 protects column totals, 1 row totals.
    ``groups``: sets of row indices that add up (one row is the sum of the others); within
    each column each group is a line too."""
    values = np.atleast_2d(np.asarray(counts, dtype=float))
    hidden = np.atleast_2d(np.asarray(mask, dtype=bool)).copy()
    changed = True
    while changed:
        changed = False
        for group in groups:
            rows = np.asarray(group, dtype=int)
            for c in range(values.shape[1]):
                if hidden[rows, c].sum() == 1:
                    k = pick_complement(values[rows, c], hidden[rows, c])
                    if k is not None:
                        hidden[rows[k], c] = True
                        changed = True
        if 1 in axes:
            for r in range(values.shape[0]):
                if hidden[r].sum() == 1:
                    j = pick_complement(values[r], hidden[r])
                    if j is not None:
                        hidden[r, j] = True
                        changed = True
        if 0 in axes:
            for c in range(values.shape[1]):
                if hidden[:, c].sum() == 1:
                    i = pick_complement(values[:, c], hidden[:, c])
                    if i is not None:
                        hidden[i, c] = True
                        changed = True
    return hidden


@dataclass(frozen=True)
class Disclosed:
    """A count matrix after disclosure control: ``values`` to show (rounded; NaN missing)
    and ``hidden`` (True where the symbol is shown instead)."""

    values: np.ndarray
    hidden: np.ndarray


def _next_part(values: np.ndarray, hidden: np.ndarray, keep: np.ndarray | None = None,
               big: np.ndarray | None = None) -> int | None:
    """Index of the complement in one line whose first cell is the sum of the others: the
    first visible part with a value in the line's order, whatever the value; else the sum;
    a missing part only when nothing else is left (hiding a blank protects nothing).
    ``keep`` (cells another part of the report needs shown, say the cost-benefit model's
    inputs): the parts and the sum not kept come first, in that order, then the kept ones.
    Both orders depend on positions and on which cells are kept, never on values. ``big``
    (cells resting on more people than the threshold): only those parts, then the sum (see
    :func:`secondary_lines`)."""
    kept = np.zeros(len(values), dtype=bool) if keep is None else np.asarray(keep, dtype=bool)
    parts = [j for j in range(1, len(values)) if not np.isnan(values[j]) and (big is None or big[j])]
    blanks = [j for j in range(1, len(values)) if np.isnan(values[j])] if big is None else []
    order = [*(j for j in parts if not kept[j]), *([0] if not kept[0] else []),
             *(j for j in parts if kept[j]), *([0] if kept[0] else []), *blanks]
    for i in order:
        if not hidden[i]:
            return i
    return None


def secondary_lines(values: np.ndarray, mask: np.ndarray, lines: Sequence[Sequence[int]],
                    by: str = "value", keep: np.ndarray | None = None,
                    people: np.ndarray | None = None, threshold: int = 0) -> np.ndarray:
    """Secondary suppression over arbitrary lines of a flat vector of cells (cells of one or
    several tables): extend ``mask`` until no line (a list of cell indices whose values add
    up, one being the sum of the others, or whose sum is published) holds exactly one hidden
    cell. ``by="value"``: complements chosen as in :func:`secondary_mask` (counts). ``by="order"``
    (signed estimates, each line's first cell the sum of the rest): the first visible part in
    the line's order (:func:`_next_part`). Either way cells flagged in ``keep`` go last. A
    rule that picks by value is public, so it tells the complement's size: hiding the smallest estimate bounded
    it by the smallest one shown, and the hidden pair's published sum then pinned the
    protected estimate to within that (a DiD resting on 7 comparison people, −£43.18, to
    between −£52.81 and −£23.61).

    ``people`` (``by="order"``: the number of people each cell rests on, NaN where unknown):
    where a line's sum is shown, its hidden parts' sum is published by subtraction, and it
    rests on the people of those parts together, who may be few though no part is alone (one
    home-care user and five mental-health users). Only the parts' own counts are known, not
    how many people they share, so such a line must also hide a part resting on more than
    ``threshold`` people (the first in order, see :func:`_next_part`; the sum where none
    is): then the hidden parts together rest on more than ``threshold``. A part of 0 people
    (an estimate of exactly 0) protects nothing.
    ``by="value"`` with ``people`` (NaN for the cells that do not count people): a line whose
    hidden people cells include none of more than ``threshold`` hides its smallest visible one
    that is (where the line has one)."""
    pick = _next_part if by == "order" else pick_complement
    v = np.asarray(values, dtype=float).ravel()
    hidden = np.asarray(mask, dtype=bool).ravel().copy()
    kept = np.zeros(v.size, dtype=bool) if keep is None else np.asarray(keep, dtype=bool).ravel()
    counts = np.full(v.size, np.nan) if people is None else np.asarray(people, dtype=float).ravel()
    big, counted = counts > threshold, ~np.isnan(counts)  # NaN: not counted, never big
    idx = [np.asarray(line, dtype=int) for line in lines]
    changed = True
    while changed:
        changed = False
        for line in idx:
            if not len(line):
                continue
            h = hidden[line]
            k: int | None
            if h.sum() == 1:
                k = pick(v[line], h, kept[line])
            elif people is None:
                continue
            elif by == "order" and not h[0] and h[1:].any() and not (h[1:] & big[line[1:]]).any():
                k = _next_part(v[line], h, kept[line], big[line])
            elif by != "order" and (h & counted[line]).any() and not (h & big[line]).any():
                k = pick_complement(v[line], h | ~big[line], kept[line])
            else:
                continue
            if k is not None:
                hidden[line[k]] = True
                changed = True
    return hidden


def disclose_counts(
    counts: np.ndarray, cfg: SuppressionConfig, axes: tuple[int, ...] = (0, 1),
    forced: np.ndarray | None = None, groups: Sequence[Sequence[int]] = (),
) -> Disclosed:
    """Primary + secondary suppression and rounding of a rows × columns count matrix.
    ``forced``: cells hidden whatever their value (hidden elsewhere in the report);
    ``groups``: row groups that add up (see :func:`secondary_mask`)."""
    values = np.atleast_2d(np.asarray(counts, dtype=float))
    hidden = primary_mask(values, cfg.threshold)
    if forced is not None:
        hidden = hidden | np.atleast_2d(np.asarray(forced, dtype=bool))
    if cfg.secondary and hidden.any():
        hidden = secondary_mask(values, hidden, axes, groups)
    shown = round_to_base(values, cfg.rounding_base)
    shown = np.where(hidden, np.nan, shown)
    return Disclosed(values=shown, hidden=hidden)


def line_totals(shown: np.ndarray, hidden: np.ndarray, axis: int, mode: str = "displayed") -> Disclosed:
    """Totals along ``axis`` (0: a total per column, 1: a total per row) computed from the
    values shown; a total whose line holds a hidden cell is hidden (``mode='displayed'``), or
    every total is hidden when any cell is (``mode='suppress'``)."""
    s = np.atleast_2d(np.asarray(shown, dtype=float))
    h = np.atleast_2d(np.asarray(hidden, dtype=bool))
    total = np.nansum(np.where(h, 0.0, s), axis=axis)
    all_missing = np.all(np.isnan(s) & ~h, axis=axis)
    line_hidden = h.any(axis=axis)
    if mode == "suppress" and h.any():
        line_hidden = np.ones_like(line_hidden)
    total = np.where(line_hidden | all_missing, np.nan, total)
    return Disclosed(values=total, hidden=np.asarray(line_hidden, dtype=bool))


def link_hidden(count_hidden: np.ndarray, n_linked: int) -> np.ndarray:
    """The mask for money columns derived from a count column: same rows hidden."""
    return np.repeat(np.asarray(count_hidden, dtype=bool).reshape(-1, 1), n_linked, axis=1)


def nested_groups(candidates: Sequence[int], threshold: int, population: int | None = None,
                  published: Sequence[int] = (), forbidden: Sequence[int] = ()) -> list[bool]:
    """Which "top k" groups of one ranked population can be published, in priority order.

    ``candidates``: the sizes k of groups made of the k highest-cost people (nested: with the
    total spend published, any two of them give the cost of the people ranked between them,
    and a group of the whole population less k people is the same figure as the top k);
    ``published``: sizes already published; ``forbidden``: sizes hidden elsewhere (never
    given back). A candidate is published when it is not forbidden and differs from nobody
    (0), from the whole ``population`` (when known), from every published size and from every
    candidate already accepted by 0 or more than ``threshold`` people, so no published
    difference is a group of 1 to ``threshold`` people."""
    bounds = {0, *(int(k) for k in published)}
    if population is not None:
        bounds.add(int(population))
    banned = {int(k) for k in forbidden}
    out = []
    for k in candidates:
        k = int(k)
        ok = k >= 0 and (population is None or k <= population) and k not in banned \
            and all(abs(k - b) == 0 or abs(k - b) > threshold for b in bounds)
        if ok:
            bounds.add(k)
        out.append(ok)
    return out
