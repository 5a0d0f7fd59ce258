"""Break-even (threshold) analysis: known answers by hand, and properties through the engine."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carecase.cba.break_even import (
    benefit_stream,
    break_even_benefit,
    break_even_cost,
    discounted_total,
    evaluated_saving,
    npv_at_benefit,
)
from carecase.cba.discounting import discount_factors
from carecase.cba.load import model_from_dict
from carecase.cba.results import analyse

from .helpers import simple_model

#: Green Book (2022), Table 8: 3.5% a year for years 0–30, year 0 undiscounted (DF(0) = 1), so
#: DF(1..4) = 1/1.035^t = 0.966184, 0.933511, 0.901943, 0.871442 and the five-year
#: annuity-due factor Σ_{t=0..4} DF(t) = 4.673079 (worked by hand).
ANNUITY_5Y = 1 + 0.966184 + 0.933511 + 0.901943 + 0.871442


def programme(**over: Any) -> dict[str, Any]:
    """20 participants a year for five years at the standard 3.5%: £60,000 set-up in year 0
    and £100,000 a year to run, a saving per participant in the year they take part."""
    m: dict[str, Any] = {
        "name": "annuity", "appraisal_years": 5, "discounting": {"schedule": "standard"},
        "cohorts": [{"name": "c", "need": {y: 20 for y in range(5)}, "engagement_rate": 1, "success_rate": 1}],
        "costs": [{"name": "set-up", "agency": "LA", "kind": "capital", "amount": 60000, "confidence_grade": 1},
                  {"name": "team", "agency": "LA", "kind": "revenue", "amount": 100000, "confidence_grade": 1}],
        "outcomes": [{"name": "saving", "cohort": "c", "confidence_grade": 1,
                      "values": [{"agency": "NHS", "value_type": "fiscal", "amount": 4000}]}],
    }
    m.update(over)
    return m


def test_the_annuity_factor_is_the_green_books() -> None:
    factors = discount_factors(5)
    assert discounted_total(np.ones(5), factors) == pytest.approx(ANNUITY_5Y, abs=1e-5)
    assert factors[1] == pytest.approx(0.9662, abs=5e-5)  # the Green Book's published DF(1)


def test_break_even_by_hand_with_the_green_book_annuity() -> None:
    """PV costs = 60,000 + 100,000 × 4.673079 = 527,307.9; discounted participant-years =
    20 × 4.673079 = 93.46158; break-even = 527,307.9 / 93.46158 = £5,641.97 per participant
    per year (£5,000 to run plus 60,000 / 93.46158 = £641.97 of set-up)."""
    r = analyse(model_from_dict(programme()), uncertainty=False)
    be = r["break_even"]
    assert r["headline"]["pv_costs"] == pytest.approx(60000 + 100000 * ANNUITY_5Y, abs=1)
    assert be["participant_years_discounted"] == pytest.approx(20 * ANNUITY_5Y, abs=1e-3)
    assert be["benefit_per_participant_year"] == pytest.approx(5641.97, abs=0.05)
    assert be["benefit_measured_per_participant_year"] == pytest.approx(5641.97, abs=0.05)
    # the model's own benefit (£4,000) and what it could cost: PV benefits / engaged participant-years
    assert be["estimated_per_participant_year"] == pytest.approx(4000)
    assert be["cost_per_participant_year"] == pytest.approx(5641.97, abs=0.05)
    assert be["cost_break_even_per_participant_year"] == pytest.approx(4000)
    # the gap times the discounted participant-years is the NPV
    gap = be["estimated_per_participant_year"] - be["benefit_per_participant_year"]
    assert gap * be["participant_years_discounted"] == pytest.approx(r["headline"]["npv"], abs=1e-6)


def test_drop_off_lag_and_the_adjustments_by_hand() -> None:
    """One person succeeds in year 0 and saves for three years, falling 20% a year: stream
    1, 0.8, 0.64, so S = 1 + 0.8 × 0.966184 + 0.64 × 0.933511 = 2.370394; a £10,000 cost
    breaks even at 10,000 / 2.370394 = £4,218.71 after the adjustments, and with deadweight
    20% and optimism bias 5% (grade 2) at 4,218.71 / (0.8 × 0.95) = £5,550.93 as measured."""
    assert benefit_stream([1, 0, 0, 0, 0], 0, 3, 0.2) == pytest.approx([1, 0.8, 0.64, 0, 0])
    assert benefit_stream([1, 0, 0, 0, 0], 1, 3, 0.2) == pytest.approx([0, 1, 0.8, 0.64, 0])
    m = programme(cohorts=[{"name": "c", "need": {0: 1}, "engagement_rate": 1, "success_rate": 1}],
                  costs=[{"name": "x", "agency": "LA", "kind": "capital", "amount": 10000, "confidence_grade": 1}])
    m["outcomes"][0].update(duration_years=3, drop_off=0.2, deadweight=0.2, confidence_grade=2)
    be = analyse(model_from_dict(m), uncertainty=False)["break_even"]
    assert be["participant_years_discounted"] == pytest.approx(2.370394, abs=1e-5)
    assert be["benefit_per_participant_year"] == pytest.approx(4218.71, abs=0.01)
    assert be["adjustment"] == pytest.approx(0.76)
    assert be["benefit_measured_per_participant_year"] == pytest.approx(5550.93, abs=0.01)
    assert be["basis"] == {"cohorts": ["c"], "lag_years": 0, "duration_years": 3, "drop_off": 0.2,
                           "profile": "the outcomes'", "discounting": "standard", "price_base_year": None}


def test_no_cost_breaks_even_when_the_benefits_are_below_zero() -> None:
    assert break_even_cost(-5.0, [1, 1], [1, 0.9]) is None
    assert break_even_cost(5.0, [0, 0], [1, 0.9]) is None
    assert break_even_benefit(10.0, [0, 0], [1, 0.9]) is None
    m = programme()
    m["outcomes"][0]["values"][0]["amount"] = -100
    be = analyse(model_from_dict(m), uncertainty=False)["break_even"]
    assert be["cost_break_even_per_participant_year"] is None and be["cost_status"].startswith("none")


def test_a_break_even_below_zero_is_a_disbenefit_enlarged_by_optimism_bias() -> None:
    """Other benefits already cover the costs: the break-even is a disbenefit, which optimism
    bias enlarges (× 1.05 at grade 2), so its measured size is the net ÷ 1.05."""
    b = break_even_benefit(100.0, [1.0], [1.0], adjustment=0.95, disbenefit_adjustment=1.05,
                           other_benefits_pv=205.0)
    assert b == pytest.approx(-105.0 / 1.05)
    assert npv_at_benefit(b, 100.0, [1.0], [1.0], adjustment=0.95, disbenefit_adjustment=1.05,
                          other_benefits_pv=205.0) == pytest.approx(0.0, abs=1e-9)


years = st.integers(min_value=1, max_value=12)


@st.composite
def models(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(years)
    need = {y: draw(st.integers(0, 60)) for y in range(n) if draw(st.booleans()) or y == 0}
    need[0] = max(need[0], 1)
    m = programme(appraisal_years=n, cohorts=[{
        "name": "c", "need": need, "engagement_rate": draw(st.floats(0.1, 1)),
        "success_rate": draw(st.floats(0.1, 1))}])
    m["costs"] = [
        {"name": "set-up", "agency": "LA", "kind": "capital", "amount": draw(st.floats(0, 1e6)),
         "confidence_grade": draw(st.integers(1, 6))},
        {"name": "keyworker", "agency": "LA", "kind": "revenue", "basis": "per_participant",
         "amount": draw(st.floats(1, 1e4)), "confidence_grade": draw(st.integers(1, 6))}]
    duration = draw(st.integers(1, 6))
    m["outcomes"][0].update(
        lag_years=draw(st.integers(0, max(0, n - 1))), duration_years=duration,
        drop_off=draw(st.floats(0, 0.9)) if duration > 1 else 0.0, deadweight=draw(st.floats(0, 0.8)),
        attribution=draw(st.floats(0, 0.5)), confidence_grade=draw(st.integers(1, 6)),
        discounting=draw(st.sampled_from(["standard", "health"])))
    if m["outcomes"][0]["discounting"] == "health":  # a health effect is valued, not cash
        m["outcomes"][0]["values"] = [{"agency": "Individual", "value_type": "social", "amount": 4000}]
    return m


@settings(max_examples=60, deadline=None)
@given(models())
def test_npv_at_the_break_even_benefit_is_zero(m: dict[str, Any]) -> None:
    """Put the measured break-even saving in as the outcome's £ and the engine's NPV is 0
    (lag, duration, drop-off, deadweight, attribution, optimism bias and the health schedule
    as configured); scale every cost to the break-even cost and NPV is 0 too."""
    be = analyse(model_from_dict(m), uncertainty=False)["break_even"]
    b = be["benefit_measured_per_participant_year"]
    if b is None:  # no participant-year of benefit within the period
        assert be["participant_years_discounted"] == pytest.approx(0.0)
        return
    at = copy.deepcopy(m)
    at["outcomes"][0]["values"][0]["amount"] = b
    r = analyse(model_from_dict(at), uncertainty=False)
    assert r["headline"]["npv"] == pytest.approx(0.0, abs=1e-6 * max(1.0, r["headline"]["pv_costs"]))
    assert r["break_even"]["estimated_measured_per_participant_year"] == pytest.approx(b)
    c, now = r["break_even"]["cost_break_even_per_participant_year"], r["break_even"]["cost_per_participant_year"]
    if c is not None and now:
        scaled = copy.deepcopy(at)
        for cost in scaled["costs"]:
            cost["amount"] *= c / now
        assert analyse(model_from_dict(scaled), uncertainty=False)["headline"]["npv"] == pytest.approx(
            0.0, abs=1e-6 * max(1.0, r["headline"]["pv_costs"]))


@given(st.floats(0, 1e7), st.floats(0, 1e7), st.lists(st.floats(0, 100), min_size=1, max_size=20),
       st.floats(0.05, 1), st.floats(0, 1e6))
def test_break_even_rises_with_cost_and_zeroes_the_npv(c1: float, c2: float, stream: list[float],
                                                       adj: float, other: float) -> None:
    factors = discount_factors(len(stream))
    lo, hi = sorted((c1, c2))
    b_lo = break_even_benefit(lo, stream, factors, adjustment=adj, disbenefit_adjustment=adj * 1.1,
                              other_benefits_pv=other)
    b_hi = break_even_benefit(hi, stream, factors, adjustment=adj, disbenefit_adjustment=adj * 1.1,
                              other_benefits_pv=other)
    if discounted_total(stream, factors) <= 0:
        assert b_lo is None and b_hi is None
        return
    assert b_lo is not None and b_hi is not None and b_lo <= b_hi
    npv = npv_at_benefit(b_hi, hi, stream, factors, adjustment=adj, disbenefit_adjustment=adj * 1.1,
                         other_benefits_pv=other)
    assert npv == pytest.approx(0.0, abs=1e-6 * max(1.0, hi, other))


def test_the_evaluated_saving_sums_the_effects_drawn_jointly() -> None:
    """Two evaluated effects, sd 50 and 80, correlated 0.6: their sum's sd is
    sqrt(50² + 80² + 2 × 0.6 × 50 × 80) = 115.84; the interval is the sum ± 1.959964 sd."""
    d = simple_model()
    d["outcomes"] = d["outcomes"] + [
        {"name": f"{code}: evaluated effect (w)", "cohort": "c", "confidence_grade": 2,
         "values": [{"agency": "NHS", "value_type": "fiscal", "amount": {"dist": "normal", "mean": mean, "sd": sd}}]}
        for code, mean, sd in (("AE_ATTEND", 100.0, 50.0), ("GP_APPT", -40.0, 80.0))]
    d["correlations"] = [{"inputs": ["outcomes[1].values[0].amount", "outcomes[2].values[0].amount"],
                          "matrix": [[1, 0.6], [0.6, 1]]}]
    ev = evaluated_saving(model_from_dict(d), [1, 2], "w")
    sd = float(np.sqrt(50**2 + 80**2 + 2 * 0.6 * 50 * 80))
    assert ev["services"] == ["AE_ATTEND", "GP_APPT"] and ev["mean"] == pytest.approx(60.0)
    assert ev["sd"] == pytest.approx(sd) and ev["ci_low"] == pytest.approx(60 - 1.959964 * sd, abs=1e-4)


@pytest.mark.parametrize("amount", [4000, -100])
def test_the_workbook_recalculates_break_even_from_the_headlines(tmp_path, amount: int) -> None:
    """The Break-even sheet's formulas (over the Headlines' PV costs and PV public value) give
    results.json's figures; with benefits below zero the break-even cost is blank (none)."""
    import openpyxl

    from carecase.cba.workbook import write_workbook

    from .xlsx_eval import Book, formula_cells

    m = programme()
    m["outcomes"][0]["values"][0]["amount"] = amount
    r = analyse(model_from_dict(m), uncertainty=False)
    path = str(tmp_path / "m.xlsx")
    write_workbook(r, path)
    book, be = Book(path), r["break_even"]
    got = {row: book.cell("Break-even", row, col) for sheet, row, col in formula_cells(path) if sheet == "Break-even"}
    assert got[4] == pytest.approx(be["benefit_per_participant_year"])
    assert got[5] == pytest.approx(be["benefit_measured_per_participant_year"])
    assert got[6] == pytest.approx(be["estimated_per_participant_year"])
    assert got[8] == pytest.approx(be["cost_per_participant_year"])
    assert got[9] == (pytest.approx(4000) if amount > 0 else "")
    ws = openpyxl.load_workbook(path, data_only=True)["Break-even"]
    assert ws.cell(4, 2).value == pytest.approx(be["benefit_per_participant_year"])  # cached: opens with numbers


def _saving_and_increase(saved: float, rose: float, cost: float, grade: int = 2) -> dict[str, Any]:
    """One participant, one year: a saving and an intended increase (grade 2: optimism bias 5%)."""
    return programme(appraisal_years=1, cohorts=[{"name": "c", "need": {0: 1}, "engagement_rate": 1,
                                                  "success_rate": 1}],
                     costs=[{"name": "x", "agency": "LA", "kind": "capital", "amount": cost, "confidence_grade": 1}],
                     outcomes=[{"name": "AE: saved", "cohort": "c", "confidence_grade": grade,
                                "values": [{"agency": "NHS", "value_type": "fiscal", "amount": saved}]},
                               {"name": "GP: rose", "cohort": "c", "confidence_grade": grade, "intended": True,
                                "values": [{"agency": "NHS", "value_type": "fiscal", "amount": -rose}]}])


def test_the_measured_break_even_counts_optimism_bias_on_increases() -> None:
    """£100 saved and £60 more cost, measured, at 5% optimism bias: 95 − 63 = £32 net against a
    £37 cost, NPV −£5. The measured £40 is above 37 / 0.95 = £38.95 but the NPV is below zero:
    the break-even as measured is 40 + 5 / 0.95 = £45.26 (each extra £ saved nets 95p)."""
    m = _saving_and_increase(100, 60, 37)
    r = analyse(model_from_dict(m), uncertainty=False)
    be = r["break_even"]
    assert r["headline"]["npv"] == pytest.approx(-5.0)
    assert be["estimated_measured_per_participant_year"] == pytest.approx(40.0)
    assert be["benefit_measured_per_participant_year"] == pytest.approx(40 + 5 / 0.95)
    # the gap as measured × adjustment × S is the NPV, as it is after the adjustments
    gap = be["estimated_measured_per_participant_year"] - be["benefit_measured_per_participant_year"]
    assert gap * be["adjustment"] * be["participant_years_discounted"] == pytest.approx(r["headline"]["npv"])
    at = copy.deepcopy(m)  # save the break-even, the increase as it is: NPV 0
    at["outcomes"][0]["values"][0]["amount"] += -gap
    assert analyse(model_from_dict(at), uncertainty=False)["headline"]["npv"] == pytest.approx(0.0, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(st.floats(0, 1e4, allow_subnormal=False), st.floats(0, 1e4, allow_subnormal=False),
       st.floats(0, 2e4, allow_subnormal=False), st.integers(1, 6))
def test_above_break_even_as_measured_exactly_when_npv_is_above_zero(saved: float, rose: float, cost: float,
                                                                     grade: int) -> None:
    r = analyse(model_from_dict(_saving_and_increase(saved, rose, cost, grade)), uncertainty=False)
    be, npv = r["break_even"], r["headline"]["npv"]
    gap = be["estimated_measured_per_participant_year"] - be["benefit_measured_per_participant_year"]
    assert gap * be["adjustment"] * be["participant_years_discounted"] == pytest.approx(npv, abs=1e-6 * max(1, cost))


def test_the_workbook_s_measured_break_even_counts_increases(tmp_path) -> None:
    from carecase.cba.workbook import write_workbook

    from .xlsx_eval import Book, formula_cells

    r = analyse(model_from_dict(_saving_and_increase(100, 60, 37)), uncertainty=False)
    path = str(tmp_path / "m.xlsx")
    write_workbook(r, path)
    book = Book(path)
    got = {row: book.cell("Break-even", row, col) for sheet, row, col in formula_cells(path) if sheet == "Break-even"}
    assert got[5] == pytest.approx(r["break_even"]["benefit_measured_per_participant_year"])


@pytest.mark.parametrize("cost", [60.0, 35.0, 200.0])
def test_the_evaluated_services_break_even_keeps_the_model_s_other_benefits(cost: float) -> None:
    """The model values its own outcome (£30 a participant-year, from the year after, for two
    years: £54.14 net) beside one evaluated effect (£10). The whole model's measured
    break-even is on another stream and counts the £30, so the £10 evaluated is not comparable
    with it; the evaluated service's own break-even is £10 − NPV ÷ (0.95 × S), S = 1, while it
    is a saving (cost £60: £6.17; £200), and an increase the other benefits can carry,
    enlarged by optimism bias, where they more than cover the costs (£35: −£18.23, not
    −£20.15); saving that in it gives NPV = 0."""
    from carecase.cba.break_even import evaluated_break_even
    from carecase.cba.engine import compile_model, evaluate

    m = _saving_and_increase(10, 0, cost)
    m.update(appraisal_years=3)
    m["outcomes"] = [
        {"name": "Tenancy kept", "cohort": "c", "confidence_grade": 2, "lag_years": 1, "duration_years": 2,
         "values": [{"agency": "LA", "value_type": "fiscal", "amount": 30}]},
        {"name": "AE_ATTEND: evaluated effect (w)", "cohort": "c", "confidence_grade": 2,
         "values": [{"agency": "NHS", "value_type": "fiscal", "amount": 10}]}]
    model = model_from_dict(m)
    r = analyse(model, uncertainty=False)
    npv = r["headline"]["npv"]
    ev = evaluated_saving(model, [1], "w")
    plan = compile_model(model)
    flows = evaluate(plan, plan.central_values())
    own = evaluated_break_even(plan, flows, [1], ev["mean"], npv)
    # analyse gives the same figure from its own base case
    assert analyse(model, uncertainty=False, evaluated=[1], evaluated_window="w")[
        "break_even"]["evaluated"] == {**ev, "break_even": pytest.approx(own)}
    assert own is not None and (ev["mean"] >= own) == (npv >= 0)
    if own >= 0:  # a saving: each £ of it nets 95p (S = 1: one success, year 0 only)
        assert (ev["mean"] - own) * 0.95 == pytest.approx(npv)
    at = copy.deepcopy(m)
    at["outcomes"][1]["values"][0]["amount"] = own
    assert analyse(model_from_dict(at), uncertainty=False)["headline"]["npv"] == pytest.approx(0.0, abs=1e-9)
    assert evaluated_break_even(plan, flows, [], 0.0, npv) is None


def test_the_stage_gives_the_evaluated_services_their_own_break_even(tmp_path) -> None:
    """A project whose model values its own outcome (breaches, two years, grade 3) beside the
    evaluated effects: results.json's evaluated saving carries the break-even it is compared
    with, on which side of it lying as the NPV says."""
    import json

    from carecase.cba import stage

    from .test_declared_agencies import _project

    p = _project(tmp_path / "p")
    stage.run(p)
    r = json.loads((tmp_path / "p" / "out" / "cba" / "results.json").read_text())
    ev, npv = r["break_even"]["evaluated"], r["headline"]["npv"]
    assert r["break_even"]["benefit_measured_per_participant_year"] is None  # the adjustments differ
    assert isinstance(ev["break_even"], float) and (ev["mean"] >= ev["break_even"]) == (npv >= 0)


def test_the_terminal_says_which_participant_year_each_break_even_counts() -> None:
    """Both break-even rows said 'per participant-year' but count different years: a year of
    benefit to a successful participant (S) and a participant engaged in a year (E); a new
    user read them as the same (a CBA authoring review)."""
    from carecase.cba.cli import break_even_rows

    rows = dict(break_even_rows({"benefit_per_participant_year": 5641.97, "estimated_per_participant_year": 100.0,
                                 "cost_per_participant_year": 1711.95, "cost_break_even_per_participant_year": 30.0}))
    assert "successful participant" in rows["Break-even benefit per participant-year of benefit"]
    assert rows["Cost per participant engaged a year"] == "£1,712"
    assert rows["Break-even cost per participant engaged a year"] == "£30"
