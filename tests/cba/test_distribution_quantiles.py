"""Quantiles of the CBA input distributions against their closed forms.

The tornado's low/high of an uncertain input are its 10th and 90th percentiles
(:func:`carecase.cba.uncertainty.sensitivity_range`) and the switching-value search widens to
the 0.1th/99.9th, all through ``Distribution.ppf``; the Monte Carlo draws through
``Distribution.sample``. test_distributions.py checks the means and the normal's p90 only,
so a wrong triangular or lognormal quantile survived the CBA suite (mutations: the
triangular's shape taken from the wrong side of the mode; the lognormal's scale without the
−σ²/2 term). Expected values are worked from the textbook closed forms, not from scipy:

- triangular(a, c, b): F⁻¹(q) = a + √(q(b−a)(c−a)) for q ≤ (c−a)/(b−a), else
  b − √((1−q)(b−a)(b−c)) (Johnson, Kotz & Balakrishnan, *Continuous Univariate
  Distributions* vol. 2, 2nd ed. 1995, ch. 26 §9; Vose, *Risk Analysis* 3rd ed. 2008, §III.7).
- lognormal with mean m and sd s: σ² = ln(1 + s²/m²), μ = ln m − σ²/2, so the median is
  m / √(1 + s²/m²) and F⁻¹(q) = exp(μ + z_q σ) (Johnson, Kotz & Balakrishnan vol. 1, ch. 14).
- PERT(a, m, b) with λ = 4 is a + (b−a)·Beta(1 + 4(m−a)/(b−a), 1 + 4(b−m)/(b−a)) (Vose 2008);
  with the mode at the minimum that is Beta(1, 5), whose quantile is 1 − (1−q)^(1/5).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from carecase.cba.distributions import parse_param
from carecase.cba.inputs import InputSpec
from carecase.cba.uncertainty import sensitivity_range
from carecase.core.random import generator

Z90 = 1.2815515655446004  # standard normal 0.9 quantile (any normal table: 1.2816)


def test_triangular_quantiles_on_either_side_of_the_mode() -> None:
    """triangular(800, 1000, 1500): F(mode) = 200/700; p10 = 800 + √(0.1 × 700 × 200) =
    918.32 (left of the mode) and p90 = 1500 − √(0.1 × 700 × 500) = 1312.92 (right of it)."""
    d = parse_param({"dist": "triangular", "min": 800, "mode": 1000, "max": 1500})
    lo, hi = d.ppf(np.array([0.1, 0.9]))
    assert lo == pytest.approx(800 + math.sqrt(14_000), rel=1e-12)  # 918.3216
    assert hi == pytest.approx(1500 - math.sqrt(35_000), rel=1e-12)  # 1312.9171
    assert d.ppf(200 / 700) == pytest.approx(1000, rel=1e-12)


def test_lognormal_quantiles_from_its_mean_and_sd() -> None:
    """mean 50, sd 10: σ² = ln 1.04; median 50/√1.04 = 49.0290; p10 38.0390, p90 63.1943."""
    d = parse_param({"dist": "lognormal", "mean": 50, "sd": 10})
    s2 = math.log(1.04)
    mu = math.log(50) - s2 / 2
    assert d.ppf(0.5) == pytest.approx(50 / math.sqrt(1.04), rel=1e-9)
    assert d.ppf(0.1) == pytest.approx(math.exp(mu - Z90 * math.sqrt(s2)), rel=1e-9)
    assert d.ppf(0.9) == pytest.approx(math.exp(mu + Z90 * math.sqrt(s2)), rel=1e-9)
    assert d.ppf(0.9) == pytest.approx(63.1943, abs=5e-4)


def test_pert_with_the_mode_at_the_minimum_is_a_scaled_beta_1_5() -> None:
    """PERT(0, 0, 10) = 10 × Beta(1, 5): p10 = 10(1 − 0.9^0.2) = 0.2085, p90 = 3.6904."""
    d = parse_param({"dist": "pert", "min": 0, "mode": 0, "max": 10})
    assert d.ppf(0.1) == pytest.approx(10 * (1 - 0.9**0.2), rel=1e-9)
    assert d.ppf(0.9) == pytest.approx(10 * (1 - 0.1**0.2), rel=1e-9)


def test_the_tornado_range_of_a_triangular_cost_is_its_p10_and_p90() -> None:
    d = parse_param({"dist": "triangular", "min": 800, "mode": 1000, "max": 1500})
    spec = InputSpec(path="costs[1].amount", value=d, low=0.0, high=math.inf, label="support",
                     source="test", confidence_grade=3, unit="£")
    lo, hi, basis = sensitivity_range(spec, 0.2)
    assert basis == "p10/p90"
    assert (lo, hi) == pytest.approx((800 + math.sqrt(14_000), 1500 - math.sqrt(35_000)), rel=1e-12)


@pytest.mark.parametrize("param", [
    {"dist": "triangular", "min": 800, "mode": 1000, "max": 1500},
    {"dist": "lognormal", "mean": 50, "sd": 10},
    {"dist": "pert", "min": 0.2, "mode": 0.3, "max": 0.5},
    {"dist": "gamma", "shape": 2, "scale": 3},
    {"dist": "beta", "alpha": 8, "beta": 2},
    {"dist": "uniform", "min": 0.1, "max": 0.3},
    {"dist": "normal", "mean": 180, "sd": 30},
])
def test_monte_carlo_draws_follow_the_quantiles_the_tornado_uses(param: dict) -> None:
    """The Monte Carlo (numpy samplers) and the tornado (scipy quantiles) describe one
    distribution: 40,000 seeded draws' deciles sit on ppf's within sampling error (a
    gamma drawn with scale 1/3 instead of 3, say, fails by far)."""
    d = parse_param(param)
    x = d.sample(generator(11, "quantiles", param["dist"]), 40_000)
    q = np.array([0.1, 0.5, 0.9])
    want = d.ppf(q)
    spread = float(d.ppf(0.9) - d.ppf(0.1))
    assert np.quantile(x, q) == pytest.approx(want, abs=0.02 * spread)
