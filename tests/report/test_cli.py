"""`carecase report PROJECT [--internal]` calls the same API and prints where the files are."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
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


@pytest.mark.parametrize(("stage", "name", "column"), [("audit", "cost_by_service", "largest_person_cost"),
                                                      ("evaluate", "matched", "treated_pre_largest_share")])
def test_shared_report_refuses_outputs_without_the_largest_people(tmp_path: Path, stage: str, name: str,
                                                                  column: str) -> None:
    """An audit or evaluation from before the dominance rule wrote no largest people's costs
    or shares: the shared report refuses, naming the file and the command, rather than
    publish a figure one person makes up almost all of; the internal report, and a project
    with the rule off, go on."""
    import pandas as pd

    root = write_project(tmp_path / "p")
    yaml = root / "carecase.yaml"
    yaml.write_text(yaml.read_text() + "  formats: [html]\n")
    path = root / f"out/{stage}/{name}.parquet"
    df = pd.read_parquet(path)
    df.drop(columns=[c for c in df.columns if "largest" in c or "second" in c]).to_parquet(path, index=False)
    result = CliRunner().invoke(_app(), ["report", str(root)])
    assert result.exit_code != 0  # the ReportError (the carecase app prints it with its fix)
    said = str(result.exception)
    assert f"out/{stage}/{name}.parquet has no {column}" in said
    assert f"carecase {stage} PROJECT" in said and not (root / "out/report/report.html").exists()
    assert CliRunner().invoke(_app(), ["report", str(root), "--internal"]).exit_code == 0
    yaml.write_text(yaml.read_text().replace("  formats: [html]\n", "  formats: [html]\n  suppression:\n"
                                             "    dominance: {rule: none}\n"))
    result = CliRunner().invoke(_app(), ["report", str(root)])
    assert result.exit_code == 0, result.output


def test_shared_report_refuses_an_evaluation_without_the_change_shares(tmp_path: Path) -> None:
    """An evaluation written with the rates' shares but before the change's: refused, naming
    the first column it lacks (a code review: one proxy column was checked)."""
    import pandas as pd

    root = write_project(tmp_path / "p")
    path = root / "out/evaluate/naive.parquet"
    df = pd.read_parquet(path)
    df.drop(columns=["change_largest_share", "change_second_share"]).to_parquet(path, index=False)
    result = CliRunner().invoke(_app(), ["report", str(root)])
    assert result.exit_code != 0 and "out/evaluate/naive.parquet has no change_largest_share" in str(result.exception)
