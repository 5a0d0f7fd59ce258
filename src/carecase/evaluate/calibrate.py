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
"""

from __future__ import annotations

import numpy as np


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
    x = np.asarray(x_control, float)
    base = np.asarray(base, float)
    if x.ndim != 2 or len(x) == 0 or base.sum() <= 0:
        return None
    sd = x.std(axis=0)
    keep = sd > 1e-12
    target = np.asarray(target, float)
    # a covariate every control shares: balanced only if the treated mean is that value too
    if np.any(np.abs(x[0, ~keep] - target[~keep]) > 1e-9 * np.maximum(1.0, np.abs(target[~keep]))):
        return None
    if not keep.any():  # nothing varies, and every constant matches: the weights as they are
        return base.copy()
    z = (x[:, keep] - target[keep]) / sd[keep]
    q = base / base.sum()
    lam = np.zeros(z.shape[1])

    def dual(multipliers: np.ndarray) -> tuple[float, np.ndarray]:
        eta = z @ multipliers
        top = eta.max() if len(eta) else 0.0
        e = q * np.exp(eta - top)
        return float(np.log(e.sum()) + top), e / e.sum()

    value, w = dual(lam)
    for _ in range(max_iter):
        grad = w @ z
        if np.max(np.abs(grad)) < tol:
            return w * base.sum()
        centred = z - grad
        hess = (centred * w[:, None]).T @ centred + ridge * np.eye(len(lam))
        step = np.linalg.solve(hess, grad)
        t = 1.0
        while t > 1e-10:  # backtracking line search on the convex dual
            new_value, new_w = dual(lam - t * step)
            if new_value <= value - 1e-4 * t * float(grad @ step):
                break
            t /= 2.0
        else:
            return None
        lam, value, w = lam - t * step, new_value, new_w
    grad = w @ z
    return w * base.sum() if np.max(np.abs(grad)) < 1e-6 else None
