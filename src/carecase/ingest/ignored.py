"""The activity codes that an event source with ``unmapped: ignore`` left out of scope.

Per file (batch), ingest counts the rows of each ignored code and stages the counts in
``ingest_ignored_codes`` (source, path, batch_id, code, rows), replaced with the file's batch,
so an unchanged file still reports them. The codes come from an extract, so each is
recorded as it may be shown: surrounding whitespace trimmed, control characters replaced
with '?', cut to :data:`MAX_CODE_CHARS` characters (the last one '…' when cut), blank as
:data:`BLANK_CODE`, and one that looks like an identifier (:data:`IDENTIFIER_LIKE`) as
:data:`WITHHELD_CODE`: such a code never reaches the store, the summaries or the terminal.
Codes that are shown alike (two cut to the same text, two withheld) are counted together.

A file that several sources read, each mapping its agency's codes and ignoring the rest (one
source per agency, docs/ingest.md), has each source's rows ignored by the others: those rows are
not left out of the project, and :func:`mapped_by_siblings` says which they are."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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


#: ``{(source, path): {code: [the other sources reading that file that map the code]}}``
Siblings = dict[tuple[str, str], dict[str, list[str]]]


def _readers(sources: Iterable[Any], files: Iterable[tuple[str, str]]) -> list[tuple[str, list[Any]]]:
    """The event sources (configurations) with a code column that read one file the same way
    (the same path, sheet and code column), per such file, for files read by two or more."""
    by_name = {s.name: s for s in sources}
    groups: dict[tuple[str, str, str], list[Any]] = {}
    for source, path in sorted(set(files)):
        src = by_name.get(source)
        if src is not None and src.event.service.column:
            key = (path, repr(src.format.sheet), src.event.service.column)
            groups.setdefault(key, []).append(src)
    return [(path, srcs) for (path, _, _), srcs in sorted(groups.items()) if len(srcs) > 1]


def mapped_by_siblings(sources: Iterable[Any], files: Iterable[tuple[str, str]]) -> Siblings:
    """For each file (``files``: (source, path) pairs, as in ``ingest_files``) of an event source
    with ``unmapped: ignore`` (of the configured ``sources``), the codes that another event source
    reading the same file (the same path, sheet and code column) maps, with those sources: such
    rows are out of scope for the one source and taken by the other, not left out of the project.
    A map key that is not recorded as written (one cut or withheld as an identifier) is left out:
    its rows cannot be told apart among the recorded codes, so they stay counted as ignored."""
    out: Siblings = {}
    for path, srcs in _readers(sources, files):
        for src in srcs:
            if src.event.service.unmapped != "ignore":
                continue
            taken: dict[str, list[str]] = {}
            for other in srcs:
                if other is src:
                    continue
                keys = sorted(other.event.service.map)
                shown = shown_codes(pa.array(keys, pa.string())).to_pylist()
                for key, as_shown in zip(keys, shown, strict=True):
                    if key == as_shown:
                        taken.setdefault(key, []).append(other.name)
            if taken:
                out[(src.name, path)] = {code: sorted(names) for code, names in sorted(taken.items())}
    return out


def _mapped(t: Any, siblings: Mapping[tuple[str, str], Mapping[str, list[str]]]) -> Any:
    """The rows of ``t`` (the table's columns) whose code a sibling source maps."""
    hit = ibis.literal(False)
    for (source, path), codes in siblings.items():
        hit |= (t.source == source) & (t.path == path) & t.code.isin(sorted(codes))
    return hit


def summarise(engine: Any, sources: list[str] | None = None, top: int = TOP_CODES,
              siblings: Siblings | None = None) -> dict[str, dict[str, Any]]:
    """Per source (of ``sources``, or all) with ignored rows: its codes over every file,
    most rows first (then by code), the first ``top`` of them listed, the rest counted:
    ``{"codes": [{"code", "rows"}], "other_codes": int, "other_rows": int}``; the codes
    that ``siblings`` (:func:`mapped_by_siblings`) says another source on the file maps are
    left out. Empty without the table (a store no ingest of this version has written)."""
    if not engine.has_table(TABLE):
        return {}
    t = engine.table(TABLE)
    if sources is not None:
        t = t.filter(t.source.isin(sources)) if sources else t.limit(0)
    if siblings:
        t = t.filter(~_mapped(t, siblings))
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


def sibling_rows(engine: Any, siblings: Siblings) -> dict[str, list[dict[str, Any]]]:
    """Per source, the rows of each code it ignored that another source on the same file maps
    (``siblings``: :func:`mapped_by_siblings`): ``[{"code", "rows", "sources"}]``, by code,
    over all its files (``sources``: those that map the code on any of them)."""
    if not siblings or not engine.has_table(TABLE):
        return {}
    t = engine.table(TABLE)
    got = engine.to_arrow(t.filter(_mapped(t, siblings)).select("source", "path", "code", "rows")).to_pylist()
    per: dict[str, dict[str, dict[str, Any]]] = {}
    for r in got:
        entry = per.setdefault(r["source"], {}).setdefault(r["code"], {"code": r["code"], "rows": 0, "sources": set()})
        entry["rows"] += int(r["rows"])
        entry["sources"].update(siblings[(r["source"], r["path"])][r["code"]])
    return {src: [{**e, "sources": sorted(e["sources"])} for _, e in sorted(codes.items())]
            for src, codes in sorted(per.items())}


def shared_rows(engine: Any, sources: Iterable[Any], files: Iterable[tuple[str, str]]) -> int:
    """The ignored rows counted more than once because several sources with ``unmapped: ignore``
    read the same file (as :func:`mapped_by_siblings`: ``sources`` configured, ``files`` read)
    and each ignores them, no other source mapping them: a row of code 'XX' that every source
    reading the file ignores is one extract row, in each source's count."""
    if not engine.has_table(TABLE):
        return 0
    sources, files = list(sources), list(files)
    t = engine.table(TABLE)
    siblings = mapped_by_siblings(sources, files)
    if siblings:
        t = t.filter(~_mapped(t, siblings))
    extra = 0
    for path, srcs in _readers(sources, files):
        names = sorted(s.name for s in srcs if s.event.service.unmapped == "ignore")
        if len(names) < 2:
            continue
        g = t.filter((t.path == path) & t.source.isin(names))
        per = g.group_by("code").aggregate(total=g.rows.sum(), once=g.rows.max())
        extra += int(engine.to_arrow(per.aggregate(n=(per.total - per.once).sum())).column("n")[0].as_py() or 0)
    return extra


def describe(entry: dict[str, Any]) -> str:
    """``'stc' 1, 'XYZ' 1 (and 3 other codes, 7 rows)`` for one source's summary entry."""
    text = ", ".join(f"{c['code']!r} {c['rows']:,}" if c["code"] not in (WITHHELD_CODE, BLANK_CODE)
                     else f"{c['code']} {c['rows']:,}" for c in entry["codes"])
    if entry.get("other_codes"):
        text += (f" (and {entry['other_codes']:,} other code{'s' if entry['other_codes'] != 1 else ''}, "
                 f"{entry['other_rows']:,} row{'s' if entry['other_rows'] != 1 else ''})")
    return text
