"""Fixtures for linkage tests: a fabricated population in a throw-away project."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from carecase.core.config import validate_config
from carecase.core.project import Project
from carecase.link.fabricate import Fabricated, fabricate

PEOPLE = 500
SEED = 11


def project_config(**linkage: Any) -> dict[str, Any]:
    keep = linkage.pop("keep_linkage_staging", False)
    return {
        "project": {"name": "link test", "period_start": "2023-04-01", "period_end": "2025-03-31"},
        "privacy": {"keep_linkage_staging": keep},
        "ingest": {
            "sources": [{
                "name": "asc", "path": "asc.csv", "format": {"type": "csv"},
                "agency": {"level1": "Local Authority", "level2": "Adult Social Care"},
                "ids": {"local_id": "client_id", "lookup": "asc"},
                "event": {"kind": "package", "service": {"code": "ASC_HOMECARE"},
                          "start": {"column": "start"}, "end": {"column": "end"},
                          "quantity": "hours"},
            }],
            "lookups": [{"name": "asc", "path": "asc_lookup.csv", "format": {"type": "csv"},
                         "local_id": "client_id", "nhs_number": "nhs_number"}],
        },
        "linkage": {"truth": "truth.parquet", "max_pairs_u": 3e5, **linkage},
    }


def make_project(folder: Path, fab: Fabricated, **linkage: Any) -> Project:
    folder.mkdir(parents=True, exist_ok=True)
    project = Project(folder, validate_config(project_config(**linkage)))
    for name, table in fab.tables.items():
        project.engine.write(name, table)
    pq.write_table(fab.truth, folder / "truth.parquet")
    return project


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
