"""Naive and matched estimators, paired tests, bootstrap and rate ratios."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from carecase.core.random import generator
from carecase.evaluate.estimates import (
    bootstrap_mean_ci,
    matched_did,
    naive,
    paired_tests,
    ratio_percentile_ci,
)
from carecase.evaluate.panel import Panel
from carecase.evaluate.ratemodels import interaction_rate_ratio, rate_ratios

YEAR = 365.25


def test_paired_tests_known_answer_and_scipy():
    """Paired t (Student 1908): d = 1,2,2,4 → mean 2.25, s = sqrt(4.75/3), t = 2.25/(s/2).
    Both statistics agree with scipy.stats.ttest_rel and scipy.stats.wilcoxon."""
    pre, post = np.array([1.0, 2, 3, 4]), np.array([2.0, 4, 5, 8])
    res = paired_tests(pre, post)
    assert res["t_stat"] == pytest.approx(2.25 / (np.sqrt(4.75 / 3) / 2))
    assert res["t_p"] == pytest.approx(stats.ttest_rel(post, pre).pvalue)
    w = stats.wilcoxon(post, pre)
    assert res["wilcoxon_stat"] == w.statistic and res["wilcoxon_p"] == pytest.approx(w.pvalue)


def test_wilcoxon_drops_zero_differences():
    """Wilcoxon (1945) ranks only the non-zero differences: with 6 people unchanged the test
    equals the one on the 5 who changed (d = 1, 2, 3, 4, -5: W+ = 10, W- = 5, exact p = 0.625
    from the 32 equally likely sign patterns, 20 of them with min(W+, W-) ≤ 5)."""
    pre = np.zeros(11)
    post = np.array([0, 0, 0, 0, 0, 0, 1, 2, 3, 4, -5], dtype=float)
    res = paired_tests(pre, post)
    assert res["wilcoxon_stat"] == 5.0
    assert res["wilcoxon_p"] == pytest.approx(0.625)


def test_paired_t_when_differences_vary_only_slightly():
    """Differences of 500, 500.001, 500.002, 499.999 have a spread: t is defined and agrees
    with scipy (it was blanked because they were 'all close' to one another)."""
    pre = np.zeros(4)
    post = np.array([500.0, 500.001, 500.002, 499.999])
    res = paired_tests(pre, post)
    assert res["t_stat"] == pytest.approx(stats.ttest_rel(post, pre).statistic)
    assert res["t_stat"] > 1e5


def test_paired_tests_undefined_when_no_change():
    res = paired_tests(np.ones(5), np.ones(5))
    assert all(np.isnan(v) for v in res.values())


def test_wilcoxon_when_every_person_changes_by_the_same_amount():
    """Everyone up 3 points: the t statistic is undefined (no spread: NaN), but the signed-rank
    test is not, and equals scipy's (exact p = 2/2^10 for n = 10, all ranks positive)."""
    pre = np.arange(10.0)
    res = paired_tests(pre, pre + 3)
    assert np.isnan(res["t_stat"]) and np.isnan(res["t_p"])
    assert res["wilcoxon_p"] == pytest.approx(stats.wilcoxon(pre + 3, pre).pvalue)
    assert res["wilcoxon_p"] == pytest.approx(2 / 2**10)


def test_ratio_interval_keeps_infinite_draws():
    """Percentile limits of a ratio's draws: +inf draws (no control events after) sort at the
    top and are kept (Efron & Tibshirani 1993, ch. 13), so with 10% of draws infinite the
    97.5% limit is +inf; zeros give a lower limit of 0; 0/0 draws are left out."""
    finite = np.linspace(1.0, 2.0, 90)
    lo, hi = ratio_percentile_ci(np.r_[finite, np.full(10, np.inf)][:, None])
    assert hi[0] == np.inf and lo[0] == pytest.approx(np.nanquantile(np.r_[finite, [1e9] * 10], 0.025))
    lo, hi = ratio_percentile_ci(np.r_[np.zeros(5), finite, np.full(5, np.nan)][:, None])
    assert lo[0] == 0.0
    assert hi[0] == pytest.approx(np.quantile(np.r_[np.zeros(5), finite], 0.975))
    lo, hi = ratio_percentile_ci(np.r_[finite, [np.inf]][:, None])  # one in 91: still finite
    assert np.isfinite(hi[0])


@pytest.mark.parametrize("n_inf,infinite", [(24, False), (25, True), (26, True)])
def test_ratio_interval_at_the_boundary_of_infinite_draws(n_inf, infinite):
    """1,000 draws: the 97.5% quantile sits at order statistic 974.025 (numpy's linear rule),
    so from 25 infinite draws on it leans on one and is +inf, as numpy gives on the raw draws.
    It was once 0.025 × a stand-in value: 1.1e306, reported as a finite limit."""
    draws = np.r_[np.linspace(1.0, 2.0, 1000 - n_inf), np.full(n_inf, np.inf)]
    lo, hi = ratio_percentile_ci(draws[:, None])
    assert bool(hi[0] == np.inf) is infinite
    if n_inf <= 25:  # numpy on the raw draws (beyond, inf − inf gives it NaN)
        assert hi[0] == np.quantile(draws, 0.975)
    if not infinite:
        assert hi[0] <= 2.0
    assert lo[0] == pytest.approx(np.quantile(draws, 0.025))


def test_matched_ratio_interval_unbounded_when_controls_rarely_have_events_after():
    """30 sets, controls' post-period events held by 2 people: resamples without them give an
    infinite ratio often enough that the percentile interval has no upper limit."""
    n = 30
    pre_t, post_t = [1] * n, [2] * n
    pre_c, post_c = [1] * n, [1, 1] + [0] * (n - 2)
    panel = _panel(pre_t, post_t, pre_c, post_c)
    members = pd.DataFrame({"set_id": list(range(n)) * 2, "row_id": list(range(2 * n)),
                            "weight": 1.0, "treated": [True] * n + [False] * n})
    m, _ = matched_did(panel, members, 2000, generator(5, "rr"))
    row = m.iloc[0]
    assert row["ratio_of_ratios"] == pytest.approx(2 / (2 / 30))
    assert row["ratio_ci_high"] == np.inf  # P(no draw of the two) = (28/30)^60 ≈ 1.6%… and more
    assert 0 < row["ratio_ci_low"] < row["ratio_of_ratios"]


def test_bootstrap_agrees_with_scipy_bootstrap():
    """Percentile bootstrap of a mean (Efron & Tibshirani 1993, §13.3) against
    scipy.stats.bootstrap(method='percentile'): intervals agree to Monte-Carlo error."""
    x = generator(11, "boot").gamma(2.0, 3.0, 300)
    lo, hi = bootstrap_mean_ci(x, 4000, generator(1, "ours"))
    ref = stats.bootstrap((x,), np.mean, n_resamples=4000, method="percentile",
                          rng=np.random.default_rng(2)).confidence_interval
    se = x.std(ddof=1) / np.sqrt(len(x))
    assert lo == pytest.approx(ref.low, abs=0.15 * se)
    assert hi == pytest.approx(ref.high, abs=0.15 * se)
    # an exact case the tolerance above cannot blur (a test review replaced the percentile step
    # by mean ± 1.96 SD, and by no resampling at all, and the comparison still passed): of two
    # values 0 and 1 a resample's mean is 0, 0.5 or 1 (chances 1/4, 1/2, 1/4), so the 2.5th and
    # 97.5th percentiles are 0 and 1; normal theory gives 0.5 ± 0.69, outside the data
    assert bootstrap_mean_ci(np.array([0.0, 1.0]), 4000, generator(1, "ours")) == (0.0, 1.0)


def _panel(pre_t, post_t, pre_c, post_c, days=YEAR):
    amount = np.array([[[a], [b]] for a, b in zip(pre_t + pre_c, post_t + post_c, strict=True)], float)
    n = len(amount)
    cols = pd.DataFrame({"key_type": ["service"], "key": ["AE_ATTEND"], "measure": ["events"]})
    return Panel(np.arange(n), ("pre", "post_0_12"), cols, amount, np.full((n, 2), float(days)))


def _members(n_t):
    return pd.DataFrame({"set_id": [0, 1, 0, 1][: 2 * n_t] if n_t == 2 else [0, 0],
                         "row_id": [0, 1, 2, 3][: 2 * n_t], "weight": 1.0,
                         "treated": [True, True, False, False][: 2 * n_t]})


def test_matched_did_known_answer():
    """DiD = (post_T − pre_T) − (post_C − pre_C) on group rates: (7.5 − 15) − (12 − 15) = −4.5."""
    panel = _panel([10, 20], [5, 10], [10, 20], [8, 16])
    m, rtm = matched_did(panel, _members(2), 200, generator(1, "t"))
    row = m.iloc[0]
    assert row["effect_ppy"] == pytest.approx(-4.5)
    assert row["ratio_of_ratios"] == pytest.approx((7.5 / 15) / (12 / 15))
    assert rtm.iloc[0]["control_change_ppy"] == pytest.approx(-3.0)
    assert row["ci_low"] <= row["effect_ppy"] <= row["ci_high"]


def test_naive_known_answer_and_person_time():
    """Half the person-time doubles the rate: rows with 10 events in half a year = 20/yr."""
    panel = _panel([10, 20], [5, 10], [0, 0], [0, 0])
    days = panel.days.copy()
    days[:, 1] = YEAR / 2
    panel = Panel(panel.row_ids, panel.windows, panel.columns, panel.amount, days)
    n = naive(panel, np.array([0, 1]), 200, generator(1, "n")).iloc[0]
    assert n["pre_ppy"] == pytest.approx(15.0)
    assert n["post_ppy"] == pytest.approx(15.0)
    assert n["change_ppy"] == pytest.approx(0.0)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 30), min_size=4, max_size=12))
def test_did_zero_when_controls_copy_treated(values):
    half = len(values) // 2
    pre, post = values[:half], values[half: 2 * half]
    panel = _panel(pre, post, pre, post)
    n = len(pre)
    members = pd.DataFrame({"set_id": list(range(n)) * 2, "row_id": list(range(2 * n)),
                            "weight": 1.0, "treated": [True] * n + [False] * n})
    m, _ = matched_did(panel, members, 50, generator(3, "p"))
    if sum(pre) > 0:
        assert m.iloc[0]["effect_ppy"] == pytest.approx(0.0, abs=1e-9)
        assert m.iloc[0]["ci_low"] == pytest.approx(0.0, abs=1e-9)


def test_poisson_interaction_equals_ratio_of_ratios():
    """Saturated Poisson model with log person-years offset: exp(b3) equals
    (ΣyT,post/ΣtT,post ÷ ΣyT,pre/ΣtT,pre) ÷ (the same for controls) — each cell's MLE is its
    pooled rate (McCullagh & Nelder 1989, §6.2). A weight w equals scaling y and t by w."""
    rng = generator(4, "glm")
    n = 40
    treated = np.repeat([1.0, 0.0], n)
    y_pre, y_post = rng.poisson(5, 2 * n).astype(float), rng.poisson(4, 2 * n).astype(float)
    t_pre, t_post = rng.uniform(0.5, 1, 2 * n), rng.uniform(0.5, 1, 2 * n)
    w = np.where(treated == 1, 1.0, rng.choice([0.5, 1.0], 2 * n))
    sets = np.r_[np.arange(n), np.arange(n)]
    res = interaction_rate_ratio(np.r_[y_pre, y_post], np.r_[t_pre, t_post], np.r_[treated, treated],
                                 np.r_[np.zeros(2 * n), np.ones(2 * n)], np.r_[w, w], np.r_[sets, sets])

    def rate(y, t, mask):
        return (y * w)[mask].sum() / (t * w)[mask].sum()

    tm, cm = treated == 1, treated == 0
    expected = (rate(y_post, t_post, tm) / rate(y_pre, t_pre, tm)) / (
        rate(y_post, t_post, cm) / rate(y_pre, t_pre, cm))
    assert res["rate_ratio"] == pytest.approx(expected, rel=1e-6)
    assert res["rr_ci_low"] < res["rate_ratio"] < res["rr_ci_high"]


def test_rate_ratios_table_on_panel():
    panel = _panel([10, 20], [5, 10], [10, 20], [8, 16])
    rr = rate_ratios(panel, _members(2))
    assert rr.iloc[0]["rate_ratio"] == pytest.approx((15 / 30) / (24 / 30), rel=1e-6)


def test_bias_correction_removes_linear_covariate_gap():
    """Abadie & Imbens (2011) regression adjustment: when each control's post rate is
    exactly linear in a covariate, moving controls to their treated person's covariate
    value gives the DiD as if the match had been exact."""
    from carecase.evaluate.adjust import bias_corrected

    n = 30
    xs = generator(8, "bc").normal(size=2 * n)
    xs[:n] += 1.0  # treated sit higher on the covariate
    pre = np.full(2 * n, 10.0)
    post = 5.0 + 2.0 * xs  # no treatment effect: post depends only on x
    panel = _panel(list(pre[:n]), list(post[:n]), list(pre[n:]), list(post[n:]))
    members = pd.DataFrame({"set_id": np.r_[np.arange(n), np.arange(n)],
                            "row_id": np.arange(2 * n), "weight": 1.0,
                            "treated": np.r_[np.ones(n, bool), np.zeros(n, bool)]})
    x = pd.DataFrame({"x": xs}, index=pd.Index(np.arange(2 * n), name="row_id"))
    raw, _ = matched_did(panel, members, 50, generator(1, "a"))
    adj, _ = matched_did(bias_corrected(panel, members, x), members, 50, generator(1, "a"))
    assert abs(raw.iloc[0]["effect_ppy"]) > 1.0
    assert adj.iloc[0]["effect_ppy"] == pytest.approx(0.0, abs=1e-9)


def test_the_signed_rank_test_of_pounds_is_the_test_of_events_at_one_unit_cost():
    """£ rates are the unit cost times event rates, so their signed-rank test is the same
    test; a reviewer found A&E's £ p-value 7.7e-17 against its events' 1.6e-16 because float
    rounding broke the ties (and kept zeros) among differences equal in exact arithmetic."""
    rng = np.random.default_rng(7)
    days = rng.choice([365.0, 366.0, 200.0], 300)
    before, after = rng.poisson(2.0, 300).astype(float), rng.poisson(1.5, 300).astype(float)
    events = paired_tests(before / days * YEAR, after / days * YEAR)
    pounds = paired_tests(153.29 * before / days * YEAR, 153.29 * after / days * YEAR)
    raw = stats.wilcoxon(153.29 * after / days * YEAR - 153.29 * before / days * YEAR)
    assert raw.pvalue != pytest.approx(events["wilcoxon_p"], rel=1e-9)  # the noise this guards against
    assert pounds["wilcoxon_stat"] == events["wilcoxon_stat"]
    assert pounds["wilcoxon_p"] == pytest.approx(events["wilcoxon_p"], rel=1e-12)
    assert pounds["t_p"] == pytest.approx(events["t_p"], rel=1e-9)


def test_signed_rank_ties_survive_summation_noise_and_pounds_match_events() -> None:
    """Differences equal in exact arithmetic but a few 1e-13 apart (each event's share is
    summed at 10 decimal places) are tied, wherever a rounding boundary falls between them,
    and near-zero ones dropped: the £ rates (events × a unit cost, with their own noise) give
    the events' statistic and p-value, and both equal those of the exact differences."""
    from carecase.evaluate.estimates import paired_tests

    # 0.500000000005 lies on a boundary of rounding to 12 significant digits of the largest
    exact = np.array([0.500000000005, 0.500000000005, -1.2, 3.0, 2.5, 1.7, -0.500000000005,
                      0.0, 2.5, 1.1])
    noisy = exact + np.array([-1e-13, 1e-13, 0, 0, 3e-13, 0, 2e-13, 1e-13, -2e-13, 0])
    pre = np.full(len(exact), 4.0)
    ref = paired_tests(pre, pre + exact)
    for d in (noisy, noisy * 51.509552, exact * 51.509552 + 4e-12):
        got = paired_tests(np.zeros(len(d)), d)
        assert got["wilcoxon_stat"] == ref["wilcoxon_stat"]
        assert got["wilcoxon_p"] == pytest.approx(ref["wilcoxon_p"], rel=1e-12)
