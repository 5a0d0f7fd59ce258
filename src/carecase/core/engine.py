"""The engine layer: one Ibis connection for the whole pipeline.

DuckDB (a file in the project folder) is the embedded default; PySpark is the scale-out
alternative (``engine.backend: spark``, extra ``carecase[spark]``). Every table transform in
the stages is an Ibis expression over ``Engine.con``. Each place where the engines differ is
one small named method on ``Engine`` that fails loudly where unsupported; the known gaps are
listed as data in ``carecase.core.engine_gaps``.

Only the stages listed in docs/privacy.md ("who may touch row-level data") read rows back
into Python, and never into logs.
"""

from __future__ import annotations

import atexit
import hashlib
import itertools
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.parquet as pq

from carecase.core import store_rewrite
from carecase.core.contracts import missing_columns_message, missing_table_message
from carecase.core.errors import EngineError

Backend = Literal["duckdb", "spark"]


def _patch_duckdb_dbapi() -> None:
    """DuckDB 2.0 renamed ``fetch_arrow_table``/``fetch_record_batch`` on a DB-API result to
    ``to_arrow_table``/``to_arrow_reader``; Ibis 12 still calls the old names (``list_tables``,
    ``con.table``, ``con.sql``, ``to_pyarrow_batches``). Add the old names back, quietly."""
    try:
        import duckdb
    except ImportError:  # pragma: no cover - duckdb is a core dependency
        return
    import warnings

    relation = getattr(duckdb, "DuckDBPyRelation", None)
    if relation is not None and hasattr(relation, "to_arrow_table"):
        # Ibis' get_schema calls the deprecated relation method on every table lookup.
        relation.fetch_arrow_table = lambda self, *a, **k: self.to_arrow_table(*a, **k)
    conn = duckdb.DuckDBPyConnection
    if hasattr(conn, "fetch_arrow_table") or not hasattr(conn, "to_arrow_table"):
        return

    def fetch_arrow_table(self: Any) -> pa.Table:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return self.to_arrow_table()

    def fetch_record_batch(self: Any, rows_per_batch: int = 1_000_000) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return self.to_arrow_reader(rows_per_batch)

    conn.fetch_arrow_table = fetch_arrow_table  # type: ignore[attr-defined]
    conn.fetch_record_batch = fetch_record_batch  # type: ignore[attr-defined]


_patch_duckdb_dbapi()


#: Connection settings a reopened DuckDB connection keeps (:meth:`Engine.erase` reopens it
#: with connect_duckdb's options): the ones carecase changes after connecting.
_DUCKDB_SETTINGS = ("threads", "TimeZone", "enable_progress_bar")


@dataclass
class Engine:
    name: Backend
    con: Any  # ibis backend
    _spark: Any = None
    _workdir: Path | None = field(default=None, repr=False)
    #: DuckDB: connect_duckdb's options (threads, memory_limit), to reopen the connection
    _options: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def workdir(self) -> Path:
        """This engine's scratch folder (Spark's Parquet hand-overs): made on first use and
        removed by :meth:`close`, so that commands leave nothing behind in the temp folder."""
        if self._workdir is None:
            self._workdir = Path(tempfile.mkdtemp(prefix="carecase-"))
        return self._workdir

    # ------------------------------------------------------------------ tables
    def table(self, name: str) -> ir.Table:
        if not self.has_table(name):
            raise EngineError(missing_table_message(name))
        return self.con.table(name)

    def check_columns(self, *names: str) -> None:
        """Refuse a store table among ``names`` that lacks a column of its contract
        (:mod:`carecase.core.contracts`: written by an earlier carecase, or changed by hand),
        naming the table, the column and the fix; a table not in the store is left to the
        stage's own check. The stages that read link's tables call it first."""
        for name in names:
            if self.has_table(name):
                missing = missing_columns_message(name, list(self.con.table(name).columns))
                if missing:
                    raise EngineError(missing)

    def has_table(self, name: str) -> bool:
        if self._spark is not None:
            # the catalogue asked directly: Ibis's list_tables runs two Spark SQL jobs
            # (CURRENT_DATABASE, SHOW TABLES), about 80 ms a call, and stages ask often
            return bool(self._spark.catalog.tableExists(name))
        return name in self.con.list_tables()

    def write(self, name: str, data: ir.Table | pa.Table | Any, overwrite: bool = True) -> ir.Table:
        """Materialise an Ibis expression, Arrow table or pandas frame as table ``name``."""
        if overwrite and self._is_view(name):
            self.con.drop_view(name)
        if isinstance(data, ir.Table):
            return self.con.create_table(name, data, overwrite=overwrite)
        arrow = data if isinstance(data, pa.Table) else pa.Table.from_pandas(data, preserve_index=False)
        return self._write_arrow(name, arrow, overwrite)

    def create_empty(self, name: str, schema: pa.Schema) -> ir.Table:
        """An empty table ``name`` with ``schema``, replacing any table of that name.

        Spark: made in the catalogue alone, where :meth:`write` of an empty Arrow table runs
        two jobs and writes a Parquet hand-over and a table file (about half a second a
        table; ingest makes 15 in a new store). The columns and their types are the same."""
        if self.name == "duckdb":
            return self.write(name, schema.empty_table())
        self.drop(name)
        return self.con.create_table(name, schema=ibis.schema(schema))

    def _write_arrow(self, name: str, arrow: pa.Table, overwrite: bool) -> ir.Table:
        if self.name == "duckdb":
            return self.con.create_table(name, arrow, overwrite=overwrite)
        # Spark: go through Parquet with the Arrow schema (no pandas NaN/NULL casts under ANSI).
        path = self._handover(name)
        pq.write_table(arrow, path)
        return self.con.create_table(name, self.con.read_parquet(str(path)), overwrite=overwrite)

    def _handover(self, name: str) -> Path:
        """Where Spark is handed table ``name`` as Parquet: named ``table_<name>``, since Hadoop
        passes over a file whose name starts with ``_`` or ``.`` (a temporary ``_evaluate_windows``
        was read as no file: 'Unable to infer schema for Parquet')."""
        return self.workdir / f"table_{name}.parquet"

    def define_view(self, name: str, expr: ir.Table) -> ir.Table:
        """``name`` as a derived table computed whenever it is read, from the tables ``expr``
        reads (they must stay in the store). Use it for a cheap, row-for-row derivation of a
        large table, so that it is not copied.

        DuckDB: a view stored in the database file. Spark: materialised with :meth:`write`,
        since a Spark view lives only as long as its session and stages may run in separate
        processes."""
        if self.name != "duckdb":
            return self.write(name, expr)
        if self.has_table(name) and not self._is_view(name):
            self.con.drop_table(name)
        return self.con.create_view(name, expr, overwrite=True)

    def _is_view(self, name: str) -> bool:
        if self.name != "duckdb":
            return False
        found = self.con.con.execute(
            "SELECT count(*) FROM duckdb_views() WHERE view_name = ? AND NOT internal", [name]
        ).fetchone()
        return bool(found and found[0])

    def drop(self, name: str) -> None:
        if self._is_view(name):
            self.con.drop_view(name)
        elif self.has_table(name):
            self.con.drop_table(name)

    def erase(self, names: Sequence[str]) -> None:
        """Drop the tables (or views) ``names`` so that their rows leave the store's files,
        not only its catalogue: for tables that held identifiers (docs/privacy.md).

        DuckDB: ``DROP TABLE`` only marks a table's blocks free in the database file; their
        bytes (values, and column statistics) stay there until the space is reused, and
        neither ``CHECKPOINT`` nor ``VACUUM`` clears them. So the store is copied into a fresh
        file beside it without ``names`` (:mod:`carecase.core.store_rewrite`: every other
        table with its rows in order, views, macros, sequences, types, indexes and constraints, as
        ``COPY FROM DATABASE`` copies them), the fresh file replaces the store (``os.replace``,
        with the store's permission bits and, where allowed, its group), and the connection is
        reopened on it with the settings it had. The file replaced is the store's real file,
        with the fresh one written beside it: a store opened through a symbolic link keeps its
        link, and the file the link names is the one rewritten. A store file with other hard
        links is refused (an :class:`EngineError`): replacing one name would leave every erased
        value under the others. Whatever was dropped or deleted earlier
        (Splink's working tables, replaced ingest batches) goes too. The WAL is checkpointed
        first and neither file keeps one. Nothing is dropped from the store itself: the copy
        reads it read-only, so until the fresh file replaces it, it is as it was. When a check
        fails (another connection to the store in this process), the copy cannot be written
        (a full disk) or the store cannot be replaced, an :class:`EngineError` says so and
        that nothing was erased, and the store still holds ``names``: the stage that erases
        them can simply be run again. An in-memory database has no file: the tables are only
        dropped. Expressions made before the call belong to the old connection: take tables
        from the engine again.

        Spark: a managed table is a folder of files, and ``DROP TABLE`` deletes it; this checks
        that each dropped table's folder is gone (an :class:`EngineError` if one is left, as
        for an external table) and deletes the engine's Parquet hand-over of each.

        Either way a deleted file is deleted, not overwritten: its blocks are the file
        system's free space, as with any deleted file (keep the store on an encrypted disk).
        """
        if self.name == "spark":
            self._erase_spark(names)
            return
        found = self.con.con.execute(
            "SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
        if not (found and found[0]):  # in memory
            for name in names:
                self.drop(name)
            return
        self._rewrite_duckdb(Path(found[0]).absolute(), names)

    def _rewrite_duckdb(self, opened: Path, names: Sequence[str]) -> None:
        raw = self.con.con
        settings = {k: _setting(raw, k) for k in _DUCKDB_SETTINGS}
        # the copy runs on a connection of its own, with this one's limits and spill folder
        config = {k: str(_setting(raw, k)) for k in ("threads", "memory_limit", "temp_directory")}
        what = ", ".join(name for name in names if self.has_table(name)) or "the dropped tables' rows"
        # the file itself: through a symbolic link the link would be replaced and the file it
        # names (perhaps on another, encrypted, disk) keep every erased value
        path = opened.resolve()
        store_rewrite.refuse_hard_links(path, what)
        raw.execute("CHECKPOINT")
        self.con.disconnect()
        try:
            store_rewrite.replace_with_copy(path, opened, names, config, what)
        finally:
            self.con = _open_duckdb(opened, **self._options)
            raw = self.con.con
            for key, value in settings.items():
                if _setting(raw, key) != value:
                    raw.execute(f"SET {key} = {store_rewrite.sql_text(str(value))}")

    def _erase_spark(self, names: Sequence[str]) -> None:
        session = self._spark
        locations = {}
        for name in names:
            if self.has_table(name):
                described = session.sql(f"DESCRIBE TABLE EXTENDED `{name}`").collect()
                found = [r[1] for r in described if r[0] == "Location"]
                if found:
                    locations[name] = found[0]
            self.drop(name)
        jvm, hadoop = session._jvm, session._jsc.hadoopConfiguration()
        left = []
        for name, where in sorted(locations.items()):
            folder = jvm.org.apache.hadoop.fs.Path(where)
            if folder.getFileSystem(hadoop).exists(folder):
                left.append(f"{name} ({where})")
        if self._workdir is not None:
            for name in names:
                self._handover(name).unlink(missing_ok=True)
        if left:
            raise EngineError(
                f"Table(s) {', '.join(left)} were dropped from the catalogue but their files are "
                "still there (an external table, or a file system that kept them), so their rows "
                "were not erased; the other tables were. Delete those folders by hand."
            )

    def memtable(self, data: pa.Table | Any, name: str | None = None) -> ir.Table:
        """A small in-memory table usable in expressions on this engine."""
        arrow = data if isinstance(data, pa.Table) else pa.Table.from_pandas(data, preserve_index=False)
        # Named by a digest of the content: the same data gives the same name in every run,
        # and two different tables never share one (a schema-only name would let them clash).
        tmp = name or f"_mem_{_content_digest(arrow)}"
        if self.name == "duckdb":
            return self.con.create_table(tmp, arrow, temp=True, overwrite=True)
        return self._write_arrow(tmp, arrow, overwrite=True)

    def read_parquet(self, path: str | Path) -> ir.Table:
        return self.con.read_parquet(str(path))

    def to_arrow(self, expr: ir.Table) -> pa.Table:
        return expr.to_pyarrow()

    def to_pandas(self, expr: ir.Table) -> Any:
        return expr.to_pandas()

    def sql(self, query: str) -> ir.Table:
        return self.con.sql(query)

    def close(self) -> None:
        try:
            if self.name == "duckdb":
                self.con.disconnect()
        except Exception:  # pragma: no cover - closing is best effort
            pass
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None


def _content_digest(arrow: pa.Table) -> str:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, arrow.schema) as writer:
        writer.write_table(arrow)
    return hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest()[:16]


def connect_duckdb(path: str | Path | None = None, threads: int | None = None,
                   memory_limit: str | None = None) -> Engine:
    """A DuckDB engine on a file (or in memory when ``path`` is None)."""
    options: dict[str, Any] = {}
    if threads:
        options["threads"] = threads
    if memory_limit:
        options["memory_limit"] = memory_limit
    return Engine("duckdb", _open_duckdb(path, **options), _options=options)


def _open_duckdb(path: str | Path | None, **options: Any) -> Any:
    con = ibis.duckdb.connect(str(path) if path else ":memory:", **options)
    con.raw_sql("SET TimeZone = 'UTC'")
    return con


def _setting(raw: Any, name: str) -> Any:
    return raw.execute("SELECT current_setting(?)", [name]).fetchone()[0]



_SPARK_SESSION: Any = None
_SPARK_SCRATCH: Path | None = None


def spark_scratch() -> Path:
    """The Spark session's scratch folder (a warehouse when the project names none, Splink's
    checkpoints): one per process, removed when the process exits."""
    global _SPARK_SCRATCH
    if _SPARK_SCRATCH is None:
        _SPARK_SCRATCH = Path(tempfile.mkdtemp(prefix="carecase-spark-"))
        atexit.register(shutil.rmtree, _SPARK_SCRATCH, True)
    return _SPARK_SCRATCH


def spark_session(master: str = "local[2]", warehouse: str | Path | None = None) -> Any:
    """One Spark session per process, UTC, with the UI off and few shuffle partitions."""
    global _SPARK_SESSION
    if _SPARK_SESSION is not None:
        return _SPARK_SESSION
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise EngineError(
            "engine.backend is 'spark' but PySpark is not installed. "
            "Install the extra: pip install 'carecase[spark]' (needs Java 17)."
        ) from None
    builder = (
        SparkSession.builder.master(master)
        .appName("carecase")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", "2g")
        .config("spark.sql.ansi.enabled", "true")
    )
    # Without a project warehouse, use a fresh temporary one: Spark's default (./spark-warehouse)
    # would collide with tables left there by an earlier run (LOCATION_ALREADY_EXISTS).
    where = (Path(warehouse) if warehouse else spark_scratch() / "warehouse").resolve()
    builder = builder.config("spark.sql.warehouse.dir", str(where))
    # Spark's default catalogue is in memory: a table written in one process would be gone
    # from the catalogue in the next, while its folder stays (a second `carecase run` then
    # failed with LOCATION_ALREADY_EXISTS, and `carecase audit` after `carecase run` found no
    # costed_events). The catalogue is kept with the tables instead: Hive's metastore in an
    # embedded Derby database inside the warehouse (one process at a time, as DuckDB's store).
    metastore = where / "_metastore"
    builder = (
        builder.enableHiveSupport()
        .config("spark.hadoop.javax.jdo.option.ConnectionURL",
                f"jdbc:derby:;databaseName={metastore / 'derby'};create=true")
        .config("spark.driver.extraJavaOptions",
                f"-Dderby.system.home={metastore} -Dderby.stream.error.file={metastore / 'derby.log'}")
        .config("spark.hadoop.hive.exec.scratchdir", str(spark_scratch() / "hive"))
    )
    try:
        _SPARK_SESSION = builder.getOrCreate()
    except Exception as err:  # Java missing or wrong version
        raise EngineError(f"Could not start Spark ({err}). Spark needs Java 17 on PATH.") from None
    _SPARK_SESSION.sparkContext.setLogLevel("ERROR")
    return _SPARK_SESSION


_SPARK_SCRATCH_STORES = itertools.count(1)


def connect_spark(master: str = "local[2]", warehouse: str | Path | None = None) -> Engine:
    """An engine on the process's Spark session whose tables are the project's own: a
    database (namespace) named by the warehouse's path, its tables under that warehouse. The
    session, its catalogue and its default warehouse are one per process (the first
    project's): without a database of their own, a second project opened in the same process
    (the tests) read and wrote the first one's tables. Without ``warehouse``, a fresh scratch
    database each call."""
    session = spark_session(master, warehouse)
    where = (Path(warehouse) if warehouse else spark_scratch() / f"store{next(_SPARK_SCRATCH_STORES)}").resolve()
    database = "carecase_" + hashlib.sha256(str(where).encode()).hexdigest()[:12]
    session.sql(f"CREATE DATABASE IF NOT EXISTS `{database}` LOCATION '{(where / 'tables').as_uri()}'")
    session.catalog.setCurrentDatabase(database)
    con = ibis.pyspark.connect(session)
    return Engine("spark", con, _spark=session)


def connect(backend: Backend = "duckdb", **kwargs: Any) -> Engine:
    if backend == "duckdb":
        return connect_duckdb(**kwargs)
    if backend == "spark":
        return connect_spark(**kwargs)
    raise EngineError(f"Unknown engine {backend!r}; allowed: duckdb, spark.")
