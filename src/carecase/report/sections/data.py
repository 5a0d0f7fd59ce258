"""Data section: sources, rows accepted/quarantined (out/ingest/summary.json) and linkage
quality (out/link/summary.json)."""

from __future__ import annotations

from typing import Any

from carecase.report import charts
from carecase.report.content import Chart, Column, KeyFigure, KeyFigures, Paragraph, Section, Table
from carecase.report.loaders import get, named_items
from carecase.report.sections.common import Context, not_run

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


def build(ctx: Context) -> Section:
    outs = ctx.outs
    sec = Section("data", "Data")
    ingest = outs.json("ingest", "summary.json")
    if ingest is None:
        sec.blocks.append(not_run("ingest", "sources and rows accepted"))
    else:
        sources = sorted(_sources(ingest), key=lambda s: str(s["source"]))
        sec.blocks.append(Paragraph(
            f"{len(sources)} agency extract(s) were read, validated and pseudonymised. Rows that "
            "failed validation were quarantined (kept aside with the reason), not silently dropped."))
        rows = [{c.key: s.get(c.key) for c in SOURCE_COLUMNS} for s in sources]
        sec.blocks.append(Table("data-sources", "Rows read, accepted and quarantined by source",
                                SOURCE_COLUMNS, rows, total_row=True))  # read = accepted + quarantined + out of scope
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
        return sec
    methods = get(link, LINK_METHODS) or {}  # method → records
    mrows = [{"method": k, "records": v} for k, v in sorted(methods.items())]
    if mrows:
        table = Table("data-linkage", "Records linked to people, by method",
                      [Column("method", "Linkage method"),
                       Column("records", "Records", "count", count=True, total=True)],
                      mrows, total_row=True)
        sec.blocks.append(table)
        sec.blocks.append(Chart("chart-data-linkage", "Records by linkage method",
                                charts.hbar("Records by linkage method", ctx.shown(table), "method", "records",
                                            "Records", fmt=",d")))
    per_source = get(link, LINK_PER_SOURCE)
    if isinstance(per_source, dict) and per_source and all(isinstance(v, dict) for v in per_source.values()):
        methods_seen = sorted({m for v in per_source.values() for m in v})
        cols = [Column("source", "Source")] + [Column(m, m.replace("_", " "), "count", count=True, total=True)
                                               for m in methods_seen]
        rows = [{"source": src, **{m: per_source[src].get(m, 0) for m in methods_seen}}
                for src in sorted(per_source)]
        sec.blocks.append(Table("data-linkage-sources", "Records by source and linkage method", cols, rows,
                                total_row=True))
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
    return sec
