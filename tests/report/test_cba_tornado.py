"""The tornado table lists the inputs that move the NPV (a new user found 75 rows, about 40 of
them with no range: a deadweight of 0 varied by ±20% stays 0)."""

from __future__ import annotations

import json
from pathlib import Path

from carecase.core.project import Project
from carecase.report.content import Note, Table
from carecase.report.stage import project_report

from .report_fixture_outputs import write_project


def _tornado(tmp_path: Path, extra: list[dict]) -> tuple[Table | None, list[str]]:
    root = write_project(tmp_path / "p")
    path = root / "out" / "cba" / "results.json"
    res = json.loads(path.read_text())
    res["tornado"] = [*res["tornado"], *extra]
    path.write_text(json.dumps(res))
    report = project_report(Project.open(root))
    table = next((t for t in report.tables() if t.id == "cba-tornado"), None)
    notes = [b.text for s in report.sections if s.id == "cba" for b in s.blocks if isinstance(b, Note)]
    return table, notes


def test_inputs_that_leave_the_npv_unchanged_are_left_out_and_counted(tmp_path: Path) -> None:
    flat = [{"path": f"outcomes[{i}].deadweight", "label": f"Deadweight {i}", "base": 0.0, "low": 0.0, "high": 0.0,
             "npv_low": 412345.67, "npv_high": 412345.9, "basis": "±20%"} for i in range(2)]
    table, _ = _tornado(tmp_path, flat)
    assert table is not None
    assert [r["input"] for r in table.rows] == ["Engagement rate", "Deadweight", "Navigator cost"]
    assert table.note.startswith("2 more input(s) leave the NPV unchanged to the pound")


def test_no_input_that_moves_the_npv_gives_a_note_not_an_empty_table(tmp_path: Path) -> None:
    root_flat = [{"path": "a", "label": "A", "base": 0.0, "low": 0.0, "high": 0.0, "npv_low": 1.0, "npv_high": 1.0}]
    root = write_project(tmp_path / "p")
    path = root / "out" / "cba" / "results.json"
    res = json.loads(path.read_text())
    res["tornado"] = root_flat
    path.write_text(json.dumps(res))
    report = project_report(Project.open(root))
    assert not any(t.id == "cba-tornado" for t in report.tables())
    assert not any(c.id == "chart-cba-tornado" for c in report.charts())
    notes = [b.text for s in report.sections if s.id == "cba" for b in s.blocks if isinstance(b, Note)]
    assert any("no input moves the NPV by a pound" in n for n in notes)


def test_an_input_with_a_missing_npv_is_kept_last_not_called_flat(tmp_path: Path) -> None:
    """A code review: a row with no NPV at one end was counted as leaving the NPV unchanged."""
    gap = [{"path": "costs[9].amount", "label": "Unpriced input", "base": 1.0, "low": 0.5, "high": 1.5,
            "npv_low": None, "npv_high": 400000.0}]
    table, _ = _tornado(tmp_path, gap)
    assert table is not None and table.rows[-1]["input"] == "Unpriced input"
    assert "more input(s)" not in table.note
