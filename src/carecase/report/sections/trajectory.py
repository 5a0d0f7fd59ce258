"""The evaluation's month-by-month charts (out/evaluate/trajectory): the participants' and the
matched comparison group's whole-system £ a person-year in each month around the index date,
with each month's difference-in-differences against the pre-period and its 95% interval.

Disclosure in a shared report is all or nothing: the months are shown only when every
month's figure for both groups rests on more than the small-number threshold of people with
any use that month and no month is dominated by one or two people's use (the report's
dominance rule), the whole-system £ rows of every post window of the matched table pass
the same tests, and the report's effects and regression-to-the-mean tables hide no cell of a
whole-system £ row (for any reason: few people, dominance, or as the complement that protects
another row); else a note says where the chart is (the internal report). So no month can
come back by subtracting the shown months from a window's rate, and no hidden window total
from the months (pooled by person-time the months are the windows' rates: a disclosure
review had the demo's hidden whole-system totals back from them to within £1, and with them
an agency's hidden 8-month change, one person's use, by subtracting the other agencies').
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from carecase.report import charts
from carecase.report.content import Chart, Note, Paragraph, Table
from carecase.report.loaders import pick
from carecase.report.sections.common import Context, F, frame_table
from carecase.report.sections.effects import MATCHED_SHARES, dominated_rows
from carecase.report.sections.windows import MONEY, is_money
from carecase.report.suppression import primary_mask

TABLE_ID = "evaluation-trajectory"
FIELDS = [F("month", "Month from joining", "int"),
          F("treated_ppy", "Participants, £ per person per year", "gbp"),
          F("control_ppy", "Comparison group, £ per person per year", "gbp"),
          F("difference_ppy", "Difference less the pre-period's", "gbp"),
          F("ci_low", "95% CI low", "gbp"), F("ci_high", "95% CI high", "gbp")]


def _total_cost(df: pd.DataFrame | None) -> pd.DataFrame | None:
    if df is None or not len(df):
        return None
    kt, m = pick(df, "key_type"), pick(df, "measure")
    if kt is None or m is None:
        return None
    out = df[(df[kt].astype(str) == "total") & (df[m].astype(str) == MONEY)]
    return out if len(out) else None


def hides_a_total(table: Table | None) -> bool:
    """Whether a disclosed table hides any cell of a whole-system £ row."""
    if table is None:
        return False
    hidden_rows = {i for i, _ in table.hidden}
    return any(str(table.rows[i].get("key_type")) == "total"
               and (table.rows[i].get("measure") is None or is_money(table.rows[i]["measure"]))
               for i in hidden_rows)


def withheld_reason(ctx: Context, months: pd.DataFrame,
                    disclosed: tuple[Table | None, ...] = ()) -> str | None:
    """Why a shared report may not show the months (None: it may); ``disclosed``: the report's
    effects and regression-to-the-mean tables after disclosure control."""
    supp = ctx.config.suppression
    few = primary_mask(months["treated_users"].to_numpy(float), supp.threshold) | primary_mask(
        months["control_users"].to_numpy(float), supp.threshold)
    if few.any():
        return f"some months rest on 1–{supp.threshold} people with any use"
    if dominated_rows(months, ("treated_", "control_"), supp.dominance).any():
        return "in some months one or two people's use makes up almost all of a group's"
    matched = _total_cost(ctx.outs.table("evaluate", "matched"))
    if matched is None:
        return "the matched estimates are missing"
    users = [c for c in ("treated_users", "control_users") if c in matched.columns]
    if len(users) < 2 or any(primary_mask(matched[c].to_numpy(float), supp.threshold).any() for c in users) \
            or dominated_rows(matched, MATCHED_SHARES, supp.dominance).any() \
            or any(hides_a_total(t) for t in disclosed):
        return "a window's whole-system figure is hidden"
    return None


def trajectory_blocks(ctx: Context, disclosed: tuple[Table | None, ...] = ()) -> list[Chart | Note | Paragraph | Table]:
    """The two charts (both groups' £, and each month's difference-in-differences with its
    interval), their table and a sentence on how to read them; a note instead where a shared
    report withholds them (``disclosed``: the effects and regression-to-the-mean tables as the
    report shows them); nothing for outputs written before the months were."""
    months = _total_cost(ctx.outs.table("evaluate", "trajectory"))
    if months is None:
        return []
    months = months.sort_values("month", kind="stable")
    if ctx.mode != "internal":
        why = withheld_reason(ctx, months, disclosed)
        if why is not None:
            return [Note(f"The month-by-month charts are not shown in a shared report: {why}. They are in the internal "
                         "report and in out/evaluate/trajectory.csv.")]
    table = frame_table(TABLE_ID, "Whole-system £ per person per year, month by month from joining", months, FIELDS,
                        protect_rows=False, protect_columns=False,
                        note="Month 0 is the first month from the index date (the participant's start, shared by "
                             "their matched controls); months before it are the pre-period. Rates count each "
                             "month's observed person-time. The difference is (participants − comparison group) "
                             "in the month less the same over the whole pre-period, with a cluster-bootstrap 95% "
                             "interval: near zero before joining when the groups moved together. Every service and "
                             "agency is in out/evaluate/trajectory.csv.")
    rows = [{"month_from_joining": int(r["month"]), "group": g, "cost": float(r[c])}
            for r in months.to_dict("records") for g, c in (("participants", "treated_ppy"),
                                                              ("comparison group", "control_ppy"))
            if r[c] is not None and np.isfinite(r[c])]
    title = "Whole-system £ per person per year, month by month from joining"
    effect_rows = [{"month_from_joining": int(r["month"]), "difference": float(r["difference_ppy"]),
                    "low": float(r["ci_low"]), "high": float(r["ci_high"])}
                   for r in months.to_dict("records")
                   if all(r[c] is not None and np.isfinite(r[c]) for c in ("difference_ppy", "ci_low", "ci_high"))]
    effect_title = "Difference between the groups less the pre-period's, month by month, 95% intervals"
    effect_chart = ([Chart("chart-evaluation-trajectory-effect", effect_title,
                           charts.event_study(effect_title, effect_rows, "month_from_joining", "difference", "low",
                                              "high", "£ per person per year"), table=TABLE_ID)]
                    if effect_rows else [])
    return [
        Paragraph("Month by month: each group's whole-system £ around the index date. People often join after a "
                  "crisis, so use typically rises towards the index date and falls after it in both groups; the "
                  "programme's effect in a month is the gap between the groups after joining less the gap before "
                  "(the difference column)."),
        Chart("chart-evaluation-trajectory", title, charts.lines(title, rows, "month_from_joining", "cost", "group",
                                                               "£ per person per year"), table=TABLE_ID),
        *effect_chart,
        table,
    ]
