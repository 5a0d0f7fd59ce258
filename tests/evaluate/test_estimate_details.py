"""Hand-computed cases for parts of the estimators the other tests leave loose: weighted
controls, the regression-to-the-mean share, bootstrap standard errors, people without
person-time in the paired tests, and the balance threshold's boundary."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from carecase.core.random import generator
from carecase.evaluate.estimates import matched_did, naive
from carecase.evaluate.matching import balance_before
from carecase.evaluate.panel import Panel, resample_counts

from .test_estimates import _members, _panel


def test_weighted_controls_weight_their_amounts_as_well_as_their_days() -> None:
    """One treated person (10 → 5 a year) matched to two controls of weight 1/2 each (10 → 20
    and 30 → 40): the control group's rates are Σ w·amount / Σ w·years = 20 before and 30
    after, so DiD = (5 − 10) − (30 − 20) = −15 (unweighted amounts would give 40 → 60, −25)."""
    panel = _panel([10], [5], [10, 30], [20, 40])
    members = pd.DataFrame({"set_id": [0, 0, 0], "row_id": [0, 1, 2], "weight": [1.0, 0.5, 0.5],
                            "treated": [True, False, False]})
    m, _ = matched_did(panel, members, 50, generator(1, "w"))
    row = m.iloc[0]
    assert (row["control_pre_ppy"], row["control_post_ppy"]) == pytest.approx((20.0, 30.0))
    assert row["effect_ppy"] == pytest.approx(-15.0)


def test_regression_to_the_mean_share() -> None:
    """Share of the naive change seen in controls = control change / treated change: treated
    15 → 7.5 (−7.5), controls 15 → 12 (−3): 0.4."""
    panel = _panel([10, 20], [5, 10], [10, 20], [8, 16])
    _, rtm = matched_did(panel, _members(2), 50, generator(1, "t"))
    r = rtm.iloc[0]
    assert r["treated_change_ppy"] == pytest.approx(-7.5)
    assert r["share_of_naive_change_seen_in_controls"] == pytest.approx(0.4)
    # controls rising while the participants fall: no share (it read as "-348.7%")
    _, rtm = matched_did(_panel([10, 20], [5, 10], [10, 20], [12, 24]), _members(2), 50, generator(1, "t"))
    assert rtm.iloc[0]["control_change_ppy"] > 0 > rtm.iloc[0]["treated_change_ppy"]
    assert np.isnan(rtm.iloc[0]["share_of_naive_change_seen_in_controls"])


def test_matched_se_is_the_sample_sd_of_the_bootstrap_effects() -> None:
    """Two matched sets (DiD −3 and −6 alone): a resample drawing set 0 c times has DiD
    −6 + 1.5c, so se = SD(n − 1) of −6 + 1.5·c over the draws (the estimator's first and only
    use of its generator is the multinomial resampling counts)."""
    panel = _panel([10, 20], [5, 10], [10, 20], [8, 16])
    m, _ = matched_did(panel, _members(2), 200, generator(1, "t"))
    c = resample_counts(2, 200, generator(1, "t"))[:, 0]
    assert m.iloc[0]["se"] == pytest.approx(np.std(-6 + 1.5 * c, ddof=1), rel=1e-12)


def test_naive_se_is_the_sample_sd_of_the_bootstrap_changes() -> None:
    """Two treated people (10 → 5 and 20 → 10 a year): a resample drawing the first c times has
    change −(5c + 10(2 − c))/2 = −10 + 2.5c; se = SD(n − 1) over the draws."""
    panel = _panel([10, 20], [5, 10], [], [])
    n = naive(panel, np.array([0, 1]), 200, generator(1, "n")).iloc[0]
    c = resample_counts(2, 200, generator(1, "n"))[:, 0]
    assert n["se"] == pytest.approx(np.std(-10 + 2.5 * c, ddof=1), rel=1e-12)


def test_paired_tests_leave_out_people_without_person_time() -> None:
    """A person with no observed days before has no rate there: the per-person tests use the
    two people observed in both windows (changes −5 and −10: mean −7.5, n = 2)."""
    panel = _panel([10, 20, 4], [5, 10, 6], [], [])
    days = panel.days.copy()
    days[2, 0] = 0.0
    panel = Panel(panel.row_ids, panel.windows, panel.columns, panel.amount, days)
    n = naive(panel, np.array([0, 1, 2]), 50, generator(1, "n")).iloc[0]
    assert n["n"] == 2
    assert n["mean_person_change"] == pytest.approx(-7.5)
    assert np.isfinite(n["t_stat"])
    # skewed changes, so the mean is not the median (a test review took the median and two
    # people still passed): −5, −10 and −30 (a fourth person unobserved before) → mean −15
    skewed = _panel([10, 20, 40, 4], [5, 10, 10, 6], [], [])
    days = skewed.days.copy()
    days[3, 0] = 0.0
    skewed = Panel(skewed.row_ids, skewed.windows, skewed.columns, skewed.amount, days)
    m = naive(skewed, np.array([0, 1, 2, 3]), 50, generator(1, "n")).iloc[0]
    assert m["n"] == 3 and m["mean_person_change"] == pytest.approx(-15.0)


def test_smd_at_the_threshold_fails_balance() -> None:
    """config.smd_threshold: '|SMD| at or above this fails balance'. Treated −1, 1, 3 and
    controls −2, 0, 2 (means 1 and 0, both variances 4): SMD = 1 / sqrt((4 + 4)/2) = 0.5 exactly,
    imbalanced at threshold 0.5, balanced at 0.6."""
    x = pd.DataFrame({"x": [-1.0, 1.0, 3.0, -2.0, 0.0, 2.0]})
    treated = np.array([True, True, True, False, False, False])
    at = balance_before(x, treated, 0.5).iloc[0]
    assert at["smd"] == 0.5 and bool(at["imbalanced"])
    assert not bool(balance_before(x, treated, 0.6).iloc[0]["imbalanced"])
