import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carecase.cba.distributions import Distribution, central, parse_param
from carecase.core.random import generator


def test_means() -> None:
    """Means: triangular (a+b+c)/3, PERT (a+4m+b)/6 (Vose 2008), beta α/(α+β)."""
    assert central(parse_param({"dist": "triangular", "min": 0, "mode": 3, "max": 6})) == pytest.approx(3)
    assert central(parse_param({"dist": "pert", "min": 0, "mode": 1, "max": 8})) == pytest.approx(2)
    assert central(parse_param({"dist": "beta", "alpha": 2, "beta": 8})) == pytest.approx(0.2)
    assert central(parse_param({"dist": "lognormal", "mean": 50, "sd": 10})) == 50
    assert central(parse_param({"dist": "gamma", "shape": 2, "scale": 3})) == pytest.approx(6)
    assert central(parse_param(4)) == 4.0


def test_lognormal_matches_mean_and_sd() -> None:
    d = parse_param({"dist": "lognormal", "mean": 50, "sd": 10})
    x = d.sample(generator(1, "t"), 200_000)
    assert x.mean() == pytest.approx(50, rel=0.01) and x.std() == pytest.approx(10, rel=0.02)


def test_normal_percentiles() -> None:
    d = parse_param({"dist": "normal", "mean": 10, "sd": 2})
    assert d.ppf(0.9) == pytest.approx(10 + 2 * 1.2815515655446004)


def test_sampling_is_seeded() -> None:
    d = parse_param({"dist": "pert", "min": 1, "mode": 2, "max": 5})
    a = d.sample(generator(5, "x"), 100)
    b = d.sample(generator(5, "x"), 100)
    np.testing.assert_array_equal(a, b)
    assert (a >= 1).all() and (a <= 5).all()


@settings(deadline=None)
@given(st.floats(-100, 100), st.floats(0.001, 50), st.floats(0.001, 50))
def test_triangular_draws_inside_support(lo: float, w1: float, w2: float) -> None:
    d = parse_param({"dist": "triangular", "min": lo, "mode": lo + w1, "max": lo + w1 + w2})
    x = d.sample(generator(0, "p"), 200)
    assert isinstance(d, Distribution)
    assert (x >= lo - 1e-9).all() and (x <= lo + w1 + w2 + 1e-9).all()


@pytest.mark.parametrize("bad", [
    {"dist": "normal", "mean": 1, "sd": -1}, {"dist": "beta", "alpha": 0, "beta": 1},
    {"dist": "gamma", "shape": 1, "scale": -2}, {"dist": "uniform", "min": 3, "max": 3},
    {"dist": "pert", "min": 0, "mode": 5, "max": 4}, {"dist": "lognormal", "mean": -1, "sd": 1},
    {"dist": "normal", "mean": "a", "sd": 1}, {"dist": "normal", "mean": 1}, True, "ten",
])
def test_invalid_parameters_refused(bad) -> None:
    with pytest.raises(ValueError):
        parse_param(bad)
