"""Avoided demand apart from intended increases: a presentation, the NPV unchanged."""

from __future__ import annotations

import pytest

from carecase.cba.from_evaluation import evaluation_outcomes, intended_services
from carecase.cba.load import model_from_dict
from carecase.cba.results import analyse
from carecase.core.errors import CBAError

from .helpers import rich_model, simple_model

EFFECTS = {"windows": {"w": {"services": {
    "AE_ATTEND": {"effect_gbp": -120.0, "ci_low_gbp": -200.0, "ci_high_gbp": -40.0},
    "GP_APPT": {"effect_gbp": 60.0, "ci_low_gbp": 30.0, "ci_high_gbp": 90.0},
    "DA_TREATMENT": {"effect_gbp": 200.0, "ci_low_gbp": 50.0, "ci_high_gbp": 350.0},
}}}}


def _model(intended: set[str]) -> dict:
    d = simple_model()
    outs, _, _ = evaluation_outcomes(EFFECTS, cohort="c", intended=intended)
    d["outcomes"] = d["outcomes"] + outs
    return d


def test_intended_services_by_code_or_area_of_need() -> None:
    assert intended_services(["GP_APPT", "substance  MISUSE"]) == {"GP_APPT", "DA_TREATMENT"}
    assert intended_services([]) == set()
    with pytest.raises(CBAError, match=r"'GP_APT' \(did you mean 'GP_APPT'\?\) is neither"):
        intended_services(["GP_APT"])


def test_marked_outcomes_are_split_out_and_the_npv_is_unchanged() -> None:
    plain = analyse(model_from_dict(_model(set())), uncertainty=False)
    marked = analyse(model_from_dict(_model({"GP_APPT", "DA_TREATMENT"})), uncertainty=False)
    assert marked["headline"] == plain["headline"]
    split = marked["benefit_split"]
    assert split["intended_outcomes"] == ["DA_TREATMENT: evaluated effect (w)", "GP_APPT: evaluated effect (w)"]
    # the increases cost (60 + 200) × 1.05 optimism bias (grade 2), a disbenefit enlarged; year 0 undiscounted
    assert split["intended_pv"] == pytest.approx(-(60 + 200) * 1.05)
    assert split["avoided_demand_pv"] + split["intended_pv"] == pytest.approx(marked["headline"]["pv_public_value"])
    assert split["avoided_demand_pv"] + split["intended_pv"] - split["pv_costs"] == pytest.approx(split["npv"])
    assert split["npv"] == marked["headline"]["npv"]
    assert [r["intended"] for r in split["outcomes"]] == [False, False, True, True]
    assert plain["benefit_split"]["intended_pv"] == 0 and plain["benefit_split"]["intended_outcomes"] == []


def test_a_models_own_outcome_can_be_marked_and_transfers_stay_out() -> None:
    """The rich model's library outcome carries a DWP transfer: the split, like the NPV,
    leaves it out, so avoided demand + intended = PV public value."""
    d = rich_model()
    d["outcomes"][1]["intended"] = True
    r = analyse(model_from_dict(d), uncertainty=False)
    split = r["benefit_split"]
    assert split["intended_outcomes"] == ["fewer A&E"]
    assert split["avoided_demand_pv"] + split["intended_pv"] == pytest.approx(r["headline"]["pv_public_value"])
    assert r["headline"] == analyse(model_from_dict(rich_model()), uncertainty=False)["headline"]
