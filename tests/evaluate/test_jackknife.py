"""The delete-one-cluster jackknife (CV3) of the rate models' interaction, against refits."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st

from carecase.core.random import generator
from carecase.evaluate.jackknife import cv3_se, interaction_jackknife
from carecase.evaluate.ratemodels import interaction_rate_ratio


def _long(seed: int, n_sets: int = 40, rate: float = 0.8, ratio: float = 0.6, alpha: float = 0.0):
    """Matched sets (one treated, two controls weighted 1/2), two periods each; counts Poisson
    or NB2 (gamma-mixed) around ``rate`` a year, the treated's after-rate × ``ratio``."""
    rng = generator(seed, "jackknife-test")
    set_id = np.repeat(np.arange(n_sets), 3)
    treated = np.tile([1.0, 0.0, 0.0], n_sets)
    weight = np.tile([1.0, 0.5, 0.5], n_sets)
    rows = []
    for post in (0.0, 1.0):
        years = rng.uniform(0.5, 1.0, len(set_id))
        mu = rate * years * np.where((treated == 1) & (post == 1), ratio, 1.0)
        if alpha > 0:
            mu = mu * rng.gamma(1 / alpha, alpha, len(mu))
        rows.append((rng.poisson(mu).astype(float), years, treated, np.full(len(mu), post), weight, set_id))
    return tuple(np.concatenate(parts) for parts in zip(*rows, strict=True))


def _refit(y, years, treated, post, weight, groups, family):
    x = np.column_stack([np.ones(len(y)), treated, post, treated * post])
    fit = sm.GLM(y, x, family=family, offset=np.log(years), var_weights=weight).fit(tol=1e-13)
    return float(fit.params[3])


@pytest.mark.parametrize("alpha", [0.0, 0.7])
def test_each_delete_one_estimate_equals_a_refit_without_that_cluster(alpha):
    """Reference: statsmodels' GLM refitted on the rows of every other cluster (Poisson; NB2
    with α held at the given value), the definition of the delete-one-cluster jackknife
    (MacKinnon, Nielsen & Webb 2023, J. Econometrics 232:272, eq. 20)."""
    y, years, treated, post, weight, groups = _long(3, alpha=alpha)
    family = sm.families.Poisson() if alpha == 0 else sm.families.NegativeBinomial(alpha=alpha)
    full, left = interaction_jackknife(y, years, treated, post, weight, groups, alpha)
    assert full == pytest.approx(_refit(y, years, treated, post, weight, groups, family), abs=1e-9)
    for g in (0, 7, 19, 39):
        keep = groups != g
        ref = _refit(*(v[keep] for v in (y, years, treated, post, weight, groups)), family)
        assert left[g] == pytest.approx(ref, abs=1e-9)


def test_cv3_known_answer():
    """(G−1)/G Σ (b_(g) − b)²: G = 4, deviations 0.1, −0.1, 0.2, 0 → 3/4 × 0.06 = 0.045."""
    assert cv3_se(1.0, np.array([1.1, 0.9, 1.2, 1.0])) == pytest.approx(np.sqrt(0.045))
    assert np.isnan(cv3_se(1.0, np.array([1.1])))
    assert cv3_se(1.0, np.array([1.1, -np.inf])) == np.inf


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10_000))
def test_cluster_labels_do_not_matter(seed):
    """Renaming or reordering the clusters permutes the delete-one estimates; the SE stays."""
    y, years, treated, post, weight, groups = _long(seed, n_sets=15)
    full, left = interaction_jackknife(y, years, treated, post, weight, groups)
    relabel = generator(seed, "relabel").permutation(15)[groups] * 7 + 1000
    full2, left2 = interaction_jackknife(y, years, treated, post, weight, relabel)
    assert full2 == pytest.approx(full)
    assert cv3_se(full2, left2) == pytest.approx(cv3_se(full, left), nan_ok=True)


def test_interval_is_unbounded_when_one_cluster_holds_a_periods_events():
    """Every control event after the start is in one set: without it the control rate after
    is 0 and the ratio infinite, so the interval has no upper limit (and says why)."""
    y, years, treated, post, weight, groups = _long(5)
    after_control = (post == 1) & (treated == 0)
    y = np.where(after_control, 0.0, y)
    y[np.flatnonzero(after_control)[0]] = 2.0
    res = interaction_rate_ratio(y, years, treated, post, weight, groups, "poisson")
    assert res["rr_ci_low"] == 0.0 and res["rr_ci_high"] == np.inf
    assert "one cluster holds all" in str(res["note"])


def test_interval_uses_the_jackknife_and_t_critical_value():
    y, years, treated, post, weight, groups = _long(8)
    res = interaction_rate_ratio(y, years, treated, post, weight, groups, "poisson")
    full, left = interaction_jackknife(y, years, treated, post, weight, groups)
    from scipy import stats

    crit = stats.t.ppf(0.975, 39)
    assert np.log(res["rate_ratio"]) == pytest.approx(full)
    assert np.log(res["rr_ci_high"]) == pytest.approx(full + crit * cv3_se(full, left))
    assert res["rr_p"] == pytest.approx(2 * stats.t.sf(abs(full / cv3_se(full, left)), 39))


def test_one_cluster_holding_two_cells_events_is_unbounded_without_a_warning():
    """One set holds every event of the treated after and of the controls after: without it
    both log rates are −inf, their difference NaN (numpy warned 'invalid value encountered
    in add' on the seeds benchmark). That delete-one estimate is undefined, so the standard
    error is unbounded, quietly."""
    import warnings

    y, years, treated, post, weight, groups = _long(5)
    after = post == 1
    y = np.where(after & (groups != 0), 0.0, y)
    y[after & (groups == 0)] = 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        full, left = interaction_jackknife(y, years, treated, post, weight, groups)
    assert np.isnan(left[0]) and np.isfinite(full)
    assert cv3_se(full, left) == np.inf
