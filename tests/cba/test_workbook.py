import openpyxl
import pytest

from carecase.cba.load import model_from_dict
from carecase.cba.results import analyse
from carecase.cba.workbook import write_workbook

from .helpers import rich_model
from .xlsx_eval import Book, formula_cells


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    r = analyse(model_from_dict(rich_model()), draws=200)
    path = tmp_path_factory.mktemp("wb") / "model.xlsx"
    write_workbook(r, path)
    return r, str(path)


def test_cached_values_read_back_equal_json(book) -> None:
    r, path = book
    wb = openpyxl.load_workbook(path, data_only=True)
    ws = wb["Headlines"]
    got = {ws.cell(row=i, column=1).value: ws.cell(row=i, column=2).value for i in range(2, 14)}
    h = r["headline"]
    assert got["Net present value"] == pytest.approx(h["npv"], rel=1e-12)
    assert got["Benefit-cost ratio"] == pytest.approx(h["bcr"], rel=1e-12)
    assert got["Financial ROI"] == pytest.approx(h["roi_fiscal"], rel=1e-12)
    assert got["Cashable ROI"] == pytest.approx(h["roi_cashable"], rel=1e-12)
    assert got["Net present budget impact"] == pytest.approx(h["net_present_budget_impact"], rel=1e-12)
    assert got["Payback year"] == h["payback_year"]
    m = wb["Discounted"]
    for row in range(3, 3 + len(r["model"]["agencies"])):
        agency = m.cell(row=row, column=1).value
        vals = [m.cell(row=row, column=2 + y).value for y in r["model"]["years"]]
        assert vals == pytest.approx(r["matrix_discounted"][agency], rel=1e-12, abs=1e-9)


def test_every_formula_recomputes_its_cached_value(book) -> None:
    """Each Excel formula, evaluated independently, equals the Python result cached in it."""
    _, path = book
    _check_every_formula(path)


def test_disbenefit_optimism_bias_formula_recomputes(tmp_path) -> None:
    """A disbenefit's net block is after attribution × (1 + optimism bias) (the pessimistic
    correction, HM Treasury Green Book 2022 supplementary guidance on optimism bias); the
    workbook's IF(gross<0, 1+OB, 1−OB) formula recomputes results.json exactly."""
    d = rich_model()
    d["outcomes"].append({"name": "more police call-outs", "cohort": "c", "confidence_grade": 5,
                          "values": [{"agency": "Police", "value_type": "fiscal", "amount": -75}]})
    r = analyse(model_from_dict(d), uncertainty=False)
    path = tmp_path / "model.xlsx"
    write_workbook(r, path)
    _check_every_formula(str(path))
    police = [x for x in r["benefits"] if x["agency"] == "Police" and x["gross"] != 0]
    assert police and all(x["net"] == pytest.approx(x["after_attribution"] * 1.25) for x in police)
    ws = openpyxl.load_workbook(path)["Benefits"]
    assert any("IF(" in str(c.value) and "<0,1+" in str(c.value) for row in ws.iter_rows() for c in row)


def _check_every_formula(path: str) -> None:
    cached = openpyxl.load_workbook(path, data_only=True)
    b = Book(path)
    cells = formula_cells(path)
    assert len(cells) > 100
    for sheet, row, col in cells:
        want = cached[sheet].cell(row=row, column=col).value
        got = b.cell(sheet, row, col)
        if want == "" or want is None:
            continue
        assert got == pytest.approx(want, rel=1e-9, abs=1e-6), (sheet, row, col)


def test_workbook_is_byte_identical(tmp_path) -> None:
    r = analyse(model_from_dict(rich_model()), draws=100)
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write_workbook(r, a)
    write_workbook(r, b)
    assert a.read_bytes() == b.read_bytes()


def test_uncertainty_sheet_matches_json(book) -> None:
    r, path = book
    ws = openpyxl.load_workbook(path, data_only=True)["Uncertainty"]
    assert ws.cell(row=2, column=2).value == pytest.approx(r["p_npv_positive"])
    cells = {ws.cell(row=i, column=1).value: ws.cell(row=i, column=2).value for i in range(1, 15)}
    assert cells["NPV p50"] == pytest.approx(r["npv_draws"]["percentiles"]["p50"])
    labels = [c.value for c in ws["A"]]
    top = r["tornado"][0]
    row = labels.index(top["label"]) + 1
    assert ws.cell(row=row, column=8).value == pytest.approx(top["swing"])
