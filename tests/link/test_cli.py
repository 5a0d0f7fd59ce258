"""`carecase link PROJECT` runs the stage through the CLI."""

from __future__ import annotations

import yaml
from typer.testing import CliRunner

from carecase.cli import app
from carecase.link.fabricate import fabricate


def test_cli_link_runs_and_reports(tmp_path, new_project, config_for):
    project = new_project("cli", fabricate(120, seed=2))
    (project.root / "carecase.yaml").write_text(yaml.safe_dump(config_for()))
    project.close()
    result = CliRunner().invoke(app, ["link", str(project.root)])
    assert result.exit_code == 0, result.output
    assert "records →" in result.output and "people" in result.output
    assert (project.root / "out" / "link" / "summary.json").exists()
    missing = CliRunner().invoke(app, ["link", "review", str(tmp_path / "nowhere")])
    assert missing.exit_code != 0
