"""Whether a shared report's balance after matching gives back a hidden number matched.

With k:1 matching and equal weights, a 0/1 covariate's standardised mean difference and
variance ratio after matching (evaluate.matching: sample variances, pooled SD
sqrt((v_t + v_c) / 2)) are functions of the number matched n and how many of the matched
participants (a of n) and controls (b of k·n) have it. Shown to two decimals they still pin n
when n is small: on a 300-person demo only n = 15 fitted, so the hidden "treated matched"
(the complement of 4 unmatched) came back. The report works out which n within the range a
reader cannot exclude from the shown counts fit every shown 0/1 covariate, and shows the
balance after matching only when at least ``MIN_FEASIBLE`` do.
"""

from __future__ import annotations

import numpy as np

from carecase.report.content import shown_number

MIN_FEASIBLE = 3  # values of n a reader cannot tell apart, at least
LARGEST_CHECKED = 1000  # beyond, the 2-decimal rounding is far coarser than n's effect


def feasible_matched(shown: list[tuple[float, float]], candidates: range, k: int = 1) -> list[int]:
    """The n in ``candidates`` for which every (SMD, variance ratio) pair in ``shown`` (as
    shown, two decimals) is that of a 0/1 covariate held by a of n participants and b of k·n
    equally weighted controls."""
    out = []
    for n in candidates:
        if n < 2:
            continue
        if n > LARGEST_CHECKED:
            out.append(n)
            continue
        a = np.arange(n + 1)[:, None] / n
        b = np.arange(k * n + 1)[None, :] / (k * n)
        v_t = a * (1 - a) * n / (n - 1)
        v_c = b * (1 - b) * n / (n - 1 / k)  # reliability weights 1/k on k·n rows
        pooled = np.sqrt((v_t + v_c) / 2)
        diff = a - b
        with np.errstate(divide="ignore", invalid="ignore"):
            smd = np.where(pooled > 0, diff / pooled, np.where(diff == 0, 0.0, np.sign(diff) * np.inf))
            vr = np.where(v_c > 0, v_t / v_c, np.where(v_t == 0, 1.0, np.inf))
        if all(np.any((np.abs(smd - s) <= 0.005 + 1e-12) & (np.abs(vr - v) <= 0.005 + 1e-12)) for s, v in shown):
            out.append(n)
    return out


def after_pins_matched(binary_after: list[tuple[float, float]], eligible_shown: int, threshold: int,
                       rounding_base: int, k: int = 1) -> bool:
    """True when the balance after matching of the 0/1 covariates (``binary_after``: raw SMD
    and variance ratio) leaves fewer than MIN_FEASIBLE numbers matched that a reader could
    not exclude: the eligible participants (shown rounded to ``rounding_base``) less 1 to
    ``threshold`` unmatched."""
    if not binary_after:
        return False
    shown = [(float(shown_number(s, "ratio")), float(shown_number(v, "ratio"))) for s, v in binary_after
             if np.isfinite(s) and np.isfinite(v)]
    if not shown:
        return False
    half = rounding_base // 2
    candidates = range(max(eligible_shown - half - threshold, 0), eligible_shown + half)
    return len(feasible_matched(shown, candidates, k)) < MIN_FEASIBLE
