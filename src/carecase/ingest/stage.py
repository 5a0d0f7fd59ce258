"""``carecase ingest``: read every configured extract, validate, quarantine, pseudonymise and
stage it in the store. Re-running is safe: unchanged files are skipped, a changed file's
earlier batch is replaced in one transaction, a file no longer matched is removed (a file
renamed or moved replaces its old path), and a row that repeats a row of an earlier file of
the same target table (by source name, file path and row) is quarantined, never counted twice."""

from __future__ import annotations

import datetime as dt
import glob
import hashlib
import hmac
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from carecase.core.digest import file_sha256
from carecase.core.errors import IngestError
from carecase.core.project import Project
from carecase.ingest.feeds import Feed, feeds_from_config
from carecase.ingest.fields import BUILDERS
from carecase.ingest.ignored import summarise as ignored_codes
from carecase.ingest.pseudonymise import load_key
from carecase.ingest.read import header_looks_like_data, read_extract
from carecase.ingest.rules import RuleTracker
from carecase.ingest.store import (
    SCHEMAS,
    ensure_tables,
    materialise_lookups,
    replace_batch,
    write_feed_state,
)
from carecase.ingest.validate import Batch, BatchContext, Repeats, StagedBatch

STAGE = "ingest"
_GLOB_CHARS = set("*?[")
#: Bumped when validation rules change what a file stages, so every file is staged again
#: (3: the codes of rows ignored as unmapped, ``ingest_ignored_codes``, which a store written
#: by an older carecase lacks for its unchanged files).
RULES_VERSION = 3
#: Roles in the order they are staged; within a role, feeds by name and files by path.
ROLE_ORDER = {"population": 0, "events": 1, "programme": 2, "outcomes": 3, "lookup": 4}


@dataclass(frozen=True)
class SourceFile:
    rel: str  # as recorded in ingest_files: relative to the project folder where possible
    path: Path
    sha256: str
    batch_id: str  # the first 12 hex digits of the SHA-256 (see resolve_files)


def resolve_files(project: Project, feed: Feed) -> list[SourceFile]:
    """The files a feed's ``path`` (a file or a glob) names, sorted, with their hashes.

    A file's batch id is the first 12 hex digits of its SHA-256, so a renamed file keeps its
    record ids. A byte-identical copy later in path order gets one made from its hash and
    path instead (two batches of a source never share an id); its rows are quarantined as
    repeats of the first copy's."""
    target = project.path(feed.path)
    if _GLOB_CHARS & set(feed.path):
        paths = [Path(p) for p in sorted(glob.glob(str(target), recursive=True)) if Path(p).is_file()]
    else:
        paths = [target] if target.is_file() else []
    if not paths:
        raise IngestError(f"{feed.key}.path: no file matches '{feed.path}' (relative to {project.root}). Check the path or add the extract.")
    out: list[SourceFile] = []
    root = project.root.resolve()
    seen: set[str] = set()
    for p in sorted(paths, key=lambda q: _rel(q, root)):
        rel = _rel(p, root)
        sha = file_sha256(p)
        batch = sha[:12] if sha not in seen else hashlib.sha256(f"{sha}\0{rel}".encode()).hexdigest()[:12]
        seen.add(sha)
        out.append(SourceFile(rel, p, sha, batch))
    return out


def _rel(p: Path, root: Path) -> str:
    resolved = p.resolve()
    return resolved.relative_to(root).as_posix() if resolved.is_relative_to(root) else resolved.as_posix()


def feed_fingerprint(project: Project, feed: Feed, key: bytes) -> str:
    """Changes when the feed's mapping, the project period, the key or the validation rules
    change, so staged rows made under an older configuration are rebuilt (the key itself is
    never stored)."""
    payload = json.dumps(
        {"spec": feed.spec.model_dump(mode="json"), "role": feed.role, "rules": RULES_VERSION,
         "period": [str(project.config.project.period_start), str(project.config.project.period_end)]},
        sort_keys=True,
    )
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()


def _missing_column(feed: Feed, ctx: BatchContext, raw: pa.Table, col: str, key: str) -> str:
    """The message for a mapped column missing from the file. Header names that look like
    data (a headerless file) are never echoed: they may be identifiers."""
    names = raw.column_names
    if header_looks_like_data(names):
        expected = ", ".join(sorted({c for c, _ in feed.required_columns()}))
        return (f"{ctx.file}: column '{col}' (named by {key}) is not in the file, and the first line looks like "
                "data, not a header (its values are withheld here): is the header row missing? Add the header "
                f"(the mapping reads columns {expected}), or set {feed.key}.format.skip_rows if it comes further down.")
    return (f"{ctx.file}: column '{col}' (named by {key}) is not in the file. "
            f"Columns found: {', '.join(names)}. Correct {key} or the file's header.")


def validate_batch(feed: Feed, raw: pa.Table, ctx: BatchContext, repeats: Repeats | None = None) -> StagedBatch:
    """Validate one file's rows (all strings) into store rows and quarantine rows;
    ``repeats`` finds the rows that repeat rows of earlier files (None: not checked)."""
    missing = [(col, key) for col, key in feed.required_columns() if col not in raw.column_names]
    if missing:
        col, key = missing[0]
        raise IngestError(_missing_column(feed, ctx, raw, col, key))
    batch = Batch(feed, raw, ctx, RuleTracker(raw.num_rows), np.zeros(raw.num_rows, dtype=bool), repeats=repeats)
    return BUILDERS[feed.role](batch)


def find_repeats(engine: Any, grp: str) -> ir.Table:
    """Each row of target ``grp`` in ``ingest_row_keys`` that repeats a row of an earlier
    file (earlier: by source name, then file path), with the first such row:
    (source, path, source_row, dup_source, dup_path, dup_row).

    A row repeats another with the same record ID (r1, r2) in an earlier file of its source,
    or with the same mapped values (h1, h2) in an earlier file of any source; but when both
    rows have record IDs, rows of one source are told apart by them alone, and rows of two
    sources must have the same record ID as well."""
    k = engine.table("ingest_row_keys")
    r = k.filter(k.grp == grp).select("source", "path", "source_row", "h1", "h2", "r1", "r2")
    k2 = engine.table("ingest_row_keys").view()
    q = k2.filter(k2.grp == grp).select(q_source=k2.source, q_path=k2.path, q_row=k2.source_row, q_h1=k2.h1,
                                        q_h2=k2.h2, q_r1=k2.r1, q_r2=k2.r2)
    by_record = r.join(q, [r.source == q.q_source, r.r1 == q.q_r1, r.r2 == q.q_r2, q.q_path < r.path])
    earlier = (q.q_source < r.source) | ((q.q_source == r.source) & (q.q_path < r.path))
    comparable = (r.r1.isnull() | q.q_r1.isnull()
                  | ((q.q_source != r.source) & (q.q_r1 == r.r1) & (q.q_r2 == r.r2)))
    by_content = r.join(q, [r.h1 == q.q_h1, r.h2 == q.q_h2, earlier, comparable])

    def pick(t: ir.Table) -> ir.Table:
        return t.select("source", "path", "source_row", dup_source=t.q_source, dup_path=t.q_path, dup_row=t.q_row)

    both = pick(by_record).union(pick(by_content), distinct=False)
    w = ibis.window(group_by=[both.source, both.path, both.source_row],
                    order_by=[both.dup_source, both.dup_path, both.dup_row])
    ranked = both.mutate(_n=ibis.row_number().over(w))
    return ranked.filter(ranked._n == 0).drop("_n")


def _stale_repeats(engine: Any, grp: str) -> dict[tuple[str, str], pa.Table]:
    """The files of target ``grp`` whose quarantined repeats are not those the store
    implies now (the file is new, or an earlier file changed, came or went), each with the
    repeats it should have: (source, path) → (source_row, dup_source, dup_path, dup_row)."""
    k = engine.table("ingest_row_keys")
    k = k.filter(k.grp == grp)
    cols = ["source", "path", "source_row", "dup_source", "dup_path", "dup_row"]
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
        out[f] = wanted.filter(mask).select(["source_row", "dup_source", "dup_path", "dup_row"])
    return out


def _known_files(project: Project) -> dict[tuple[str, str], dict[str, Any]]:
    rows = project.engine.to_arrow(project.engine.table("ingest_files")).to_pylist()
    return {(r["source"], r["path"]): r for r in rows}


def _identities_dropped(engine: Any) -> bool:
    """True when an earlier linkage dropped ``staging_identity`` after ingest had created it.

    Ingest creates the table (empty if need be) together with ``ingest_files``; only linkage
    drops it (privacy.keep_linkage_staging: false). Its absence, not its emptiness, is the
    signal: a run whose accepted rows stage no identity (all out of scope) must stay a no-op.
    """
    return engine.has_table("ingest_files") and not engine.has_table("staging_identity")


def _feed_states(project: Project) -> dict[str, str]:
    rows = project.engine.to_arrow(project.engine.table("ingest_feed_state")).to_pylist()
    return {r["source"]: r["fingerprint"] for r in rows}


def _renames(feeds: list[Feed], planned: dict[str, list[SourceFile]],
             known: dict[tuple[str, str], dict[str, Any]]) -> dict[tuple[str, str], str]:
    """(source, new path) → old path, for each new file whose content is that of a file of
    the same source whose path is no longer matched (a renamed or moved extract)."""
    out: dict[tuple[str, str], str] = {}
    for feed in feeds:
        present = {f.rel for f in planned[feed.name]}
        gone = sorted((path, r["sha256"]) for (s, path), r in known.items() if s == feed.name and path not in present)
        used: set[str] = set()
        for f in planned[feed.name]:
            if (feed.name, f.rel) in known:
                continue
            old = next((p for p, sha in gone if sha == f.sha256 and p not in used), None)
            if old is not None:
                out[(feed.name, f.rel)] = old
                used.add(old)
    return out


def _data_rows(row: dict[str, Any]) -> int:
    return int(row["rows_read"]) - int(row.get("rows_blank") or 0)


def _known_repeats(repeats: pa.Table) -> Repeats:
    """The rows of ``repeats`` that are among the batch's row keys (all of them, unless the
    file changed while ingest ran)."""
    def find(keys: pa.Table) -> pa.Table:
        return repeats.filter(pc.is_in(repeats.column("source_row"), value_set=keys.column("source_row")))

    return find


def _stage_file(project: Project, feed: Feed, f: SourceFile, old_batch: str | None, key: bytes,
                today: dt.date, repeats: pa.Table | None = None) -> tuple[dict[str, Any], StagedBatch]:
    """Read, validate and stage one file, replacing its earlier batch in one transaction;
    ``repeats``: its rows that repeat rows of earlier files (see :func:`_stale_repeats`)."""
    cfg = project.config
    date_formats = {d.column: d.format for d in reversed(feed.date_fields())}
    extract = read_extract(f.path, feed.format, date_formats, f"{feed.key}.format")
    ctx = BatchContext(f.rel, f.batch_id, key, cfg.project.period_start, cfg.project.period_end, today)
    staged = validate_batch(feed, extract.table, ctx, None if repeats is None else _known_repeats(repeats))
    row = {"source": feed.name, "path": f.rel, "sha256": f.sha256, "batch_id": f.batch_id,
           "rows_read": staged.rows_read + extract.blank_rows, "rows_accepted": staged.rows_accepted,
           "rows_quarantined": staged.rows_quarantined, "rows_out_of_scope": staged.rows_out_of_scope,
           "rows_blank": extract.blank_rows}
    replace_batch(project.engine, feed.name, f.rel, old_batch, staged, row)
    return row, staged


def run(project: Project, progress: Any = None, strict: bool = False) -> dict[str, Any]:
    cfg = project.config
    feeds = feeds_from_config(cfg)
    key = load_key(project) if feeds else b""
    engine = project.engine
    if engine.name == "duckdb":
        engine.con.con.execute("SET enable_progress_bar = false")  # Rich shows progress
    # Linkage drops the identities it used (privacy.keep_linkage_staging: false) and links
    # globally, so a later run must re-stage every file, never a subset.
    restage = _identities_dropped(engine)
    ensure_tables(engine)
    known = _known_files(project)
    states = _feed_states(project)
    today = dt.datetime.now(dt.UTC).date()
    planned = {feed.name: resolve_files(project, feed) for feed in feeds}
    order = sorted(feeds, key=lambda fd: (ROLE_ORDER[fd.role], fd.name))
    task = progress.add_task("ingest", total=sum(len(f) for f in planned.values())) if progress is not None else None
    reports: dict[tuple[str, str], dict[str, Any]] = {}
    warnings: list[str] = []
    emptied: set[tuple[str, str]] = set()  # files that had rows and now have none
    # 1. Files no longer matched (or configured) go first, the old paths of renamed files
    # among them, so no later file is compared with rows that are leaving.
    renamed = _renames(feeds, planned, known)
    old_paths = {(s, old) for (s, _), old in renamed.items()}
    current = {(fd.name, f.rel) for fd in feeds for f in planned[fd.name]}
    removed = []
    for (source, path), was in sorted(known.items()):
        if (source, path) in current:
            continue
        replace_batch(engine, source, path, was["batch_id"], None, None)
        if (source, path) not in old_paths:
            removed.append({"source": source, "path": path, "rows_read": was["rows_read"]})
    known = {k: v for k, v in known.items() if k in current}
    # 2. Every new, changed or reconfigured file, checked against its own rows.
    for feed in order:
        fingerprint = feed_fingerprint(project, feed, key)
        # a feed without a recorded state but with files in the store (an interrupted run)
        # is rebuilt too: its rows may come from an older configuration
        recorded = states.get(feed.name)
        config_changed = recorded != fingerprint and (recorded is not None or any(s == feed.name for s, _ in known))
        for f in planned[feed.name]:
            prior = known.get((feed.name, f.rel))
            if (prior is not None and prior["sha256"] == f.sha256 and prior["batch_id"] == f.batch_id
                    and not config_changed and not restage):
                reports[(feed.name, f.rel)] = _file_report(prior, "unchanged", {})
            else:
                row, staged = _stage_file(project, feed, f, prior["batch_id"] if prior else None, key, today)
                if prior is None:
                    status = "renamed" if (feed.name, f.rel) in renamed else "new"
                else:
                    status = "replaced" if prior["sha256"] != f.sha256 else "reprocessed"
                rep = _file_report(row, status, staged.date_formats)
                if status == "renamed":
                    rep["renamed_from"] = renamed[(feed.name, f.rel)]
                reports[(feed.name, f.rel)] = rep
                if prior is not None and _data_rows(row) == 0 and _data_rows(prior) > 0:
                    emptied.add((feed.name, f.rel))
                    warnings.append(
                        f"{f.rel} ({feed.name}) has no data rows: its {_data_rows(prior):,} earlier row(s) were "
                        "removed. If the extract is incomplete, put the full one back and run ingest again.")
            if task is not None:
                progress.advance(task)
        states[feed.name] = fingerprint
        write_feed_state(engine, {n: f for n, f in states.items() if n in {fd.name for fd in feeds}})
    # 3. Rows that repeat rows of earlier files (by source name, file path and row) of the
    # same target table: every file whose quarantined repeats differ from those the store
    # implies (one just staged that has some, or a later one when an earlier file came, went
    # or changed) is staged again with them. Its rows and their keys do not change, so once
    # is enough, and an interrupted run is put right by the next.
    by_name = {fd.name: fd for fd in feeds}
    files = {(fd.name, f.rel): f for fd in feeds for f in planned[fd.name]}
    for grp in sorted({fd.role for fd in feeds}, key=ROLE_ORDER.__getitem__):
        for (source, path), repeats in _stale_repeats(engine, grp).items():
            feed, f = by_name[source], files[(source, path)]
            row, staged = _stage_file(project, feed, f, f.batch_id, key, today, repeats)
            before = reports[(source, path)]
            status = "reprocessed" if before["status"] == "unchanged" else before["status"]
            reports[(source, path)] = {**_file_report(row, status, staged.date_formats),
                                       **({"renamed_from": before["renamed_from"]} if "renamed_from" in before else {})}
    write_feed_state(engine, {n: f for n, f in states.items() if n in {fd.name for fd in feeds}})
    warnings += [f"{rel} ({source}) has no data rows (a header only)." for (source, rel), rep in sorted(reports.items())
                 if _data_rows(rep) == 0 and (source, rel) not in emptied]
    materialise_lookups(engine, [lk.name for lk in cfg.ingest.lookups])
    file_reports = {fd.name: [reports[(fd.name, f.rel)] for f in planned[fd.name]] for fd in feeds}
    summary = _summarise(project, feeds, file_reports, removed, warnings)
    project.write_json(STAGE, "summary.json", summary)
    if strict and summary["totals"]["rows_quarantined"] > 0:
        raise IngestError(
            f"--strict: {summary['totals']['rows_quarantined']} row(s) were quarantined "
            f"(see {project.stage_dir(STAGE) / 'quarantine.csv'}). Fix them at source, or run without --strict."
        )
    return summary


COUNTS = ("rows_read", "rows_accepted", "rows_quarantined", "rows_out_of_scope", "rows_blank")


def _file_report(row: dict[str, Any], status: str, date_formats: dict[str, str]) -> dict[str, Any]:
    return {"path": row["path"], "batch_id": row["batch_id"], **{k: int(row[k] or 0) for k in COUNTS},
            "status": status, "date_formats": date_formats}


def _repeat_warnings(project: Project, file_reports: dict[str, list[dict[str, Any]]]) -> list[str]:
    """One line per file with rows quarantined as repeats of another file's rows."""
    k = project.engine.table("ingest_row_keys")
    k = k.filter(k.dup_row.notnull())
    got = project.engine.to_arrow(
        k.group_by(["source", "path", "dup_source", "dup_path"]).aggregate(n=k.source_row.count())
        .order_by(["source", "path", "dup_source", "dup_path"])).to_pylist()
    per_file: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in got:
        per_file.setdefault((r["source"], r["path"]), []).append(r)
    data_rows = {(src, rep["path"]): _data_rows(rep) for src, reps in file_reports.items() for rep in reps}
    out = []
    for (source, path), rows in sorted(per_file.items()):
        n = sum(int(r["n"]) for r in rows)
        others = ", ".join(f"{r['dup_path']}" + (f" ({r['dup_source']})" if r["dup_source"] != source else "")
                           for r in rows[:3]) + (" and others" if len(rows) > 3 else "")
        every = n == data_rows.get((source, path), -1)
        what = f"every one of its {n:,} rows repeats" if every else f"{n:,} of its rows repeat"
        out.append(f"{path} ({source}): {what} rows already read from {others}; they were quarantined as "
                   "duplicate_other_file and counted once. Remove the copy, or narrow the path so each extract is read once.")
    return out


def _ignores_unmapped(feed: Feed) -> bool:
    """An event source whose rows with codes not in its service map are out of scope."""
    svc = feed.spec.event.service if feed.role == "events" else None
    return svc is not None and bool(svc.column) and svc.unmapped == "ignore"


def _summarise(project: Project, feeds: list[Feed], file_reports: dict[str, list[dict[str, Any]]],
               removed: list[dict[str, Any]], warnings: list[str]) -> dict[str, Any]:
    engine = project.engine
    q = engine.table("quarantine")
    quarantine = engine.to_arrow(q.order_by(["source", "batch_id", "source_row", "rule", "column"])).cast(SCHEMAS["quarantine"])
    files = engine.to_arrow(engine.table("ingest_files").order_by(["source", "path"])).cast(SCHEMAS["ingest_files"])
    project.write_arrow(STAGE, "quarantine", quarantine)
    project.write_arrow(STAGE, "ingest_files", files)
    by_rule: dict[tuple[str, str], Counter[str]] = {}
    for r in quarantine.select(["source", "batch_id", "rule"]).group_by(["source", "batch_id", "rule"]).aggregate([([], "count_all")]).to_pylist():
        by_rule.setdefault((r["source"], r["batch_id"]), Counter())[r["rule"]] += r["count_all"]
    counts = COUNTS
    ignored = ignored_codes(engine, [fd.name for fd in feeds if _ignores_unmapped(fd)])
    sources: dict[str, Any] = {}
    totals: Counter[str] = Counter()
    status_totals: Counter[str] = Counter()
    for feed in feeds:
        reports = file_reports.get(feed.name, [])
        src_rules: Counter[str] = Counter()
        for rep in reports:
            rep["quarantined_by_rule"] = dict(sorted(by_rule.get((feed.name, rep["batch_id"]), Counter()).items()))
            src_rules.update(rep["quarantined_by_rule"])
            status_totals[rep["status"]] += 1
        entry = {c: sum(r[c] for r in reports) for c in counts}
        if entry["rows_read"] != (entry["rows_accepted"] + entry["rows_quarantined"] + entry["rows_out_of_scope"]
                                  + entry["rows_blank"]):
            raise IngestError(f"{feed.key}: row accounting failed ({entry}); this is a carecase bug, please report it.")
        totals.update(entry)
        sources[feed.name] = {**entry, "role": feed.role, "config_key": feed.key, "files": reports,
                              "quarantined_by_rule": dict(sorted(src_rules.items()))}
        if _ignores_unmapped(feed):
            sources[feed.name]["ignored_codes"] = ignored.get(
                feed.name, {"codes": [], "other_codes": 0, "other_rows": 0})
    t = {c: int(totals[c]) for c in counts}
    headline = (
        f"{sum(len(v) for v in file_reports.values())} file(s) from {len(feeds)} source(s): "
        f"{t['rows_read']:,} rows read, {t['rows_accepted']:,} accepted, {t['rows_quarantined']:,} quarantined, "
        f"{t['rows_out_of_scope']:,} out of scope"
        + (f", {t['rows_blank']:,} blank" if t["rows_blank"] else "")
        + " (" + ", ".join(f"{n} {s}" for s, n in sorted(status_totals.items())) + ")"
    )
    if removed:
        headline += f"; {len(removed)} file(s) no longer matched or configured were removed"
    warnings = [*warnings, *_repeat_warnings(project, file_reports)]
    if warnings:
        headline += f"; {len(warnings)} warning(s)"
    return {"headline": headline, "sources": sources, "totals": t, "files_by_status": dict(sorted(status_totals.items())),
            "removed": removed, "warnings": warnings}
