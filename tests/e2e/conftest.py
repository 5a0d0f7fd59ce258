"""End-to-end fixtures: one synthetic area, the whole pipeline, run once per test session.

Every e2e module sets ``pytestmark = pytest.mark.xdist_group("e2e")`` so the pipeline runs
once, on one worker.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

E2E_PEOPLE = 4000  # the demo's size
E2E_SEED = 20240401


@dataclass
class Area:
    root: Path  # the demo folder (area/ and demo.key)
    project: Path
    results: dict[str, Any]
    truth: dict[str, Any]
    log: str

    def out(self, stage: str, name: str) -> Path:
        return self.project / "out" / stage / name


def run_area(folder: Path, people: int = E2E_PEOPLE, seed: int = E2E_SEED, threads: int | None = None) -> Area:
    """The demo pipeline on a synthetic area; ``threads`` sets the project's DuckDB threads
    (``engine.threads``), else the demo's default (all cores)."""
    import io

    import yaml
    from rich.console import Console

    from carecase.core.project import Project
    from carecase.demo import prepare_demo, run_demo
    from carecase.pipeline import run_all

    buf = io.StringIO()
    console = Console(file=buf, width=120)
    if threads is None:
        results, _ = run_demo(folder, people=people, seed=seed, console=console)
    else:
        area = prepare_demo(folder, people, seed)
        config = area / "carecase.yaml"
        data = yaml.safe_load(config.read_text())
        data.setdefault("engine", {})["threads"] = threads
        config.write_text(yaml.safe_dump(data, sort_keys=False))
        opened = Project.open(area)
        try:
            results = run_all(opened)
        finally:
            opened.close()
    project = folder / "area"
    truth = json.loads((project / "truth" / "truth.json").read_text())
    return Area(folder, project, results, truth, buf.getvalue())


@pytest.fixture(scope="session")
def area(tmp_path_factory: pytest.TempPathFactory) -> Area:
    return run_area(tmp_path_factory.mktemp("e2e") / "demo")
