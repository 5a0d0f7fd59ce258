"""The three formats render from the fixture outputs; Excel figures equal the JSON results;
no planted identifier reaches any file; same inputs give identical HTML and XLSX bytes."""

from __future__ import annotations

import json
import shutil
from html import unescape as html_unescape
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from carecase.core.project import Project
from carecase.report.content import INTERNAL_LABEL, shown_number
from carecase.report.stage import run

from .report_fixture_outputs import PLANTED, write_project
from .report_readback import pdf_page_pixels, pdf_pages_text, xlsx_text

HAS_CHROMIUM = shutil.which("chromium") is not None or shutil.which("chromium-browser") is not None


def _html_xlsx(root: Path, internal: bool = False) -> dict:
    proj = Project.open(root)
    proj.config.report.formats = ["html", "xlsx"]
    return run(proj, internal=internal)


def test_html_and_xlsx_written(rendered: dict) -> None:
    files = rendered["summary"]["files"]
    html = Path(files["html"]).read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "vegaEmbed" in html
    assert html.count('class="chart"') == rendered["summary"]["charts"] >= 12
    for section in ("summary", "data", "audit", "evaluation", "cba", "logic-model", "case-studies",
                    "assumptions", "methods"):
        assert f'<section id="{section}">' in html
    assert "<svg" in html  # the logic-model diagram is inline
    assert 'src="http' not in html and "href=\"http" not in html  # nothing loaded from the network
    assert "INTERNAL" not in html  # shared by default
    wb = openpyxl.load_workbook(files["xlsx"])
    assert wb.sheetnames[0] == "Summary" and "Assumptions" in wb.sheetnames
    assert len(wb.sheetnames) == rendered["summary"]["tables"] + 1


def _summary_value(wb: openpyxl.Workbook, label: str) -> object:
    ws = wb["Summary"]
    for row in ws.iter_rows(values_only=True):
        if row[0] == label:
            return row[1]
    raise AssertionError(f"{label} not on the Summary sheet")


def test_excel_figures_equal_json_results(rendered: dict) -> None:
    """The shared workbook holds each figure as shown (content.shown_number): £ whole, ratios
    to 2 decimals, shares to 0.1%."""
    res = rendered["results"]
    wb = openpyxl.load_workbook(rendered["summary"]["files"]["xlsx"], data_only=True)
    h = res["headline"]
    assert _summary_value(wb, "Net present value") == shown_number(h["npv"], "gbp")
    assert _summary_value(wb, "Benefit-cost ratio") == shown_number(h["bcr"], "ratio")
    assert _summary_value(wb, "Financial ROI") == shown_number(h["roi_fiscal"], "ratio")
    assert _summary_value(wb, "Cashable ROI") == shown_number(h["roi_cashable"], "ratio")
    assert _summary_value(wb, "Net present budget impact") == shown_number(h["net_present_budget_impact"], "gbp")
    assert _summary_value(wb, "Chance NPV > 0") == shown_number(res["p_npv_positive"], "pct")
    ws = wb["Cba matrix"]
    rows = list(ws.iter_rows(values_only=True))
    header_i = next(i for i, r in enumerate(rows) if r[0] == "Agency")
    header = rows[header_i]
    seen = 0
    for r in rows[header_i + 1:]:
        if r[0] in res["matrix"]:
            for j, label in enumerate(header[1:-1], start=1):
                year = int(label.split()[-1])
                assert r[j] == shown_number(res["matrix"][r[0]][year], "gbp"), (r[0], year)
                seen += 1
            assert r[-1] == shown_number(sum(res["matrix"][r[0]]), "gbp")
    assert seen == sum(len(v) for v in res["matrix"].values())
    assert ws.freeze_panes is not None and ws.auto_filter.ref
    register = {r[0]: r for r in wb["Assumptions"].iter_rows(values_only=True)}
    for a in res["assumptions"]:
        row = register[a["label"]]
        assert a["source"] in row and a["path"] in row and shown_number(a["central"], "num") in row
    net = {r[0]: r[1] for r in wb["Cba agency net"].iter_rows(values_only=True)}
    for agency, v in res["agency_net"].items():
        assert net[agency] == shown_number(v["net_pv"], "gbp")


def test_shared_excel_suppresses_small_counts(rendered: dict) -> None:
    wb = openpyxl.load_workbook(rendered["summary"]["files"]["xlsx"], data_only=True)
    rows = list(wb["Evaluation match counts"].iter_rows(values_only=True))
    values = {r[0]: r[1] for r in rows[4:]}
    assert values["treated unmatched"] == "*" and values["excluded no full pre period"] == "*"  # 2 and 4
    assert values["treated matched"] == 120 and values["participants"] == 125  # rounded to 5
    # participants = eligible + excluded: eligible is hidden with the 4 excluded (and so covers
    # the 2 unmatched: eligible = matched + unmatched), not an unrelated row
    assert values["treated eligible"] == "*" and values["candidate control rows"] == 3000
    rows = list(wb["Evaluation outcomes"].iter_rows(values_only=True))
    header = next(r for r in rows if r[0] == "Instrument")
    twelve = dict(zip(header, next(r for r in rows if r[3] == "12m"), strict=True))
    assert twelve["People"] == "*" and twelve["Improved"] == "*"  # n = 5, improved = 4
    six = dict(zip(header, next(r for r in rows if r[3] == "6m"), strict=True))
    assert six["People"] == 95 and six["Improved"] == 70 and six["Worse"] == 15  # rows not additive down


def test_no_planted_identifier_in_any_file(rendered: dict) -> None:
    files = rendered["summary"]["files"]
    texts = [Path(files["html"]).read_text(encoding="utf-8"), xlsx_text(Path(files["xlsx"]))]
    if "pdf" in files:
        texts.append("\n".join(pdf_pages_text(Path(files["pdf"]))))
    parts = {p for s in PLANTED for p in [s, *s.split()] if len(p) > 4}
    for text in texts:
        for secret in parts:
            assert secret not in text
    person_ids = pd.read_parquet(rendered["root"] / "out/audit/top_n.parquet")["person_id"]
    for text in texts:  # shared reports show ranks, not (pseudonymous) person ids
        assert not any(pid in text for pid in person_ids)


def test_deterministic_bytes(tmp_path: Path) -> None:
    root = write_project(tmp_path / "a")
    first = _html_xlsx(root)["files"]
    html1, xlsx1 = Path(first["html"]).read_bytes(), Path(first["xlsx"]).read_bytes()
    # again in a fresh interpreter with another hash seed (set/dict order must not leak in)
    import os
    import subprocess
    import sys

    code = ("import sys; from carecase.core.project import Project; from carecase.report.stage import run; "
            "p = Project.open(sys.argv[1]); p.config.report.formats = ['html', 'xlsx']; run(p)")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-c", code, str(root)], check=True, env=env, timeout=300)
    assert Path(first["html"]).read_bytes() == html1
    assert Path(first["xlsx"]).read_bytes() == xlsx1


def test_internal_mode_labelled_on_every_sheet(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p")
    summary = _html_xlsx(root, internal=True)
    assert summary["mode"] == "internal"
    html = Path(summary["files"]["html"]).read_text(encoding="utf-8")
    assert INTERNAL_LABEL in html
    wb = openpyxl.load_workbook(summary["files"]["xlsx"], data_only=True)
    for ws in wb.worksheets:
        assert ws["A1"].value == INTERNAL_LABEL, ws.title
    rows = list(wb["Evaluation match counts"].iter_rows(values_only=True))
    assert ("treated unmatched", 2) in [(r[0], r[1]) for r in rows]  # unsuppressed


def test_missing_stages_say_not_run(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", stages=("cba",))
    summary = _html_xlsx(root)
    assert {"data", "audit", "evaluation", "case-studies"} <= set(summary["not_run"])
    html = Path(summary["files"]["html"]).read_text(encoding="utf-8")
    assert "Not run: the whole-system cost audit" in html
    assert "Net present value" in html


def test_a_project_without_a_cba_model_says_to_add_one(tmp_path: Path) -> None:
    """With `cba: {}` (the template's) the cba stage skips, and the report said 'no output
    from the cba stage was found... Run `carecase cba PROJECT`', which only errors for want of
    a model; and its headline listed the executive summary as not run, which was written."""
    root = write_project(tmp_path / "p", stages=("ingest", "costs", "audit", "evaluate"))
    (root / "out" / "cba").mkdir()
    (root / "out" / "cba" / "summary.json").write_text(
        json.dumps({"headline": "skipped: no cba.model or cba.inline in carecase.yaml", "notes": []}))
    summary = _html_xlsx(root)
    html = " ".join(Path(summary["files"]["html"]).read_text(encoding="utf-8").split())
    assert ("Not configured: the cost-benefit analysis — carecase.yaml has no CBA model (cba.model or "
            "cba.inline), so the cba stage has nothing to run and skips. To add one,") in html
    assert "docs/cba.md" in html and "Run `carecase cba PROJECT`" not in html
    assert ("Not configured: the cost-benefit analysis (NPV, ROI and payback) — carecase.yaml has no CBA "
            "model (cba.model or cba.inline); the Cost-benefit analysis section says how to add one.") in html
    assert summary["not_run"] == ["assumptions", "cba"]  # not the executive summary, which was written
    assert "(not run: assumptions, cba); no CBA model configured (cba.model or cba.inline" in summary["headline"]
    # a model configured, the stage skipped for want of evidence: its reason, not 'run the stage'
    with (root / "carecase.yaml").open("a") as f:
        f.write("cba:\n  model: cba.yaml\n  from_evaluation: {cohort: c}\n")
    why = "no evaluated effect in window 'post_0_12' rests on at least 10 users on each side"
    (root / "out" / "cba" / "summary.json").write_text(json.dumps({"headline": f"skipped: {why}", "notes": []}))
    summary = _html_xlsx(root)
    html = " ".join(Path(summary["files"]["html"]).read_text(encoding="utf-8").split())
    assert html_unescape(f"Not run: the cost-benefit analysis — the cba stage skipped: {why}") in html_unescape(html)
    assert "no CBA model configured" not in summary["headline"]


def test_nothing_run_still_renders(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", stages=())
    summary = _html_xlsx(root)
    assert summary["charts"] == 0 and "cba" in summary["not_run"]
    wb = openpyxl.load_workbook(summary["files"]["xlsx"])
    assert "Summary" in wb.sheetnames


@pytest.mark.browser
@pytest.mark.skipif(not HAS_CHROMIUM, reason="needs Chromium (make browser)")
def test_pdf_rendered_and_not_blank(rendered: dict) -> None:
    pdf = Path(rendered["summary"]["files"]["pdf"])
    pages = pdf_pages_text(pdf)
    assert len(pages) >= 5 and "Executive summary" in pages[0]
    pixels = pdf_page_pixels(pdf, 0)
    assert (pixels < 200).mean() > 0.005  # ink on the page, not a blank sheet
    chart_page = next(i for i, t in enumerate(pages) if "Distribution of NPV" in t)
    assert (pdf_page_pixels(pdf, chart_page) < 200).mean() > 0.01


@pytest.mark.browser
@pytest.mark.skipif(not HAS_CHROMIUM, reason="needs Chromium (make browser)")
def test_internal_pdf_labelled_on_every_page(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", mode="internal")
    summary = run(Project.open(root))
    pages = pdf_pages_text(Path(summary["files"]["pdf"]))
    assert pages and all(INTERNAL_LABEL in t for t in pages)
    json.dumps(summary)


def test_every_shared_table_protects_its_hidden_counts(tmp_path: Path) -> None:
    """Across the whole shared report: no declared row/column of counts holds exactly one
    suppressed cell, and every money value derived from a hidden count is hidden too."""
    from carecase.report.stage import project_report

    report = project_report(Project.open(write_project(tmp_path / "p")))
    assert report.mode == "shared"
    checked = 0
    for t in report.tables():
        counts = [c.key for c in t.columns if c.count]
        if not counts or not t.rows:
            continue
        checked += 1
        if t.protect_columns:
            for key in counts:
                assert sum((i, key) in t.hidden for i in range(len(t.rows))) != 1, (t.id, key)
        if t.protect_rows and len(counts) > 1:
            for i in range(len(t.rows)):
                assert sum((i, key) in t.hidden for key in counts) != 1, (t.id, i)
        for group in t.relations:  # rows that add up (all = cohort + rest, …)
            for key in counts:
                assert sum((i, key) in t.hidden for i in group) != 1, (t.id, group, key)
        for c in t.columns:
            for link in (c.from_count, *c.hidden_with):
                for i in range(len(t.rows)):
                    if link and (i, link) in t.hidden:
                        assert (i, c.key) in t.hidden, (t.id, c.key, i)
        assert t.withheld <= t.hidden, t.id
        for i, row in enumerate(t.shown):
            for key in counts:
                v = row.get(key)
                assert (i, key) in t.hidden or v is None or v % 5 == 0, (t.id, key, v)
    assert checked >= 10


def test_rate_ratios_show_each_model_labelled(rendered: dict) -> None:
    """Both count models' rows appear, named for readers, with the NB dispersion column."""
    html = Path(rendered["summary"]["files"]["html"]).read_text(encoding="utf-8")
    table = html[html.index('id="evaluation-rate-ratios"'):]
    table = table[: table.index("</table>")]
    assert "Dispersion α" in table and ">Model<" in table
    assert ">Poisson<" in table and ">Negative binomial<" in table
    assert "negative_binomial" not in table


def test_a_hidden_cell_does_not_call_itself_small(rendered: dict) -> None:
    """A disclosure review: every '*' had the tooltip 'suppressed (small number)', complements
    of any size included, against the legend's 'a * does not mean the figure is small'."""
    html = Path(rendered["summary"]["files"]["html"]).read_text(encoding="utf-8")
    assert 'class="num suppressed"' in html
    assert "small number)" not in html
    assert 'title="hidden by disclosure control: a small number, or a figure of any size' in html
