"""Contracts with the next stage and the command line: the generated project ingests as is,
and ingest quarantines exactly the rows the generator broke on purpose."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

# imported at collection time: rich and ibis touch the global RNG once when first imported,
# which the test suite's RNG guard would otherwise blame on the test
from carecase.cli import app
from carecase.core.errors import SynthError
from carecase.core.project import Project
from carecase.ingest.stage import run
from carecase.synth import SynthResult


def test_ingest_quarantines_exactly_the_planted_rows(
    area: SynthResult, truth: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project_dir = tmp_path / "area"
    shutil.copytree(area.folder, project_dir)
    (tmp_path / "demo.key").write_text("synthetic-test-key-" + "0" * 40 + "\n")
    monkeypatch.delenv("CARECASE_KEY", raising=False)
    project = Project.open(project_dir)
    try:
        summary = run(project)
    finally:
        project.close()
    sources = summary["sources"]
    for name, planted in truth["broken_rows"].items():
        got = sources[name]["quarantined_by_rule"]
        assert got == {k: v for k, v in planted.items() if v}, name
        assert sources[name]["rows_out_of_scope"] == truth["out_of_scope_rows"][name], name
        assert sources[name]["rows_read"] == truth["rows"][name], name
    for name in ("population", "programme"):
        assert sources[name]["rows_quarantined"] == 0
        assert sources[name]["rows_read"] == truth["rows"][name]


def test_cli_synth_writes_a_project(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["synth", str(tmp_path / "cli"), "--people", "300", "--seed", "9",
                                      "--formats", "fast"])
    assert result.exit_code == 0, result.output
    assert "300 people" in result.output
    truth = json.loads((tmp_path / "cli" / "truth" / "truth.json").read_text())
    assert truth["people"] == 300 and truth["seed"] == 9 and truth["formats"] == "fast"


def test_cli_synth_rejects_a_bad_start(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["synth", str(tmp_path / "bad"), "--start", "April 2019"])
    assert result.exit_code != 0
    assert isinstance(result.exception, SynthError)
    assert "YYYY-MM-DD" in str(result.exception)
