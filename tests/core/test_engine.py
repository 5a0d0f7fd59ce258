"""carecase.core.engine on DuckDB (Spark: test_spark_parity.py)."""

from __future__ import annotations

import datetime as dt

import ibis
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from carecase.core import spark_policy
from carecase.core.engine import connect, connect_duckdb
from carecase.core.errors import EngineError

ARROW = pa.table({
    "person_id": pa.array(["p1", "p2", "p3"], pa.string()),
    "start_date": pa.array([dt.date(2024, 1, 31), dt.date(2024, 2, 29), None], pa.date32()),
    "cost": pa.array([1.5, None, 3.0], pa.float64()),
    "n": pa.array([1, 2, None], pa.int64()),
})


@pytest.fixture
def duck():
    engine = connect_duckdb()
    yield engine
    engine.close()


def _sorted(t: pa.Table) -> pa.Table:
    return t.sort_by([("person_id", "ascending")])


@pytest.mark.parametrize("kind", ["arrow", "pandas", "ibis"])
def test_write_accepts_arrow_pandas_and_ibis(duck, kind):
    data = {"arrow": lambda: ARROW,
            "pandas": lambda: ARROW.to_pandas(),
            "ibis": lambda: duck.write("src", ARROW)}[kind]()
    table = duck.write("t", data)
    assert duck.has_table("t")
    out = _sorted(duck.to_arrow(duck.table("t")))
    assert out.column("person_id").to_pylist() == ["p1", "p2", "p3"]
    assert out.column("cost").to_pylist() == [1.5, None, 3.0]
    assert out.column("n").to_pylist() == [1, 2, None]
    assert [d if d is None else d.isoformat() for d in out.column("start_date").to_pylist()[:2]] == [
        "2024-01-31", "2024-02-29"]
    assert table.count().execute() == 3


def test_write_keeps_arrow_types(duck):
    duck.write("t", ARROW)
    schema = duck.table("t").schema()
    assert schema["start_date"].is_date() and schema["n"].is_int64() and schema["cost"].is_float64()


def test_write_overwrites_by_default(duck):
    duck.write("t", ARROW)
    duck.write("t", ARROW.slice(0, 1))
    assert duck.table("t").count().execute() == 1


def test_missing_table_error_says_which_stage_to_run(duck):
    with pytest.raises(EngineError, match="Table 'events' is not in the store. Run the stage"):
        duck.table("events")


def test_drop_and_has_table(duck):
    duck.write("t", ARROW)
    duck.drop("t")
    assert not duck.has_table("t")
    duck.drop("t")  # dropping a missing table is a no-op


def test_a_view_is_computed_when_read_and_can_be_replaced_by_a_table(tmp_path):
    """define_view: stored in the database file, follows the table it reads, and a later
    write() or drop() of the same name replaces or removes it."""
    path = tmp_path / "store.duckdb"
    eng = connect_duckdb(path)
    t = eng.write("t", ARROW)
    eng.define_view("v", t.mutate(twice=t.n * 2))
    eng.write("t", ARROW.slice(0, 1))  # the view follows the table it reads
    assert eng.table("v").count().execute() == 1
    eng.close()
    eng = connect_duckdb(path)  # kept in the file
    assert eng.table("v").twice.execute().tolist() == [2]
    eng.write("v", ARROW)  # a table replaces the view ...
    assert eng.table("v").count().execute() == 3
    eng.define_view("v", eng.table("t"))  # ... and a view the table
    assert eng.table("v").count().execute() == 1
    eng.drop("v")
    assert not eng.has_table("v") and eng.has_table("t")
    eng.close()


def test_memtables_with_the_same_schema_never_clash(duck):
    a = duck.memtable(pd.DataFrame({"x": [1, 2]}))
    b = duck.memtable(pd.DataFrame({"x": [3, 4]}))
    assert a.get_name() != b.get_name()
    assert a.x.sum().execute() == 3 and b.x.sum().execute() == 7
    assert duck.memtable(pd.DataFrame({"x": [1, 2]})).get_name() == a.get_name()


def test_memtables_are_not_kept_in_the_store(tmp_path):
    path = tmp_path / "store.duckdb"
    engine = connect_duckdb(path)
    engine.memtable(pa.table({"x": [1]}))
    engine.write("kept", pa.table({"x": [1]}))
    engine.close()
    again = connect_duckdb(path)
    assert again.con.list_tables() == ["kept"]
    again.close()


def test_sql_and_read_parquet(duck, tmp_path):
    pq.write_table(ARROW, tmp_path / "a.parquet")
    t = duck.read_parquet(tmp_path / "a.parquet")
    assert t.count().execute() == 3
    duck.write("t", ARROW)
    out = duck.to_pandas(duck.sql("SELECT count(*) AS n FROM t WHERE cost IS NOT NULL"))
    assert int(out["n"].iloc[0]) == 2


def test_connect_rejects_an_unknown_backend():
    with pytest.raises(EngineError, match="Unknown engine 'postgres'; allowed: duckdb, spark"):
        connect("postgres")  # type: ignore[arg-type]


def test_spark_policy_is_the_identity_on_duckdb(duck):
    t = duck.write("t", ARROW)
    assert spark_policy.cache(duck, t) is t
    assert spark_policy.checkpoint(duck, t, "cp") is t
    assert not duck.has_table("cp")


def test_duckdb_session_is_utc(duck):
    # 01:30 on the day the clocks go forward in the UK: no shift to the previous day
    day = duck.con.execute(ibis.timestamp("2024-03-31 01:30:00").date())
    assert pd.Timestamp(day) == pd.Timestamp("2024-03-31")  # dates come back as Timestamps
    assert duck.con.raw_sql("SELECT current_setting('TimeZone')").fetchone()[0] == "UTC"


def test_duckdb_threads_and_memory_limit_are_applied():
    engine = connect_duckdb(threads=1, memory_limit="512MB")
    settings = engine.con.raw_sql(
        "SELECT current_setting('threads'), current_setting('memory_limit')").fetchone()
    engine.close()
    assert settings[0] == 1
    assert settings[1].replace(" ", "") in {"512.0MiB", "488.2MiB", "512MB", "488.2MB"}


def test_ibis_catalogue_calls_work_on_duckdb_2(duck):
    """Ibis 12 calls DB-API methods that DuckDB 2.0 renamed; carecase.core.engine restores them."""
    duck.write("t", ARROW)
    assert duck.con.list_tables() == ["t"]
    assert "main" in duck.con.list_databases()
    batches = duck.table("t").to_pyarrow_batches(chunk_size=2).read_all()
    assert batches.num_rows == 3
    assert duck.sql("SELECT 1 AS one").schema()["one"].is_integer()


def test_an_engine_leaves_no_scratch_folder_behind(tmp_path, monkeypatch):
    """Every command opens an engine; each used to leave an empty carecase-* folder in the
    temp folder (3,844 of them after a few days of tests). The scratch folder is made only
    when used (Spark's Parquet hand-overs) and removed on close."""
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    engine = connect_duckdb()
    engine.write("t", ARROW)
    engine.close()
    assert list(tmp_path.iterdir()) == []

    engine = connect_duckdb()
    scratch = engine.workdir
    (scratch / "x.parquet").write_bytes(b"x")
    assert scratch.parent == tmp_path
    engine.close()
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- erase (docs/privacy.md)
SECRET = pa.table({
    "name": [f"QXWJSURNAME{i % 397:03d}" for i in range(60_000)],
    "postcode": [f"QZ{i % 89} {i % 7}ZZ" for i in range(60_000)],
})
MARKS = [b"QXWJSURNAME", b"QZ"]


def _files(store):
    return {p.name: p.read_bytes() for p in sorted(store.parent.glob(store.name + "*"))}


def _store_with_secret(tmp_path):
    store = tmp_path / "store.duckdb"
    engine = connect_duckdb(store, threads=2)
    engine.write("kept", ARROW)
    engine.write("secret", SECRET)
    engine.define_view("kept_view", engine.table("kept").filter(engine.table("kept").n >= 2))
    engine.con.con.execute("CHECKPOINT")
    assert b"QXWJSURNAME" in _files(store)["store.duckdb"]
    return store, engine


def test_drop_alone_leaves_the_rows_in_the_file(tmp_path):
    """Why erase exists: DuckDB's DROP TABLE (even with CHECKPOINT and VACUUM) leaves the
    dropped values in the file's free blocks. Should DuckDB ever clear them, this fails: then
    erase's rewrite could go."""
    store, engine = _store_with_secret(tmp_path)
    engine.drop("secret")
    for statement in ("CHECKPOINT", "VACUUM", "CHECKPOINT"):
        engine.con.con.execute(statement)
    engine.close()
    assert b"QXWJSURNAME" in _files(store)["store.duckdb"]


def test_erase_leaves_no_byte_of_the_dropped_rows_in_the_store(tmp_path):
    store, engine = _store_with_secret(tmp_path)
    store.chmod(0o640)
    engine.con.con.execute("SET enable_progress_bar = false")
    before = engine.to_arrow(engine.table("kept"))
    try:
        engine.erase(["secret"])
        files = _files(store)
        assert list(files) == ["store.duckdb"]  # no WAL, no copy left beside it
        assert not [m for m in MARKS if m in files["store.duckdb"]]
        assert (store.stat().st_mode & 0o777) == 0o640
        # the same store on a new connection: tables row for row, views, the settings
        assert not engine.has_table("secret")
        assert engine.to_arrow(engine.table("kept")).equals(before)
        assert engine.to_arrow(engine.table("kept_view")).num_rows == 1
        raw = engine.con.con
        assert raw.execute("SELECT current_setting('threads'), current_setting('TimeZone'), "
                           "current_setting('enable_progress_bar')").fetchone() == (2, "UTC", False)
        engine.write("after", ARROW)
    finally:
        engine.close()
    again = connect_duckdb(store)
    try:
        assert again.has_table("after") and again.has_table("kept_view")
    finally:
        again.close()


def test_erase_refuses_while_another_connection_holds_the_store(tmp_path):
    """A second connection in the process shares the database and would go on writing to
    the old file: the store is left as it was, and the engine still works."""
    import duckdb

    store, engine = _store_with_secret(tmp_path)
    other = duckdb.connect(str(store), config={"threads": 2})  # as the engine opened it
    try:
        with pytest.raises(EngineError, match="still open through another connection"):
            engine.erase(["secret"])
        assert list(_files(store)) == ["store.duckdb"]
        assert engine.has_table("kept") and not engine.has_table("secret")
    finally:
        other.close()
        engine.close()


def test_erase_in_memory_drops(duck):
    duck.write("secret", SECRET)
    duck.erase(["secret", "never_made"])
    assert not duck.has_table("secret")


def test_erase_finds_a_store_opened_by_a_relative_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    engine = connect_duckdb("relative.duckdb")
    try:
        engine.write("secret", SECRET)
        engine.con.con.execute("CHECKPOINT")
        engine.erase(["secret"])
        assert b"QXWJSURNAME" not in (tmp_path / "relative.duckdb").read_bytes()
    finally:
        engine.close()
