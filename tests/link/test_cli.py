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
    assert "second" not in usage and "review|nicknames|PROJECT" in usage


def test_link_nicknames_writes_the_built_in_list_as_a_file_linkage_reads(tmp_path, monkeypatch):
    """A region extends the built-in short forms by editing this file: it must be a valid
    linkage.nicknames file that gives the built-in list's forms exactly."""
    from carecase.link.nicknames import forms_for, pairs_built_in, read_pairs

    monkeypatch.chdir(tmp_path)
    printed = CliRunner().invoke(app, ["link", "nicknames"])
    assert printed.exit_code == 0 and printed.output.startswith("name,short_form\nABIGAIL,ABBIE\n")
    written = CliRunner().invoke(app, ["link", "nicknames", "mine.csv"])
    assert written.exit_code == 0, written.output
    path = tmp_path / "mine.csv"
    assert path.read_text(encoding="utf-8") == printed.output
    assert read_pairs(path) == pairs_built_in()
    assert forms_for(path) == forms_for(None)
    again = CliRunner().invoke(app, ["link", "nicknames", "mine.csv"])
    assert again.exit_code == 2 and "exists" in again.output
