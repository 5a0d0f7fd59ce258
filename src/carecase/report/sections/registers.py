"""Economic case studies (evaluate/case_studies.parquet), the assumptions register
(cba/results.json ``assumptions``) and method notes with references."""

from __future__ import annotations

import math
import re
from typing import Any

import pandas as pd

from carecase.report import charts
from carecase.report.content import Chart, Column, Note, Paragraph, Section, Table
from carecase.report.loaders import get, named_items, pick
from carecase.report.sections import cba as cba_section
from carecase.report.sections.common import Context, clean_value, missing_table, not_run
from carecase.report.sections.glossary import glossary
from carecase.report.sections.windows import plain_windows

# register column → key of an entry in out/cba/results.json "assumptions"
ASSUMPTION = {"name": "label", "path": "path", "value": "value", "central": "central", "unit": "unit",
              "source": "source", "confidence": "confidence_grade"}

REFERENCES = [
    "HM Treasury (2022). The Green Book: central government guidance on appraisal and evaluation.",
    "HM Treasury, Public Service Transformation Network and New Economy (2014). Supporting public "
    "service transformation: cost benefit analysis guidance for local partnerships.",
    "Cabinet Office (2012). A guide to Social Return on Investment.",
    "Austin PC (2009). Balance diagnostics for comparing the distribution of baseline covariates "
    "between treatment groups in propensity-score matched samples. Statistics in Medicine 28:3083–3107.",
    "Barnett AG, van der Pols JC, Dobson AJ (2005). Regression to the mean: what it is and how to deal "
    "with it. International Journal of Epidemiology 34:215–220.",
    "Cameron AC, Trivedi PK (2013). Regression Analysis of Count Data, 2nd edition. Cambridge "
    "University Press (Poisson and negative binomial rate models).",
    "Office for National Statistics / NHS England: statistical disclosure control guidance for "
    "published health statistics (small-number suppression and rounding).",
]

METHOD_NOTES = [
    "Linkage: records sharing a pseudonymised NHS number are one person; others are linked "
    "probabilistically (Fellegi–Sunter, Splink) on name, date of birth, postcode and sex.",
    "Costing: every event is costed with a unit cost uprated to the project price year (each is "
    "listed, with its source and uprating, under Unit costs); spells, packages and counts over a "
    "week or month crossing period boundaries are split in proportion to the days in each period.",
    "Evaluation: nearest-neighbour matching in calendar time (controls not yet treated at the index "
    "date), on the propensity score or, where that leaves the groups unbalanced, on covariate distance "
    "within a propensity-score caliper (the Evaluation section says which this run used), "
    "difference-in-differences per person per year with cluster "
    "bootstrap 95% intervals, and rate ratios from count models (Poisson and negative binomial) "
    "with a person-time offset and delete-one-cluster jackknife intervals (each matched set, or "
    "group of sets sharing a person, left out in turn).",
    "Cost-benefit analysis: discounted at the Green Book rates (standard; health effects, where "
    "an outcome is marked so, on the health schedule); benefits adjusted for deadweight, "
    "attribution, displacement, drop-off and optimism bias by confidence grade; uncertainty by "
    "Monte Carlo simulation, one-way sensitivity (tornado) and switching values.",
]


def _small_count(rec: dict[str, Any], events: str | None, flag: str | None, value: Any, threshold: int) -> bool:
    """Whether a case-study cell's £ a month rests on a suppressed or small event count:
    flagged by the evaluate stage (``events_suppressed``), 1..threshold events, or no count
    (missing or 0) for a non-zero £ — with the months and a unit cost the £ gives the count
    back. A £ with a count of 0 comes from something the count missed (a spell or package
    that began before the window, counted only where it starts by an older evaluate stage):
    its bed days, nights or weeks are unknown to the rule, so it is hidden too."""
    if flag is not None and bool(clean_value(rec[flag])):
        return True
    if events is None:
        return False
    n = clean_value(rec[events])
    if n is None or isinstance(n, str) or float(n) == 0:
        return value not in (None, 0, 0.0)
    return abs(float(n)) <= threshold


def case_rows(df: pd.DataFrame, threshold: int | None = None) -> list[dict[str, Any]] | None:
    """Rows {case, area_of_need, pre, post, change} from out/evaluate/case_studies (one row
    per case, area of need and period = before/after, with mean_cost_per_month).

    With ``threshold`` (shared reports) a row also says which of its £ cells rest on a small
    or suppressed event count: ``hidden`` = the set of "pre" / "post" / "change"."""
    case, need = pick(df, "case"), pick(df, "area_of_need")
    period, value = pick(df, "period"), pick(df, "mean_cost_per_month")
    events, flag = pick(df, "events"), pick(df, "events_suppressed")
    if case is None or need is None or period is None or value is None:
        return None
    wide: dict[tuple[str, str], dict[str, Any]] = {}
    for rec in df.to_dict("records"):
        k = (str(rec[case]), str(rec[need]))
        slot = "pre" if str(rec[period]).lower() == "before" else "post"
        row = wide.setdefault(k, {"case": k[0], "area_of_need": k[1], "pre": None, "post": None, "hidden": set()})
        row[slot] = clean_value(rec[value])
        if threshold is not None and _small_count(rec, events, flag, row[slot], threshold):
            row["hidden"].add(slot)
    rows = [wide[k] for k in sorted(wide)]
    for r in rows:
        r["change"] = None if r["pre"] is None or r["post"] is None else r["post"] - r["pre"]
        if r["hidden"]:
            r["hidden"].add("change")  # post − pre gives a hidden one back from the other
    return rows


def _plottable(value: Any) -> bool:
    """A finite number: a chart of missing values has no scale (and once hung the PDF)."""
    try:
        return value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def case_studies(ctx: Context) -> Section:
    sec = Section("case-studies", "Economic case studies")
    if not ctx.outs.has_stage("evaluate"):
        sec.blocks.append(not_run("evaluate", "economic case studies"))
        return sec
    df = ctx.outs.table("evaluate", "case_studies")
    shared = ctx.mode != "internal"
    if shared and not ctx.config.share_case_studies and df is not None and len(df):
        sec.blocks.append(Note(
            "Not shown in a shared report: each economic case study is one person's service use, month "
            "by month before and after joining, which small-number suppression cannot protect (with the "
            "unit costs, their £ give their events back, and people close to the programme may know who "
            "they are). They are in the internal report (`carecase report PROJECT --internal`, not for "
            "sharing); to publish them, get the people's consent and set report.share_case_studies: true.",
            kind="info"))
        return sec
    rows = case_rows(df, ctx.config.suppression.threshold if shared else None) if df is not None else None
    if rows is None:
        sec.blocks.append(missing_table("evaluate", "case_studies"))
        return sec
    withheld = {(i, k) for i, r in enumerate(rows) for k in r.pop("hidden")}
    if ctx.mode == "shared":  # never a person id in a shared report, even a pseudonymous one
        names = {c: f"Case {i + 1}" for i, c in enumerate(sorted({r["case"] for r in rows}))}
        if not all(c.lower().startswith("case") for c in names):
            for r in rows:
                r["case"] = names[r["case"]]
    chosen = {str(v) for v in df["chosen_by"].dropna()} if df is not None and "chosen_by" in df.columns else set()
    how = (" They are the participants with the highest cost in the months before joining: people often "
           "join at a crisis, so much of their fall would have happened anyway (regression to the mean); "
           "read them beside the matched estimate, not as evidence of the effect."
           if any(c.startswith("highest") for c in chosen) else
           " They were chosen by the partnership (evaluation.case_studies.people)." if chosen else "")
    sec.blocks.append(Paragraph("Average cost per month by area of need before and after joining, for "
                                "individual participants (pseudonymous)." + how))
    note = ""
    if withheld:
        note = (f"£ a month resting on 1–{ctx.config.suppression.threshold} events (or an event count "
                "suppressed by the evaluation, or none) is hidden, with its change: with the months and a "
                "unit cost it would give the count back.")
    sec.blocks.append(Table("case-studies-table", "Cost per month by area of need, before and after",
                            [Column("case", "Case"), Column("area_of_need", "Area of need"),
                             Column("pre", "Before (£/month)", "gbp"), Column("post", "After (£/month)", "gbp"),
                             Column("change", "Change (£/month)", "gbp")], rows, note=note, withheld=withheld))
    for case in sorted({r["case"] for r in rows}):
        data = [{"area_of_need": r["area_of_need"], "period": p, "gbp": r[k]}
                for i, r in enumerate(rows) if r["case"] == case for p, k in (("before", "pre"), ("after", "post"))
                if (i, k) not in withheld and _plottable(r[k])]  # a hidden or missing £ is left out
        if not data:
            continue
        cid = "".join(ch if ch.isalnum() else "-" for ch in case.lower())
        sec.blocks.append(Chart(f"chart-case-{cid}", f"{case}: £ per month before and after",
                                charts.grouped_bars(f"{case}: £ per month before and after", data,
                                                    "area_of_need", "period", "gbp", "£ per month"),
                                table="case-studies-table"))
    return sec


def assumptions(ctx: Context) -> Section:
    sec = Section("assumptions", "Assumptions register")
    res = ctx.outs.json("cba", "results.json")
    items = named_items(get(res, "assumptions"), "name") if res else []
    if not items:
        sec.blocks.append(cba_section.no_results(ctx, "the assumptions register", here=False) if res is None
                          else not_run("cba", "the assumptions register"))
        return sec
    rows = [{k: clean_value(get(r, key)) for k, key in ASSUMPTION.items()} for r in items]
    for r in rows:
        if isinstance(r["value"], dict | list):
            r["value"] = str(r["value"])
        if ctx.mode != "internal" and isinstance(r["value"], str) and "evaluated effect" in str(r["name"]):
            # a distribution's £ to the pence, as the tables print them (the stage writes 6
            # significant figures: extra digits of an estimate the Evaluation section rounds)
            r["value"] = re.sub(r"-?\d+\.\d+", lambda m: f"{float(m.group(0)):.2f}", r["value"])
        for k in ("name", "source"):  # "evaluated effect (post_0_12)" → "(first 12 months after joining)"
            if isinstance(r[k], str):
                r[k] = plain_windows(r[k])
    evaluated = any("evaluated effect" in str(r["name"]) for r in rows)
    sec.blocks.append(Paragraph(
        "Every input to the cost-benefit model with its source and confidence grade (1 = independently "
        "audited, up to 6 = opinion; New Economy 2014)."
        + (" An evaluated effect enters as a benefit to the agency that pays for the service: a positive "
           "value is a saving, so its value and interval are the Evaluation section's change with the sign "
           "turned (a rise in use is a negative benefit)." if evaluated else "")))
    # shared reports: an evaluated effect resting on 1..threshold people is hidden (its value,
    # central value and source, which quotes its interval)
    few = cba_section.few_evaluated_inputs(ctx, res)
    order = sorted(range(len(rows)), key=lambda i: str(rows[i]["name"]))
    withheld = {(j, k) for j, i in enumerate(order) if i in few for k in ("value", "central", "source")}
    sec.blocks.append(Table("assumptions-register", "Assumptions register",
                            [Column("name", "Input"), Column("path", "Model key"), Column("value", "Value", "num"),
                             Column("central", "Central value", "num"), Column("unit", "Unit"),
                             Column("source", "Source"), Column("confidence", "Confidence grade", "int")],
                            [rows[i] for i in order], withheld=withheld,
                            note=(f"Shared report: evaluated effects resting on 1–{ctx.config.suppression.threshold} "
                                  "people are hidden, with their source (which quotes their interval).")
                            if withheld else ""))
    return sec


def methods(ctx: Context) -> Section:
    sec = Section("methods", "Method notes and references")
    sec.blocks.append(glossary())
    for note in METHOD_NOTES:
        sec.blocks.append(Paragraph(note))
    sec.blocks.append(Table("references", "References", [Column("reference", "Reference")],
                            [{"reference": r} for r in REFERENCES]))
    return sec
