"""A shared report publishes each number as it is shown, not at full precision: in the
workbook (a number format only changes the display; the cell keeps every digit) and in the
charts' data (the spec is in the page's source). Full-precision SMDs and variance ratios of a
binary covariate gave back the exact number of matched participants that the participants
table hides. Internal reports keep full precision.

And the participants table: with k:1 matching the control rows matched are k × the treated
matched, so a hidden 'treated matched' hides them (and the comparison people, and what gives
them back by difference) too.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from carecase.core.project import Project
from carecase.report.config import SuppressionConfig
from carecase.report.content import (
    EXCEL_FORMATS,
    Column,
    Format,
    KeyFigure,
    KeyFigures,
    Report,
    Section,
    Table,
    format_value,
    shown_number,
)
from carecase.report.disclose import disclose_report
from carecase.report.stage import project_report, run
from carecase.report.xlsx import render_xlsx

from .report_fixture_outputs import write_project
from .test_disclosure_links import recoverable

NUMERIC: tuple[Format, ...] = ("int", "count", "gbp", "gbp2", "pct", "ratio", "factor", "num", "p")
FORMAT_OF: dict[str, Format] = {v: k for k, v in EXCEL_FORMATS.items() if k not in ("text", "int")}  # type: ignore[misc]


def _parse_shown(text: str, fmt: Format) -> float | str:
    """The number a reader reads off format_value's text."""
    if text == "<0.001":
        return text
    v = float(text.replace("−", "-").replace("£", "").replace(",", "").replace("%", ""))
    return v / 100 if fmt == "pct" else v


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False), st.sampled_from(NUMERIC))
def test_shown_number_is_the_number_format_value_prints(v: float, fmt: Format) -> None:
    if fmt == "p":
        v = min(abs(v), 1.0)
    s = shown_number(v, fmt)
    read = _parse_shown(format_value(v, fmt), fmt)
    if isinstance(read, str):
        assert s == read
        return
    assert isinstance(s, float) and math.isclose(s, read, rel_tol=1e-12, abs_tol=1e-15)
    assert shown_number(s, fmt) == s  # rounding what is shown changes nothing
    # the same text, but for the sign of a value shown as zero ("−0") and 999,999.996 → 1e+06
    text = format_value(v, fmt)
    assert format_value(s, fmt) in (text, text.replace("−", "", 1)) or abs(s) >= 1e6 - 0.5


def test_shown_number_keeps_text_missing_and_whole_counts() -> None:
    assert shown_number(None, "gbp") is None and shown_number("*", "count") == "*"
    assert shown_number(17, "count") == 17 and shown_number(True, "num") is True
    assert math.isnan(shown_number(float("nan"), "ratio"))
    assert shown_number(0.2946552314593388, "ratio") == 0.29 and shown_number(1.388888, "ratio") == 1.39
    assert shown_number(412_345.67, "gbp") == 412_346 and shown_number(8_298.9712, "gbp2") == 8_298.97
    assert shown_number(0.0285, "pct") == 0.029 and shown_number(0.00004, "p") == "<0.001"
    assert shown_number(0.004567, "num") == 0.00457 and shown_number(-0.001, "ratio") == 0.0


# ------------------------------------------------------------------ the workbook


def _html_xlsx(root: Path, internal: bool = False) -> dict[str, Any]:
    proj = Project.open(root)
    proj.config.report.formats = ["html", "xlsx"]
    return run(proj, internal=internal)["files"]


def _numeric_cells(path: str) -> Iterator[tuple[str, str, float, Format]]:
    """(sheet, cell, value, format) of every number the workbook holds."""
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, int | float) and not isinstance(c.value, bool):
                    yield ws.title, c.coordinate, float(c.value), FORMAT_OF[c.number_format]


def _sheet_rows(path: str, sheet: str, first: str) -> list[dict[str, Any]]:
    rows = list(openpyxl.load_workbook(path, data_only=True)[sheet].iter_rows(values_only=True))
    at = next(i for i, r in enumerate(rows) if r[0] == first)
    return [dict(zip(rows[at], r, strict=True)) for r in rows[at + 1:]]


def _summary_value(path: str, label: str) -> Any:
    ws = openpyxl.load_workbook(path, data_only=True)["Summary"]
    return next(r[1] for r in ws.iter_rows(values_only=True) if r[0] == label)


ROWS = [{"label": "a", "int": 12, "count": 15, "gbp": 1234.567, "gbp2": 1234.567, "pct": 0.12345,
         "ratio": 1.388888, "factor": 1.40631437, "num": 0.004567, "p": 0.0004},
        {"label": "b", "int": 3, "count": 20, "gbp": -10.5001, "gbp2": 8298.9712, "pct": 0.0285,
         "ratio": 0.2946552314593388, "factor": 1.0, "num": 1234.5678, "p": 0.01234}]


def _every_format(path: Path, mode: str) -> dict[str, list[Any]]:
    """A table with a column of each format (and a £ total), written for ``mode`` and read back."""
    cols = [Column("label", "Label")] + [Column(f, f, f, total=f == "gbp") for f in NUMERIC]
    t = Table("formats", "Formats", cols, [dict(r) for r in ROWS], total_row=True)
    figs = KeyFigures([KeyFigure("NPV", 412_345.67, "gbp"), KeyFigure("BCR", 1.8449, "ratio")])
    report = Report("R", "", mode, [Section("s", "S", [figs, t])])  # type: ignore[arg-type]
    render_xlsx(disclose_report(report, SuppressionConfig()), path)
    rows = _sheet_rows(str(path), "Formats", "Label")
    return {"Summary": [_summary_value(str(path), "NPV"), _summary_value(str(path), "BCR")],
            **{f: [r[f] for r in rows] for f in NUMERIC}}


def test_every_format_written_as_shown(tmp_path: Path) -> None:
    """Each format's cells hold the value its display rounds to: whole £, pence, 0.1 of a
    percentage point, 2 decimals (3 significant figures below 0.01), a factor to 4 decimals,
    p to 3 decimals or "<0.001"; still numbers (so they sum), the £ total too. Internal: as computed."""
    got = _every_format(tmp_path / "shared.xlsx", "shared")
    assert got == {"Summary": [412_346, 1.84], "int": [12, 3, None], "count": [15, 20, None],
                   "gbp": [1235, -11, 1224], "gbp2": [1234.57, 8298.97, None], "pct": [0.123, 0.029, None],
                   "ratio": [1.39, 0.29, None], "factor": [1.4063, 1.0, None], "num": [0.00457, 1234.57, None],
                   "p": ["<0.001", 0.012, None]}
    assert all(isinstance(v, int | float) for f in NUMERIC if f != "p" for v in got[f] if v is not None)
    internal = _every_format(tmp_path / "internal.xlsx", "internal")
    assert internal["Summary"] == [412_345.67, 1.8449]
    assert {f: internal[f][:2] for f in NUMERIC} == {f: [r[f] for r in ROWS] for f in NUMERIC}


def test_shared_workbook_holds_each_number_as_shown(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p")
    xlsx = _html_xlsx(root)["xlsx"]
    cells = list(_numeric_cells(xlsx))
    assert {f for *_, f in cells} >= {"count", "gbp", "pct", "ratio", "num", "p"}
    assert [c for c in cells if c[2] != shown_number(c[2], c[3])] == []
    # the key figures (£, ratio, share), the balance table's SMDs and variance ratios
    assert _summary_value(xlsx, "Net present value") == 412_346  # 412,345.67 in results.json
    assert _summary_value(xlsx, "Benefit-cost ratio") == 1.84
    assert _summary_value(xlsx, "Chance NPV > 0") == 0.87
    bal = pd.read_parquet(root / "out/evaluate/balance.parquet")
    smd = {(r.covariate, r.stage): r.smd for r in bal.itertuples()}
    vr = {(r.covariate, r.stage): r.variance_ratio for r in bal.itertuples()}
    rows = _sheet_rows(xlsx, "Evaluation balance", "Covariate")
    for r in rows:
        for stage in ("before", "after"):
            assert r[f"SMD {stage}"] == round(smd[(r["Covariate"], stage)], 2) != smd[(r["Covariate"], stage)]
            assert r[f"Variance ratio {stage}"] == round(vr[(r["Covariate"], stage)], 2)
    # a share to 0.1%, still a number
    assert all(isinstance(r["Share of cost"], float) and r["Share of cost"] == round(r["Share of cost"], 3)
               for r in _sheet_rows(xlsx, "Audit agency", "Agency") if r["Share of cost"] not in (None, "*"))


def test_internal_workbook_keeps_full_precision(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", mode="internal")
    xlsx = _html_xlsx(root, internal=True)["xlsx"]
    assert _summary_value(xlsx, "Net present value") == 412_345.67
    bal = pd.read_parquet(root / "out/evaluate/balance.parquet")
    smd = {(r.covariate, r.stage): r.smd for r in bal.itertuples()}
    for r in _sheet_rows(xlsx, "Evaluation balance", "Covariate"):
        v = smd[(r["Covariate"], "after")]
        assert r["SMD after"] == pytest.approx(v, rel=1e-15, abs=0) and v != round(v, 2)
    assert any(c[2] != shown_number(c[2], c[3]) for c in _numeric_cells(xlsx))


# ------------------------------------------------------------------ the charts


def _chart(report: Report, cid: str) -> dict[str, Any]:
    return next(c for c in report.charts() if c.id == cid).spec


def _table(report: Report, tid: str) -> Table:
    return next(t for t in report.tables() if t.id == tid)


def _html_specs(html: str) -> dict[str, dict[str, Any]]:
    found = re.findall(r'<script type="application/json" data-chart="([^"]+)">(.*?)</script>', html, re.S)
    return {cid: json.loads(text.replace("<\\/", "</")) for cid, text in found}


def _as_shown(spec: dict[str, Any]) -> bool:
    fields = spec["usermeta"]["shown"]
    return all(r[k] == shown_number(r[k], f) for r in spec["data"]["values"] for k, f in fields.items() if k in r)


def test_shared_chart_data_as_shown(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p")
    shared = project_report(Project.open(root))
    assert len(shared.charts()) >= 12
    for chart in shared.charts():
        assert chart.spec["usermeta"]["shown"], chart.id  # every chart names its values' formats
        assert _as_shown(chart.spec), chart.id
    # the Love plot shows the balance table's SMDs, to the table's 2 decimals
    table = _table(shared, "evaluation-balance")
    want = {(r["covariate"], st): abs(r[f"smd_{st}"]) for r in table.shown for st in ("before", "after")}
    got = {(r["covariate"], r["stage"]): r["smd"] for r in _chart(shared, "chart-evaluation-balance")["data"]["values"]}
    assert got == {k: shown_number(v, "ratio") for k, v in want.items()} and got != want
    # £ in whole pounds: the tornado's bars and its NPV line, the cash flow
    tornado = _chart(shared, "chart-cba-tornado")
    assert [lay["encoding"]["x"]["datum"] for lay in tornado["layer"][1:]] == [412_346]
    assert all(float(r["cumulative"]).is_integer() for r in _chart(shared, "chart-cba-cashflow")["data"]["values"])
    # the page carries the rounded specs
    html = Path(_html_xlsx(root)["html"]).read_text(encoding="utf-8")
    specs = _html_specs(html)
    assert set(specs) == {c.id for c in shared.charts()}
    assert all(_as_shown(s) for s in specs.values())
    internal = project_report(Project.open(write_project(tmp_path / "i", mode="internal")))
    assert not _as_shown(_chart(internal, "chart-evaluation-balance"))
    assert _chart(internal, "chart-cba-tornado")["layer"][1]["encoding"]["x"]["datum"] == 412_345.67


# ------------------------------------------------------------------ the participants table


def _plant_counts(counts: dict[str, int]) -> Callable[[Path], None]:
    def plant(out: Path) -> None:
        pd.DataFrame({"count": list(counts), "value": list(counts.values())}).to_parquet(
            out / "evaluate" / "match_counts.parquet", index=False)
    return plant


def _counts_table(tmp_path: Path, counts: dict[str, int]) -> tuple[Table, list[str]]:
    root = write_project(tmp_path / "p")
    _plant_counts(counts)(root / "out")
    proj = Project.open(root)
    proj.config.report.suppression.rounding_base = 1  # a shown count is the exact count
    t = _table(project_report(proj), "evaluation-match-counts")
    names = [r["item"] for r in t.rows]
    return t, [names[i] for i in range(len(names)) if (i, "n") in t.hidden]


def _counts(matched: int, unmatched: int, k: int, people: int) -> dict[str, int]:
    return {"participants": matched + unmatched, "treated_eligible": matched + unmatched,
            "treated_matched": matched, "treated_unmatched": unmatched, "candidate_control_rows": 5072,
            "control_rows_matched": k * matched, "control_people_matched": people,
            "candidate_rows_discarded": 5072 - k * matched, "excluded_not_in_people": 0}


RELATIONS: list[dict[str, float]] = [
    {"participants": 1, "treated eligible": -1, "excluded not in people": -1},
    {"treated eligible": 1, "treated matched": -1, "treated unmatched": -1},
    {"candidate control rows": 1, "control rows matched": -1, "candidate rows discarded": -1}]


@pytest.mark.parametrize(("matched", "unmatched", "k", "people"), [(15, 4, 1, 14), (115, 5, 3, 340)])
def test_control_rows_matched_hidden_with_treated_matched(tmp_path: Path, matched: int, unmatched: int,
                                                          k: int, people: int) -> None:
    """The 300-person demo (15 matched, 4 unmatched, 1:1) and 3:1 matching: 'treated matched'
    is hidden as the complement of the unmatched, and 'control rows matched' (k × it) used to
    stay. Now they are hidden with it, the comparison people too (as many, without reuse),
    and 'candidate rows discarded' (candidate rows − control rows matched)."""
    t, unknown = _counts_table(tmp_path, _counts(matched, unmatched, k, people))
    assert {"treated matched", "treated unmatched", "control rows matched", "control people matched"} <= set(unknown)
    assert {"candidate control rows", "candidate rows discarded"} & set(unknown)
    rows_k: dict[str, float] = {"control rows matched": 1, "treated matched": -k}  # the reader knows k
    people_rows: dict[str, float] = {"control people matched": 1, "control rows matched": -1}  # no reuse
    rel = [{n: c for n, c in r.items() if n in unknown} for r in (*RELATIONS, rows_k, people_rows)]
    assert not recoverable(unknown, rel)
    names = [r["item"] for r in t.rows]
    for group in t.relations:
        assert sum((i, "n") in t.hidden for i in group) != 1, [names[i] for i in group]


def test_control_rows_matched_shown_when_treated_matched_is(tmp_path: Path) -> None:
    _, unknown = _counts_table(tmp_path, _counts(100, 20, 3, 280))
    assert unknown == []
