"""Executive summary: NPV, ROI, payback, who benefits, break-even, avoided demand apart from
intended increases, headline effects with intervals and the method in plain words — drawn from cba/results.json and evaluate/matched.parquet."""

from __future__ import annotations

import math
from typing import Any

from carecase.core.dates import fiscal_year_label
from carecase.report.content import Note, Paragraph, Section, format_value
from carecase.report.loaders import get, named_items, numeric
from carecase.report.sections import cba as cba_section
from carecase.report.sections import evaluation as eval_section
from carecase.report.sections.caveats import balance_caveat, data_caveats, rests_on, window_caveat
from carecase.report.sections.cba_break_even import break_even_paragraph, split_blocks
from carecase.report.sections.common import Context
from carecase.report.sections.did_tables import (
    matched_naive_totals,
    naive_of_matched,
    naive_populations,
    populations_note,
    rests_on_few,
)
from carecase.report.sections.outcomes import outcomes_in_brief
from carecase.report.sections.windows import in_a_sentence, windows_in_words

METHOD = (
    "How the figures were made: agency records were linked to people, service contacts were "
    "costed with published unit costs at one price year, and the programme's effect was measured "
    "by comparing participants' service use before and after joining with that of similar people "
    "who had not joined (a matched comparison group), so that changes that would have happened "
    "anyway are not counted as programme benefits. The cost-benefit analysis follows the HM "
    "Treasury Green Book and its local-partnership CBA guidance: future values are discounted, "
    "costs are raised and benefits reduced for optimism bias, and benefits reduced for deadweight, "
    "attribution and displacement (an "
    "effect measured against the matched comparison group has already had what would have "
    "happened anyway taken out, so carecase sets its deadweight to 0)."
)


def verdict(effects: list[dict[str, Any]]) -> str:
    """What the headline intervals say, in words: whether each includes no change, and, where
    all do, the smallest effect the study could have detected (the minimum detectable effect)."""
    spans, mdes = [], []
    for r in effects:
        lo, hi, mde = numeric([r.get("ci_low_matched"), r.get("ci_high_matched"), r.get("mde_matched")])
        if math.isnan(lo) or math.isnan(hi):
            return ""
        spans.append(lo <= 0 <= hi)
        if not math.isnan(mde):
            mdes.append(abs(mde))
    if all(spans):
        text = ("Every interval includes no change: these data show no effect on whole-system cost "
                "either way, which is not the same as showing there is none")
        if mdes:
            text += (f"; only an effect larger than about {format_value(min(mdes), 'gbp')} a person-year "
                     "would probably have shown (the minimum detectable effect)")
        return text + "."
    clear = [str(r.get("window", "")) for r, s in zip(effects, spans, strict=True) if not s]
    return f"The interval excludes no change for {', '.join(in_a_sentence(w) for w in clear)}."


def _naive_words(ctx: Context, row: dict[str, Any], of_matched: bool,
                 populations: tuple[int, int] | None) -> str:
    """The naive figure beside a headline effect, saying whom it covers: the matched
    participants (a shared report with few left unmatched), all participants where some were
    left unmatched (an internal report also gives the matched participants' own, the like for
    like figure), or simply "naive before/after" where everyone was matched."""
    value = format_value(row["effect_naive"], "gbp")
    if of_matched:
        return f"naive before/after of the matched participants {value}"
    if populations is None:
        return f"naive before/after {value}"
    n_all, n_matched = populations
    if ctx.mode != "internal":
        return f"naive before/after of all participants, matched or not, {value}"
    own = matched_naive_totals(ctx).get(str(row.get("window", "")))
    text = f"naive before/after of all {n_all:,} participants {value}"
    return text + (f", of the {n_matched:,} matched {format_value(own, 'gbp')}" if own is not None else "")


def _hidden_totals(ctx: Context, windows: list[str]) -> str:
    """Why the headline effect of each window in ``windows`` is not shown in a shared report:
    it rests on few people, or it is hidden only to protect an estimate that does (a
    complement: with the cost-benefit model's inputs shown, the total is the row left)."""
    if not windows:
        return ""
    counts = eval_section.match_counts_table(ctx)
    own = [w for w in windows if rests_on_few(ctx, counts, (w, "total", "all"))]
    guard = [w for w in windows if w not in own]
    text = []

    def which(ws: list[str]) -> str:
        return f"The headline effect for {windows_in_words(ws)} is not shown in a shared report"

    if own:
        text.append(f"{which(own)}: it rests on {rests_on(ctx)}.")
    if guard:
        text.append(f"{which(guard)}: it is hidden only to protect an estimate that rests on {rests_on(ctx)} "
                    "(Evaluation section), which the total less the rows shown would otherwise give back.")
    return " ".join(text)


def clear_changes(ctx: Context) -> str:
    """The services whose use changed clearly against the comparison group, from the rate
    ratios the Evaluation section shows (the last window in natural order, as the
    regression-to-the-mean table takes it; the negative binomial where fitted; a 95% interval
    excluding 1 as printed, to 2 decimals), with the caution that some of many tests pass by
    chance; "" when none (a board asked what actually changed: A&E down, GP appointments up)."""
    t = eval_section.rate_ratio_table(ctx, eval_section.match_counts_table(ctx))
    if t is None:
        return ""
    rows = [r for i, r in enumerate(t.shown) if (i, "rate_ratio") not in t.hidden and r.get("key_type") == "service"]
    windows = [str(r.get("window")) for r in t.rows]  # rows are in window order
    if not rows or not windows:
        return ""
    last = windows[-1]
    money = _money_effects(ctx, last)
    models = {str(r.get("model")) for r in rows}
    model = "Negative binomial" if "Negative binomial" in models else sorted(models)[0]
    chosen = [r for r in rows if str(r.get("window")) == last and str(r.get("model")) == model]
    tested = len(chosen)
    clear = []
    for r in sorted(chosen, key=lambda r: str(r.get("key"))):
        lo, hi, rr = r.get("rr_ci_low"), r.get("rr_ci_high"), r.get("rate_ratio")
        if not all(isinstance(v, int | float) for v in (lo, hi, rr)):
            continue
        lo, hi = round(float(lo), 2), round(float(hi), 2)  # type: ignore[arg-type]  # as printed
        if hi < 1 or lo > 1:  # type: ignore[operator]
            code = str(r.get("key"))
            name = ctx.services[code].description if code in ctx.services else code
            text = f"{name}: {'less' if hi < 1 else 'more'} (rate ratio {rr:.2f}, 95% CI {lo:.2f}–{hi:.2f}"  # type: ignore[operator]
            gbp = money.get(code)
            if gbp is not None and gbp[1] <= 0 <= gbp[2]:  # use fell clearly, its £ not: a board read savings
                text += (f"; its £ change, {format_value(gbp[0], 'gbp')} a person-year (95% CI "
                         f"{format_value(gbp[1], 'gbp')} to {format_value(gbp[2], 'gbp')}), includes no change")
            clear.append(text + ")")
    if not clear:
        return ""
    return (f"Service use that changed clearly against the comparison group ({in_a_sentence(last)}, "
            f"{model.lower()} model): " + "; ".join(clear) + f". {tested} services are shown there; a service "
            "whose use did not change would still show such a change about one time in twenty, by chance "
            "(Evaluation section, rate ratios).")


def _money_effects(ctx: Context, window: str) -> dict[str, tuple[float, float, float]]:
    """Per service, its matched £ effect and 95% interval in ``window`` as the Evaluation
    section's disclosed effects table shows them (a hidden one left out)."""
    table = eval_section.effects_table(ctx, eval_section.match_counts_table(ctx))
    out: dict[str, tuple[float, float, float]] = {}
    for i, r in enumerate(table.shown if table else []):
        cells = ("effect_matched", "ci_low_matched", "ci_high_matched")
        values = [r.get(c) for c in cells]
        if (r.get("key_type") == "service" and str(r.get("window")) == window and eval_section.is_money(r.get("measure"))
                and table is not None and not any((i, c) in table.hidden for c in cells)
                and all(isinstance(v, int | float) for v in values)):
            out[str(r.get("key"))] = (float(values[0]), float(values[1]), float(values[2]))  # type: ignore[arg-type]
    return out


def build(ctx: Context) -> Section:
    sec = Section("summary", "Executive summary")
    read_first = [*data_caveats(ctx), *balance_caveat(ctx), *eval_section.cluster_caveat(ctx), *window_caveat(ctx)]
    if read_first:
        sec.blocks.append(Note("Read with care: " + " ".join(read_first), kind="warning"))
    res = ctx.outs.json("cba", "results.json")
    if res is None:
        sec.blocks.append(cba_section.no_results(ctx, "the cost-benefit analysis (NPV, ROI and payback)",
                                                    here=False))
    elif cba_section.few_evaluated_inputs(ctx, res):
        sec.blocks.append(cba_section.few_people_note(ctx, "NPV, ROI, payback, break-even and who benefits are", res))
        costs = cba_section.costs_paragraph(ctx, res)
        if costs is not None:
            sec.blocks.append(costs)
    else:
        sec.blocks.extend(cba_section.headline_blocks(res))
        net = [(str(r["agency"]), get(r, "net_pv")) for r in
               named_items(get(res, cba_section.AGENCY_NET), "agency")]
        net = [(a, float(v)) for a, v in net if v is not None]
        gain = sorted([x for x in net if x[1] > 0], key=lambda x: (-x[1], x[0]))
        pay = sorted([x for x in net if x[1] < 0], key=lambda x: (x[1], x[0]))
        if net:
            text = "Who benefits: " + (", ".join(f"{a} ({format_value(v, 'gbp')})" for a, v in gain) or "no agency")
            text += ". Net contributors: " + (", ".join(f"{a} ({format_value(v, 'gbp')})" for a, v in pay) or "none")
            sec.blocks.append(Paragraph(text + " (net present values over the appraisal period)."))
        for block in (break_even_paragraph(res, ctx.services), *split_blocks(res, ctx.services)):
            if isinstance(block, Paragraph):  # the words; the CBA section has the tables
                sec.blocks.append(block)
    matched = ctx.outs.table("evaluate", "matched")
    # the disclosed effects table: a shared report's summary shows no estimate the evaluation
    # section hides (an effect resting on 1..threshold matched people)
    table = eval_section.effects_table(ctx, eval_section.match_counts_table(ctx))
    totals = [(i, r) for i, r in enumerate(table.shown if table else [])
              if eval_section.is_money(r.get("measure", "cost")) and r.get("key_type", "total") == "total"]
    effects = [r for i, r in totals if r.get("effect_matched") is not None
               and table is not None and (i, "effect_matched") not in table.hidden]
    hidden = [str(r.get("window", "")) for i, r in totals if table is not None and (i, "effect_matched") in table.hidden]
    why = _hidden_totals(ctx, hidden)
    if effects:
        of_matched = naive_of_matched(table)
        populations = None if of_matched else naive_populations(eval_section.match_counts_table(ctx))
        parts = [f"{r.get('window', 'after joining')}: {format_value(r['effect_matched'], 'gbp')} "
                 f"(95% CI {format_value(r['ci_low_matched'], 'gbp')} to {format_value(r['ci_high_matched'], 'gbp')}; "
                 f"{_naive_words(ctx, r, of_matched, populations)})" for r in effects]
        sec.blocks.append(Paragraph("Headline effect on whole-system cost (matched comparison, change in £ per "
                                    "person per year; negative = saving): " + "; ".join(parts) + ". "
                                    + verdict(effects) + (f" {why}" if why else "")))
        if populations is not None:
            sec.blocks.append(Paragraph(populations_note(ctx, populations)))
        if of_matched:
            sec.blocks.append(Paragraph(
                "The naive figure here is the matched participants' own before/after change: a few "
                "participants had no comparable non-participant, so they are in neither figure, and "
                "the results may not describe them (the internal report's naive change includes them)."))
    elif hidden:
        sec.blocks.append(Note(why, kind="info"))
    elif matched is None:
        sec.blocks.append(Note("Not run: the matched evaluation (out/evaluate/matched.parquet).", kind="not_run"))
    changed = clear_changes(ctx)
    if changed:
        sec.blocks.append(Paragraph(changed))
    scores = outcomes_in_brief(ctx)
    if scores:
        sec.blocks.append(Paragraph(scores))
    year = (ctx.outs.json("costs", "summary.json") or {}).get("price_year")
    sec.blocks.append(Paragraph(METHOD.replace("at one price year", f"at {fiscal_year_label(year)} prices")
                                if isinstance(year, int) else METHOD))
    return sec
