"""Evaluation section (out/evaluate/*.parquet): naive before/after beside the matched
difference-in-differences, rate ratios, covariate balance, the regression-to-the-mean
diagnostic and outcome measures.

The tables are tidy: one row per (window, key_type, key, measure) where key_type is
service / agency / total and measure is events / units / cost (per person per year).
"""

from __future__ import annotations

import math
import re

import pandas as pd

from carecase.evaluate.config import RATE_MODEL_LABELS, window_key
from carecase.report import charts
from carecase.report.content import Chart, Column, Note, Paragraph, Section, Table, is_missing
from carecase.report.loaders import pick
from carecase.report.sections.common import (
    Context,
    F,
    clean_value,
    frame_table,
    missing_table,
    not_run,
)

# file → columns → block, in one place
# the columns the evaluate stage writes (out/evaluate/naive, matched, rate_ratios, rtm, …)
KEYS = ("window", "key_type", "key", "measure")
MONEY = "cost"  # the measure in £ (the others are events and units)
RATE_RATIOS = [F("window", "Window", "text"), F("key_type", "Level", "text"), F("key", "Service / agency", "text"),
               F("measure", "Measure", "text"), F("model", "Model", "text"),
               F("rate_ratio", "Rate ratio", "ratio"),
               F("rr_ci_low", "95% low", "ratio"), F("rr_ci_high", "95% high", "ratio"), F("rr_p", "p", "p"),
               F("alpha", "Dispersion α", "num"), F("e_value", "E-value", "ratio"),
               F("e_value_ci", "E-value (95% limit)", "ratio"), F("note", "Note", "text")]
RTM = [F("window", "Window", "text"), F("key_type", "Level", "text"), F("key", "Service / agency", "text"),
       F("measure", "Measure", "text"),
       F("treated_change_ppy", "Participants' change", "num"), F("control_change_ppy", "Comparison change", "num"),
       F("share_of_naive_change_seen_in_controls", "Share of naive change also seen in comparison", "pct")]
# the statistics of an outcome row describe its n people: hidden with n (from_count), and in
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
# out/evaluate/match_counts: rows that add up (the first is the sum of the others; a name
# ending in * stands for every row starting with it)
MATCH_RELATIONS = (
    ("participants", "treated_eligible", "excluded_*"),
    ("treated_eligible", "treated_matched", "treated_unmatched"),
    ("candidate_control_rows", "control_rows_matched", "candidate_rows_discarded"),
)


def p_for_sharing(p: float) -> float | str | None:
    """A p-value to 2 significant figures, or the text "<0.001"; missing stays missing."""
    if not math.isfinite(p):
        return None
    if abs(p) < 0.001:
        return "<0.001"
    return float(f"{p:.2g}")


def outcomes_for_sharing(df: pd.DataFrame) -> pd.DataFrame:
    """Shared reports: outcome means, SDs and intervals to 1 decimal, p-values to 2
    significant figures (or "<0.001")."""
    out = df.copy()
    for name in OUTCOME_MEANS:
        c = pick(out, name)
        if c is not None:
            out[c] = pd.to_numeric(out[c], errors="coerce").round(1)
    for name in OUTCOME_P:
        c = pick(out, name)
        if c is not None:
            out[c] = pd.Series([p_for_sharing(float(v)) for v in pd.to_numeric(out[c], errors="coerce")],
                               index=out.index, dtype=object)
    return out


def only_measure(df: pd.DataFrame, keep: str) -> pd.DataFrame:
    """Rows whose measure is ``keep`` (all rows when there is no measure column or none
    would be left)."""
    m = pick(df, "measure")
    if m is None:
        return df
    sub = df[df[m].astype(str).str.lower() == keep]
    return sub if len(sub) else df


def window_label(w: object) -> str:
    m = re.fullmatch(r"post_(\d+)_(\d+)", str(w))
    return f"months {m.group(1)}–{m.group(2)} after" if m else str(w)


def window_order(windows: list[str]) -> list[str]:
    """Windows in natural order (post_0_8 before post_0_12)."""
    return sorted(set(windows), key=window_key)


def _standard(df: pd.DataFrame | None, effect: str, n: str) -> pd.DataFrame | None:
    if df is None:
        return None
    cols = {"effect": pick(df, effect), "ci_low": pick(df, "ci_low"), "ci_high": pick(df, "ci_high"), "n": pick(df, n),
            "mde": pick(df, "mde_ppy")}
    if cols["effect"] is None:
        return None
    out = pd.DataFrame(index=df.index)
    for key in KEYS:
        c = pick(df, key)
        if c is not None:
            out[key] = df[c].astype(str)
    for k, c in cols.items():
        out[k] = pd.to_numeric(df[c], errors="coerce") if c is not None else float("nan")
    return out


def _labelled_windows(df: pd.DataFrame) -> pd.DataFrame:
    w = pick(df, "window")
    if w is None or not len(df):
        return df
    order = {x: i for i, x in enumerate(window_order(df[w].astype(str).tolist()))}
    df = df.assign(_w=df[w].astype(str).map(order)).sort_values("_w", kind="mergesort").drop(columns="_w")
    return df.assign(**{w: df[w].map(window_label)})


def _labelled_models(df: pd.DataFrame) -> pd.DataFrame:
    m = pick(df, "model")
    return df if m is None else df.assign(**{m: df[m].map(lambda v: RATE_MODEL_LABELS.get(str(v), v))})


def is_money(measure: object) -> bool:
    return str(measure).lower() == MONEY


MATCHED_ESTIMATES = ("effect_matched", "ci_low_matched", "ci_high_matched", "mde_matched")
NAIVE_ESTIMATES = ("effect_naive", "ci_low_naive", "ci_high_naive")
# rate ratios and the regression-to-the-mean changes are estimated on the matched people too
RATE_RATIO_ESTIMATES = ("rate_ratio", "rr_ci_low", "rr_ci_high", "rr_p", "alpha", "e_value", "e_value_ci")
RTM_ESTIMATES = ("treated_change_ppy", "control_change_ppy", "share_of_naive_change_seen_in_controls")


def few(n: object, threshold: int) -> bool:
    """A number of people from 1 to ``threshold``: an estimate resting on them is hidden."""
    if is_missing(n) or isinstance(n, str):
        return False
    return 1 <= abs(float(n)) <= threshold  # type: ignore[arg-type]


def side_by_side(naive: pd.DataFrame | None, matched: pd.DataFrame | None, threshold: int | None = None,
                 comparison: float | None = None) -> Table | None:
    """The naive/matched table (£ measures). With ``threshold`` (shared reports) the
    estimates resting on 1..threshold people are withheld: a row's matched DiD, interval and
    minimum detectable effect when its matched participants (or the matched comparison
    group's people, ``comparison``) are that few, its naive change and interval when the
    naive estimate's participants are."""
    # events and units are in the rate ratios
    naive = only_measure(naive, MONEY) if naive is not None else None
    matched = only_measure(matched, MONEY) if matched is not None else None
    n, m = _standard(naive, "change_ppy", "n"), _standard(matched, "effect_ppy", "n_sets")
    if n is None or m is None:
        return None
    keys = [k for k in KEYS if k in n.columns and k in m.columns]
    if not keys:
        return None
    both = n.merge(m, on=keys, how="outer", suffixes=("_naive", "_matched"))
    if "window" in keys:
        order = {w: i for i, w in enumerate(window_order(both["window"].tolist()))}
        both = both.assign(_w=both["window"].map(order)).sort_values(["_w", *keys[1:]], kind="mergesort")
    else:
        both = both.sort_values(keys, kind="mergesort")
    labels = {"window": "Window", "key_type": "Level", "key": "Service / agency", "measure": "Measure"}
    cols = [Column(k, labels[k]) for k in keys] + [
        Column("n_matched", "Matched participants", "count", count=True),
        Column("effect_naive", "Naive change", "num"), Column("ci_low_naive", "Naive 95% low", "num"),
        Column("ci_high_naive", "Naive 95% high", "num"),
        Column("effect_matched", "Matched DiD", "num"), Column("ci_low_matched", "Matched 95% low", "num"),
        Column("ci_high_matched", "Matched 95% high", "num"),
        Column("mde_matched", "Matched minimum detectable effect", "num")]
    rows = []
    withheld: set[tuple[int, str]] = set()
    for i, r in enumerate(both.to_dict("records")):
        row = {c.key: clean_value(r.get(c.key)) for c in cols}
        if "window" in row:
            row["window"] = window_label(row["window"])
        rows.append(row)
        if threshold is not None:
            if few(r.get("n_matched"), threshold) or few(comparison, threshold):
                withheld |= {(i, k) for k in MATCHED_ESTIMATES}
            if few(r.get("n_naive"), threshold):
                withheld |= {(i, k) for k in NAIVE_ESTIMATES}
    note = ("Negative values are reductions. Naive: the participants' own change. "
            "Matched: their change minus the matched comparison group's change. Minimum detectable effect "
            "(Bloom 1995): the smallest true effect these numbers would show as significant at 5% "
            "with the configured power (80% unless set); a smaller effect may be real but unseen. "
            "Measure 'cost' is £.")
    if withheld:
        note += (f" Shared report: estimates resting on 1–{threshold} people (participants, or the matched "
                 "comparison group) are hidden.")
    # the matched-participants column is the same people on every row, not a sum: only
    # small numbers (and figures hidden elsewhere) are hidden, no complement down the column
    return Table("evaluation-effects", "Naive before/after and matched difference-in-differences, per person per year",
                 cols, rows, note=note, protect_columns=False, withheld=withheld)


def effect_chart_rows(table: Table) -> list[dict]:
    """Chart rows (£ measures, the longest window) from the table's disclosed rows: an
    estimate the table hides is not drawn."""
    rows = table.shown if table.shown else table.rows
    keys = {c.key for c in table.columns}
    windows = [str(r["window"]) for r in table.rows] if "window" in keys else []
    last = windows[-1] if windows else None  # rows are in window order
    chart_rows: list[dict] = []
    for r in rows:
        if "measure" in keys and not is_money(r["measure"]):
            continue
        if last is not None and r["window"] != last:
            continue
        label = str(r.get("key", "")) if r.get("key_type") != "total" else "all services"
        for method in ("naive", "matched"):
            if r.get(f"effect_{method}") is None:
                continue
            chart_rows.append({"label": label, "level": r.get("key_type", ""), "window": r.get("window", ""),
                               "method": method, "effect": r[f"effect_{method}"],
                               "low": r[f"ci_low_{method}"], "high": r[f"ci_high_{method}"]})
    return chart_rows


def estimates_hidden(table: Table, keys: tuple[str, ...]) -> bool:
    """Every estimate of the table (``keys``) is hidden or missing after disclosure."""
    present = [k for k in keys if any(c.key == k for c in table.columns)]
    return bool(present) and all((i, k) in table.hidden or is_missing(r.get(k))
                                 for i, r in enumerate(table.shown) for k in present)


def _count_of(counts: Table | None, item: str) -> tuple[object, bool]:
    """(raw value, hidden?) of a row of the disclosed match-counts table."""
    if counts is None:
        return None, False
    for i, r in enumerate(counts.rows):
        if r.get("item") == item:
            return r.get("n"), (i, "n") in counts.hidden
    return None, False


def thin_windows(ctx: Context, matched: pd.DataFrame | None, counts: Table | None) -> set[str] | None:
    """Window labels whose matched estimates rest on 1..threshold people (participants, or
    the matched comparison group's people); None when every window does (or the windows are
    not known). Empty in internal reports."""
    if ctx.mode == "internal":
        return set()
    threshold = ctx.config.suppression.threshold
    treated, _ = _count_of(counts, "treated matched")
    comparison, _ = _count_of(counts, "control people matched")
    if few(comparison, threshold):
        return None
    if matched is None or pick(matched, "n_sets") is None:
        return None if few(treated, threshold) else set()
    w = pick(matched, "window")
    small = [few(v, threshold) for v in matched[pick(matched, "n_sets")]]
    if w is None:
        return None if any(small) else set()
    return {window_label(v) for v, s in zip(matched[w].astype(str), small, strict=True) if s}


def withhold_windows(t: Table, thin: set[str] | None, keys: tuple[str, ...]) -> None:
    """Withhold ``keys`` in the rows of ``t`` whose window is thin (every row when None)."""
    present = [k for k in keys if any(c.key == k for c in t.columns)]
    for i, r in enumerate(t.rows):
        if thin is None or str(r.get("window")) in thin:
            t.withheld |= {(i, k) for k in present}


def effects_table(ctx: Context, counts: Table | None) -> Table | None:
    """The naive/matched table, disclosed. Shared reports hide the estimates resting on
    1..threshold people, and the matched participants wherever the participants-and-
    comparison table hides the number matched (the same figure)."""
    naive, matched = ctx.outs.table("evaluate", "naive"), ctx.outs.table("evaluate", "matched")
    shared = ctx.mode != "internal"
    comparison, _ = _count_of(counts, "control people matched")
    table = side_by_side(naive, matched, ctx.config.suppression.threshold if shared else None,
                         None if is_missing(comparison) else float(comparison))  # type: ignore[arg-type]
    if table is None:
        return None
    _, matched_hidden = _count_of(counts, "treated matched")
    if shared and matched_hidden:
        table.withheld |= {(i, "n_matched") for i in range(len(table.rows))}
    ctx.shown(table)
    return table


def match_counts_table(ctx: Context) -> Table | None:
    counts = ctx.outs.table("evaluate", "match_counts")
    if counts is None:
        return None
    t = _match_counts(counts)
    ctx.shown(t)
    return t


def balance_wide(bal: pd.DataFrame) -> pd.DataFrame:
    """Balance as one row per covariate (smd/vr before and after) from the stage's long table."""
    stage, smd = pick(bal, "stage"), pick(bal, "smd")
    if stage is None or smd is None:
        return bal
    vr = pick(bal, "variance_ratio")
    cov = pick(bal, "covariate")
    parts = {}
    for st in ("before", "after"):
        sub = bal[bal[stage].astype(str) == st].set_index(cov)
        parts[f"smd_{st}"] = sub[smd]
        if vr:
            parts[f"vr_{st}"] = sub[vr]
    wide = pd.DataFrame(parts)
    wide["flag"] = wide["smd_after"].abs() >= 0.1 if "smd_after" in wide else None
    return wide.reset_index(names="covariate").sort_values("covariate", kind="mergesort")


BALANCE = [F("covariate", "Covariate", "text"), F("smd_before", "SMD before", "ratio"),
           F("smd_after", "SMD after", "ratio"), F("vr_before", "Variance ratio before", "ratio"),
           F("vr_after", "Variance ratio after", "ratio"), F("flag", "|SMD| ≥ 0.1 after", "text")]


def match_relations(names: list[str]) -> list[tuple[int, ...]]:
    """Row groups of the match counts that add up (MATCH_RELATIONS), by row index; a
    relation is left out when one of its named rows is missing."""
    pos = {n: i for i, n in enumerate(names)}
    out = []
    for relation in MATCH_RELATIONS:
        rows: list[int] = []
        for name in relation:
            if name.endswith("*"):
                rows += [i for i, n in enumerate(names) if n.startswith(name[:-1])]
            elif name in pos:
                rows.append(pos[name])
            else:
                break
        else:
            out.append(tuple(rows))
    return out


def _match_counts(df: pd.DataFrame) -> Table:
    label, value = pick(df, "count"), pick(df, "value")  # out/evaluate/match_counts: count (what), value (how many)
    names = [str(r[label]) if label else "" for r in df.to_dict("records")]
    rows = [{"item": n.replace("_", " "), "n": clean_value(r[value]) if value else None}
            for n, r in zip(names, df.to_dict("records"), strict=True)]
    # the column is not a sum: only the rows that add up protect each other
    return Table("evaluation-match-counts", "Participants and comparison group",
                 [Column("item", ""), Column("n", "Number", "count", count=True)], rows,
                 note="Counts of people or person-index rows; small numbers suppressed in shared reports "
                      "(participants = eligible + excluded; eligible = matched + unmatched; candidate "
                      "comparison rows = matched + discarded).",
                 protect_columns=False, relations=match_relations(names))


def build(ctx: Context) -> Section:
    outs = ctx.outs
    sec = Section("evaluation", "Evaluation")
    if not outs.has_stage("evaluate"):
        sec.blocks.append(not_run("evaluate", "the impact evaluation"))
        return sec
    sec.blocks.append(Paragraph(
        "Participants were compared with similar people who had not (yet) joined the programme, "
        "matched on their service use in the year before, its trend, age, sex and deprivation "
        "(propensity-score matching in calendar time). The naive before/after change is shown "
        "beside the matched estimate: people often join at a crisis, so their use would have "
        "fallen anyway (regression to the mean) and the naive change overstates the effect."))
    counts = match_counts_table(ctx)
    if counts is not None:
        sec.blocks.append(counts)
    naive, matched = outs.table("evaluate", "naive"), outs.table("evaluate", "matched")
    thin = thin_windows(ctx, matched, counts)
    threshold = ctx.config.suppression.threshold
    table = effects_table(ctx, counts)
    if table is None:
        sec.blocks.append(missing_table("evaluate", "naive" if naive is None else "matched"))
    elif ctx.mode != "internal" and estimates_hidden(table, MATCHED_ESTIMATES + NAIVE_ESTIMATES):
        sec.blocks.append(Note(f"The estimated effects are not shown in a shared report: they rest on 1–{threshold} "
                               "people (participants, or the matched comparison group). They are in the internal "
                               "report."))
    else:
        sec.blocks.append(table)
        chart_rows = effect_chart_rows(table)
        if chart_rows:
            title = f"Change in £ per person per year, 95% intervals ({chart_rows[0]['window']})"
            sec.blocks.append(Chart("chart-evaluation-effects", title,
                                    charts.intervals(title, chart_rows, "label", "effect", "low", "high", "method",
                                                     "£ per person per year")))
    rr = outs.table("evaluate", "rate_ratios")
    if rr is not None:
        t = frame_table("evaluation-rate-ratios", "Rate ratios (count models with person-time offset)",
                        _labelled_models(_labelled_windows(only_measure(rr, "events"))),
                        RATE_RATIOS,
                        note="Poisson and negative binomial models estimate the same rate ratio "
                        "and both have cluster-robust intervals; the negative binomial's α "
                        "measures how far use varies between people beyond chance (0 = none), "
                        "and a gap between the two models is worth reading. For rare services these "
                        "intervals are too narrow (on synthetic areas they contain the true ratio "
                        "about 91% of the time): read the matched difference beside them. "
                        "E-value: how strongly an unmeasured confounder would have to be "
                        "associated with both joining the programme and the outcome (as a risk "
                        "ratio, beyond the matched covariates) to explain the rate ratio away; "
                        "the 95% limit's E-value is 1 when the interval already includes no "
                        "effect (VanderWeele & Ding 2017).")
        withhold_windows(t, thin, RATE_RATIO_ESTIMATES)
        ctx.shown(t)
        if t.withheld and estimates_hidden(t, RATE_RATIO_ESTIMATES):
            sec.blocks.append(Note(f"The rate ratios are not shown in a shared report: they rest on 1–{threshold} "
                                   "matched people. They are in the internal report."))
        else:
            if t.withheld:
                t.note += (f" Shared report: rate ratios of a window whose matched estimates rest on 1–{threshold} "
                           "people are hidden.")
            sec.blocks.append(t)
    bal = outs.table("evaluate", "balance")
    if bal is None:
        sec.blocks.append(missing_table("evaluate", "balance"))
    else:
        wide = balance_wide(bal)
        sec.blocks.append(frame_table("evaluation-balance", "Covariate balance before and after matching", wide,
                                      BALANCE, note="Balance is adequate when |SMD| < 0.1 (Austin 2009)."))
        if {"covariate", "smd_before", "smd_after"} <= set(wide.columns):
            rows = [{"covariate": str(r["covariate"]), "stage": st, "smd": abs(float(r[f"smd_{st}"]))}
                    for r in wide.to_dict("records") for st in ("before", "after") if pd.notna(r[f"smd_{st}"])]
            sec.blocks.append(Chart("chart-evaluation-balance", "Balance (Love plot)",
                                    charts.love_plot("Balance (Love plot)", rows, "covariate", "smd", "stage")))
    rtm = outs.table("evaluate", "rtm")
    if rtm is not None:
        rtm = only_measure(rtm, MONEY)
        wc = pick(rtm, "window")
        if wc and len(rtm):  # the longest window: the full series is in out/evaluate/rtm.csv
            rtm = rtm[rtm[wc].astype(str) == window_order(rtm[wc].astype(str).tolist())[-1]]
        sec.blocks.append(Paragraph("Regression-to-the-mean diagnostic: the comparison group's own change "
                                    "over the same windows shows how much use would have fallen anyway."))
        wcol = pick(rtm, "window")
        last = None
        if wcol:
            last = window_label(window_order(rtm[wcol].astype(str).tolist())[-1]) if len(rtm) else None
            rtm = rtm.assign(**{wcol: rtm[wcol].map(window_label)})
        t = frame_table("evaluation-rtm", "Change in £ per person per year: participants and comparison group",
                        rtm, RTM, note="Longest post window; every window is in out/evaluate/rtm.csv.")
        withhold_windows(t, thin, RTM_ESTIMATES)
        shown = ctx.shown(t)
        if t.withheld and estimates_hidden(t, RTM_ESTIMATES):
            sec.blocks.append(Note(f"The participants' and comparison group's changes are not shown in a shared "
                                   f"report: they rest on 1–{threshold} matched people."))
        else:
            sec.blocks.append(t)
            keys = {c.key for c in t.columns}
            if {"key", "treated_change_ppy", "control_change_ppy"} <= keys:
                rows = [{"key": r["key"], "group": g, "change": r[c]} for r in shown
                        if (r.get("measure") is None or is_money(r["measure"])) and r.get("window") == last
                        for g, c in (("participants", "treated_change_ppy"), ("comparison", "control_change_ppy"))
                        if r[c] is not None]
                if rows:
                    sec.blocks.append(Chart("chart-evaluation-rtm", f"£ change per person per year by group ({last})",
                                            charts.grouped_bars(f"£ change per person per year by group ({last})",
                                                                rows, "key", "group", "change",
                                                                "£ per person per year")))
    out = outs.table("evaluate", "outcomes")
    if out is not None:
        note = ("Rows are different comparisons of the same people, so small numbers "
                "are protected within each row (People = improved + no change + worse).")
        if ctx.mode != "internal":
            out = outcomes_for_sharing(out)
            note += (" Means, SDs and intervals are shown to 1 decimal and p-values to 2 significant figures; "
                     "a row's statistics are hidden with its number of people, and its p-values with any of "
                     "its improved / no change / worse counts.")
        sec.blocks.append(frame_table("evaluation-outcomes", "Outcome measures (change between assessments)", out,
                                      OUTCOMES, protect_columns=False, note=note))
    return sec
