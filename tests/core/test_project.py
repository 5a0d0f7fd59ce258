"""carecase.core.project.Project: folders, the store and deterministic JSON."""

from __future__ import annotations

import pytest

from carecase.core.errors import ConfigError
from carecase.core.project import Project
from carecase.core.template import write_template


@pytest.fixture
def project(tmp_path):
    write_template(tmp_path / "proj")
    p = Project.open(tmp_path / "proj")
    yield p
    p.close()


def test_open_a_folder_or_its_yaml(tmp_path, project):
    assert Project.open(project.root / "carecase.yaml").root == project.root
    assert project.config.project.name == "Example partnership"


def test_open_without_a_config_says_how_to_create_one(tmp_path):
    with pytest.raises(ConfigError, match="is not a carecase project .* `carecase init DIR`"):
        Project.open(tmp_path)


def test_paths_are_relative_to_the_project(project, tmp_path):
    assert project.path("extracts/a.csv") == project.root / "extracts" / "a.csv"
    assert project.path(tmp_path / "abs.csv") == tmp_path / "abs.csv"
    d = project.stage_dir("audit")
    assert d == project.root / "out" / "audit" and d.is_dir()


def test_write_json_is_byte_identical_whatever_the_key_order(project):
    a = project.write_json("audit", "a.json", {"b": 1, "a": {"z": 2.5, "y": [3, 1]}}).read_bytes()
    b = project.write_json("audit", "a.json", {"a": {"y": [3, 1], "z": 2.5}, "b": 1}).read_bytes()
    assert a == b == b'{\n  "a": {\n    "y": [\n      3,\n      1\n    ],\n    "z": 2.5\n  },\n  "b": 1\n}\n'
    assert project.read_json("audit", "a.json") == {"a": {"y": [3, 1], "z": 2.5}, "b": 1}
    assert project.read_json("audit", "missing.json") is None


def test_engine_is_the_configured_duckdb_store(project):
    engine = project.engine
    assert engine is project.engine  # one connection per project
    engine.write("t", engine.memtable(__import__("pyarrow").table({"x": [1]})))
    assert (project.root / "carecase.duckdb").is_file()
    project.close()
    assert project.engine.has_table("t")


def test_reading_a_result_does_not_create_out(project):
    """read_json went through Project.out, which makes the folder: a read wrote to the
    project (and failed on a read-only one)."""
    import shutil

    shutil.rmtree(project.root / "out", ignore_errors=True)  # `carecase init` makes it
    assert project.read_json("audit", "summary.json") is None
    assert not (project.root / "out").exists()
