"""Negative binomial (NB2) regression: a published known answer, the calculus, weights as
replicated rows, and recovery of a seeded truth."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.tools.numdiff import approx_fprime

from carecase.core.random import generator
from carecase.evaluate.negbin import LN_ALPHA_FLOOR, fit_nb2, hessian, loglike_obs, score_obs
from carecase.evaluate.ratemodels import interaction_rate_ratio

# Ship damage incidents (McCullagh & Nelder 1989, Generalized Linear Models, 2nd ed., Table 6.2;
# Stata's `webuse ships`): ship type 1-5, construction period coded 1-4, operation in 1975-79,
# aggregate months of service, damage incidents. The six cells with no service are dropped
# (Stata drops them too: N = 34).
SHIP = [1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5]
YR_CON = [1, 1, 2, 2, 3, 3, 4, 1, 1, 2, 2, 3, 3, 4, 1, 1, 2, 2, 3, 3, 4, 1, 1, 2, 2, 3, 3, 4, 1, 2, 2, 3, 3, 4]
OP_75_79 = [0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1, 1, 0, 0, 1, 0, 1, 1]
SERVICE = [127, 63, 1095, 1095, 1512, 3353, 2244, 44882, 17176, 28609, 20370, 7064, 13099, 7117, 1179,
           552, 781, 676, 783, 1948, 274, 251, 105, 288, 192, 349, 1208, 2051, 45, 789, 437, 1157, 2161, 542]
ACCIDENT = [0, 0, 3, 4, 6, 18, 11, 39, 29, 58, 53, 12, 44, 18, 1, 1, 0, 1, 6, 2, 1, 0, 0, 0, 0, 2, 11, 4,
            0, 7, 7, 5, 12, 1]


def _ships():
    x = np.column_stack([YR_CON, OP_75_79, np.ones(len(SHIP))]).astype(float)
    return np.array(ACCIDENT, float), x, np.log(np.array(SERVICE, float)), np.array(SHIP)


def test_ships_known_answer_stata_nbreg_cluster():
    """Stata: `nbreg accident yr_con op_75_79, exposure(service) vce(cluster ship)` on the
    ships data (Stata output as recorded in statsmodels' test results,
    statsmodels/discrete/tests/results/results_count_robust_cluster.py,
    `results_negbin_exposure_clu`): coefficients, α, log pseudolikelihood, and the
    cluster-robust standard errors of β and ln α (5 clusters, factor G/(G−1))."""
    y, x, offset, ship = _ships()
    fit = fit_nb2(y, x, offset, groups=ship)
    assert fit.converged and not fit.at_floor
    assert fit.params == pytest.approx([0.28503762550355, 0.17127003537767, -6.5908639033905], abs=1e-7)
    assert fit.alpha == pytest.approx(0.2457422083490335, rel=1e-6)
    assert fit.loglike == pytest.approx(-82.49115612464289, abs=1e-8)
    assert fit.bse == pytest.approx([0.14270989695062, 0.17997186802799, 0.62542746996715], rel=1e-6)
    assert fit.ln_alpha_se == pytest.approx(0.86579403765571, rel=1e-6)


def test_transcription_matches_the_recorded_stata_output():
    """Extra check of the figures above against the file they were transcribed from, where
    the installed statsmodels ships its test results (some packagers strip them)."""
    try:
        from statsmodels.discrete.tests.results import results_count_robust_cluster as rec
    except ImportError:
        pytest.skip("statsmodels' test results are not installed here; the transcribed figures stand alone")
    nb, po = rec.results_negbin_exposure_clu, rec.results_poisson_exposure_clu
    assert nb.cmdline == "nbreg accident yr_con op_75_79, exposure(service) vce(cluster ship)"
    assert nb.params_table[:3, 0] == pytest.approx([0.28503762550355, 0.17127003537767, -6.5908639033905])
    assert nb.params_table[:3, 1] == pytest.approx([0.14270989695062, 0.17997186802799, 0.62542746996715])
    assert nb.params_table[3, 1] == pytest.approx(0.86579403765571)
    assert (nb.alpha, nb.ll, nb.N, nb.N_clust) == pytest.approx((0.2457422083490335, -82.49115612464289, 34, 5))
    assert po.params_table[:3, 0] == pytest.approx([0.30633819450439, 0.35592229608495, -6.974712802772])
    assert po.params_table[:3, 1] == pytest.approx([0.03817694295902, 0.09213163536669, 0.0968656626603])


def _data(seed: int, n: int, alpha: float = 0.8):
    rng = generator(seed, "nb2-data")
    x = np.column_stack([np.ones(n), rng.integers(0, 2, n), rng.normal(0, 1, n)])
    t = rng.uniform(0.3, 1.5, n)
    mu = t * np.exp(x @ np.array([0.4, -0.3, 0.25]))
    y = rng.poisson(mu * rng.gamma(1 / alpha, alpha, n)).astype(float)
    return y, x, np.log(t), rng


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), ln_alpha=st.floats(-3, 1.5), shift=st.floats(-0.5, 0.5))
def test_score_and_hessian_are_the_derivatives_of_the_loglikelihood(seed, ln_alpha, shift):
    y, x, off, rng = _data(seed, 40)
    w = rng.uniform(0.2, 2, len(y))
    theta = np.array([0.4 + shift, -0.3, 0.25, ln_alpha])

    def ll(t):
        return float(np.sum(w * loglike_obs(t, y, x, off)))

    def grad(t):
        return (w[:, None] * score_obs(t, y, x, off)).sum(axis=0)

    assert grad(theta) == pytest.approx(approx_fprime(theta, ll, centered=True), rel=1e-5, abs=1e-5)
    numeric = approx_fprime(theta, grad, centered=True)
    assert hessian(theta, y, x, off, w) == pytest.approx(numeric, rel=1e-5, abs=1e-5)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_integer_weight_equals_repeating_the_row(seed):
    """A weight multiplies a row's log-likelihood, so weight 2 is the row twice (estimates,
    log-likelihood, and the cluster sandwich when the copies share the cluster)."""
    y, x, off, rng = _data(seed, 60)
    w = rng.integers(1, 4, len(y)).astype(float)
    groups = np.arange(len(y)) // 3
    weighted = fit_nb2(y, x, off, w, groups)
    rep = np.repeat(np.arange(len(y)), w.astype(int))
    repeated = fit_nb2(y[rep], x[rep], off[rep], None, groups[rep])
    assert weighted.params == pytest.approx(repeated.params, rel=1e-6, abs=1e-8)
    assert weighted.alpha == pytest.approx(repeated.alpha, rel=1e-6, abs=1e-8)
    assert weighted.loglike == pytest.approx(repeated.loglike, rel=1e-9)
    assert weighted.cov == pytest.approx(repeated.cov, rel=1e-5, abs=1e-10)


def test_recovers_seeded_truth():
    """4,000 NB2 rows with β = (0.4, −0.3, 0.25) and α = 0.8: each estimate lies within four
    standard errors of the truth (a fixed seed: the check is deterministic)."""
    y, x, off, _ = _data(7, 4000, alpha=0.8)
    fit = fit_nb2(y, x, off)
    assert fit.converged
    assert np.all(np.abs(fit.params - [0.4, -0.3, 0.25]) < 4 * fit.bse)
    assert abs(np.log(fit.alpha) - np.log(0.8)) < 4 * fit.ln_alpha_se
    poisson = sm.GLM(y, x, family=sm.families.Poisson(), offset=off).fit()
    assert fit.loglike > poisson.llf + 100  # the overdispersion is real and NB2 sees it


def test_no_overdispersion_stops_at_the_floor_and_equals_poisson():
    """Counts less variable than Poisson: α's estimate runs to 0; the fit stops at the floor
    and its β is the Poisson MLE."""
    rng = generator(3, "under")
    n = 300
    x = np.column_stack([np.ones(n), rng.integers(0, 2, n)])
    y = rng.binomial(4, np.where(x[:, 1] == 1, 0.3, 0.5)).astype(float)  # variance < mean
    fit = fit_nb2(y, x, np.zeros(n))
    poisson = sm.GLM(y, x, family=sm.families.Poisson()).fit()
    assert fit.at_floor and fit.alpha == 0.0 and np.isnan(fit.ln_alpha_se)
    assert fit.params == pytest.approx(poisson.params, abs=1e-6)
    assert LN_ALPHA_FLOOR < -10


def test_saturated_cells_with_equal_person_time_give_the_ratio_of_mean_ratios():
    """With one parameter per treated × period cell and equal person-time, the NB2 score
    equations Σ(y−μ)/(1+αμ) = 0 hold cell by cell with μ constant, so each cell's fitted mean
    is its (weighted) mean count and the rate ratio is the ratio of ratios — as for Poisson
    (McCullagh & Nelder 1989, §6.2, for the saturated log-linear model)."""
    rng = generator(5, "cells")
    n = 50
    treated = np.repeat([1.0, 0.0], n)
    y_pre = rng.negative_binomial(2, 0.3, 2 * n).astype(float)
    y_post = rng.negative_binomial(2, 0.4, 2 * n).astype(float)
    w = np.where(treated == 1, 1.0, rng.choice([0.5, 1.0], 2 * n))
    sets = np.r_[np.arange(n), np.arange(n)]
    args = (np.r_[y_pre, y_post], np.ones(4 * n), np.r_[treated, treated],
            np.r_[np.zeros(2 * n), np.ones(2 * n)], np.r_[w, w], np.r_[sets, sets])
    nb = interaction_rate_ratio(*args, model="negative_binomial")
    poisson = interaction_rate_ratio(*args, model="poisson")

    def mean(y, mask):
        return np.average(y[mask], weights=w[mask])

    tm, cm = treated == 1, treated == 0
    expected = (mean(y_post, tm) / mean(y_pre, tm)) / (mean(y_post, cm) / mean(y_pre, cm))
    assert nb["rate_ratio"] == pytest.approx(expected, rel=1e-7)
    assert poisson["rate_ratio"] == pytest.approx(expected, rel=1e-7)
    assert nb["alpha"] > 0 and np.isnan(poisson["alpha"])
    assert nb["rr_ci_low"] < nb["rate_ratio"] < nb["rr_ci_high"]


def test_saturated_cells_with_unequal_person_time_weight_rows_by_t_over_one_plus_alpha_mu():
    """What the negative binomial estimates when person-time differs (docs/evaluation.md,
    Known limitations). NB2's score for β is Σ w x (y − μ)/(1 + αμ) (Cameron & Trivedi 2013,
    *Regression Analysis of Count Data*, 2nd ed., §3.3.1), so with one parameter per cell and
    ``μ = λ_c t`` each cell's rate solves ``λ_c = Σ w y/(1+αλ_c t) / Σ w t/(1+αλ_c t)``: a mean
    of the rows' rates y/t weighted by ``w t/(1 + αλ_c t)``, where Poisson's (the ratio of
    pooled rates) weights by ``w t``. The weights do not involve y: a heavy user is not
    down-weighted, a long row is. When the rate is unrelated to person-time both weightings
    estimate the same ratio; here, as for the synthetic area's controls censored early (at
    their own start, in the crisis before it), the short rows have twice the rate, count more
    in NB2's control rate after, and its ratio is below Poisson's."""
    rng = generator(11, "unequal-person-time")
    n = 400
    treated = np.repeat([1.0, 0.0], n)
    t_post = np.where((treated == 0) & (rng.random(2 * n) < 0.2), 0.25, 1.0)  # controls censored
    rate_post = np.where(t_post < 1, 2.0, 1.0) * np.where(treated == 1, 1.3, 1.0) * 6.0
    shape = 2.0  # α = 1/2

    def nb_draw(mean):
        return rng.negative_binomial(shape, shape / (shape + mean)).astype(float)

    y_pre, y_post = nb_draw(6.0 * np.ones(2 * n)), nb_draw(rate_post * t_post)
    w = np.where(treated == 1, 1.0, rng.choice([0.5, 1.0, 1.5], 2 * n))
    y, t = np.r_[y_pre, y_post], np.r_[np.ones(2 * n), t_post]
    tr, post, ww = np.r_[treated, treated], np.r_[np.zeros(2 * n), np.ones(2 * n)], np.r_[w, w]
    args = (y, t, tr, post, ww, np.r_[np.arange(2 * n), np.arange(2 * n)])
    nb = interaction_rate_ratio(*args, model="negative_binomial")
    poisson = interaction_rate_ratio(*args, model="poisson")
    alpha = float(nb["alpha"])
    assert alpha > 0

    def nb_rate(m):  # the cell's score equation by fixed-point iteration
        lam = np.sum(ww[m] * y[m]) / np.sum(ww[m] * t[m])
        for _ in range(200):
            d = 1 + alpha * lam * t[m]
            lam = np.sum(ww[m] * y[m] / d) / np.sum(ww[m] * t[m] / d)
        return lam

    def pooled(m):
        return np.sum(ww[m] * y[m]) / np.sum(ww[m] * t[m])

    def ratio(rate):
        return (rate((tr == 1) & (post == 1)) / rate((tr == 1) & (post == 0))
                / (rate((tr == 0) & (post == 1)) / rate((tr == 0) & (post == 0))))

    assert nb["rate_ratio"] == pytest.approx(ratio(nb_rate), rel=1e-7)
    assert poisson["rate_ratio"] == pytest.approx(ratio(pooled), rel=1e-10)
    assert nb["rate_ratio"] < poisson["rate_ratio"] - 0.05
    # the short rows alone make the difference: without them the two agree
    keep = np.r_[np.ones(2 * n, bool), t_post == 1] & np.r_[t_post == 1, np.ones(2 * n, bool)]
    sub = tuple(a[keep] for a in args)
    assert interaction_rate_ratio(*sub, model="negative_binomial")["rate_ratio"] == pytest.approx(
        interaction_rate_ratio(*sub, model="poisson")["rate_ratio"], rel=1e-7)


def test_unknown_rate_model_is_refused():
    args = (np.ones(4), np.ones(4), np.array([1.0, 0, 1, 0]), np.array([0.0, 0, 1, 1]), np.ones(4),
            np.arange(4))
    with pytest.raises(ValueError, match="unknown rate model 'zip'"):
        interaction_rate_ratio(*args, model="zip")  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 100_000), n=st.integers(8, 300), rate=st.floats(0.02, 5.0),
       weighted=st.booleans())
def test_poisson_data_always_fit_and_at_the_floor_equal_poisson(seed, n, rate, weighted):
    """Counts with no overdispersion, sparse or not: the fit never fails, converges, and the
    rate ratio is the Poisson one. In this saturated two-group design the NB2 score for β,
    Σ w x (y − μ)/(1 + αμ), is zero at each group's weighted mean whatever α is, so NB2 and
    Poisson give the same coefficients whether α runs to its floor or not."""
    rng = generator(seed, "poisson-data")
    x = np.column_stack([np.ones(n), rng.integers(0, 2, n)])
    y = rng.poisson(rate * np.where(x[:, 1] == 1, 0.7, 1.0)).astype(float)
    w = rng.choice([0.5, 1.0], n) if weighted else np.ones(n)
    if y[x[:, 1] == 1].sum() == 0 or y[x[:, 1] == 0].sum() == 0:
        return  # a cell with no events: the ratio is not estimable (callers check first)
    fit = fit_nb2(y, x, np.zeros(n), w, np.arange(n) // 2)
    assert fit.converged and np.all(np.isfinite(fit.params)) and np.isfinite(fit.loglike)
    poisson = sm.GLM(y, x, family=sm.families.Poisson(), var_weights=w).fit()
    assert fit.params == pytest.approx(poisson.params, abs=1e-4)
    assert (fit.alpha == 0.0) if fit.at_floor else (fit.alpha > 0)  # α at its floor reads 0


def test_a_ratio_that_cannot_be_estimated_says_why():
    """A period with no events in one group: every number NaN, and the note names the cause;
    counts with less spread than Poisson: the NB row says α is 0 and equals the Poisson fit."""
    treated = np.array([1.0, 1, 0, 0, 1, 1, 0, 0])
    post = np.array([0.0, 0, 0, 0, 1, 1, 1, 1])
    y = np.array([2.0, 3, 1, 2, 0, 0, 2, 1])  # participants have none after
    args = (y, np.ones(8), treated, post, np.ones(8), np.array([0, 1, 2, 3, 0, 1, 2, 3]))
    for model in ("poisson", "negative_binomial"):
        res = interaction_rate_ratio(*args, model=model)  # type: ignore[arg-type]
        assert np.isnan(res["rate_ratio"]) and "no events" in str(res["note"])
    rng = generator(8, "even")
    n = 200
    t, p = np.tile([1.0, 1, 0, 0], n // 4), np.tile([0.0, 1], n // 2)
    even = rng.binomial(3, 0.5, n).astype(float)
    nb = interaction_rate_ratio(even, np.ones(n), t, p, np.ones(n), np.arange(n) // 2,
                                model="negative_binomial")
    po = interaction_rate_ratio(even, np.ones(n), t, p, np.ones(n), np.arange(n) // 2)
    assert nb["alpha"] == 0.0 and "no overdispersion" in str(nb["note"]) and po["note"] == ""
    assert nb["rate_ratio"] == pytest.approx(po["rate_ratio"], rel=1e-6)
