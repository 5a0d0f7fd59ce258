"""Fixtures for ingest tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from carecase.core.project import Project

from .helpers import TEST_KEY, make_project


@pytest.fixture(autouse=True)
def _test_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARECASE_KEY", TEST_KEY)


@pytest.fixture
def project_factory(tmp_path: Path):
    made: list[Project] = []

    def factory(ingest: dict[str, Any], files: dict[str, str | bytes], sub: str = "proj", **kw: Any) -> Project:
        p = make_project(tmp_path / sub, ingest, files, **kw)
        made.append(p)
        return p

    yield factory
    for p in made:
        p.close()
