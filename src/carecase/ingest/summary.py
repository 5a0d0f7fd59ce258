"""The ingest summary: each file's report, row accounting per source and in total (every row
read is accepted, quarantined, out of scope or blank), the headline and the warnings."""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from carecase.core.errors import IngestError
from carecase.core.project import Project
from carecase.ingest.feeds import Feed
from carecase.ingest.ignored import summarise as ignored_codes
from carecase.ingest.validate import DateRead

COUNTS = ("rows_read", "rows_accepted", "rows_quarantined", "rows_out_of_scope", "rows_blank")


def data_rows(row: dict[str, Any]) -> int:
    """The rows of a file (an ``ingest_files`` row or a file report) that are not blank."""
    return int(row["rows_read"]) - int(row.get("rows_blank") or 0)


def file_report(row: dict[str, Any], status: str, date_formats: dict[str, str],
                date_reads: dict[str, DateRead] | None = None) -> dict[str, Any]:
    """A file's report; ``misread_dates``: each date field whose format did not read most of
    its filled values, with its column, counts and fix (:class:`DateRead`)."""
    misread = {k: dataclasses.asdict(r) for k, r in sorted((date_reads or {}).items()) if r.misread}
    return {"path": row["path"], "batch_id": row["batch_id"], **{k: int(row[k] or 0) for k in COUNTS},
            "status": status, "date_formats": date_formats, "misread_dates": misread}


def _repeat_warnings(project: Project, file_reports: dict[str, list[dict[str, Any]]]) -> list[str]:
    """One line per file with rows quarantined as repeats of another file's rows, telling a
    copy (every row a repeat) from a file that also holds new rows, and saying how many
    repeats are corrections (an earlier row's record ID with other values), whose earlier
    values were kept. Where the source has no record ID, a corrected row cannot be told from
    a new one and both versions are staged: the line then tells an additional extract (keep
    both files) from a corrected re-send (remove the earlier file so this one replaces it),
    with how many of the earlier file's rows the file lacks."""
    all_keys = project.engine.table("ingest_row_keys")
    k = all_keys.filter(all_keys.dup_row.notnull())
    d = all_keys.select(d_source=all_keys.source, d_path=all_keys.path, d_row=all_keys.source_row,
                        d_h1=all_keys.h1, d_h2=all_keys.h2)
    j = k.left_join(d, [k.dup_source == d.d_source, k.dup_path == d.d_path, k.dup_row == d.d_row])
    changed = ((j.h1 != j.d_h1) | (j.h2 != j.d_h2)).fill_null(False)
    got = project.engine.to_arrow(
        j.group_by(["source", "path", "dup_source", "dup_path"])
        .aggregate(n=j.source_row.count(), changed=changed.cast("int64").sum(), hit=j.dup_row.nunique(),
                   with_ids=j.r1.notnull().cast("int64").sum())
        .order_by(["source", "path", "dup_source", "dup_path"])).to_pylist()
    if not got:
        return []
    keyed = {(r["source"], r["path"]): int(r["n"]) for r in project.engine.to_arrow(
        all_keys.group_by(["source", "path"]).aggregate(n=all_keys.source_row.count())).to_pylist()}
    per_file: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in got:
        per_file.setdefault((r["source"], r["path"]), []).append(r)
    reports = {(src, rep["path"]): rep for src, reps in file_reports.items() for rep in reps}
    out = []
    for (source, path), rows in sorted(per_file.items()):
        n = sum(int(r["n"]) for r in rows)
        corrected = sum(int(r["changed"] or 0) for r in rows)
        with_ids = any(int(r["with_ids"] or 0) for r in rows)
        others = ", ".join(f"{r['dup_path']}" + (f" ({r['dup_source']})" if r["dup_source"] != source else "")
                           for r in rows[:3]) + (" and others" if len(rows) > 3 else "")
        report = reports.get((source, path))
        every = report is not None and n == data_rows(report)
        what = f"every one of its {n:,} rows repeats" if every else f"{n:,} of its rows repeat"
        text = (f"{path} ({source}): {what} rows already read from {others}; they were quarantined as "
                "duplicate_other_file and counted once.")
        if corrected:
            text += (f" {corrected:,} of them have an earlier row's record ID but other values (corrections?): "
                     "the earlier file's values were kept. To use the corrected rows, replace the earlier "
                     "file with this one.")
        if every and not corrected:
            text += " Remove the copy, or narrow the path so each extract is read once."
        elif not every and with_ids:
            text += (" Its other rows were accepted, so keep the file; if it is a cumulative extract, "
                     "replace the earlier file with it rather than keeping both.")
        elif not every:
            accepted = int(report["rows_accepted"]) if report is not None else 0
            text += " " + _resend_or_more(rows, others, accepted, keyed)
        out.append(text)
    return out


def _resend_or_more(rows: list[dict[str, Any]], others: str, accepted: int, keyed: dict[tuple[str, str], int]) -> str:
    """The advice for a file of a source without record IDs that repeats some rows of the
    earlier file(s) ``others`` and holds ``accepted`` rows they lack: an additional extract
    is kept beside them; a corrected re-send must replace them, as each row it corrects was
    staged twice (the earlier values and the corrected ones are different rows)."""
    missing = None
    if len(rows) == 1:
        earlier = keyed.get((rows[0]["dup_source"], rows[0]["dup_path"]))
        missing = None if earlier is None else max(earlier - int(rows[0]["hit"] or 0), 0)
    if missing == 0:
        return (f"It holds every row of {others} as well, and {accepted:,} more (a cumulative extract, or a re-send "
                f"with rows added): nothing is counted twice, and {others} can be removed.")
    them = "it" if len(rows) == 1 else "them"
    lacks = ""
    if missing is not None:
        lacks = f" {others} has {missing:,} row(s) that this file lacks"
        # a re-send correcting a few rows shares the rest: as many rows on each side, most rows shared
        resend = missing == accepted and int(rows[0]["n"]) > missing
        lacks += (": as many as this file's new rows, as in a corrected re-send, where each corrected row is one of "
                  "each." if resend else ".")
    return (f"Its other {accepted:,} row(s) were accepted.{lacks} The source has no record_id, so carecase cannot "
            "tell a corrected row from a new one. If this is an additional extract (new records beside those of "
            f"{others}), keep both files. If it is a corrected re-send of {others}, each row it corrects is staged "
            f"twice, with its earlier values and its corrected ones: remove {others} (move {them} out of the folder "
            f"the path reads, or narrow the path) so that this file replaces {them}, and run ingest again. If the "
            "extract has a record ID, set the source's record_id to it, so that corrections are told from new "
            "records.")


def _ignores_unmapped(feed: Feed) -> bool:
    """An event source whose rows with codes not in its service map are out of scope."""
    svc = feed.spec.event.service if feed.role == "events" else None
    return svc is not None and bool(svc.column) and svc.unmapped == "ignore"


#: A source with at least this share of its data rows quarantined gets a warning: nearly always
#: one setting (a date format, a column) is wrong for the whole file, not the rows.
MOSTLY_QUARANTINED = 0.5
#: ... when at least this many of them broke one rule in one column (a source with rows
#: accepted; one quarantined whole is always named): in a small file, a totals row and one bad
#: row are half of it without any setting being wrong.
MOSTLY_MIN_ROWS = 10


def same_day_warnings(feeds: list[Feed], file_reports: dict[str, list[dict[str, Any]]]) -> list[str]:
    """A warning for each event source with no ``record_id`` and dates without a time of day
    whose rows were quarantined as ``duplicate_key``: there, two genuine events by one person
    on one day (two A&E attendances) are one row repeated, and the second is quarantined, so
    the user should know and can declare what tells them apart."""
    out = []
    for feed in feeds:
        if feed.role != "events" or feed.spec.record_id:  # an event feed's spec is a SourceConfig
            continue
        reports = file_reports.get(feed.name, [])
        n = sum(r.get("quarantined_by_rule", {}).get("duplicate_key", 0) for r in reports)
        timed = any("%H" in str(r.get("date_formats", {}).get("start", "")) for r in reports)
        covers = feed.spec.event.covers
        if n and not timed:
            what = ("two genuine events on one day (two attendances)" if covers == "day" else
                    f"two genuine counts for one {covers} (from two practices, say)")
            out.append(f"{feed.key} ({feed.name}): {n:,} row(s) quarantined as duplicate_key, the same person, "
                       "service, date and quantity as an earlier row. The source has no record_id and its dates no "
                       f"time of day, so {what} look like one row repeated. "
                       f"If it can have them, set {feed.key}.record_id to the column that identifies each record "
                       "(an attendance or appointment ID), or read the time of day with the start date.")
    return out


def quarantine_warnings(feeds: list[Feed], sources: dict[str, Any], quarantine: pa.Table) -> dict[str, str]:
    """A warning for each source whose rows were mostly (or all) quarantined, naming the main
    rule, its column and its fix: a population register whose every date of birth failed the
    configured format went by in silence, and linkage then failed without naming the cause.

    A source quarantined whole is always named. One with rows accepted is named when at least
    :data:`MOSTLY_QUARANTINED` of its rows other than totals rows were quarantined and at
    least :data:`MOSTLY_MIN_ROWS` of them for one rule in one column, the mark of one setting
    wrong for the whole file; a totals row (``total_row``) is no such mark and is the main rule
    only where nothing else was quarantined."""
    out: dict[str, str] = {}
    for feed in feeds:
        src = sources[feed.name]
        # rows in scope: codes left out with unmapped: ignore are neither accepted nor bad
        rows = src["rows_read"] - src["rows_blank"] - src["rows_out_of_scope"]
        if not rows or src["rows_quarantined"] < MOSTLY_QUARANTINED * rows:
            continue
        mine = quarantine.filter(pc.equal(quarantine.column("source"), feed.name))
        groups = mine.group_by(["rule", "column"]).aggregate([([], "count_all")]).to_pylist()
        if not groups:
            continue
        whole = src["rows_accepted"] == 0
        totals = sum(g["count_all"] for g in groups if g["rule"] == "total_row")
        main = max([g for g in groups if g["rule"] != "total_row"] or groups,
                   key=lambda g: (g["count_all"], g["rule"], g["column"] or ""))
        rule, n = main["rule"], int(main["count_all"])
        if not whole and (n < MOSTLY_MIN_ROWS or rule == "total_row"
                          or src["rows_quarantined"] - totals < MOSTLY_QUARANTINED * (rows - totals)):
            continue
        at = pc.equal(mine.column("rule"), rule)
        at = pc.and_(at, pc.is_null(mine.column("column")) if main["column"] is None
                     else pc.equal(mine.column("column"), main["column"]))
        first = mine.filter(at).slice(0, 1).to_pylist()
        column = f", column {main['column']}" if main["column"] not in (None, "", "(row)") else ""
        hint = f" Fix: {first[0]['hint']}." if first and first[0].get("hint") else ""
        scope = " in scope" if src["rows_out_of_scope"] else ""
        what = (f"every one of its {rows:,} rows{scope} was" if whole
                else f"{src['rows_quarantined']:,} of its {rows:,} rows{scope} were")
        others = other_misread_dates(feed, src["files"], rule, main["column"])
        out[feed.name] = (f"{feed.key} ({feed.name}, {feed.role}): {what} quarantined, {n:,} of them "
                          f"for {rule}{column}: a setting is probably wrong for the whole file.{hint}{others} See "
                          "out/ingest/quarantine.csv.")
    return out


def other_misread_dates(feed: Feed, files: list[dict[str, Any]], rule: str, column: str | None) -> str:
    """The date columns of a source, other than the main rule's (``rule``, ``column``), whose
    format did not read most of their filled values (the files' ``misread_dates``), each with
    its own fix, as sentences to follow the main rule's; '' when none. A row is quarantined
    for its first problem only, so a register whose dates of birth and of death both had the
    wrong format named the date of birth alone, and the user found the second a run later."""
    found: dict[str, list[dict[str, Any]]] = {}
    for rep in files:
        for name, r in rep.get("misread_dates", {}).items():
            found.setdefault(name, []).append({**r, "path": rep["path"]})
    date = rule == "unparseable_date"
    names = [d.name for d in feed.date_fields() if d.name in found
             and not (date and found[d.name][0]["column"] == column)]
    if not names:
        return ""
    parts = []
    for name in names:
        reads = found[name]
        filled, unread = sum(r["filled"] for r in reads), sum(r["unread"] for r in reads)
        worst = max(reads, key=lambda r: r["unread"])  # the fix of the file with the most values misread
        if len(reads) == len(files):
            where = f" in {len(reads)} files" if len(reads) > 1 else ""
            parts.append((reads[0]["column"],
                          f"{unread:,} of its {filled:,} filled values{where} {worst['misread']} {worst['fix']}"))
            continue
        # some of the source's files read with the format: a new setting would misread them
        paths = ", ".join(r["path"] for r in reads)
        parts.append((reads[0]["column"], f"{unread:,} of the {filled:,} filled values in {len(reads)} of its "
                      f"{len(files)} files ({paths}) {worst['misread']} Its other files read "
                      "with this format, so changing the setting would misread them: convert "
                      + ("that file" if len(reads) == 1 else "those files")
                      + " to the configured format, or give " + ("it" if len(reads) == 1 else "them")
                      + " a source of " + ("its" if len(reads) == 1 else "their") + " own."))
    values = "the file's values" if len(files) == 1 else "its files' values"
    why = (f"so the quarantine names {column} alone" if date
           else "so the quarantine may not name " + ("it" if len(parts) == 1 else "them"))
    either = " either" if date else ""
    if len(parts) == 1:
        col, text = parts[0]
        return (f" The date format of column {col} does not read {values}{either} (each row is quarantined for its "
                f"first problem only, {why}): {text}")
    return (f" The date formats of {len(parts)} {'more ' if date else ''}columns do not read {values}{either} "
            f"(each row is quarantined for its first problem only, {why}): "
            + " ".join(f"column {col}: {text}" for col, text in parts))


def assessment_warnings(feeds: list[Feed], quarantine: pa.Table, shown: int = 10) -> list[str]:
    """One line per outcome feed with rows quarantined as ``unknown_assessment``: how many,
    the assessment labels found that its instrument does not list, and the fix (the
    evaluation read only the listed points and dropped the other rows without a word)."""
    out = []
    for feed in feeds:
        if feed.role != "outcomes" or feed.assessments is None or feed.scale is None:
            continue
        at = pc.and_(pc.equal(quarantine.column("source"), feed.name),
                     pc.equal(quarantine.column("rule"), "unknown_assessment"))
        rows = quarantine.filter(at)
        if not rows.num_rows:
            continue
        labels = sorted({str(v) for v in rows.column("value").to_pylist() if v is not None})
        listed = ", ".join(repr(v) for v in labels[:shown]) + (f" and {len(labels) - shown:,} more"
                                                                if len(labels) > shown else "")
        key = feed.scale[2]
        out.append(f"{feed.key} ({feed.spec.instrument}): {rows.num_rows:,} row{'s' if rows.num_rows != 1 else ''} "
                   f"quarantined as unknown_assessment: the assessment point{'s' if len(labels) != 1 else ''} "
                   f"{listed} {'are' if len(labels) != 1 else 'is'} not in {key}.assessments "
                   f"({', '.join(feed.assessments)}), so the evaluation would not read "
                   f"{'them' if rows.num_rows != 1 else 'it'}. Add the label to {key}.assessments (in order) "
                   "or correct the data, and run ingest again; the rows are in out/ingest/quarantine.csv.")
    return out


def shared_files(shared: dict[str, int], top: int = 3) -> str:
    """``extracts/urgent.csv read by 2 sources`` for the files (path: sources) several sources
    read, the first ``top`` named and the rest counted."""
    named = [f"{path} read by {n} sources" for path, n in list(shared.items())[:top]]
    rest = len(shared) - len(named)
    return ", ".join(named) + (f" and {rest} more file(s) read by several sources" if rest else "")


def summarise(project: Project, feeds: list[Feed], quarantine: pa.Table, file_reports: dict[str, list[dict[str, Any]]],
              removed: list[dict[str, Any]], warnings: list[str]) -> dict[str, Any]:
    """The summary of a run (written to ``out/ingest/summary.json``): ``quarantine`` is the
    whole quarantine table; adds each file report's ``quarantined_by_rule``."""
    engine = project.engine
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
    readers: dict[str, int] = Counter(rep["path"] for reps in file_reports.values() for rep in reps)
    shared = {path: n for path, n in sorted(readers.items()) if n > 1}
    headline = (
        f"{len(readers)} file(s) from {len(feeds)} source(s)"
        + (" (" + shared_files(shared) + "; rows and statuses are counted per source)" if shared else "")
        + ": "
        f"{t['rows_read']:,} rows read, {t['rows_accepted']:,} accepted, {t['rows_quarantined']:,} quarantined, "
        f"{t['rows_out_of_scope']:,} out of scope"
        + (f", {t['rows_blank']:,} blank" if t["rows_blank"] else "")
        + " (" + ", ".join(f"{n} {s}" for s, n in sorted(status_totals.items())) + ")"
    )
    if removed:
        headline += f"; {len(removed)} file(s) no longer matched or configured were removed"
    warnings = [*warnings, *_repeat_warnings(project, file_reports), *same_day_warnings(feeds, file_reports),
                *quarantine_warnings(feeds, sources, quarantine).values(), *assessment_warnings(feeds, quarantine)]
    if warnings:
        headline += f"; {len(warnings)} warning(s)"
    return {"headline": headline, "sources": sources, "totals": t, "files": len(readers),
            "files_read_by_several_sources": shared, "files_by_status": dict(sorted(status_totals.items())),
            "removed": removed, "warnings": warnings}
