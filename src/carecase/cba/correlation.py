"""Correlation matrices: positive semi-definiteness and the nearest correlation matrix.

A correlation matrix estimated from few data (the services' effects over a cluster bootstrap
of three matched sets) can be singular, and once rounded (effects.json keeps six decimals)
slightly indefinite: a smallest eigenvalue of −3e−7 where a valid matrix has ≥ 0. Such a
matrix is replaced by the nearest correlation matrix in the Frobenius norm, computed by
alternating projections with Dykstra's correction (Higham 2002, Algorithm 3.3 with W = I):
project onto the positive semi-definite matrices (eigenvalues below 0 set to 0), then onto the
matrices with a unit diagonal, until the two iterates agree.

Reference: Higham NJ (2002). Computing the nearest correlation matrix — a problem from finance.
IMA Journal of Numerical Analysis 22(3):329–343. doi:10.1093/imanum/22.3.329
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# the tolerance carecase.cba.checks.check_correlations refuses a matrix below
PSD_TOLERANCE = 1e-8


@dataclass(frozen=True)
class Nearest:
    """Result of :func:`nearest_correlation`: the matrix, iterations run, and whether the
    iterates agreed to ``tol`` within ``max_iter``."""

    matrix: np.ndarray
    iterations: int
    converged: bool


def smallest_eigenvalue(matrix: np.ndarray) -> float:
    """The smallest eigenvalue of the symmetric part of ``matrix``."""
    m = np.asarray(matrix, float)
    return float(np.linalg.eigvalsh((m + m.T) / 2).min())


def is_psd(matrix: np.ndarray, tol: float = PSD_TOLERANCE) -> bool:
    """Whether ``matrix`` is positive semi-definite to ``tol`` (smallest eigenvalue ≥ −tol)."""
    return smallest_eigenvalue(matrix) >= -tol


def _psd_part(m: np.ndarray) -> np.ndarray:
    """Projection onto the positive semi-definite matrices: negative eigenvalues → 0."""
    w, v = np.linalg.eigh((m + m.T) / 2)
    out = (v * np.maximum(w, 0.0)) @ v.T
    return (out + out.T) / 2


def _unit_diagonal(m: np.ndarray) -> np.ndarray:
    """Projection onto the symmetric matrices with a unit diagonal."""
    out = m.copy()
    np.fill_diagonal(out, 1.0)
    return out


def _finish(y: np.ndarray) -> np.ndarray:
    """A converged iterate made exactly valid: its PSD part rescaled to a unit diagonal
    (D^-1/2 X D^-1/2 stays PSD), symmetric, entries in −1…1. Moves entries by about the
    convergence tolerance."""
    x = _psd_part(y)
    d = np.sqrt(np.clip(np.diag(x), np.finfo(float).tiny, None))
    x = x / np.outer(d, d)
    x = np.clip((x + x.T) / 2, -1.0, 1.0)
    np.fill_diagonal(x, 1.0)
    return x


def nearest_correlation(a: np.ndarray, tol: float = 1e-12, max_iter: int = 10_000) -> Nearest:
    """The nearest correlation matrix to the symmetric matrix ``a`` (Frobenius norm; Higham
    2002, Algorithm 3.3, W = I). Stops when the relative changes of both iterates and their
    relative difference are all ≤ ``tol`` (Higham's own test). A correlation matrix is
    returned unchanged (to rounding)."""
    y = (np.asarray(a, float) + np.asarray(a, float).T) / 2
    x = y.copy()
    correction = np.zeros_like(y)
    for k in range(1, max_iter + 1):
        r = y - correction
        x_new = _psd_part(r)
        correction = x_new - r
        y_new = _unit_diagonal(x_new)
        change = max(np.linalg.norm(x_new - x) / np.linalg.norm(x_new),
                     np.linalg.norm(y_new - y) / np.linalg.norm(y_new),
                     np.linalg.norm(y_new - x_new) / np.linalg.norm(y_new))
        x, y = x_new, y_new
        if change <= tol:
            return Nearest(_finish(y), k, True)
    return Nearest(_finish(y), max_iter, False)
