"""The unit costs the costing used, in the report (a board member asked "what does an A&E
attendance cost us?" and found only "from the unit costs in out/costs"): one row per
service, unit-cost code and value type used, with the figure at the price year, its source,
the source's own year and value, the uprating factor and whether a local figure replaced
the default; in the HTML and the workbook; a note where the costs outputs are missing."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import ibis
import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest

from carecase.core.project import Project
from carecase.costs.library import UPRATED_COLUMNS
from carecase.costs.stage import cost_by_service
from carecase.report.content import Note, Paragraph, Section, Table
from carecase.report.stage import project_report

from .report_fixture_outputs import write_project

COSTED = {"service_code": "string", "unit_cost_code": "string", "basis": "string", "value_type": "string",
          "transfer": "boolean", "units": "float64", "cost": "float64", "start_date": "date",
          "cost_end_date": "date", "days": "int64", "open_ended": "boolean"}


def _section(root: Path, mode: str = "shared") -> Section:
    report = project_report(Project.open(root), mode)  # type: ignore[arg-type]
    return next(s for s in report.sections if s.id == "unit-costs")


def _table(sec: Section, tid: str) -> Table:
    return next(t for t in sec.tables() if t.id == tid)


def _outputs(root: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    costs = root / "out" / "costs"
    return pq.read_table(costs / "unit_costs.parquet").to_pandas(), pq.read_table(
        costs / "cost_by_service.parquet").to_pandas()


def test_the_fixture_writes_the_costs_stage_columns(fake_project: Path) -> None:
    lib, used = _outputs(fake_project)
    assert list(lib.columns) == UPRATED_COLUMNS
    expected = cost_by_service(ibis.table(COSTED, name="c"), dt.date(2022, 1, 1), dt.date(2024, 1, 1)).columns
    assert tuple(used.columns) == tuple(expected)


@pytest.mark.parametrize("mode", ["shared", "internal"])
def test_unit_cost_tables_match_the_costs_outputs(fake_project: Path, mode: str) -> None:
    lib, used = _outputs(fake_project)
    sec = _section(fake_project, mode)
    register, sources = _table(sec, "unit-cost-register"), _table(sec, "unit-cost-sources")
    by_key = {(r["code"], r["value_type"]): r for r in lib.to_dict("records")}

    # one row per service, unit-cost code and value type the events used; nothing else
    assert [(r["service"].rsplit(" (", 1)[1].rstrip(")"), r["unit_cost_code"], r["value_type"])
            for r in register.rows] == sorted(zip(used["service_code"], used["unit_cost_code"],
                                                  used["value_type"], strict=True))
    assert "SS7.0" in set(lib["code"]) and all(r["unit_cost_code"] != "SS7.0" for r in register.rows)
    ae = next(r for r in register.rows if r["unit_cost_code"] == "HE4.0")
    assert ae["service"] == "A&E attendance (AE_ATTEND)" and ae["unit"] == "Per incident"
    assert ae["agency"] == "NHS – Clinical Commissioning Group" and ae["origin"] == "default library"
    for r in register.rows:
        row = by_key[(r["unit_cost_code"], r["value_type"])]
        assert r["value"] == pytest.approx(row["value"]) and r["description"] == row["description"]
        assert r["origin"] == ("local override" if row["provenance"] == "override" else "default library")
    assert next(r for r in register.rows if r["unit_cost_code"] == "CR7.0")["origin"] == "local override"

    assert [r["unit_cost_code"] for r in sources.rows] == [r["unit_cost_code"] for r in register.rows]
    for r in sources.rows:
        row = by_key[(r["unit_cost_code"], r["value_type"])]
        assert r["source"] == row["source"] and r["base_value"] == pytest.approx(row["base_value"])
        assert r["base_year"] == f"{row['base_price_year']}/{(row['base_price_year'] + 1) % 100:02d}"
        assert r["uprate_factor"] == pytest.approx(row["uprate_factor"])
        assert r["value"] == pytest.approx(row["base_value"] * row["uprate_factor"])
        assert r["index_approximate"] == "yes"
    he = next(r for r in sources.rows if r["unit_cost_code"] == "HE14.0.1")
    assert (he["base_year"], he["base_value"], he["uprate_factor"]) == ("2011/12", 410.0, 1.406314)

    # published prices: nothing suppressed, and no count of events or people in either table
    for t in (register, sources):
        assert not t.hidden and not any(c.count for c in t.columns)
        assert not {c.key for c in t.columns} & {"rows", "units", "people", "events", "cost"}
        cells = {v for row in t.shown for v in row.values()}
        assert not cells & ({float(v) for v in used["rows"]} | {float(v) for v in used["units"]})
    assert {c.label for c in register.columns} >= {"Cost at 2024/25 prices (£)", "Agency in the source", "Figure from"}


def test_the_paragraph_says_the_price_year_the_uprating_and_the_override(fake_project: Path) -> None:
    text = " ".join(b.text for b in _section(fake_project).blocks if isinstance(b, Paragraph))
    assert "at 2024/25 prices" in text and "2010/11 to 2024/25 here" in text
    assert "HM Treasury GDP deflator" in text and "approximate" in text
    assert "costs.overrides" in text and "not counts of people" in text
    assert "economic" not in text  # every figure used here is fiscal
    sources = _table(_section(fake_project), "unit-cost-sources")
    assert "HM Treasury GDP deflator" in sources.note and "approximate" in sources.note


def test_two_value_types_and_a_transfer_each_have_a_row(fake_project: Path) -> None:
    lib, used = _outputs(fake_project)
    more = pd.DataFrame([{**used.iloc[0].to_dict(), "service_code": "ASC_RESIDENTIAL", "unit_cost_code": "SS7.0",
                          "basis": "per_week", "value_type": vt} for vt in ("economic", "fiscal")])
    _write(fake_project, "cost_by_service", pd.concat([used, more], ignore_index=True))
    _write(fake_project, "unit_costs", lib.assign(transfer=lib["code"] == "HE4.0"))
    sec = _section(fake_project)
    rows = [r for r in _table(sec, "unit-cost-register").rows if r["unit_cost_code"] == "SS7.0"]
    assert [(r["value_type"], round(r["value"], 2)) for r in rows] == [("fiscal", 486.36), ("economic", 243.18)]
    ae = next(r for r in _table(sec, "unit-cost-register").rows if r["unit_cost_code"] == "HE4.0")
    assert ae["value_type"] == "fiscal, transfer"
    assert "economic figures are the rest of the cost" in " ".join(
        b.text for b in sec.blocks if isinstance(b, Paragraph))


def _write(root: Path, name: str, df: pd.DataFrame) -> None:
    df.to_parquet(root / "out" / "costs" / f"{name}.parquet", index=False)


def test_the_workbook_and_the_html_have_the_unit_costs(rendered: dict[str, Any]) -> None:
    out = rendered["root"] / "out" / "report"
    wb = openpyxl.load_workbook(out / "report.xlsx", data_only=True)
    assert {"Unit costs", "Unit cost sources"} <= set(wb.sheetnames)
    rows = list(wb["Unit costs"].iter_rows(values_only=True))
    header = rows.index(next(r for r in rows if r[0] == "Service"))
    assert rows[header][:8] == ("Service", "Unit-cost code", "Description", "Unit", "Agency in the source", "Value type",
                                "Cost at 2024/25 prices (£)", "Figure from")
    ae = next(r for r in rows[header + 1:] if r[1] == "HE4.0")
    assert ae[0] == "A&E attendance (AE_ATTEND)" and ae[6] == round(109.0 * 1.406314, 2)
    src = list(wb["Unit cost sources"].iter_rows(values_only=True))
    he = next(r for r in src if r[0] == "HE14.0.1")
    assert he[3:7] == ("2011/12", 410.0, 1.4063, "yes")
    html = (out / "report.html").read_text(encoding="utf-8")
    assert '<a href="#unit-costs">Unit costs</a>' in html and 'id="unit-cost-register"' in html
    assert "A&amp;E attendance (AE_ATTEND)" in html and "£153.29" in html and "1.4063" in html


def test_missing_costs_outputs_give_a_note(tmp_path: Path) -> None:
    root = write_project(tmp_path / "none", stages=("ingest", "audit", "evaluate", "cba"))
    blocks = _section(root).blocks
    assert len(blocks) == 1 and isinstance(blocks[0], Note) and blocks[0].kind == "not_run"
    assert "costs stage" in blocks[0].text and "out/costs/" in blocks[0].text

    root = write_project(tmp_path / "older")
    (root / "out" / "costs" / "unit_costs.parquet").unlink()
    notes = _section(root).blocks
    assert [b.kind for b in notes if isinstance(b, Note)] == ["not_run"] and not _section(root).tables()
    assert "out/costs/unit_costs.parquet" in notes[0].text  # type: ignore[union-attr]

    root = write_project(tmp_path / "old-columns")
    path = root / "out" / "costs" / "cost_by_service.parquet"
    pd.read_parquet(path).drop(columns="unit_cost_code").to_parquet(path, index=False)
    notes = _section(root).blocks
    assert len(notes) == 1 and "lacks unit_cost_code" in notes[0].text  # type: ignore[union-attr]


def test_the_audit_points_to_the_unit_costs(fake_project: Path) -> None:
    report = project_report(Project.open(fake_project))
    audit = next(s for s in report.sections if s.id == "audit")
    text = " ".join(getattr(b, "text", "") for b in audit.blocks)
    assert "All £ are at 2024/25 prices" in text and "Unit costs section" in text
    assert json.loads((fake_project / "out" / "costs" / "summary.json").read_text())["price_year"] == 2024
