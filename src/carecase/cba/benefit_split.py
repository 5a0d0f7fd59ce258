"""Benefits from avoided demand, apart from the cost of increases the programme intended.

A programme means to increase some services (GP appointments, drug and alcohol treatment,
home care instead of residential care) while it aims to avoid others (A&E, emergency
admissions, custody). An outcome marked ``intended: true`` (in the model, or through
``cba.from_evaluation.intended`` for evaluated services) is an **intended change**: its net
value — usually below zero, the cost of the extra use — is a cost the programme chose, not a
failure. Every other outcome is **avoided demand** (for a model's own outcomes, whatever
else it values). The split only groups the model's public-value benefits (transfers
excluded, as in the NPV): avoided demand + intended changes = PV public value, and
avoided demand + intended changes − PV costs = NPV, to rounding.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from carecase.cba.engine import Plan, Totals


def outcome_public_pv(plan: Plan, net: np.ndarray) -> np.ndarray:
    """(outcomes,) each outcome's present value of public-value benefit (its components' net
    flows × their own discount factors, transfers excluded), from one draw's ``net`` (C, Y)."""
    outcome = np.array([comp.outcome for comp in plan.components], dtype=np.int64)
    public = plan.public_value
    return np.bincount(outcome[public], weights=plan.component_pv(net)[public],
                       minlength=len(plan.model.outcomes)).astype(float)


def benefit_split(plan: Plan, net: np.ndarray, t: Totals) -> dict[str, Any]:
    """Results.json's ``benefit_split`` for the base case (``net``: flows.net[0], (C, Y)):
    ``avoided_demand_pv``, ``intended_pv``, ``pv_public_value``, ``pv_costs``, ``npv`` and
    ``outcomes`` [{outcome, name, intended, pv_public_value}] (docs/cba.md)."""
    pv = outcome_public_pv(plan, net)
    marked = np.array([o.intended for o in plan.model.outcomes], dtype=bool)
    rows = [{"outcome": i, "name": o.name, "intended": bool(o.intended), "pv_public_value": float(pv[i])}
            for i, o in enumerate(plan.model.outcomes)]
    return {
        "avoided_demand_pv": float(pv[~marked].sum()),
        "intended_pv": float(pv[marked].sum()),
        "pv_public_value": float(t.pv_public_value[0]),
        "pv_costs": float(t.pv_costs[0]),
        "npv": float(t.npv[0]),
        "intended_outcomes": [o.name for o in plan.model.outcomes if o.intended],
        "outcomes": rows,
    }
