"""A project with no programme register (an audit-only project) is not evaluated: the stage
skips, saying why, and the report goes on without the evaluation. Before, the stage failed,
and since a failed evaluation makes the report refuse (report.freshness), such a project's
report was refused until out/evaluate/ was deleted (a code reviewer's finding)."""

from __future__ import annotations

from pathlib import Path

from carecase.core.project import Project
from carecase.evaluate.stage import NO_REGISTER
from carecase.evaluate.stage import run as evaluate
from carecase.report.freshness import stale_outputs
from carecase.report.loaders import StageOutputs

YAML = """\
version: 1
project:
  name: Audit only
  period_start: 2019-01-01
  period_end: 2023-12-31
"""


def test_no_programme_register_skips_and_leaves_the_report_free(tmp_path: Path) -> None:
    (tmp_path / "carecase.yaml").write_text(YAML)
    project = Project.open(tmp_path)
    try:
        stale = project.stage_dir("evaluate") / "matched.csv"
        stale.write_text("an earlier run's table\n")
        summary = evaluate(project)
        assert summary == {"headline": f"skipped: {NO_REGISTER}", "skipped": NO_REGISTER}
        assert sorted(p.name for p in project.stage_dir("evaluate").iterdir()) == ["summary.json"]
        assert not StageOutputs(project.root / "out").has_stage("evaluate")
        assert not [p for p in stale_outputs(project) if p.startswith("evaluate")]
    finally:
        project.close()


def test_the_cli_says_it_skipped(tmp_path: Path) -> None:
    import typer
    from typer.testing import CliRunner

    from carecase.evaluate import cli as evaluate_cli

    (tmp_path / "carecase.yaml").write_text(YAML)
    app = typer.Typer()
    evaluate_cli.register(app)

    @app.command("noop")
    def _noop() -> None:  # a second command keeps typer in multi-command mode
        pass

    result = CliRunner().invoke(app, ["evaluate", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "skipped: no programme register is configured (ingest.programme)" in " ".join(result.output.split())
