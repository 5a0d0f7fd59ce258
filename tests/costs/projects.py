"""A small synthetic project for the costs tests: events, people and a programme in the store."""

from __future__ import annotations

from pathlib import Path

from carecase.core.project import Project
from carecase.costs.synthetic import synthetic_events, synthetic_people, synthetic_programme


def small_project(folder: Path, events: int = 2000, people: int = 200, seed: int = 5) -> Project:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "carecase.yaml").write_text(
        "project:\n  name: t\n  period_start: 2022-04-01\n  period_end: 2024-03-31\n")
    p = Project.open(folder)
    p.engine.write("events", synthetic_events(events, people, seed))
    p.engine.write("people", synthetic_people(people, seed))
    p.engine.write("programme", synthetic_programme(people, seed))
    return p
