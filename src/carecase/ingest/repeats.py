"""Rows that repeat rows of an earlier file of the same target table (earlier: by source
name, then file path), found from ``ingest_row_keys``, and the files whose quarantined
repeats are out of date."""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc

from carecase.ingest.validate import Repeats


def find_repeats(engine: Any, grp: str) -> ir.Table:
    """Each row of target ``grp`` in ``ingest_row_keys`` that repeats a row of an earlier
    file (earlier: by source name, then file path), with the first such row:
    (source, path, source_row, dup_source, dup_path, dup_row, dup_line).

    A row repeats another with the same record ID (r1, r2) in an earlier file of its source,
    or with the same mapped values (h1, h2) in an earlier file of any source; but when both
    rows have record IDs, rows of one source are told apart by them alone, and rows of two
    sources must have the same record ID as well."""
    k = engine.table("ingest_row_keys")
    r = k.filter(k.grp == grp).select("source", "path", "source_row", "h1", "h2", "r1", "r2")
    k2 = engine.table("ingest_row_keys").view()
    q = k2.filter(k2.grp == grp).select(q_source=k2.source, q_path=k2.path, q_row=k2.source_row, q_h1=k2.h1,
                                        q_h2=k2.h2, q_r1=k2.r1, q_r2=k2.r2, q_line=k2.file_line)
    by_record = r.join(q, [r.source == q.q_source, r.r1 == q.q_r1, r.r2 == q.q_r2, q.q_path < r.path])
    earlier = (q.q_source < r.source) | ((q.q_source == r.source) & (q.q_path < r.path))
    comparable = (r.r1.isnull() | q.q_r1.isnull()
                  | ((q.q_source != r.source) & (q.q_r1 == r.r1) & (q.q_r2 == r.r2)))
    by_content = r.join(q, [r.h1 == q.q_h1, r.h2 == q.q_h2, earlier, comparable])

    def pick(t: ir.Table) -> ir.Table:
        return t.select("source", "path", "source_row", dup_source=t.q_source, dup_path=t.q_path, dup_row=t.q_row,
                        dup_line=t.q_line)

    both = pick(by_record).union(pick(by_content), distinct=False)
    w = ibis.window(group_by=[both.source, both.path, both.source_row],
                    order_by=[both.dup_source, both.dup_path, both.dup_row])
    ranked = both.mutate(_n=ibis.row_number().over(w))
    return ranked.filter(ranked._n == 0).drop("_n")


def stale_repeats(engine: Any, grp: str) -> dict[tuple[str, str], pa.Table]:
    """The files of target ``grp`` whose quarantined repeats are not those the store
    implies now (the file is new, or an earlier file changed, came or went), each with the
    repeats it should have: (source, path) → (source_row, dup_source, dup_path, dup_row,
    dup_line). The earlier row's line is compared too: quarantined repeats name it."""
    k = engine.table("ingest_row_keys")
    k = k.filter(k.grp == grp)
    cols = ["source", "path", "source_row", "dup_source", "dup_path", "dup_row", "dup_line"]
    desired = find_repeats(engine, grp).select(cols)
    applied = k.filter(k.dup_row.notnull()).select(cols)
    diff = desired.difference(applied).union(applied.difference(desired))
    stale = diff.select("source", "path").distinct()
    if engine.to_arrow(stale.count().as_table()).column(0)[0].as_py() == 0:
        return {}
    files = engine.to_arrow(stale).to_pylist()
    wanted = engine.to_arrow(desired.semi_join(stale, ["source", "path"]).order_by(["source", "path", "source_row"]))
    out: dict[tuple[str, str], pa.Table] = {}
    for f in sorted((r["source"], r["path"]) for r in files):
        mask = pc.and_(pc.equal(wanted.column("source"), f[0]), pc.equal(wanted.column("path"), f[1]))
        out[f] = wanted.filter(mask).select(["source_row", "dup_source", "dup_path", "dup_row", "dup_line"])
    return out


def known_repeats(repeats: pa.Table, file_types: dict[str, str]) -> Repeats:
    """The rows of ``repeats`` that are among the batch's row keys (all of them, unless the
    file changed while ingest ran), with the earlier file's type (``dup_type``, from
    ``file_types``: source → csv, xlsx or parquet), which says how its line reads."""
    names = sorted(file_types)
    at = pc.index_in(repeats.column("dup_source"), value_set=pa.array(names, pa.string()))
    types = pc.take(pa.array([file_types[n] for n in names], pa.string()), at)
    with_type = repeats.append_column("dup_type", types)

    def find(keys: pa.Table) -> pa.Table:
        return with_type.filter(pc.is_in(with_type.column("source_row"), value_set=keys.column("source_row")))

    return find
