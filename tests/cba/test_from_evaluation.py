import pytest

from carecase.cba.from_evaluation import Z95, impacts_from_evaluation
from carecase.cba.load import model_from_dict
from carecase.cba.results import analyse
from carecase.core.errors import CBAError

from .helpers import simple_model

EFFECTS = {
    "windows": {
        "0-11": {"services": {
            "AE_ATTEND": {"effect_gbp": -120.0, "ci_low_gbp": -200.0, "ci_high_gbp": -40.0,
                          "effect_units": -0.5},
            "ASC_HOMECARE": {"effect_gbp": -900.0, "ci_low_gbp": -1500.0, "ci_high_gbp": -300.0},
        }},
        "0-8": {"services": {"AE_ATTEND": {"effect_gbp": -80.0, "ci_low_gbp": -150.0,
                                           "ci_high_gbp": -10.0}}},
    },
    "costs_by_agency": {"Local Authority": 300.0},
}


def test_effects_become_normal_outcomes() -> None:
    """Normal from a 95% CI: sd = (high − low) / (2 × 1.959964); a fall in cost is a benefit."""
    outs = impacts_from_evaluation(EFFECTS, cohort="c", window="0-11", duration_years=2)
    ae = next(o for o in outs if o["name"].startswith("AE_ATTEND"))
    amount = ae["values"][0]["amount"]
    assert amount["mean"] == 120.0
    assert amount["sd"] == pytest.approx(160 / (2 * Z95))
    assert ae["values"][0]["agency"] == "NHS"
    hc = next(o for o in outs if o["name"].startswith("ASC_HOMECARE"))
    assert hc["values"][0]["agency"] == "Local Authority"


def test_measured_effect_drives_benefit_and_uncertainty() -> None:
    d = simple_model(discounting={"schedule": "custom", "rate": 0.0})
    d["cohorts"][0]["need"] = {0: 10}
    d["outcomes"] = impacts_from_evaluation(EFFECTS, cohort="c", window="0-11",
                                            services=["AE_ATTEND"])
    # default grade 2: benefits reduced by 5% (optimism bias)
    assert analyse(model_from_dict(d), uncertainty=False)["headline"]["pv_public_value"] == \
        pytest.approx(1140)
    d["outcomes"] = impacts_from_evaluation(EFFECTS, cohort="c", window="0-11",
                                            services=["AE_ATTEND"], confidence_grade=1)
    r = analyse(model_from_dict(d), draws=20000)
    assert r["headline"]["pv_public_value"] == pytest.approx(1200)
    # 10 people × N(120, 40.8): the 2.5th–97.5th percentile of benefits is the CI × 10
    sd = r["npv_draws"]["sd"]
    assert sd == pytest.approx(10 * 160 / (2 * Z95), rel=0.03)


def test_flat_record_shape_and_errors() -> None:
    flat = {"effects": [{"window": "w", "service_code": "GP_APPT", "effect_gbp": -10,
                         "ci95_gbp": [-20, 0]}]}
    assert impacts_from_evaluation(flat, cohort="c")[0]["values"][0]["amount"]["mean"] == 10
    with pytest.raises(CBAError, match="choose one"):
        impacts_from_evaluation(EFFECTS, cohort="c")
    with pytest.raises(CBAError, match="available: 0-11, 0-8"):
        impacts_from_evaluation(EFFECTS, cohort="c", window="0-99")
    with pytest.raises(CBAError, match="neither"):
        impacts_from_evaluation({}, cohort="c")


EVALUATE_SHAPE = {
    "price_year": 2023,
    "windows": {"0-11": {
        "services": {
            "NEL_ADMIT": {"agency_l1": "NHS", "agency_l2": "Acute Trust", "unit": "bed day",
                          "events_ppy": {"effect": -0.2, "ci_low": -0.3, "ci_high": -0.1},
                          "cost_ppy": {"effect": -500.0, "ci_low": -800.0, "ci_high": -200.0}},
            "GP_APPT": {"agency_l1": "NHS", "agency_l2": "Primary Care",
                        "cost_ppy": {"effect": None, "ci_low": None, "ci_high": None}},
        },
        "total": {"all": {"cost_ppy": {"effect": -700.0, "ci_low": -1000.0, "ci_high": -300.0}}},
    }},
}


def test_carecase_evaluate_shape_with_uprating() -> None:
    """carecase evaluate's effects.json: cost_ppy per service; unestimable effects skipped;
    £ uprated by the GDP deflator ratio from the file's price year to the model's."""
    from carecase.cba.unit_costs import uprating_factor

    outs = impacts_from_evaluation(EVALUATE_SHAPE, cohort="c")
    assert [o["name"] for o in outs] == ["NEL_ADMIT: evaluated effect (0-11)"]
    assert outs[0]["values"][0]["amount"]["mean"] == 500.0
    up = impacts_from_evaluation(EVALUATE_SHAPE, cohort="c", price_base_year=2024)
    f = uprating_factor(2023, 2024)
    assert up[0]["values"][0]["amount"]["mean"] == pytest.approx(500.0 * f)
    assert up[0]["values"][0]["amount"]["sd"] == pytest.approx(f * 600 / (2 * Z95))
