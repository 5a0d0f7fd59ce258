"""Entropy-balancing calibration of matched control weights (Hainmueller 2012, Political
Analysis 20:25).

After nearest-neighbour matching the matched controls' covariate means still differ a little
from the treated means — for rare services (a mental-health stay, temporary accommodation)
one mismatched set moves the SMD past 0.1. Entropy balancing reweights the controls, staying
as close as possible (in Kullback–Leibler divergence) to their matching weights ``w0``, so
that the weighted control mean of every covariate equals the treated mean exactly:

    w_i = w0_i · exp(λ · z_i) / Σ_j w0_j · exp(λ · z_j)

where ``λ`` minimises the convex dual ``log Σ_i w0_i exp(λ · (z_i − m_t))`` (Newton's method;
``z`` standardised covariates, ``m_t`` the treated means). The weights keep the total of
``w0``; the DiD uses them as the controls' ``weight`` column.

With a tolerance ``δ`` > 0 (approximate balance; Zubizarreta 2015, JASA 110:910, and for the
entropy form Wang & Zubizarreta 2020, Biometrika 107:93) each weighted control mean need only
lie within ``δ`` standard deviations of the treated mean: the weights stay nearer their
matching weights (a larger effective number of controls, so a less noisy estimate) where exact
equality would stretch them. Its dual adds ``δ · Σ|λ_j|`` to the one above; a covariate whose
constraint is slack keeps ``λ_j = 0`` (solved by accelerated proximal gradient, FISTA: Beck &
Teboulle 2009).
"""

from __future__ import annotations

import numpy as np


def _standardised(x_control: np.ndarray, target: np.ndarray, base: np.ndarray,
                  scale: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """The covariates that vary, centred on ``target`` and divided by ``scale`` (default:
    their standard deviation among the controls), and the base weights as shares: ``(z, q)``;
    ``z`` has no columns when nothing varies. ``None`` when no weights can balance: no
    controls, no base weight, or a covariate every control shares whose value is not the
    target."""
    x = np.asarray(x_control, float)
    base = np.asarray(base, float)
    if x.ndim != 2 or len(x) == 0 or base.sum() <= 0:
        return None
    scale = x.std(axis=0) if scale is None else np.asarray(scale, float)
    target = np.asarray(target, float)
    keep = scale > 1e-12
    # a covariate every control shares: balanced only if the treated mean is that value too
    if np.any(np.abs(x[0, ~keep] - target[~keep]) > 1e-9 * np.maximum(1.0, np.abs(target[~keep]))):
        return None
    return (x[:, keep] - target[keep]) / scale[keep], base / base.sum()


def _tilted(z: np.ndarray, q: np.ndarray, multipliers: np.ndarray) -> tuple[float, np.ndarray]:
    """The dual's log-partition ``log Σ q_i exp(λ · z_i)`` (computed without overflow) and the
    weights it gives, ``q_i exp(λ · z_i)`` normalised."""
    eta = z @ multipliers
    top = eta.max() if len(eta) else 0.0
    e = q * np.exp(eta - top)
    return float(np.log(e.sum()) + top), e / e.sum()


def entropy_weights(
    x_control: np.ndarray,
    target: np.ndarray,
    base: np.ndarray,
    max_iter: int = 200,
    tol: float = 1e-9,
    ridge: float = 1e-8,
) -> np.ndarray | None:
    """Weights (same total as ``base``) whose weighted mean of ``x_control`` equals
    ``target``; ``None`` when the moment conditions cannot be met (the target outside the
    controls' convex hull) or Newton's method does not converge."""
    prepared = _standardised(x_control, target, base)
    if prepared is None:
        return None
    z, q = prepared
    base = np.asarray(base, float)
    if not z.shape[1]:  # nothing varies, and every constant matches: the weights as they are
        return base.copy()
    lam = np.zeros(z.shape[1])
    value, w = _tilted(z, q, lam)
    for _ in range(max_iter):
        grad = w @ z
        if np.max(np.abs(grad)) < tol:
            return w * base.sum()
        centred = z - grad
        hess = (centred * w[:, None]).T @ centred + ridge * np.eye(len(lam))
        step = np.linalg.solve(hess, grad)
        t = 1.0
        while t > 1e-10:  # backtracking line search on the convex dual
            new_value, new_w = _tilted(z, q, lam - t * step)
            if new_value <= value - 1e-4 * t * float(grad @ step):
                break
            t /= 2.0
        else:
            return None
        lam, value, w = lam - t * step, new_value, new_w
    grad = w @ z
    return w * base.sum() if np.max(np.abs(grad)) < 1e-6 else None


def tolerant_entropy_weights(
    x_control: np.ndarray,
    target: np.ndarray,
    base: np.ndarray,
    scale: np.ndarray,
    tolerance: float,
    max_iter: int = 20000,
    tol: float = 1e-7,
) -> np.ndarray | None:
    """Weights (same total as ``base``) nearest ``base`` in Kullback–Leibler divergence whose
    weighted mean of each column of ``x_control`` is within ``tolerance`` × ``scale`` of
    ``target`` (``scale``: each covariate's standard deviation; a column with none must equal
    its target already). ``None`` when no such weights are found."""
    prepared = _standardised(x_control, target, base, scale)
    if prepared is None:
        return None
    z, q = prepared
    base = np.asarray(base, float)
    if not z.shape[1]:
        return base.copy()

    def smooth(lam: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        value, w = _tilted(z, q, lam)
        return value, w @ z, w

    def shrink(v: np.ndarray, t: float) -> np.ndarray:  # the proximal step of t·δ·Σ|λ|
        return np.sign(v) * np.maximum(np.abs(v) - t * tolerance, 0.0)

    lam = np.zeros(z.shape[1])
    ahead, momentum = lam.copy(), 1.0
    step = 1.0 / max(float((z**2).sum(axis=1).max()), 1e-12)  # 1 / a bound on the gradient's Lipschitz constant
    for _ in range(max_iter):
        f_ahead, g_ahead, _ = smooth(ahead)
        while True:  # backtracking: the quadratic bound must hold at the step
            new = shrink(ahead - step * g_ahead, step)
            f_new, g_new, w = smooth(new)
            d = new - ahead
            if f_new <= f_ahead + g_ahead @ d + (d @ d) / (2 * step) + 1e-15:
                break
            step /= 2.0
        # optimality: the weighted mean gap is −δ·sign(λ) where λ ≠ 0 and within ±δ where λ = 0
        gap = np.where(new != 0, np.abs(g_new + tolerance * np.sign(new)), np.maximum(np.abs(g_new) - tolerance, 0.0))
        if gap.max() < tol:
            return w * base.sum()
        nxt = (1.0 + np.sqrt(1.0 + 4.0 * momentum**2)) / 2.0
        ahead = new + ((momentum - 1.0) / nxt) * (new - lam)
        lam, momentum = new, nxt
    return None
