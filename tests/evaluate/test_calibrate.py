"""Entropy-balancing calibration of matched control weights."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carecase.core.random import generator
from carecase.evaluate.calibrate import entropy_weights, tolerant_entropy_weights


def test_entropy_weights_known_answer():
    """Hainmueller 2012 (Political Analysis 20:25), eq. 4: w_i ∝ q_i exp(λ x_i). Controls 0
    and 1 with equal base weights, target mean 0.75: w ∝ (1, e^λ) with e^λ/(1+e^λ) = 0.75,
    so e^λ = 3 and the weights are (0.25, 0.75) × the base total 2 = (0.5, 1.5)."""
    w = entropy_weights(np.array([[0.0], [1.0]]), np.array([0.75]), np.array([1.0, 1.0]))
    assert w == pytest.approx([0.5, 1.5])


def test_target_outside_the_hull_is_infeasible():
    assert entropy_weights(np.array([[0.0], [1.0]]), np.array([2.0]), np.ones(2)) is None


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000))
def test_weighted_means_hit_the_target_and_total_is_kept(seed):
    rng = generator(seed, "test", "calibrate")
    x = rng.normal(size=(60, 3))
    base = rng.uniform(0.5, 1.5, 60)
    target = x.mean(axis=0) + rng.normal(scale=0.2, size=3)
    w = entropy_weights(x, target, base)
    assert w is not None
    assert w.sum() == pytest.approx(base.sum())
    assert (w > 0).all()
    assert (w @ x) / w.sum() == pytest.approx(target, abs=1e-6)


def test_constant_control_covariates() -> None:
    """A 70-person demo stopped with "zero-size array": every covariate was constant among the
    matched controls, so nothing was left to solve. With each constant equal to the treated
    mean the weights are balanced as they are; with one differing no weights can balance it
    (None), where before it was dropped and the rest balanced as if it were."""
    import numpy as np

    from carecase.evaluate.calibrate import entropy_weights

    x = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]])
    base = np.array([1.0, 2.0, 1.0])
    assert np.array_equal(entropy_weights(x, np.array([1.0, 0.0]), base), base)
    assert entropy_weights(x, np.array([1.0, 0.2]), base) is None
    mixed = np.array([[1.0, 0.0], [1.0, 2.0], [1.0, 4.0]])
    assert entropy_weights(mixed, np.array([0.5, 2.0]), np.ones(3)) is None
    w = entropy_weights(mixed, np.array([1.0, 3.0]), np.ones(3))
    assert w is not None and np.isclose(w @ mixed[:, 1] / w.sum(), 3.0)


def _kl(w: np.ndarray, base: np.ndarray) -> float:
    p, q = w / w.sum(), base / base.sum()
    return float(np.sum(p * np.log(p / q)))


def test_tolerant_weights_known_answer():
    """Approximate balance (Wang & Zubizarreta 2020, Biometrika 107:93, the entropy member of
    their family): the weights nearest the base in Kullback–Leibler divergence whose mean is
    within δ·s of the target. Controls 0 and 1 with equal base weights (mean 0.5), target 0.8,
    s = 1, δ = 0.1: the nearest feasible mean is the interval's near end, 0.7, so the
    weights are (0.3, 0.7) × the base total 2 = (0.6, 1.4); a target within δ of 0.5 leaves
    the base weights as they are."""
    x, base = np.array([[0.0], [1.0]]), np.ones(2)
    w = tolerant_entropy_weights(x, np.array([0.8]), base, np.array([1.0]), 0.1)
    assert w == pytest.approx([0.6, 1.4], abs=1e-6)
    same = tolerant_entropy_weights(x, np.array([0.55]), base, np.array([1.0]), 0.1)
    assert same == pytest.approx(base)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from([0.01, 0.05, 0.1]))
def test_tolerant_weights_keep_within_the_tolerance_nearer_the_base(seed, tolerance):
    """Every weighted mean within δ·s of the target, the total kept, and never further from
    the base weights (KL) than exact entropy balancing, which is one of the weightings the
    tolerance allows; δ → 0 gives the exact weights."""
    rng = generator(seed, "test", "calibrate", "tolerance")
    x = rng.normal(size=(60, 4))
    x[:, 3] = rng.poisson(0.3, 60)
    base = rng.uniform(0.5, 1.5, 60)
    target = x.mean(axis=0) + rng.normal(scale=0.25, size=4) * x.std(axis=0)
    target[3] = max(target[3], 0.05)  # inside the counts' range: feasible for exact balance
    scale = x.std(axis=0)
    exact = entropy_weights(x, target, base)
    w = tolerant_entropy_weights(x, target, base, scale, tolerance)
    assert exact is not None and w is not None
    assert w.sum() == pytest.approx(base.sum())
    assert (w > 0).all()
    assert np.all(np.abs((w @ x) / w.sum() - target) <= tolerance * scale * (1 + 1e-5))
    assert _kl(w, base) <= _kl(exact, base) + 1e-9
    nearly = tolerant_entropy_weights(x, target, base, scale, 1e-9)
    assert nearly == pytest.approx(exact, rel=1e-4)


def test_tolerant_weights_refuse_a_constant_that_misses_its_target():
    x = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]])
    assert tolerant_entropy_weights(x, np.array([1.2, 1.0]), np.ones(3), np.array([0.0, 1.0]), 0.05) is None
    w = tolerant_entropy_weights(x, np.array([1.0, 1.5]), np.ones(3), np.array([0.0, 1.0]), 0.05)
    assert w is not None and abs(w @ x[:, 1] / w.sum() - 1.5) <= 0.05 + 1e-6
