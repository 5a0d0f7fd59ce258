"""The calculation workbook names financial years where the model names year 0's
(``first_financial_year``): its year headings, a financial-year column beside Discount
factors' year numbers, the first financial year on Settings, and the payback financial year on
Headlines as a live formula. Its formulas are untouched: they read no heading, and the year
numbers stay numbers. Without the setting the workbook is as before."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from carecase.cba.load import model_from_dict
from carecase.cba.results import analyse
from carecase.cba.workbook import write_workbook

from .helpers import rich_model, simple_model
from .test_workbook import _check_every_formula
from .xlsx_eval import Book


def _book(tmp_path: Path, model: dict[str, Any], name: str = "model.xlsx") -> tuple[dict[str, Any], Path]:
    r = analyse(model_from_dict(model), draws=100)
    path = tmp_path / name
    write_workbook(r, path)
    return r, path


def _row(ws: Any, label: str) -> int:
    return next(c.row for c in ws["A"] if c.value == label)


def test_year_headings_name_the_financial_year(tmp_path: Path) -> None:
    _, path = _book(tmp_path, simple_model(first_financial_year=2025))
    wb = openpyxl.load_workbook(path)
    for sheet in ("Matrix", "Discounted"):
        assert [c.value for c in wb[sheet][1][1:8]] == [
            "2025/26 (y0)", "2026/27 (y1)", "2027/28 (y2)", "2028/29 (y3)", "2029/30 (y4)", "2030/31 (y5)", "total"]
    costs = [c.value for c in wb["Costs"][1]]
    assert "units 2025/26 (y0)" in costs and "adjusted 2030/31 (y5)" in costs
    benefits = [c.value for c in wb["Benefits"][1]]
    assert "gross 2026/27 (y1)" in benefits and "discounted 2030/31 (y5)" in benefits
    df = wb["Discount factors"]
    assert [df.cell(row=r, column=1).value for r in range(2, 8)] == list(range(6))  # numbers, as before
    assert df["F1"].value == "financial year"
    assert [df.cell(row=r, column=6).value for r in range(2, 8)] == [
        "2025/26", "2026/27", "2027/28", "2028/29", "2029/30", "2030/31"]
    settings = wb["Settings"]
    assert settings.cell(row=_row(settings, "first financial year"), column=2).value == 2025


def test_the_payback_financial_year_is_a_live_formula(tmp_path: Path) -> None:
    """The simple model pays back in year 4 (2029/30); a £120 set-up cost instead of £100 moves
    it to year 5: −120 + 30 × Σ DF(1..4) = −9.72 (not yet), + 30 × DF(5) 0.8420 = +15.54. The
    payback financial year follows it (2030/31), and follows Settings' first financial year."""
    r, path = _book(tmp_path, simple_model(first_financial_year=2025))
    head = openpyxl.load_workbook(path, data_only=True)["Headlines"]
    row = _row(head, "Payback financial year")
    assert head.cell(row=row, column=2).value == r["headline"]["payback_financial_year"] == "2029/30"
    _check_every_formula(str(path))  # every formula, this one included, recomputes its cached value
    b = Book(str(path))
    assert b.cell("Headlines", row, 2) == "2029/30"
    b.set("Costs", 3, 8, 120)  # the set-up cost's amount (live)
    assert b.cell("Headlines", _row(head, "Payback year"), 2) == 5
    assert b.cell("Headlines", row, 2) == "2030/31"
    settings = b.wb["Settings"]
    b.set("Settings", _row(settings, "first financial year"), 2, 1994)
    assert b.cell("Headlines", row, 2) == "1999/00"
    b.set("Costs", 3, 8, 1000)  # never pays back: the payback year's words
    assert b.cell("Headlines", row, 2) == "not within the period"


def test_scenario_results_name_their_payback_financial_year(tmp_path: Path) -> None:
    m = rich_model()
    m["first_financial_year"] = 2025
    r, path = _book(tmp_path, m)
    ws = openpyxl.load_workbook(path)["Settings"]
    heads = next(row for row in ws.iter_rows(values_only=True) if row[0] == "scenario")
    col = heads.index("payback financial year")
    got = next(row for row in ws.iter_rows(values_only=True) if row[0] == "pessimistic")[col]
    h = r["scenarios"][0]["headline"]
    assert got == h.get("payback_financial_year", h["payback_year"])
    _check_every_formula(str(path))


def test_without_the_setting_the_workbook_has_no_financial_year(tmp_path: Path) -> None:
    _, path = _book(tmp_path, simple_model())
    wb = openpyxl.load_workbook(path)
    assert [c.value for c in wb["Matrix"][1][1:3]] == ["y0", "y1"]
    assert "units y0" in [c.value for c in wb["Costs"][1]]
    text = {str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None}
    assert not {"financial year", "first financial year", "payback financial year"} & text
    assert not any(re.search(r"\d{4}/\d\d \(y", t) for t in text)
    head = wb["Headlines"]
    assert head.cell(row=14, column=1).value is None  # the rows after PV transfers as before


@pytest.mark.parametrize("first", [None, 2025])
def test_labels_change_no_cached_figure(tmp_path: Path, first: int | None) -> None:
    """Every number cached in the labelled workbook equals the plain one's at the same place
    (the labels add text cells and one row, move no figure)."""
    _, plain = _book(tmp_path, simple_model(), "plain.xlsx")
    _, labelled = _book(tmp_path, simple_model(first_financial_year=first), "labelled.xlsx")
    a = openpyxl.load_workbook(plain, data_only=True)
    b = openpyxl.load_workbook(labelled, data_only=True)
    assert a.sheetnames == b.sheetnames
    if first is not None:  # Settings has one row more, its first financial year: the rest move down one
        b["Settings"].delete_rows(_row(b["Settings"], "first financial year"))
    for ws in a.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, int | float) and not isinstance(c.value, bool):
                    assert b[ws.title].cell(row=c.row, column=c.column).value == c.value, (ws.title, c.coordinate)
    if first is None:
        assert plain.read_bytes() == labelled.read_bytes()
