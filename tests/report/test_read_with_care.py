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


def test_a_window_running_past_the_data_is_read_first(tmp_path: Path) -> None:
    """A post window that runs past the data ("post_12_24: +£257 per person-year" with on
    average 43% of it observed) was reported like any other. The summary and the shared
    Evaluation section say so, without the stage's counts or range; the internal report has
    the stage's warning itself."""
    warning = ("post_12_24 runs past the data: the data end on 2025-03-31, so on average only 43% of this window "
               "lies within them for the 20 matched participants (from 13% to 78% each). ...")
    for mode in ("shared", "internal"):
        root = write_project(tmp_path / mode, mode=mode)

        def partial(d: dict) -> None:
            d["window_coverage"] = {"post_0_8": {"share": 1.0, "low": 1.0, "high": 1.0, "n": 20},
                                    "post_0_12": {"share": 0.43, "low": 0.13, "high": 0.78, "n": 20}}
            d["matching"] = {"period_end": "2025-03-31"}
            d["warnings"] = [warning]

        _edit_json(root / "out" / "evaluate" / "summary.json", partial)
        report = project_report(Project.open(root))
        (note,) = [w for w in _warnings(report, "summary") if w.startswith("Read with care")]
        assert ("The matched estimate for the first 12 months after joining rests on part of that window: the data "
                "end on 2025-03-31, so on average only 43% of it lies within the data") in note
        assert "first 8 months" not in note and "78%" not in note and "20 matched" not in note
        evaluation = [getattr(b, "text", "") for s in report.sections if s.id == "evaluation" for b in s.blocks
                      if isinstance(b, Note)]
        if mode == "shared":
            assert any("rests on part of that window" in t for t in evaluation)
            assert warning not in evaluation
        else:
            assert warning in evaluation


def test_files_the_last_ingest_removed_are_named_first(tmp_path: Path) -> None:
    """A source that stopped sending (its file gone from the extracts) left every total
    smaller, and the report said nothing: its row simply dropped out of the sources table."""
    root = write_project(tmp_path / "p")

    def gone(d: dict) -> None:
        d["removed"] = [{"source": "police", "path": "extracts/custody_b.csv", "rows_read": 3},
                        {"source": "housing", "path": "extracts/ta.csv", "rows_read": 40}]

    _edit_json(root / "out" / "ingest" / "summary.json", gone)
    report = project_report(Project.open(root))
    (note,) = [w for w in _warnings(report, "summary") if w.startswith("Read with care")]
    assert ("The last ingest removed 2 files no longer received or configured, so every figure in this report "
            "leaves out their records: extracts/custody_b.csv (police) and extracts/ta.csv (housing).") in note
    assert " 3 " not in note and "40" not in note  # no counts of rows
    assert [w for w in _warnings(report, "data") if "extracts/custody_b.csv (police)" in w]


def test_events_that_could_not_be_costed_are_said_first_as_a_share(tmp_path: Path) -> None:
    """User review: with 899 of 1,079 events unmapped the summary still said every service
    contact was costed. Now it says, as a rounded share, that some could not be."""
    root = write_project(tmp_path / "p")
    _edit_json(root / "out" / "costs" / "summary.json", lambda d: d.update(events=1079, events_unmapped=899))
    report = project_report(Project.open(root))
    (note,) = [w for w in _warnings(report, "summary") if w.startswith("Read with care")]
    assert "Some service events (83% of them) could not be costed" in note and "899" not in note
    _edit_json(root / "out" / "costs" / "summary.json", lambda d: d.update(events_unmapped=3))
    (note,) = [w for w in _warnings(project_report(Project.open(root)), "summary") if w.startswith("Read with care")]
    assert "(under 1% of them)" in note


def test_a_data_project_whose_core_stages_have_not_run_says_so_first(tmp_path: Path) -> None:
    """User review: in a project where nothing had run the report came out with ten sections
    and said only 'Not run: the matched evaluation'. A project reading extracts whose core
    stages have no outputs now opens by naming them; a CBA-only project (no extracts) does not."""
    from carecase.report.build import build_report

    root = write_project(tmp_path / "p", stages=("cba",))
    cfg = Project.open(root).config
    for data, expect in ((True, True), (False, False)):
        report = build_report(root / "out", cfg.report, data_configured=data)
        notes = [w for w in _warnings(report, "summary") if w.startswith("Read with care")]
        assert bool(notes) is expect
    (note,) = [w for w in _warnings(build_report(root / "out", cfg.report, data_configured=True), "summary")
               if w.startswith("Read with care")]
    assert ("This report is incomplete: ingest, link, costs and audit have not run in this project, so it has "
            "no data, no people, no costs, no cost audit behind its figures.") in note
