"""The executive summary says what a board must read first (carecase.report.sections.caveats).
A new user's shared report read "£861 (95% CI £135 to £1,683) ... The interval excludes no
change" while the CLI had printed "NOT balanced" and "intervals rest on 6 clusters ... too
narrow", and a report whose A&E extract was quarantined whole looked finished."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from carecase.core.project import Project
from carecase.report.content import Note, Report
from carecase.report.stage import project_report

from .report_fixture_outputs import write_project


def _edit_json(path: Path, change: Any) -> None:
    data = json.loads(path.read_text()) if path.exists() else {}
    change(data)
    path.write_text(json.dumps(data))


def _warnings(report: Report, section: str) -> list[str]:
    return [b.text for s in report.sections if s.id == section for b in s.blocks
            if isinstance(b, Note) and b.kind == "warning"]


def test_a_clean_run_has_nothing_to_read_first(tmp_path: Path) -> None:
    report = project_report(Project.open(write_project(tmp_path / "p")))
    assert not [w for w in _warnings(report, "summary") if w.startswith("Read with care")]


def test_a_source_quarantined_whole_or_mostly_is_named_first(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p")

    def fail(d: dict) -> None:
        d["sources"]["acute"].update(rows_accepted=0, rows_quarantined=3001, rows_out_of_scope=0)
        d["sources"]["housing"].update(rows_accepted=700, rows_quarantined=820, rows_out_of_scope=0)

    _edit_json(root / "out" / "ingest" / "summary.json", fail)
    report = project_report(Project.open(root))
    (note,) = [w for w in _warnings(report, "summary") if w.startswith("Read with care")]
    assert "Every row of the acute extract was quarantined" in note and "missing from every figure" in note
    assert "Most rows of the housing extract were quarantined" in note and "asc" not in note
    assert not re.search(r"\d", note)  # no counts in a shared report
    summary = next(s for s in report.sections if s.id == "summary")
    assert summary.blocks[0].text == note  # first, before the figures


def test_unbalanced_matching_and_few_clusters_are_said_without_counts(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p")

    def weak(d: dict) -> None:
        d.setdefault("matching", {}).update(balanced=False, n_clusters=6, max_abs_smd=0.31)

    _edit_json(root / "out" / "evaluate" / "summary.json", weak)
    report = project_report(Project.open(root))
    (note,) = [w for w in _warnings(report, "summary") if w.startswith("Read with care")]
    assert "still differ on at least one of the characteristics they were matched on" in note
    assert "fewer than 20 independent clusters" in note and "lower bound on the uncertainty" in note
    assert "6 " not in note and "0.31" not in note
    assert any("still differ" in w for w in _warnings(report, "evaluation"))
