"""What a reader can work out from the post windows' published changes together.

Each window's change is a ratio of sums over the same people: with ``A_w`` a group's amount
in window ``w``, ``D_w`` its person-time and ``P``, ``D_pre`` the pre-period's,

    x_w = A_w / D_w − P / D_pre,   so   D_w · x_w = A_w − D_w · P / D_pre.

Amounts and person-time add up over months, so a reader who has ``x`` for several windows
(and their person-time: with everyone observed throughout it is the number of people × the
window's length) has every linear combination of them: the figures that follow from the
windows' months alone are

- **a period's change**: any stretch of months whose indicator is a combination of the
  windows' (``Σ c_w · [months of w]``) has ``Σ c_w · D_w · x_w = A_Q − D_Q · P / D_pre``, the
  change over those months against the pre-period. Nested windows give the months the longer
  adds (0–11 and 0–12: month 12 alone, 12 × x₀₋₁₂ − 11 × x₀₋₁₁). Windows that overlap without
  one containing the other give nothing new on their own (0–8 and 4–12: the indicators
  (1,1,0) and (0,1,1) over months 0–4, 4–8, 8–12 combine to no other 0/1 vector), but with
  any window spanning both they give each part: with 0–12 too, months 8–12 are 0–12 less
  0–8, months 0–4 are 0–12 less 4–12, and months 4–8, the overlap, are 0–8 + 4–12 − 0–12
  (8 × x₀₋₈ + 8 × x₄₋₁₂ − 12 × x₀₋₁₂ = A₄₋₈ − 4 months' × P / D_pre, everyone observed);
- **the difference between two periods' rates**: ``x_Q1 − x_Q2 = A_Q1 / D_Q1 − A_Q2 / D_Q2``,
  the pre-period gone. Any two windows give it, overlapping or not: x₀₋₈ − x₄₋₁₂ is
  (A₀₋₄ − A₈₋₁₂) / 8 months' person-time, use in months 0–4 less use in months 8–12, and
  x₀₋₁₂ − x₀₋₈ is a third of (months 8–12's rate − months 0–8's). A person's part of it is
  their own difference, so where everyone else's use is steady after joining (their parts
  are 0, whatever their change from before) it is one person's: a placement from month 8
  among people whose use fell at joining and stayed down is that difference alone, though
  each window's change and the months 8–12 change against the pre-period are spread over
  everyone's fall.

These are the combinations a reader can form from the windows' definitions. Any other
mixture ``α x_a + β x_b`` cancels no period or pre-period and isolates a person only where
everyone else's parts happen to lie in a fixed proportion, which the reader would need the
data to know (as for parts of both signs that cancel: Hundepool et al. 2012, §4.2, "Negative
contributions"). The report's dominance rule judges each of these figures like a published
one (a figure derivable from published cells is published: Hundepool et al. 2012, §4.2,
"Secondary tabular data protection methods", differencing).
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from itertools import product

import numpy as np

from carecase.evaluate.config import window_months

#: more independent windows than this give too many periods to list (2 ** rank of them, and
#: their pairs: 8 nested windows took 20 s a call on 600 people, 6 took 1.6 s);
#: evaluation.post_windows holds at most this many
MAX_RANK = 6


def month_cover(months: Sequence[tuple[int, int]]) -> np.ndarray:
    """Windows × the stretches of months between consecutive window bounds that some window
    covers: 1 where the window holds that stretch (0–8, 4–12: months 0–4, 4–8, 8–12)."""
    bounds = sorted({b for m in months for b in m})
    atoms = [(a, b) for a, b in zip(bounds, bounds[1:], strict=False)
             if any(s <= a and b <= e for s, e in months)]
    return np.array([[float(s <= a and b <= e) for a, b in atoms] for s, e in months]).reshape(len(months), len(atoms))


def _row_echelon(m: np.ndarray) -> tuple[list[list[Fraction]], list[int]]:
    """Reduced row echelon form of a small 0/1 matrix, in exact fractions, and its pivot
    columns."""
    rows = [[Fraction(int(v)) for v in r] for r in m.tolist()]
    pivots: list[int] = []
    r = 0
    for c in range(m.shape[1] if m.ndim == 2 else 0):
        at = next((i for i in range(r, len(rows)) if rows[i][c] != 0), None)
        if at is None:
            continue
        rows[r], rows[at] = rows[at], rows[r]
        lead = rows[r][c]
        rows[r] = [v / lead for v in rows[r]]
        for i in range(len(rows)):
            if i != r and rows[i][c] != 0:
                f = rows[i][c]
                rows[i] = [a - f * b for a, b in zip(rows[i], rows[r], strict=True)]
        pivots.append(c)
        r += 1
    return rows[:r], pivots


def rank(m: np.ndarray) -> int:
    """The rank of a small 0/1 matrix (rows: windows' :func:`month_cover`), exactly: whether a
    window's months are a combination of others' is a yes or no, with no tolerance to pick."""
    return len(_row_echelon(m)[1])


def derived_periods(windows: Sequence[str]) -> np.ndarray:
    """Every stretch of months (not necessarily one run) whose amount and person-time a
    reader can add up from the windows (names ``post_s_e``; others take no part): rows of
    coefficients over ``windows``, one row per period, a window itself a row with a single
    1. The periods are the 0/1 vectors in the row space of :func:`month_cover`, found from
    their values at the pivot columns (at most 2 ** rank of them)."""
    months = [window_months(w) for w in windows]
    known = [i for i, m in enumerate(months) if m is not None]
    if not known:
        return np.zeros((0, len(windows)))
    cover = month_cover([months[i] for i in known])  # type: ignore[misc]
    echelon, pivots = _row_echelon(cover)
    if len(pivots) > MAX_RANK:
        raise ValueError(f"over {MAX_RANK} post windows with different months: the check of what they give "
                         "together would list too many periods; configure fewer post windows")
    basis = np.array([[float(v) for v in r] for r in echelon]).reshape(len(pivots), cover.shape[1])
    picks = np.array(list(product((0.0, 1.0), repeat=len(pivots)))).reshape(-1, len(pivots))[1:]
    periods = picks @ basis
    keep = np.all(np.isclose(periods, 0.0) | np.isclose(periods, 1.0), axis=1)
    periods = np.round(periods[keep])
    # periods × known windows; the coefficients are small fractions, so rounding only clears the
    # least-squares solver's last-place noise
    coef = np.round(np.linalg.lstsq(cover.T, periods.T, rcond=None)[0].T, 9) + 0.0
    out = np.zeros((len(periods), len(windows)))
    out[:, known] = coef
    return out


def redundant_windows(windows: Sequence[str]) -> np.ndarray:
    """Windows (bool per window) that another combination of windows could stand in for:
    where one window's months are a combination of others' (0–4, 4–8 and 0–8), a figure has
    several ways to be worked out, and hiding one window may leave another way open."""
    months = [window_months(w) for w in windows]
    known = [i for i, m in enumerate(months) if m is not None]
    out = np.zeros(len(windows), dtype=bool)
    if not known:
        return out
    cover = month_cover([months[i] for i in known])  # type: ignore[misc]
    _, s, vt = np.linalg.svd(cover.T, full_matrices=True)  # null space of the windows' combinations
    rank = int((s > 1e-9).sum())
    null = vt[rank:]
    out[known] = np.any(np.abs(null) > 1e-9, axis=0) if len(null) else False
    return out


def carriers(coefficients: np.ndarray, windows: Sequence[str], redundant: np.ndarray) -> list[int]:
    """The windows whose estimates are hidden where a figure with ``coefficients`` (over
    ``windows``) is dominated: the shortest window it takes (the later of equal ones), so
    that the longest stays, the whole year a cost-benefit model annualises (hiding any one of
    the windows a figure takes removes it); every window it takes, and every window that could
    stand in for one, where some could (:func:`redundant_windows`)."""
    scale = float(np.max(np.abs(coefficients))) if coefficients.size else 0.0
    used = [i for i, c in enumerate(coefficients.tolist()) if scale > 0 and abs(c) > 1e-9 * scale]
    if not used:
        return []
    if redundant[used].any():
        return sorted(set(used) | set(np.flatnonzero(redundant).tolist()))
    months = [window_months(windows[i]) or (0, 0) for i in used]
    return [min(zip(used, months, strict=True), key=lambda t: (t[1][1] - t[1][0], -t[1][0]))[0]]
