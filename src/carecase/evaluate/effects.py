"""``effects.json``: what the CBA consumes — per post window, per service and agency, the
matched effect per person per year (events, units, £) with its 95% CI, for a service the rate
ratio with its CI and ``note`` (from the first of ``evaluation.rate_models``; agencies and the
total have none) and the naive estimate beside it.
Negative effects are reductions in use/cost."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from carecase.core.services import BY_CODE, Catalogue
from carecase.evaluate.config import EvaluationConfig
from carecase.evaluate.ratemodels import METHOD


def _num(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return round(f, 6) if math.isfinite(f) else None


def _count(v: Any) -> int | None:
    f = _num(v)
    return None if f is None else int(f)


def effects_payload(matched: pd.DataFrame, naive: pd.DataFrame, rr: pd.DataFrame,
                    meta: dict[str, Any], cfg: EvaluationConfig,
                    correlations: dict[str, pd.DataFrame] | None = None,
                    fiscal_shares: dict[str, float] | None = None,
                    units: dict[str, str] | None = None,
                    catalogue: Catalogue = BY_CODE) -> dict[str, Any]:
    """The payload; ``correlations`` (per window, services' £ effects over the bootstrap
    draws) becomes each window's ``cost_correlation`` ({services, matrix}), which the CBA uses
    to draw the services' benefits jointly; ``fiscal_shares`` (per service, the fiscal part of
    its £, :func:`carecase.evaluate.costing.fiscal_shares`) becomes each service's
    ``fiscal_share``, so the CBA books the rest to the Individual; ``units`` (per service,
    what its units measure counts, :func:`carecase.evaluate.costing.measured_units`) its ``unit``;
    ``catalogue`` (the project's services) each service's agency and, failing ``units``, unit."""
    key = ["window", "key_type", "key", "measure"]
    merged = matched.merge(
        naive[key + ["change_ppy", "ci_low", "ci_high"]].rename(
            columns={"change_ppy": "naive_ppy", "ci_low": "naive_ci_low", "ci_high": "naive_ci_high"}),
        on=key, how="left")
    rate_model = cfg.rate_models[0]
    if len(rr):
        rr = rr[rr["model"] == rate_model]
    if len(rr) and "note" not in rr.columns:
        rr = rr.assign(note="")
    merged = merged.merge(rr[key + ["rate_ratio", "rr_ci_low", "rr_ci_high", "note"]], on=key, how="left") \
        if len(rr) else merged.assign(rate_ratio=None, rr_ci_low=None, rr_ci_high=None, note=None)
    windows: dict[str, Any] = {}
    for (window, key_type, k), g in merged.groupby(["window", "key_type", "key"], sort=True):
        entry: dict[str, Any] = {}
        for row in g.itertuples(index=False):
            entry[f"{row.measure}_ppy"] = {
                "effect": _num(row.effect_ppy), "ci_low": _num(row.ci_low), "ci_high": _num(row.ci_high),
                "mde": _num(row.mde_ppy),
                "naive": _num(row.naive_ppy), "naive_ci_low": _num(row.naive_ci_low),
                "naive_ci_high": _num(row.naive_ci_high),
                "treated_pre": _num(row.treated_pre_ppy), "treated_post": _num(row.treated_post_ppy),
                "control_pre": _num(row.control_pre_ppy), "control_post": _num(row.control_post_ppy),
                "treated_users": _count(getattr(row, "treated_users", None)),
                "control_users": _count(getattr(row, "control_users", None)),
            }
            if key_type == "service" and row.measure in ("events", "units"):
                # rate ratios are fitted per service only; JSON has no infinity, so an
                # unbounded limit is null and ``note`` (the rate_ratios table's) says why,
                # as it does for a ratio that could not be estimated
                note = row.note if isinstance(row.note, str) else ""
                entry[f"{row.measure}_ppy"]["rate_ratio"] = {
                    "estimate": _num(row.rate_ratio), "ci_low": _num(row.rr_ci_low),
                    "ci_high": _num(row.rr_ci_high), "model": rate_model, "note": note}
        if key_type == "service":
            svc = catalogue.get(k)
            entry.update(agency_l1=svc.agency_l1 if svc else None,
                         agency_l2=svc.agency_l2 if svc else None,
                         unit=(units or {}).get(k) or (svc.unit if svc else None))  # what units_ppy counts
            if fiscal_shares and k in fiscal_shares:
                entry["fiscal_share"] = _num(fiscal_shares[k])
        elif key_type == "agency":
            l1, _, l2 = str(k).partition(" / ")
            entry.update(agency_l1=l1, agency_l2=l2)
        section = {"service": "services", "agency": "agencies", "total": "total"}[key_type]
        windows.setdefault(window, {}).setdefault(section, {})[k] = entry
    for window, corr in sorted((correlations or {}).items()):
        if window in windows and len(corr):
            windows[window]["cost_correlation"] = {
                "services": [str(c) for c in corr.columns],
                "matrix": [[_num(v) for v in row] for row in corr.to_numpy()]}
    return {
        "description": "Matched difference-in-differences effect per person per year "
                       "(negative = reduction), 95% cluster-bootstrap CI and minimum detectable effect "
                       f"(5% two-sided, {cfg.power:.0%} power); rate ratios: {METHOD[rate_model]}, "
                       "person-time offset; naive before/after beside it.",
        "price_year": meta.get("price_year"),
        "pre_months": cfg.pre_months,
        "n_treated": meta.get("n_treated"),
        "n_matched_sets": int(matched["n_sets"].iloc[0]) if len(matched) else 0,
        "balance": {"balanced": meta.get("balanced"), "max_abs_smd": _num(meta.get("max_abs_smd"))},
        "windows": windows,
    }
