"""Run a model end to end and gather every output under documented keys (docs/cba.md).

Headline definitions (HM Treasury Green Book 2022; HM Treasury / New Economy 2014):

- ``npv`` = PV(public-value benefits) − PV(costs); public value = fiscal + economic + social
  net benefits with transfer payments excluded
- ``bcr`` = ``roi_public_value`` = PV(public-value benefits) ÷ PV(costs)
- ``roi_fiscal`` = PV(all fiscal benefits, transfers included) ÷ PV(costs): New Economy's
  "financial return on investment" (the financial case counts fiscal values only)
- ``roi_cashable`` = PV(cashable fiscal benefits) ÷ PV(costs) (carecase's own, for budgets)
- ``payback_year`` = first year from which the cumulative discounted net stays ≥ 0 to the end
  of the period, else "not within the period"
- ``net_present_budget_impact`` = PV(cashable fiscal benefits) − PV(cash costs, i.e. excluding
  in-kind contributions)

Where the model names the financial year of year 0 (``first_financial_year``), each row with a
``year`` also has its ``financial_year`` ("2025/26"), ``model`` has ``first_financial_year``
and ``financial_years``, and a headline with a payback year its ``payback_financial_year``;
without it none of these keys is written (the results are as before, byte for byte).

Every PV discounts each benefit component on its outcome's schedule (the model's, or the
Green Book health schedule for ``discounting: health``) and costs on the model's schedule, so
the discounted figures here come from engine.py's ``*_discounted`` flows, not one factor row.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from carecase.cba.benefit_split import benefit_split
from carecase.cba.break_even import break_even, evaluated_break_even, evaluated_saving
from carecase.cba.discounting import HEALTH, rates_by_year
from carecase.cba.distributions import Distribution
from carecase.cba.engine import (
    VALUE_TYPES,
    Flows,
    Plan,
    Totals,
    compile_model,
    evaluate,
    optimism_factor,
    ratio,
    totals,
)
from carecase.cba.formatting import financial_year
from carecase.cba.inputs import describe_value
from carecase.cba.model import CBAModel
from carecase.cba.scenarios import run_rollouts, run_scenarios
from carecase.cba.uncertainty import monte_carlo, monte_carlo_summary, switching_values, tornado
from carecase.cba.unit_costs import BUILTIN, UnitCostLookup
from carecase.core.blas import on_one_blas_thread

NOT_WITHIN = "not within the period"



def headline(plan: Plan, t: Totals, i: int = 0) -> dict[str, Any]:
    pb = int(t.payback_year[i])
    out = {
        "npv": float(t.npv[i]),
        "bcr": _f(ratio(t.pv_public_value, t.pv_costs)[i]),
        "roi_public_value": _f(ratio(t.pv_public_value, t.pv_costs)[i]),
        "roi_cashable": _f(ratio(t.pv_cashable, t.pv_costs)[i]),
        "roi_fiscal": _f(ratio(t.pv_fiscal, t.pv_costs)[i]),
        "payback_year": pb if pb >= 0 else NOT_WITHIN,
        "net_present_budget_impact": float(t.net_present_budget_impact[i]),
        "pv_costs": float(t.pv_costs[i]),
        "pv_public_value": float(t.pv_public_value[i]),
        "pv_fiscal": float(t.pv_fiscal[i]),
        "pv_cashable": float(t.pv_cashable[i]),
        "pv_transfers": float(t.pv_transfers[i]),
    }
    fy = financial_year(pb, plan.model.first_financial_year) if pb >= 0 else None
    if fy is not None:
        out["payback_financial_year"] = fy
    return out


def with_financial_years(out: dict[str, Any], first_financial_year: int | None) -> dict[str, Any]:
    """``financial_year`` beside ``year`` in every row of the year-by-year outputs, and the
    model's ``first_financial_year`` and ``financial_years``; ``out`` unchanged where the model
    does not name the financial year of year 0."""
    if first_financial_year is None:
        return out
    model = out["model"]
    model["first_financial_year"] = first_financial_year
    model["financial_years"] = [financial_year(y, first_financial_year) for y in model["years"]]
    for key in ("discount_factors", "costs", "benefits", "matrix_rows"):
        for row in out[key]:
            row["financial_year"] = financial_year(row["year"], first_financial_year)
    return out


def _f(x: float) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def discount_table(plan: Plan) -> list[dict[str, Any]]:
    """Rate and factor by year on the model's schedule; where an outcome is discounted on the
    health schedule, its rate and factor too (``health_rate``, ``health_factor``)."""
    rates = rates_by_year(plan.years, plan.model.discounting.schedule_bands())
    health = rates_by_year(plan.years, HEALTH) if plan.uses_health else None
    rows = []
    for y in range(plan.years):
        row = {"year": y, "rate": float(rates[y]) if y else 0.0, "factor": float(plan.factors[y])}
        if health is not None:
            row.update(health_rate=float(health[y]) if y else 0.0,
                       health_factor=float(plan.health_factors[y]))
        rows.append(row)
    return rows


def cost_rows(plan: Plan, fl: Flows, values: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    rows = []
    units = fl.cost_units[0]  # × amount = the cost before optimism bias
    for i, c in enumerate(plan.model.costs):
        ob = plan.model.optimism_bias.costs[c.confidence_grade]
        amount = float(values[f"costs[{i}].amount"][0])  # the base case, as unit_value below
        for y in range(plan.years):
            adj = float(fl.cost_items[0, i, y])
            rows.append({"item": i, "name": c.name, "agency": c.agency, "agency_l2": c.agency_l2,
                         "kind": c.kind, "basis": c.basis, "confidence_grade": c.confidence_grade,
                         "optimism_bias": ob, "amount": amount, "year": y,
                         "units": float(units[i, y]), "base": float(fl.cost_items_base[0, i, y]),
                         "adjusted": adj, "discounted": adj * float(plan.factors[y])})
    return rows


def benefit_rows(plan: Plan, fl: Flows, values: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    rows = []
    m = plan.model
    units = fl.outcome_units[0]  # × £ per unit = gross
    for c, comp in enumerate(plan.components):
        o = m.outcomes[comp.outcome]
        schedule = "health" if o.discounting == "health" else m.discounting.schedule
        adj = {k: float(values[f"outcomes[{comp.outcome}].{k}"][0])
               for k in ("deadweight", "displacement", "attribution")}
        ob = m.optimism_bias.benefits[o.confidence_grade]
        for y in range(plan.years):
            g = float(fl.gross[0, c, y])
            a1 = g * (1 - adj["deadweight"])
            a2 = a1 * (1 - adj["displacement"])
            a3 = a2 * (1 - adj["attribution"])
            factor = float(optimism_factor(g, ob))
            net = float(fl.net[0, c, y])
            rows.append({
                "component": c, "outcome": o.name, "agency": plan.agencies[comp.agency],
                "agency_l2": comp.agency_l2, "value_type": VALUE_TYPES[comp.value_type],
                "transfer": comp.transfer, "cashable_share": float(fl.cashable_share[0, c]),
                "confidence_grade": o.confidence_grade,
                "unit_value": float(values[comp.amount_path][0]) * comp.scale, "year": y,
                "units": float(units[comp.outcome, y]), "gross": g,
                **adj, "optimism_bias": ob, "optimism_factor": factor, "after_deadweight": a1,
                "after_displacement": a2, "after_attribution": a3, "net": net,
                "discount_schedule": schedule,
                "discount_factor": float(plan.component_factors[c, y]),
                "discounted": net * float(plan.component_factors[c, y]),
            })
    return rows


def matrix_rows(plan: Plan, t: Totals, fl: Flows) -> list[dict[str, Any]]:
    """Agency × year: costs, gross and net benefits by value type, transfers, cashable,
    undiscounted and discounted, and the cumulative discounted net. ``discount_factor`` is the
    model schedule's (costs'); benefits are discounted component by component (Totals)."""
    gross = np.zeros((len(plan.agencies), plan.years))
    for c, comp in enumerate(plan.components):
        gross[comp.agency] += fl.gross[0, c]
    rows = []
    for a, agency in enumerate(plan.agencies):
        cum = 0.0
        for y in range(plan.years):
            cost = float(t.costs[0, a, y])
            ben = float(t.benefits[0, a, :, y].sum())
            f = float(plan.factors[y])
            cost_d = float(t.costs_discounted[0, a, y])
            ben_d = float(t.benefits_discounted[0, a, :, y].sum())
            cum += ben_d - cost_d
            rows.append({
                "agency": agency, "year": y, "discount_factor": f, "costs": cost,
                "costs_in_kind": float(t.costs_in_kind[0, a, y]),
                "gross_benefits": float(gross[a, y]),
                **{f"{v}_net": float(t.benefits[0, a, k, y]) for k, v in enumerate(VALUE_TYPES)},
                "transfers_net": float(t.transfers[0, a, y]),
                "cashable_net": float(t.cashable[0, a, y]),
                "benefits": ben, "net": ben - cost, "costs_discounted": cost_d,
                "benefits_discounted": ben_d,
                "transfers_discounted": float(t.transfers_discounted[0, a, y]),
                "net_discounted": ben_d - cost_d,
                "cumulative_discounted": cum})
    return rows


def agency_net(plan: Plan, t: Totals) -> dict[str, dict[str, float]]:
    out = {}
    for a, agency in enumerate(plan.agencies):
        ben = t.benefits_discounted[0, a]  # (V, Y)
        by_type = {f"{v}_pv": float(ben[k].sum()) for k, v in enumerate(VALUE_TYPES)}
        out[agency] = {
            "costs_pv": float(t.costs_discounted[0, a].sum()), "benefits_pv": float(ben.sum()),
            **by_type, "cashable_pv": float(t.cashable_discounted[0, a].sum()),
            "transfers_pv": float(t.transfers_discounted[0, a].sum()),
            "net_pv": float(t.agency_net_pv[0, a]),
        }
    return out


def assumptions(plan: Plan) -> list[dict[str, Any]]:
    return [{"path": s.path, "label": s.label, "value": describe_value(s.value),
             "distribution": s.value.to_json() if isinstance(s.value, Distribution) else None,
             "central": s.central, "low_allowed": s.low if math.isfinite(s.low) else None,
             "high_allowed": s.high if math.isfinite(s.high) else None, "source": s.source,
             "confidence_grade": s.confidence_grade, "unit": s.unit or None} for s in plan.inputs]


@on_one_blas_thread  # the same bits on any machine (core/blas.py)
def analyse(model: CBAModel, lookup: UnitCostLookup = BUILTIN, *, draws: int | None = None,
            uncertainty: bool = True, evaluated: Sequence[int] = (),
            evaluated_window: str | None = None) -> dict[str, Any]:
    """Every CBA output as a JSON-able dict (keys in docs/cba.md). ``evaluated``: the outcomes
    that are evaluated effects (cba.from_evaluation, their window ``evaluated_window``): their
    saving and its own break-even go under ``break_even`` → ``evaluated``, from the same base
    case as the rest."""
    plan = compile_model(model, lookup)
    values = plan.central_values()
    fl = evaluate(plan, values)
    t = totals(plan, fl)
    matrix = matrix_rows(plan, t, fl)
    out: dict[str, Any] = {
        "model": {"name": model.name, "description": model.description,
                  "appraisal_years": model.appraisal_years, "price_base_year": model.price_base_year,
                  "discounting": model.discounting.schedule,
                  "discount_bands": [list(b) for b in model.discounting.schedule_bands()],
                  "health_discount_bands": [list(b) for b in HEALTH] if plan.uses_health else None,
                  "health_outcomes": [o.name for o in model.outcomes if o.discounting == "health"],
                  "agencies": list(plan.agencies),
                  "years": list(range(plan.years))},
        "headline": headline(plan, t),
        "discount_factors": discount_table(plan),
        "costs": cost_rows(plan, fl, values),
        "benefits": benefit_rows(plan, fl, values),
        "matrix": {a: [r["net"] for r in matrix if r["agency"] == a] for a in plan.agencies},
        "matrix_discounted": {a: [r["net_discounted"] for r in matrix if r["agency"] == a]
                              for a in plan.agencies},
        "matrix_rows": matrix,
        "cashflow": {**{a: [r["cumulative_discounted"] for r in matrix if r["agency"] == a]
                        for a in plan.agencies},
                     "Total (public value)": np.cumsum(
                         t.benefits_discounted[0].sum(axis=(0, 1))
                         - t.transfers_discounted[0].sum(0) - t.costs_discounted[0].sum(0)).tolist()},
        "agency_net": agency_net(plan, t),
        "optimism_bias": {"costs": {str(k): v for k, v in model.optimism_bias.costs.items()},
                          "benefits": {str(k): v for k, v in model.optimism_bias.benefits.items()},
                          "source": model.optimism_bias.source},
        "assumptions": assumptions(plan),
        "break_even": break_even(plan, fl, t),
        "benefit_split": benefit_split(plan, fl.net[0], t),
        "scenarios": run_scenarios(plan, headline),
        "rollouts": run_rollouts(plan, headline, lookup),
    }
    if evaluated:  # the saving the evaluation estimated, and what those services would need to save
        ev = evaluated_saving(model, evaluated, evaluated_window)
        ev["break_even"] = evaluated_break_even(plan, fl, evaluated, ev["mean"], float(t.npv[0]))
        out["break_even"]["evaluated"] = ev
    if uncertainty:
        mc = monte_carlo(plan, draws=draws)
        out.update(monte_carlo_summary(plan, mc))
        out["tornado"] = tornado(plan)
        out["switching_values"] = switching_values(plan)
    return clean(with_financial_years(out, model.first_financial_year))


def clean(obj: Any) -> Any:
    """numpy → Python, NaN/inf → None (valid, deterministic JSON)."""
    if isinstance(obj, dict):
        return {str(k): clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [clean(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj
