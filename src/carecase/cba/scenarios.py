"""Named scenarios (input overrides) and rollout scenarios (a cohort scaled to a population).

A scenario sets inputs by key path (``outcomes[0].deadweight: 0.5``) at their central values.
A rollout replaces one cohort's need by year with the people entering from an eligible
population: entrants(t) = eligible × uptake(t) (the last uptake share repeats after the
ramp ends), capped so that entrants(t) × engagement ≤ capacity. Per-participant costs and
all benefits follow the cohort; per-year costs stay as written.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from carecase.cba.distributions import central
from carecase.cba.engine import Plan, compile_model, run_values
from carecase.cba.model import CBAModel, Rollout, rate_in_year
from carecase.cba.unit_costs import BUILTIN, UnitCostLookup


def scenario_values(plan: Plan, overrides: dict[str, float]) -> dict[str, np.ndarray]:
    values = plan.central_values()
    for path, x in overrides.items():
        values[path] = np.array([float(x)])
    return values


def rollout_need(model: CBAModel, rollout: Rollout) -> tuple[int, dict[int, float]]:
    """(cohort index, year → entrants) for ``rollout``."""
    k = next(i for i, c in enumerate(model.cohorts)
             if rollout.cohort is None or c.name == rollout.cohort)
    need: dict[int, float] = {}
    for t in range(model.appraisal_years):
        engagement = central(rate_in_year(model.cohorts[k].engagement_rate, t))
        share = rollout.uptake[min(t, len(rollout.uptake) - 1)]
        entrants = rollout.eligible_population * share
        if rollout.capacity is not None and engagement > 0:
            entrants = min(entrants, rollout.capacity / engagement)
        need[t] = entrants
    return k, need


def apply_rollout(model: CBAModel, rollout: Rollout) -> CBAModel:
    k, need = rollout_need(model, rollout)
    cohorts = list(model.cohorts)
    cohorts[k] = cohorts[k].model_copy(update={"need": need})
    return model.model_copy(update={"cohorts": cohorts})


def run_scenarios(plan: Plan, headline_fn: Any) -> list[dict[str, Any]]:
    out = []
    for s in plan.model.scenarios:
        t = run_values(plan, scenario_values(plan, s.overrides))
        out.append({"name": s.name, "description": s.description,
                    "overrides": dict(sorted(s.overrides.items())), "headline": headline_fn(plan, t)})
    return out


def run_rollouts(plan: Plan, headline_fn: Any, lookup: UnitCostLookup = BUILTIN) -> list[dict[str, Any]]:
    out = []
    for r in plan.model.rollouts:
        k, need = rollout_need(plan.model, r)
        p = compile_model(apply_rollout(plan.model, r), lookup)
        t = run_values(p, p.central_values())
        rate = plan.model.cohorts[k].engagement_rate
        out.append({
            "name": r.name, "cohort": plan.model.cohorts[k].name,
            "eligible_population": r.eligible_population, "capacity": r.capacity,
            "entrants_by_year": [need[y] for y in range(plan.years)],
            "engaged_by_year": [need[y] * central(rate_in_year(rate, y)) for y in range(plan.years)],
            "headline": headline_fn(p, t),
        })
    return out
