"""Minimum detectable effect (Bloom 1995)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from carecase.core.random import generator
from carecase.evaluate.estimates import matched_did
from carecase.evaluate.power import mde_multiplier, minimum_detectable_effect

from .test_estimates import _members, _panel


@pytest.mark.parametrize(("two_sided", "power", "published"), [
    (True, 0.80, 2.80), (True, 0.90, 3.24), (False, 0.80, 2.49), (False, 0.90, 2.93)])
def test_multiplier_matches_bloom_1995_table(two_sided, power, published):
    """Bloom (1995), Evaluation Review 19(5), Table 1, α = 0.05, large samples: the MDE is
    2.80 standard errors for a two-tailed test at 80% power, 3.24 at 90%; 2.49 and 2.93
    one-tailed."""
    assert mde_multiplier(0.05, power, two_sided) == pytest.approx(published, abs=0.005)


def test_small_samples_use_student_t():
    """With df degrees of freedom the multiplier is t(df) quantiles: 20 df, two-sided 5%,
    80% power = 2.086 + 0.860 = 2.946 (Student's t table values)."""
    assert mde_multiplier(0.05, 0.80, True, df=20) == pytest.approx(2.086 + 0.860, abs=0.002)
    assert mde_multiplier(0.05, 0.80, True, df=1e7) == pytest.approx(mde_multiplier(0.05, 0.80))


def test_an_effect_at_the_mde_is_found_with_the_stated_power():
    """The defining property: a true effect equal to the MDE, estimated with standard error 1,
    is significant at 5% two-sided with probability equal to the power (normal theory)."""
    mde = mde_multiplier(0.05, 0.80)
    z = stats.norm.ppf(0.975)
    reject = stats.norm.sf(z - mde) + stats.norm.cdf(-z - mde)
    assert reject == pytest.approx(0.80, abs=1e-3)


@settings(max_examples=60, deadline=None)
@given(se=st.floats(0.0, 1e6), p1=st.floats(0.5, 0.98), p2=st.floats(0.5, 0.98),
       alpha=st.floats(0.001, 0.2))
def test_mde_is_linear_in_se_and_grows_with_power(se, p1, p2, alpha):
    lo, hi = sorted((p1, p2))
    m_lo = float(minimum_detectable_effect(se, alpha, lo))
    m_hi = float(minimum_detectable_effect(se, alpha, hi))
    assert m_lo <= m_hi + 1e-9 * max(1.0, m_hi)
    assert m_lo == pytest.approx(se * mde_multiplier(alpha, lo))
    assert mde_multiplier(alpha, lo, two_sided=False) < mde_multiplier(alpha, lo, two_sided=True)


def test_bad_levels_are_refused():
    for kwargs in ({"alpha": 0.0}, {"alpha": 1.0}, {"power": 1.0}, {"power": 0.0}, {"df": 0}):
        with pytest.raises(ValueError):
            mde_multiplier(**kwargs)
    assert np.isnan(minimum_detectable_effect(np.nan))


def test_matched_table_reports_the_mde_of_its_bootstrap_se():
    panel = _panel([10, 20], [5, 10], [10, 20], [8, 16])
    m, _ = matched_did(panel, _members(2), 200, generator(1, "t"), power=0.9)
    row = m.iloc[0]
    assert row["se"] > 0
    assert row["mde_ppy"] == pytest.approx(row["se"] * mde_multiplier(0.05, 0.9))
