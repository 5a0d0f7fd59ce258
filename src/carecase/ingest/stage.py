"""``carecase ingest``: read every configured extract, validate, quarantine, pseudonymise and
stage it in the store. Re-running is safe: unchanged files are skipped, a changed file's
earlier batch is replaced in one transaction, a file no longer matched is removed (a file
renamed or moved replaces its old path), and a row that repeats a row of an earlier file of
the same target table (by source name, file path and row) is quarantined, never counted twice.

Finding the files is in :mod:`carecase.ingest.source_files`, finding repeats in
:mod:`carecase.ingest.repeats`, and the summary's accounting in :mod:`carecase.ingest.summary`."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import unicodedata
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from carecase.core.errors import IngestError, MissingExtract
from carecase.core.project import Project
from carecase.core.services import BY_CODE
from carecase.ingest.columns import loose_key, rename_alike
from carecase.ingest.coverage import early_stops
from carecase.ingest.feeds import Feed, feeds_from_config
from carecase.ingest.fields import BUILDERS
from carecase.ingest.header import header_looks_like_data
from carecase.ingest.key_guard import check_key
from carecase.ingest.pseudonymise import key_check, key_file_warning, load_key
from carecase.ingest.read import read_extract
from carecase.ingest.repeats import find_repeats as find_repeats
from carecase.ingest.repeats import known_repeats, stale_repeats
from carecase.ingest.rules import RuleTracker
from carecase.ingest.sex_codes import warnings as sex_code_warnings
from carecase.ingest.source_files import SourceFile, renamed_files, resolve_files
from carecase.ingest.store import (
    SCHEMAS,
    ensure_tables,
    lookup_conflicts,
    materialise_lookups,
    replace_batch,
    stored_date_reads,
    write_feed_state,
    write_key_check,
)
from carecase.ingest.summary import COUNTS as COUNTS
from carecase.ingest.summary import data_rows, file_report, quarantine_warnings, summarise
from carecase.ingest.totals import flag_total_rows
from carecase.ingest.validate import Batch, BatchContext, DateRead, Repeats, StagedBatch

if TYPE_CHECKING:
    from carecase.core.engine import Engine

STAGE = "ingest"
#: Bumped when validation rules change what a file stages, so every file is staged again
#: (3: the codes of rows ignored as unmapped, ``ingest_ignored_codes``, which a store written
#: by an older carecase lacks for its unchanged files; 4: the sex codes no sex_map covers,
#: ``ingest_unmapped_sex``, likewise; 6: the duplicate_other_file hint, stored with each
#: quarantined row, tells a correction from a copy; 7: a blank package quantity is one a week
#: for a service counted in weeks; 8: staged identities carry their keyed identity hashes;
#: 9: the hints for a date with a time of day and an NHS number in Excel's scientific notation,
#: and the date formats each file was read with, ``ingest_date_formats``, reported for an
#: unchanged file, which a store written by an older carecase lacks; 10: the keyed row and
#: identity hashes under 112-bit SipHash keys, ``validate._hash_key``, where they had 64; and
#: ``ingest_unmapped_sex`` withholding a code that is not a sex word, ``sex_codes``; 11: an NHS
#: number of ten identical digits, a placeholder that passes Modulus 11, is invalid; 12: the
#: unparseable_date hints for an Excel serial number and a two-digit year, and the format a
#: mostly misread column looks like named only on the rows it reads; 13: a totals row is
#: quarantined as total_row, where one with its dates filled in was staged as a person; 14:
#: the unparseable_number hints for thousands separators, a decimal comma, a currency sign).
RULES_VERSION = 14
#: Roles in the order they are staged; within a role, feeds by name and files by path.
ROLE_ORDER = {"population": 0, "events": 1, "programme": 2, "outcomes": 3, "lookup": 4}


def feed_fingerprint(project: Project, feed: Feed, key: bytes) -> str:
    """Changes when the feed's mapping, the project period, the key or the validation rules
    change, so staged rows made under an older configuration are rebuilt (the key itself is
    never stored)."""
    payload = json.dumps(
        {"spec": feed.spec.model_dump(mode="json"), "role": feed.role, "rules": RULES_VERSION,
         "period": [str(project.config.project.period_start), str(project.config.project.period_end)],
         **({"scale": list(feed.scale)} if feed.scale is not None else {}),
         **({"assessments": list(feed.assessments)} if feed.assessments is not None else {}),
         **({"services": declared} if (declared := _declared_services(feed)) else {})},
        sort_keys=True,
    )
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()


def _declared_services(feed: Feed) -> list[dict[str, str]]:
    """The project-declared services (``services:``) an event feed maps to: their kind and
    unit shape its staged rows, so a change to them re-stages the feed."""
    if feed.role != "events":
        return []
    svc = feed.spec.event.service
    codes = sorted({svc.code} if svc.code else set(svc.map.values()))
    return [dataclasses.asdict(feed.services[c]) for c in codes if c in feed.services and c not in BY_CODE]


def _yaml_text(text: str) -> str:
    """``text`` as a double-quoted YAML string, its invisible and control characters escaped
    (``"Start\\u200bDate"``) so that it can be copied into carecase.yaml."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif unicodedata.category(ch).startswith("C"):
            out.append(f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _missing_column(feed: Feed, ctx: BatchContext, raw: pa.Table, col: str, key: str) -> str:
    """The message for a mapped column missing from the file, with the header names quoted
    (``repr``, so stray or invisible characters show) and the one that differs from it only
    in spacing (a space left out, a zero-width space), case or invisible characters named with
    the setting that reads it: names that differ only in case and runs of whitespace are read
    already (:mod:`carecase.ingest.columns`). The header is echoed only when it holds at least
    one of the columns the mapping reads (so it is a header): the first line of a headerless
    file may be a person's name, date of birth and postcode, which no pattern can tell from
    column names ('Ryan', 'Bird'); nor when any of its names looks like data."""
    names = raw.column_names
    mapped = sorted({c for c, _ in feed.required_columns()})
    known = {loose_key(c) for c in mapped}
    data_like = header_looks_like_data(names)
    if data_like or not any(loose_key(n) in known for n in names):
        looks = ("the first line looks like data, not a header" if data_like
                 else "the first line holds none of the columns the mapping reads")
        return (f"{ctx.file}: column '{col}' (named by {key}) is not in the file, and {looks} (its names are "
                "withheld here: they may be a person's details): is the header row missing? Add the header "
                f"(the mapping reads columns {', '.join(mapped)}), correct the mapping to the file's column names, "
                f"or set {feed.key}.format.skip_rows if the header comes further down.")
    found = ", ".join(repr(n) for n in names)
    near = [n for n in names if loose_key(n) == loose_key(col)]
    if near:
        invisible = any(unicodedata.category(ch) == "Cf" for ch in near[0] + col)
        which = (f"{near[0]!r} differs" if len(near) == 1
                 else f"{', '.join(repr(n) for n in near)} differ")
        fix = (f"set {key}: {_yaml_text(near[0])}" if len(near) == 1 else f"set {key} to the one to read")
        return (f"{ctx.file}: column {col!r} (named by {key}) is not in the file. Columns found: {found}. "
                f"{which} from {col!r} only in spacing or case"
                + (" and invisible characters (shown as \\u escapes)" if invisible else "")
                + f": {fix}, or correct the file's header.")
    return (f"{ctx.file}: column {col!r} (named by {key}) is not in the file. "
            f"Columns found: {found}. Correct {key} or the file's header.")


def validate_batch(feed: Feed, raw: pa.Table, ctx: BatchContext, repeats: Repeats | None = None,
                   lines: np.ndarray | None = None) -> StagedBatch:
    """Validate one file's rows (all strings) into store rows and quarantine rows;
    ``repeats`` finds the rows that repeat rows of earlier files (None: not checked);
    ``lines``: each row's line (sheet row) in the file, for the quarantine (None: unknown)."""
    raw = rename_alike(raw, feed.required_columns(), ctx.file)
    missing = [(col, key) for col, key in feed.required_columns() if col not in raw.column_names]
    if missing:
        col, key = missing[0]
        raise IngestError(_missing_column(feed, ctx, raw, col, key))
    batch = Batch(feed, raw, ctx, RuleTracker(raw.num_rows), np.zeros(raw.num_rows, dtype=bool), repeats=repeats,
                  lines=lines)
    flag_total_rows(batch)
    return BUILDERS[feed.role](batch)


def _known_files(project: Project) -> dict[tuple[str, str], dict[str, Any]]:
    rows = project.engine.to_arrow(project.engine.table("ingest_files")).to_pylist()
    return {(r["source"], r["path"]): r for r in rows}


RESTAGE_PENDING = "ingest_restage_pending"  # a one-row table while a full re-stage is unfinished


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


def _fingerprints_confirm(project: Project, feeds: list[Feed], key: bytes) -> bool | None:
    """For a store written before carecase recorded its key: whether one source's recorded
    fingerprint matches under ``key`` (None for a new store, or one with no feed state)."""
    engine = project.engine
    if not (engine.has_table("ingest_feed_state") and engine.has_table("ingest_files")):
        return None
    states = _feed_states(project)
    if not states:
        return None
    return any(states.get(fd.name) == feed_fingerprint(project, fd, key) for fd in feeds)


def _stage_file(project: Project, feed: Feed, f: SourceFile, old_batch: str | None, key: bytes,
                today: dt.date, repeats: pa.Table | None = None, file_types: dict[str, str] | None = None
                ) -> tuple[dict[str, Any], dict[str, str], dict[str, DateRead]]:
    """Read, validate and stage one file, replacing its earlier batch in one transaction;
    ``repeats``: its rows that repeat rows of earlier files (see
    :func:`~carecase.ingest.repeats.stale_repeats`; ``file_types``: each source's file type, to
    name the earlier rows' lines). Returns the file's ``ingest_files`` row, its date formats
    and how they read its values (:class:`DateRead`): the rows themselves are let go once
    stored, so the next file (or the check across files) never runs with two files' rows in
    memory."""
    cfg = project.config
    date_formats = {d.column: d.format for d in reversed(feed.date_fields())}
    try:
        extract = read_extract(f.path, feed.format, date_formats, f"{feed.key}.format")
    except IngestError as err:  # name the file as the project does (extracts/x.csv), not x.csv
        text, bare = str(err), f"{f.path.name}:"
        if text.startswith(bare) and f.rel != f.path.name:
            raise IngestError(f"{f.rel}:{text[len(bare):]}") from None
        raise
    ctx = BatchContext(f.rel, f.batch_id, key, cfg.project.period_start, cfg.project.period_end, today)
    found = None if repeats is None else known_repeats(repeats, file_types or {})
    staged = validate_batch(feed, extract.table, ctx, found, extract.file_lines)
    row = {"source": feed.name, "path": f.rel, "sha256": f.sha256, "batch_id": f.batch_id,
           "rows_read": staged.rows_read + extract.blank_rows, "rows_accepted": staged.rows_accepted,
           "rows_quarantined": staged.rows_quarantined, "rows_out_of_scope": staged.rows_out_of_scope,
           "rows_blank": extract.blank_rows}
    del extract
    replace_batch(project.engine, feed.name, f.rel, old_batch, staged, row)
    return row, staged.date_formats, staged.date_reads


def run(project: Project, progress: Any = None, strict: bool = False, new_key: bool = False) -> dict[str, Any]:
    """Stage every configured extract (see the module's docstring). A key other than the one
    the store was built with is refused (:class:`PrivacyError`) unless ``new_key``, which
    re-pseudonymises everything under it on purpose."""
    cfg = project.config
    feeds = feeds_from_config(cfg)
    key = load_key(project) if feeds else b""
    engine = project.engine
    warnings: list[str] = (check_key(project, key, new_key, lambda: _fingerprints_confirm(project, feeds, key))
                           if feeds else [])
    if feeds and (open_key := key_file_warning(project)):
        warnings.append(open_key)
    if engine.name == "duckdb":
        engine.con.con.execute("SET enable_progress_bar = false")  # Rich shows progress
    # Linkage drops the identities it used (privacy.keep_linkage_staging: false) and links
    # globally, so a later run must re-stage every file, never a subset.
    # ... and until a run has re-staged them all: a run stopped by one unreadable file after
    # re-staging some would otherwise leave the rest without identities, every later run
    # skipping them as unchanged and linkage refusing the store (RESTAGE_PENDING).
    restage = _identities_dropped(engine) or engine.has_table(RESTAGE_PENDING)
    if restage:
        engine.write(RESTAGE_PENDING, pa.table({"pending": [True]}))
    ensure_tables(engine)
    if feeds:
        write_key_check(engine, key_check(key))
    known = _known_files(project)
    formats, misread = stored_date_reads(engine)
    states = _feed_states(project)
    today = dt.datetime.now(dt.UTC).date()
    planned = planned_files(project, feeds, known)
    order = sorted(feeds, key=lambda fd: (ROLE_ORDER[fd.role], fd.name))
    task = progress.add_task("ingest", total=sum(len(f) for f in planned.values())) if progress is not None else None
    reports: dict[tuple[str, str], dict[str, Any]] = {}
    emptied: set[tuple[str, str]] = set()  # files that had rows and now have none
    # 1. Files no longer matched (or configured) go first, the old paths of renamed files
    # among them, so no later file is compared with rows that are leaving.
    renamed = renamed_files(feeds, planned, known)
    old_paths = {(s, old) for (s, _), old in renamed.items()}
    current = {(fd.name, f.rel) for fd in feeds for f in planned[fd.name]}
    removed = []
    for (source, path), was in sorted(known.items()):
        if (source, path) in current:
            continue
        replace_batch(engine, source, path, was["batch_id"], None, None)
        if (source, path) not in old_paths:
            removed.append({"source": source, "path": path, "rows_read": was["rows_read"]})
            # said as a warning, not only counted in the headline: an agency that stopped
            # sending a file leaves every total without its rows, and the report says so too
            why = ("is gone, or no longer matched by its source's path" if source in {fd.name for fd in feeds}
                   else "belongs to a source no longer in carecase.yaml")
            warnings.append(
                f"{path} ({source}) {why}: its {was['rows_read']:,} row(s) read were removed from the store, "
                "so every total now leaves them out. If the agency still sends it, put the extract back "
                "(or the source in carecase.yaml) and run again.")
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
                batch = (feed.name, f.rel, prior["batch_id"])
                reports[(feed.name, f.rel)] = file_report(prior, "unchanged", formats.get(batch, {}),
                                                          misread.get(batch, {}))
            else:
                row, date_formats, reads = _stage_file(project, feed, f, prior["batch_id"] if prior else None, key,
                                                       today)
                if prior is None:
                    status = "renamed" if (feed.name, f.rel) in renamed else "new"
                else:
                    status = "replaced" if prior["sha256"] != f.sha256 else "reprocessed"
                rep = file_report(row, status, date_formats, reads)
                if status == "renamed":
                    rep["renamed_from"] = renamed[(feed.name, f.rel)]
                reports[(feed.name, f.rel)] = rep
                if prior is not None and data_rows(row) == 0 and data_rows(prior) > 0:
                    emptied.add((feed.name, f.rel))
                    warnings.append(
                        f"{f.rel} ({feed.name}) has no data rows: its {data_rows(prior):,} earlier row(s) were "
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
    file_types: dict[str, str] = {fd.name: fd.format.type for fd in feeds}
    files = {(fd.name, f.rel): f for fd in feeds for f in planned[fd.name]}
    for grp in sorted({fd.role for fd in feeds}, key=ROLE_ORDER.__getitem__):
        for (source, path), repeats in stale_repeats(engine, grp).items():
            feed, f = by_name[source], files[(source, path)]
            row, date_formats, reads = _stage_file(project, feed, f, f.batch_id, key, today, repeats, file_types)
            before = reports[(source, path)]
            status = "reprocessed" if before["status"] == "unchanged" else before["status"]
            reports[(source, path)] = {**file_report(row, status, date_formats, reads),
                                       **({"renamed_from": before["renamed_from"]} if "renamed_from" in before else {})}
    write_feed_state(engine, {n: f for n, f in states.items() if n in {fd.name for fd in feeds}})
    if restage:
        engine.drop(RESTAGE_PENDING)  # every file is staged again
    warnings += [f"{rel} ({source}) has no data rows (a header only)." for (source, rel), rep in sorted(reports.items())
                 if data_rows(rep) == 0 and (source, rel) not in emptied]
    materialise_lookups(engine, [lk.name for lk in cfg.ingest.lookups])
    warnings += lookup_conflicts(engine, [lk.name for lk in cfg.ingest.lookups],
                                 {lk.name: lk.format.type for lk in cfg.ingest.lookups})
    warnings += sex_code_warnings(engine, feeds)
    warnings += early_stops(engine, [(fd.name, fd.key) for fd in feeds if fd.role == "events"],
                            cfg.project.period_start, cfg.project.period_end)
    warnings += [f"{fd.key}: instrument {fd.spec.instrument!r} is not declared under "
                 "evaluation.instruments, so its scores are not checked against a scale and the "
                 "evaluation does not report it; declare it (name, domains, scale_min, scale_max)."
                 for fd in feeds if fd.role == "outcomes" and fd.scale is None]
    file_reports = {fd.name: [reports[(fd.name, f.rel)] for f in planned[fd.name]] for fd in feeds}
    warnings += whole_file_quarantined(file_reports, engine)
    quarantine = _write_tables(project)
    summary = summarise(project, feeds, quarantine, file_reports, removed, warnings)
    if restage and feeds:  # say why files that did not change read 'reprocessed'
        summary["restaged_all"] = True
        summary["headline"] += ("; every file staged again: linkage removed the identities it used "
                                "(privacy.keep_linkage_staging: false), and links every file together")
    project.write_json(STAGE, "summary.json", summary)
    failed = all_quarantined(feeds, summary, quarantine)
    if failed and cfg.ingest.all_quarantined == "error":
        raise IngestError(
            "Every row in scope of " + ("a source" if len(failed) == 1 else f"{len(failed)} sources")
            + " was quarantined, "
            "so the costs would leave it out without a word: " + " ".join(failed) + " Fix the setting and run "
            "again (a file whose settings change is read again). If the source really has no valid rows, set "
            "ingest.all_quarantined: warn to go on without it."
        )
    if strict and summary["totals"]["rows_quarantined"] > 0:
        raise IngestError(
            f"--strict: {summary['totals']['rows_quarantined']} row(s) were quarantined "
            f"(see {project.stage_dir(STAGE) / 'quarantine.csv'}). Fix them at source, or run without --strict."
        )
    return summary


def planned_files(project: Project, feeds: list[Feed], known: dict[tuple[str, str], dict[str, Any]]
                  ) -> dict[str, list[SourceFile]]:
    """Each feed's files; every feed whose path matches no file is named in one error (a user
    missing three extracts found them out one run at a time)."""
    planned: dict[str, list[SourceFile]] = {}
    missing: list[str] = []
    for feed in feeds:
        try:
            planned[feed.name] = resolve_files(project, feed, known)
        except MissingExtract as err:
            missing.append(str(err))
    if len(missing) == 1:
        raise IngestError(missing[0])
    if missing:
        raise IngestError(f"{len(missing)} extracts are missing:\n- " + "\n- ".join(missing))
    return planned


#: Quarantine rules of a repeated row: a file of nothing else is a copy, which the repeats'
#: own warning names ("Remove the copy"), not a file lost
REPEAT_RULES = ("duplicate_row", "duplicate_key", "duplicate_other_file")


def whole_file_quarantined(file_reports: dict[str, list[dict[str, Any]]], engine: Engine) -> list[str]:
    """One line per file whose every row in scope was quarantined, not all as repeats, while
    other files of its source were accepted: a month's extract lost whole (every NHS number
    in Excel's scientific notation) passed with no warning, and would read as a fall in
    activity. (A source with no row accepted at all is :func:`all_quarantined`'s.)"""
    lost = [(source, r) for source, reps in sorted(file_reports.items()) if any(x["rows_accepted"] for x in reps)
            for r in reps if r["rows_accepted"] == 0 and r["rows_quarantined"] > 0]
    if not lost:
        return []
    q = engine.table("quarantine")
    other = q.filter(~q.rule.isin(list(REPEAT_RULES)))
    batches = {(b["source"], b["batch_id"])
               for b in engine.to_arrow(other.select("source", "batch_id").distinct()).to_pylist()}
    return [f"{r['path']} ({source}): every one of its {r['rows_quarantined']:,} rows in scope was quarantined, "
            "so the figures leave this file out while they count the source's other files (a lost month "
            "reads as a fall in activity). out/ingest/quarantine.csv says why, row by row."
            for source, r in lost if (source, r["batch_id"]) in batches]


def all_quarantined(feeds: list[Feed], summary: dict[str, Any], quarantine: pa.Table) -> list[str]:
    """The warning of each source whose every row in scope was quarantined (none accepted;
    its quarantined rows are then all its rows in scope, so it always has one)."""
    sources = summary["sources"]
    if not any(s["rows_accepted"] == 0 and s["rows_quarantined"] > 0 for s in sources.values()):
        return []
    texts = quarantine_warnings(feeds, sources, quarantine)
    return [texts[name] for name in sorted(texts) if sources[name]["rows_accepted"] == 0]


def _write_tables(project: Project) -> pa.Table:
    """Write the quarantine and ``ingest_files`` tables to ``out/ingest/``; the quarantine."""
    engine = project.engine
    q = engine.table("quarantine")
    quarantine = engine.to_arrow(q.order_by(["source", "batch_id", "source_row", "rule", "column"])).cast(SCHEMAS["quarantine"])
    files = engine.to_arrow(engine.table("ingest_files").order_by(["source", "path"])).cast(SCHEMAS["ingest_files"])
    project.write_arrow(STAGE, "quarantine", quarantine)
    project.write_arrow(STAGE, "ingest_files", files)
    return quarantine
