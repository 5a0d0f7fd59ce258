"""``audit`` stage: whole-system cost per person, period, agency, service and area of need;
cohort against population; the most costly people; concentration; locality demand.

Reads ``costed_events``, ``events`` (its service lines) (and ``people``, ``programme`` when present); writes store tables
``audit_service_lines`` (the agency × service × need combinations, numbered),
``audit_person_line_month`` (person × line × month, narrow), the view ``audit_person_month``
(the same, labelled), ``audit_person_totals`` (cost per person over the window) and,
under ``out/audit/``, Parquet + CSV: cost_by_person_period,
cost_by_agency, cost_by_service, cost_by_need, cost_by_year_agency, cohort_vs_population,
top_n, concentration, lorenz, locality_demand; and summary.json.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
import pyarrow as pa

from carecase.audit import tables
from carecase.audit.concentration import gini, lorenz, period_weeks, top_share
from carecase.audit.periods import label_lines, person_line_month, service_lines
from carecase.core.contracts import STORE_COLUMNS
from carecase.core.errors import AuditError
from carecase.core.exact import exact_sum
from carecase.core.output import write_table
from carecase.core.project import Project
from carecase.core.services import catalogue
from carecase.costs.mapping import activity_unit
from carecase.costs.stage import check_costs_current, costs_stamp, map_frame


def window(project: Project) -> tuple[dt.date, dt.date]:
    """Audit window ``[start, end)`` (end exclusive) from audit.start/end or the project period."""
    a, p = project.config.audit, project.config.project
    start = a.start or p.period_start
    end = (a.end or p.period_end) + dt.timedelta(days=1)
    if end <= start:
        raise AuditError(f"audit window is empty: start {start} is not before end {end}. Fix audit.start/audit.end.")
    return start, end


def audited_people(residents: ir.Table, totals: ir.Table, cohort: ir.Table | None) -> ir.Table:
    """One row per person the audit counts: ``residents`` (people flagged in_population,
    with or without cost), everyone in ``totals`` (cost recorded in the window) and the
    programme ``cohort``, so that the concentration, the Lorenz curve, the cohort table and
    the headline's people all cover the same people as ``total_cost``."""
    parts = [t.select("person_id") for t in (residents, totals, cohort) if t is not None]
    out = ibis.union(*parts, distinct=True)
    return out.filter(out.person_id.notnull())  # a row with no person is nobody


def joined_off_register(engine: Any, outside: ir.Table) -> int:
    """How many of the ``outside`` people (person_id) are people off the register whose records
    the link stage joined to each other (a record of theirs has method 'unregistered' in
    record_links): counted among the people audited, not the link stage's clusters, some of
    whom have no cost in the window."""
    if not engine.has_table("record_links"):
        return 0
    links = engine.table("record_links")
    joined = links.filter(links.method == "unregistered").select("person_id")
    return int(outside.semi_join(joined, "person_id").select("person_id").distinct().count().to_pyarrow().as_py())


def outside_note(outside: int, in_cohort: int, audited: int, joined: int = 0) -> str:
    """The note on the ``outside`` of ``audited`` people outside the population register:
    ``in_cohort`` of them are programme participants, in cohort_vs_population's 'cohort'
    row (:func:`carecase.audit.tables.cohort_vs_population` groups by programme membership
    alone); the rest are in its 'rest of population' row. ``joined``: the people off the
    register whose records the link stage joined to each other (:func:`joined_off_register`),
    who are expected, not a failure to link."""
    rest = outside - in_cohort
    if not rest:
        where = ("all of them programme participants, in the cohort table's 'cohort' row" if outside > 1
                 else "a programme participant, in the cohort table's 'cohort' row")
    elif not in_cohort:
        where = "none of them in the programme, so all in the cohort table's 'rest of population' row"
    else:
        where = (f"in the cohort table, {in_cohort:,} programme participant(s) in the 'cohort' row and "
                 f"{rest:,} other(s) in the 'rest of population' row")
    return (f"{outside:,} of the {audited:,} people audited are outside the population register "
            "(records not linked to a resident, or non-residents) but have a cost in the window or are in "
            f"the programme: they are in every total; {where}. "
            + (f"{joined:,} of them {'is a person' if joined == 1 else 'are people'} off the register whose "
               "records were joined to each other (docs/linkage.md, step 5, people off the register); among the "
               "others, many people can mean that records failed to link." if joined else
               "Many such people can mean that records failed to link (docs/linkage.md)."))


def activity_units(project: Project) -> ir.Table:
    """Per service, the unit its ``activity`` in cost_by_service counts
    (:func:`carecase.costs.mapping.activity_unit` of the basis the costs stage costed it on:
    the same settings, as :func:`check_costs_current` has checked)."""
    services = catalogue(project.config)
    sm = map_frame(project.config.costs, services)
    return ibis.memtable(pd.DataFrame({
        "_unit_service": sm["service_code"].astype(str),
        "activity_unit": [activity_unit(str(b), services.get(str(c)))
                          for c, b in zip(sm["service_code"], sm["basis"], strict=True)],
    }))


def concentration_frames(costs: pd.Series, points: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    x = np.sort(costs.to_numpy(dtype=float))  # row order from the engine is not fixed
    rows = []
    for label, frac in (("top 1%", 0.01), ("top 5%", 0.05), ("top 10%", 0.10)):
        k, c, s = top_share(x, frac)
        rows.append({"measure": label, "people": k, "cost": c, "value": s})
    rows.append({"measure": "gini", "people": int(x.size), "cost": float(x.sum()), "value": gini(x)})
    pop, share = lorenz(x, points)
    return pd.DataFrame(rows), pd.DataFrame({"population_share": pop, "cost_share": share})


def run(project: Project, progress: Any = None) -> dict[str, Any]:
    cfg = project.config.audit
    engine = project.engine
    if not engine.has_table("costed_events"):
        raise AuditError("Table 'costed_events' is not in the store: run `carecase costs apply PROJECT` first.")
    engine.check_columns(*STORE_COLUMNS)  # a store from an earlier carecase: say which stage to run
    check_costs_current(project)
    start, end = window(project)
    steps = 5 + len(cfg.periods)
    task = progress.add_task("audit", total=steps) if progress is not None else None

    def step() -> None:
        if task is not None:
            progress.advance(task)

    costed = engine.table("costed_events")
    lines = engine.write("audit_service_lines", service_lines(engine.table("events")))
    plm = engine.write("audit_person_line_month",
                       person_line_month(costed, start, end, list(cfg.value_types), lines))
    # labelled on read (a join with a few dozen lines): storing five label strings per row
    # cost more than the joins do
    pm = engine.define_view("audit_person_month", label_lines(plm, lines))
    step()
    out = project.stage_dir("audit")
    files: dict[str, Any] = {}
    parts = []
    for grain in cfg.periods:
        parts.append(tables.cost_by_person_period(pm, grain).to_pyarrow())
        step()
    # Arrow throughout: the largest output (a row per person, period and service line)
    bpp = pa.concat_tables(parts) if parts else pd.DataFrame()
    files["cost_by_person_period"] = write_table(
        bpp, out, "cost_by_person_period",
        ["grain", "person_id", "period_index", "agency_l1", "agency_l2", "service_code", "area_of_need"])
    # each person's cost per service line over the window (the person × month table summed
    # over months: a twelfth or less of its rows), from which the two largest people of each
    # agency, area of need and service are found
    person_lines = engine.write("audit_person_line_totals", tables.person_line_totals(pm))
    for name, keys in (
        ("cost_by_agency", ["agency_l1", "agency_l2"]),
        ("cost_by_service", ["service_code", "agency_l1", "agency_l2", "area_of_need"]),
        ("cost_by_need", ["area_of_need"]),
    ):
        # activity per service only (an agency's would add bed days to hours); the two
        # largest people's cost in each row, for the report's dominance rule
        by = tables.with_largest_people(tables.cost_by(pm, keys, activity=name == "cost_by_service"),
                                        person_lines, keys)
        if name == "cost_by_service":  # what its activity counts: episodes, bed days, years…
            units = activity_units(project)
            j = by.left_join(units, by.service_code == units._unit_service)
            cols = list(by.columns)
            at = cols.index("activity") + 1
            by = j.select(*cols[:at], "activity_unit", *cols[at:])
        files[name] = write_table(by, out, name, keys)
    files["cost_by_year_agency"] = write_table(
        tables.cost_by_year_agency(pm, largest=True), out, "cost_by_year_agency",
        ["financial_year", "agency_l1", "agency_l2"])
    step()

    # used three times below (cohort, top-N, concentration): computed once
    totals = engine.write("audit_person_totals", tables.person_totals(pm))
    cohort = engine.table("programme").select("person_id") if engine.has_table("programme") else None
    if engine.has_table("people"):
        people = engine.table("people")
        residents = people.filter(people.in_population.coalesce(True)).select("person_id")
    else:
        people = None
        residents = totals.select("person_id")
    # The people the audit counts: every resident (zero cost included), and anyone else whose
    # cost is in the totals or who is in the programme. Counting residents only would leave
    # the cost of people outside the population (in_population false: say a police or
    # housing record of a non-resident) in total_cost but out of the concentration, the
    # cohort table and their denominators: the headline's "£X across N people" and "top 10%
    # of people account for Y% of cost" would describe different totals, and total_cost less
    # the concentration's total would publish those few people's cost.
    population = audited_people(residents, totals, cohort)
    if cohort is None:
        cohort = population.limit(0)
    # days ÷ 365.25, as the observed person-years beside it: a fully observed cohort then has
    # one rate, not two (12 months as a year made a February window's 8.7% apart)
    years = (end - start).days / 365.25
    observed = tables.observed_days(population, people, start, end)
    cvp = tables.cohort_vs_population(totals, population, cohort, years, observed, largest=True)
    files["cohort_vs_population"] = write_table(cvp, out, "cohort_vs_population", ["group"])
    top = tables.top_n_from(totals, cfg.top_n, start, end).to_pyarrow().to_pandas()
    files["top_n"] = write_table(top, out, "top_n", ["rank"])
    step()

    per_person = population.left_join(totals, "person_id").select(
        cost=totals.cost.coalesce(0.0)
    ).to_pyarrow().to_pandas()["cost"]
    conc, lor = concentration_frames(per_person, cfg.lorenz_points)
    files["concentration"] = write_table(conc, out, "concentration", [])
    files["lorenz"] = write_table(lor, out, "lorenz", ["population_share"])
    if people is not None and "locality" in people.columns:
        loc = tables.locality_demand(pm, people, largest=True)
    else:
        loc = tables.locality_demand(pm, pm.select("person_id").distinct().mutate(locality=ibis.literal("Unknown")),
                                     largest=True)
    files["locality_demand"] = write_table(loc, out, "locality_demand", ["locality", "demand"])
    step()

    by_vt = pm.aggregate(t=exact_sum(pm.cost), f=exact_sum(pm.fiscal_cost),
                         e=exact_sum(pm.economic_cost)).to_pyarrow().to_pylist()[0]
    total = float(by_vt["t"] or 0.0)
    top_total = float(top["cost"].sum()) if len(top) else 0.0
    weeks = period_weeks(start, end)
    g = float(conc.loc[conc.measure == "gini", "value"].iloc[0])
    top10 = float(conc.loc[conc.measure == "top 10%", "value"].iloc[0])
    summary = {
        "headline": (
            f"£{total:,.0f} across {len(per_person):,} people, {start} to {end - dt.timedelta(days=1)}; "
            f"top {len(top)} together cost £{top_total / weeks if weeks else 0:,.2f} a week; "
            f"top 10% of people account for {top10:.0%} of cost (Gini {g:.2f})"
        ),
        "window": {"start": str(start), "end_inclusive": str(end - dt.timedelta(days=1)), "weeks": weeks},
        "value_types": list(cfg.value_types),
        "total_cost": round(total, 2),
        "fiscal_cost": round(float(by_vt["f"] or 0.0), 2),
        "economic_cost": round(float(by_vt["e"] or 0.0), 2),
        "people": int(len(per_person)),
        # n: the people the cost is of (fewer than audit.top_n when fewer have any cost)
        "top_n": {"n": len(top), "requested": cfg.top_n, "cost": round(top_total, 2),
                  "cost_per_week": round(top_total / weeks, 2) if weeks else None},
        "gini": round(g, 6),
        "files": {k: {kk: vv.split("/")[-1] for kk, vv in v.items()} for k, v in files.items()},
    }
    outside = int(len(per_person)) - int(residents.distinct().count().to_pyarrow().as_py())
    summary["outside_register"] = outside
    if outside:
        off_register = population.anti_join(residents, "person_id")
        in_cohort = int(off_register.semi_join(cohort, "person_id").count().to_pyarrow().as_py())
        summary["outside_register_by_group"] = {"cohort": in_cohort, "rest of population": outside - in_cohort}
        summary["notes"] = [outside_note(outside, in_cohort, int(len(per_person)),
                                         joined_off_register(engine, off_register))]
    summary["costs_stamp"] = costs_stamp(project)  # the costed events it was made from
    project.write_json("audit", "summary.json", summary)
    step()
    return summary
