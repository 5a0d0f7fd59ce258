"""Uncertain inputs: any number in a CBA model may be a probability distribution.

In YAML a number is written plainly (``0.2``) or as a distribution
(``{dist: beta, alpha: 2, beta: 8}``). Parameters are checked when the model is read, so no
calculation ever starts from an impossible distribution. Draws come from a generator made by
:func:`carecase.core.random.generator`, so the
same seed and stream always give the same draws; draws use numpy's native samplers and
percentiles (tornado) use scipy's ``ppf`` of the same distribution.

Families and parameters (all on the natural scale of the input):

- ``normal``: mean, sd (sd ≥ 0)
- ``lognormal``: mean > 0, sd ≥ 0 of the variable itself (converted to log-scale mu, sigma)
- ``beta``: alpha > 0, beta > 0 (support 0–1)
- ``gamma``: shape > 0, scale > 0
- ``triangular``: min ≤ mode ≤ max, min < max
- ``uniform``: min < max
- ``pert``: min ≤ mode ≤ max, min < max, lambda > 0 (default 4; Vose 2008, *Risk Analysis*)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from scipy import stats

FAMILIES: dict[str, tuple[tuple[str, ...], dict[str, float]]] = {
    "normal": (("mean", "sd"), {}),
    "lognormal": (("mean", "sd"), {}),
    "beta": (("alpha", "beta"), {}),
    "gamma": (("shape", "scale"), {}),
    "triangular": (("min", "mode", "max"), {}),
    "uniform": (("min", "max"), {}),
    "pert": (("min", "mode", "max"), {"lambda": 4.0}),
}


@dataclass(frozen=True)
class Distribution:
    """A validated distribution; ``params`` holds floats keyed as in the YAML."""

    dist: str
    params: dict[str, float] = field(default_factory=dict)

    # ---------------------------------------------------------------- scipy view
    def _frozen(self) -> Any:
        p = self.params
        if self.dist == "normal":
            return stats.norm(loc=p["mean"], scale=max(p["sd"], 0.0))
        if self.dist == "lognormal":
            s2 = math.log1p((p["sd"] / p["mean"]) ** 2)
            return stats.lognorm(s=math.sqrt(s2), scale=math.exp(math.log(p["mean"]) - s2 / 2))
        if self.dist == "beta":
            return stats.beta(p["alpha"], p["beta"])
        if self.dist == "gamma":
            return stats.gamma(p["shape"], scale=p["scale"])
        if self.dist == "triangular":
            width = p["max"] - p["min"]
            return stats.triang((p["mode"] - p["min"]) / width, loc=p["min"], scale=width)
        if self.dist == "uniform":
            return stats.uniform(loc=p["min"], scale=p["max"] - p["min"])
        lam, width = p["lambda"], p["max"] - p["min"]
        a = 1 + lam * (p["mode"] - p["min"]) / width
        b = 1 + lam * (p["max"] - p["mode"]) / width
        return stats.beta(a, b, loc=p["min"], scale=width)

    @cached_property
    def mean(self) -> float:
        p = self.params
        if self.dist == "normal" and p["sd"] == 0:
            return p["mean"]
        if self.dist == "lognormal":
            return p["mean"]
        return float(self._frozen().mean())

    def ppf(self, q: np.ndarray | float) -> np.ndarray:
        q = np.asarray(q, dtype=float)
        if self.dist in ("normal", "lognormal") and self.params["sd"] == 0:
            return np.full(q.shape, self.params["mean"])
        return np.asarray(self._frozen().ppf(q), dtype=float)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` draws from numpy's native samplers (fast; reproducible for a seeded rng)."""
        p = self.params
        if self.dist == "normal":
            return rng.normal(p["mean"], p["sd"], n)
        if self.dist == "lognormal":
            s2 = math.log1p((p["sd"] / p["mean"]) ** 2)
            return rng.lognormal(math.log(p["mean"]) - s2 / 2, math.sqrt(s2), n)
        if self.dist == "beta":
            return rng.beta(p["alpha"], p["beta"], n)
        if self.dist == "gamma":
            return rng.gamma(p["shape"], p["scale"], n)
        if self.dist == "triangular":
            return rng.triangular(p["min"], p["mode"], p["max"], n)
        if self.dist == "uniform":
            return rng.uniform(p["min"], p["max"], n)
        lam, width = p["lambda"], p["max"] - p["min"]
        a = 1 + lam * (p["mode"] - p["min"]) / width
        b = 1 + lam * (p["max"] - p["mode"]) / width
        return p["min"] + width * rng.beta(a, b, n)

    @property
    def support(self) -> tuple[float, float]:
        p = self.params
        if self.dist == "normal":
            return (-math.inf, math.inf) if p["sd"] > 0 else (p["mean"], p["mean"])
        if self.dist in ("lognormal", "gamma"):
            return (0.0, math.inf)
        if self.dist == "beta":
            return (0.0, 1.0)
        return (p["min"], p["max"])

    def describe(self) -> str:
        inner = ", ".join(f"{k}={v:g}" for k, v in sorted(self.params.items()))
        return f"{self.dist}({inner})"

    def to_json(self) -> dict[str, Any]:
        return {"dist": self.dist, **self.params}


Param = float | Distribution


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def parse_param(value: Any) -> Param:
    """A plain number or a ``{dist: ..., ...}`` mapping → float or :class:`Distribution`.

    Raises ``ValueError`` with what is allowed (pydantic turns it into a message naming the
    key path and the value).
    """
    if isinstance(value, Distribution):
        return value
    if isinstance(value, bool):
        raise ValueError("expected a number or a distribution, not true/false")
    if isinstance(value, int | float):
        if not math.isfinite(float(value)):
            raise ValueError("expected a finite number")
        return float(value)
    if not isinstance(value, dict):
        if isinstance(value, str) and _looks_numeric(value):  # YAML 1.1 reads 2.5e4 as text
            raise ValueError(f"{value!r} was read as text, not a number (YAML needs a sign in the "
                             "exponent): write it in full (25000) or as 2.5e+4")
        raise ValueError(
            "expected a number or a distribution such as {dist: normal, mean: 10, sd: 2}"
        )
    kind = value.get("dist")
    if kind not in FAMILIES:
        raise ValueError(
            f"unknown distribution {kind!r}; allowed: {', '.join(sorted(FAMILIES))}"
        )
    required, optional = FAMILIES[kind]
    extra = sorted(set(value) - {"dist", *required, *optional})
    if extra:
        raise ValueError(
            f"{kind} distribution does not take {', '.join(extra)}; "
            f"it takes {', '.join(required + tuple(optional))}"
        )
    missing = [k for k in required if k not in value]
    if missing:
        raise ValueError(f"{kind} distribution needs {', '.join(missing)}")
    params: dict[str, float] = dict(optional)
    for k in (*required, *optional):
        if k in value:
            v = value[k]
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise ValueError(f"{kind} parameter {k} must be a finite number, got {v!r}")
            params[k] = float(v)
    _check(kind, params)
    return Distribution(kind, params)


def _check(kind: str, p: dict[str, float]) -> None:
    def need(ok: bool, what: str) -> None:
        if not ok:
            shown = ", ".join(f"{k}={v:g}" for k, v in p.items())
            raise ValueError(f"invalid {kind} distribution ({shown}): {what}")

    if kind == "normal":
        need(p["sd"] >= 0, "sd must be ≥ 0")
    elif kind == "lognormal":
        need(p["mean"] > 0, "mean must be > 0")
        need(p["sd"] >= 0, "sd must be ≥ 0")
    elif kind == "beta":
        need(p["alpha"] > 0 and p["beta"] > 0, "alpha and beta must be > 0")
    elif kind == "gamma":
        need(p["shape"] > 0 and p["scale"] > 0, "shape and scale must be > 0")
    elif kind == "uniform":
        need(p["min"] < p["max"], "min must be < max")
    else:
        need(p["min"] < p["max"], "min must be < max")
        need(p["min"] <= p["mode"] <= p["max"], "need min ≤ mode ≤ max")
        if kind == "pert":
            need(p["lambda"] > 0, "lambda must be > 0")


def central(value: Param) -> float:
    """The value used in the deterministic base case: the number, or the distribution's mean."""
    return value.mean if isinstance(value, Distribution) else float(value)


def check_bounds(value: Param, low: float, high: float, what: str) -> Param:
    """Refuse a number, or a distribution whose support, outside ``[low, high]``."""
    lo, hi = value.support if isinstance(value, Distribution) else (value, value)
    if lo < low or hi > high:
        rng = f"{low:g}–{high:g}" if math.isfinite(high) else f"≥ {low:g}"
        if isinstance(value, Distribution):
            must = f"must lie in {rng}" if math.isfinite(high) else f"must be {rng}"
            raise ValueError(
                f"{what} {must}, but a {value.dist} distribution ranges "
                f"{lo:g} to {hi:g}; use a bounded one (beta, uniform, triangular or pert"
                f"{'' if math.isfinite(high) else ', lognormal or gamma'}) within {rng}"
            )
        raise ValueError(f"{what} must lie in {rng}" if math.isfinite(high) else f"{what} must be {rng}")
    return value
