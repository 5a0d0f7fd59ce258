"""The ingest tables in the store, and replacing one file's batch in one transaction."""

from __future__ import annotations

import dataclasses
from typing import Any

import pyarrow as pa

from carecase.core.engine import Engine
from carecase.core.errors import IngestError
from carecase.ingest.ignored import SCHEMA as IGNORED_SCHEMA
from carecase.ingest.ignored import TABLE as IGNORED_TABLE
from carecase.ingest.rules import QUARANTINE_SCHEMA, ROW_KEYS_SCHEMA, row_name
from carecase.ingest.sex_codes import TABLE as SEX_TABLE
from carecase.ingest.validate import DateRead, StagedBatch

_S, _I, _D, _F = pa.string(), pa.int64(), pa.date32(), pa.float64()

SCHEMAS: dict[str, pa.Schema] = {
    "ingest_files": pa.schema([("source", _S), ("path", _S), ("sha256", _S), ("batch_id", _S), ("rows_read", _I),
                               ("rows_accepted", _I), ("rows_quarantined", _I), ("rows_out_of_scope", _I),
                               ("rows_blank", _I)]),
    "ingest_feed_state": pa.schema([("source", _S), ("fingerprint", _S)]),
    "ingest_key_check": pa.schema([("check", _S)]),
    "quarantine": QUARANTINE_SCHEMA,
    "staging_identity": pa.schema([("record_id", _S), ("source", _S), ("batch_id", _S), ("source_row", _I),
                                   ("nhs_pseudo", _S), ("local_pseudo", _S), ("given_name", _S), ("family_name", _S),
                                   ("dob", _D), ("sex", _S), ("postcode", _S), ("identity_h1", _I),
                                   ("identity_h2", _I)]),
    "events_staged": pa.schema([("record_id", _S), ("source", _S), ("batch_id", _S), ("source_row", _I),
                                ("agency_l1", _S), ("agency_l2", _S), ("service_code", _S), ("kind", _S),
                                ("start_date", _D), ("end_date", _D), ("quantity", _F), ("unit", _S)]),
    "population_staged": pa.schema([("record_id", _S), ("deprivation_decile", _I), ("locality", _S),
                                    ("registered_from", _D), ("registered_to", _D), ("date_of_death", _D)]),
    "programme_staged": pa.schema([("record_id", _S), ("start_date", _D), ("end_date", _D)]),
    "outcomes_staged": pa.schema([("record_id", _S), ("instrument", _S), ("assessment", _S),
                                  ("assessment_date", _D), ("domain", _S), ("score", _F)]),
    "ingest_lookup_rows": pa.schema([("lookup", _S), ("batch_id", _S), ("source_row", _I), ("file_line", _I),
                                     ("local_pseudo", _S), ("nhs_pseudo", _S)]),
    "ingest_row_keys": ROW_KEYS_SCHEMA,
    IGNORED_TABLE: IGNORED_SCHEMA,
    SEX_TABLE: IGNORED_SCHEMA,
    # the date format each date field of a file was read with (given, or inferred), for its
    # report when the file is unchanged and not read again; how many of the field's filled
    # values it did not read, and, where that is most of them, what is wrong and the fix
    # (``DateRead``: a row is quarantined for its first problem only, so a second wrong date
    # column of a file is known from here alone)
    "ingest_date_formats": pa.schema([("source", _S), ("path", _S), ("batch_id", _S), ("field", _S),
                                      ("format", _S), ("column", _S), ("filled", _I), ("unread", _I),
                                      ("misread", _S), ("fix", _S)]),
}
LOOKUP_SCHEMA = pa.schema([("local_pseudo", _S), ("nhs_pseudo", _S)])

# How each table's rows of one batch are found: (SQL condition, which parameters).
_BATCH_ROWS: dict[str, str] = {
    "quarantine": "source = $source AND batch_id = $batch",
    "staging_identity": "source = $source AND batch_id = $batch",
    "events_staged": "source = $source AND batch_id = $batch",
    "population_staged": "starts_with(record_id, $prefix)",
    "programme_staged": "starts_with(record_id, $prefix)",
    "outcomes_staged": "starts_with(record_id, $prefix)",
    "ingest_lookup_rows": "'lookup_' || lookup = $source AND batch_id = $batch",
    "ingest_row_keys": "source = $source AND batch_id = $batch",
    IGNORED_TABLE: "source = $source AND batch_id = $batch",
    SEX_TABLE: "source = $source AND batch_id = $batch",
    "ingest_date_formats": "source = $source AND batch_id = $batch",
}


def _outdated(engine: Engine, existing: set[str]) -> list[str]:
    """Ingest tables whose columns are not those of :data:`SCHEMAS` (a store written by an
    older carecase)."""
    out = []
    for name in sorted(existing & set(SCHEMAS)):
        schema = engine.con.table(name).schema()
        if list(schema.names) != SCHEMAS[name].names:
            out.append(name)
    return out


def ensure_tables(engine: Engine) -> None:
    """Create any missing ingest table, empty, with its schema. A store whose ingest tables
    have other columns (an older carecase) has them all emptied, so every file is staged
    again: they are derived from the extracts alone, and partly emptied tables could count
    rows twice."""
    existing = set(engine.con.list_tables())
    if _outdated(engine, existing):
        for name in sorted(existing & set(SCHEMAS)):
            engine.drop(name)
        existing = set(engine.con.list_tables())
    missing = [name for name in SCHEMAS if name not in existing]
    if engine.name != "duckdb":
        for name in missing:
            engine.create_empty(name, SCHEMAS[name])
        return
    if not missing:
        return
    raw = engine.con.con
    raw.execute("BEGIN TRANSACTION")
    try:
        for name in missing:
            raw.register("_carecase_empty", SCHEMAS[name].empty_table())
            raw.execute(f"CREATE TABLE {name} AS SELECT * FROM _carecase_empty")
            raw.unregister("_carecase_empty")
        raw.execute("COMMIT")
    except BaseException:
        raw.execute("ROLLBACK")
        raise


def _conform(table: pa.Table, name: str, dictionaries: bool = False) -> pa.Table:
    """``table`` with the columns and types of ``name``'s schema; with ``dictionaries``, a
    dictionary-encoded text column stays so (DuckDB reads it as text), never expanded to
    a copy of its text per row."""
    schema = SCHEMAS[name]
    table = table.select(schema.names)
    if dictionaries:
        schema = pa.schema([table.schema.field(f.name) if _text_dictionary(table.schema.field(f.name).type, f.type)
                            else f for f in schema])
    return table.cast(schema)


def _text_dictionary(typ: pa.DataType, want: pa.DataType) -> bool:
    return pa.types.is_dictionary(typ) and typ.value_type == want and pa.types.is_string(want)


def _inserts(staged: StagedBatch, file_row: dict[str, Any]) -> dict[str, pa.Table]:
    """Every table's rows for one staged file."""
    inserts = dict(staged.tables)
    inserts["quarantine"] = staged.quarantine
    inserts["ingest_files"] = pa.Table.from_pylist([file_row], schema=SCHEMAS["ingest_files"])
    reads = staged.date_reads
    inserts["ingest_date_formats"] = pa.Table.from_pylist(
        [{"source": file_row["source"], "path": file_row["path"], "batch_id": file_row["batch_id"], "field": k,
          "format": v, **(dataclasses.asdict(reads[k]) if k in reads else {})}
         for k, v in sorted(staged.date_formats.items())], schema=SCHEMAS["ingest_date_formats"])
    return inserts


def stored_date_reads(engine: Engine) -> tuple[dict[tuple[str, str, str], dict[str, str]],
                                                dict[tuple[str, str, str], dict[str, DateRead]]]:
    """Per (source, path, batch_id), as staged: the date format of each date field, and each
    date field whose format did not read most of the file's filled values (``misread`` set;
    see :class:`DateRead`). One read of ``ingest_date_formats`` for both."""
    t = engine.table("ingest_date_formats")
    formats: dict[tuple[str, str, str], dict[str, str]] = {}
    misread: dict[tuple[str, str, str], dict[str, DateRead]] = {}
    for r in engine.to_arrow(t.order_by(["source", "path", "batch_id", "field"])).to_pylist():
        batch = (r["source"], r["path"], r["batch_id"])
        formats.setdefault(batch, {})[r["field"]] = r["format"]
        if r["misread"] is not None:
            misread.setdefault(batch, {})[r["field"]] = DateRead(r["column"], r["filled"], r["unread"],
                                                                 r["misread"], r["fix"])
    return formats, misread


def replace_batch(
    engine: Engine,
    source: str,
    path: str,
    old_batch_id: str | None,
    staged: StagedBatch | None,
    file_row: dict[str, Any] | None,
) -> None:
    """Delete ``path``'s earlier batch (if any) and insert its new one (if any) as ONE
    transaction: a failure leaves the store as it was, and nothing is counted twice."""
    if engine.name != "duckdb":
        _replace_batch_generic(engine, source, path, old_batch_id, staged, file_row)
        return
    raw = engine.con.con
    raw.execute("BEGIN TRANSACTION")
    try:
        raw.execute("DELETE FROM ingest_files WHERE source = $source AND path = $path", {"source": source, "path": path})
        if old_batch_id is not None:
            params = {"source": source, "batch": old_batch_id, "prefix": f"{source}:{old_batch_id}:"}
            for table, where in _BATCH_ROWS.items():
                used = {k: v for k, v in params.items() if f"${k}" in where}
                raw.execute(f"DELETE FROM {table} WHERE {where}", used)
        if staged is not None and file_row is not None:
            inserts = _inserts(staged, file_row)
            for table, rows in sorted(inserts.items()):
                raw.register("_carecase_batch", _conform(rows, table, dictionaries=True))
                raw.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _carecase_batch")
                raw.unregister("_carecase_batch")
            _verify(raw, source, file_row, staged)
        raw.execute("COMMIT")
    except BaseException:
        raw.execute("ROLLBACK")
        raise


def _verify(raw: Any, source: str, file_row: dict[str, Any], staged: StagedBatch) -> None:
    batch = file_row["batch_id"]
    table = "ingest_lookup_rows" if "ingest_lookup_rows" in staged.tables else "staging_identity"
    where = _BATCH_ROWS[table]
    accepted = raw.execute(f"SELECT count(*) FROM {table} WHERE {where}", {"source": source, "batch": batch}).fetchone()[0]
    quarantined = raw.execute(f"SELECT count(*) FROM quarantine WHERE {_BATCH_ROWS['quarantine']}", {"source": source, "batch": batch}).fetchone()[0]
    if accepted != staged.rows_accepted or quarantined != staged.rows_quarantined:
        raise IngestError(
            f"{file_row['path']}: the store holds {accepted} accepted and {quarantined} quarantined rows for this "
            f"file but validation produced {staged.rows_accepted} and {staged.rows_quarantined}; nothing was "
            f"changed. Another batch of source '{source}' has the id {batch}; this is a carecase bug, please report it."
        )


def _replace_batch_generic(
    engine: Engine, source: str, path: str, old_batch_id: str | None,
    staged: StagedBatch | None, file_row: dict[str, Any] | None,
) -> None:
    """Engines without transactions (Spark): rewrite each table without the old batch plus
    the new one. Not atomic; a failure part-way is repaired by running ingest again.

    A table with no rows to remove or add is left as it is: each table read and written is
    a few Spark jobs (about half a second), and a file's batch touches few of the 13 tables
    (an event file has no population or lookup rows; a new file replaces no old batch)."""
    import pyarrow.compute as pc

    def keep(table: str, t: pa.Table) -> pa.Table:
        if table == "ingest_files":
            return t.filter(pc.invert(pc.and_(pc.equal(t["source"], source), pc.equal(t["path"], path))))
        if old_batch_id is None:
            return t
        if table in ("population_staged", "programme_staged", "outcomes_staged"):
            return t.filter(pc.invert(pc.starts_with(t["record_id"], f"{source}:{old_batch_id}:")))
        src = pc.binary_join_element_wise("lookup_", t["lookup"], "") if table == "ingest_lookup_rows" else t["source"]
        return t.filter(pc.invert(pc.and_(pc.equal(src, source), pc.equal(t["batch_id"], old_batch_id))))

    inserts: dict[str, pa.Table] = {}
    if staged is not None and file_row is not None:
        inserts = _inserts(staged, file_row)
    for table in ["ingest_files", *_BATCH_ROWS]:
        added = [_conform(inserts[table], table)] if table in inserts and inserts[table].num_rows else []
        # only ingest_files loses rows (the path's) when no earlier batch is replaced
        if not added and old_batch_id is None and table != "ingest_files":
            continue
        current = engine.to_arrow(engine.table(table)).cast(SCHEMAS[table])
        kept = keep(table, current)
        if added or kept.num_rows != current.num_rows:
            engine.write(table, pa.concat_tables([kept, *added]))


def write_feed_state(engine: Engine, states: dict[str, str]) -> None:
    rows = [{"source": s, "fingerprint": f} for s, f in sorted(states.items())]
    engine.write("ingest_feed_state", pa.Table.from_pylist(rows, schema=SCHEMAS["ingest_feed_state"]))


def write_key_check(engine: Engine, check: str) -> None:
    """Record the key check of the key the store is staged under (one row)."""
    engine.write("ingest_key_check", pa.Table.from_pylist([{"check": check}], schema=SCHEMAS["ingest_key_check"]))


def materialise_lookups(engine: Engine, names: list[str]) -> None:
    """``lookup_<name>`` (local_pseudo, nhs_pseudo): the distinct pairs of every file."""
    rows = engine.table("ingest_lookup_rows")
    for name in names:
        expr = rows.filter(rows.lookup == name).select("local_pseudo", "nhs_pseudo").distinct()
        engine.write(f"lookup_{name}", expr.order_by(["local_pseudo", "nhs_pseudo"]))


def lookup_conflicts(engine: Engine, names: list[str], file_types: dict[str, str] | None = None,
                     shown: int = 10) -> list[str]:
    """A warning for each lookup that maps a local ID to more than one NHS number: linkage
    cannot use such an ID (it is ambiguous), so its records go to probabilistic linkage. The
    rows are named by file, row and line (``file_types``: each lookup's file type, which says
    how its line reads), never by value: both are identifiers."""
    rows, files = engine.table("ingest_lookup_rows"), engine.table("ingest_files")
    out = []
    for name in names:
        mine = rows.filter(rows.lookup == name)
        per = mine.group_by("local_pseudo").aggregate(n=mine.nhs_pseudo.nunique())
        bad = per.filter(per.n > 1).select(bad_local="local_pseudo")
        hit = mine.inner_join(bad, mine.local_pseudo == bad.bad_local)
        f = files.filter(files.source == f"lookup_{name}").select(f_batch="batch_id", path="path")
        hit = hit.inner_join(f, hit.batch_id == f.f_batch)
        found = hit.select("local_pseudo", "path", "source_row", "file_line").order_by(
            ["path", "source_row"]).to_pyarrow().to_pylist()
        if not found:
            continue
        ids = {r["local_pseudo"] for r in found}
        ftype = (file_types or {}).get(name, "")
        where = ", ".join(f"{r['path']} {row_name(r['source_row'], r['file_line'], ftype)}" for r in found[:shown])
        more = f" and {len(found) - shown} more" if len(found) > shown else ""
        out.append(
            f"lookup {name}: {len(ids):,} local ID(s) map to more than one NHS number ({where}{more}); "
            "linkage cannot use them, so their records are matched on name and date of birth "
            "instead, or stay unlinked. Correct the lookup so each local ID has one NHS number."
        )
    return out
