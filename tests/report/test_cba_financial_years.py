"""A board reads budgets by financial year: where the CBA model names year 0's
(``first_financial_year``, results.json ``model.first_financial_year``), the report's year
headings, charts and payback year name it ("2025/26 (year 0)", "year 3, 2028/29"); without it
they read as before ("Year 0", "year 3")."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from carecase.report import charts
from carecase.report.sections.cba import headline_figures, matrix_table, with_financial_year

ROWS = [{"agency": a, "year": y, "net": float(100 * y - 150)} for a in ("LA", "NHS") for y in range(4)]


def test_the_who_pays_table_heads_its_years_with_the_financial_year() -> None:
    labelled = matrix_table(ROWS, "net", "cba-matrix", "t", first=2025)
    assert [c.label for c in labelled.columns] == [
        "Agency", "2025/26 (year 0)", "2026/27 (year 1)", "2027/28 (year 2)", "2028/29 (year 3)",
        "All years (undiscounted)"]
    plain = matrix_table(ROWS, "net", "cba-matrix", "t")
    assert [c.label for c in plain.columns][1:5] == ["Year 0", "Year 1", "Year 2", "Year 3"]
    # the same keys and figures either way: only the headings change
    assert [c.key for c in labelled.columns] == [c.key for c in plain.columns] and labelled.rows == plain.rows


def test_the_payback_tile_names_the_financial_year() -> None:
    h = {"payback_year": 3, "npv": 1.0}

    def payback(first: int | None, **over: Any) -> Any:
        return next(f.value for f in headline_figures({**h, **over}, None, None, first) if f.label == "Payback")

    assert payback(2025) == "year 3, 2028/29"
    assert payback(1996) == "year 3, 1999/00"
    assert payback(None) == "year 3"
    assert payback(2025, payback_year="not within the period") == "not within the period"


def _svg_labels(spec: dict[str, Any]) -> list[str]:
    import vl_convert

    svg = vl_convert.vegalite_to_svg(spec)
    return re.findall(r"<text[^>]*>(\d{4}/\d\d|Financial year[^<]*|year)</text>", svg)


@pytest.mark.parametrize("draw", ["heatmap", "lines"])
def test_year_charts_label_their_axis_with_financial_years_in_year_order(draw: str) -> None:
    """The field stays the year number (sorted as numbers: year 10 after year 9); the axis
    labels (a Vega labelExpr) and the tooltip name the financial year."""
    rows = [{"agency": "LA", "year": y, "net": float(y)} for y in range(12)]

    def spec(first: int | None) -> dict[str, Any]:
        data, axis = with_financial_year(rows, first), charts.financial_year_axis(first)
        if draw == "heatmap":
            return charts.heatmap("t", data, "year", "agency", "net", x_axis=axis)
        return charts.lines("t", data, "year", "net", "agency", x_axis=axis)

    labelled = spec(2025)
    assert _svg_labels(labelled) == [f"{2025 + y}/{(2026 + y) % 100:02d}" for y in range(12)] + [
        "Financial year (year 0 = 2025/26)"]
    assert {"field": "financial_year", "type": "nominal", "title": "financial year"} in \
        labelled["layer"][0]["encoding"]["tooltip"]
    assert labelled["data"]["values"][0] == {"agency": "LA", "year": 0, "net": 0.0, "financial_year": "2025/26"}
    assert _svg_labels(spec(1998))[:3] == ["1998/99", "1999/00", "2000/01"]
    plain = spec(None)
    assert _svg_labels(plain) == ["year"]  # numbered years and the field's title, as before
    assert plain["data"]["values"] == rows and "axis" not in plain["layer"][0]["encoding"]["x"]


def _report(tmp_path: Path, first: int | None):  # noqa: ANN202
    from carecase.core.project import Project
    from carecase.report.stage import project_report

    from .report_fixture_outputs import write_project

    root = write_project(tmp_path / "p")
    if first is not None:
        path = root / "out/cba/results.json"
        results = json.loads(path.read_text())
        results["model"]["first_financial_year"] = first
        path.write_text(json.dumps(results))
    return project_report(Project.open(root))


def test_the_report_names_financial_years_where_the_model_does(tmp_path: Path) -> None:
    """The fixture's model: six years, payback in year 3."""
    report = _report(tmp_path / "a", 2025)
    matrix = {t.id: t for t in report.tables()}["cba-matrix"]
    assert [c.label for c in matrix.columns][1:7] == [f"{2025 + y}/{26 + y} (year {y})" for y in range(6)]
    sections = {s.id: s for s in report.sections}
    texts = [getattr(b, "text", "") for b in sections["cba"].blocks]
    assert any("Appraisal period 6 years from year 0 (2025/26) to year 5 (2030/31)" in t for t in texts)
    for sid in ("cba", "summary"):  # the executive summary opens with the same tiles
        tiles = [f for b in sections[sid].blocks for f in getattr(b, "items", [])]
        assert next(f.value for f in tiles if f.label == "Payback") == "year 3, 2028/29", sid
    by_id = {c.id: c for c in report.charts()}
    for cid in ("chart-cba-matrix", "chart-cba-cashflow"):
        x = by_id[cid].spec["layer"][0]["encoding"]["x"]
        assert x["field"] == "year" and x["axis"]["title"] == "Financial year (year 0 = 2025/26)", cid

    plain = _report(tmp_path / "b", None)
    matrix = {t.id: t for t in plain.tables()}["cba-matrix"]
    assert [c.label for c in matrix.columns][1:7] == [f"Year {y}" for y in range(6)]
    sections = {s.id: s for s in plain.sections}
    texts = [getattr(b, "text", "") for b in sections["cba"].blocks]
    assert any("Appraisal period 6 years from year 0, 2024/25 prices" in t for t in texts)
    tiles = [f for b in sections["cba"].blocks for f in getattr(b, "items", [])]
    assert next(f.value for f in tiles if f.label == "Payback") == "year 3"
