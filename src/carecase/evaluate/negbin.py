"""Negative binomial (NB2) regression by weighted (pseudo-)maximum likelihood, with a log
exposure offset and cluster-robust standard errors — what Stata's
``nbreg y x [pweight=w], exposure(t) vce(cluster g)`` computes.

NB2 (Cameron & Trivedi 2013, *Regression Analysis of Count Data*, 2nd ed., §3.3):
``y ~ NB(mean μ, variance μ + αμ²)``, ``log μ = xβ + offset``. Parameters are ``θ = (β, ln α)``.
With ``r = 1/α`` the log-likelihood of one row is

    ℓ = lnΓ(y+r) − lnΓ(r) − lnΓ(y+1) − (r+y)·ln(1+αμ) + y·ln(αμ)

and its score (derived here; checked against numerical derivatives in the tests)

    ∂ℓ/∂β    = x (y−μ)/(1+αμ)
    ∂ℓ/∂lnα  = r[ψ(r) − ψ(y+r) + ln(1+αμ)] + (y−μ)/(1+αμ)

A weight ``w`` multiplies a row's log-likelihood (a control matched 1:k carries 1/k), so an
integer weight is the same as repeating the row. The covariance is the sandwich
``H⁻¹ (G/(G−1) Σ_g s_g s_gᵀ) H⁻¹`` over clusters ``g`` (one row per cluster when no groups
are given), Stata's small-sample factor. The β estimates stay consistent when only the mean
is right (the β score has mean zero whatever α is), so the sandwich, not the NB variance, is
what the intervals rest on.

When the data show no overdispersion, ln α runs to −∞; the fit then stops at
``LN_ALPHA_FLOOR`` (α ≈ 6·10⁻⁶: the variance exceeds Poisson's by under 0.1% for means up
to 100), reports ``at_floor``, α as 0 and the β covariance alone. Newton steps keep ln α
within ``_LN_ALPHA_BOUNDS``, where the log-likelihood is computed to full precision.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

LN_ALPHA_FLOOR = -12.0
_LN_ALPHA_BOUNDS = (LN_ALPHA_FLOOR - 1.0, 10.0)  # where lnΓ(y+r) − lnΓ(r) keeps its precision


@dataclass(frozen=True)
class NB2Fit:
    params: np.ndarray  # β
    alpha: float  # 0 when at_floor
    cov: np.ndarray  # sandwich covariance of (β, ln α); of β alone when at_floor
    loglike: float
    converged: bool
    at_floor: bool
    iterations: int

    @property
    def bse(self) -> np.ndarray:
        return np.sqrt(np.diag(self.cov))[: len(self.params)]

    @property
    def ln_alpha_se(self) -> float:
        return float(np.sqrt(self.cov[-1, -1])) if not self.at_floor else float("nan")


def _parts(theta: np.ndarray, x: np.ndarray, offset: np.ndarray) -> tuple[np.ndarray, float, float]:
    mu = np.exp(np.clip(x @ theta[:-1] + offset, -700, 700))
    alpha = float(np.exp(theta[-1]))
    return mu, alpha, 1.0 / alpha


def loglike_obs(theta: np.ndarray, y: np.ndarray, x: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """Each row's NB2 log-likelihood at ``θ = (β, ln α)``."""
    mu, a, r = _parts(theta, x, offset)
    return (special.gammaln(y + r) - special.gammaln(r) - special.gammaln(y + 1)
            - (r + y) * np.log1p(a * mu) + special.xlogy(y, a * mu))


def score_obs(theta: np.ndarray, y: np.ndarray, x: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """Each row's score (n × (p+1)): ∂ℓ/∂β then ∂ℓ/∂ln α."""
    mu, a, r = _parts(theta, x, offset)
    resid = (y - mu) / (1 + a * mu)
    s_alpha = r * (special.digamma(r) - special.digamma(y + r) + np.log1p(a * mu)) + resid
    return np.column_stack([x * resid[:, None], s_alpha])


def hessian(theta: np.ndarray, y: np.ndarray, x: np.ndarray, offset: np.ndarray,
            weight: np.ndarray) -> np.ndarray:
    """Weighted sum of the rows' second derivatives ((p+1) × (p+1))."""
    mu, a, r = _parts(theta, x, offset)
    am = a * mu
    d = 1 + am
    h_bb = -(weight * mu * (1 + a * y) / d**2)
    h_bc = -(weight * am * (y - mu) / d**2)
    h_cc = (-r * (special.digamma(r) - special.digamma(y + r) + np.log1p(am))
            + r**2 * (special.polygamma(1, y + r) - special.polygamma(1, r))
            + mu / d - am * (y - mu) / d**2)
    p = x.shape[1]
    h = np.empty((p + 1, p + 1))
    h[:p, :p] = (x * h_bb[:, None]).T @ x
    h[:p, p] = h[p, :p] = x.T @ h_bc
    h[p, p] = float(np.sum(weight * h_cc))
    return h


def _newton(f, grad_hess, theta: np.ndarray, max_iter: int, tol: float,
            bound_last: bool = False) -> tuple[np.ndarray, bool, int]:
    """Damped Newton ascent: Levenberg–Marquardt shift when the Hessian is not negative
    definite, step halving until the log-likelihood does not fall. Converged when the
    Newton decrement gᵀ(−H)⁻¹g (twice the log-likelihood still to gain) is below ``tol``.
    With ``bound_last`` the last parameter (ln α) is held within ``_LN_ALPHA_BOUNDS``: at a
    bound with the gradient pointing out, it stays there and the rest are solved for."""
    ll = f(theta)
    lo, hi = _LN_ALPHA_BOUNDS
    for it in range(1, max_iter + 1):
        g, h = grad_hess(theta)
        free = np.ones(len(g), bool)
        if bound_last and ((theta[-1] <= lo and g[-1] < 0) or (theta[-1] >= hi and g[-1] > 0)):
            free[-1] = False
        neg = -h[np.ix_(free, free)]
        shift = 0.0
        while True:
            try:
                chol = np.linalg.cholesky(neg + shift * np.eye(len(neg)))
                break
            except np.linalg.LinAlgError:
                shift = max(2 * shift, 1e-6 * max(1.0, float(np.abs(np.diag(neg)).max())))
        step = np.zeros(len(g))
        step[free] = np.linalg.solve(chol.T, np.linalg.solve(chol, g[free]))
        decrement = float(g @ step)
        if decrement < tol:
            return theta, True, it
        t = 1.0
        while t > 1e-10:
            cand = theta + t * step
            if bound_last:
                cand[-1] = min(max(cand[-1], lo), hi)
            ll_c = f(cand)
            if np.isfinite(ll_c) and ll_c >= ll - 1e-12 * max(1.0, abs(ll)):
                break
            t /= 2
        else:  # no step gains: converged only if nothing was left to gain beyond rounding
            return theta, decrement < 1e-8 * max(1.0, abs(ll)), it
        theta, ll = cand, ll_c
    return theta, False, max_iter


def _sandwich(bread_inv: np.ndarray, scores: np.ndarray, groups: np.ndarray | None) -> np.ndarray:
    if groups is None:
        per = scores
    else:
        _, idx = np.unique(groups, return_inverse=True)
        per = np.zeros((int(idx.max()) + 1, scores.shape[1]))
        np.add.at(per, idx, scores)
    g = per.shape[0]
    meat = per.T @ per * (g / (g - 1) if g > 1 else np.nan)
    return bread_inv @ meat @ bread_inv


def fit_nb2(y: np.ndarray, x: np.ndarray, offset: np.ndarray | None = None,
            weight: np.ndarray | None = None, groups: np.ndarray | None = None,
            max_iter: int = 200, tol: float = 1e-14) -> NB2Fit:
    """Fit NB2 by weighted maximum likelihood; see the module notes for the covariance."""
    y = np.asarray(y, float)
    x = np.asarray(x, float)
    n, p = x.shape
    off = np.zeros(n) if offset is None else np.asarray(offset, float)
    w = np.ones(n) if weight is None else np.asarray(weight, float)
    # start: intercept at the pooled rate, ln α from the moments of the pooled Poisson fit
    theta = np.zeros(p + 1)
    const = np.flatnonzero(np.all(x == 1, axis=0))
    mean_rate = np.sum(w * y) / np.sum(w * np.exp(off))
    if len(const):
        theta[const[0]] = np.log(max(mean_rate, 1e-12))
    mu0 = mean_rate * np.exp(off)
    mom = np.sum(w * ((y - mu0) ** 2 - y)) / np.sum(w * mu0**2)
    theta[-1] = min(np.log(mom), _LN_ALPHA_BOUNDS[1]) if mom > np.exp(LN_ALPHA_FLOOR) else -2.0

    def f(t: np.ndarray) -> float:
        return float(np.sum(w * loglike_obs(t, y, x, off)))

    def grad_hess(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (w[:, None] * score_obs(t, y, x, off)).sum(axis=0), hessian(t, y, x, off, w)

    theta, converged, iters = _newton(f, grad_hess, theta, max_iter, tol, bound_last=True)
    at_floor = bool(theta[-1] < LN_ALPHA_FLOOR)
    if at_floor:  # no overdispersion: β with α held at the floor
        theta[-1] = LN_ALPHA_FLOOR

        def f_b(b: np.ndarray) -> float:
            return f(np.r_[b, LN_ALPHA_FLOOR])

        def gh_b(b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            g, h = grad_hess(np.r_[b, LN_ALPHA_FLOOR])
            return g[:p], h[:p, :p]

        b, converged, more = _newton(f_b, gh_b, theta[:p], max_iter, tol)
        theta, iters = np.r_[b, LN_ALPHA_FLOOR], iters + more
    scores = w[:, None] * score_obs(theta, y, x, off)
    h = hessian(theta, y, x, off, w)
    keep = slice(0, p) if at_floor else slice(0, p + 1)
    try:
        bread_inv = np.linalg.inv(-h[keep, keep])
    except np.linalg.LinAlgError:
        bread_inv = np.full((h[keep, keep].shape), np.nan)
    cov = _sandwich(bread_inv, scores[:, keep], groups)
    return NB2Fit(params=theta[:p].copy(), alpha=0.0 if at_floor else float(np.exp(theta[-1])), cov=cov,
                  loglike=f(theta), converged=converged, at_floor=at_floor, iterations=iters)
