"""The worked figures docs/cba.md quotes from the demo (out/cba/results.json of
`carecase demo --people 4000 --seed 20240401`), recomputed by hand from its effects.json
(window post_0_12, the ten services with at least 10 users on each side; benefit = −effect),
so that the doc's example stays the arithmetic the engine does; the doc's sentence is read here
too, and tests/e2e/test_pipeline.py checks that these are the demo's effects."""

from __future__ import annotations

from pathlib import Path

import pytest

from carecase.cba.engine import compile_model, run_values
from carecase.cba.load import model_from_dict

DOCS = Path(__file__).resolve().parents[2] / "docs" / "cba.md"

#: −cost_ppy effect, £ per person-year, of the ten services valued (at least 10 users each side)
DEMO_BENEFITS = {
    "AE_ATTEND": 50.482595, "AMBULANCE": 40.224031, "EL_ADMIT": 112.740664,
    "HOU_HOMELESS_APP": 1.646871, "HOU_TEMP_ACCOM": 22.498632, "POL_CUSTODY": 106.697228,
    "DA_TREATMENT": -123.558374, "GP_APPT": -90.523067, "MH_INPATIENT": -144.122978,
    "NEL_ADMIT": -69.569726,
}


def _one_person_year(grade: int) -> float:
    model = model_from_dict({
        "name": "demo effects", "appraisal_years": 1,
        "cohorts": [{"name": "p", "need": {0: 1}, "engagement_rate": 1, "success_rate": 1}],
        "costs": [{"name": "none", "agency": "NHS", "kind": "revenue", "amount": 0, "confidence_grade": 1}],
        "outcomes": [{"name": f"s{i}", "cohort": "p", "confidence_grade": grade,
                      "values": [{"agency": "NHS", "value_type": "fiscal", "amount": v}]}
                     for i, v in enumerate(DEMO_BENEFITS.values())],
    })
    plan = compile_model(model)
    return float(run_values(plan, plan.central_values()).pv_public_value[0])


def test_savings_and_increases_as_docs_cba_md_quotes_them() -> None:
    saved = sum(v for v in DEMO_BENEFITS.values() if v > 0)
    rose = -sum(v for v in DEMO_BENEFITS.values() if v < 0)
    assert (round(saved, 2), round(rose, 2), round(saved - rose, 2)) == (334.29, 427.77, -93.48)
    assert _one_person_year(1) == pytest.approx(-93.484124, abs=1e-6)  # grade 1: no optimism bias
    text = " ".join(DOCS.read_text(encoding="utf-8").split())
    assert ("£334.29 of savings a person-year and £427.77 of increases net to −£93.48; at 5% the net "
            "becomes −£131.59 (334.29 × 0.95 − 427.77 × 1.05)") in text


def test_optimism_bias_per_component_gives_the_documented_net() -> None:
    """Grade 2, 5% (New Economy 2014): each saving × 0.95, each increase × 1.05 (Green Book:
    the correction is pessimistic either way): 334.29 × 0.95 − 427.77 × 1.05 = −131.59, not
    the −88.81 of (1 − bias) on every line, nor −98.16 of the bias on the net."""
    assert _one_person_year(2) == pytest.approx(-131.587332, abs=1e-6)
