"""Whole-system cost audit section (out/audit/*.parquet): the top-N people with cost per week
(one group in shared reports, one row per person only in internal ones), concentration and
the Lorenz curve, cost by agency, area of need, year and locality."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from carecase.report import charts
from carecase.report.content import (
    Block,
    Chart,
    Column,
    Note,
    Paragraph,
    Section,
    Table,
    is_missing,
)
from carecase.report.loaders import get, pick
from carecase.report.sections.common import Context, F, frame_table, missing_table, not_run
from carecase.report.suppression import disclose_counts, nested_groups

# file → columns → block, in one place. People are not totalled: one person uses several
# agencies/services, so a column sum would count them more than once.
COST_PARTS = [F("cost", "Cost", "gbp", total=True, from_count="people"),
              F("fiscal_cost", "Fiscal cost", "gbp", total=True, from_count="people"),
              F("economic_cost", "Economic cost", "gbp", total=True, from_count="people"),
              F("share_of_cost", "Share of cost", "pct", from_count="people"),
              F("activity", "Activity (units)", "num", from_count="people")]
AGENCY = [F("agency_l1", "Agency", "text"), F("agency_l2", "Part of agency", "text"),
          F("people", "People", "count", count=True),
          F("events", "Events", "count", count=True, total=True), *COST_PARTS]
SERVICE = [F("service_code", "Service", "text"), F("agency_l1", "Agency", "text"),
           F("agency_l2", "Part of agency", "text"), F("area_of_need", "Area of need", "text"),
           F("people", "People", "count", count=True),
           F("events", "Events", "count", count=True, total=True), *COST_PARTS]
NEED = [F("area_of_need", "Area of need", "text"),
        F("people", "People", "count", count=True), *COST_PARTS]
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
COHORT = [F("group", "Group", "text"),
          F("people", "People", "count", count=True),
          F("people_with_cost", "People with any cost", "count", count=True),
          F("cost", "Cost", "gbp", from_count="people"),
          F("fiscal_cost", "Fiscal cost", "gbp", from_count="people"),
          F("economic_cost", "Economic cost", "gbp", from_count="people"),
          F("cost_per_person", "Cost per person", "gbp", from_count="people"),
          F("cost_per_person_year", "Cost per person-year", "gbp", from_count="people")]
CONCENTRATION = [F("group", "Highest-cost group", "text", source="measure"),
                 F("people", "People", "count", count=True),
                 F("cost", "Cost", "gbp", from_count="people"),
                 # share × the published total spend = the group's cost: hidden with it
                 F("share_of_cost", "Share of spend", "pct", source="value", from_count="people")]
LOCALITY = [F("locality", "Locality", "text"), F("service", "Demand", "text", source="demand"),
            F("people", "People", "count", count=True),
            F("cost", "Cost", "gbp", total=True, from_count="people"),
            F("fiscal_cost", "Fiscal cost", "gbp", from_count="people"),
            F("economic_cost", "Economic cost", "gbp", from_count="people"),
            F("activity", "Activity (units)", "num", from_count="people"),
            F("cost_per_person", "Cost per person", "gbp", from_count="people")]
YEAR_AGENCY = ("year_label", "agency_l1", "cost")
YEAR_AGENCY_KEYS = ("agency_l1", "agency_l2")  # the agency parts a year's cost is split by
COHORT_GROUPS = ("all", "cohort", "rest")  # 'all' = cohort + rest of population


def cohort_relation(t: Table) -> tuple[int, ...] | None:
    """Row indices (all, cohort, rest) of the cohort table, when it has exactly those rows."""
    names = [str(r.get("group", "")).strip().lower() for r in t.rows]
    found = [next((i for i, n in enumerate(names) if n == g or (g == "rest" and n.startswith("rest"))), None)
             for g in COHORT_GROUPS]
    if len(names) != len(COHORT_GROUPS) or any(i is None for i in found):
        return None
    return tuple(i for i in found if i is not None)


def _hidden_agency_parts(agency: Table | None, keys: list[str]) -> set[tuple[str, ...]]:
    """(agency_l1[, agency_l2]) of the cost-by-agency rows whose cost is hidden; keys the
    year table has that the agency table lacks are left out of the match."""
    if agency is None:
        return set()
    have = [k for k in keys if any(c.key == k for c in agency.columns)]
    return {tuple(str(agency.rows[i].get(k)) for k in have) for i in range(len(agency.rows))
            if (i, "cost") in agency.hidden}


def year_agency_rows(ctx: Context, ya: pd.DataFrame, agency: Table | None) -> tuple[list[dict[str, Any]], int]:
    """Chart rows {year, agency, cost} from out/audit/cost_by_year_agency and how many
    year × agency parts were left out.

    Shared reports: each year × agency part (agency_l1 × agency_l2 where the stage splits by
    part) is a cell whose count is its people; a part is left out when its people are
    1..threshold, when the cost-by-agency table hides that agency (its yearly parts would add
    up to the hidden cost) and, by secondary suppression across years and across agencies,
    when it would let such a part be worked out (an agency's years add up to its published
    cost). A bar is the sum of the parts shown."""
    year, l1, cost = (pick(ya, c) for c in YEAR_AGENCY)
    assert year is not None and l1 is not None and cost is not None
    l2, people = pick(ya, "agency_l2"), pick(ya, "people")
    keys = [l1] + ([l2] if l2 else [])
    names = list(YEAR_AGENCY_KEYS[:len(keys)])
    df = ya.assign(**{c: ya[c].astype(str) for c in (year, *keys)})
    if ctx.mode == "internal":
        rows = df[[year, l1, cost]].set_axis(["year", "agency", "cost"], axis=1)
        return (rows.groupby(["year", "agency"], as_index=False)["cost"].sum()
                .sort_values(["year", "agency"], kind="mergesort").to_dict("records")), 0
    years = sorted(df[year].unique().tolist())
    parts = sorted({tuple(r) for r in df[keys].itertuples(index=False, name=None)})
    pos_y = {y: j for j, y in enumerate(years)}
    pos_p = {p: i for i, p in enumerate(parts)}
    money = np.full((len(parts), len(years)), np.nan)
    count = np.full((len(parts), len(years)), np.nan)
    for rec in df.to_dict("records"):
        i, j = pos_p[tuple(rec[k] for k in keys)], pos_y[rec[year]]
        money[i, j] = (0.0 if np.isnan(money[i, j]) else money[i, j]) + float(rec[cost])
        n = float(rec[people]) if people is not None and pd.notna(rec[people]) else np.nan
        # two rows for one part: at least the larger number of people (never more than exact)
        count[i, j] = n if np.isnan(count[i, j]) else max(count[i, j], n)
    hidden_parts = _hidden_agency_parts(agency, names)
    have = [k for k in names if agency is not None and any(c.key == k for c in agency.columns)]
    forced = np.zeros(money.shape, dtype=bool)
    for p, i in pos_p.items():
        if tuple(v for v, k in zip(p, names, strict=True) if k in have) in hidden_parts:
            forced[i, :] = ~np.isnan(money[i, :])  # the years it has (an absent year is no cell)
    forced |= ~np.isnan(money) & np.isnan(count)  # a cost with no people count: cannot be shown
    disc = disclose_counts(count, ctx.config.suppression, (0, 1), forced=forced)
    left_out = int((disc.hidden & ~np.isnan(money)).sum())
    rows = []
    for y, j in pos_y.items():
        for a in sorted({p[0] for p in parts}):
            shown = [money[i, j] for p, i in pos_p.items() if p[0] == a
                     and not disc.hidden[i, j] and not np.isnan(money[i, j])]
            if shown:
                rows.append({"year": y, "agency": a, "cost": float(sum(shown))})
    return rows, left_out


def year_agency_chart(ctx: Context, ya: pd.DataFrame, agency: Table | None) -> list[Block]:
    if ctx.mode != "internal" and pick(ya, "people") is None:
        return [Note("Cost by year and agency is not shown: out/audit/cost_by_year_agency has no people "
                     "count, so small numbers could not be suppressed.", kind="warning")]
    rows, left_out = year_agency_rows(ctx, ya, agency)
    note = ""
    if left_out:
        note = (f"Shared report: parts of an agency's yearly cost that rest on 1–{ctx.config.suppression.threshold} "
                "people, or that would let such a cost be worked out from another figure, are left out of the bars.")
    return [Chart("chart-audit-year-agency", "Cost by year and agency",
                  charts.stacked_bars("Cost by year and agency", rows, "year", "cost", "agency"), note)]


def population_size(summary: dict[str, Any], conc: pd.DataFrame | None) -> int | None:
    """People in the population the concentration and Lorenz curve rank (zero-cost people
    included): the audit summary's ``people``, else the concentration table's Gini row."""
    n = get(summary, "people")
    if n is None and conc is not None:
        label, people = pick(conc, "measure"), pick(conc, "people")
        if label and people:
            gini_row = conc[conc[label].astype(str).str.lower() == "gini"]
            n = gini_row[people].iloc[0] if len(gini_row) else None
    return int(n) if n is not None and pd.notna(n) else None


def total_spend(summary: dict[str, Any], conc: pd.DataFrame | None) -> float | None:
    """All spend over the period: the audit summary's ``total_cost``, else the Gini row's cost."""
    total = get(summary, "total_cost")
    if total is None and conc is not None:
        label, cost = pick(conc, "measure"), pick(conc, "cost")
        if label and cost:
            gini_row = conc[conc[label].astype(str).str.lower() == "gini"]
            total = gini_row[cost].iloc[0] if len(gini_row) else None
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
    rows = [{"people_share": a, "cost_share": b} for (a, b, _), good in zip(whole, ok, strict=True) if good]
    return rows, len(pts) - len(rows)


def shared_headline(summary: dict[str, Any], group: dict[str, Any] | None, conc: Table | None,
                    gini: Any) -> str | None:
    """The audit headline rebuilt from the figures the shared report shows (the stage's
    headline names the top-N group's cost and the top 10%'s share whether or not they are
    hidden here); None without the summary's total_cost and people."""
    total, people = get(summary, "total_cost"), get(summary, "people")
    if total is None or people is None:
        return None
    text = f"£{float(total):,.0f} across {int(people):,} people"
    window = get(summary, "window", default={})
    start, end = get(window, "start"), get(window, "end_inclusive")
    if start and end:
        text += f", {start} to {end}"
    if group is not None and group.get("cost_per_week") is not None:
        text += f"; the {group['people']} highest-cost people cost £{group['cost_per_week']:,.2f} a week"
    if conc is not None:
        for i, r in enumerate(conc.shown):
            share = r.get("share_of_cost")
            if str(r.get("group", "")).lower() == "top 10%" and share is not None and (i, "share_of_cost") not in conc.hidden:
                text += f"; the top 10% of people account for {float(share):.0%} of cost"
    if gini is not None:
        text += f" (Gini {float(gini):.2f})"
    return text


def build(ctx: Context) -> Section:
    outs = ctx.outs
    sec = Section("audit", "Whole-system cost audit")
    if not outs.has_stage("audit"):
        sec.blocks.append(not_run("audit", "the whole-system cost audit"))
        return sec
    internal = ctx.mode == "internal"
    threshold = ctx.config.suppression.threshold
    summary = outs.json("audit", "summary.json") or {}
    conc = outs.table("audit", "concentration")
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

    top = outs.table("audit", "top_n")
    top_blocks: list[Block] = []
    group: dict[str, Any] | None = None
    if top is None:
        top_blocks.append(missing_table("audit", "top_n"))
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
        top_blocks.extend(top_group_blocks(ctx, group, group_shown, reason))
        if not group_shown:
            group = None
        if internal:  # one row per person: internal reports only
            top_blocks.append(frame_table(
                "audit-top-n", f"The {ctx.config.top_n} highest-cost people", top.head(ctx.config.top_n),
                TOP_N, sort_by=["rank"], keep_ids=("person_id",),
                note="Cost per week = cost over the period ÷ weeks observed in the period. Internal report only: "
                     "shared reports show these people as a group."))

    headline = summary.get("headline") if internal else shared_headline(summary, group, conc_table, gini)
    if headline:
        sec.blocks.append(Paragraph(str(headline)))
    sec.blocks.extend(top_blocks)
    if conc_table is not None:
        sec.blocks.append(conc_table)
    if gini is not None:
        sec.blocks.append(Paragraph(f"Gini coefficient of cost per person: {float(gini):.2f} "
                                    "(0 = everyone costs the same; 1 = one person accounts for all spend)."))
    lor = outs.table("audit", "lorenz")
    if lor is not None and pick(lor, "population_share") and pick(lor, "cost_share"):
        published = conc_shown + ([int(group["people"])] if group is not None else [])
        rows, left_out = lorenz_rows(ctx, lor, population, published, conc_hidden)
        if not internal and len(rows) < 3:
            why = ("the population size is not in out/audit/summary.json" if population is None else
                   f"no point of out/audit/lorenz lies at a whole number of people with more than {threshold} "
                   "people to the next")
            sec.blocks.append(Note(f"The Lorenz curve is not shown in a shared report: {why}.", kind="info"))
        else:
            description = ""
            if left_out:
                description = (f"Shared report: drawn through points at whole numbers of people, each step holding "
                               f"more than {threshold} people, leaving out any that would give back a group hidden "
                               "in 'Concentration of spend' (points within the highest-cost people would give "
                               "single people's costs back).")
            sec.blocks.append(Chart("chart-audit-lorenz", "Lorenz curve of spend",
                                    charts.lorenz("Lorenz curve of spend", rows, "people_share", "cost_share"),
                                    description))

    agency_table: Table | None = None
    for name, fields, tid, title, cat in (
        ("cost_by_agency", AGENCY, "audit-agency", "Cost by agency", "agency_l1"),
        ("cost_by_need", NEED, "audit-need", "Cost by area of need", "area_of_need"),
        ("cost_by_service", SERVICE, "audit-service", "Cost by service", "service_code"),
    ):
        df = outs.table("audit", name)
        if df is None:
            sec.blocks.append(missing_table("audit", name))
            continue
        t = frame_table(tid, title, df, fields, extra=True, total_row=True, protect_rows=False,
                        sort_by=[cat])
        sec.blocks.append(t)
        shown = ctx.shown(t)
        if name == "cost_by_agency":
            agency_table = t
        if {cat, "cost"} <= {c.key for c in t.columns}:
            rows = [{cat: r[cat], "cost": r["cost"]} for r in shown]
            sec.blocks.append(Chart(f"chart-{tid}", title, charts.hbar(title, rows, cat, "cost")))

    ya = outs.table("audit", "cost_by_year_agency")
    if ya is not None and all(pick(ya, c) for c in YEAR_AGENCY):
        sec.blocks.extend(year_agency_chart(ctx, ya, agency_table))

    coh = outs.table("audit", "cohort_vs_population")
    if coh is not None:
        t = frame_table("audit-cohort", "Programme cohort compared with the population",
                        coh, COHORT, extra=True, protect_columns=False,
                        note="'all' = cohort + rest of population.")
        relation = cohort_relation(t)
        if relation is None:
            t.protect_columns = True  # unknown groups: protect the whole column
        else:
            t.relations = [relation]  # a hidden cohort cell hides its rest-of-population cell too
        sec.blocks.append(t)
    loc = outs.table("audit", "locality_demand")
    if loc is not None:
        sec.blocks.append(frame_table("audit-locality", "Residential and temporary accommodation demand by locality",
                                      loc, LOCALITY, extra=True, total_row=True, sort_by=["locality", "service"], protect_rows=False))
    return sec
