"""Small seeded model builders for the CBA tests."""

from __future__ import annotations

import copy
from typing import Any

from carecase.cba.engine import compile_model, run_values
from carecase.cba.load import model_from_dict


def simple_model(**over: Any) -> dict[str, Any]:
    """−100 in year 0 (one capital cost) and 30 a year in years 1–5 to one agency, 3.5%."""
    m: dict[str, Any] = {
        "name": "simple",
        "appraisal_years": 6,
        "discounting": {"schedule": "custom", "rate": 0.035},
        "cohorts": [{"name": "c", "need": {0: 1}, "engagement_rate": 1, "success_rate": 1}],
        "costs": [{"name": "setup", "agency": "LA", "kind": "capital", "amount": 100,
                   "confidence_grade": 1}],
        "outcomes": [{"name": "saving", "cohort": "c", "lag_years": 1, "duration_years": 5,
                      "values": [{"agency": "LA", "value_type": "fiscal", "amount": 30}],
                      "confidence_grade": 1}],
    }
    m.update(over)
    return m


def rich_model() -> dict[str, Any]:
    """Several agencies, distributions, per-participant costs, a library outcome."""
    return {
        "name": "rich",
        "appraisal_years": 8,
        "price_base_year": 2012,  # E&E1.0's published price year: library values as published
        "cashable": {"NHS": 0.4, "DWP": 1.0},
        "cohorts": [{"name": "c", "need": {0: 100, 1: 120, 2: 80},
                     "engagement_rate": {"dist": "beta", "alpha": 8, "beta": 2},
                     "success_rate": {"dist": "pert", "min": 0.2, "mode": 0.3, "max": 0.5}}],
        "costs": [
            {"name": "capital", "agency": "Local Authority", "kind": "capital", "amount": 50000,
             "confidence_grade": 2},
            {"name": "support", "agency": "Local Authority", "kind": "revenue",
             "basis": "per_participant",
             "amount": {"dist": "triangular", "min": 800, "mode": 1000, "max": 1500},
             "confidence_grade": 3},
            {"name": "nurse time", "agency": "NHS", "kind": "in_kind", "amount": 5000,
             "confidence_grade": 4},
        ],
        "outcomes": [
            {"name": "work", "cohort": "c", "unit_cost": "E&E1.0", "lag_years": 1,
             "duration_years": 3, "drop_off": 0.25,
             "deadweight": {"dist": "uniform", "min": 0.1, "max": 0.3}, "attribution": 0.2,
             "confidence_grade": 3},
            {"name": "fewer A&E", "cohort": "c", "quantity": 1.5,
             "values": [{"agency": "NHS", "value_type": "fiscal",
                         "amount": {"dist": "normal", "mean": 180, "sd": 30}}],
             "deadweight": 0.3, "confidence_grade": 2},
        ],
        "scenarios": [{"name": "pessimistic", "overrides": {"outcomes[0].deadweight": 0.6}}],
        "rollouts": [{"name": "city", "eligible_population": 4000, "uptake": [0.01, 0.03],
                      "capacity": 100}],
        "monte_carlo": {"draws": 2000, "seed": 7},
    }


def npv_of(data: dict[str, Any]) -> float:
    plan = compile_model(model_from_dict(copy.deepcopy(data)))
    return float(run_values(plan, plan.central_values()).npv[0])


def health_model(health: str = "health") -> dict[str, Any]:
    """31 years (0–30) on the standard schedule: £20,000 set-up cost in year 0 (NHS), a £500 a
    year NHS saving and a £1,000 a year health effect (QALYs valued, Individual, social) in
    years 1–30, the health effect's outcome discounted on ``health`` ("health" or "standard")."""
    return {
        "name": "health effects",
        "appraisal_years": 31,
        "cohorts": [{"name": "c", "need": {0: 1}, "engagement_rate": 1, "success_rate": 1}],
        "costs": [{"name": "set-up", "agency": "NHS", "kind": "capital", "amount": 20000,
                   "confidence_grade": 1}],
        "outcomes": [
            {"name": "QALYs gained", "cohort": "c", "lag_years": 1, "duration_years": 30,
             "discounting": health, "confidence_grade": 1,
             "values": [{"agency": "Individual", "value_type": "social", "amount": 1000}]},
            {"name": "fewer admissions", "cohort": "c", "lag_years": 1, "duration_years": 30,
             "confidence_grade": 1,
             "values": [{"agency": "NHS", "value_type": "fiscal", "amount": 500}]},
        ],
    }
