import numpy as np
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


CORRELATED = {
    "windows": {"0-11": {
        "services": {
            "AE_ATTEND": {"effect_gbp": -100.0, "ci_low_gbp": -100 - Z95 * 50, "ci_high_gbp": -100 + Z95 * 50},
            "NEL_ADMIT": {"effect_gbp": -300.0, "ci_low_gbp": -300 - Z95 * 80, "ci_high_gbp": -300 + Z95 * 80},
            "GP_APPT": {"effect_gbp": 40.0, "ci_low_gbp": 40 - Z95 * 10, "ci_high_gbp": 40 + Z95 * 10},
        },
        "cost_correlation": {"services": ["AE_ATTEND", "NEL_ADMIT"], "matrix": [[1.0, 0.6], [0.6, 1.0]]},
    }},
}


def test_evaluated_effects_are_drawn_jointly_as_correlated() -> None:
    """Two services with sd 50 and 80 correlated 0.6 (effects.json's cost_correlation): the sd
    of their summed benefit is sqrt(50² + 80² + 2 × 0.6 × 50 × 80) = 115.8, not the 94.3 of
    independent draws; GP appointments, absent from the matrix, stay independent. Each keeps
    its own mean and sd."""
    from carecase.cba.engine import compile_model
    from carecase.cba.from_evaluation import evaluation_correlation, evaluation_outcomes
    from carecase.cba.uncertainty import sample_inputs

    outs, window, codes = evaluation_outcomes(CORRELATED, cohort="c")
    assert (window, codes) == ("0-11", ["AE_ATTEND", "GP_APPT", "NEL_ADMIT"])
    d = simple_model()
    d["outcomes"] = d["outcomes"] + outs
    group = evaluation_correlation(CORRELATED, window, codes, first_index=1)
    assert group is not None
    assert group["inputs"] == [f"outcomes[{i}].values[0].amount" for i in (1, 2, 3)]
    assert group["matrix"] == [[1.0, 0.0, 0.6], [0.0, 1.0, 0.0], [0.6, 0.0, 1.0]]
    plan = compile_model(model_from_dict({**d, "correlations": [group]}))
    v = sample_inputs(plan, 200_000, seed=3)
    ae, gp, nel = (v[f"outcomes[{i}].values[0].amount"] for i in (1, 2, 3))
    assert (ae + nel).std() == pytest.approx(np.sqrt(50**2 + 80**2 + 2 * 0.6 * 50 * 80), rel=0.01)
    assert np.corrcoef(ae, gp)[0, 1] == pytest.approx(0.0, abs=0.01)
    assert nel.mean() == pytest.approx(300.0, abs=0.5) and nel.std() == pytest.approx(80.0, rel=0.01)
    independent = sample_inputs(compile_model(model_from_dict(d)), 200_000, seed=3)
    assert np.allclose(independent["outcomes[1].values[0].amount"], ae, rtol=1e-12, atol=0)  # first keeps its draws
    assert evaluation_correlation(EFFECTS, "0-11", ["AE_ATTEND", "ASC_HOMECARE"], 1) is None  # no matrix


@pytest.mark.parametrize(("group", "message"), [
    ({"inputs": ["outcomes[0].values[0].amount", "outcomes[1].values[0].amount"],
      "matrix": [[1, 0.5], [0.5, 1]]}, "must be a normal distribution"),
    ({"inputs": ["outcomes[1].values[0].amount", "outcomes[9].values[0].amount"],
      "matrix": [[1, 0.5], [0.5, 1]]}, "no such input"),
    ({"inputs": [f"outcomes[{i}].values[0].amount" for i in (1, 2, 3)],
      "matrix": [[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]]}, "not positive semi-definite"),
])
def test_bad_correlation_groups_are_refused(group: dict, message: str) -> None:
    d = simple_model()
    d["outcomes"] = d["outcomes"] + evaluation_outcomes_only(CORRELATED)
    with pytest.raises(CBAError, match=message):
        model_from_dict({**d, "correlations": [group]})


def test_a_correlation_matrix_must_be_symmetric_with_a_unit_diagonal() -> None:
    d = simple_model()
    d["outcomes"] = d["outcomes"] + evaluation_outcomes_only(CORRELATED)
    paths = ["outcomes[1].values[0].amount", "outcomes[2].values[0].amount"]
    for matrix, message in (([[1, 0.5], [0.4, 1]], "symmetric"), ([[2, 0], [0, 1]], "diagonal must be 1")):
        with pytest.raises(CBAError, match=message):
            model_from_dict({**d, "correlations": [{"inputs": paths, "matrix": matrix}]})


def evaluation_outcomes_only(effects: dict) -> list[dict]:
    return impacts_from_evaluation(effects, cohort="c")


def _with_users(treated: int, control: int, ci: bool = True) -> dict:
    cost = {"effect": -30000.0, "ci_low": -60000.0 if ci else None, "ci_high": -1.0 if ci else None,
            "treated_users": treated, "control_users": control}
    shape = {"windows": {"post_0_12": {"services": {
        "ASC_RESIDENTIAL": {"agency_l1": "Local Authority", "cost_ppy": cost},
        "AE_ATTEND": {"agency_l1": "NHS", "cost_ppy": {"effect": -100.0, "ci_low": -200.0, "ci_high": 0.0,
                                                       "treated_users": 180, "control_users": 170}}}}}}
    return shape


def test_a_service_used_by_few_people_is_left_out_with_a_note() -> None:
    """One participant's residential care (1 user, no comparison user) is not evidence of an
    effect: with min_users 10 it is left out and a note names it; 0 keeps it."""
    from carecase.cba.from_evaluation import evaluation_outcomes

    notes: list[str] = []
    outs, _, codes = evaluation_outcomes(_with_users(1, 0), cohort="c", min_users=10, notes=notes)
    assert codes == ["AE_ATTEND"] and len(outs) == 1
    assert "ASC_RESIDENTIAL (1 participant, 0 comparison people)" in notes[0] and "min_users = 10" in notes[0]
    left: list[str] = []  # the codes alone, for the report (which names them without counts)
    evaluation_outcomes(_with_users(1, 0), cohort="c", min_users=10, left_out=left)
    assert left == ["ASC_RESIDENTIAL"]
    assert evaluation_outcomes(_with_users(1, 0), cohort="c", min_users=0)[2] == ["AE_ATTEND", "ASC_RESIDENTIAL"]
    assert evaluation_outcomes(_with_users(12, 10), cohort="c", min_users=10)[2] == ["AE_ATTEND", "ASC_RESIDENTIAL"]
    with pytest.raises(CBAError, match="rests on at least 500 users on each side"):
        evaluation_outcomes(_with_users(1, 0), cohort="c", min_users=500)


def test_an_effect_without_an_interval_is_refused() -> None:
    """The evaluation leaves the interval empty when it cannot estimate one (one cluster of
    matched sets); drawn with no spread the CBA would report P(NPV > 0) = 100%."""
    with pytest.raises(CBAError, match="ASC_RESIDENTIAL .* has an effect but no 95% interval"):
        impacts_from_evaluation(_with_users(50, 50, ci=False), cohort="c")
    # a service left out for its users is not refused for its interval
    assert len(impacts_from_evaluation(_with_users(1, 1, ci=False), cohort="c", min_users=10)) == 1


def test_the_source_writes_money_as_everywhere_else() -> None:
    """'95% CI £-256.26 to £164.70' is now '-£256.26 to £164.70'; and it is the benefit's
    interval (the change × −1), as its value is: the change's own beside the benefit read as
    a value outside its interval (29.60 beside −£72.34 to £15.11 in the register)."""
    outs = impacts_from_evaluation({"effects": [{"window": "w", "service_code": "GP_APPT", "effect_gbp": -10,
                                                 "ci95_gbp": [-256.26, 164.7]}]}, cohort="c")
    assert outs[0]["values"][0]["amount"]["mean"] == 10
    assert "95% CI -£164.70 to £256.26; the benefit is the evaluated change × −1" in outs[0]["source"]


def test_an_uprated_effect_quotes_its_interval_at_the_same_prices() -> None:
    """The mean was uprated to the model's price year while the source quoted the interval at
    the evaluation's (−£200 to −£40 beside a mean of £130.52): they did not reconcile."""
    effects = {"price_year": 2022, "windows": {"w": {"services": {"GP_APPT": {
        "cost_ppy": {"effect": -120.0, "ci_low": -200.0, "ci_high": -40.0}}}}}}
    out = impacts_from_evaluation(effects, cohort="c", price_base_year=2024, index={2022: 100.0, 2024: 108.0})[0]
    assert out["values"][0]["amount"]["mean"] == pytest.approx(129.6)
    assert "95% CI £43.20 to £216.00 at 2024/25 prices (uprated ×1.080000 from 2022/23); the benefit" in out["source"]


def test_the_self_funded_part_of_a_care_effect_is_the_individuals() -> None:
    """The evaluated £ of care is fiscal + economic (a third self-funded, docs/costs-and-audit.md):
    the CBA booked all of it to the council as fiscal, so its Financial and Cashable ROI and
    its who-benefits line counted self-funders' money (a walkthrough). With the evaluation's
    fiscal_share of 2/3 the council gets two thirds and the Individual a third, from one draw."""
    effects = {"windows": {"0-11": {"services": {"ASC_HOMECARE": {
        "agency_l1": "Local Authority", "fiscal_share": 0.666667,
        "cost_ppy": {"effect": -900.0, "ci_low": -1500.0, "ci_high": -300.0}}}}}}
    outs = impacts_from_evaluation(effects, cohort="c", window="0-11", confidence_grade=1)
    assert outs[0]["values"][0]["economic_share"] == pytest.approx(0.333333)
    d = simple_model(discounting={"schedule": "custom", "rate": 0.0}, cashable={"Local Authority": 1.0})
    d["cohorts"][0]["need"] = {0: 10}
    d["costs"][0]["agency"] = "Local Authority"
    d["outcomes"] = outs
    r = analyse(model_from_dict(d), draws=500)
    net = r["agency_net"]
    assert net["Local Authority"]["fiscal_pv"] == pytest.approx(9000 * 0.666667)
    assert net["Individual"]["economic_pv"] == pytest.approx(9000 * 0.333333)
    assert r["headline"]["pv_public_value"] == pytest.approx(9000)  # public value: both parts
    assert r["headline"]["pv_cashable"] == pytest.approx(9000 * 0.666667)
    # one draw split, not two independent ones: the spread of the total is the evaluation's
    assert r["npv_draws"]["sd"] == pytest.approx(10 * 1200 / (2 * Z95), rel=0.1)
    whole = impacts_from_evaluation({"windows": {"0-11": {"services": {"AE_ATTEND": {
        "fiscal_share": 1.0, "cost_ppy": {"effect": -1.0, "ci_low": -2.0, "ci_high": 0.0}}}}}}, cohort="c")
    assert "economic_share" not in whole[0]["values"][0]


def test_an_economic_share_only_splits_a_fiscal_value() -> None:
    from carecase.cba.load import model_from_dict as load

    d = simple_model()
    d["outcomes"][0]["values"][0].update(value_type="social", economic_share=0.3)
    with pytest.raises(CBAError, match="economic_share = 0.3: only a fiscal value that is not a transfer"):
        load(d)
