"""`carecase report PROJECT [--internal]` calls the same API and prints where the files are."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from carecase.report.cli import register

from .report_fixture_outputs import write_project


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.command("noop")
    def _noop() -> None:  # a second command so typer keeps the 'report' sub-command name
        pass

    return app


def test_cli_internal_report(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p")
    yaml = root / "carecase.yaml"
    yaml.write_text(yaml.read_text() + "  formats: [html, xlsx]\n")
    result = CliRunner().invoke(_app(), ["report", str(root), "--internal"])
    assert result.exit_code == 0, result.output
    assert "internal report" in result.output and "report.xlsx" in result.output
    summary = json.loads((root / "out/report/internal/summary.json").read_text())
    assert summary["mode"] == "internal" and set(summary["files"]) == {"html", "xlsx"}
    internal = root / "out/report/internal"
    assert (internal / "report.html").exists() and not (internal / "report.pdf").exists()
    # the folder to share holds no internal report, and a shared report there is left alone
    assert not (root / "out/report/report.html").exists()
    assert CliRunner().invoke(_app(), ["report", str(root)]).exit_code == 0
    shared = (root / "out/report/report.html").read_bytes()
    assert CliRunner().invoke(_app(), ["report", str(root), "--internal"]).exit_code == 0
    assert (root / "out/report/report.html").read_bytes() == shared
    assert json.loads((root / "out/report/summary.json").read_text())["mode"] == "shared"


def test_pdf_skipped_with_a_warning_without_chromium(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    import carecase.report.pdf as pdf
    from carecase.core.project import Project
    from carecase.report.stage import run

    monkeypatch.setattr(pdf.shutil, "which", lambda name: None)
    root = write_project(tmp_path / "p", stages=("cba",))
    summary = run(Project.open(root))
    assert set(summary["files"]) == {"html", "xlsx"} and "PDF skipped" in summary["headline"]
    assert "make browser" in summary["warnings"][0]
