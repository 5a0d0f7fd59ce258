"""Deterministic linkage: NHS pseudonym first, then the source's own lookup."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from carecase.core.engine import connect_duckdb
from carecase.core.errors import LinkError
from carecase.link.deterministic import link_deterministic, source_lookups


def _identity(rows: list[dict]) -> pa.Table:
    base = {"batch_id": "b1", "given_name": None, "family_name": None, "dob": None, "sex": None,
            "postcode": None, "nhs_pseudo": None, "local_pseudo": None}
    full = [{**base, **r, "source_row": i + 1} for i, r in enumerate(rows)]
    schema = pa.schema([
        ("record_id", pa.string()), ("source", pa.string()), ("batch_id", pa.string()),
        ("source_row", pa.int64()), ("nhs_pseudo", pa.string()), ("local_pseudo", pa.string()),
        ("given_name", pa.string()), ("family_name", pa.string()), ("dob", pa.date32()),
        ("sex", pa.string()), ("postcode", pa.string()),
    ])
    return pa.Table.from_pylist(full, schema=schema)


@pytest.fixture
def engine():
    e = connect_duckdb()
    yield e
    e.close()


def _run(engine, identity_rows, lookups):
    ident = engine.write("staging_identity", _identity(identity_rows))
    lk = {src: engine.write(f"lookup_{src}", pa.Table.from_pylist(
        rows, schema=pa.schema([("local_pseudo", pa.string()), ("nhs_pseudo", pa.string())])))
        for src, rows in lookups.items()}
    out = link_deterministic(ident, lk).order_by("record_id").to_pyarrow().to_pylist()
    return {r["record_id"]: (r["resolved_nhs"], r["method"]) for r in out}


def test_nhs_pseudo_links_directly_and_wins_over_lookup(engine):
    got = _run(engine, [
        {"record_id": "a:b1:1", "source": "a", "nhs_pseudo": "N1"},
        {"record_id": "a:b1:2", "source": "a", "nhs_pseudo": "N2", "local_pseudo": "L1"},
    ], {"a": [{"local_pseudo": "L1", "nhs_pseudo": "N9"}]})
    assert got == {"a:b1:1": ("N1", "nhs_number"), "a:b1:2": ("N2", "nhs_number")}


def test_lookup_applies_only_to_its_own_source(engine):
    got = _run(engine, [
        {"record_id": "asc:b1:1", "source": "asc", "local_pseudo": "L1"},
        {"record_id": "hou:b1:1", "source": "hou", "local_pseudo": "L1"},  # same local value
        {"record_id": "asc:b1:2", "source": "asc", "local_pseudo": "L404"},
    ], {"asc": [{"local_pseudo": "L1", "nhs_pseudo": "N1"}]})
    assert got["asc:b1:1"] == ("N1", "lookup")
    assert got["hou:b1:1"] == (None, None)
    assert got["asc:b1:2"] == (None, None)


def test_ambiguous_lookup_entry_is_not_used(engine):
    got = _run(engine, [
        {"record_id": "asc:b1:1", "source": "asc", "local_pseudo": "L1"},
        {"record_id": "asc:b1:2", "source": "asc", "local_pseudo": "L2"},
    ], {"asc": [{"local_pseudo": "L1", "nhs_pseudo": "N1"},
                {"local_pseudo": "L1", "nhs_pseudo": "N2"},
                {"local_pseudo": "L2", "nhs_pseudo": "N3"},
                {"local_pseudo": "L2", "nhs_pseudo": "N3"}]})  # a repeated row is fine
    assert got["asc:b1:1"] == (None, None)
    assert got["asc:b1:2"] == ("N3", "lookup")


def test_lookup_without_required_columns_fails_clearly(engine):
    bad = engine.write("lookup_bad", pa.table({"local": ["x"], "nhs": ["y"]}))
    with pytest.raises(LinkError, match="local_pseudo and nhs_pseudo"):
        source_lookups({"asc": bad})


def test_no_lookups_leaves_local_only_records_unlinked(engine):
    got = _run(engine, [{"record_id": "asc:b1:1", "source": "asc", "local_pseudo": "L1",
                         "dob": dt.date(1980, 1, 2)}], {})
    assert got == {"asc:b1:1": (None, None)}
