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
    review_file = project.root / "out" / "link" / "clerical_review.csv"
    if not review_file.exists():  # this small area may have no grey-zone pair: one is enough
        review_file.write_text("pair_id,decision\nC0000000000000001,\n")
    review = CliRunner().invoke(app, ["link", "review", str(project.root)])
    assert review.exit_code == 0, review.output
    text = " ".join(review.output.split())  # the next step must be one that works
    assert "--only ingest,link" in text and "keep_linkage_staging: true" in text
    assert "run `carecase link` again" not in text


def test_link_review_without_a_folder_asks_for_it(tmp_path, monkeypatch):
    """`carecase link review` alone said "…/review is not a carecase project", reading the
    word as the folder."""
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["link", "review"])
    assert result.exit_code == 2
    assert "needs the project folder" in result.output
    usage = CliRunner().invoke(app, ["link", "--help"]).output
    assert "second" not in usage and "review|PROJECT" in usage
