"""``carecase ingest``: read every configured extract, validate, quarantine, pseudonymise and
stage it in the store. Re-running is safe: unchanged files are skipped, a changed file's
earlier batch is replaced in one transaction, a file no longer matched is removed."""

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

import numpy as np
import pyarrow as pa

from carecase.core.digest import file_sha256
from carecase.core.errors import IngestError
from carecase.core.project import Project
from carecase.ingest.feeds import Feed, feeds_from_config
from carecase.ingest.fields import BUILDERS
from carecase.ingest.pseudonymise import load_key
from carecase.ingest.read import read_extract
from carecase.ingest.rules import RuleTracker
from carecase.ingest.store import (
    SCHEMAS,
    ensure_tables,
    materialise_lookups,
    replace_batch,
    write_feed_state,
)
from carecase.ingest.validate import Batch, BatchContext, StagedBatch

STAGE = "ingest"
_GLOB_CHARS = set("*?[")


@dataclass(frozen=True)
class SourceFile:
    rel: str  # as recorded in ingest_files: relative to the project folder where possible
    path: Path
    sha256: str

    @property
    def batch_id(self) -> str:
        return self.sha256[:12]


def resolve_files(project: Project, feed: Feed) -> list[SourceFile]:
    """The files a feed's ``path`` (a file or a glob) names, sorted, with their hashes."""
    target = project.path(feed.path)
    if _GLOB_CHARS & set(feed.path):
        paths = [Path(p) for p in sorted(glob.glob(str(target), recursive=True)) if Path(p).is_file()]
    else:
        paths = [target] if target.is_file() else []
    if not paths:
        raise IngestError(f"{feed.key}.path: no file matches '{feed.path}' (relative to {project.root}). Check the path or add the extract.")
    out: list[SourceFile] = []
    root = project.root.resolve()
    for p in paths:
        resolved = p.resolve()
        rel = resolved.relative_to(root).as_posix() if resolved.is_relative_to(root) else resolved.as_posix()
        out.append(SourceFile(rel, p, file_sha256(p)))
    seen: dict[str, str] = {}
    for f in out:
        if f.sha256 in seen:
            raise IngestError(
                f"{feed.key}: files '{seen[f.sha256]}' and '{f.rel}' have identical content, so every row "
                "would be counted twice. Remove one copy or narrow the path."
            )
        seen[f.sha256] = f.rel
    return out


def feed_fingerprint(project: Project, feed: Feed, key: bytes) -> str:
    """Changes when the feed's mapping, the project period or the key changes, so staged rows
    made under an older configuration are rebuilt (the key itself is never stored)."""
    payload = json.dumps(
        {"spec": feed.spec.model_dump(mode="json"), "role": feed.role,
         "period": [str(project.config.project.period_start), str(project.config.project.period_end)]},
        sort_keys=True,
    )
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()


def validate_batch(feed: Feed, raw: pa.Table, ctx: BatchContext) -> StagedBatch:
    """Validate one file's rows (all strings) into store rows and quarantine rows."""
    missing = [(col, key) for col, key in feed.required_columns() if col not in raw.column_names]
    if missing:
        col, key = missing[0]
        raise IngestError(
            f"{ctx.file}: column '{col}' (named by {key}) is not in the file. "
            f"Columns found: {', '.join(raw.column_names)}. Correct {key} or the file's header."
        )
    batch = Batch(feed, raw, ctx, RuleTracker(raw.num_rows), np.zeros(raw.num_rows, dtype=bool))
    return BUILDERS[feed.role](batch)


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
    planned = [(feed, resolve_files(project, feed)) for feed in feeds]
    task = progress.add_task("ingest", total=sum(len(f) for _, f in planned)) if progress is not None else None
    file_reports: dict[str, list[dict[str, Any]]] = {}
    for feed, files in planned:
        fingerprint = feed_fingerprint(project, feed, key)
        # a feed without a recorded state but with files in the store (an interrupted run)
        # is rebuilt too: its rows may come from an older configuration
        recorded = states.get(feed.name)
        config_changed = recorded != fingerprint and (recorded is not None or any(s == feed.name for s, _ in known))
        reports = file_reports.setdefault(feed.name, [])
        for f in files:
            prior = known.pop((feed.name, f.rel), None)
            if prior is not None and prior["sha256"] == f.sha256 and not config_changed and not restage:
                reports.append(_file_report(prior, "unchanged", {}))
            else:
                date_formats = {d.column: d.format for d in reversed(feed.date_fields())}
                raw = read_extract(f.path, feed.format, date_formats)
                ctx = BatchContext(f.rel, f.batch_id, key, cfg.project.period_start, cfg.project.period_end, today)
                staged = validate_batch(feed, raw, ctx)
                row = {"source": feed.name, "path": f.rel, "sha256": f.sha256, "batch_id": f.batch_id,
                       "rows_read": staged.rows_read, "rows_accepted": staged.rows_accepted,
                       "rows_quarantined": staged.rows_quarantined, "rows_out_of_scope": staged.rows_out_of_scope}
                replace_batch(engine, feed.name, f.rel, prior["batch_id"] if prior else None, staged, row)
                status = "new" if prior is None else ("replaced" if prior["sha256"] != f.sha256 else "reprocessed")
                reports.append(_file_report(row, status, staged.date_formats))
            if task is not None:
                progress.advance(task)
        states[feed.name] = fingerprint
        write_feed_state(engine, {n: f for n, f in states.items() if n in {fd.name for fd in feeds}})
    removed = []
    for (source, path), prior in sorted(known.items()):  # files (or sources) no longer configured
        replace_batch(engine, source, path, prior["batch_id"], None, None)
        removed.append({"source": source, "path": path, "rows_read": prior["rows_read"]})
    write_feed_state(engine, {n: f for n, f in states.items() if n in {fd.name for fd in feeds}})
    materialise_lookups(engine, [lk.name for lk in cfg.ingest.lookups])
    summary = _summarise(project, feeds, file_reports, removed)
    project.write_json(STAGE, "summary.json", summary)
    if strict and summary["totals"]["rows_quarantined"] > 0:
        raise IngestError(
            f"--strict: {summary['totals']['rows_quarantined']} row(s) were quarantined "
            f"(see {project.stage_dir(STAGE) / 'quarantine.csv'}). Fix them at source, or run without --strict."
        )
    return summary


def _file_report(row: dict[str, Any], status: str, date_formats: dict[str, str]) -> dict[str, Any]:
    keys = ("path", "batch_id", "rows_read", "rows_accepted", "rows_quarantined", "rows_out_of_scope")
    return {**{k: row[k] for k in keys}, "status": status, "date_formats": date_formats}


def _summarise(project: Project, feeds: list[Feed], file_reports: dict[str, list[dict[str, Any]]],
               removed: list[dict[str, Any]]) -> dict[str, Any]:
    engine = project.engine
    q = engine.table("quarantine")
    quarantine = engine.to_arrow(q.order_by(["source", "batch_id", "source_row", "rule", "column"])).cast(SCHEMAS["quarantine"])
    files = engine.to_arrow(engine.table("ingest_files").order_by(["source", "path"])).cast(SCHEMAS["ingest_files"])
    project.write_arrow(STAGE, "quarantine", quarantine)
    project.write_arrow(STAGE, "ingest_files", files)
    by_rule: dict[tuple[str, str], Counter[str]] = {}
    for r in quarantine.select(["source", "batch_id", "rule"]).group_by(["source", "batch_id", "rule"]).aggregate([([], "count_all")]).to_pylist():
        by_rule.setdefault((r["source"], r["batch_id"]), Counter())[r["rule"]] += r["count_all"]
    counts = ("rows_read", "rows_accepted", "rows_quarantined", "rows_out_of_scope")
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
        if entry["rows_read"] != entry["rows_accepted"] + entry["rows_quarantined"] + entry["rows_out_of_scope"]:
            raise IngestError(f"{feed.key}: row accounting failed ({entry}); this is a carecase bug, please report it.")
        totals.update(entry)
        sources[feed.name] = {**entry, "role": feed.role, "config_key": feed.key, "files": reports,
                              "quarantined_by_rule": dict(sorted(src_rules.items()))}
    t = {c: int(totals[c]) for c in counts}
    headline = (
        f"{sum(len(v) for v in file_reports.values())} file(s) from {len(feeds)} source(s): "
        f"{t['rows_read']:,} rows read, {t['rows_accepted']:,} accepted, {t['rows_quarantined']:,} quarantined, "
        f"{t['rows_out_of_scope']:,} out of scope ("
        + ", ".join(f"{n} {s}" for s, n in sorted(status_totals.items())) + ")"
    )
    if removed:
        headline += f"; {len(removed)} file(s) no longer configured were removed"
    return {"headline": headline, "sources": sources, "totals": t, "files_by_status": dict(sorted(status_totals.items())),
            "removed": removed}
