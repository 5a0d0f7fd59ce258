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


def run_area(folder: Path, people: int = E2E_PEOPLE, seed: int = E2E_SEED) -> Area:
    import io

    from rich.console import Console

    from carecase.demo import run_demo

    buf = io.StringIO()
    console = Console(file=buf, width=120)
    results, _ = run_demo(folder, people=people, seed=seed, console=console)
    project = folder / "area"
    truth = json.loads((project / "truth" / "truth.json").read_text())
    return Area(folder, project, results, truth, buf.getvalue())


@pytest.fixture(scope="session")
def area(tmp_path_factory: pytest.TempPathFactory) -> Area:
    return run_area(tmp_path_factory.mktemp("e2e") / "demo")
