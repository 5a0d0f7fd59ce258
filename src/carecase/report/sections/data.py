"""Data section: sources, rows accepted/quarantined (out/ingest/summary.json) and linkage
quality (out/link/summary.json)."""

from __future__ import annotations

from typing import Any

from carecase.report import charts
from carecase.report.config import SuppressionConfig
from carecase.report.content import (
    Chart,
    Column,
    KeyFigure,
    KeyFigures,
    Note,
    Paragraph,
    Section,
    Table,
)
from carecase.report.disclose import CountCells
from carecase.report.loaders import get, named_items
from carecase.report.sections import match_rates, nhs_discordance
from carecase.report.sections.caveats import removed_files
from carecase.report.sections.common import Context, in_a_list, not_run

# the keys of out/ingest/summary.json and out/link/summary.json, in one place
SOURCE_COLUMNS = [
    Column("source", "Source"),
    Column("rows_read", "Rows read", "count", count=True, total=True),
    Column("rows_accepted", "Accepted", "count", count=True, total=True),
    Column("rows_quarantined", "Quarantined", "count", count=True, total=True),
    Column("rows_out_of_scope", "Out of scope", "count", count=True, total=True),
    Column("status", "Status"),
]
REASONS = "quarantined_by_rule"
LINK_METHODS = "records_by_method_total"
LINK_PER_SOURCE = "records_by_method"
TRUTH_SCOPES = {"sources_without_nhs_numbers": "Sources without NHS numbers", "all_records": "All records"}
QUALITY_KEYS = ("precision", "recall", "f1")


def _sources(summary: Any) -> list[dict[str, Any]]:
    items = named_items(get(summary, "sources"), name_key="source")
    out = []
    for s in items:
        raw = s.get("files")
        files: list[Any] = raw if isinstance(raw, list) else []
        status = s.get("status") or ", ".join(sorted({str(f.get("status")) for f in files
                                                      if isinstance(f, dict) and f.get("status")}))
        out.append({**s, "status": status or None})
    return out


def _n(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def inputs_in_words(sources: list[dict[str, Any]]) -> str:
    """``5 agency activity sources, the population register, the programme register, 1 ID
    lookup and 1 outcome measure``: the ingest summary's sources by role. They were all
    called agency extracts, the registers and lookups among them."""
    roles = [str(s.get("role") or "") for s in sources]
    parts = []
    if n := roles.count("events"):
        parts.append(_n(n, "agency activity source", "agency activity sources"))
    if "population" in roles:
        parts.append("the population register")
    if "programme" in roles:
        parts.append("the programme register")
    if n := roles.count("lookup"):
        parts.append(_n(n, "ID lookup", "ID lookups"))
    if n := roles.count("outcomes"):
        parts.append(_n(n, "outcome measure", "outcome measures"))
    known = ("events", "population", "programme", "lookup", "outcomes")
    if n := sum(r not in known for r in roles):
        parts.append(_n(n, "other source", "other sources"))
    return in_a_list(parts) or "no source"


def protect_together(sources: Table | None, by_method: Table | None, per_source: Table | None,
                     cfg: SuppressionConfig, rates: Table | None = None) -> None:
    """Secondary suppression across the Data section's count tables, written into each
    table's ``withheld`` cells (shared reports).

    The tables share figures: a source's linked records (its row of ``per_source``, every
    method) add up to its accepted rows in ``sources``, and each method's records over the
    sources add up to that method's row of ``by_method``. So beside every table's own rows
    and columns, each source's linkage row with its accepted count, and each method's column
    with its total, are lines of one secondary suppression: a count hidden in one table
    (say a source's 3 quarantined rows, read − accepted − out of scope) is not given back by
    another (the linked records of that source add up to its accepted rows)."""
    tables = [t for t in (sources, by_method, per_source, rates) if t is not None and t.rows]
    cell = CountCells(tables)
    lines: list[list[int]] = []
    if rates is not None and rates.rows:  # its own rows and groups, and its figures the others publish
        def held(t: Table | None) -> Table | None:
            return t if any(t is u for u in tables) else None
        lines += match_rates.lines(cell, rates, held(sources), held(per_source))
    for t in tables:  # each table's own rows (read = accepted + quarantined + out of scope), then columns
        if t is rates:
            continue
        counts = [c.key for c in t.columns if c.count]
        if t.protect_rows and len(counts) > 1:
            lines += [[cell(t, i, k) for k in counts] for i in range(len(t.rows))]
        lines += [[cell(t, i, k) for i in range(len(t.rows))] for k in counts]
    src_row = {str(r.get("source")): i for i, r in enumerate(sources.rows)} if sources is not None else {}
    method_row = {str(r.get("method")): i for i, r in enumerate(by_method.rows)} if by_method is not None else {}
    if per_source is not None and per_source.rows:
        methods = [c.key for c in per_source.columns if c.count]
        for i, r in enumerate(per_source.rows):  # a source's linked records add up to its accepted rows
            row = [cell(per_source, i, m) for m in methods]
            j = src_row.get(str(r.get("source")))
            lines.append(row + ([cell(sources, j, "rows_accepted")] if sources is not None and j is not None
                                else []))
        for m in methods:  # a method's records over the sources add up to its total
            total = method_row.get(m)
            if by_method is not None and total is not None:
                lines.append([cell(per_source, i, m) for i in range(len(per_source.rows))]
                             + [cell(by_method, total, "records")])
    # A source's accepted rows are published again by the audit (a point service's activity
    # is its events, and its £ ÷ its published unit cost), and its rows out of scope by the
    # costs note: hiding either as a complement protects nothing. A disclosure review worked
    # a hidden 357 accepted homelessness applications back from the audit, and with it 3
    # quarantined rows (read − accepted). So those two are complements only when nothing
    # else is left: a row's complement is its rows read, whose column then needs its own.
    keep = {cell(sources, i, k) for i in range(len(sources.rows)) for k in ("rows_accepted", "rows_out_of_scope")
            if (sources, i, k) in cell} if sources is not None and sources.rows else set()
    cell.withhold(lines, cfg, keep=keep)


def link_notes(ctx: Context, notes: list[Any]) -> list[str]:
    """The link stage's notes on its model. A level fixed in training names its m value, the
    Jeffreys estimate ½ ÷ (n + 1) for n candidate profiles (identities from sources without
    an NHS number, a count the linkage table may hide), so shared reports say it without
    figures; notes with no figure are shown as they are."""
    if ctx.mode == "internal":
        return [str(n) for n in notes]
    out, fixed = [], False
    for note in map(str, notes):
        if any(ch.isdigit() for ch in note):
            fixed = True
        else:
            out.append(note)
    if fixed:
        out.append("some comparison levels showed no true match in training, or almost none, so their m "
                   "probabilities were fixed at the Jeffreys estimate (the levels and values are in the "
                   "internal report and out/link/summary.json).")
    return out


def build(ctx: Context) -> Section:
    outs = ctx.outs
    sec = Section("data", "Data")
    ingest = outs.json("ingest", "summary.json")
    source_table: Table | None = None
    if ingest is None:
        sec.blocks.append(not_run("ingest", "sources and rows accepted"))
    else:
        sources = sorted(_sources(ingest), key=lambda s: str(s["source"]))
        sec.blocks.append(Paragraph(
            f"Data were read, validated and pseudonymised from {inputs_in_words(sources)}. Rows that "
            "failed validation were quarantined (kept aside with the reason), not silently dropped."))
        rows = [{c.key: s.get(c.key) for c in SOURCE_COLUMNS} for s in sources]
        source_table = Table("data-sources", "Rows read, accepted and quarantined by source",
                             SOURCE_COLUMNS, rows, total_row=True)  # read = accepted + quarantined + out of scope
        sec.blocks.append(source_table)
        if gone := removed_files(ingest):  # also under "Read with care" in the summary
            sec.blocks.append(Note(gone, kind="warning"))
        reasons = []
        for s in sources:
            for reason, n in sorted((get(s, REASONS) or {}).items()):
                reasons.append({"source": s["source"], "reason": reason, "rows": n})
        if reasons and ctx.mode == "internal":
            sec.blocks.append(Table(
                "data-quarantine", "Quarantined rows by source and reason",
                [Column("source", "Source"), Column("reason", "Reason"),
                 Column("rows", "Rows", "count", count=True, total=True)],
                reasons, total_row=True))
        elif reasons:  # shared: by reason across sources, so fewer cells are small
            by_reason: dict[str, int] = {}
            for r in reasons:
                by_reason[r["reason"]] = by_reason.get(r["reason"], 0) + int(r["rows"] or 0)
            sec.blocks.append(Table(
                "data-quarantine", "Quarantined rows by reason (all sources)",
                [Column("reason", "Reason"), Column("rows", "Rows", "count", count=True, total=True)],
                [{"reason": k, "rows": v} for k, v in sorted(by_reason.items())], total_row=True))
    link = outs.json("link", "summary.json")
    if link is None:
        sec.blocks.append(not_run("link", "record linkage"))
        if ctx.mode != "internal":
            protect_together(source_table, None, None, ctx.config.suppression)
        return sec
    methods = get(link, LINK_METHODS) or {}  # method → records
    mrows = [{"method": k, "records": v} for k, v in sorted(methods.items())]
    method_table: Table | None = None
    if mrows:
        method_table = Table("data-linkage", "Records linked to people, by method",
                             [Column("method", "Linkage method"),
                              Column("records", "Records", "count", count=True, total=True)],
                             mrows, total_row=True)
        sec.blocks.append(method_table)
        chart_at = len(sec.blocks)
    per_source = get(link, LINK_PER_SOURCE)
    per_source_table: Table | None = None
    if isinstance(per_source, dict) and per_source and all(isinstance(v, dict) for v in per_source.values()):
        methods_seen = sorted({m for v in per_source.values() for m in v})
        cols = [Column("source", "Source")] + [Column(m, m.replace("_", " "), "count", count=True, total=True)
                                               for m in methods_seen]
        rows = [{"source": src, **{m: per_source[src].get(m, 0) for m in methods_seen}}
                for src in sorted(per_source)]
        # a row's methods add up to the source's accepted rows, protected across tables below
        per_source_table = Table("data-linkage-sources", "Records by source and linkage method", cols, rows,
                                 total_row=True, protect_rows=False,
                                 note="A source's records add up to its accepted rows: small numbers are "
                                      "protected together with the rows-by-source and records-by-method "
                                      "tables, so none can be worked out from another.")
        sec.blocks.append(per_source_table)
    rates_table = match_rates.table(link)
    if rates_table is not None:
        sec.blocks.append(rates_table)
        sec.blocks.append(match_rates.gaps_paragraph(link, rates_table, ctx.mode == "internal"))
    if ctx.mode != "internal":
        protect_together(source_table, method_table, per_source_table, ctx.config.suppression, rates_table)
    if method_table is not None:
        sec.blocks.insert(chart_at, Chart("chart-data-linkage", "Records by linkage method",
                                          charts.hbar("Records by linkage method", ctx.shown(method_table),
                                                      "method", "records", "Records", fmt=",d"),
                                          table=method_table.id))
    sec.blocks.extend(Note(f"Linkage model: {note}") for note in link_notes(ctx, link.get("notes") or []))
    warnings = [str(w) for w in link.get("warnings") or []]
    if warnings and ctx.mode == "internal":
        sec.blocks.extend(Note(f"Linkage warning: {w}") for w in warnings)
    elif warnings:  # they may name counts of people: the text is in the internal report
        sec.blocks.append(Note(f"The linkage stage raised {len(warnings)} warning(s) about the data "
                               "(out/link/summary.json; shown in the internal report). Read them before "
                               "relying on the figures."))
    truth = get(link, "truth") or {}  # scope → precision, recall, f1 (null without linkage.truth)
    scopes = [(TRUTH_SCOPES.get(k, k), v) for k, v in sorted(truth.items()) if isinstance(v, dict)]
    if scopes:
        sec.blocks.append(Paragraph("Linkage quality against a known or clerically reviewed truth sample "
                                    "(pairwise precision and recall over record pairs):"))
        sec.blocks.append(Table("data-linkage-quality", "Linkage quality",
                                [Column("scope", "Records"), Column("precision", "Precision", "pct"),
                                 Column("recall", "Recall", "pct"), Column("f1", "F1", "pct")],
                                [{"scope": name, **{k: get(q, k) for k in QUALITY_KEYS}} for name, q in scopes]))
        first = scopes[0][1]
        sec.blocks.append(KeyFigures([KeyFigure(k.upper() if k == "f1" else k.capitalize(), get(first, k), "pct",
                                                str(scopes[0][0])) for k in QUALITY_KEYS if get(first, k) is not None]))
    else:
        sec.blocks.append(Paragraph("No truth sample was supplied (linkage.truth), so linkage precision and "
                                    "recall were not measured."))
    discordant = nhs_discordance.paragraph(link, ctx.config.suppression, ctx.mode != "internal")
    if discordant is not None:
        sec.blocks.append(discordant)
    return sec
