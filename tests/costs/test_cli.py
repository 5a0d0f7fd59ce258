"""The thin CLI: costs show / apply / import-gmca, and audit."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from carecase.cli import app

from .projects import small_project
from .test_gmca import WORKBOOK

runner = CliRunner()


def test_costs_show_lists_library() -> None:
    res = runner.invoke(app, ["costs", "show", "--code", "SS7", "--price-year", "2023"])
    assert res.exit_code == 0, res.output
    assert "SS7.0" in res.output and "GMCA" in res.output


def test_costs_apply_and_audit(tmp_path: Path) -> None:
    small_project(tmp_path, events=500, people=40, seed=2).close()
    res = runner.invoke(app, ["costs", "apply", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "500 of 500 events costed" in res.output
    # `carecase costs PROJECT`, like every other stage command, is the stage (costs apply)
    res = runner.invoke(app, ["costs", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "500 of 500 events costed" in res.output
    res = runner.invoke(app, ["costs", str(tmp_path / "no-such-folder")])
    assert res.exit_code != 0 and "No such command" in res.output
    res = runner.invoke(app, ["audit", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "Cost by agency" in res.output and (tmp_path / "out" / "audit" / "top_n.csv").exists()


@pytest.mark.skipif(WORKBOOK is None, reason="GMCA workbook not present (../shared/data)")
def test_import_gmca(tmp_path: Path) -> None:
    out = tmp_path / "lib.csv"
    res = runner.invoke(app, ["costs", "import-gmca", str(WORKBOOK), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "683 cost codes" in res.output and out.exists()
