"""The paired tests (estimates.paired_tests, used by the naive before/after table and by the
outcome-measure changes) against a published worked example, not only against scipy's output.

Darwin's Zea mays data: the 15 differences in height (eighths of an inch) between a
cross-fertilised and a self-fertilised plant grown in the same pot, as analysed by
Fisher, *The Design of Experiments* (1935), §17 (paired t = 2.148 on 14 degrees of freedom)
and by Wilcoxon (1945), *Individual comparisons by ranking methods*, Biometrics Bulletin
1(6):80-83 (signed-rank sum of the negative differences, ranks 10 and 14, T = 24). The
same data are the worked example of ``scipy.stats.wilcoxon``'s documentation (exact
two-sided p = 0.041259765625); the exact p is also derived here independently, by
enumerating all 2^15 equally likely sign patterns of the ranks 1..15.
"""

from __future__ import annotations

import numpy as np
import pytest

from carecase.evaluate.estimates import paired_tests
from carecase.evaluate.outcomes import change_summary

DARWIN = np.array([6, 8, 14, 16, 23, 24, 28, 29, 41, -48, 49, 56, 60, -67, 75], dtype=float)


def _exact_two_sided_p(t: float, n: int) -> float:
    """P(min(W+, W−) ≤ t) under H0, by brute force over every sign pattern of ranks 1..n."""
    ranks = np.arange(1, n + 1)
    signs = (np.arange(2**n)[:, None] >> np.arange(n)) & 1  # every pattern, one per row
    w_plus = signs @ ranks
    return float(np.mean(np.minimum(w_plus, ranks.sum() - w_plus) <= t))


def test_wilcoxon_signed_rank_on_darwins_maize_matches_wilcoxon_1945() -> None:
    """T = 24 (ranks 10 and 14 of the two negative differences, −48 and −67); exact
    two-sided p = 1,352 / 32,768 = 0.041259765625."""
    res = paired_tests(np.zeros_like(DARWIN), DARWIN)
    assert res["wilcoxon_stat"] == 24.0
    assert res["wilcoxon_p"] == pytest.approx(0.041259765625, rel=1e-9)


def test_the_exact_p_value_is_the_share_of_sign_patterns_at_least_as_extreme() -> None:
    """The published exact p, derived without scipy: 1,352 of the 2^15 sign patterns give
    min(W+, W−) ≤ 24."""
    assert _exact_two_sided_p(24, 15) == pytest.approx(0.041259765625, rel=1e-12)
    assert _exact_two_sided_p(24, 15) * 2**15 == 1352


def test_paired_t_on_darwins_maize_matches_fisher_1935() -> None:
    """Fisher (1935) §17: mean difference 20.93 eighths of an inch, t = 2.148 with 14 df,
    just significant at 5% (two-sided p ≈ 0.0497)."""
    pre = np.full(15, 100.0)  # any common baseline: only the differences matter
    res = paired_tests(pre, pre + DARWIN)
    assert res["t_stat"] == pytest.approx(2.148, abs=5e-4)
    assert 0.049 < res["t_p"] < 0.050


def test_outcome_change_summary_reports_the_published_tests() -> None:
    """The outcome-measure table (WEMWBS/SWEMWBS/EQ-5D changes) runs the same tests: the
    direction counts (13 improved, 2 worse) and both statistics as published."""
    s = change_summary(np.zeros(15), DARWIN, higher_is_better=True)
    assert (s["improved"], s["no_change"], s["worse"]) == (13, 0, 2)
    assert s["mean_change"] == pytest.approx(314 / 15)
    assert s["wilcoxon_stat"] == 24.0 and s["t_stat"] == pytest.approx(2.148, abs=5e-4)
