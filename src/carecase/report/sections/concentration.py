"""Concentration of spend, for the whole-system cost audit section (out/audit/concentration,
top_n and lorenz): the concentration table and Gini coefficient, the top-N people (one group in
shared reports, one row per person only in internal ones) and the Lorenz curve.

In shared reports the three are disclosed together: the concentration table's groups take
precedence, and neither the top-N group nor a point of the Lorenz curve may differ from a
group shown there by 1..threshold people (their difference would be those few people's cost)
or give back a group hidden there."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from carecase.report import charts
from carecase.report.content import Block, Chart, Column, Note, Paragraph, Table, is_missing
from carecase.report.loaders import get, pick
from carecase.report.sections.common import Context, F, frame_table, missing_table
from carecase.report.suppression import nested_groups

# file → columns → block, in one place
# internal reports only: one row per person (shared reports show the group, TOP_GROUP)
TOP_N = [F("rank", "Rank", "int"), F("person_id", "Person (pseudonymous)", "text"),
         F("cost", "Cost", "gbp"), F("fiscal_cost", "Fiscal cost", "gbp"),
         F("economic_cost", "Economic cost", "gbp"), F("weeks", "Weeks", "num"),
         F("cost_per_week", "Cost per week", "gbp2")]
TOP_GROUP = [Column("group", "Group"), Column("people", "People", "int"), Column("cost", "Cost", "gbp"),
             Column("fiscal_cost", "Fiscal cost", "gbp"), Column("economic_cost", "Economic cost", "gbp"),
             Column("cost_per_person", "Cost per person", "gbp"),
             Column("cost_per_week", "Cost per week (group)", "gbp2"),
             Column("cost_per_person_week", "Cost per person per week", "gbp2"),
             Column("share_of_cost", "Share of all spend", "pct")]
CONCENTRATION = [F("group", "Highest-cost group", "text", source="measure"),
                 F("people", "People", "count", count=True),
                 F("cost", "Cost", "gbp", from_count="people"),
                 # share × the published total spend = the group's cost: hidden with it
                 F("share_of_cost", "Share of spend", "pct", source="value", from_count="people")]


# The fiscal / economic split of a cost. Economic cost comes from a few services only (in
# the default library, adult social care's self-funded third), so in any row it is those
# services' cost for that row's people: the cohort's or the top group's economic cost gave
# back adult social care's cost for them (with no count to suppress), and the all-people
# row's gave back a hidden agency's cost (complementary suppression assumes no column is a
# known structural zero). Shared reports show the total cost only; internal reports the split.
COST_SPLIT = ("fiscal_cost", "economic_cost")


def audit_table(ctx: Context, name: str) -> pd.DataFrame | None:
    """An audit table for this report: in shared reports without the fiscal/economic split."""
    df = ctx.outs.table("audit", name)
    if df is None or ctx.mode == "internal":
        return df
    return df.drop(columns=[c for c in df.columns if str(c).lower() in COST_SPLIT])


def _gini_row_value(conc: pd.DataFrame | None, column: str) -> Any:
    """``column`` of the concentration table's Gini row (which covers everyone), or None."""
    if conc is None:
        return None
    label, col = pick(conc, "measure"), pick(conc, column)
    if not (label and col):
        return None
    gini_row = conc[conc[label].astype(str).str.lower() == "gini"]
    return gini_row[col].iloc[0] if len(gini_row) else None


def population_size(summary: dict[str, Any], conc: pd.DataFrame | None) -> int | None:
    """People in the population the concentration and Lorenz curve rank (zero-cost people
    included): the audit summary's ``people``, else the concentration table's Gini row."""
    n = get(summary, "people")
    if n is None:
        n = _gini_row_value(conc, "people")
    return int(n) if n is not None and pd.notna(n) else None


def total_spend(summary: dict[str, Any], conc: pd.DataFrame | None) -> float | None:
    """All spend over the period: the audit summary's ``total_cost``, else the Gini row's cost."""
    total = get(summary, "total_cost")
    if total is None:
        total = _gini_row_value(conc, "cost")
    return float(total) if total is not None and pd.notna(total) else None


def _group_size(v: Any) -> int | None:
    return None if is_missing(v) or isinstance(v, str) else int(v)


def concentration_groups(t: Table) -> tuple[list[tuple[int, int]], list[int]]:
    """(row, people) of the concentration rows whose cost or share is shown, and the sizes
    of the rows whose cost and share are hidden. A top group's cost or share (with the total
    spend) is the same figure as a point of the Lorenz curve and, less another top group,
    the cost of the people between them."""
    money = [k for k in ("cost", "share_of_cost") if any(c.key == k for c in t.columns)]
    shown: list[tuple[int, int]] = []
    hidden: list[int] = []
    for i, r in enumerate(t.rows):
        k = _group_size(r.get("people"))
        if k is None or not money:
            continue
        if all((i, m) in t.hidden for m in money):
            hidden.append(k)
        else:
            shown.append((i, k))
    return shown, hidden


def protect_concentration(ctx: Context, t: Table, population: int | None) -> tuple[list[int], list[int]]:
    """Disclose the concentration table; in shared reports also withhold a top group whose
    size differs from another shown group's (or from the whole population) by 1..threshold
    people (their difference would be those few people's cost). Returns the sizes of the
    groups shown and hidden."""
    threshold = ctx.config.suppression.threshold
    while True:
        ctx.shown(t)
        shown, hidden = concentration_groups(t)
        if ctx.mode == "internal":
            return [k for _, k in shown], hidden
        ok = nested_groups([k for _, k in shown], threshold, population)
        new = {(i, "people") for (i, _), good in zip(shown, ok, strict=True) if not good} - t.withheld
        if not new:
            return [k for _, k in shown], hidden
        t.withheld |= new


def top_group(ctx: Context, top: pd.DataFrame, summary: dict[str, Any], total: float | None) -> dict[str, Any]:
    """The top-N people as one group: their number, cost (fiscal, economic), cost per person,
    cost per week (the group's cost ÷ the weeks of the period) and share of all spend."""
    head = top.sort_values(pick(top, "rank"), kind="mergesort") if pick(top, "rank") else top
    head = head.head(ctx.config.top_n)
    n = len(head)
    row: dict[str, Any] = {"group": f"The {n} highest-cost people", "people": n}
    for key in ("cost", "fiscal_cost", "economic_cost"):
        c = pick(head, key)
        if c is not None:
            row[key] = float(pd.to_numeric(head[c], errors="coerce").fillna(0.0).sum())
    wc = pick(head, "weeks")
    weeks = float(head[wc].iloc[0]) if wc is not None and n and pd.notna(head[wc].iloc[0]) \
        else get(get(summary, "window", default={}), "weeks")
    cost = row.get("cost")
    if cost is not None and n:
        row["cost_per_person"] = cost / n
        if weeks:
            row["cost_per_week"] = cost / float(weeks)
            row["cost_per_person_week"] = cost / float(weeks) / n
        if total:
            row["share_of_cost"] = cost / total
    row["weeks"] = float(weeks) if weeks else None
    return row


def top_group_blocks(ctx: Context, row: dict[str, Any], shown: bool, reason: str) -> list[Block]:
    if not shown:
        return [Note(f"The {row['people']} highest-cost people are not shown in a shared report: {reason}. "
                     "Their figures are in the internal report.")]
    cols = [c for c in TOP_GROUP if row.get(c.key) is not None]
    weeks = row.get("weeks")
    note = ("The group's cost over the period, its cost per person, and its cost per week = the group's cost "
            f"÷ {weeks:,.4g} weeks (52 a year)" if weeks else "The group's cost over the period")
    note += "; share of all spend = the group's cost ÷ all spend over the period."
    if ctx.mode != "internal":
        thr = ctx.config.suppression.threshold
        note += (" Shared reports show the highest-cost people as one group, never one row per person, and only "
                 f"when the group holds more than {thr} people and differs from every group in "
                 f"'Concentration of spend' by 0 or more than {thr} people.")
    return [Table("audit-top-n-group", f"The {row['people']} highest-cost people as a group", cols,
                  [{c.key: row.get(c.key) for c in cols}], note=note)]


#: decimal places of a shared report's Lorenz points (0.1%)
SHARE_DIGITS = 3


def lorenz_rows(ctx: Context, lor: pd.DataFrame, population: int | None, published: list[int],
                forbidden: list[int]) -> tuple[list[dict[str, Any]], int]:
    """Chart rows {people_share, cost_share} and how many of the stage's points were left out.

    Shared reports keep only points at whole numbers of people (the stage interpolates
    between people: two points within one person's step give that person's cost back) whose
    "top k" group differs from every other point kept, from the groups published in the
    concentration table and the top-N group (and from nobody and from everybody) by 0 or
    more than threshold people, and is not a group the concentration table hides."""
    x, y = pick(lor, "population_share"), pick(lor, "cost_share")
    assert x is not None and y is not None
    pts = sorted((float(a), float(b)) for a, b in zip(lor[x], lor[y], strict=True) if pd.notna(a) and pd.notna(b))
    if ctx.mode == "internal":
        return [{"people_share": a, "cost_share": b} for a, b in pts], 0
    if population is None:
        return [], len(pts)
    whole = [(a, b, population - round(a * population)) for a, b in pts
             if abs(a * population - round(a * population)) < 1e-6]
    ok = nested_groups([k for _, _, k in whole], ctx.config.suppression.threshold, population, published, forbidden)
    # to 0.1%, as a reader sees them: a share at full precision (40/4,002 = 0.009995002...)
    # gave back the exact number of people, which the report shows rounded
    rows = [{"people_share": round(a, SHARE_DIGITS), "cost_share": round(b, SHARE_DIGITS)}
            for (a, b, _), good in zip(whole, ok, strict=True) if good]
    return rows, len(pts) - len(rows)


@dataclass
class SpendConcentration:
    """The concentration part of the audit section, disclosed: its blocks in report order
    (the top-N group, and in internal reports one row per person; the concentration table;
    the Gini coefficient; the Lorenz curve), and the figures the section's headline names."""

    blocks: list[Block]
    table: Table | None  # the concentration table (out/audit/concentration less its Gini row)
    group: dict[str, Any] | None  # the top-N group, when shown (see top_group)
    gini: Any  # the Gini coefficient: the concentration table's Gini row, else the summary's


def spend_concentration(ctx: Context, summary: dict[str, Any]) -> SpendConcentration:
    """The concentration table, the top-N people and the Lorenz curve from out/audit, with
    ``summary`` (out/audit/summary.json) for the population size, total spend and Gini."""
    internal = ctx.mode == "internal"
    threshold = ctx.config.suppression.threshold
    conc = audit_table(ctx, "concentration")
    population, total = population_size(summary, conc), total_spend(summary, conc)

    # the concentration table first: its groups take precedence over the top-N group and the
    # Lorenz curve's points, which must not give back a group it hides
    gini = get(summary, "gini")
    conc_table: Table | None = None
    conc_shown: list[int] = []
    conc_hidden: list[int] = []
    if conc is not None:
        label, value = pick(conc, "measure"), pick(conc, "value")
        if label and value:
            is_gini = conc[label].astype(str).str.lower() == "gini"
            if is_gini.any():
                gini = float(conc.loc[is_gini, value].iloc[0])
            conc = conc[~is_gini]
        conc_table = frame_table("audit-concentration", "Concentration of spend", conc, CONCENTRATION, extra=True)
        conc_shown, conc_hidden = protect_concentration(ctx, conc_table, population)
        if conc_table.withheld:
            conc_table.note = (f"Shared report: a group whose size differs from another group's by 1–{threshold} "
                               "people is hidden (the difference would be those people's cost).")

    top = audit_table(ctx, "top_n")
    blocks: list[Block] = []
    group: dict[str, Any] | None = None
    if top is None:
        blocks.append(missing_table("audit", "top_n"))
    else:
        group = top_group(ctx, top, summary, total)
        group_shown, reason = True, ""
        if not group["people"]:
            group_shown, reason = False, "out/audit/top_n.parquet has no rows"
        elif not internal:
            n = int(group["people"])
            if n <= threshold:
                group_shown, reason = False, f"a group of 1–{threshold} people is not published"
            elif not nested_groups([n], threshold, population, conc_shown, conc_hidden)[0]:
                group_shown = False
                reason = (f"their cost would differ from that of a group in 'Concentration of spend' by the "
                          f"cost of 1–{threshold} people (or give back a group hidden there)")
        blocks.extend(top_group_blocks(ctx, group, group_shown, reason))
        if not group_shown:
            group = None
        if internal:  # one row per person: internal reports only
            blocks.append(frame_table(
                "audit-top-n", f"The {ctx.config.top_n} highest-cost people", top.head(ctx.config.top_n),
                TOP_N, sort_by=["rank"], keep_ids=("person_id",),
                note="Cost per week = cost over the period ÷ weeks observed in the period. Internal report only: "
                     "shared reports show these people as a group."))

    if gini is not None:
        sentence = (f"Gini coefficient of cost per person: {float(gini):.2f} "
                    "(0 = everyone costs the same; 1 = one person accounts for all spend).")
        if conc_table is not None:  # the table's note, so the workbook's sheet has it too
            conc_table.note = f"{sentence} {conc_table.note}".strip()
        else:
            blocks.append(Paragraph(sentence))
    if conc_table is not None:
        blocks.append(conc_table)
    lor = audit_table(ctx, "lorenz")
    if lor is not None and pick(lor, "population_share") and pick(lor, "cost_share"):
        published = conc_shown + ([int(group["people"])] if group is not None else [])
        rows, left_out = lorenz_rows(ctx, lor, population, published, conc_hidden)
        if not internal and len(rows) < 3:
            why = ("the population size is not in out/audit/summary.json" if population is None else
                   f"no point of out/audit/lorenz lies at a whole number of people with more than {threshold} "
                   "people to the next")
            blocks.append(Note(f"The Lorenz curve is not shown in a shared report: {why}.", kind="info"))
        else:
            description = ""
            if left_out:
                description = (f"Shared report: drawn through points at whole numbers of people, each step holding "
                               f"more than {threshold} people, leaving out any that would give back a group hidden "
                               "in 'Concentration of spend' (points within the highest-cost people would give "
                               "single people's costs back).")
            blocks.append(Chart("chart-audit-lorenz", "Lorenz curve of spend",
                                charts.lorenz("Lorenz curve of spend", rows, "people_share", "cost_share"),
                                description))
    return SpendConcentration(blocks, conc_table, group, gini)
