"""Outcomes discounted on the Green Book health schedule (``outcomes[].discounting: health``).

Source of the known answers: HM Treasury, *The Green Book* (2022), Annex A6 — health effects
are discounted at 1.5% (years 0–30, then 1.29% …), costs and £ savings at the standard 3.5%;
the published health factors are 0.9852 in year 1 and 0.6398 in year 30 (quoted in
carecase.cba.discounting's docstring).
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carecase.cba.discounting import HEALTH, STANDARD, discount_factors
from carecase.cba.engine import Plan, Totals, compile_model, run_values
from carecase.cba.load import CBAError, model_from_dict
from carecase.cba.model import CBAModel
from carecase.cba.results import analyse
from carecase.cba.uncertainty import monte_carlo, sample_inputs, switching_value, tornado

from .helpers import health_model, rich_model


def _plan(d: dict[str, Any]) -> Plan:
    return compile_model(model_from_dict(copy.deepcopy(d)))


def _base(d: dict[str, Any]) -> Totals:
    plan = _plan(d)
    return run_values(plan, plan.central_values())


# Σ_{t=1..30} 1/(1+r)^t, the annuity factors, worked out by hand (geometric series)
HEALTH_ANNUITY = (1 - 1.015 ** -30) / 0.015  # 24.0158…
STANDARD_ANNUITY = (1 - 1.035 ** -30) / 0.035  # 18.3920…


def test_known_answer_health_effect_saving_and_cost() -> None:
    """£1,000 a year of health effect in years 1–30 at 1.5%, £500 a year of NHS saving at 3.5%,
    £20,000 cost in year 0: NPV = 1000 × 24.0158 + 500 × 18.3920 − 20000 = 13,211.86."""
    assert 1 / 1.015 == pytest.approx(0.9852, abs=5e-5)
    assert 1.015 ** -30 == pytest.approx(0.6398, abs=5e-5)
    npv_by_hand = 1000 * HEALTH_ANNUITY + 500 * STANDARD_ANNUITY - 20000
    assert npv_by_hand == pytest.approx(13211.86, abs=0.01)
    r = analyse(model_from_dict(health_model()), uncertainty=False)
    h = r["headline"]
    assert h["npv"] == pytest.approx(npv_by_hand, rel=1e-12)
    assert h["pv_public_value"] == pytest.approx(1000 * HEALTH_ANNUITY + 500 * STANDARD_ANNUITY,
                                                 rel=1e-12)
    assert h["pv_fiscal"] == pytest.approx(500 * STANDARD_ANNUITY, rel=1e-12)  # the saving: 3.5%
    assert h["pv_costs"] == 20000
    assert r["agency_net"]["Individual"]["social_pv"] == pytest.approx(1000 * HEALTH_ANNUITY, rel=1e-12)
    assert r["agency_net"]["NHS"]["net_pv"] == pytest.approx(500 * STANDARD_ANNUITY - 20000, rel=1e-12)
    # the all-standard model: both benefits at 3.5%
    std = analyse(model_from_dict(health_model("standard")), uncertainty=False)["headline"]
    assert std["npv"] == pytest.approx(1500 * STANDARD_ANNUITY - 20000, rel=1e-12)
    # cumulative public-value net: year 30 is the NPV; payback the first year it turns ≥ 0
    cum = r["cashflow"]["Total (public value)"]
    assert cum[-1] == pytest.approx(npv_by_hand, rel=1e-12)
    by_hand = [-20000 + sum(1000 / 1.015 ** t + 500 / 1.035 ** t for t in range(1, y + 1))
               for y in range(31)]
    assert cum == pytest.approx(by_hand, rel=1e-12)
    assert h["payback_year"] == next(y for y, c in enumerate(by_hand) if c >= 0) == 16


def test_results_name_each_components_schedule_and_show_the_health_factors() -> None:
    r = analyse(model_from_dict(health_model()), uncertainty=False)
    dfs = r["discount_factors"]
    assert dfs[1]["health_rate"] == 0.015 and dfs[1]["rate"] == 0.035
    assert round(dfs[1]["health_factor"], 4) == 0.9852
    assert round(dfs[30]["health_factor"], 4) == 0.6398
    assert round(dfs[30]["factor"], 4) == 0.3563
    assert r["model"]["health_outcomes"] == ["QALYs gained"]
    for row in r["benefits"]:
        health = row["outcome"] == "QALYs gained"
        assert row["discount_schedule"] == ("health" if health else "standard")
        rate = 1.015 if health else 1.035
        assert row["discounted"] == pytest.approx(row["net"] / rate ** row["year"], rel=1e-12)
    for row in r["matrix_rows"]:
        if row["agency"] == "Individual" and row["year"] > 0:
            assert row["benefits_discounted"] == pytest.approx(1000 / 1.015 ** row["year"], rel=1e-12)
    # without a health outcome, the table keeps its three columns
    std = analyse(model_from_dict(health_model("standard")), uncertainty=False)
    assert set(std["discount_factors"][1]) == {"year", "rate", "factor"}
    assert std["model"]["health_outcomes"] == []


def _old_npv(plan: Plan, t: Totals) -> np.ndarray:
    """NPV as engine.py computed it before per-outcome schedules: the undiscounted year flows,
    summed over components, × the model's one factor row."""
    f = plan.factors
    return (t.benefits.sum(axis=(1, 2)) - t.transfers.sum(axis=1)) @ f - t.costs.sum(axis=1) @ f


AGENCIES = ("NHS", "Local Authority", "Individual")

outcome_st = st.fixed_dictionaries({
    "amount": st.floats(-5000, 5000, allow_nan=False),
    "agency": st.sampled_from(AGENCIES),
    "value_type": st.sampled_from(("fiscal", "economic", "social")),
    "transfer": st.booleans(),
    "lag": st.integers(0, 3),
    "duration": st.integers(1, 12),
    "deadweight": st.floats(0, 0.9),
    "grade": st.integers(1, 6),
})


def _random_model(years: int, rate: float | None, outcomes: list[dict[str, Any]], cost: float) -> dict[str, Any]:
    return {
        "name": "random", "appraisal_years": years,
        "discounting": {"schedule": "standard"} if rate is None else {"schedule": "custom", "rate": rate},
        "cohorts": [{"name": "c", "need": {0: 10, 1: 5}, "engagement_rate": 0.8, "success_rate": 0.5}],
        "costs": [{"name": "set-up", "agency": "Local Authority", "kind": "capital", "amount": cost,
                   "confidence_grade": 2},
                  {"name": "support", "agency": "NHS", "kind": "revenue", "basis": "per_participant",
                   "amount": 100, "confidence_grade": 3}],
        "outcomes": [{"name": f"o{i}", "cohort": "c", "lag_years": min(o["lag"], years - 1), "duration_years": o["duration"],
                      "deadweight": o["deadweight"], "confidence_grade": o["grade"],
                      "values": [{"agency": o["agency"], "value_type": o["value_type"], "amount": o["amount"],
                                  "transfer": o["transfer"] and o["value_type"] == "fiscal"}]}
                     for i, o in enumerate(outcomes)],
    }


@settings(deadline=None, max_examples=60)
@given(st.integers(2, 45), st.one_of(st.none(), st.floats(0, 0.2)),
       st.lists(outcome_st, min_size=1, max_size=4), st.floats(0, 1e5), st.sampled_from((1, 100)))
def test_all_standard_outcomes_give_the_npv_of_one_factor_row(years, rate, outcomes, cost, draws) -> None:
    """With every outcome on the model's schedule (standard, or a custom rate), the NPV is the
    one-factor-row NPV of before; 100 draws take engine.py's matmul path, 1 its einsum path."""
    plan = _plan(_random_model(years, rate, outcomes, cost))
    values = plan.central_values()
    values["costs[0].amount"] = np.linspace(0.5, 1.5, draws) * cost
    t = run_values(plan, values)
    scale = 1.0 + np.abs(t.benefits).sum(axis=(1, 2, 3)) + np.abs(t.costs).sum(axis=(1, 2))
    np.testing.assert_allclose(t.npv, _old_npv(plan, t), rtol=0, atol=1e-12 * scale.max())
    assert not plan.uses_health
    np.testing.assert_array_equal(plan.component_factors, np.broadcast_to(plan.factors, (len(plan.components), years)))


@settings(deadline=None, max_examples=60)
@given(st.integers(2, 45), st.lists(outcome_st, min_size=1, max_size=4), st.data())
def test_marking_a_positive_outcome_health_never_lowers_its_pv(years, outcomes, data) -> None:
    """Health factors ≥ standard ones each year, so an outcome with positive benefits marked
    health gains PV (strictly, once it pays in a year ≥ 1); costs and the other outcomes' PVs
    do not move."""
    k = data.draw(st.integers(0, len(outcomes) - 1))
    outcomes[k]["amount"] = data.draw(st.floats(1, 5000))
    # a health effect is a social or economic value (a fiscal one, cash, is refused as health)
    outcomes[k]["value_type"] = data.draw(st.sampled_from(("economic", "social")))
    d = _random_model(years, None, outcomes, 1000)
    t0 = _base(d)
    d["outcomes"][k]["discounting"] = "health"
    plan = _plan(d)
    t1 = run_values(plan, plan.central_values())
    a = AGENCIES.index(outcomes[k]["agency"])
    agency = plan.agencies.index(AGENCIES[a])
    gain = t1.agency_net_pv[0, agency] - t0.agency_net_pv[0, agency]
    assert gain >= -1e-9
    pays_later = bool((t0.benefits[0, agency].sum(axis=0)[1:] > 0).any())
    if pays_later and len(outcomes) == 1:
        assert gain > 0
    assert t1.pv_costs[0] == t0.pv_costs[0]
    others = [a_ for a_ in range(len(plan.agencies)) if a_ != agency]
    np.testing.assert_allclose(t1.agency_net_pv[0, others], t0.agency_net_pv[0, others], rtol=1e-12, atol=1e-9)
    transfer = d["outcomes"][k]["values"][0]["transfer"]
    assert t1.npv[0] - t0.npv[0] == pytest.approx(0.0 if transfer else gain, abs=1e-9 * (1 + abs(gain)))


@given(st.integers(1, 400))
def test_health_factors_are_never_below_standard_ones(n: int) -> None:
    assert (discount_factors(n, HEALTH) >= discount_factors(n, STANDARD)).all()


def test_custom_schedule_with_a_health_outcome_is_refused() -> None:
    d = health_model()
    d["discounting"] = {"schedule": "custom", "rate": 0.0}
    with pytest.raises(CBAError) as err:
        model_from_dict(d)
    text = str(err.value)
    assert "outcomes[0] (QALYs gained)" in text and "custom" in text
    assert "discounting.schedule: standard" in text and "discounting: standard" in text
    with pytest.raises(ValueError, match="no defined health counterpart"):
        CBAModel.model_validate({**health_model(), "discounting": {"schedule": "custom", "rate": 0.05}})
    # the same model with the outcome on the model's schedule is accepted
    d["outcomes"][0]["discounting"] = "standard"
    assert model_from_dict(d).discounting.rate == 0.0


def test_unknown_outcome_discounting_is_refused() -> None:
    d = health_model()
    d["outcomes"][0]["discounting"] = "1.5%"
    with pytest.raises(CBAError, match="discounting"):
        model_from_dict(d)


def test_model_wide_health_schedule_points_at_the_outcome_setting() -> None:
    d = health_model("standard")
    d["discounting"] = {"schedule": "health"}
    with pytest.raises(CBAError) as err:
        model_from_dict(d)
    assert "set discounting: health on each outcome" in str(err.value)
    assert "not yet" not in str(err.value)


def _uncertain_health_model() -> dict[str, Any]:
    d = health_model()
    d["outcomes"][0]["values"][0]["amount"] = {"dist": "normal", "mean": 1000, "sd": 200}
    d["scenarios"] = [{"name": "no health gain", "overrides": {"outcomes[0].values[0].amount": 0}}]
    d["monte_carlo"] = {"draws": 1000, "seed": 3}
    return d


def test_monte_carlo_draws_discount_the_health_effect_on_its_schedule() -> None:
    """Each draw's NPV = drawn £ × 24.0158 + 500 × 18.3920 − 20000 (1000 draws: the matmul path)."""
    plan = _plan(_uncertain_health_model())
    drawn = sample_inputs(plan, 1000, 3)["outcomes[0].values[0].amount"]
    mc = monte_carlo(plan, draws=1000, seed=3)
    np.testing.assert_allclose(mc.npv, drawn * HEALTH_ANNUITY + 500 * STANDARD_ANNUITY - 20000,
                               rtol=1e-12, atol=1e-8)
    assert not np.allclose(mc.npv, drawn * STANDARD_ANNUITY + 500 * STANDARD_ANNUITY - 20000)


def test_sensitivity_switching_values_and_scenarios_use_the_health_schedule() -> None:
    plan = _plan(_uncertain_health_model())
    row = next(r for r in tornado(plan) if r["path"] == "outcomes[0].values[0].amount")
    assert row["swing"] == pytest.approx((row["high"] - row["low"]) * HEALTH_ANNUITY, rel=1e-12)
    spec = next(s for s in plan.inputs if s.path == "outcomes[0].values[0].amount")
    sv = switching_value(plan, spec)
    assert sv["value"] == pytest.approx((20000 - 500 * STANDARD_ANNUITY) / HEALTH_ANNUITY, rel=1e-9)
    r = analyse(model_from_dict(_uncertain_health_model()), draws=1000)
    assert r["scenarios"][0]["headline"]["npv"] == pytest.approx(500 * STANDARD_ANNUITY - 20000, rel=1e-12)
    assert r["headline"]["npv"] == pytest.approx(1000 * HEALTH_ANNUITY + 500 * STANDARD_ANNUITY - 20000,
                                                 rel=1e-12)
    assert r["npv_draws"]["draws"] == 1000


@pytest.mark.parametrize(("value", "where"), [
    ({"agency": "NHS", "value_type": "fiscal", "amount": 28000}, "outcomes[0].values[0]"),
    ({"agency": "DWP", "value_type": "economic", "amount": 500, "transfer": True}, "outcomes[0].values[0]"),
])
def test_a_cash_value_marked_health_is_refused(value, where) -> None:
    """Green Book 2022 Annex A6: costs and £ savings, the NHS's included, take the standard
    rate. £250,000 now against £28,000 a year of NHS savings for ten years: NPV −£17,135 at
    3.5%, but marked health it showed +£8,221 (and a cash budget impact discounted at 1.5%)."""
    d = {"name": "cash marked health", "appraisal_years": 11, "cashable": {"NHS": 1.0},
         "cohorts": [{"name": "c", "need": {0: 1}, "engagement_rate": 1, "success_rate": 1}],
         "costs": [{"name": "Build", "agency": "NHS", "kind": "capital", "amount": 250000, "confidence_grade": 1}],
         "outcomes": [{"name": "Fewer admissions", "cohort": "c", "values": [value], "lag_years": 1,
                       "duration_years": 10, "confidence_grade": 1, "discounting": "health"}]}
    with pytest.raises(CBAError) as exc:
        model_from_dict(d)
    assert where in str(exc.value) and "standard rate even when the NHS" in str(exc.value)
    d["outcomes"][0]["discounting"] = "standard"
    if value["value_type"] == "fiscal":
        plan = compile_model(model_from_dict(d))
        assert run_values(plan, plan.central_values()).npv[0] == pytest.approx(-17135, abs=1)


def test_a_unit_cost_outcome_marked_health_is_refused() -> None:
    d = rich_model()
    i = next(i for i, o in enumerate(d["outcomes"]) if o.get("unit_cost"))
    d["outcomes"][i]["discounting"] = "health"
    with pytest.raises(CBAError) as exc:
        model_from_dict(d)
    assert f"outcomes[{i}].discounting = 'health': a unit-cost outcome is a cost saving" in str(exc.value)
