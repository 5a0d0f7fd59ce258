"""E-values (VanderWeele & Ding 2017, Ann Intern Med 167:268)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from carecase.evaluate.sensitivity import e_value, e_value_ci


def test_known_answer_from_the_paper():
    """The paper's worked example: risk ratio 3.9 (95% CI 1.8 to 8.7) has E-value 7.26 for
    the estimate and 3.00 for the lower limit: 3.9 + sqrt(3.9 × 2.9) and 1.8 + sqrt(1.8 × 0.8)."""
    assert float(e_value(3.9)) == pytest.approx(7.26, abs=0.005)
    assert float(e_value_ci(1.8, 8.7)) == pytest.approx(3.00, abs=1e-12)


def test_protective_ratio_uses_its_inverse_and_interval_through_one_is_one():
    """A reduction (RR 0.5, CI 0.3 to 0.8) is judged on 1/RR = 2 (E = 2 + sqrt(2) = 3.41) and
    on the upper limit, the one nearest 1 (1/0.8 = 1.25: E = 1.25 + sqrt(0.3125) = 1.81)."""
    assert float(e_value(0.5)) == pytest.approx(2 + np.sqrt(2))
    assert float(e_value_ci(0.3, 0.8)) == pytest.approx(1.25 + np.sqrt(1.25 * 0.25))
    assert float(e_value_ci(0.7, 1.2)) == 1.0
    assert float(e_value(1.0)) == 1.0


def test_missing_or_impossible_ratios_give_nan():
    assert np.isnan(e_value(np.nan)) and np.isnan(e_value(0.0)) and np.isnan(e_value(-1.0))
    assert np.isnan(e_value_ci(np.nan, 2.0)) and np.isnan(e_value_ci(-1.0, 2.0))
    assert np.isnan(e_value_ci(2.0, 1.5))  # limits the wrong way round


def test_unbounded_intervals_have_an_e_value():
    """Rate models give (0, +inf) or (x, +inf) when one cluster holds every event of a
    period; VanderWeele & Ding (2017) apply the formula to the limit nearest the null, 1 when
    the interval contains it. These were NaN."""
    assert float(e_value_ci(0.0, np.inf)) == 1.0
    assert float(e_value_ci(0.0, 2.0)) == 1.0
    assert float(e_value_ci(0.5, np.inf)) == 1.0
    assert float(e_value_ci(1.5, np.inf)) == pytest.approx(1.5 + np.sqrt(1.5 * 0.5))  # 2.366
    assert float(e_value_ci(0.0, 0.8)) == pytest.approx(1.25 + np.sqrt(1.25 * 0.25))  # 1.809


ratios = st.floats(min_value=1e-3, max_value=1e3, allow_nan=False)


@given(ratios)
def test_e_value_solves_the_bounding_factor(rr):
    """Ding & VanderWeele's bounding factor for a confounder with associations E and E is
    E² / (2E − 1); the E-value is the E at which it equals the observed ratio (or 1/ratio)."""
    e = float(e_value(rr))
    target = rr if rr >= 1 else 1 / rr
    assert e >= 1
    assert e * e / (2 * e - 1) == pytest.approx(target, rel=1e-9)
    assert float(e_value(1 / rr)) == pytest.approx(e, rel=1e-9)


@given(ratios, ratios, ratios)
def test_interval_e_value_never_exceeds_the_estimates(a, b, c):
    lo, rr, hi = sorted((a, b, c))
    assert 1.0 <= float(e_value_ci(lo, hi)) <= float(e_value(rr)) + 1e-9
