"""The workbook is live where it says so, and its payback rows are the public-value ones.

Each test recomputes the workbook with tests/cba/xlsx_eval.py (no spreadsheet application)
and compares with results.json or with an expected change worked out here independently."""

from __future__ import annotations

from typing import Any

import openpyxl
import pytest

from carecase.cba.load import model_from_dict
from carecase.cba.results import analyse
from carecase.cba.workbook import PV_LABEL, write_workbook

from .helpers import health_model, rich_model, simple_model
from .xlsx_eval import Book, formula_cells


def _write(tmp_path: Any, data: dict[str, Any]) -> tuple[dict[str, Any], str]:
    r = analyse(model_from_dict(data), uncertainty=False)
    path = tmp_path / "model.xlsx"
    write_workbook(r, path)
    return r, str(path)


def _check_all(path: str) -> Book:
    """Every formula recomputes its cached value — text ("" and "not within the period")
    included, blanks only where the cached value is blank."""
    cached = openpyxl.load_workbook(path, data_only=True)
    b = Book(path)
    cells = formula_cells(path)
    assert len(cells) > 50
    for sheet, row, col in cells:
        want, got = cached[sheet].cell(row=row, column=col).value, b.cell(sheet, row, col)
        if want in ("", None):
            assert got in ("", None), (sheet, row, col, got)
        elif isinstance(want, str):
            assert got == want, (sheet, row, col)
        else:
            assert got == pytest.approx(want, rel=1e-9, abs=1e-6), (sheet, row, col)
    return b


def _headline_rows(path: str) -> dict[str, int]:
    ws = openpyxl.load_workbook(path)["Headlines"]
    return {ws.cell(row=i, column=1).value: i for i in range(2, ws.max_row + 1)}


def _row_labelled(path: str, sheet: str, label: str) -> int:
    ws = openpyxl.load_workbook(path)[sheet]
    rows = [c.row for c in ws["A"] if c.value == label]
    assert len(rows) == 1, label
    return rows[0]


def _header_col(path: str, sheet: str, name: str) -> int:
    ws = openpyxl.load_workbook(path)[sheet]
    cols = [c.column for c in ws[1] if c.value == name]
    assert len(cols) == 1, name
    return cols[0]


def _headlines(b: Book, path: str) -> dict[str, Any]:
    return {label: b.cell("Headlines", row, 2) for label, row in _headline_rows(path).items()}


def test_rich_model_recomputes_and_headlines_equal_json(tmp_path) -> None:
    r, path = _write(tmp_path, rich_model())
    b = _check_all(path)
    got, h = _headlines(b, path), r["headline"]
    for label, key in (("Net present value", "npv"), ("Benefit-cost ratio", "bcr"),
                       ("PV costs (after optimism bias)", "pv_costs"),
                       ("PV public-value benefits", "pv_public_value"),
                       ("PV transfers (net)", "pv_transfers"),
                       ("Net present budget impact", "net_present_budget_impact")):
        assert got[label] == pytest.approx(h[key], rel=1e-9), label
    assert got["Payback year"] == h["payback_year"]
    cum_row = _row_labelled(path, "Discounted", "cumulative public-value net, discounted")
    cum = [b.cell("Discounted", cum_row, 2 + y) for y in r["model"]["years"]]
    assert cum == pytest.approx(r["cashflow"]["Total (public value)"], rel=1e-9, abs=1e-6)


def test_units_times_unit_value_is_gross_in_results_json() -> None:
    """results.json carries the outcome units per year (successes flow × quantity after lag,
    duration, drop-off) and the cost units, and they rebuild gross and base exactly."""
    r = analyse(model_from_dict(rich_model()), uncertainty=False)
    assert any(x["units"] > 0 for x in r["benefits"])
    for x in r["benefits"]:
        assert x["units"] * x["unit_value"] == x["gross"]
    for x in r["costs"]:
        assert x["units"] * x["amount"] == x["base"]
    # A&E: 1.5 a success, no lag, one year: units = successes that year × 1.5
    ae = [x for x in r["benefits"] if x["outcome"] == "fewer A&E"]
    assert ae[0]["units"] == pytest.approx(100 * 0.8 * (0.2 + 4 * 0.3 + 0.5) / 6 * 1.5)


def _component_row(path: str, outcome: str, agency: str) -> int:
    ws = openpyxl.load_workbook(path)["Benefits"]
    rows = [c.row for c in ws["A"] if c.value == outcome
            and ws.cell(row=c.row, column=2).value == agency]
    assert len(rows) == 1
    return rows[0]


def test_editing_unit_value_changes_npv_by_the_expected_amount(tmp_path) -> None:
    """Δ NPV = Δ £ per unit × Σ_y units(y) × (1 − dw)(1 − disp)(1 − attr)(1 − OB) × DF(y)."""
    r, path = _write(tmp_path, rich_model())
    b = Book(path)
    rows = _headline_rows(path)
    npv0 = b.cell("Headlines", rows["Net present value"], 2)
    assert npv0 == pytest.approx(r["headline"]["npv"], rel=1e-12)
    comp = [x for x in r["benefits"] if x["outcome"] == "fewer A&E"]
    f = comp[0]
    assert not f["transfer"] and all(x["gross"] >= 0 for x in comp)
    dfs = {d["year"]: d["factor"] for d in r["discount_factors"]}
    keep = ((1 - f["deadweight"]) * (1 - f["displacement"]) * (1 - f["attribution"])
            * (1 - f["optimism_bias"]))
    delta = 20.0
    expected = delta * sum(x["units"] * dfs[x["year"]] for x in comp) * keep
    assert expected > 100  # the edit matters
    row = _component_row(path, "fewer A&E", "NHS")
    col = _header_col(path, "Benefits", "£ per unit")
    assert b.cell("Benefits", row, col) == f["unit_value"]
    b.set("Benefits", row, col, f["unit_value"] + delta)
    npv1 = b.cell("Headlines", rows["Net present value"], 2)
    assert npv1 - npv0 == pytest.approx(expected, rel=1e-9)
    pv_row = _row_labelled(path, "Discounted", PV_LABEL)
    assert b.cell("Discounted", pv_row, 2 + len(dfs)) == pytest.approx(npv1, rel=1e-9)


def test_editing_cost_amount_and_grade_table_flow_through(tmp_path) -> None:
    r, path = _write(tmp_path, rich_model())
    b = Book(path)
    rows = _headline_rows(path)
    npv0 = b.cell("Headlines", rows["Net present value"], 2)
    dfs = {d["year"]: d["factor"] for d in r["discount_factors"]}
    support = [x for x in r["costs"] if x["name"] == "support"]
    b.set("Costs", 2 + 1 + support[0]["item"], _header_col(path, "Costs", "amount (£)"),
          support[0]["amount"] + 100)
    expected = -100 * (1 + support[0]["optimism_bias"]) * sum(x["units"] * dfs[x["year"]] for x in support)
    npv1 = b.cell("Headlines", rows["Net present value"], 2)
    assert npv1 - npv0 == pytest.approx(expected, rel=1e-9)
    # the capital cost is grade 2: raise grade 2's cost uplift from 5% to 15% on Settings
    capital = next(x for x in r["costs"] if x["name"] == "capital" and x["year"] == 0)
    grade_row = _row_labelled(path, "Settings", "confidence grade") + capital["confidence_grade"]
    assert b.cell("Settings", grade_row, 2) == capital["optimism_bias"] == 0.05
    b.set("Settings", grade_row, 2, 0.15)
    assert b.cell("Headlines", rows["Net present value"], 2) - npv1 == pytest.approx(
        -0.10 * capital["base"], rel=1e-9)


def _transfer_model(cost_5: float | None = None) -> dict[str, Any]:
    """simple_model (payback in year 4) plus a large negative transfer to DWP: Σ agency net
    never pays back, while NPV and payback ignore the transfer."""
    d = simple_model()
    d["outcomes"].append({"name": "benefit payments stop", "cohort": "c", "lag_years": 1,
                          "duration_years": 5, "confidence_grade": 1,
                          "values": [{"agency": "DWP", "value_type": "fiscal", "amount": -500,
                                      "transfer": True}]})
    if cost_5 is not None:
        d["costs"].append({"name": "late", "agency": "LA", "kind": "revenue", "amount": cost_5,
                           "years": [5], "confidence_grade": 1})
    return d


@pytest.mark.parametrize(("cost_5", "payback"), [(None, 4), (40.0, 4), (50.0, "not within the period")])
def test_payback_and_cumulative_row_are_public_value_not_agency_sum(tmp_path, cost_5, payback) -> None:
    r, path = _write(tmp_path, _transfer_model(cost_5))
    assert r["headline"]["payback_year"] == payback
    b = _check_all(path)
    years = r["model"]["years"]
    cum_row = _row_labelled(path, "Discounted", "cumulative public-value net, discounted")
    cum = [b.cell("Discounted", cum_row, 2 + y) for y in years]
    assert cum == pytest.approx(r["cashflow"]["Total (public value)"], rel=1e-9, abs=1e-9)
    assert _headlines(b, path)["Payback year"] == payback
    # the agency rows' sum (transfers included) is a different series that never pays back
    sum_row = _row_labelled(path, "Discounted", "all agencies (transfers included)")
    naive = [b.cell("Discounted", sum_row, 2 + y) for y in years]
    assert all(x < -100 for x in [sum(naive[: y + 1]) for y in years][1:])
    # reconciliation: Σ agency discounted net − PV transfers = NPV
    h = r["headline"]
    assert h["pv_transfers"] < -1000
    recon = _row_labelled(path, "Discounted", "Σ agency discounted net − PV transfers")
    assert b.cell("Discounted", recon, 2) == pytest.approx(h["npv"], rel=1e-9)
    diff = _row_labelled(path, "Discounted", "difference (0, up to rounding)")
    assert abs(b.cell("Discounted", diff, 2)) < 1e-9


def test_edit_moves_payback(tmp_path) -> None:
    """Payback is a formula: doubling the £ per unit of the saving brings it forward."""
    r, path = _write(tmp_path, _transfer_model())
    b = Book(path)
    row = _component_row(path, "saving", "LA")
    b.set("Benefits", row, _header_col(path, "Benefits", "£ per unit"), 60)
    assert _headlines(b, path)["Payback year"] == 2  # −100 + 60/1.035 + 60/1.035² > 0
    b.set("Benefits", row, _header_col(path, "Benefits", "£ per unit"), 10)
    assert _headlines(b, path)["Payback year"] == "not within the period"


def test_zero_cost_model_recomputes(tmp_path) -> None:
    d = simple_model()
    d["costs"][0]["amount"] = 0
    r, path = _write(tmp_path, d)
    assert r["headline"]["bcr"] is None and r["headline"]["pv_costs"] == 0
    b = _check_all(path)
    got = _headlines(b, path)
    assert got["Benefit-cost ratio"] == ""
    assert got["Net present value"] == pytest.approx(r["headline"]["npv"])
    assert got["Payback year"] == r["headline"]["payback_year"] == 0


def test_settings_sheet_and_live_note(tmp_path) -> None:
    r, path = _write(tmp_path, rich_model())
    wb = openpyxl.load_workbook(path)
    ws = wb["Settings"]
    cells = {ws.cell(row=i, column=1).value: ws.cell(row=i, column=2).value for i in range(1, ws.max_row + 1)}
    assert cells["price base year"] == 2012
    assert cells["appraisal years"] == 8
    assert cells["discounting schedule"] == "standard"
    assert cells["source"] == r["optimism_bias"]["source"]
    text = " ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value is not None)
    assert "NOT live" in text and "pessimistic" in text
    s_row = _row_labelled(path, "Settings", "pessimistic")
    assert ws.cell(row=s_row, column=4).value == pytest.approx(r["scenarios"][0]["headline"]["npv"])
    c_row = _row_labelled(path, "Settings", "city")
    assert ws.cell(row=c_row, column=5).value == pytest.approx(r["rollouts"][0]["headline"]["npv"])
    notes = " ".join(str(c.value) for c in wb["Headlines"]["A"] if c.value)
    assert "Live" in notes and "£ per unit" in notes and "Values" in notes


def test_lazy_if_in_evaluator(tmp_path) -> None:
    import xlsxwriter

    path = tmp_path / "if.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("S")
    ws.write_number(0, 0, 0)
    ws.write_number(1, 0, 5)
    ws.write_formula(2, 0, '=IF(A1=0,"",A2/A1)', None, "")
    ws.write_formula(3, 0, "=IF(A1<>0,A2/A1,IF(A2>1,7,A2/A1))", None, 7)
    wb.close()
    b = Book(str(path))
    assert b.cell("S", 3, 1) == ""
    assert b.cell("S", 4, 1) == 7


def test_payback_tolerance_matches_engine(tmp_path) -> None:
    """A cumulative a hair below 0 (−5e-10, within engine.py's −1e-9) counts as paid back, in
    results.json and in the workbook's formula alike."""
    d = simple_model()
    d["costs"][0]["amount"] = 30 + 5e-10
    d["outcomes"][0].update(lag_years=0, duration_years=6)
    r, path = _write(tmp_path, d)
    assert -1e-9 < r["cashflow"]["Total (public value)"][0] < 0
    assert r["headline"]["payback_year"] == 0
    assert _headlines(_check_all(path), path)["Payback year"] == 0


def test_health_outcome_workbook_recomputes_and_its_factor_is_live(tmp_path) -> None:
    """A model with an outcome on the health schedule: every formula recomputes, the headlines
    equal results.json, and the Discount factors health rate and the Benefits 'discounting' cell
    drive the NPV (back to the all-standard NPV when the outcome is switched to standard)."""
    r, path = _write(tmp_path, health_model())
    standard = analyse(model_from_dict(health_model("standard")), uncertainty=False)
    assert r["headline"]["npv"] > standard["headline"]["npv"] + 4000  # the schedule matters
    b = _check_all(path)
    got, h = _headlines(b, path), r["headline"]
    for label, key in (("Net present value", "npv"), ("PV public-value benefits", "pv_public_value"),
                       ("PV costs (after optimism bias)", "pv_costs")):
        assert got[label] == pytest.approx(h[key], rel=1e-12), label
    assert got["Payback year"] == h["payback_year"]
    recon = _row_labelled(path, "Discounted", "Σ agency discounted net − PV transfers")
    assert b.cell("Discounted", recon, 2) == pytest.approx(h["npv"], rel=1e-12)
    # the health factor column: DF(1) 0.9852, DF(30) 0.6398 (Green Book 2022, Annex A6)
    health_col = _header_col(path, "Discount factors", "health factor")
    assert round(b.cell("Discount factors", 3, health_col), 4) == 0.9852
    assert round(b.cell("Discount factors", 32, health_col), 4) == 0.6398
    # health rate 1.5% → 3.5% in every year: the NPV falls to the all-standard one
    rate_col = _header_col(path, "Discount factors", "health rate")
    for row in range(3, 33):
        b.set("Discount factors", row, rate_col, 0.035)
    rows = _headline_rows(path)
    assert b.cell("Headlines", rows["Net present value"], 2) == pytest.approx(
        standard["headline"]["npv"], rel=1e-12)
    b = Book(path)
    b.set("Benefits", _component_row(path, "QALYs gained", "Individual"),
          _header_col(path, "Benefits", "discounting"), "standard")
    assert _headlines(b, path)["Net present value"] == pytest.approx(standard["headline"]["npv"],
                                                                     rel=1e-12)
    assert _headlines(b, path)["Payback year"] == standard["headline"]["payback_year"]
