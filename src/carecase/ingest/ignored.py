"""The activity codes that an event source with ``unmapped: ignore`` left out of scope.

Per file (batch), ingest counts the rows of each ignored code and stages the counts in
``ingest_ignored_codes`` (source, path, batch_id, code, rows), replaced with the file's batch,
so an unchanged file still reports them. The codes come from an extract, so each is
recorded as it may be shown: surrounding whitespace trimmed, control characters replaced
with '?', cut to :data:`MAX_CODE_CHARS` characters (the last one '…' when cut), blank as
:data:`BLANK_CODE`, and one that looks like an identifier (:data:`IDENTIFIER_LIKE`) as
:data:`WITHHELD_CODE`: such a code never reaches the store, the summaries or the terminal.
Codes that are shown alike (two cut to the same text, two withheld) are counted together."""

from __future__ import annotations

from typing import Any

import ibis
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

TABLE = "ingest_ignored_codes"
SCHEMA = pa.schema([("source", pa.string()), ("path", pa.string()), ("batch_id", pa.string()),
                    ("code", pa.string()), ("rows", pa.int64())])
MAX_CODE_CHARS = 30
#: How many codes the summaries list per source, most rows first; the rest are counted.
TOP_CODES = 20
WITHHELD_CODE = "(withheld: looks like an identifier)"
BLANK_CODE = "(blank)"
#: A code that may be an identifier: an NHS-number shape (3-3-4 digits, spaces or hyphens
#: allowed between), five or more digits in a row (record and person IDs; ten digits), a
#: date, or an e-mail address.
IDENTIFIER_LIKE = r"[0-9]{3}[\s-]?[0-9]{3}[\s-]?[0-9]{4}|[0-9]{5}|[0-9]{1,4}[/.-][0-9]{1,2}[/.-][0-9]{1,4}|@"


def shown_codes(codes: pa.Array) -> pa.Array:
    """Each (trimmed) code as it may be shown (see the module's notes)."""
    codes = pc.utf8_trim_whitespace(pc.fill_null(codes.cast(pa.string()), ""))
    withheld = pc.match_substring_regex(codes, pattern=IDENTIFIER_LIKE)
    clean = pc.replace_substring_regex(codes, pattern=r"[\x00-\x1f\x7f]", replacement="?")
    long = pc.greater(pc.utf8_length(clean), MAX_CODE_CHARS)
    cut = pc.binary_join_element_wise(pc.utf8_slice_codeunits(clean, 0, MAX_CODE_CHARS - 1), "…", "")
    shown = pc.if_else(long, cut, clean)
    shown = pc.if_else(pc.equal(codes, ""), BLANK_CODE, shown)
    return pc.if_else(withheld, WITHHELD_CODE, shown)


def count_codes(codes: pa.Array, ignored: np.ndarray, source: str, path: str, batch_id: str) -> pa.Table:
    """The rows of each shown code among the ``ignored`` rows of one batch, by code."""
    vc = pc.value_counts(pc.fill_null(codes.filter(pa.array(ignored, pa.bool_())), ""))
    if len(vc) == 0:
        return SCHEMA.empty_table()
    per = pa.table({"code": shown_codes(vc.field("values")), "rows": vc.field("counts").cast(pa.int64())})
    per = per.group_by("code").aggregate([("rows", "sum")]).rename_columns(["code", "rows"]).sort_by("code")
    n = per.num_rows
    return pa.table({"source": pa.repeat(pa.scalar(source, pa.string()), n),
                     "path": pa.repeat(pa.scalar(path, pa.string()), n),
                     "batch_id": pa.repeat(pa.scalar(batch_id, pa.string()), n),
                     "code": per.column("code"), "rows": per.column("rows")}, schema=SCHEMA)


def summarise(engine: Any, sources: list[str] | None = None, top: int = TOP_CODES) -> dict[str, dict[str, Any]]:
    """Per source (of ``sources``, or all) with ignored rows: its codes over every file,
    most rows first (then by code), the first ``top`` of them listed, the rest counted:
    ``{"codes": [{"code", "rows"}], "other_codes": int, "other_rows": int}``. Empty
    without the table (a store no ingest of this version has written)."""
    if not engine.has_table(TABLE):
        return {}
    t = engine.table(TABLE)
    if sources is not None:
        t = t.filter(t.source.isin(sources)) if sources else t.limit(0)
    g = t.group_by(["source", "code"]).aggregate(rows=t.rows.sum())
    w = ibis.window(group_by=g.source, order_by=[ibis.desc(g.rows), g.code])
    ranked = g.mutate(_n=ibis.row_number().over(w))
    listed = engine.to_arrow(ranked.filter(ranked._n < top).select("source", "code", "rows")).to_pylist()
    totals = engine.to_arrow(g.group_by("source").aggregate(codes=g.count(), rows=g.rows.sum())).to_pylist()
    out: dict[str, dict[str, Any]] = {}
    for r in sorted(listed, key=lambda r: (r["source"], -int(r["rows"]), r["code"])):
        out.setdefault(r["source"], {"codes": []})["codes"].append({"code": r["code"], "rows": int(r["rows"])})
    for r in sorted(totals, key=lambda r: r["source"]):
        entry = out.setdefault(r["source"], {"codes": []})
        entry["other_codes"] = int(r["codes"]) - len(entry["codes"])
        entry["other_rows"] = int(r["rows"]) - sum(c["rows"] for c in entry["codes"])
    return dict(sorted(out.items()))


def describe(entry: dict[str, Any]) -> str:
    """``'stc' 1, 'XYZ' 1 (and 3 other codes, 7 rows)`` for one source's summary entry."""
    text = ", ".join(f"{c['code']!r} {c['rows']:,}" if c["code"] not in (WITHHELD_CODE, BLANK_CODE)
                     else f"{c['code']} {c['rows']:,}" for c in entry["codes"])
    if entry.get("other_codes"):
        text += (f" (and {entry['other_codes']:,} other code{'s' if entry['other_codes'] != 1 else ''}, "
                 f"{entry['other_rows']:,} row{'s' if entry['other_rows'] != 1 else ''})")
    return text
