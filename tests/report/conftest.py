"""Fixtures for the report tests: a project with realistic fake stage outputs
(see report_fixture_outputs.py), rendered once per session."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .report_fixture_outputs import PLANTED_KEY, write_project


@pytest.fixture(autouse=True)
def _planted_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARECASE_KEY", PLANTED_KEY)


@pytest.fixture
def fake_project(tmp_path: Path) -> Path:
    return write_project(tmp_path / "proj")


def _render_once(root_dir: Path) -> dict[str, Any]:
    import shutil

    from carecase.core.project import Project
    from carecase.report.stage import run

    root = write_project(root_dir / "proj")
    proj = Project.open(root)
    if shutil.which("chromium") is None and shutil.which("chromium-browser") is None:
        proj.config.report.formats = ["html", "xlsx"]
    summary = run(proj)
    return {"root": root, "summary": summary, "results": json.loads((root / "out/cba/results.json").read_text())}


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The fixture project rendered once to HTML, XLSX (and PDF when Chromium exists).

    Under xdist the workers share one rendering (a lock file in the run's shared temp folder),
    so the PDF is printed once per test run, not once per worker."""
    import fcntl
    import os

    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return _render_once(tmp_path_factory.mktemp("rendered"))
    shared = tmp_path_factory.getbasetemp().parent / "report-rendered"
    shared.mkdir(exist_ok=True)
    with open(shared / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            done = shared / "rendered.json"
            if done.exists():
                info = json.loads(done.read_text())
                root = Path(info["root"])
                return {"root": root, "summary": info["summary"],
                        "results": json.loads((root / "out/cba/results.json").read_text())}
            out = _render_once(shared)
            done.write_text(json.dumps({"root": str(out["root"]), "summary": out["summary"]}))
            return out
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
