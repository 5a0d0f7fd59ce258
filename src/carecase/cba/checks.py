"""Checks that span a valid CBA model (unique cohort, cost, outcome, scenario and rollout names, unit-cost codes and a price base year
for them, years inside the period, no years on per-participant costs, agencies that neither
pay nor benefit, health discounting only on health effects, correlation groups), each problem
a line ``path = value: what is allowed``; and the references that can be checked on a model
that failed its schema (:func:`raw_reference_problems`)."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

import numpy as np

from carecase.cba.distributions import Distribution
from carecase.cba.inputs import beneficiaries, fiscal_beneficiaries, numeric_inputs, payers
from carecase.cba.model import CBAModel
from carecase.cba.unit_costs import BUILTIN, UnitCostLookup, gdp_deflator
from carecase.core.dates import fiscal_year_label
from carecase.core.errors import CBAError

# settings a scenario's override path may end in that are not numeric inputs: a scenario that
# moved lag_years was told "no such input. Did you mean 'outcomes[3].quantity'?"
_STRUCTURAL = frozenset({"lag_years", "duration_years", "confidence_grade", "appraisal_years",
                         "price_base_year", "years", "kind", "basis", "discounting", "schedule",
                         "rate", "bands", "cohort", "unit_cost", "intended", "value_type",
                         "transfer", "agency"})


def _line(path: str, value: Any, message: str) -> str:
    shown = repr(value)
    return f"  - {path} = {shown[:77] + '...' if len(shown) > 80 else shown}: {message}."


def raw_reference_problems(data: dict[str, Any], lookup: UnitCostLookup = BUILTIN) -> list[str]:
    """The cross-references that can be checked on a model that failed its schema: cohorts
    named by costs, outcomes and rollouts, and outcomes' unit-cost codes (:func:`check_references`
    checks these and more on a valid model)."""
    def items(key: str) -> list[tuple[int, dict[str, Any]]]:
        value = data.get(key)
        return [(i, x) for i, x in enumerate(value) if isinstance(x, dict)] if isinstance(value, list) else []

    names = [str(c["name"]) for _, c in items("cohorts") if isinstance(c.get("name"), str)]
    out: list[str] = []
    for key in ("costs", "outcomes", "rollouts"):
        for i, x in items(key):
            name = x.get("cohort")
            if names and isinstance(name, str) and name not in names:
                hint = difflib.get_close_matches(name, names, n=1)
                did = f" Did you mean '{hint[0]}'?" if hint else ""
                out.append(_line(f"{key}[{i}].cohort", name, f"unknown cohort.{did} Defined: {', '.join(names)}"))
    codes = lookup.codes()
    for i, o in items("outcomes"):
        code = o.get("unit_cost")
        if isinstance(code, str) and code not in codes:
            hint = difflib.get_close_matches(code, codes, n=1)
            did = f" Did you mean '{hint[0]}'?" if hint else ""
            out.append(_line(f"outcomes[{i}].unit_cost", code, f"unknown unit-cost code{did}"))
    return out


def check_model(model: CBAModel, source: str = "CBA model", lookup: UnitCostLookup = BUILTIN,
                idle: Mapping[str, tuple[str, str]] | None = None) -> None:
    """Raise one CBAError listing every cross-reference problem (nothing else is computed);
    ``idle``: as :func:`check_references`."""
    problems = check_references(model, lookup, idle)
    if problems:
        raise CBAError(f"{source}: {len(problems)} problem(s) in the CBA model\n" + "\n".join(problems))


def check_references(model: CBAModel, lookup: UnitCostLookup = BUILTIN,
                     idle: Mapping[str, tuple[str, str]] | None = None) -> list[str]:
    """Every cross-reference problem, a line each. ``idle``: per agency whose evaluated
    effects were left out of the model (:func:`carecase.cba.evaluation_join.left_out_agencies`),
    why and how to value them, said when the model names that agency but it neither pays nor
    benefits."""
    out: list[str] = []
    n = model.appraisal_years
    names = [c.name for c in model.cohorts]
    for key, what in (("cohorts", "cohort"), ("costs", "cost"), ("outcomes", "outcome"),
                      ("scenarios", "scenario"), ("rollouts", "rollout")):
        # results, tables and the workbook list these by name: two of one name would show as
        # one row, or one would hide the other
        items = getattr(model, key)
        seen = [x.name for x in items]
        for i, x in enumerate(items):
            first = seen.index(x.name)
            if first != i:
                out.append(_line(f"{key}[{i}].name", x.name, f"{what} names must be unique "
                                 f"({key}[{first}] has it too); rename one"))
    for i, c in enumerate(model.cohorts):
        for y in c.need:
            if not 0 <= y < n:
                out.append(_line(f"cohorts[{i}].need", y, f"year must lie in 0–{n - 1}"))
        for key in ("engagement_rate", "success_rate"):
            for y in getattr(c, key) if isinstance(getattr(c, key), dict) else []:
                if not 0 <= y < n:
                    out.append(_line(f"cohorts[{i}].{key}", y, f"year must lie in 0–{n - 1}"))

    def cohort_ref(path: str, name: str | None, required: bool) -> None:
        if name is None:
            if required and len(names) > 1:
                out.append(_line(path, None, f"name the cohort; one of {', '.join(names)}"))
            return
        if name not in names:
            hint = difflib.get_close_matches(name, names, n=1)
            did = f" Did you mean '{hint[0]}'?" if hint else ""
            out.append(_line(path, name, f"unknown cohort.{did} Defined: {', '.join(names)}"))

    for i, cost in enumerate(model.costs):
        if cost.basis == "per_participant" and cost.years is not None:
            out.append(_line(f"costs[{i}].years", cost.years,
                             "a per-participant cost is charged for the people engaged each year; "
                             "remove years, or use basis: per_year"))
        for y in cost.years or []:
            if not 0 <= y < n:
                out.append(_line(f"costs[{i}].years", y, f"year must lie in 0–{n - 1}"))
        if cost.years is not None and not cost.years:  # it charged nothing: the cost vanished
            out.append(_line(f"costs[{i}].years", [], "list at least one year, or remove years to "
                             "charge the default (capital: year 0; otherwise every year)"))
        twice = sorted({y for y in cost.years or [] if (cost.years or []).count(y) > 1})
        if twice:
            out.append(_line(f"costs[{i}].years", cost.years, f"year(s) {', '.join(map(str, twice))} listed "
                             "more than once; a per-year cost is charged once a year, so list each year once "
                             "(raise amount for a bigger cost)"))
        if cost.basis == "per_year" and cost.cohort is not None:
            out.append(_line(f"costs[{i}].cohort", cost.cohort, "cohort is read only for basis: "
                             "per_participant costs (a per-year cost is charged whoever is engaged); remove "
                             "it, or use basis: per_participant"))
        cohort_ref(f"costs[{i}].cohort", cost.cohort, False)
    for i, o in enumerate(model.outcomes):
        cohort_ref(f"outcomes[{i}].cohort", o.cohort, True)
        out.extend(_health_is_not_cash(i, o))
        for j, v in enumerate(o.values or []):
            if v.economic_share and (v.value_type != "fiscal" or v.transfer):
                out.append(_line(f"outcomes[{i}].values[{j}].economic_share", v.economic_share,
                                 "only a fiscal value that is not a transfer splits off an economic share "
                                 "(the self-funded part of a cost an agency pays); remove it, or make the value "
                                 "fiscal"))
            if v.transfer and v.value_type == "social":
                out.append(_line(f"outcomes[{i}].values[{j}].transfer", True,
                                 "a transfer moves money between parties (benefit payments, taxes: fiscal "
                                 "or economic values); a social value is not money that changes hands, so "
                                 "it would be dropped from public value. Remove transfer: true"))
        if o.lag_years >= n:
            out.append(_line(f"outcomes[{i}].lag_years", o.lag_years,
                             f"the benefit would start after the appraisal period (years 0–{n - 1}), "
                             "so it would count nothing; shorten lag_years or lengthen appraisal_years"))
        else:
            out.extend(_starts_too_late(model, i, o))
        if o.duration_years == 1 and not (isinstance(o.drop_off, (int, float)) and o.drop_off == 0):
            out.append(_line(f"outcomes[{i}].drop_off", o.drop_off,
                             "with duration_years 1 (the default) a success pays for one year only, so "
                             "drop-off, the fall in each year after the first, would change nothing; give "
                             "duration_years, the number of years the benefit lasts (benefits that start a "
                             "year after success and fade 30% a year for four years: lag_years: 1, "
                             "duration_years: 4, drop_off: 0.3), or remove drop_off"))
        if (o.unit_cost is None) == (o.values is None):
            out.append(_line(f"outcomes[{i}]", o.name, "give exactly one of unit_cost or values"))
        elif o.values is not None and not o.values:
            out.append(_line(f"outcomes[{i}].values", [], "give at least one value"))
        elif o.unit_cost is not None:
            try:
                comps = lookup.components(o.unit_cost)
            except KeyError:
                hint = difflib.get_close_matches(o.unit_cost, lookup.codes(), n=1)
                did = f" Did you mean '{hint[0]}'?" if hint else ""
                out.append(_line(f"outcomes[{i}].unit_cost", o.unit_cost,
                                 f"unknown unit-cost code.{did} Known: {', '.join(lookup.codes())}"))
                continue
            if model.price_base_year is not None:
                idx = gdp_deflator()
                for uv in comps:
                    if uv.price_year != model.price_base_year and (
                        uv.price_year not in idx or model.price_base_year not in idx
                    ):
                        out.append(_line(f"outcomes[{i}].unit_cost", o.unit_cost,
                                         f"cannot uprate {uv.price_year} prices to "
                                         f"{model.price_base_year}: the GDP deflator covers "
                                         f"{min(idx)}–{max(idx)}. Set price_base_year to a "
                                         f"year it covers (the latest: {max(idx)} for "
                                         f"{fiscal_year_label(max(idx))}) and give the model's own £ at that "
                                         "year's prices; or value the codes from a project's "
                                         "library (cba.unit_costs: project) with a costs.deflator "
                                         "index that covers it"))
    if model.price_base_year is None:
        published = _published_price_years(model, lookup)
        if published:
            out.append(_line("price_base_year", None,
                             "outcomes use library unit costs at their published price years ("
                             + "; ".join(published) + "); set price_base_year to the financial "
                             "year of the model's prices (e.g. price_base_year: 2024 for 2024/25) "
                             "so they are uprated to it"))
    for i, r in enumerate(model.rollouts):
        cohort_ref(f"rollouts[{i}].cohort", r.cohort, True)
        if len(r.uptake) > n:
            out.append(_line(f"rollouts[{i}].uptake", len(r.uptake),
                             f"at most {n} years of uptake (the appraisal period)"))
    if model.discounting.schedule == "custom" and model.discounting.rate is None \
            and model.discounting.bands is None:
        out.append(_line("discounting", "custom", "custom discounting needs rate or bands"))
    if not out:
        out += check_correlations(model, lookup)
    if not out:
        out += check_agency_names(model, lookup)
    if not out:
        active = set(payers(model)) | set(beneficiaries(model, lookup))
        for key, agencies in (("agencies", model.agencies or []), ("cashable", list(model.cashable))):
            for a in agencies:
                if a not in active:
                    path = f"{key}.{a}" if key == "cashable" else key
                    if idle and a in idle:
                        why, lower = idle[a]
                        entry = path if key == "cashable" else f"{a!r} from agencies"
                        message = (f"this agency pays nothing and benefits nothing: {why}. Either remove "
                                   f"{entry}, or {lower}")
                    else:
                        message = ("this agency pays nothing and benefits nothing; remove it or "
                                   f"give it a cost or a benefit. Active: {', '.join(sorted(active))}")
                    out.append(_line(path, model.cashable[a] if key == "cashable" else a, message))
        # an agency with benefits, none of them fiscal (the Individual's economic and social
        # values); one with no benefit at all (its services' effects left out of a CBA built
        # from the evaluation) is left alone
        fiscal, benefiting = set(fiscal_beneficiaries(model, lookup)), set(beneficiaries(model, lookup))
        for a in model.cashable:
            if a in benefiting and a not in fiscal:
                out.append(_line(f"cashable.{a}", model.cashable[a],
                                 "a cashable share applies to fiscal benefits (budget savings), and this "
                                 "agency has none (its benefits are economic or social), so it would change "
                                 "nothing; remove it. Agencies with fiscal benefits: "
                                 + (", ".join(sorted(fiscal)) or "none")))
        known = {s.path for s in numeric_inputs(model, lookup)}
        for i, s in enumerate(model.scenarios):
            for path, value in s.overrides.items():
                if path not in known:
                    key = path.rsplit(".", 1)[-1]
                    if key in _STRUCTURAL:
                        out.append(_line(f"scenarios[{i}].overrides.{path}", value,
                                         f"{key} shapes the model rather than being one of its inputs, "
                                         "so a scenario cannot override it (scenarios change the numbers "
                                         "listed under 'assumptions': amounts, rates, shares, quantities, "
                                         f"need); to compare another {key}, run a copy of the model with "
                                         "it changed"))
                        continue
                    hint = difflib.get_close_matches(path, sorted(known), n=1)
                    did = f" Did you mean '{hint[0]}'?" if hint else ""
                    out.append(_line(f"scenarios[{i}].overrides.{path}", value,
                                     f"no such input.{did} Inputs are listed under 'assumptions'"))
            specs = {sp.path: sp for sp in numeric_inputs(model, lookup)}
            for path, value in s.overrides.items():
                sp = specs.get(path)
                if sp is not None and not sp.low <= value <= sp.high:
                    out.append(_line(f"scenarios[{i}].overrides.{path}", value,
                                     f"must lie in {sp.low:g}–{sp.high:g}"))
    return out


def check_agency_names(model: CBAModel, lookup: UnitCostLookup = BUILTIN) -> list[str]:
    """Agencies are matched by exact name, so one spelt two ways ('NHS' and 'nhs', or with a
    trailing space) would be two agencies in who pays / who benefits; a blank one, none."""
    out: list[str] = []
    named: list[tuple[str, str]] = [(f"costs[{i}].agency", c.agency) for i, c in enumerate(model.costs)]
    for i, o in enumerate(model.outcomes):
        named += [(f"outcomes[{i}].values[{j}].agency", v.agency) for j, v in enumerate(o.values or [])]
        if o.unit_cost is not None:
            named += [(f"outcomes[{i}].unit_cost {o.unit_cost}", c.agency_l1)
                      for c in lookup.components(o.unit_cost)]
    named += [(f"agencies[{i}]", a) for i, a in enumerate(model.agencies or [])]
    named += [(f"cashable.{a}", a) for a in model.cashable]
    first: dict[str, tuple[str, str]] = {}
    for path, name in named:
        if not name.strip():
            out.append(_line(path, name, "name the agency (e.g. NHS, Local Authority, Police)"))
            continue
        key = " ".join(name.split()).casefold()
        seen = first.setdefault(key, (path, name))
        if seen[1] != name:
            fix = "so spell it the same everywhere"
            if ".unit_cost " in path and ".unit_cost " not in seen[0]:  # the library's spelling wins
                fix = f"the unit-cost library spells it {name!r}, so write {name!r} at {seen[0]} and everywhere"
            out.append(_line(path, name, f"spelt differently from {seen[1]!r} ({seen[0]}); agencies "
                             f"are matched by exact name, {fix}"))
    return out


def _starts_too_late(model: CBAModel, i: int, o: Any) -> list[str]:
    """An outcome whose cohort has nobody in need until so late that year of need + lag_years
    is past the period counts nothing, as a lag longer than the period does (a rollout of the
    cohort, which replaces its need from year 0, is left alone)."""
    n = model.appraisal_years
    cohorts = [c for c in model.cohorts if c.name == o.cohort] if o.cohort is not None else (
        list(model.cohorts) if len(model.cohorts) == 1 else [])
    if len(cohorts) != 1 or any(r.cohort in (None, cohorts[0].name) for r in model.rollouts):
        return []
    c = cohorts[0]
    years = [y for y, v in c.need.items() if 0 <= y < n and not (isinstance(v, (int, float)) and v == 0)]
    if not years or min(years) + o.lag_years < n:
        return []
    first = min(years)
    return [_line(f"outcomes[{i}].lag_years", o.lag_years,
                  f"cohort '{c.name}' has nobody in need before year {first} (its need), so this "
                  f"outcome's benefit would start in year {first + o.lag_years}, after the appraisal "
                  f"period (years 0–{n - 1}), and it would count nothing; shorten lag_years, bring the "
                  "cohort's need earlier or lengthen appraisal_years")]


def _health_is_not_cash(i: int, o: Any) -> list[str]:
    """``discounting: health`` only on health effects: a cash saving (a fiscal value, a
    transfer, a library unit cost) is discounted at the standard rate even when it is the
    NHS's (Green Book 2022, Annex A6). Marked health, £28k a year of NHS savings against £250k
    showed NPV +£8,221 (and a cash budget impact at 1.5%) where the standard rate gives −£17,135."""
    if o.discounting != "health":
        return []
    fix = ("value the health effect itself (QALYs × £ a QALY) in an outcome of its own with a social "
           "or economic value to whoever gains it and mark that one health, or set discounting: standard")
    if o.unit_cost is not None:
        return [_line(f"outcomes[{i}].discounting", "health", "a unit-cost outcome is a cost saving (library "
                      "£ of services avoided), which the Green Book discounts at the standard rate even "
                      f"for the NHS; {fix}")]
    return [_line(f"outcomes[{i}].values[{j}]", f"{v.agency} {v.value_type}" + (" transfer" if v.transfer else ""),
                  "a fiscal value or a transfer is cash, discounted at the standard rate even when the NHS "
                  f"saves it, but its outcome is marked discounting: health; {fix}")
            for j, v in enumerate(o.values or []) if v.value_type == "fiscal" or v.transfer]


def _published_price_years(model: CBAModel, lookup: UnitCostLookup) -> list[str]:
    """'CODE YYYY/YY' for each library code the outcomes use (unknown codes are reported
    elsewhere), in first-use order."""
    out: dict[str, str] = {}
    for o in model.outcomes:
        if o.unit_cost is None or o.unit_cost in out:
            continue
        try:
            years = sorted({c.price_year for c in lookup.components(o.unit_cost)})
        except KeyError:
            continue
        out[o.unit_cost] = f"{o.unit_cost} {', '.join(fiscal_year_label(y) for y in years)}"
    return list(out.values())


def check_correlations(model: CBAModel, lookup: UnitCostLookup = BUILTIN) -> list[str]:
    """Each correlated input is a normal distribution of the model, in one group only, and
    each matrix is positive semi-definite (a valid correlation matrix)."""
    out: list[str] = []
    specs = {sp.path: sp for sp in numeric_inputs(model, lookup)}
    seen: set[str] = set()
    for i, group in enumerate(model.correlations):
        for j, path in enumerate(group.inputs):
            value = specs[path].value if path in specs else None
            if path not in specs:
                out.append(_line(f"correlations[{i}].inputs[{j}]", path,
                                 "no such input; inputs are listed under 'assumptions'"))
            elif not (isinstance(value, Distribution) and value.dist == "normal"):
                out.append(_line(f"correlations[{i}].inputs[{j}]", path,
                                 "must be a normal distribution ({dist: normal, mean, sd})"))
            elif path in seen:
                out.append(_line(f"correlations[{i}].inputs[{j}]", path, "already in another group"))
            seen.add(path)
        if float(np.linalg.eigvalsh(np.asarray(group.matrix, float)).min()) < -1e-8:
            out.append(_line(f"correlations[{i}].matrix", "…", "not a correlation matrix (not "
                             "positive semi-definite): some correlations contradict the others"))
    return out
