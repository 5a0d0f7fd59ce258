"""After linkage the identities leave the store file, not only its catalogue
(docs/privacy.md, "The linkage staging area"): DuckDB's DROP TABLE leaves a dropped table's
values in the file's free blocks, so the link stage erases them (Engine.erase)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from carecase.link.fabricate import Fabricated, fabricate
from carecase.link.stage import run

from .conftest import make_project

PEOPLE = 150


def _marked(column: pa.ChunkedArray, mark: str) -> pa.Array:
    """Each value with a made-up prefix, so that no other text in the store can contain it."""
    return pc.binary_join_element_wise(pa.scalar(mark), column, "")


@pytest.fixture(scope="module")
def distinctive() -> Fabricated:
    """A small fabricated population whose names and postcodes are unlike any other text."""
    fab = fabricate(PEOPLE, seed=5)
    ident = fab.tables["staging_identity"]
    for col, mark in (("given_name", "ZYVQ"), ("family_name", "QXWJ"), ("postcode", "QZ")):
        ident = ident.set_column(ident.schema.get_field_index(col), col, _marked(ident[col], mark))
    return Fabricated({**fab.tables, "staging_identity": ident}, fab.truth)


def _identifiers(fab: Fabricated) -> set[str]:
    ident = fab.tables["staging_identity"]
    return {v for col in ("given_name", "family_name", "postcode") for v in ident[col].to_pylist() if v}


def _store_bytes(project) -> dict[str, bytes]:
    store = Path(project.path(project.config.engine.database))
    return {p.name: p.read_bytes() for p in sorted(store.parent.glob(store.name + "*")) if p.is_file()}


def _found(files: dict[str, bytes], values: set[str]) -> set[str]:
    return {v for v in values if any(v.encode() in blob for blob in files.values())}


def test_identities_leave_the_store_file(tmp_path, distinctive):
    project = make_project(tmp_path / "erased", distinctive)
    values = _identifiers(distinctive)
    assert len(values) > 300
    try:
        project.engine.con.con.execute("CHECKPOINT")  # as ingest leaves them: in the file
        assert len(_found(_store_bytes(project), values)) > 0.9 * len(values)
        summary = run(project)
        assert summary["staging_dropped"] is True
        project.engine.con.con.execute("CHECKPOINT")
        files = _store_bytes(project)
        assert set(files) == {"carecase.duckdb"}  # no WAL, no half-written copy
        assert not _found(files, values)
        # the store is whole and in use: the person tables, read through the engine
        assert project.engine.table("people").count().execute() == summary["people"]
        assert not project.engine.has_table("staging_identity")
    finally:
        project.close()
    assert not _found(_store_bytes(project), values)  # nor once closed


def test_kept_staging_keeps_the_identities_in_the_store(tmp_path, distinctive):
    """privacy.keep_linkage_staging: true keeps them, as documented (clerical review)."""
    project = make_project(tmp_path / "kept", distinctive, keep_linkage_staging=True)
    values = _identifiers(distinctive)
    try:
        run(project)
        assert project.engine.has_table("staging_identity")
    finally:
        project.close()
    assert len(_found(_store_bytes(project), values)) > 0.9 * len(values)


def test_a_failed_erase_leaves_the_stage_to_run_again(tmp_path, distinctive, monkeypatch):
    """When the store cannot be replaced by its fresh copy (on Windows, a store another
    program has open), the link stage stops with an EngineError saying nothing was erased, and
    the store still holds the staging tables, so running link again (here with the store free)
    erases them; before, the tables were dropped first and the second run found no
    staging_identity."""
    import os

    import carecase.core.store_rewrite as store_rewrite
    from carecase.core.errors import EngineError

    project = make_project(tmp_path / "retried", distinctive)
    store = Path(project.path(project.config.engine.database)).absolute()
    values = _identifiers(distinctive)
    replace = os.replace

    def refuse_the_store(src, dst):
        if Path(dst).absolute() == store:
            raise PermissionError(13, "Permission denied", str(dst))
        replace(src, dst)

    try:
        with monkeypatch.context() as patched:
            patched.setattr(store_rewrite.os, "replace", refuse_the_store)
            with pytest.raises(EngineError, match="Nothing was erased"):
                run(project)
        assert project.engine.has_table("staging_identity")
        project.engine.con.con.execute("CHECKPOINT")
        assert len(_found(_store_bytes(project), values)) > 0.9 * len(values)
        summary = run(project)
        assert summary["staging_dropped"] is True
        assert not project.engine.has_table("staging_identity")
    finally:
        project.close()
    assert set(_store_bytes(project)) == {"carecase.duckdb"}
    assert not _found(_store_bytes(project), values)
