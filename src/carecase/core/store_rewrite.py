"""Erasing tables from a DuckDB store's file, not only its catalogue (:meth:`Engine.erase`).

``DROP TABLE`` only marks a table's blocks free in the database file; their bytes stay there
until the space is reused, and neither ``CHECKPOINT`` nor ``VACUUM`` clears them. So the store
is copied into a fresh file beside it without the erased tables, and the copy replaces it.
The engine closes its connection before :func:`replace_with_copy` and reopens it after.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path

from carecase.core.errors import EngineError

#: The names under which the store (read-only) and its fresh copy are attached.
_STORE_ALIAS = "_carecase_store"
_REWRITE_ALIAS = "_carecase_rewrite"
#: What the errors say when the rewrite stopped before replacing the store.
_NOTHING_ERASED = "Nothing was erased: the store is as it was, those tables included."
_RUN_AGAIN = "run the stage again (`carecase link PROJECT` erases the linkage staging tables)"


def refuse_hard_links(path: Path, what: str) -> None:
    """Raise when the store file ``path`` has other hard links: replacing one name of the file
    would leave its bytes, every erased value among them, under the others."""
    links = path.stat().st_nlink
    if links > 1:
        raise EngineError(
            f"{path} has {links - 1} other hard link(s) (other names for the same file), so "
            f"{what} could not be erased from it: replacing the store with a copy without "
            f"them would leave them in the file under the other name(s). {_NOTHING_ERASED} "
            "Remove the other link(s), or copy the store to a file of its own and name that "
            f"in engine.database, then {_RUN_AGAIN}."
        )


def replace_with_copy(path: Path, opened: Path, names: Sequence[str], config: dict[str, str],
                      what: str) -> None:
    """Replace the closed DuckDB file ``path`` (the real file; ``opened`` the name it was opened
    by, perhaps a symbolic link) with a copy of itself without the tables and views ``names``,
    written beside it with ``config`` (threads, memory_limit, temp_directory), given the
    store's permission bits and group, then renamed over it and the rename made durable.
    Whatever fails, the fresh copy is removed and ``path`` is as it was."""
    fresh = path.with_name(path.name + ".rewrite")  # beside the file: same disk
    try:
        _check_closed(path, what, opened)
        _copy_store(path, fresh, names, config, what)
        _check_closed(path, what, opened)
        _keep_access(path, fresh)
        try:
            os.replace(fresh, path)
        except OSError as err:
            raise EngineError(
                f"Could not replace {path} with its fresh copy ({err.strerror or err}), so "
                f"{what} could not be erased from it. {_NOTHING_ERASED} Make sure no other "
                "program has the store open (on Windows an open file cannot be replaced), "
                f"then {_RUN_AGAIN}."
            ) from err
        _sync_folder(path.parent)
    finally:
        _remove_with_wal(fresh)


def sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _sql_name(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def _remove_with_wal(path: Path) -> None:
    path.unlink(missing_ok=True)
    _wal(path).unlink(missing_ok=True)


def _check_closed(path: Path, what: str, opened: Path | None = None) -> None:
    """Raise unless the DuckDB database ``path`` is closed, with no WAL beside it (nor beside
    ``opened``, the symbolic link it was opened through, after which DuckDB names its WAL).
    Another connection in this process (``duckdb.connect`` of the same file shares the
    database) would go on writing to the old file once it is replaced, and a WAL left beside
    the store would be replayed into the new one. DuckDB refuses to open a database read-only
    while this process has it open read-write (through any of its names)."""
    import duckdb

    try:
        duckdb.connect(str(path), read_only=True).close()
    except duckdb.ConnectionException:
        raise EngineError(
            f"{path} is still open through another connection in this process, so {what} could "
            f"not be erased from it. {_NOTHING_ERASED} Close the other connection, then "
            f"{_RUN_AGAIN}."
        ) from None
    for wal in sorted({_wal(path), _wal(opened or path)}):
        if wal.exists():
            raise EngineError(f"{wal} was left after closing the store, so {what} could not be "
                              f"erased from it. {_NOTHING_ERASED} Then {_RUN_AGAIN}.")


def _copy_store(store: Path, fresh: Path, names: Sequence[str], config: dict[str, str],
                what: str) -> None:
    """Write into the new file ``fresh`` a copy of the DuckDB database ``store`` without the
    tables and views ``names`` of its main schema, which are never read: every other table with
    its rows in their order, and the views, macros, sequences, types, indexes and constraints,
    as ``COPY FROM DATABASE`` copies them (its schema part copies every entry, the erased ones
    still empty; they are dropped from the copy before any row is written, and each other
    table is filled as its data part fills it, ``INSERT INTO ... SELECT *``). ``store`` is
    attached read-only, on a connection of its own: whatever fails, it is left as it was, and
    an :class:`EngineError` says what failed (its text can hold no erased value, since none
    is read). The copy is one transaction (one commit, not one a table, as
    ``COPY FROM DATABASE``'s data part is one statement). ``fresh`` is left without a WAL."""
    import duckdb

    to, source = _REWRITE_ALIAS, _STORE_ALIAS
    try:
        _remove_with_wal(fresh)  # left by a run that stopped part-way
        # rows are read in the order they are stored, and inserted in that order
        con = duckdb.connect(":memory:", config={**config, "preserve_insertion_order": True})
        try:
            con.execute(f"ATTACH {sql_text(str(store))} AS {source} (READ_ONLY)")
            con.execute(f"ATTACH {sql_text(str(fresh))} AS {to}")
            con.execute("BEGIN")
            con.execute(f"COPY FROM DATABASE {source} TO {to} (SCHEMA)")
            for name in names:
                for kind, listing, column in (("VIEW", "duckdb_views()", "view_name"),
                                              ("TABLE", "duckdb_tables()", "table_name")):
                    if con.execute(f"SELECT 1 FROM {listing} WHERE database_name = ? "
                                   f"AND schema_name = 'main' AND {column} = ?",
                                   [to, name]).fetchall():
                        con.execute(f"DROP {kind} {to}.main.{_sql_name(name)}")
            tables = con.execute("SELECT schema_name, table_name FROM duckdb_tables() "
                                 "WHERE database_name = ? ORDER BY table_oid", [to]).fetchall()
            for schema, table in tables:  # in the order they were made: references first
                qualified = f"{_sql_name(schema)}.{_sql_name(table)}"
                con.execute(f"INSERT INTO {to}.{qualified} SELECT * FROM {source}.{qualified}")
            con.execute("COMMIT")
            con.execute(f"CHECKPOINT {to}")
            con.execute(f"DETACH {to}")
        finally:
            con.close()
        if _wal(fresh).exists():  # DETACH after CHECKPOINT leaves none
            raise OSError(f"{_wal(fresh).name} was left beside the copy")
    except (duckdb.Error, OSError) as err:
        _remove_with_wal(fresh)
        raise EngineError(
            f"Could not copy {store} into a fresh file beside it ({fresh.name}: "
            f"{_first_line(err)}), so {what} could not be erased from it. {_NOTHING_ERASED} "
            "Make sure the disk has room for a second copy of the store "
            f"({_megabytes(store)}), then {_RUN_AGAIN}."
        ) from err


def _first_line(err: BaseException) -> str:
    return (str(err).strip().splitlines() or [type(err).__name__])[0]


def _megabytes(path: Path) -> str:
    try:
        return f"up to {max(path.stat().st_size / 1e6, 0.1):,.1f} MB"
    except OSError:
        return "up to the store's size"


def _keep_access(old: Path, new: Path) -> None:
    """Give ``new`` the permission bits and group of ``old``; where the group cannot be kept,
    only the owner may read ``new`` (never more people than before)."""
    st = old.stat()
    mode = stat.S_IMODE(st.st_mode)
    if new.stat().st_gid != st.st_gid:
        try:
            os.chown(new, -1, st.st_gid)
        except OSError:
            mode &= 0o700
    os.chmod(new, mode)


def _sync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (POSIX; elsewhere a no-op)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
