"""Memory at scale: the rows a batch stages hold each constant text (source, batch, path,
agency, kind) and each pseudonym once, as dictionary arrays, not a copy per row; the store
keeps them as plain text, the same values as before."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from carecase.core.config import validate_config
from carecase.ingest.feeds import feeds_from_config
from carecase.ingest.pseudonymise import pseudonymise
from carecase.ingest.rules import repeated
from carecase.ingest.stage import run, validate_batch
from carecase.ingest.store import SCHEMAS, _conform
from carecase.ingest.validate import BatchContext

from .helpers import PERIOD, event_source, table

LONG_PATH = "extracts/" + "a_very_long_folder_name/" * 4 + "ae.csv"


@settings(deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(["A", "B", ""]), st.text(max_size=8)), max_size=30))
def test_dictionary_pseudonyms_are_the_same_digests(values: list[str | None]) -> None:
    plain = pseudonymise(values, b"k" * 20)
    coded = pseudonymise(values, b"k" * 20, dictionary=True)
    assert pa.types.is_dictionary(coded.type)
    assert coded.cast(pa.string()).equals(plain)


def test_repeated_is_one_byte_a_row() -> None:
    col = repeated(LONG_PATH, 100_000)
    assert col.to_pylist()[:2] == [LONG_PATH, LONG_PATH] and len(col) == 100_000
    assert col.nbytes < 100_000 + 1_000
    assert len(repeated("x", 0)) == 0


def _batch(n: int):
    cfg = validate_config({"project": {"name": "p", "period_start": PERIOD[0], "period_end": PERIOD[1]},
                           "ingest": {"sources": [event_source(path=LONG_PATH)]}})
    feed = feeds_from_config(cfg)[0]
    nhs = ["9434765919", "4010232137", "9434765918"]
    raw = pa.table({"nhs": pa.array([nhs[i % 3] for i in range(n)]), "mrn": pa.array([f"M{i}" for i in range(n)]),
                    "code": pa.array(["AE"] * n), "date": pa.array([f"{1 + i % 28:02d}/01/2024" for i in range(n)])})
    ctx = BatchContext(LONG_PATH, "abcdef012345", b"k" * 20, dt.date(2023, 4, 1), dt.date(2025, 3, 31), dt.date(2025, 6, 30))
    return validate_batch(feed, raw, ctx)


def test_staged_constants_and_pseudonyms_are_not_copied_per_row() -> None:
    n = 20_000
    staged = _batch(n)
    assert staged.rows_accepted > n // 2
    keys, events, ident = (staged.tables[t] for t in ("ingest_row_keys", "events_staged", "staging_identity"))
    assert keys.num_rows == events.num_rows == ident.num_rows == staged.rows_accepted
    for t, names in ((keys, ("grp", "source", "path", "batch_id")),
                     (events, ("source", "batch_id", "agency_l1", "agency_l2", "kind")),
                     (ident, ("source", "batch_id", "nhs_pseudo", "local_pseudo"))):
        for name in names:
            col = t.column(name).combine_chunks()
            assert pa.types.is_dictionary(col.type), (name, col.type)
            assert col.nbytes <= 4 * t.num_rows + 72 * len(col.dictionary), name  # each distinct text once
    assert set(keys.column("path").to_pylist()) == {LONG_PATH}
    # the store's schemas are kept: the Spark path expands them, DuckDB reads them as text
    for name in ("ingest_row_keys", "events_staged", "staging_identity"):
        assert _conform(staged.tables[name], name).schema == SCHEMAS[name]
        lean = _conform(staged.tables[name], name, dictionaries=True)
        assert lean.schema.names == SCHEMAS[name].names
        assert lean.cast(SCHEMAS[name]).equals(_conform(staged.tables[name], name))


def test_store_holds_plain_text(project_factory) -> None:
    csv = "nhs,mrn,code,date\n9434765919,A,AE,05/01/2024\n4010232137,B,AE,06/01/2024\n"
    p = project_factory({"sources": [event_source(path="x/*.csv")]}, {"x/a.csv": csv, "x/b.csv": csv})
    s = run(p)
    assert s["totals"]["rows_accepted"] == 2 and s["totals"]["rows_quarantined"] == 2
    con = p.engine.con.con
    for name in ("ingest_row_keys", "events_staged", "staging_identity"):
        types = dict(con.execute(f"SELECT column_name, data_type FROM information_schema.columns WHERE table_name = '{name}'").fetchall())
        for f in SCHEMAS[name]:
            if pa.types.is_string(f.type):
                assert types[f.name] == "VARCHAR", (name, f.name)
    ident = table(p, "staging_identity", ["source_row"])
    assert {r["source"] for r in ident} == {"acute"}
    assert all(len(r["nhs_pseudo"]) == 64 and len(r["local_pseudo"]) == 64 for r in ident)
    assert {r["path"] for r in table(p, "ingest_row_keys")} == {"x/a.csv", "x/b.csv"}
    assert run(p)["totals"] == s["totals"]
