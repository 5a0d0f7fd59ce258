import copy

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carecase.cba.engine import compile_model, evaluate, run_values, totals
from carecase.cba.load import model_from_dict
from carecase.cba.results import analyse

from .helpers import npv_of, rich_model, simple_model

NO_DISCOUNT = {"schedule": "custom", "rate": 0.0}


def _plan(data):
    return compile_model(model_from_dict(copy.deepcopy(data)))


def _flows(data):
    p = _plan(data)
    return p, evaluate(p, p.central_values())


def test_sroi_adjustment_arithmetic() -> None:
    """Cabinet Office (2012) *A guide to Social Return on Investment*, stage 4: impact =
    quantity × financial proxy × (1 − deadweight) × (1 − displacement) × (1 − attribution);
    e.g. 10 × £1,000 × 0.8 × 0.9 × 0.75 = £5,400."""
    d = simple_model(discounting=NO_DISCOUNT)
    d["cohorts"][0]["need"] = {0: 10}
    d["outcomes"][0].update(lag_years=0, duration_years=1, deadweight=0.2, displacement=0.1,
                            attribution=0.25)
    d["outcomes"][0]["values"][0]["amount"] = 1000
    p, fl = _flows(d)
    assert fl.gross[0, 0, 0] == pytest.approx(10_000)
    assert fl.net[0, 0, 0] == pytest.approx(5_400)


def test_sroi_drop_off_year_on_year() -> None:
    """SROI guide (2012), stage 4: drop-off deducts a fixed % of the remaining outcome each
    year after the first: £1,000 with 10% drop-off → 1,000, 900, 810, 729."""
    d = simple_model(discounting=NO_DISCOUNT)
    d["outcomes"][0].update(lag_years=0, duration_years=4, drop_off=0.1)
    d["outcomes"][0]["values"][0]["amount"] = 1000
    p, fl = _flows(d)
    np.testing.assert_allclose(fl.net[0, 0, :4], [1000, 900, 810, 729])
    assert fl.net[0, 0, 4] == 0


def test_lag_and_cohort_intake_years() -> None:
    """Successes entering in years 0 and 2 each pay for two years after a one-year lag."""
    d = simple_model(discounting=NO_DISCOUNT)
    d["cohorts"][0]["need"] = {0: 1, 2: 2}
    d["outcomes"][0].update(lag_years=1, duration_years=2)
    d["outcomes"][0]["values"][0]["amount"] = 10
    p, fl = _flows(d)
    np.testing.assert_allclose(fl.net[0, 0], [0, 10, 10, 20, 20, 0])


def test_optimism_bias_by_confidence_grade() -> None:
    """HM Treasury / New Economy (2014) CBA guidance: grade 6 adds 40% to costs and removes
    40% of benefits; grade 1 adds nothing."""
    d = simple_model(discounting=NO_DISCOUNT)
    d["costs"][0]["confidence_grade"] = 6
    d["outcomes"][0]["confidence_grade"] = 6
    p, fl = _flows(d)
    assert fl.cost_items[0, 0, 0] == pytest.approx(140)
    assert fl.net[0, 0, 1] == pytest.approx(18)
    d["optimism_bias"] = {"costs": {1: 0, 2: 0, 3: 0, 4: 0, 5: 0, 6: 0.1},
                          "benefits": {1: 0, 2: 0, 3: 0, 4: 0, 5: 0, 6: 0.0}}
    p, fl = _flows(d)
    assert fl.cost_items[0, 0, 0] == pytest.approx(110)
    assert fl.net[0, 0, 1] == pytest.approx(30)


def test_optimism_bias_makes_a_disbenefit_larger() -> None:
    """HM Treasury Green Book (2022) and its supplementary guidance on optimism bias: the
    adjustment is pessimistic — it raises costs and lowers benefits — so a disbenefit (a
    negative benefit value) grows by the share: 100 people × −£10 at grade 6 (40%) is −£1,400,
    not −£600, and weaker evidence (grade 6) gives a lower NPV than grade 1 (−£1,000)."""
    d = simple_model(discounting=NO_DISCOUNT, appraisal_years=1)
    d["cohorts"][0]["need"] = {0: 100}
    d["costs"][0]["amount"] = 0
    d["outcomes"][0].update(lag_years=0, duration_years=1, confidence_grade=6)
    d["outcomes"][0]["values"][0]["amount"] = -10
    p, fl = _flows(d)
    assert fl.net[0, 0, 0] == pytest.approx(-1400)
    grade6 = npv_of(d)
    d["outcomes"][0]["confidence_grade"] = 1
    assert grade6 == pytest.approx(-1400) and npv_of(d) == pytest.approx(-1000)
    assert grade6 < npv_of(d)


def test_optimism_bias_sign_is_per_component() -> None:
    """One outcome with a benefit to one agency and a disbenefit to another: at grade 4 (15%)
    the benefit × 0.85 and the disbenefit × 1.15; the breakdown reports each factor, and
    net = after attribution × optimism_factor."""
    d = simple_model(discounting=NO_DISCOUNT, appraisal_years=1)
    d["costs"][0]["amount"] = 0
    d["outcomes"][0].update(lag_years=0, duration_years=1, confidence_grade=4, deadweight=0.5)
    d["outcomes"][0]["values"] = [{"agency": "LA", "value_type": "fiscal", "amount": 100},
                                  {"agency": "NHS", "value_type": "fiscal", "amount": -40}]
    p, fl = _flows(d)
    np.testing.assert_allclose(fl.net[0, :, 0], [100 * 0.5 * 0.85, -40 * 0.5 * 1.15])
    rows = analyse(model_from_dict(d), uncertainty=False)["benefits"]
    assert [r["optimism_factor"] for r in rows] == pytest.approx([0.85, 1.15])
    for r in rows:
        assert r["net"] == pytest.approx(r["after_attribution"] * r["optimism_factor"])


def test_agency_split_sums_to_headline_e_and_e1() -> None:
    """New Economy / GMCA Unit Cost Database v1.4, E&E1.0: a jobseeker entering work saves
    DWP £9,234 and the NHS £566 (fiscal £9,800, 2012/13) plus £14,044 economic benefit;
    public value excludes the DWP benefit transfer: £566 + £14,044 = £14,610 (prices at the
    code's published year, 2012/13, so nothing is uprated)."""
    d = simple_model(discounting=NO_DISCOUNT, appraisal_years=1, price_base_year=2012)
    d["costs"][0]["amount"] = 1
    d["outcomes"][0] = {"name": "work", "cohort": "c", "unit_cost": "E&E1.0", "confidence_grade": 1}
    r = analyse(model_from_dict(d), uncertainty=False)
    an = r["agency_net"]
    assert an["DWP"]["fiscal_pv"] == pytest.approx(9234)
    assert an["NHS"]["fiscal_pv"] == pytest.approx(566)
    assert r["headline"]["pv_fiscal"] == pytest.approx(9800)
    assert an["Individual"]["economic_pv"] == pytest.approx(14044)
    assert r["headline"]["pv_public_value"] == pytest.approx(14610)
    assert r["headline"]["pv_transfers"] == pytest.approx(9234)


def test_per_participant_costs_follow_engagement() -> None:
    d = simple_model(discounting=NO_DISCOUNT)
    d["cohorts"][0].update(need={0: 50, 1: 30}, engagement_rate=0.5)
    d["costs"].append({"name": "support", "agency": "LA", "kind": "revenue",
                       "basis": "per_participant", "amount": 200, "confidence_grade": 1})
    p, fl = _flows(d)
    np.testing.assert_allclose(fl.cost_items[0, 1], [5000, 3000, 0, 0, 0, 0])


def test_per_participant_cost_charged_every_year_people_are_engaged() -> None:
    """A per-participant cost follows the cohort: engaged people in year 4 are paid for too
    (it takes no years), whatever the kind; a capital per-participant cost is no exception."""
    d = simple_model(discounting=NO_DISCOUNT)
    d["cohorts"][0].update(need={0: 10, 4: 20}, engagement_rate=1)
    d["costs"].append({"name": "kit", "agency": "LA", "kind": "capital",
                       "basis": "per_participant", "amount": 50, "confidence_grade": 1})
    p, fl = _flows(d)
    np.testing.assert_allclose(fl.cost_items[0, 1], [500, 0, 0, 0, 1000, 0])


def test_cashability_budget_impact_and_in_kind() -> None:
    """Cashable ROI counts cashable fiscal benefit; budget impact leaves out in-kind costs."""
    d = simple_model(discounting=NO_DISCOUNT, cashable={"LA": 0.5})
    d["costs"].append({"name": "volunteers", "agency": "LA", "kind": "in_kind", "amount": 10,
                       "years": [0], "confidence_grade": 1})
    h = analyse(model_from_dict(d), uncertainty=False)["headline"]
    assert h["pv_costs"] == pytest.approx(110)
    assert h["pv_cashable"] == pytest.approx(75)
    assert h["roi_cashable"] == pytest.approx(75 / 110)
    assert h["net_present_budget_impact"] == pytest.approx(75 - 100)
    assert h["npv"] == pytest.approx(150 - 110)
    assert h["payback_year"] == 4


def test_payback_not_within_period() -> None:
    d = simple_model()
    d["costs"][0]["amount"] = 1000
    h = analyse(model_from_dict(d), uncertainty=False)["headline"]
    assert h["payback_year"] == "not within the period"


def test_matrix_sums_to_npv_plus_transfers() -> None:
    r = analyse(model_from_dict(rich_model()), uncertainty=False)
    total = sum(v["net_pv"] for v in r["agency_net"].values())
    assert total == pytest.approx(r["headline"]["npv"] + r["headline"]["pv_transfers"])
    for agency, row in r["matrix_discounted"].items():
        assert sum(row) == pytest.approx(r["agency_net"][agency]["net_pv"])


@settings(max_examples=40, deadline=None)
@given(st.floats(0.01, 100))
def test_npv_linear_in_benefit_scale(k: float) -> None:
    d = rich_model()
    plan = compile_model(model_from_dict(d))
    base = run_values(plan, plan.central_values())
    values = plan.central_values()
    for s in plan.inputs:
        if s.path.endswith("].quantity"):
            values[s.path] = values[s.path] * k
    scaled = run_values(plan, values)
    assert scaled.npv[0] == pytest.approx(k * base.pv_public_value[0] - base.pv_costs[0], rel=1e-9)


@settings(max_examples=40, deadline=None)
@given(st.floats(0, 500), st.floats(0, 5000))
def test_payback_never_earlier_when_costs_rise(extra: float, capital: float) -> None:
    d = simple_model()
    d["costs"][0]["amount"] = capital
    d2 = copy.deepcopy(d)
    d2["costs"][0]["amount"] = capital + extra
    p1, p2 = _plan(d), _plan(d2)
    y1 = int(run_values(p1, p1.central_values()).payback_year[0])
    y2 = int(run_values(p2, p2.central_values()).payback_year[0])
    y1 = 10**9 if y1 < 0 else y1
    y2 = 10**9 if y2 < 0 else y2
    assert y2 >= y1


def test_vectorised_draws_equal_one_at_a_time() -> None:
    plan = _plan(rich_model())
    from carecase.cba.uncertainty import sample_inputs

    values = sample_inputs(plan, 50, seed=3)
    batch = run_values(plan, values)
    for i in (0, 17, 49):
        one = run_values(plan, {k: v[i : i + 1] for k, v in values.items()})
        assert one.npv[0] == pytest.approx(batch.npv[i], rel=1e-12)
        np.testing.assert_allclose(one.agency_net_pv[0], batch.agency_net_pv[i], rtol=1e-12)


def test_zero_discount_npv_is_undiscounted_sum() -> None:
    d = simple_model(discounting=NO_DISCOUNT)
    assert npv_of(d) == pytest.approx(-100 + 5 * 30)


def test_totals_from_flows_consistent() -> None:
    p, fl = _flows(rich_model())
    t = totals(p, fl)
    assert t.costs.sum() == pytest.approx(fl.cost_items.sum())
    assert t.benefits.sum() == pytest.approx(fl.net.sum())


def test_matrix_rows_by_value_type_add_up() -> None:
    r = analyse(model_from_dict(rich_model()), uncertainty=False)
    for row in r["matrix_rows"]:
        assert row["fiscal_net"] + row["economic_net"] + row["social_net"] == pytest.approx(row["benefits"])
        assert row["gross_benefits"] >= row["benefits"] - 1e-9
        assert row["net_discounted"] == pytest.approx(row["net"] * row["discount_factor"])
    gross = sum(x["gross"] for x in r["benefits"])
    assert sum(row["gross_benefits"] for row in r["matrix_rows"]) == pytest.approx(gross)


def test_rates_by_year_step_function() -> None:
    """need → engagement → success by year: {0: 0.5, 2: 0.8} means 0.5 in years 0–1, 0.8 after."""
    d = simple_model(discounting=NO_DISCOUNT)
    d["cohorts"][0].update(need={0: 100, 1: 100, 2: 100, 3: 100},
                           engagement_rate={0: 0.5, 2: 0.8}, success_rate={0: 0.5, 3: 1.0})
    p, fl = _flows(d)
    np.testing.assert_allclose(fl.engaged[0, 0, :4], [50, 50, 80, 80])
    np.testing.assert_allclose(fl.successes[0, 0, :4], [25, 25, 40, 80])
    paths = {s.path for s in p.inputs}
    assert {"cohorts[0].engagement_rate.0", "cohorts[0].engagement_rate.2"} <= paths


def test_rates_by_year_refused_when_bad() -> None:
    from carecase.core.errors import CBAError

    d = simple_model()
    d["cohorts"][0]["success_rate"] = {1: 0.5}
    with pytest.raises(CBAError, match="must give year 0"):
        model_from_dict(d)
    d["cohorts"][0]["success_rate"] = {0: 0.5, 2: 1.5}
    with pytest.raises(CBAError, match=r"cohorts\[0\]\.success_rate.*year 2: a rate or share must lie in 0–1"):
        model_from_dict(d)
    d["cohorts"][0]["success_rate"] = {0: 0.5, 9: 0.5}
    with pytest.raises(CBAError, match="year must lie in 0–5"):
        model_from_dict(d)
