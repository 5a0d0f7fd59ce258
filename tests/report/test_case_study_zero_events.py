"""Case studies in shared reports: a non-zero £ a month whose event count is 0 or missing is
hidden (defence in depth: an evaluate stage that counted only events starting in the window
gave a spell begun before it 0 events, and £ × months ÷ the unit cost gave its bed days)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from carecase.core.project import Project
from carecase.report.content import Table
from carecase.report.sections.registers import case_rows
from carecase.report.stage import project_report

from .report_fixture_outputs import write_project

# Case B Mental health after: £240.41 a month over 12 months with 0 events (5 bed days at
# £576.59); Housing before: £0 with 0 events (nothing to give back); Housing after: £60.74 with
# no count at all; Physical health: 9 and 12 events, shown.
ROWS = [("Case B", "Mental health", "before", 0.0, 0.0),
        ("Case B", "Mental health", "after", 240.41, 0.0),
        ("Case B", "Housing", "before", 0.0, 0.0),
        ("Case B", "Housing", "after", 60.74, np.nan),
        ("Case B", "Physical health", "before", 94.17, 9.0),
        ("Case B", "Physical health", "after", 40.0, 12.0)]


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"case": [r[0] for r in ROWS], "area_of_need": [r[1] for r in ROWS],
                         "period": [r[2] for r in ROWS], "months": 12.0,
                         "mean_cost_per_month": [r[3] for r in ROWS], "events": [r[4] for r in ROWS],
                         "events_suppressed": False})


def test_case_rows_hide_a_non_zero_pound_on_zero_or_missing_events() -> None:
    rows = {r["area_of_need"]: r for r in case_rows(_frame(), threshold=7) or []}
    assert rows["Mental health"]["hidden"] == {"post", "change"}
    assert rows["Housing"]["hidden"] == {"post", "change"}
    assert rows["Physical health"]["hidden"] == set()
    internal = {r["area_of_need"]: r for r in case_rows(_frame()) or []}
    assert internal["Mental health"]["post"] == 240.41 and not internal["Mental health"]["hidden"]


def test_shared_report_never_shows_the_pounds_of_zero_events(tmp_path: Path) -> None:
    """With report.share_case_studies (the people consented to their case being shared)."""
    root = write_project(tmp_path / "p", mode="shared")
    _frame().to_parquet(root / "out" / "evaluate" / "case_studies.parquet", index=False)
    proj = Project.open(root)
    proj.config.report.share_case_studies = True
    report = project_report(proj)
    t = next(t for t in report.tables() if t.id == "case-studies-table")
    assert isinstance(t, Table)
    at = {r["area_of_need"]: i for i, r in enumerate(t.rows)}
    mh, housing, phys = at["Mental health"], at["Housing"], at["Physical health"]
    assert {(mh, "post"), (mh, "change"), (housing, "post"), (housing, "change")} <= t.hidden
    assert t.cell(mh, "pre") == (0.0, False) and t.cell(phys, "post") == (40.0, False)
    chart = next(c for c in report.charts() if c.id.startswith("chart-case-"))
    values = {(r["area_of_need"], r["period"], r["gbp"]) for r in chart.spec["data"]["values"]}
    assert ("Mental health", "after", 240.41) not in values and ("Housing", "after", 60.74) not in values
    assert ("Physical health", "after", 40.0) in values


def test_shared_report_leaves_case_studies_out_unless_consented(tmp_path: Path) -> None:
    """Each case is one person: suppressing their small event counts still left the others'
    exact counts (£ a month × months ÷ unit cost: 8 police custody episodes) and a `*` told
    that a known person had 1-7 mental-health stays. A shared report shows no case table, no
    case chart and none of their £, only a note saying where they are and how to share them."""
    root = write_project(tmp_path / "p", mode="shared")
    _frame().to_parquet(root / "out" / "evaluate" / "case_studies.parquet", index=False)
    proj = Project.open(root)
    proj.config.report.formats = ["html"]
    report = project_report(proj)
    assert not [t for t in report.tables() if t.id == "case-studies-table"]
    assert not [c for c in report.charts() if c.id.startswith("chart-case-")]
    section = next(s for s in report.sections if s.id == "case-studies")
    assert any("share_case_studies" in b.text for b in section.blocks)
    from carecase.report.stage import run

    html = Path(run(proj)["files"]["html"]).read_text(encoding="utf-8")
    for v in _frame()["mean_cost_per_month"].dropna():
        if v:
            assert f"{v:,.2f}" not in html, v


def test_a_case_whose_pounds_are_all_missing_has_no_chart(tmp_path: Path) -> None:
    """An internal report of cases whose £ the evaluation had blanked (events suppressed):
    the chart had only null values, Vega-Lite drew it 1.8e308 px wide, and printing the PDF
    never returned (a web run then held the project's run lock for good)."""
    root = write_project(tmp_path / "p", mode="internal")
    frame = _frame().assign(mean_cost_per_month=np.nan, events_suppressed=True)
    frame.to_parquet(root / "out" / "evaluate" / "case_studies.parquet", index=False)
    report = project_report(Project.open(root))
    assert not [c for c in report.charts() if c.id.startswith("chart-case-")]


@pytest.mark.skipif(shutil.which("chromium") is None and shutil.which("chromium-browser") is None,
                    reason="needs Chromium (make browser)")
def test_printing_a_chart_with_no_finite_size_is_an_error_not_a_hang(tmp_path: Path) -> None:
    """Whatever the data, a chart drawn with no finite size (every value missing) is a chart
    error the PDF printer reports, instead of waiting for ever in page.pdf."""
    from carecase.core.errors import ReportError
    from carecase.report import charts
    from carecase.report.content import Chart, Report, Section
    from carecase.report.html import render_html
    from carecase.report.pdf import html_to_pdf

    data = [{"area_of_need": "Housing", "period": p, "gbp": None} for p in ("before", "after")]
    chart = Chart("chart-empty", "nothing", charts.grouped_bars("nothing", data, "area_of_need", "period",
                                                                   "gbp", "£ per month"))
    report = Report(title="t", subtitle="s", mode="internal", sections=[Section("s", "S", [chart])])
    html = tmp_path / "r.html"
    html.write_text(render_html(report, "*"), encoding="utf-8")
    with pytest.raises(ReportError, match=r"no finite size \(nothing to plot\?\): chart-empty"):
        html_to_pdf(html, tmp_path / "r.pdf")
