"""Uncertainty: Monte Carlo, one-way sensitivity (tornado), switching values.

Monte Carlo draws every distribution-valued input from its own seeded stream
(``generator(seed, "cba", path)``), keyed by the input's path, independently except for the
model's ``correlations`` groups (normal inputs combined through the Cholesky factor of their
correlation matrix, as the evaluated effects of services that share people come), then runs
the vectorised engine once over all draws. Paths hold list positions (``costs[2].amount``), so appending a cost,
outcome or value, or making a fixed number a distribution, keeps every other input's draws;
inserting or removing an entry earlier in a list renumbers the paths after it, and those
inputs get new draws (the same seed, a different stream). The tornado runs one batch of 2 × inputs
rows (each input at its low and high, the rest at their central values). Switching values
solve NPV(x) = 0 with ``scipy.optimize.brentq`` over the input's search range.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import brentq

from carecase.cba.config import MAX_DRAWS, MIN_DRAWS
from carecase.cba.distributions import Distribution
from carecase.cba.engine import Plan, Totals, ratio, run_values
from carecase.cba.inputs import InputSpec
from carecase.core.errors import CBAError
from carecase.core.random import generator

PERCENTILES = (1, 5, 10, 25, 50, 75, 90, 95, 99)


def sample_inputs(plan: Plan, draws: int, seed: int) -> dict[str, np.ndarray]:
    values: dict[str, np.ndarray] = {}
    for s in plan.inputs:
        if isinstance(s.value, Distribution):
            values[s.path] = s.value.sample(generator(seed, "cba", s.path), draws)
        else:
            values[s.path] = np.full(draws, s.central)
    specs = {s.path: s.value for s in plan.inputs}
    for group in plan.model.correlations:
        correlate(values, {p: specs[p] for p in group.inputs}, np.asarray(group.matrix, float))
    return values


def correlate(values: dict[str, np.ndarray], normals: dict[str, Any], matrix: np.ndarray) -> None:
    """Make the normal inputs ``normals`` (path → Distribution, in the matrix's order) jointly
    normal with correlation ``matrix``, in place: each input's own standard normal draws
    z = (x − mean)/sd are combined as L z, L the lower Cholesky factor, so the first input's
    draws are unchanged (to rounding) and every input keeps its mean and sd. An input with
    sd 0 is a constant: its correlations are set to 0 before factoring, else its z of 0 would
    take the share ρ² of each partner's variance away (sd 50 drawn as 30 at ρ = 0.8)."""
    paths = list(normals)
    mean = np.array([normals[p].params["mean"] for p in paths])
    sd = np.array([normals[p].params["sd"] for p in paths])
    z = np.stack([values[p] for p in paths], axis=1)
    constant = ~(sd > 0)
    safe = np.where(constant, 1.0, sd)
    z = (z - mean) / safe
    k = len(paths)
    matrix = np.where(constant[:, None] | constant[None, :], np.eye(k), matrix)
    try:
        factor = np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError:  # semi-definite (two inputs perfectly correlated): a tiny ridge
        factor = np.linalg.cholesky(matrix + 1e-12 * np.eye(k))
    joint = z @ factor.T
    for j, p in enumerate(paths):
        values[p] = mean[j] + sd[j] * joint[:, j]


@dataclass
class Draws:
    """Per-draw results of a Monte Carlo run (the year-by-year flows are not kept)."""

    npv: np.ndarray
    pv_costs: np.ndarray
    pv_public_value: np.ndarray
    agency_net_pv: np.ndarray  # (D, A)
    payback_year: np.ndarray


#: Most array cells (draws × (components × 3 + cost items + agencies × 11) × years: the
#: flows, each component discounted, and Totals' undiscounted and discounted aggregates) evaluated at
#: once; larger runs go in chunks of draws, so memory stays bounded (same draws either way).
CHUNK_CELLS = 20_000_000


def monte_carlo(plan: Plan, draws: int | None = None, seed: int | None = None) -> Draws:
    mc = plan.model.monte_carlo
    if draws is not None and not MIN_DRAWS <= draws <= MAX_DRAWS:
        raise CBAError(f"draws = {draws}: Monte Carlo draws must lie in {MIN_DRAWS:,}–"
                       f"{MAX_DRAWS:,}; give another number, or leave it out to use the "
                       f"model's monte_carlo.draws ({mc.draws:,}).")
    n = draws or mc.draws
    values = sample_inputs(plan, n, mc.seed if seed is None else seed)
    width = (3 * len(plan.components) + len(plan.model.costs) + 11 * len(plan.agencies)) * plan.years
    step = max(1, CHUNK_CELLS // max(width, 1))
    names = [f.name for f in dataclasses.fields(Draws)]
    parts: list[list[np.ndarray]] = []
    for start in range(0, n, step):
        t = run_values(plan, {k: v[start : start + step] for k, v in values.items()})
        parts.append([getattr(t, name) for name in names])
        del t  # let the chunk's year flows go before the next chunk is evaluated (peak memory)
    return Draws(*(np.concatenate(column) for column in zip(*parts, strict=True)))


def summarise(x: np.ndarray, bins: int) -> dict[str, Any]:
    x = np.asarray(x, dtype=float)
    pct = np.percentile(x, PERCENTILES)
    counts, edges = np.histogram(x, bins=bins)
    return {
        "mean": float(x.mean()), "sd": float(x.std(ddof=1)) if x.size > 1 else 0.0,
        "min": float(x.min()), "max": float(x.max()),
        "percentiles": {f"p{p}": float(v) for p, v in zip(PERCENTILES, pct, strict=True)},
        "histogram": {"edges": [float(e) for e in edges], "counts": [int(c) for c in counts]},
    }


def monte_carlo_summary(plan: Plan, t: Draws | Totals) -> dict[str, Any]:
    bins = plan.model.monte_carlo.histogram_bins
    bcr = ratio(t.pv_public_value, t.pv_costs)
    return {
        "npv_draws": {"draws": int(t.npv.size), "seed": plan.model.monte_carlo.seed,
                      **summarise(t.npv, bins)},
        "p_npv_positive": float(np.mean(t.npv > 0)),
        "bcr_draws": summarise(bcr[np.isfinite(bcr)], bins) if np.isfinite(bcr).any() else None,
        "agency_draws": {a: summarise(t.agency_net_pv[:, k], bins)
                         for k, a in enumerate(plan.agencies)},
        "p_payback_within_period": float(np.mean(t.payback_year >= 0)),
    }


def sensitivity_range(s: InputSpec, swing: float) -> tuple[float, float, str]:
    """(low, high, basis): the 10th/90th percentiles of a distribution, else ±swing."""
    if isinstance(s.value, Distribution):
        lo, hi = (float(v) for v in s.value.ppf(np.array([0.1, 0.9])))
        basis = "p10/p90"
    else:
        c = s.central
        lo, hi = sorted((c * (1 - swing), c * (1 + swing)))
        basis = f"±{swing:.0%}"
    return max(lo, s.low), min(hi, s.high), basis


def tornado(plan: Plan) -> list[dict[str, Any]]:
    specs = plan.inputs
    n = len(specs)
    ranges = [sensitivity_range(s, plan.model.sensitivity_swing) for s in specs]
    values = {s.path: np.full(2 * n, s.central) for s in specs}
    for i, (s, (lo, hi, _)) in enumerate(zip(specs, ranges, strict=True)):
        values[s.path][2 * i] = lo
        values[s.path][2 * i + 1] = hi
    npv = run_values(plan, values).npv
    rows: list[dict[str, Any]] = []
    for i, (s, (lo, hi, basis)) in enumerate(zip(specs, ranges, strict=True)):
        rows.append({
            "path": s.path, "label": s.label, "base": s.central, "low": lo, "high": hi,
            "basis": basis, "npv_low": float(npv[2 * i]), "npv_high": float(npv[2 * i + 1]),
            "swing": float(abs(npv[2 * i + 1] - npv[2 * i])),
        })
    rows.sort(key=lambda r: (-r["swing"], r["path"]))
    return rows


def search_range(s: InputSpec) -> tuple[float, float]:
    """Where a switching value is sought: the allowed range; unbounded sides are capped at
    10 × |central| (at least 1), widened to the distribution's 0.1–99.9th percentiles."""
    c = abs(s.central)
    span = max(10.0 * c, 1.0)
    lo = s.low if math.isfinite(s.low) else -span
    hi = s.high if math.isfinite(s.high) else span
    if isinstance(s.value, Distribution):
        q = s.value.ppf(np.array([0.001, 0.999]))
        lo = lo if math.isfinite(s.low) else min(lo, float(q[0]))
        hi = hi if math.isfinite(s.high) else max(hi, float(q[1]))
    return lo, hi


def npv_at(plan: Plan, path: str, x: float, base: dict[str, np.ndarray] | None = None) -> float:
    values = dict(base or plan.central_values())
    values[path] = np.array([x])
    return float(run_values(plan, values).npv[0])


#: Doublings of an unbounded side when the plausible range holds no switching value: up to
#: 2^40 × the span, so that a cost of £20,000 whose NPV crosses zero at £738,672 (37 × its
#: base, beyond the 10× range) is found, and a placeholder cost of £0 too.
MAX_DOUBLINGS = 40


def switching_value(plan: Plan, s: InputSpec) -> dict[str, Any]:
    base = plan.central_values()
    lo, hi = search_range(s)
    f_lo, f_hi = npv_at(plan, s.path, lo, base), npv_at(plan, s.path, hi, base)
    plausible = (lo, hi)
    for _ in range(MAX_DOUBLINGS):  # widen an unbounded side until NPV changes sign
        if f_lo == 0 or f_hi == 0 or (f_lo > 0) != (f_hi > 0):
            break
        if math.isfinite(s.low) and math.isfinite(s.high):
            break
        if not math.isfinite(s.high):
            hi = s.central + 2.0 * (hi - s.central) if hi > s.central else 2.0 * max(abs(hi), 1.0)
            f_hi = npv_at(plan, s.path, hi, base)
        if not math.isfinite(s.low) and (f_lo > 0) == (f_hi > 0):
            lo = s.central - 2.0 * (s.central - lo) if lo < s.central else -2.0 * max(abs(lo), 1.0)
            f_lo = npv_at(plan, s.path, lo, base)
    row: dict[str, Any] = {"path": s.path, "label": s.label, "base": s.central,
                           "search_low": lo, "search_high": hi}
    if f_lo == 0 or f_hi == 0:
        x = lo if f_lo == 0 else hi
    elif (f_lo > 0) == (f_hi > 0):
        return {**row, "value": None, "status": "none in range", "change": None}
    else:
        x = brentq(lambda z: npv_at(plan, s.path, z, base), lo, hi, xtol=1e-12,
                   rtol=4 * np.finfo(float).eps, maxiter=500)
    change = (x - s.central) / s.central if s.central else None
    status = "found" if plausible[0] <= x <= plausible[1] else "found beyond the plausible range"
    return {**row, "value": float(x), "status": status, "change": change,
            "npv_at_value": npv_at(plan, s.path, x, base)}


def switching_values(plan: Plan) -> list[dict[str, Any]]:
    return [switching_value(plan, s) for s in plan.inputs]
