"""Outcome measures for the evaluation section (out/evaluate/outcomes): the change between
assessments on each instrument, measure or domain, with shared-report rounding."""

from __future__ import annotations

import math

import pandas as pd

from carecase.report.content import Table, format_value
from carecase.report.loaders import pick
from carecase.report.sections.common import Context, F, frame_table

# file → columns → block, in one place.
# The statistics of an outcome row describe its n people: hidden with n (from_count), and in
# shared reports rounded (OUTCOME_MEANS to 1 decimal, OUTCOME_P to 2 significant figures or
# "<0.001"). The p-values are also hidden with any of the row's improved / no change / worse
# counts: an exact signed-rank p gives the number of non-zero changes back (m changes all of
# one sign: p = 2 / 2^m, so 0.031 means 6 improved), which rounding does not hide.
OUTCOME_MEANS = ("mean_from", "mean_to", "mean_change", "sd_change", "ci_low", "ci_high")
OUTCOME_P = ("t_p", "wilcoxon_p")
OUTCOME_COUNTS = ("improved", "no_change", "worse")
OUTCOMES = [F("instrument", "Instrument", "text"), F("measure", "Measure / domain", "text"),
            F("from_assessment", "From", "text"), F("to_assessment", "To", "text"),
            F("n", "People", "count", count=True), F("mean_from", "Mean before", "num", from_count="n"),
            F("mean_to", "Mean after", "num", from_count="n"),
            F("mean_change", "Mean change", "num", from_count="n"),
            F("sd_change", "SD of change", "num", from_count="n"),
            F("ci_low", "95% low", "num", from_count="n"), F("ci_high", "95% high", "num", from_count="n"),
            F("t_p", "p (paired t)", "p", from_count="n", hidden_with=OUTCOME_COUNTS),
            F("wilcoxon_p", "p (Wilcoxon)", "p", from_count="n", hidden_with=OUTCOME_COUNTS),
            F("improved", "Improved", "count", count=True), F("no_change", "No change", "count", count=True),
            F("worse", "Worse", "count", count=True)]


def p_for_sharing(p: float) -> float | str | None:
    """A p-value to 2 significant figures, or the text "<0.001"; missing stays missing."""
    if not math.isfinite(p):
        return None
    if abs(p) < 0.001:
        return "<0.001"
    return float(f"{p:.2g}")


def _decimals(x: float, places: int) -> str | None:
    """``x`` rounded to ``places`` decimals as text, minus as in every other figure (−)."""
    if not math.isfinite(x):
        return None
    r = round(x, places) + 0.0  # + 0.0: −0.0 reads 0.0
    text = f"{r if r != 0 else 0.0:,.{places}f}"
    return "−" + text[1:] if text.startswith("-") else text


def outcomes_for_sharing(df: pd.DataFrame) -> pd.DataFrame:
    """Shared reports: outcome means, SDs and intervals to 1 decimal (2 on a row whose means
    lie within [−1, 1], an EQ-5D index: to 1 decimal a 0.155 gain read 0.2), p-values to 2
    significant figures (or "<0.001")."""
    out = df.copy()
    means = [c for c in (pick(out, n) for n in ("mean_from", "mean_to")) if c is not None]
    # as float: an empty column written as text stays text under to_numeric (and abs fails)
    index_scale = (out[means].apply(pd.to_numeric, errors="coerce").astype(float).abs().max(axis=1) <= 1.0
                   if means else pd.Series(False, index=out.index))
    for name in OUTCOME_MEANS:
        c = pick(out, name)
        if c is not None:  # as text with the digits kept: 4.0, not 4.00 (a 1-decimal rounding
            # printed with 2 read "4.00 → 4.90, change 1.00")
            v = pd.to_numeric(out[c], errors="coerce").astype(float)
            out[c] = pd.Series([_decimals(x, 2 if wide else 1) for x, wide in zip(v, index_scale, strict=True)],
                               index=out.index, dtype=object)
    for name in OUTCOME_P:
        c = pick(out, name)
        if c is not None:
            out[c] = pd.Series([p_for_sharing(float(v)) for v in pd.to_numeric(out[c], errors="coerce")],
                               index=out.index, dtype=object)
    return out


#: What an instrument's total is, by its scoring (evaluation.instruments[].scoring).
TOTALS = {
    "sum": "the sum of its domains (not scored with a domain missing)",
    "wemwbs": "the WEMWBS total (14 items 1–5 summed, 14–70; not scored with an item missing)",
    "swemwbs": "the SWEMWBS metric score (7 items 1–5 summed, 7–35, converted with the Warwick Medical "
               "School conversion table; not scored with an item missing)",
    "eq5d": "the EQ-5D index from the value set supplied (1 − the decrements of each dimension's level and "
            "the value set's constant and N3 terms; not scored with a dimension missing)",
}


def scoring_notes(instruments: object) -> list[str]:
    """One sentence per instrument from the evaluate stage's record of its scoring (summary.json
    matching.instruments): what its total is, which way is better, and the points compared."""
    if not isinstance(instruments, dict):
        return []
    out = []
    for name, spec in instruments.items():
        if not isinstance(spec, dict):
            continue
        scoring, points = str(spec.get("scoring")), [str(p) for p in spec.get("assessments") or []]
        total = f"the total is {TOTALS[scoring]}" if scoring in TOTALS else "no total (domains only)"
        if scoring == "eq5d":
            way = "a lower dimension level and a higher index are better"
        else:
            way = "higher is better" if spec.get("higher_is_better", True) else "lower is better"
        text = f"{name}: {total}; {way}"
        if len(points) >= 2:
            text += f"; change from {points[0]} to {points[-1]}"
            if len(points) > 2:
                text += f" ({', '.join(points[1:-1])} not used)"
        out.append(text + ".")
    return out


def outcomes_table(ctx: Context, out: pd.DataFrame) -> Table:
    """The outcome measures table; in shared reports with the statistics rounded
    (outcomes_for_sharing)."""
    note = ("Participants' own change between assessments, with no comparison group: like the naive "
            "before/after above, it may overstate what the programme did (people often join at a low "
            "point and improve anyway), and it covers only those assessed at both points. "
            "Rows are different comparisons of the same people, so small numbers "
            "are protected within each row (People = improved + no change + worse). Change is the later "
            "score less the earlier; improved and worse follow each instrument's direction; p-values are "
            "from the paired t-test and the Wilcoxon signed-rank test (zero changes dropped).")
    summary = ctx.outs.json("evaluate", "summary.json") or {}
    matching = summary.get("matching") if isinstance(summary, dict) else None
    scored = scoring_notes(matching.get("instruments") if isinstance(matching, dict) else None)
    if scored:
        note += " " + " ".join(scored)
    if ctx.mode != "internal":
        # "intervals" only where the evaluate stage wrote them (the demo's outcomes have none)
        ci = any(c is not None and out[c].notna().any() for c in (pick(out, "ci_low"), pick(out, "ci_high")))
        out = outcomes_for_sharing(out)
        note += (f" Means{', SDs and intervals' if ci else ' and SDs'} are shown to 1 decimal (2 on a scale within "
                 "−1 to 1, such as an EQ-5D index) and p-values to 2 significant figures; "
                 "a row's statistics are hidden with its number of people, and its p-values with any of "
                 "its improved / no change / worse counts.")
    return frame_table("evaluation-outcomes", "Outcome measures (change between assessments)", out,
                       OUTCOMES, protect_columns=False, note=note)


def disclosed_outcomes(ctx: Context) -> Table | None:
    """The outcome measures table, disclosed, built once a report (the Evaluation section shows
    it; the executive summary quotes it); None without out/evaluate/outcomes."""
    if "outcomes_table" not in ctx.memo:
        out = ctx.outs.table("evaluate", "outcomes")
        table = outcomes_table(ctx, out) if out is not None else None
        if table is not None:
            ctx.shown(table)
        ctx.memo["outcomes_table"] = table
    return ctx.memo["outcomes_table"]  # type: ignore[no-any-return]


def _signed(v: object) -> str:
    """A mean change as shown (a number, or a shared report's rounded text), with its sign."""
    if isinstance(v, int | float):
        return f"{v:+,.2f}"
    text = str(v)
    return text if text.startswith(("-", "−")) or text.strip("0.") == "" else "+" + text


def outcomes_in_brief(ctx: Context) -> str:
    """For the executive summary: each instrument's change in total as the Evaluation section's
    disclosed outcomes table shows it (a hidden figure is left out, never worked round), with
    its caveat (no comparison group); "" where there is none to show (a board read the report
    without learning that the participants' outcome scores rose)."""
    table = disclosed_outcomes(ctx)
    if table is None:
        return ""
    parts = []
    for i, r in enumerate(table.shown):
        if str(r.get("measure")) != "total" or any((i, c) in table.hidden for c in ("n", "mean_change")):
            continue
        change, n = r.get("mean_change"), r.get("n")
        if change is None or n is None:
            continue
        text = (f"{r.get('instrument')} total, {r.get('from_assessment')} to {r.get('to_assessment')}: mean change "
                f"{_signed(change)} ({format_value(n, 'count')} people")
        improved = r.get("improved")
        if improved is not None and (i, "improved") not in table.hidden:
            text += f", {format_value(improved, 'count')} improved"
        p = r.get("t_p")
        if p is not None and (i, "t_p") not in table.hidden:
            text += f"; paired t-test p {'< 0.001' if p == '<0.001' else f'= {p}'}"
        parts.append(text + ")")
    if not parts:
        return ""
    return ("Outcome measures (the participants' own change, with no comparison group, so part of it may have "
            "happened anyway): " + "; ".join(parts) + " (Evaluation section, outcome measures).")
