"""The report's files are written together: moved into place only when every format is
written, and a format not written this run is removed, not left from an earlier one."""

from __future__ import annotations

from pathlib import Path

import pytest

from carecase.core.project import Project

from .report_fixture_outputs import write_project


def _formats(root: Path, formats: str) -> None:
    yaml = root / "carecase.yaml"
    yaml.write_text(yaml.read_text() + f"  formats: [{formats}]\n")


def test_a_pdf_from_an_earlier_run_is_not_left_beside_a_new_report(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """No Chromium this run: the earlier run's PDF (the web app serves it as /report.pdf) was
    left beside this run's HTML and workbook."""
    import carecase.report.pdf as pdf
    from carecase.report.stage import run

    root = write_project(tmp_path / "p", stages=("cba",))
    out = root / "out" / "report"
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.pdf").write_bytes(b"%PDF-1.4 last month's")
    monkeypatch.setattr(pdf.shutil, "which", lambda name: None)
    summary = run(Project.open(root))
    assert set(summary["files"]) == {"html", "xlsx"}
    assert not (out / "report.pdf").exists()
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "report.xlsx", "summary.json"]


def test_a_failure_part_way_leaves_the_earlier_report_whole(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """The workbook fails (a full disk, say) after the HTML was written: the earlier report's
    files stay as they were, not this run's HTML beside last run's workbook, and no scratch
    folder is left."""
    import carecase.report.stage as stage

    root = write_project(tmp_path / "p", stages=("cba",))
    _formats(root, "html, xlsx")
    stage.run(Project.open(root))
    out = root / "out" / "report"
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.name.startswith("report.")}
    assert set(before) == {"report.html", "report.xlsx"}
    (out / "report.html").write_bytes(b"<html>last month</html>")

    def broken(*_: object, **__: object) -> Path:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(stage, "render_xlsx", broken)
    with pytest.raises(OSError):
        stage.run(Project.open(root))
    assert (out / "report.html").read_bytes() == b"<html>last month</html>"
    assert (out / "report.xlsx").read_bytes() == before["report.xlsx"]
    assert not [p for p in out.iterdir() if p.name.startswith(stage.WRITING)]
