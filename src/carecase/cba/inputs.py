"""The numbers and parties of a CBA model: every numeric input under a stable key path
(``outcomes[0].deadweight``, the handle for scenarios and sensitivity), who pays and who
benefits, and library unit values uprated to the price base."""

from __future__ import annotations

import math
from dataclasses import dataclass

from carecase.cba.distributions import Distribution, Param, central
from carecase.cba.formatting import financial_year
from carecase.cba.model import INDIVIDUAL, CBAModel
from carecase.cba.unit_costs import BUILTIN, UnitCostLookup, UnitValue, gdp_deflator

INF = math.inf


@dataclass(frozen=True)
class InputSpec:
    """One numeric input: where it is, its value, allowed range, provenance."""

    path: str
    value: Param
    low: float
    high: float
    label: str
    source: str
    confidence_grade: int | None
    unit: str = ""  # what the number counts, for the assumptions register

    @property
    def central(self) -> float:
        return central(self.value)


def payers(model: CBAModel) -> list[str]:
    return [c.agency for c in model.costs]


def beneficiaries(model: CBAModel, lookup: UnitCostLookup = BUILTIN) -> list[str]:
    out: list[str] = []
    for o in model.outcomes:
        if o.values is not None:
            out += [a for v in o.values for a in (v.agency, *([INDIVIDUAL] if v.economic_share else []))]
        elif o.unit_cost is not None:
            out += [c.agency_l1 for c in lookup.components(o.unit_cost)]
    return out


def fiscal_beneficiaries(model: CBAModel, lookup: UnitCostLookup = BUILTIN) -> list[str]:
    """Agencies with a fiscal benefit (the only kind a cashable share applies to)."""
    out: list[str] = []
    for o in model.outcomes:
        if o.values is not None:
            out += [v.agency for v in o.values if v.value_type == "fiscal"]
        elif o.unit_cost is not None:
            out += [c.agency_l1 for c in lookup.components(o.unit_cost) if c.value_type == "fiscal"]
    return out


def unit_components(model: CBAModel, code: str, lookup: UnitCostLookup = BUILTIN) -> list[tuple[UnitValue, float]]:
    """The library components of ``code`` with their uprating factor to the price base."""
    comps = lookup.components(code)
    if model.price_base_year is None:
        return [(c, 1.0) for c in comps]
    idx = gdp_deflator()
    return [(c, idx[model.price_base_year] / idx[c.price_year]
             if c.price_year != model.price_base_year else 1.0) for c in comps]


def numeric_inputs(model: CBAModel, lookup: UnitCostLookup = BUILTIN) -> list[InputSpec]:
    """Every number the model uses, in model order, each with a unique key path."""
    specs: list[InputSpec] = []

    def add(path: str, value: Param, low: float, high: float, label: str, source: str,
            grade: int | None, unit: str = "") -> None:
        specs.append(InputSpec(path, value, low, high, label, source, grade, unit))

    def year(y: int) -> str:  # 'year 2', or 'year 2 (2027/28)' where the model names year 0's
        fy = financial_year(y, model.first_financial_year)
        return f"year {y}" + (f" ({fy})" if fy else "")

    for i, c in enumerate(model.cohorts):
        for y in sorted(c.need):
            add(f"cohorts[{i}].need.{y}", c.need[y], 0, INF, f"{c.name}: in need, {year(y)}", c.source, None,
                "people")
        for key in ("engagement_rate", "success_rate"):
            value = getattr(c, key)
            what = key.replace("_", " ")
            if isinstance(value, dict):
                for y in value:
                    add(f"cohorts[{i}].{key}.{y}", value[y], 0, 1, f"{c.name}: {what} from {year(y)}",
                        c.source, None, "share")
            else:
                add(f"cohorts[{i}].{key}", value, 0, 1, f"{c.name}: {what}", c.source, None, "share")
    for i, cost in enumerate(model.costs):
        add(f"costs[{i}].amount", cost.amount, 0, INF, f"cost: {cost.name} ({cost.agency})",
            cost.source, cost.confidence_grade,
            "£ per engaged participant a year" if cost.basis == "per_participant" else
            "£ in each year listed" if cost.years is not None else
            "£ in year 0" if cost.kind == "capital" else "£ a year")
    for i, o in enumerate(model.outcomes):
        g = o.confidence_grade
        if o.values is not None:
            for j, v in enumerate(o.values):
                split = f"; {v.economic_share:.1%} of it economic to {INDIVIDUAL}" if v.economic_share else ""
                add(f"outcomes[{i}].values[{j}].amount", v.amount, -INF, INF,
                    f"{o.name}: £ per unit to {v.agency} ({v.value_type}{split})", o.source, g, "£ per unit")
        elif o.unit_cost is not None:
            for j, (uv, f) in enumerate(unit_components(model, o.unit_cost, lookup)):
                add(f"outcomes[{i}].unit_value[{j}]", uv.value * f, -INF, INF,
                    f"{o.name}: {o.unit_cost} £ per unit to {uv.agency_l1} ({uv.value_type})",
                    uv.source + (f"; uprated ×{f:.6f} to {model.price_base_year}" if f != 1 else ""), g,
                    "£ per unit")
        add(f"outcomes[{i}].quantity", o.quantity, 0, INF, f"{o.name}: units per success a year", o.source, g,
            "units per success a year")
        for k in ("deadweight", "displacement", "attribution", "drop_off"):
            add(f"outcomes[{i}].{k}", getattr(o, k), 0, 1, f"{o.name}: {k.replace('_', '-')}", o.source, g, "share")
    for a in sorted(model.cashable):
        add(f"cashable.{a}", model.cashable[a], 0, 1, f"{a}: cashable share of fiscal benefit", "", None, "share")
    return specs


def describe_value(value: Param) -> str:
    return value.describe() if isinstance(value, Distribution) else f"{value:g}"
