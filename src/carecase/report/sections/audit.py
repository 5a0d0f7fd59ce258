"""Whole-system cost audit section (out/audit/*.parquet): the headline, cost by agency,
area of need, service, year and locality, and the programme cohort beside the population.
The concentration of spend (the top-N people, the concentration table and the Lorenz curve)
is built in :mod:`carecase.report.sections.concentration`."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from carecase.core.dates import fiscal_year_label
from carecase.report import charts
from carecase.report.complements import joint_complements
from carecase.report.config import SuppressionConfig
from carecase.report.content import Block, Chart, Note, Paragraph, Section, Table
from carecase.report.disclose import CountCells, as_float
from carecase.report.loaders import get, pick
from carecase.report.relations import close_gaps, protect_magnitudes, protection_level
from carecase.report.sections.common import Context, F, frame_table, missing_table, not_run
from carecase.report.sections.concentration import (
    CONCENTRATION,
    COST_SPLIT,
    TOP_GROUP,
    TOP_N,
    audit_table,
    concentration_groups,
    lorenz_rows,
    population_size,
    protect_concentration,
    spend_concentration,
    top_group,
    top_group_blocks,
    total_spend,
)
from carecase.report.suppression import disclose_counts, dominated, primary_mask, round_to_base

__all__ = [  # the concentration names are re-exported: they were defined here
    "AGENCY", "COHORT", "COHORT_GROUPS", "CONCENTRATION", "COST_PARTS", "COST_SPLIT", "LOCALITY", "NEED", "SERVICE",
    "LOCALITY_DEMAND", "TOP_GROUP", "TOP_N", "YEAR_AGENCY", "YEAR_AGENCY_KEYS", "audit_table", "build", "cohort_relation",
    "concentration_groups", "lorenz_rows", "population_size", "protect_concentration", "protect_cost_tables", "shared_headline",
    "top_group", "top_group_blocks", "total_spend", "year_agency_chart", "year_agency_rows",
]

# file → columns → block, in one place. People are not totalled: one person uses several
# agencies/services, so a column sum would count them more than once.
COST_PARTS = [F("cost", "Cost", "gbp", total=True, from_count="people"),
              F("fiscal_cost", "Fiscal cost", "gbp", total=True, from_count="people"),
              F("economic_cost", "Economic cost", "gbp", total=True, from_count="people"),
              F("share_of_cost", "Share of cost", "pct", from_count="people")]
# activity is in the unit each service was costed in (attendances, bed days, episodes, hours,
# weeks, years: the audit's activity_unit, beside it): shown per service only, never added up
# across services (an agency's "45,214 units" mixed them). Not "the service's own unit": a
# non-elective admission costed per episode counts episodes, not its catalogue unit's bed
# days, and drug treatment costed per year counts years, not weeks
AGENCY = [F("agency_l1", "Agency", "text"), F("agency_l2", "Part of agency", "text"),
          F("people", "People", "count", count=True),
          F("events", "Events", "count", count=True, total=True), *COST_PARTS]
SERVICE = [F("service_code", "Service", "text"), F("agency_l1", "Agency", "text"),
           F("agency_l2", "Part of agency", "text"), F("area_of_need", "Area of need", "text"),
           F("people", "People", "count", count=True),
           F("events", "Events", "count", count=True, total=True), *COST_PARTS,
           F("activity", "Activity", "num", from_count="people"),
           F("activity_unit", "Unit of activity (as costed)", "text")]
NEED = [F("area_of_need", "Area of need", "text"),
        F("people", "People", "count", count=True), *COST_PARTS]
COHORT = [F("group", "Group", "text"),
          F("people", "People", "count", count=True),
          F("people_with_cost", "People with any cost", "count", count=True),
          F("cost", "Cost", "gbp", from_count="people"),
          F("fiscal_cost", "Fiscal cost", "gbp", from_count="people"),
          F("economic_cost", "Economic cost", "gbp", from_count="people"),
          F("cost_per_person", "Cost per person", "gbp", from_count="people"),
          F("cost_per_person_year", "Cost per person per year", "gbp", from_count="people"),
          F("person_years", "Person-years observed", "num", from_count="people"),
          F("cost_per_observed_person_year", "Cost per observed person-year", "gbp", from_count="people")]
LOCALITY = [F("locality", "Locality", "text"), F("service", "Demand", "text", source="demand"),
            F("people", "People", "count", count=True),
            F("cost", "Cost", "gbp", total=True, from_count="people"),
            F("fiscal_cost", "Fiscal cost", "gbp", from_count="people"),
            F("economic_cost", "Economic cost", "gbp", from_count="people"),
            F("activity", "Activity (weeks of residential care; nights of temporary accommodation)", "num",
              from_count="people"),
            F("cost_per_person", "Cost per person", "gbp", from_count="people")]
YEAR_AGENCY = ("year_label", "agency_l1", "cost")
YEAR_AGENCY_KEYS = ("agency_l1", "agency_l2")  # the agency parts a year's cost is split by
COHORT_GROUPS = ("all", "cohort", "rest")  # 'all' = cohort + rest of population
# locality_demand's kinds of demand and the service each is made of (carecase.audit.tables)
LOCALITY_DEMAND = {"residential care": "ASC_RESIDENTIAL", "temporary accommodation": "HOU_TEMP_ACCOM"}


#: the audit's columns of the two largest people's costs in a row (carecase.audit.tables.LARGEST):
#: read for the dominance rule, never shown
LARGEST = ("largest_person_cost", "second_person_cost")
DOMINANCE_NOTE = ("{symbol} also hides a cost that one or two people's costs make up almost all of, "
                  "whatever the number of people (a dominance rule).")


def split_dominance(ctx: Context, df: pd.DataFrame, sort_by: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """``df`` sorted by ``sort_by`` (as :func:`frame_table` sorts it, so row i stays row i)
    without the largest-people columns, and each row's upper protection level under the
    dominance rule (``suppression.dominance``; > 0 where the rule hides the row): all 0 in
    internal reports, or when the audit did not write the columns."""
    present = [c for c in sort_by if c in df.columns]
    if present:
        df = df.sort_values(present, kind="mergesort").reset_index(drop=True)
    level = np.zeros(len(df), dtype=float)
    if ctx.mode != "internal" and all(c in df.columns for c in (*LARGEST, "cost")):
        x, x1, x2 = (pd.to_numeric(df[c], errors="coerce").to_numpy(float) for c in ("cost", *LARGEST))
        rule = ctx.config.suppression.dominance
        level = np.where(dominated(x, x1, x2, rule), np.maximum(protection_level(x, x1, x2, rule), 0.01), 0.0)
    return df.drop(columns=[c for c in LARGEST if c in df.columns]), level


def withhold_rows(t: Table, level: np.ndarray, cfg: SuppressionConfig) -> None:
    """Withhold every count of the rows a dominance rule hides (``level`` > 0: their £ and
    activity follow their people), record how uncertain their £ must stay
    (``Table.protection``), and say so under the table where one of them is not a small
    number anyway."""
    level = np.asarray(level, dtype=float)
    rows = np.flatnonzero(level > 0).tolist()
    counts = [c.key for c in t.columns if c.count]
    for i in rows:
        t.withheld.update((i, key) for key in counts)
        t.protection[i] = float(level[i])
    values = np.array([[as_float(t.rows[i].get(key)) for key in counts] for i in rows], dtype=float)
    if rows and counts and not primary_mask(values, cfg.threshold).any(axis=1).all():
        t.note = f"{t.note} {DOMINANCE_NOTE.format(symbol=cfg.symbol)}".strip()


def cohort_relation(t: Table) -> tuple[int, ...] | None:
    """Row indices (all, cohort, rest) of the cohort table, when it has exactly those rows."""
    names = [str(r.get("group", "")).strip().lower() for r in t.rows]
    found = [next((i for i, n in enumerate(names) if n == g or (g == "rest" and n.startswith("rest"))), None)
             for g in COHORT_GROUPS]
    if len(names) != len(COHORT_GROUPS) or any(i is None for i in found):
        return None
    return tuple(i for i in found if i is not None)


def protect_cost_tables(agency: Table | None, need: Table | None, service: Table | None,
                        locality: Table | None, cfg: SuppressionConfig) -> None:
    """Secondary suppression across the audit's cost tables, written into each table's
    ``withheld`` cells (shared reports).

    The tables share figures: every service belongs to one agency part and one area of need
    (carecase.core.services), so an agency's (or an area of need's) £, activity and events
    are the sum of its services' in *Cost by service*, and an agency or area of need with one
    service has that service's people; the localities of one kind of demand add up to its
    service (residential care: ASC_RESIDENTIAL, temporary accommodation: HOU_TEMP_ACCOM).
    So beside each table's own count columns, each agency row with its services, each area
    of need with its services and each service of ``LOCALITY_DEMAND`` with its localities
    are lines of one secondary suppression, for every count column the tables share (people,
    and events where present): a cost hidden in one table (say temporary accommodation's, 3
    people) is not given back by another (the Housing agency's cost less homeless
    applications'). Money columns follow their people count (``from_count``).

    The complements are chosen jointly (:func:`carecase.report.complements.joint_complements`:
    the fewest rows, then the smallest, such that no line holds exactly one hidden row and no
    row hidden for what it is — a small number, or a cost the dominance rule flags — can be
    worked out from the sums, nor a dominated row's £ bounded within its upper protection
    level, ``Table.protection``); line by line, one complement at a time, one dominated
    service hid every service. Then the same sums are checked again as before
    (:mod:`carecase.report.relations`; nothing more is hidden when the joint choice met them,
    and they finish the line-by-line choice the code falls back on when the programme has no
    solution): while such a row can be worked out or bounded too closely, more rows are
    hidden; and a row's events and people are hidden together, both ways. Rows are hidden
    whole, so the people cells stand for the rows in the sums."""
    tables = [t for t in (agency, need, service, locality) if t is not None and t.rows]
    if service is None or not service.rows:
        return
    cell = CountCells(tables)
    # the rows hidden for what they are (a small number, a cost one or two people dominate),
    # as their people cells: the ones no pair of sums may give back
    primary = primary_mask(cell.values, cfg.threshold)
    sensitive = {(id(t), i) for (t, i, key), p in zip(cell.cells, primary.tolist(), strict=True)
                 if p or (i, key) in t.withheld}
    protect = np.array([key == "people" and (id(t), i) in sensitive for t, i, key in cell.cells], dtype=bool)
    lines: list[list[int]] = []
    for t in tables:  # each table's own columns (its totals, and the total spend published elsewhere)
        for c in t.columns:
            if c.count and t.protect_columns:
                lines.append([cell(t, i, c.key) for i in range(len(t.rows))])

    def keys_of(t: Table, names: tuple[str, ...]) -> list[str]:
        return [k for k in names if any(c.key == k for c in t.columns)
                and any(c.key == k for c in service.columns)]

    def link(t: Table | None, names: tuple[str, ...]) -> None:
        """A row of ``t`` with the services that share its ``names`` (agency, area of need)."""
        if t is None or not t.rows:
            return
        keys = keys_of(t, names)
        if not keys:
            return
        for i, r in enumerate(t.rows):
            parts = [j for j, s in enumerate(service.rows)
                     if all(str(s.get(k)) == str(r.get(k)) for k in keys)]
            for c in t.columns:
                if c.count and (service, 0, c.key) in cell:
                    lines.append([cell(t, i, c.key)] + [cell(service, j, c.key) for j in parts])
            if parts and (t, i, "people") in cell and (service, 0, "people") in cell:
                sums.append((cell(t, i, "people"), [cell(service, j, "people") for j in parts]))

    # the same lines as sums for the £ a row's people stand for (rows are hidden whole):
    # (the row, its parts); with each table's £ adding up to the total spend (published)
    sums: list[tuple[int, list[int]]] = []
    link(agency, ("agency_l1", "agency_l2"))
    link(need, ("area_of_need",))
    if locality is not None and locality.rows and any(c.key == "service_code" for c in service.columns):
        code_row = {str(s.get("service_code")): j for j, s in enumerate(service.rows)}
        for demand, code in LOCALITY_DEMAND.items():
            rows = [i for i, r in enumerate(locality.rows) if str(r.get("service", "")).strip().lower() == demand]
            j = code_row.get(code)
            for c in locality.columns:
                if c.count and rows and (service, 0, c.key) in cell:
                    lines.append([cell(locality, i, c.key) for i in rows]
                                 + ([cell(service, j, c.key)] if j is not None else []))
            if rows and j is not None and (locality, 0, "people") in cell and (service, 0, "people") in cell:
                sums.append((cell(service, j, "people"), [cell(locality, i, "people") for i in rows]))
    relations = [{**{total: 1.0}, **dict.fromkeys(parts, -1.0)} for total, parts in sums]
    relations += [dict.fromkeys((cell(t, i, "people") for i in range(len(t.rows))), 1.0)
                  for t in tables if t is not locality and (t, 0, "people") in cell]
    # each row's £ on its people cell, and how far above it a reader's bound must stay
    money = np.array([as_float(t.rows[i].get("cost")) if key == "people" else np.nan
                      for t, i, key in cell.cells], dtype=float)
    required = np.array([t.protection.get(i, 0.0) if key == "people" else 0.0
                         for t, i, key in cell.cells], dtype=float)
    if cfg.secondary:  # every complement chosen at once; the checks below then find nothing more
        start = primary | np.array([(i, key) in t.withheld for t, i, key in cell.cells], dtype=bool)
        whole = [[cell(t, i, c.key) for c in t.columns if c.count] for t in tables for i in range(len(t.rows))]
        is_people = np.array([key == "people" for _, _, key in cell.cells], dtype=bool)
        joint = joint_complements(cell.values, start, lines, together=whole, relations=relations,
                                  protect=protect, money=money, required=required, people=is_people,
                                  threshold=cfg.threshold)
        if joint is not None:  # else line by line, below, as before
            for n in np.flatnonzero(joint & ~start).tolist():
                t, i, key = cell.cells[n]
                t.withheld.add((i, key))
    # A row's events and people are hidden together, so its £ and activity (which follow its
    # people) go with both: with the unit costs published, a point service's £ is its events ×
    # its unit cost and its activity is its events. Events hidden while the £ showed came back
    # by division; and the £ hidden with its people came back as events shown × unit cost
    # (an A&E complement's 900 events, and then the agency's £ less it gave a 3-person
    # service's £). Each round only hides more, so it ends.
    while True:
        cell.withhold(lines, cfg, start_withheld=True, people="people")
        more = [(t, i, other) for t in tables if {"people", "events"} <= {c.key for c in t.columns}
                for i in range(len(t.rows)) for key, other in (("events", "people"), ("people", "events"))
                if (i, key) in t.withheld and (i, other) not in t.withheld]
        # two lines that each hide two cells can still give one back together (an area of
        # need's £ less an agency's): hide more until no hidden row's £ follows from the sums
        hid = np.array([(i, key) in t.withheld for t, i, key in cell.cells], dtype=bool)
        if cfg.secondary and relations and hid.any():
            closed = close_gaps(cell.values, hid, relations, protect)
            # and a dominated row's £ not bounded within its protection level
            closed = protect_magnitudes(money, closed, relations, required)
            more += [(cell.cells[n][0], cell.cells[n][1], cell.cells[n][2]) for n in np.flatnonzero(closed & ~hid)]
        if not more:
            return
        for t, i, other in more:
            t.withheld.add((i, other))


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
    # a part-year one or two people dominate (a part made of several rows: any of them)
    _, heavy = split_dominance(ctx, ya, [])
    for rec, h in zip(df.to_dict("records"), heavy.tolist(), strict=True):
        if h:
            forced[pos_p[tuple(rec[k] for k in keys)], pos_y[rec[year]]] = True
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
                "people or that one or two people's costs make up almost all of, or that would let such a cost "
                "be worked out from another figure, are left out of the bars.")
    return [Chart("chart-audit-year-agency", "Cost by year and agency",
                  charts.stacked_bars("Cost by year and agency", rows, "year", "cost", "agency"), note)]


def shared_headline(summary: dict[str, Any], group: dict[str, Any] | None, conc: Table | None,
                    gini: Any, rounding_base: int = 1) -> str | None:
    """The audit headline rebuilt from the figures the shared report shows (the stage's
    headline names the top-N group's cost and the top 10%'s share whether or not they are
    hidden here); None without the summary's total_cost and people."""
    total, people = get(summary, "total_cost"), get(summary, "people")
    if total is None or people is None:
        return None
    # the people rounded as the tables round counts (an exact total beside rounded parts narrows them)
    shown = int(round_to_base(np.array([float(people)]), rounding_base)[0])
    text = f"£{float(total):,.0f} across {'about ' if shown != int(people) else ''}{shown:,} people"
    window = get(summary, "window", default={})
    start, end = get(window, "start"), get(window, "end_inclusive")
    if start and end:
        text += f", {start} to {end}"
    if group is not None and group.get("cost_per_week") is not None:
        each = (f" (£{group['cost_per_week'] / group['people']:,.2f} each on average)"
                if isinstance(group.get("people"), int | float) and group["people"] else "")
        text += (f"; the {group['people']} highest-cost people together cost £{group['cost_per_week']:,.2f} "
                 f"a week{each}")
    if conc is not None:
        for i, r in enumerate(conc.shown):
            share = r.get("share_of_cost")
            if str(r.get("group", "")).lower() == "top 10%" and share is not None and (i, "share_of_cost") not in conc.hidden:
                text += f"; the top 10% of people account for {float(share):.0%} of cost"
    if gini is not None:
        text += f" (Gini {float(gini):.2f})"
    return text


def economic_services(ctx: Context) -> list[str]:
    """The services with an economic cost (out/costs/cost_by_service): codes, not counts."""
    by = ctx.outs.table("costs", "cost_by_service")
    if by is None or not {"service_code", "value_type", "cost"} <= set(by.columns):
        return []
    eco = by[(by["value_type"].astype(str) == "economic") & (pd.to_numeric(by["cost"], errors="coerce") > 0)]
    if "transfer" in eco.columns:
        eco = eco[~eco["transfer"].fillna(False).astype(bool)]
    return sorted({str(c) for c in eco["service_code"]})


def economic_note(ctx: Context) -> list[Block]:
    """Where the audit's cost adds economic cost (audit.value_types; in the default library
    the third of residential and home care that people pay for themselves) to what public
    bodies pay, say so: the tables show it under the agency that provides the service, so a
    budget reader took that agency's row for its own spend. No figure in a shared report
    (the economic total is a third of adult social care's cost, which may be hidden)."""
    summary = ctx.outs.json("audit", "summary.json") or {}
    economic = get(summary, "economic_cost")
    if "economic" not in (get(summary, "value_types", default=[]) or []) or not economic or float(economic) <= 0:
        return []
    services = economic_services(ctx)
    which = f" ({', '.join(services)})" if services else ""
    amounts = ""
    if ctx.mode == "internal" and get(summary, "fiscal_cost") is not None:
        amounts = (f": here £{float(get(summary, 'fiscal_cost')):,.0f} fiscal and £{float(economic):,.0f} "
                   "economic")
    return [Paragraph(
        "Cost in this section is fiscal cost (what public bodies pay) plus economic cost (the rest of a "
        f"service's cost, such as the share of care that people pay for themselves){amounts}. The economic "
        f"part of a service{which} is shown under the agency that provides it, so that agency's cost is more "
        "than it pays itself; the fiscal and economic split of every row is in out/audit and "
        + ("these tables." if ctx.mode == "internal" else "the internal report."))]


def costing_notes(ctx: Context) -> list[Block]:
    """The price year of every £ in the audit, and the costs stage's warnings about the data
    (overlapping stays each costed in full): a reader of the audit's totals needs both. A
    shared report says what the warnings are about without their counts of people."""
    costs = ctx.outs.json("costs", "summary.json") or {}
    out: list[Block] = []
    year = costs.get("price_year")
    if isinstance(year, int):
        out.append(Paragraph(f"All £ are at {fiscal_year_label(year)} prices (financial year), "
                             "from the unit costs listed, with their sources and how they were uprated, "
                             "in the Unit costs section."))
    out.extend(economic_note(ctx))
    warnings = [str(w) for w in costs.get("warnings") or []]
    if warnings and ctx.mode == "internal":
        out.extend(Note(f"Costing warning: {w}") for w in warnings)
    elif (costs.get("overlapping_stays") or {}).get("pairs"):
        out.append(Note("Data caveat: some people have overlapping stays of one service (two stays in "
                        "the same days), each costed in full, so these totals may overstate their cost. "
                        "The costs stage names the services and the days (out/costs/summary.json; the "
                        "internal report); check the extracts for transfers recorded as new stays, "
                        "re-sent rows or placements not closed."))
    return out


def build(ctx: Context) -> Section:
    outs = ctx.outs
    sec = Section("audit", "Whole-system cost audit")
    if not outs.has_stage("audit"):
        sec.blocks.append(not_run("audit", "the whole-system cost audit"))
        return sec
    internal = ctx.mode == "internal"
    summary = outs.json("audit", "summary.json") or {}
    spend = spend_concentration(ctx, summary)
    headline = summary.get("headline") if internal else shared_headline(summary, spend.group, spend.table, spend.gini,
                                                                        ctx.config.suppression.rounding_base)
    if headline:
        sec.blocks.append(Paragraph(str(headline)))
    sec.blocks.extend(costing_notes(ctx))
    sec.blocks.extend(spend.blocks)

    cost_tables: dict[str, Table] = {}
    pending: list[Block | tuple[Table, str, str, str]] = []
    for name, fields, tid, title, cat in (
        ("cost_by_agency", AGENCY, "audit-agency", "Cost by agency", "agency_l1"),
        ("cost_by_need", NEED, "audit-need", "Cost by area of need", "area_of_need"),
        ("cost_by_service", SERVICE, "audit-service", "Cost by service", "service_code"),
    ):
        df = audit_table(ctx, name)
        if df is None:
            pending.append(missing_table("audit", name))
            continue
        if name != "cost_by_service":  # activity mixes units across services (see SERVICE)
            df = df.drop(columns=[c for c in df.columns if str(c).lower() == "activity"])
        elif "activity" in df.columns and "activity_unit" not in df.columns:  # an audit from before it
            df = df.assign(activity_unit="not recorded: re-run `carecase audit`")
        df, heavy = split_dominance(ctx, df, [cat])
        t = frame_table(tid, title, df, fields, extra=True, total_row=True, protect_rows=False,
                        sort_by=[cat])
        withhold_rows(t, heavy, ctx.config.suppression)
        cost_tables[name] = t
        pending.append((t, tid, title, cat))
    loc = audit_table(ctx, "locality_demand")
    loc_table = None
    if loc is not None:
        loc, heavy = split_dominance(ctx, loc, ["locality", "demand"])
        loc_table = frame_table(
            "audit-locality", "Residential and temporary accommodation demand by locality",
            loc, LOCALITY, extra=True, total_row=True, sort_by=["locality", "service"], protect_rows=False)
        withhold_rows(loc_table, heavy, ctx.config.suppression)
    if not internal:  # before any of them is disclosed (ctx.shown)
        protect_cost_tables(cost_tables.get("cost_by_agency"), cost_tables.get("cost_by_need"),
                            cost_tables.get("cost_by_service"), loc_table, ctx.config.suppression)
    agency_table = cost_tables.get("cost_by_agency")
    for item in pending:
        if not isinstance(item, tuple):
            sec.blocks.append(item)
            continue
        t, tid, title, cat = item
        sec.blocks.append(t)
        shown = ctx.shown(t)
        if {cat, "cost"} <= {c.key for c in t.columns}:
            # the bars shown: a hidden cost is no bar (a chart of none is left out: Vega
            # warns of an infinite extent)
            rows = [{cat: r[cat], "cost": r["cost"]} for r in shown if r.get("cost") is not None]
            if rows:
                sec.blocks.append(Chart(f"chart-{tid}", title, charts.hbar(title, rows, cat, "cost"), table=t.id))

    ya = audit_table(ctx, "cost_by_year_agency")
    if ya is not None and all(pick(ya, c) for c in YEAR_AGENCY):
        sec.blocks.extend(year_agency_chart(ctx, ya, agency_table))

    coh = audit_table(ctx, "cohort_vs_population")
    if coh is not None:
        coh, heavy = split_dominance(ctx, coh, [])  # a cohort whose £ one or two people make up
        t = frame_table("audit-cohort", "Programme cohort compared with the population",
                        coh, COHORT, extra=True, protect_columns=False,
                        note="'all' = cohort + rest of population. The cohort is every programme "
                             "participant, in the population register or not; the rest of the population "
                             "is every resident not in the programme, and anyone else outside the "
                             "population register who has a cost in the window.")
        withhold_rows(t, heavy, ctx.config.suppression)
        relation = cohort_relation(t)
        if relation is None:
            t.protect_columns = True  # unknown groups: protect the whole column
        else:
            t.relations = [relation]  # a hidden cohort cell hides its rest-of-population cell too
        sec.blocks.append(t)
    if loc_table is not None:
        sec.blocks.append(loc_table)
    return sec
