"""Whole-system cost audit section (out/audit/*.parquet): top-N people with cost per week,
concentration and the Lorenz curve, cost by agency, area of need, year and locality."""

from __future__ import annotations

from carecase.report import charts
from carecase.report.content import Chart, Paragraph, Section
from carecase.report.loaders import get, pick
from carecase.report.sections.common import Context, F, frame_table, missing_table, not_run

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
TOP_N = [F("rank", "Rank", "int"), F("person_id", "Person (pseudonymous)", "text"),
         F("cost", "Cost", "gbp"), F("fiscal_cost", "Fiscal cost", "gbp"),
         F("economic_cost", "Economic cost", "gbp"), F("weeks", "Weeks", "num"),
         F("cost_per_week", "Cost per week", "gbp2")]
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
                 F("share_of_cost", "Share of spend", "pct", source="value")]
LOCALITY = [F("locality", "Locality", "text"), F("service", "Demand", "text", source="demand"),
            F("people", "People", "count", count=True),
            F("cost", "Cost", "gbp", total=True, from_count="people"),
            F("fiscal_cost", "Fiscal cost", "gbp", from_count="people"),
            F("economic_cost", "Economic cost", "gbp", from_count="people"),
            F("activity", "Activity (units)", "num", from_count="people"),
            F("cost_per_person", "Cost per person", "gbp", from_count="people")]
YEAR_AGENCY = ("year_label", "agency_l1", "cost")


def build(ctx: Context) -> Section:
    outs = ctx.outs
    sec = Section("audit", "Whole-system cost audit")
    if not outs.has_stage("audit"):
        sec.blocks.append(not_run("audit", "the whole-system cost audit"))
        return sec
    summary = outs.json("audit", "summary.json") or {}
    if get(summary, "headline"):
        sec.blocks.append(Paragraph(str(summary["headline"])))

    top = outs.table("audit", "top_n")
    if top is None:
        sec.blocks.append(missing_table("audit", "top_n"))
    else:
        fields = TOP_N if ctx.mode == "internal" else [f for f in TOP_N if f.column.key != "person_id"]
        t = frame_table("audit-top-n", f"The {ctx.config.top_n} highest-cost people", top.head(ctx.config.top_n),
                        fields, sort_by=["rank"],
                        note="Cost per week = cost over the period ÷ weeks observed in the period. "
                             "People are shown by rank only in shared reports.")
        sec.blocks.append(t)

    conc = outs.table("audit", "concentration")
    gini = get(summary, "gini")
    if conc is not None:
        label, value = pick(conc, "measure"), pick(conc, "value")
        if label and value:
            is_gini = conc[label].astype(str).str.lower() == "gini"
            if is_gini.any():
                gini = float(conc.loc[is_gini, value].iloc[0])
            conc = conc[~is_gini]
        sec.blocks.append(frame_table("audit-concentration", "Concentration of spend", conc, CONCENTRATION,
                                      extra=True))
    if gini is not None:
        sec.blocks.append(Paragraph(f"Gini coefficient of cost per person: {float(gini):.2f} "
                                    "(0 = everyone costs the same; 1 = one person accounts for all spend)."))
    lor = outs.table("audit", "lorenz")
    x, y = pick(lor, "population_share"), pick(lor, "cost_share")
    if lor is not None and x and y:
        rows = lor[[x, y]].rename(columns={x: "people_share", y: "cost_share"}).to_dict("records")
        sec.blocks.append(Chart("chart-audit-lorenz", "Lorenz curve of spend",
                                charts.lorenz("Lorenz curve of spend", rows, "people_share", "cost_share")))

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
        if {cat, "cost"} <= {c.key for c in t.columns}:
            rows = [{cat: r[cat], "cost": r["cost"]} for r in shown]
            sec.blocks.append(Chart(f"chart-{tid}", title, charts.hbar(title, rows, cat, "cost")))

    ya = outs.table("audit", "cost_by_year_agency")
    cols = [pick(ya, c) for c in YEAR_AGENCY]
    if ya is not None and all(cols):
        rows = ya[cols].rename(columns=dict(zip(cols, ("year", "agency", "cost"), strict=True)))
        rows = (rows.astype({"year": str, "agency": str}).groupby(["year", "agency"], as_index=False)["cost"].sum()
                .sort_values(["year", "agency"], kind="mergesort").to_dict("records"))
        sec.blocks.append(Chart("chart-audit-year-agency", "Cost by year and agency",
                                charts.stacked_bars("Cost by year and agency", rows, "year", "cost", "agency")))

    coh = outs.table("audit", "cohort_vs_population")
    if coh is not None:
        sec.blocks.append(frame_table("audit-cohort", "Programme cohort compared with the population",
                                      coh, COHORT, extra=True, protect_columns=False,
                                      note="'all' = cohort + rest of population."))
    loc = outs.table("audit", "locality_demand")
    if loc is not None:
        sec.blocks.append(frame_table("audit-locality", "Residential and temporary accommodation demand by locality",
                                      loc, LOCALITY, extra=True, total_row=True, sort_by=["locality", "service"], protect_rows=False))
    return sec
