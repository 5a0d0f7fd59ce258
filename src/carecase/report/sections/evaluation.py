"""Evaluation section (out/evaluate/*.parquet): naive before/after beside the matched
difference-in-differences, rate ratios, covariate balance, the regression-to-the-mean
diagnostic and outcome measures.

The tables are tidy: one row per (window, key_type, key, measure) where key_type is
service / agency / total and measure is events / units / cost (per person per year).

This module builds the section, with the rate ratios, balance and regression-to-the-mean
tables; its parts are in their own modules under carecase.report.sections: the tables' keys
(windows and measures) in ``windows``, the participants-and-comparison table and the rules
for estimates resting on few people in ``participants``, the naive/matched table in
``effects`` and the outcome measures in ``outcomes``.
"""

from __future__ import annotations

import pandas as pd

from carecase.evaluate.config import RATE_MODEL_LABELS
from carecase.evaluate.estimates import FEW_CLUSTERS, MIN_CLUSTERS
from carecase.report import charts
from carecase.report.content import Chart, Note, Paragraph, Section, Table, is_missing
from carecase.report.loaders import get, pick
from carecase.report.sections.balance_disclosure import after_pins_matched
from carecase.report.sections.caveats import balance_caveat, window_caveat
from carecase.report.sections.common import Context, F, frame_table, missing_table, not_run
from carecase.report.sections.did_tables import (
    RTM,
    RTM_ESTIMATES,
    did_tables,
    effects_table,
    hidden_matched_keys,
)
from carecase.report.sections.effects import (
    MATCHED_ESTIMATES,
    NAIVE_ESTIMATES,
    effect_chart_rows,
    few_user_keys,
    side_by_side,
    withhold_few_users,
)
from carecase.report.sections.method import method_paragraph
from carecase.report.sections.outcomes import (
    OUTCOME_COUNTS,
    OUTCOME_MEANS,
    OUTCOME_P,
    OUTCOMES,
    disclosed_outcomes,
    outcomes_for_sharing,
    p_for_sharing,
)
from carecase.report.sections.participants import (
    MATCH_RELATIONS,
    estimates_hidden,
    few,
    match_count,
    match_counts_table,
    match_relations,
    thin_windows,
    withhold_windows,
)
from carecase.report.sections.trajectory import trajectory_blocks
from carecase.report.sections.windows import (
    KEYS,
    MONEY,
    is_money,
    only_measure,
    window_label,
    window_order,
)

__all__ = [  # the names of the modules above are re-exported: they were defined here
    "BALANCE", "KEYS", "MATCHED_ESTIMATES", "MATCH_RELATIONS", "MONEY", "NAIVE_ESTIMATES", "OUTCOMES",
    "OUTCOME_COUNTS", "OUTCOME_MEANS", "OUTCOME_P", "RATE_RATIOS", "RATE_RATIO_ESTIMATES", "RTM",
    "RTM_ESTIMATES", "balance_wide", "build", "effect_chart_rows", "effects_table", "estimates_hidden",
    "few", "is_money", "match_counts_table", "match_relations", "only_measure", "outcomes_for_sharing",
    "p_for_sharing", "side_by_side", "thin_windows", "window_label", "window_order", "withhold_windows",
]

# file → columns → block, in one place
RATE_RATIOS = [F("window", "Window", "text"), F("key_type", "Level", "text"), F("key", "Service / agency", "text"),
               F("measure", "Measure", "text"), F("model", "Model", "text"),
               F("rate_ratio", "Rate ratio", "ratio"),
               F("rr_ci_low", "95% low", "ratio"), F("rr_ci_high", "95% high", "ratio"), F("rr_p", "p", "p"),
               F("alpha", "Dispersion α", "num"), F("e_value", "E-value", "ratio"),
               F("e_value_ci", "E-value (95% limit)", "ratio"), F("note", "Note", "text")]
BALANCE = [F("covariate", "Covariate", "text"), F("smd_before", "SMD before", "ratio"),
           F("smd_after", "SMD after", "ratio"), F("vr_before", "Variance ratio before", "ratio"),
           F("vr_after", "Variance ratio after", "ratio"), F("flag", "|SMD| ≥ 0.1 after", "text")]
# rate ratios are estimated on the matched people too
RATE_RATIO_ESTIMATES = ("rate_ratio", "rr_ci_low", "rr_ci_high", "rr_p", "alpha", "e_value", "e_value_ci", "note")


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


def rate_ratio_table(ctx: Context, counts: Table | None) -> Table | None:
    """The rate-ratio table, disclosed (once per report: the executive summary names the
    changes it shows): hidden where its window is thin, where the matched people using a
    service are few or one or two dominate its events, and wherever the effects table hides
    the row's matched DiD."""
    if "rate_ratios" in ctx.memo:
        return ctx.memo["rate_ratios"]  # type: ignore[no-any-return]
    rr = ctx.outs.table("evaluate", "rate_ratios")
    if rr is None:
        ctx.memo["rate_ratios"] = None
        return None
    thin = thin_windows(ctx, ctx.outs.table("evaluate", "matched"), counts)
    few_matched_users = few_user_keys(ctx, "events")  # the rate ratios are of events
    t = frame_table("evaluation-rate-ratios", "Rate ratios (count models with person-time offset)",
                    _labelled_models(_labelled_windows(only_measure(rr, "events"))),
                    RATE_RATIOS,
                    note="Poisson and negative binomial models estimate the same rate ratio "
                    "and both have cluster jackknife intervals (each matched set, or group of "
                    "sets sharing a person, left out in turn); the negative binomial's α "
                    "measures how far use varies between people beyond chance (0 = none), "
                    "and a gap between the two models is worth reading. On synthetic areas these "
                    "intervals contain the true ratio 90% (negative binomial) to 95% (Poisson) of "
                    "the time (the misses are bias that matching leaves): read the matched "
                    "difference beside them. "
                    "E-value: how strongly an unmeasured confounder would have to be "
                    "associated with both joining the programme and the outcome (as a risk "
                    "ratio, beyond the matched covariates) to explain the rate ratio away; "
                    "the 95% limit's E-value is 1 when the interval already includes no "
                    "effect (VanderWeele & Ding 2017).")
    withhold_windows(t, thin, RATE_RATIO_ESTIMATES)
    withhold_few_users(t, few_matched_users, RATE_RATIO_ESTIMATES)
    # a row whose matched DiD the effects table hides (for few users, a dominance rule or
    # as a complement) has its ratios hidden too: for a point service (£ = events × one
    # unit cost) the ratio is (participants' post ÷ pre) ÷ (comparison post ÷ pre) of the
    # same rates, and with the naive change and another window's comparison change shown
    # a disclosure review worked adult social care's hidden DiD back to within 5% from it
    withhold_few_users(t, hidden_matched_keys(ctx, counts), RATE_RATIO_ESTIMATES)
    ctx.shown(t)
    ctx.memo["rate_ratios"] = t
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


def balance_gives_back_matched(ctx: Context, bal: pd.DataFrame, counts: Table | None) -> bool:
    """Whether the shown balance after matching would give back the hidden number matched
    (:mod:`carecase.report.sections.balance_disclosure`). Entropy-balanced controls carry
    continuous weights, so their statistics do not; anything this cannot judge (a table
    from an older carecase without the ``binary`` column, unequal control weights, a hidden
    number eligible) counts as giving it back."""
    summary = outs_json(ctx, "summary.json")
    if get(get(summary, "matching", default={}), "calibrated"):
        return False
    cols = {k: pick(bal, k) for k in ("stage", "binary", "smd", "variance_ratio", "n_treated", "n_control")}
    if any(c is None for c in cols.values()) or counts is None:
        return True
    after = bal[bal[cols["stage"]].astype(str) == "after"]
    if not len(after):
        return False
    k = float(after[cols["n_control"]].iloc[0]) / max(float(after[cols["n_treated"]].iloc[0]), 1.0)
    eligible = next((i for i, r in enumerate(counts.rows) if r.get("item") == "treated eligible"), None)
    if abs(k - round(k)) > 1e-9 or eligible is None or (eligible, "n") in counts.hidden:
        return True
    shown_eligible = counts.shown[eligible].get("n") if counts.shown else None
    if not isinstance(shown_eligible, int | float):
        return True
    binary = after[after[cols["binary"]].astype(bool)]
    rows = list(zip(binary[cols["smd"]].astype(float), binary[cols["variance_ratio"]].astype(float), strict=True))
    cfg = ctx.config.suppression
    return after_pins_matched(rows, int(shown_eligible), cfg.threshold, cfg.rounding_base, int(round(k)))


def small_binary_groups(bal: pd.DataFrame, threshold: int) -> set[tuple[str, str]]:
    """(covariate, stage) of the 0/1 covariates that 1..threshold people of either group have,
    or lack (participants; the comparison pool before matching, the matched controls after,
    counted where their weights are equal). With the number in the group (participants: cost
    ÷ cost per person) the SMD and variance ratio give that split back: 9 men of 19
    participants on a 300-person demo."""
    need = ("covariate", "stage", "binary", "mean_treated", "mean_control", "n_treated", "n_control")
    if any(pick(bal, c) is None for c in need):
        return set()
    out = set()
    for r in bal[bal[pick(bal, "binary")].astype(bool)].to_dict("records"):
        counts = []
        for mean, n in (("mean_treated", "n_treated"), ("mean_control", "n_control")):
            k = float(r[mean]) * float(r[n])
            if abs(k - round(k)) < 1e-6:  # a count (equal weights)
                counts += [round(k), int(r[n]) - round(k)]
        if any(1 <= c <= threshold for c in counts):
            out.add((str(r["covariate"]), str(r["stage"])))
    return out


def cluster_notes(ctx: Context) -> list[str]:
    """The evaluate stage's warnings about its clusters of matched sets. Internal reports
    copy them (and with them the stage's other warnings: participants left out, windows
    running past the data, outcome notes); shared ones say the same without the stage's
    counts (its "all 4 matched sets" gave back a hidden number matched)."""
    summary = outs_json(ctx, "summary.json")
    if ctx.mode == "internal":
        return [str(w) for w in get(summary, "warnings", default=[]) or []]
    return cluster_caveat(ctx)


def cluster_caveat(ctx: Context) -> list[str]:
    """What the clusters of matched sets mean for the intervals, without counts (any mode)."""
    n = get(get(outs_json(ctx, "summary.json"), "matching", default={}), "n_clusters")
    if not isinstance(n, int | float):
        return []
    if n < MIN_CLUSTERS:
        return ["The matched intervals, standard errors and minimum detectable effects are not estimable: "
                "every matched set shares people with the others (controls reused by risk-set matching), so "
                "the cluster bootstrap has nothing to resample."]
    if n < FEW_CLUSTERS:
        return [f"The matched intervals rest on fewer than {FEW_CLUSTERS} independent clusters of matched sets "
                "(sets sharing a person are resampled together); with so few a cluster bootstrap's intervals "
                "are too narrow (Cameron & Miller 2015): read them as a lower bound on the uncertainty."]
    return []


def outs_json(ctx: Context, name: str) -> dict:
    return ctx.outs.json("evaluate", name) or {}


def build(ctx: Context) -> Section:
    outs = ctx.outs
    sec = Section("evaluation", "Evaluation")
    summary = outs_json(ctx, "summary.json")
    matching = get(summary, "matching", default={})
    skipped = summary.get("skipped")
    if skipped:
        sec.blocks.append(Note(f"Not run: {str(skipped).rstrip('.')}.", kind="not_run"))
        return sec
    if not outs.has_stage("evaluate"):
        sec.blocks.append(not_run("evaluate", "the impact evaluation"))
        return sec
    sec.blocks.append(Paragraph(
        method_paragraph(matching) + " "
        "The naive before/after change is shown beside the matched estimate: people often join at a crisis, so their use would have "
        "fallen anyway (regression to the mean) and the naive change overstates the effect. "
        "How much depends on how participants were chosen: the comparison group's own change (the "
        "regression-to-the-mean table) shows it for these data; where it is small, the naive change "
        "is not much biased, and a matched estimate near zero may be matching's own error "
        "(docs/evaluation.md, Known limitations)."))
    counts = match_counts_table(ctx)
    if counts is not None:
        sec.blocks.append(counts)
    sec.blocks.extend(Note(line) for line in cluster_notes(ctx))
    if ctx.mode != "internal":  # internal: the stage's own warning is among cluster_notes
        sec.blocks.extend(Note(line, kind="warning") for line in window_caveat(ctx))
    sec.blocks.extend(Note(line, kind="warning") for line in balance_caveat(ctx))
    naive = outs.table("evaluate", "naive")
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
                                                     "£ per person per year"), table="evaluation-effects"))
    t = rate_ratio_table(ctx, counts)
    if t is not None:
        if t.withheld and estimates_hidden(t, RATE_RATIO_ESTIMATES):
            sec.blocks.append(Note(f"The rate ratios are not shown in a shared report: they rest on 1–{threshold} "
                                   "matched people. They are in the internal report."))
        else:
            if t.withheld:
                t.note += (f" Shared report: rate ratios resting on 1–{threshold} people (matched people, or "
                           "the users of that service or agency among them), or on events one or two people "
                           "make up almost all of (a dominance rule), are hidden.")
            sec.blocks.append(t)
    bal = outs.table("evaluate", "balance")
    matched_people = (match_count(counts, "treated matched")[0], match_count(counts, "control people matched")[0])
    if bal is None:
        sec.blocks.append(missing_table("evaluate", "balance"))
    elif ctx.mode != "internal" and any(few(n, threshold) for n in matched_people):
        # the 'after' means are averages of the few matched people's age, use and so on
        sec.blocks.append(Note(f"The covariate balance is not shown in a shared report: after matching it "
                               f"describes 1–{threshold} people. It is in the internal report."))
    else:
        wide = balance_wide(bal)
        note = "Balance is adequate when |SMD| < 0.1 (Austin 2009)."
        tolerance = get(matching, "balance_tolerance")
        if get(matching, "calibrated") and isinstance(tolerance, int | float) and tolerance > 0:
            note += (" After matching, the controls were weighted (entropy balancing) so that each covariate's "
                     f"weighted mean is within {tolerance:g} standard deviations of the participants': an SMD "
                     f"of about {tolerance:.2f} or less after shows that the weighting worked, not that the matched "
                     "people were alike (the method above says how unequal the weights are).")
        elif get(matching, "calibrated"):
            note += (" After matching, the controls were weighted (entropy balancing) so that each covariate's "
                     "weighted mean equals the participants': an SMD of 0.00 after shows that the weighting "
                     "worked, not that the matched people were alike (the method above says how unequal the "
                     "weights are).")
        stages: tuple[str, ...] = ("before", "after")
        if ctx.mode != "internal" and match_count(counts, "treated matched")[1] and balance_gives_back_matched(
                ctx, bal, counts):
            # a binary covariate's SMD and variance ratio after matching are functions of the
            # number matched and how many of them have it: with that number hidden (say as
            # the complement of a few unmatched), they would give it back
            wide = wide.drop(columns=[c for c in ("smd_after", "vr_after", "flag") if c in wide.columns])
            stages = ("before",)
            note += (" Shared report: the balance after matching is not shown, as the number matched is "
                     "hidden (the after-matching statistics would give it back); it is in the internal report.")
        table = frame_table("evaluation-balance", "Covariate balance before and after matching", wide,
                            BALANCE, note=note)
        if ctx.mode != "internal":
            few_split = small_binary_groups(bal, ctx.config.suppression.threshold)
            for i, r in enumerate(table.rows):
                for st in stages:
                    if (str(r.get("covariate")), st) in few_split:
                        table.withheld |= {(i, f"smd_{st}"), (i, f"vr_{st}")}
            if table.withheld:
                table.note += (f" Shared report: a 0/1 covariate's statistics are hidden where 1–"
                               f"{ctx.config.suppression.threshold} people of either group have it, or lack it "
                               "(they would give that number back).")
        shown_rows = ctx.shown(table)
        sec.blocks.append(table)
        if {"covariate", "smd_before"} <= {c.key for c in table.columns}:
            rows = [{"covariate": str(r["covariate"]), "stage": st, "smd": abs(float(r[f"smd_{st}"]))}
                    for r in shown_rows for st in stages if not is_missing(r.get(f"smd_{st}"))]
            sec.blocks.append(Chart("chart-evaluation-balance", "Balance (Love plot)",
                                    charts.love_plot("Balance (Love plot)", rows, "covariate", "smd", "stage"),
                                    table="evaluation-balance"))
    _, rtm = did_tables(ctx, counts)
    if rtm is not None:
        sec.blocks.append(Paragraph("Regression-to-the-mean diagnostic: the comparison group's own change "
                                    "over the same windows shows how much use would have fallen anyway."))
        last = str(rtm.rows[0].get("window")) if rtm.rows and "window" in {c.key for c in rtm.columns} else None
        shown = rtm.shown  # disclosed by did_tables
        if rtm.withheld and estimates_hidden(rtm, RTM_ESTIMATES):
            sec.blocks.append(Note(f"The participants' and comparison group's changes are not shown in a shared "
                                   f"report: they rest on 1–{threshold} matched people."))
        else:
            sec.blocks.append(rtm)
            keys = {c.key for c in rtm.columns}
            if {"key", "treated_change_ppy", "control_change_ppy"} <= keys:
                rows = [{"key": r["key"], "group": g, "change": r[c]} for r in shown
                        if (r.get("measure") is None or is_money(r["measure"])) and r.get("window") == last
                        for g, c in (("participants", "treated_change_ppy"), ("comparison", "control_change_ppy"))
                        if r[c] is not None]
                if rows:
                    sec.blocks.append(Chart("chart-evaluation-rtm", f"£ change per person per year by group ({last})",
                                            charts.grouped_bars(f"£ change per person per year by group ({last})",
                                                                rows, "key", "group", "change",
                                                                "£ per person per year"),
                                            table="evaluation-rtm"))
    sec.blocks.extend(trajectory_blocks(ctx, did_tables(ctx, counts)))
    outcomes = disclosed_outcomes(ctx)
    if outcomes is not None:
        sec.blocks.append(outcomes)
    return sec
