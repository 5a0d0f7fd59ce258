"""carecase.core.engine on DuckDB (Spark: test_spark_parity.py)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import ibis
import numpy as np
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
    with pytest.raises(EngineError, match="Table 'events' is not in the store: the link stage makes it"):
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
    _reopened_with_writes(store)


def _reopened_with_writes(store):
    """The erased store opened again holds what was written after the swap, and its views."""
    again = connect_duckdb(store)
    try:
        assert again.has_table("after") and again.has_table("kept_view")
    finally:
        again.close()


def _as_it_was(store, engine, before):
    """The store after an erase that stopped: the same file, byte for byte, nothing beside it,
    and the engine working on it, the tables to erase still there (the stage can run again)."""
    assert _files(store) == {"store.duckdb": before}
    assert engine.has_table("secret") and engine.table("secret").count().execute() == SECRET.num_rows
    assert engine.to_arrow(engine.table("kept")).equals(ARROW)
    assert engine.to_arrow(engine.table("kept_view")).num_rows == 1


def test_erase_refuses_while_another_connection_holds_the_store(tmp_path):
    """A second connection in the process shares the database and would go on writing to
    the old file: erase refuses before erasing anything, the store is left as it was, and
    the engine still works; once the other connection is closed erase goes through."""
    import duckdb

    store, engine = _store_with_secret(tmp_path)
    before = store.read_bytes()
    other = duckdb.connect(str(store), config={"threads": 2})  # as the engine opened it
    try:
        with pytest.raises(EngineError, match="still open through another connection") as err:
            engine.erase(["secret"])
        assert "Nothing was erased" in str(err.value) and "carecase link" in str(err.value)
        _as_it_was(store, engine, before)
    finally:
        other.close()
    try:
        engine.erase(["secret"])
        assert not engine.has_table("secret") and b"QXWJSURNAME" not in store.read_bytes()
    finally:
        engine.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="RLIMIT_FSIZE is POSIX")
def test_erase_leaves_the_store_as_it_was_when_the_copy_cannot_be_written(tmp_path):
    """A full disk while the fresh copy is written (here a file size limit: DuckDB's writes
    past it fail as they would on a full disk): an EngineError says what failed and that
    nothing was erased, the half-written copy is removed, and the store is as it was."""
    import resource
    import signal

    store, engine = _store_with_secret(tmp_path)
    # more to copy than the limit lets the fresh file hold (random numbers do not compress)
    engine.write("bulk", pa.table({"x": np.random.default_rng(0).integers(0, 2**62, 300_000)}))
    engine.con.con.execute("CHECKPOINT")
    before = store.read_bytes()
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    ignored = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a failed write, not a killed process
    resource.setrlimit(resource.RLIMIT_FSIZE, (1_000_000, hard))
    try:
        with pytest.raises(EngineError, match="Could not copy") as err:
            engine.erase(["secret"])
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, ignored)
    try:
        message = str(err.value)
        assert "Nothing was erased" in message and "room for a second copy" in message
        assert "carecase link" in message
        _as_it_was(store, engine, before)
        engine.erase(["secret"])  # with room, it goes through
        assert not engine.has_table("secret") and b"QXWJSURNAME" not in store.read_bytes()
        assert engine.table("bulk").count().execute() == 300_000
    finally:
        engine.close()


def test_erase_leaves_the_store_as_it_was_when_it_cannot_be_replaced(tmp_path, monkeypatch):
    """os.replace refused (on Windows, a store another program has open): an EngineError,
    the fresh copy removed, the store as it was."""
    import carecase.core.store_rewrite as store_rewrite

    store, engine = _store_with_secret(tmp_path)
    before = store.read_bytes()

    def refuse(src, dst):
        raise PermissionError(13, "Permission denied", str(dst))

    monkeypatch.setattr(store_rewrite.os, "replace", refuse)
    try:
        with pytest.raises(EngineError, match="Could not replace") as err:
            engine.erase(["secret"])
        assert "Nothing was erased" in str(err.value) and "Permission denied" in str(err.value)
        _as_it_was(store, engine, before)
    finally:
        engine.close()


@pytest.mark.skipif(not hasattr(os, "symlink") or os.name != "posix", reason="POSIX links")
@pytest.mark.parametrize("given", ["as duckdb reports it", "as opened"])
def test_erase_rewrites_the_file_a_symbolic_link_names(tmp_path, given):
    """proj/store.duckdb -> ../secure/store.duckdb: the file in secure/ is rewritten and the
    link kept; replacing the link with a plain file would put the store in proj/ (perhaps an
    unencrypted disk) and leave every erased value in secure/store.duckdb. DuckDB 2.0 reports
    the file's real path (duckdb_databases), which erase goes by; erase resolves the path it is
    given too, as the second case checks with the link's path (as a DuckDB that kept the
    path it was opened by would report it)."""
    secure, proj = tmp_path / "secure", tmp_path / "proj"
    secure.mkdir()
    proj.mkdir()
    real, engine = _store_with_secret(secure)
    engine.close()
    link = proj / "store.duckdb"
    link.symlink_to(Path("..") / "secure" / "store.duckdb")
    engine = connect_duckdb(link, threads=2)
    try:
        if given == "as opened":
            engine._rewrite_duckdb(link, ["secret"])
        else:
            engine.erase(["secret"])
        assert link.is_symlink() and link.resolve() == real.resolve()
        assert sorted(p.name for p in proj.iterdir()) == ["store.duckdb"]
        assert sorted(p.name for p in secure.iterdir()) == ["store.duckdb"]
        assert not [m for m in MARKS if m in real.read_bytes()]
        assert not engine.has_table("secret")
        assert engine.to_arrow(engine.table("kept")).equals(ARROW)
        engine.write("after", ARROW)
    finally:
        engine.close()
    _reopened_with_writes(real)


@pytest.mark.skipif(not hasattr(os, "link"), reason="hard links")
def test_erase_refuses_a_store_with_another_hard_link(tmp_path):
    """Replacing one name of a file leaves its bytes under the other: refused before
    anything is erased, the store as it was."""
    store, engine = _store_with_secret(tmp_path)
    before = store.read_bytes()
    os.link(store, tmp_path / "elsewhere")
    try:
        with pytest.raises(EngineError, match="other hard link") as err:
            engine.erase(["secret"])
        assert "Nothing was erased" in str(err.value)
        assert engine.has_table("secret") and store.read_bytes() == before
        assert (tmp_path / "elsewhere").read_bytes() == before
    finally:
        engine.close()


def test_erase_keeps_everything_else_as_copy_from_database_does(tmp_path):
    """The fresh file holds what COPY FROM DATABASE would copy once the erased entries are
    dropped: tables with their rows in order, constraints, defaults, indexes, views, macros,
    sequences (where they had got to) and types; and no byte of the erased rows."""
    import duckdb

    store = tmp_path / "store.duckdb"
    raw = duckdb.connect(str(store))
    raw.execute("""
        CREATE SEQUENCE ids START 5;
        SELECT nextval('ids');
        CREATE TYPE mood AS ENUM ('calm', 'cross');
        CREATE TABLE kept(id BIGINT PRIMARY KEY DEFAULT nextval('ids'), v VARCHAR DEFAULT 'x'
                          CHECK (v <> 'bad'), m mood, u BIGINT UNIQUE);
        INSERT INTO kept (v, m, u) SELECT 'r' || i, 'calm', hash(i) // 2 FROM range(200000) t(i);
        CREATE INDEX kept_v ON kept(v);
        CREATE SCHEMA other;
        CREATE TABLE other.more AS SELECT i FROM range(10) t(i);
        CREATE TABLE secret AS SELECT 'QXWJSURNAME' || i AS name FROM range(50000) t(i);
        CREATE VIEW kept_view AS SELECT * FROM kept WHERE u < 0;
        CREATE VIEW secret_view AS SELECT * FROM secret;
        CREATE MACRO plus_one(x) AS x + 1;
        CREATE MACRO kept_rows() AS TABLE SELECT * FROM kept;
        CHECKPOINT;
    """)
    raw.close()
    reference = tmp_path / "reference.duckdb"
    reference.write_bytes(store.read_bytes())
    raw = duckdb.connect(str(reference))
    raw.execute("DROP VIEW secret_view; DROP TABLE secret")
    raw.execute(f"ATTACH '{tmp_path / 'copied.duckdb'}' AS copied")
    raw.execute("COPY FROM DATABASE reference TO copied")
    raw.close()

    engine = connect_duckdb(store)
    engine.erase(["secret", "secret_view"])
    engine.close()
    assert b"QXWJSURNAME" not in store.read_bytes()
    raw = duckdb.connect()
    raw.execute(f"ATTACH '{store}' AS erased (READ_ONLY)")
    raw.execute(f"ATTACH '{tmp_path / 'copied.duckdb'}' AS copied (READ_ONLY)")
    listings = [
        "SELECT schema_name, table_name, sql FROM duckdb_tables() WHERE database_name = ?",
        "SELECT schema_name, view_name, sql FROM duckdb_views() WHERE database_name = ? AND NOT internal",
        "SELECT index_name, sql FROM duckdb_indexes() WHERE database_name = ?",
        "SELECT sequence_name, start_value, last_value FROM duckdb_sequences() WHERE database_name = ?",
        "SELECT function_name, macro_definition FROM duckdb_functions() WHERE database_name = ? "
        "AND NOT internal",
        "SELECT type_name FROM duckdb_types() WHERE database_name = ? AND NOT internal",
        "SELECT table_name, constraint_text FROM duckdb_constraints() WHERE database_name = ?",
    ]
    for listing in listings:
        got = raw.execute(listing + " ORDER BY ALL", ["erased"]).fetchall()
        assert got and got == raw.execute(listing + " ORDER BY ALL", ["copied"]).fetchall()
    for table in ("main.kept", "other.more"):  # row for row, in order
        got, want = (raw.execute(f"SELECT * FROM {db}.{table}").fetchall() for db in ("erased", "copied"))
        assert got == want
    # stored in the order they were inserted
    assert raw.execute("SELECT list(u ORDER BY rowid) FROM erased.kept").fetchone()[0] == [
        v // 2 for v in raw.execute("SELECT list(hash(i) ORDER BY i) FROM range(200000) t(i)").fetchone()[0]]
    raw.close()


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


def test_a_store_table_without_a_column_its_readers_need_says_which_stage_to_run(duck):
    """A store from an earlier carecase (or a table changed by hand) lacking a column of a
    link output: the audit stopped with `unexpected error: IbisTypeError: Column
    'area_of_need' is not found`, the evaluation with `KeyError: 'deprivation_decile'`."""
    from carecase.core.contracts import EVENT_COLUMNS, PEOPLE_COLUMNS

    events = {c: pa.array([], pa.string()) for c in EVENT_COLUMNS if c != "area_of_need"}
    duck.write("events", pa.table(events))
    with pytest.raises(EngineError, match=r"Table 'events' in the store has no column 'area_of_need'.*"
                                          r"`carecase run PROJECT`"):
        duck.check_columns("events", "people")
    people = {c: pa.array([], pa.string()) for c in PEOPLE_COLUMNS if c not in ("sex", "deprivation_decile")}
    duck.write("people", pa.table(people))
    with pytest.raises(EngineError, match=r"no column 'sex' \(and 1 more\)"):
        duck.check_columns("people")
    duck.write("people", pa.table({c: pa.array([], pa.string()) for c in [*PEOPLE_COLUMNS, "extra"]}))
    duck.check_columns("people", "programme")  # more columns, and a table not in the store, are no problem
    duck.write("anything_else", pa.table({"x": [1]}))
    duck.check_columns("anything_else")


def test_a_missing_table_names_the_stage_that_makes_it_and_those_before(duck):
    """User review: the evaluation run first was told to run link and costs, which would have
    failed for want of ingest; a table's message names its stage and every stage before it."""
    with pytest.raises(EngineError) as err:
        duck.table("costed_events")
    assert str(err.value) == ("Table 'costed_events' is not in the store: the costs stage makes it. Run `carecase run "
                              "PROJECT --only ingest,link,costs` (or `carecase run PROJECT`, every stage in order).")
    with pytest.raises(EngineError, match="Run the stage that makes it first"):
        duck.table("nothing_makes_this")
