"""The Data section's match rates by source and group (out/link/summary.json
``match_rates``, ``match_rate_gaps``; docs/linkage.md "Match rates by group").

Only sources some of whose records were not linked on an NHS number or lookup are shown: a
source linked wholly on identifiers links every record. The table's counts are protected by
the Data section's joint secondary suppression (:func:`lines`): each row (records = linked +
unlinked), each group's levels (they add up to the source's ``all`` row), and the ``all`` row
against the figures the other Data tables publish for the source.
"""

from __future__ import annotations

from typing import Any

from carecase.link.match_rates import GAP, MIN_RECORDS
from carecase.report.content import Column, Paragraph, Table
from carecase.report.disclose import CountCells
from carecase.report.loaders import get

GROUP_LABELS = {"all": "All records", "age_band": "Age band", "sex": "Sex",
                "deprivation_decile": "Deprivation decile (1 = most deprived)"}
DETERMINISTIC = ("nhs_number", "lookup")
COLUMNS = [
    Column("source", "Source"), Column("group", "Group"), Column("level", "Level"),
    Column("records", "Records", "count", count=True),
    Column("linked", "Linked", "count", count=True),
    Column("unlinked", "Unlinked", "count", count=True),
    Column("linked_share", "Share linked", "pct", hidden_with=("records", "linked", "unlinked")),
]
COUNTS = ("records", "linked", "unlinked")


def _level_key(level: str) -> tuple[int, Any]:
    if level.isdigit():
        return (0, int(level))
    return (2, level) if level == "not known" else (1, level)


def table(link: Any) -> Table | None:
    rows = [r for r in get(link, "match_rates") or [] if isinstance(r, dict)]
    overall = {r["source"]: r for r in rows if r.get("group") == "all"}
    shown = {s for s, r in overall.items()
             if int(r.get("records") or 0) > sum(int(r.get(m) or 0) for m in DETERMINISTIC)}
    groups = list(GROUP_LABELS)
    keep = sorted((r for r in rows if r.get("source") in shown and r.get("group") in GROUP_LABELS),
                  key=lambda r: (str(r["source"]), groups.index(r["group"]), _level_key(str(r["level"]))))
    if not keep:
        return None
    out = [{"source": r["source"], "group": GROUP_LABELS[r["group"]],
            "level": "" if r["group"] == "all" else r["level"],
            **{k: r.get(k) for k in (*COUNTS, "linked_share")}} for r in keep]
    relations = []
    for i, r in enumerate(keep):
        if r["group"] == "all":
            for g in groups[1:]:
                relations.append((i, *[j for j, x in enumerate(keep) if x["source"] == r["source"]
                                       and x["group"] == g]))
    return Table("data-linkage-groups", "Records linked by source and group", COLUMNS, out,
                 protect_columns=False, relations=relations,
                 note="Groups come from each record's own details (age at its own date, its own "
                      "postcode's deprivation decile): out/link/match_rates. Sources linked wholly "
                      "on NHS numbers or ID lookups are not shown.")


def lines(cell: CountCells, rates: Table, sources: Table | None, per_source: Table | None) -> list[list[int]]:
    """The lines (cells that add up, or equal figures) of ``rates`` for the Data section's
    joint secondary suppression."""
    out = [[cell(rates, i, k) for k in COUNTS] for i in range(len(rates.rows))]
    out += [[cell(rates, i, k) for i in group] for group in rates.relations for k in COUNTS]
    src_row = {str(r.get("source")): i for i, r in enumerate(sources.rows)} if sources is not None else {}
    per_row = ({str(r.get("source")): i for i, r in enumerate(per_source.rows)}
               if per_source is not None else {})
    methods = [c.key for c in per_source.columns if c.count] if per_source is not None else []
    for i, r in enumerate(rates.rows):
        if r["group"] != GROUP_LABELS["all"]:
            continue
        j = src_row.get(str(r["source"]))
        if sources is not None and j is not None:  # the source's accepted rows
            out.append([cell(rates, i, "records"), cell(sources, j, "rows_accepted")])
        k = per_row.get(str(r["source"]))
        if per_source is not None and k is not None:  # its records by method
            out.append([cell(rates, i, "linked")] + [cell(per_source, k, m) for m in methods if m != "unlinked"])
            if "unlinked" in methods:
                out.append([cell(rates, i, "unlinked"), cell(per_source, k, "unlinked")])
    return out


def gaps_paragraph(link: Any, rates: Table, internal: bool) -> Paragraph:
    """A plain sentence naming the levels linked markedly less often than their source."""
    shown = {str(r["source"]) for r in rates.rows}
    flagged = [g for g in get(link, "match_rate_gaps") or []
               if isinstance(g, dict) and str(g.get("source")) in shown]
    if not flagged:
        return Paragraph(f"No group with {MIN_RECORDS} or more records was linked more than "
                         f"{GAP * 100:.0f} percentage points less often than its source as a whole.")

    def name(g: dict[str, Any]) -> str:
        what = f"{GROUP_LABELS.get(g['group'], g['group']).lower()} {g['level']}"
        if internal:
            return (f"{g['source']}: {what} ({g['linked_share']:.0%} linked against "
                    f"{g['source_linked_share']:.0%})")
        return f"{g['source']}: {what}"
    return Paragraph(
        f"Possible source of bias: these groups were linked more than {GAP * 100:.0f} percentage points "
        f"less often than their source as a whole — {'; '.join(name(g) for g in flagged)}. Their records are "
        "likelier to be missing from the people the evaluation compares, so compare their results "
        "with caution.")
