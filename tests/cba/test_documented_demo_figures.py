"""The worked figures docs/cba.md quotes from the demo (out/cba/results.json of
`carecase demo --people 4000 --seed 20240401`), recomputed by hand from its effects.json
(window post_0_12, the ten services with at least 10 users on each side; benefit = −effect),
so that the doc's example stays the arithmetic the engine does."""

from __future__ import annotations

import pytest

from carecase.cba.engine import compile_model, run_values
from carecase.cba.load import model_from_dict

# −cost_ppy effect, £ per person-year: AE_ATTEND, AMBULANCE, HOU_TEMP_ACCOM, NEL_ADMIT,
# POL_CUSTODY save; DA_TREATMENT, EL_ADMIT, GP_APPT, HOU_HOMELESS_APP, MH_INPATIENT rise
DEMO_BENEFITS = [37.988934, 7.642727, 280.874469, 85.913137, 64.372496,
                 -76.166646, -206.307422, -134.967622, -40.087974, -333.153194]


def _one_person_year(grade: int) -> float:
    model = model_from_dict({
        "name": "demo effects", "appraisal_years": 1,
        "cohorts": [{"name": "p", "need": {0: 1}, "engagement_rate": 1, "success_rate": 1}],
        "costs": [{"name": "none", "agency": "NHS", "kind": "revenue", "amount": 0, "confidence_grade": 1}],
        "outcomes": [{"name": f"s{i}", "cohort": "p", "confidence_grade": grade,
                      "values": [{"agency": "NHS", "value_type": "fiscal", "amount": v}]}
                     for i, v in enumerate(DEMO_BENEFITS)],
    })
    plan = compile_model(model)
    return float(run_values(plan, plan.central_values()).pv_public_value[0])


def test_savings_and_increases_as_docs_cba_md_quotes_them() -> None:
    saved = sum(v for v in DEMO_BENEFITS if v > 0)
    rose = -sum(v for v in DEMO_BENEFITS if v < 0)
    assert (round(saved, 2), round(rose, 2), round(saved - rose, 2)) == (476.79, 790.68, -313.89)
    assert _one_person_year(1) == pytest.approx(-313.891095, abs=1e-6)  # grade 1: no optimism bias


def test_optimism_bias_per_component_gives_the_documented_net() -> None:
    """Grade 2, 5% (New Economy 2014): each saving × 0.95, each increase × 1.05 (Green Book:
    the correction is pessimistic either way): 476.79 × 0.95 − 790.68 × 1.05 = −377.26, not
    the −298.20 of (1 − bias) on every line, nor −329.59 of the bias on the net."""
    assert _one_person_year(2) == pytest.approx(-377.264826, abs=1e-6)
