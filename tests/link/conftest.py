"""Fixtures for linkage tests: a fabricated population in a throw-away project."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from carecase.core.project import Project
from carecase.link.fabricate import Fabricated, fabricate, load_project, project_config

PEOPLE = 500
SEED = 11


def make_project(folder: Path, fab: Fabricated, **linkage: Any) -> Project:
    return load_project(folder, fab, project_config(**linkage))


@pytest.fixture
def new_project(tmp_path: Path):
    """A factory: ``new_project(name, fab, **linkage)`` → a project holding ``fab``'s tables."""
    made: list[Project] = []

    def factory(name: str, data: Fabricated, **linkage: Any) -> Project:
        made.append(make_project(tmp_path / name, data, **linkage))
        return made[-1]

    yield factory
    for project in made:
        project.close()


@pytest.fixture
def config_for():
    """``config_for(**linkage)`` → a carecase.yaml dict for a linkage test project."""
    return project_config


@pytest.fixture(scope="session")
def fab() -> Fabricated:
    return fabricate(PEOPLE, seed=SEED)


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory, fab: Fabricated) -> tuple[Project, dict]:
    """One full linkage run, shared by the read-only stage tests of a module."""
    from carecase.link.stage import run

    project = make_project(tmp_path_factory.mktemp("linked"), fab)
    summary = run(project)
    yield project, summary
    project.close()
