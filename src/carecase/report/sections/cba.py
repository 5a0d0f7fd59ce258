"""Cost-benefit section (out/cba/results.json): who pays / who benefits, break-even, avoided
demand apart from intended increases, cumulative discounted cash flow by agency, tornado, NPV
distribution, switching values, scenarios."""

from __future__ import annotations

import math
from typing import Any

from carecase.cba.config import NO_MODEL
from carecase.cba.formatting import financial_year, payback_words, year_heading
from carecase.core.services import BY_CODE, Catalogue
from carecase.report import charts
from carecase.report.content import (
    Chart,
    Column,
    KeyFigure,
    KeyFigures,
    Note,
    Paragraph,
    Section,
    Table,
    format_value,
)
from carecase.report.loaders import get, named_items, numeric, records
from carecase.report.sections import evaluation as eval_section
from carecase.report.sections.caveats import rests_on
from carecase.report.sections.cba_break_even import (
    break_even_paragraph,
    break_even_table,
    split_blocks,
)
from carecase.report.sections.cba_inputs import evaluated_items
from carecase.report.sections.common import Context, in_a_list, not_run, price_year_phrase
from carecase.report.sections.did_tables import hidden_matched_keys, rests_on_few
from carecase.report.sections.windows import plain_windows

# results.json key → block, in one place
HEADLINE = "headline"
MATRIX = "matrix"
AGENCY_NET = "agency_net"
CASHFLOW = "cashflow"
TORNADO = "tornado"
DRAWS = "npv_draws"
SWITCHING = "switching_values"
SCENARIOS = "scenarios"
P_POSITIVE = "p_npv_positive"


def _hidden_evaluation(ctx: Context) -> tuple[set[str] | None, set[tuple[str, str, str]]]:
    """The windows whose matched estimates rest on few people, and the (window, level, key)
    rows hidden for few users: read from the evaluation's tables once per report (the
    executive summary, the CBA section, the register and the report's warning all ask)."""
    if "hidden_evaluation" not in ctx.memo:
        counts = eval_section.match_counts_table(ctx)
        ctx.memo["hidden_evaluation"] = (
            eval_section.thin_windows(ctx, ctx.outs.table("evaluate", "matched"), counts),
            hidden_matched_keys(ctx, counts))
    return ctx.memo["hidden_evaluation"]  # type: ignore[no-any-return]


def _rests_on(thin: set[str] | None, keys: set[tuple[str, str, str]], service: str, window: str) -> bool:
    """Whether an evaluated input's row is among ``keys`` in its window, or its window (none
    named, or thin) hides every estimate."""
    return thin is None or not window or window in thin or (window, "service", service) in keys


def few_evaluated_inputs(ctx: Context, results: dict[str, Any] | None) -> set[int]:
    """Shared reports: indices (in ``named_items`` order) of the assumptions whose value is an
    evaluated effect resting on 1..threshold people, matched people or users of that service
    among them (the evaluation section hides it: the register would print it, with its
    interval, and every result of the model rests on it: with the other inputs shown, the
    NPV gives it back)."""
    if ctx.mode == "internal" or not results:
        return set()
    thin, hidden = _hidden_evaluation(ctx)
    if thin == set() and not hidden:
        return set()
    return {i for i, service, window in evaluated_items(results) if _rests_on(thin, hidden, service, window)}


def withheld_inputs(ctx: Context, results: dict[str, Any] | None) -> list[str]:
    """The services of the CBA inputs whose evaluated effect the shared report hides, sorted
    ('ASC_HOMECARE'); empty when none."""
    few = few_evaluated_inputs(ctx, results)
    return sorted({service for i, service, _ in evaluated_items(results) if i in few and service})


FEW_FIXES = ("To show them in a shared report, limit evaluation.services to the services the CBA "
             "uses (a rare service hidden in the Evaluation section also hides the services that add "
             "up with it), or evaluate more participants; the internal report "
             "(`carecase report PROJECT --internal`, not for sharing) has them.")


def withheld_warning(ctx: Context, results: dict[str, Any] | None) -> str | None:
    """The report stage's warning when a shared report withholds the CBA's results (the CLI
    and summary.json said nothing: the board report lost its NPV without a word)."""
    names = withheld_inputs(ctx, results)
    if not names:
        return None
    return ("The shared report withholds the cost-benefit results (NPV, ROI, who pays and who benefits), "
            f"as CBA inputs are hidden in the Evaluation section: {why_hidden(ctx, results, names)}. " + FEW_FIXES)


def input_reasons(ctx: Context, results: dict[str, Any] | None) -> dict[str, bool]:
    """Each hidden CBA input's service (as :func:`withheld_inputs` names it) → whether its own
    estimate rests on few people (its window thin, or few users of it in that window), else
    False: it is hidden only to protect another estimate (a complement)."""
    few = few_evaluated_inputs(ctx, results)
    counts = eval_section.match_counts_table(ctx)
    out: dict[str, bool] = {}
    for i, service, window in evaluated_items(results):
        if i in few:  # no window named: every window's estimates count, as thin
            own = not window or rests_on_few(ctx, counts, (window, "service", service))
            out[service] = out.get(service, False) or own
    return out


def why_hidden(ctx: Context, results: dict[str, Any] | None, names: list[str]) -> str:
    """Why each hidden CBA input is hidden: it rests on few people or users itself, or it is
    hidden only to protect another estimate that does (a complement)."""
    reasons = input_reasons(ctx, results)
    own = [n for n in names if reasons.get(n, True)]
    guard = [n for n in names if n not in own]
    why = []
    if own:
        why.append(f"the effect on {', '.join(own)} rests on {rests_on(ctx, users=True)}")
    if guard:
        why.append(f"the effect on {', '.join(guard)} is hidden only to protect another estimate that rests "
                   f"on {rests_on(ctx)}, which could otherwise be worked out from the rows that add up with it")
    return "; and ".join(why)


def few_people_note(ctx: Context, what: str, results: dict[str, Any] | None = None) -> Note:
    """Why the CBA results are withheld, naming each hidden input and why it is hidden: it
    rests on few people itself, or it is hidden to protect another row that does (a reader
    took 'rests on 1–7 people' for an effect on 49 participants, hidden as a complement)."""
    names = withheld_inputs(ctx, results)
    threshold = ctx.config.suppression.threshold
    if not names:
        return Note(f"{what} not shown in a shared report: one or more of the model's evaluated effects is "
                    f"hidden in the Evaluation section (it rests on 1–{threshold} people or users of its "
                    "service, or is hidden so that such an estimate cannot be worked out from the rows that "
                    "add up to it), and every result of the model follows from them. " + FEW_FIXES)
    return Note(f"{what} not shown in a shared report: in the Evaluation section {why_hidden(ctx, results, names)}"
                ". Every result of the model follows from its inputs, so with the others shown they "
                "would give it back. " + FEW_FIXES)


def costs_paragraph(ctx: Context, results: dict[str, Any]) -> Paragraph | None:
    """What the programme costs, for a report that withholds the results: the present value of
    the costs (after optimism bias) in all and by paying agency. Every cost input is in the
    assumptions register, which the report shows, so these figures disclose nothing more;
    only the benefits rest on the evaluated effects. None where the register hides a cost or
    cohort input (one taken from the evaluation): the costs would give it back."""
    items = named_items(get(results, "assumptions"), "name")
    hidden = {str(get(items[i], "path", default="")) for i in few_evaluated_inputs(ctx, results) if i < len(items)}
    if any(p.startswith(("costs[", "cohorts[")) for p in hidden):
        return None
    total = get(get(results, HEADLINE, default={}), "pv_costs")
    rows = [(str(get(r, "agency")), get(r, "costs_pv")) for r in named_items(get(results, AGENCY_NET), "agency")]
    paid = [(a, float(v)) for a, v in rows if v is not None and float(v) > 0]
    if total is None:
        return None
    years = len(get(get(results, "model", default={}), "years") or [])
    by = "; ".join(f"{a} {format_value(v, 'gbp')}" for a, v in sorted(paid, key=lambda x: (-x[1], x[0])))
    return Paragraph(f"What the programme costs (not withheld: every cost input is in the assumptions "
                     f"register): {format_value(float(total), 'gbp')} in present value over {years} years, "
                     f"after optimism bias" + (f" ({by})" if by else "") + ".")


def first_financial_year(results: Any) -> int | None:
    """The financial year (start year) of year 0 where the model names it (results.json
    ``model.first_financial_year``: 2025 = 2025/26), else None: years are numbered only."""
    year = get(get(results, "model", default={}), "first_financial_year")
    return int(year) if isinstance(year, int | float) and not isinstance(year, bool) else None


def with_financial_year(rows: list[dict[str, Any]], first: int | None) -> list[dict[str, Any]]:
    """Chart rows with each numbered year's ``financial_year`` ('2025/26') for the tooltip;
    the rows as they are where the model does not name year 0's financial year."""
    if first is None:
        return rows
    return [{**r, "financial_year": financial_year(r["year"], first)} if isinstance(r["year"], int) else r
            for r in rows]


def _matrix(results: dict[str, Any], key: str, value: str) -> list[dict[str, Any]]:
    years = get(get(results, "model", default={}), "years")
    rows = records(get(results, key), "agency", "year", value, columns=years)
    out = []
    for r in rows:
        agency, year, v = get(r, "agency"), get(r, "year"), get(r, value)
        if agency is not None and year is not None and v is not None:
            out.append({"agency": str(agency), "year": int(float(year)) if str(year).lstrip("-").replace(".", "").isdigit()
                        else str(year), value: float(v)})
    return sorted(out, key=lambda r: (r["agency"], str(r["year"]).zfill(6)))


TRANSFER_NOTE = ("Agency positions include transfers (e.g. benefit payments moving between the state and "
                 "individuals), so they do not add up to the NPV, which excludes transfers.")
NO_TRANSFER_NOTE = "The agencies' positions add up to the NPV (the model has no transfers)."
UNDISCOUNTED_NOTE = ("Undiscounted £, each year's as it falls: the agencies' totals are not present values and do "
                     "not add up to the NPV, which discounts every year after year 0 (their net present values, in "
                     "the net present position by agency, do).")
UNDISCOUNTED_TRANSFER_NOTE = ("Undiscounted £, each year's as it falls, including transfers (e.g. benefit payments "
                              "moving between the state and individuals): the agencies' totals do not add up to the "
                              "NPV, which discounts every year after year 0 and excludes transfers.")


def _benefit_rows(results: dict[str, Any]) -> list[Any] | None:
    """The model's benefit rows (results.json ``benefits``), or None when it has none listed."""
    rows = get(results, "benefits", default=None)
    return rows if isinstance(rows, list) and rows else None


def transfer_note(results: dict[str, Any]) -> str:
    """The note under the agency tables: whether their positions add up to the NPV (a board
    reader checked that they did while the note said they did not). Read from the model's
    benefit rows (a transfer component at all, not a present value that may net to 0); the
    cautious note when they are not there."""
    rows = _benefit_rows(results)
    if rows is None:
        return TRANSFER_NOTE
    return TRANSFER_NOTE if any(get(r, "transfer", default=False) is True for r in rows) else NO_TRANSFER_NOTE


def undiscounted_note(results: dict[str, Any]) -> str:
    """The note under the year-by-year table of agencies' net £: undiscounted, so its totals
    never add up to the NPV (the demo's once added up to −£1,251,134 against an NPV of −£1,173,253,
    under a note that said they added up to it); transfers, where the model has any (or its
    benefit rows are not there), are a second reason."""
    return UNDISCOUNTED_NOTE if transfer_note(results) == NO_TRANSFER_NOTE else UNDISCOUNTED_TRANSFER_NOTE


def valued_types(results: dict[str, Any]) -> set[str] | None:
    """The value types (fiscal, economic, social) of the model's benefits that are not
    transfers; None when the rows are not there."""
    rows = _benefit_rows(results)
    if rows is None:
        return None
    return {str(get(r, "value_type")) for r in rows if get(r, "transfer", default=False) is not True}
CASHFLOW_TOTAL = {"total_public_value": "Total (public value)"}
TORNADO_CHART_ROWS = 15


def matrix_table(rows: list[dict[str, Any]], value: str, tid: str, title: str, note: str = TRANSFER_NOTE,
                 first: int | None = None) -> Table:
    """Agencies × years; ``first``: the financial year of year 0 (start year), which heads each
    year's column as '2025/26 (year 0)' (else 'Year 0')."""
    years = sorted({r["year"] for r in rows}, key=lambda y: str(y).zfill(6))
    agencies = sorted({r["agency"] for r in rows})
    lookup = {(r["agency"], r["year"]): r[value] for r in rows}
    cols = [Column("agency", "Agency")] + [
        Column(f"y{y}", year_heading(y, first) if isinstance(y, int) else f"Year {y}", "gbp") for y in years]
    cols.append(Column("total", "All years (undiscounted)", "gbp"))
    body = []
    for a in agencies:
        row: dict[str, Any] = {"agency": a}
        for y in years:
            row[f"y{y}"] = lookup.get((a, y))
        row["total"] = sum(v for y in years if (v := lookup.get((a, y))) is not None)
        body.append(row)
    return Table(tid, title, cols, body, note=note)


def headline_figures(h: dict[str, Any], p_pos: Any, types: set[str] | None = None,
                     first: int | None = None) -> list[KeyFigure]:
    """The CBA's headline tiles: what it costs and what it returns (present values) first, so
    that a ratio of 0.00 reads as benefits far below costs, not as a figure missing.
    ``types``: the value types its benefits have (:func:`valued_types`), to say when only
    fiscal benefits are valued; ``first``: the financial year of year 0, which the payback
    year names ('year 3, 2028/29')."""
    payback = get(h, "payback_year")
    fiscal_only = types == {"fiscal"}
    figs = [
        KeyFigure("Costs", get(h, "pv_costs"), "gbp", "present value, raised for optimism bias"),
        KeyFigure("Benefits", get(h, "pv_public_value"), "gbp",
                  "present value, after deadweight, attribution, displacement and optimism bias"),
        KeyFigure("Net present value", get(h, "npv"), "gbp", "discounted benefits − discounted costs"),
        KeyFigure("Benefit-cost ratio", get(h, "bcr"), "ratio", "£ of benefit per £1 of cost"),
        KeyFigure("Financial ROI", get(h, "roi_fiscal"), "ratio", "fiscal benefits ÷ costs"),
        KeyFigure("Cashable ROI", get(h, "roi_cashable"), "ratio", "cashable fiscal benefits ÷ costs"),
        KeyFigure("Public value ROI", get(h, "roi_public_value"), "ratio",
                  "fiscal benefits only: no economic or social benefit is valued in this model" if fiscal_only
                  else "fiscal + economic + social benefits ÷ costs"),
        KeyFigure("Payback", payback_words(payback, first), "text",
                  "first year from which the cumulative discounted net stays ≥ 0 to the end of the period"),
        KeyFigure("Net present budget impact", get(h, "net_present_budget_impact"), "gbp",
                  "cashable benefits − cash costs (costs given in kind, such as seconded staff, are left out)"),
    ]
    if p_pos is not None:
        figs.append(KeyFigure("Chance NPV > 0", p_pos, "pct",
                              "Monte Carlo over this model's uncertain inputs, under its assumptions"))
    return [f for f in figs if f.value is not None]


def negative_benefits_note(h: dict[str, Any], split: bool = False) -> Paragraph | None:
    """Where the benefits' present value is below zero, what the ratios below zero mean: a
    board member read 'benefit-cost ratio −0.07' as a small return. ``split``: the model marks
    intended changes, whose cost the break-even paragraphs show apart (results.json
    ``benefit_split``)."""
    pv = get(h, "pv_public_value")
    if not isinstance(pv, int | float) or pv >= 0:
        return None
    return Paragraph(
        f"The benefits are below zero ({format_value(pv, 'gbp')} in present value): the changes in service use "
        "measured against the comparison group cost more than they saved, so the benefit-cost ratio and the "
        "returns on investment are below zero. That is not a small return: on these figures the programme's "
        "costs bring no saving. An increase the programme set out to make (more treatment, more GP contact) "
        "counts here as a cost, not a failure: the logic model says which changes were intended"
        + ("; the increases the configuration marks as intended are shown apart from avoided demand below."
           if split else "."))


def headline_blocks(results: dict[str, Any]) -> list[KeyFigures | Paragraph]:
    """The headline tiles and, where the benefits are below zero, what that means: the CBA
    section and the executive summary open with them."""
    h = get(results, HEADLINE, default={})
    negative = negative_benefits_note(h, bool(get(get(results, "benefit_split", default={}), "intended_outcomes")))
    tiles = KeyFigures(headline_figures(h, get(results, P_POSITIVE), valued_types(results),
                                        first_financial_year(results)))
    return [tiles] if negative is None else [tiles, negative]


def break_even_blocks(results: dict[str, Any], catalogue: Catalogue = BY_CODE) -> list[Paragraph | Table]:
    """Break-even in words and figures, then avoided demand apart from intended increases
    (sections/cba_break_even.py); empty for a results.json without them."""
    blocks: list[Paragraph | Table] = []
    for block in (break_even_paragraph(results, catalogue), break_even_table(results)):
        if block is not None:
            blocks.append(block)
    return blocks + split_blocks(results, catalogue)


def left_out_paragraph(results: dict[str, Any], catalogue: Catalogue = BY_CODE) -> Paragraph | None:
    """Which evaluated effects the model leaves out for resting on too few users (named by
    the catalogue's description, not counted): a board read adult social care's absence from
    the CBA as no effect."""
    left = get(results, "evaluation_left_out", default={})
    services = [f"{catalogue[c].description} ({c})" if c in catalogue else c
                for c in (str(s) for s in (get(left, "services", default=[]) or []))]
    if not services:
        return None
    n = get(left, "min_users")
    fewer = f"fewer than {n} people on either side" if isinstance(n, int | float) else "too few people"
    names = in_a_list(services)
    return Paragraph(f"Left out of the cost-benefit model: the evaluated effect{'s' if len(services) > 1 else ''} "
                     f"on {names}, which {'rests' if len(services) == 1 else 'rest'} on {fewer} (participants or "
                     "comparison group) who used the service: too few to be evidence either way "
                     "(cba.from_evaluation.min_users). Their cost is in the audit; their change, if any, is "
                     "not in these results.")


def _health_note(model: Any) -> str:
    """Which outcomes' values (health effects) are discounted on the Green Book health schedule."""
    names = get(model, "health_outcomes", default=None)
    if not isinstance(names, list) or not names:
        return ""
    return (f"; health effects ({', '.join(str(n) for n in names)}) on the Green Book health "
            "schedule (1.5% years 0–30, then declining)")


def _prices(model: Any) -> str:
    """'2024/25 prices': the price base year is a financial year named by its start year, as
    the rest of the report writes it (the paragraph said 'prices at 2024')."""
    return price_year_phrase(model) or "prices at the base year"


def _discount_text(model: Any) -> str:
    """The rates the model discounts by within its period (the paragraph named the schedule,
    'standard', but not the rate): 'discounted at 3.5% a year (year 0 is not discounted); HM
    Treasury Green Book, standard schedule'; a period that reaches the next band lists each."""
    schedule = get(model, "discounting", default=None)
    bands = get(model, "discount_bands", default=None)
    years = get(model, "years", default=None) or []
    last = len(years) - 1 if years else get(model, "appraisal_years", default=None)
    if not isinstance(bands, list) or not bands or not isinstance(last, int | float):
        return f"discounting: {schedule or 'Green Book'}"
    within = [(int(b[0]), float(b[1])) for b in bands if int(b[0]) <= max(int(last), 1)]
    if not within:
        return f"discounting: {schedule or 'Green Book'}"
    first_paid = [(max(start, 1), rate) for start, rate in within]

    def pct(rate: float) -> str:
        return f"{rate * 100:.2f}".rstrip("0").rstrip(".") + "%"

    if len(first_paid) == 1:
        rates = f"{pct(first_paid[0][1])} a year (year 0 is not discounted)"
    else:
        rates = ", ".join(f"{pct(r)} from year {s}" for s, r in first_paid) + " (year 0 is not discounted)"
    source = "HM Treasury Green Book, standard schedule" if schedule == "standard" else f"{schedule} schedule"
    return f"discounted at {rates}; {source}"


def no_results(ctx: Context, what: str, here: bool = True) -> Note:
    """Why there is no out/cba/results.json, with the fix that applies: carecase.yaml has no
    CBA model (running the stage only errors: add one), the stage skipped for a reason it
    gave (out/cba/summary.json), or the stage has not run. ``here``: the CBA section, which
    says how to add a model; other sections point to it."""
    if not ctx.cba_configured and not here:
        return Note(f"Not configured: {what} — carecase.yaml has no CBA model (cba.model or cba.inline); the "
                    "Cost-benefit analysis section says how to add one.", kind="not_run")
    if not ctx.cba_configured:  # the CBA section itself: how to add one
        return Note(f"Not configured: {what} — carecase.yaml has no CBA model (cba.model or cba.inline), so "
                    "the cba stage has nothing to run and skips. To add one, write the model (cohorts, costs "
                    "and outcomes) in a file named by cba.model or under cba.inline; cba.from_evaluation adds "
                    "the evaluated effects to it as outcomes (docs/cba.md; examples/cba_example.yaml). Then "
                    "run `carecase run PROJECT` (or `carecase cba PROJECT`) and rebuild the report.",
                    kind="not_run")
    headline = str(get(ctx.outs.json("cba", "summary.json"), "headline", default="") or "")
    if headline.startswith("skipped: ") and headline != f"skipped: {NO_MODEL}":  # from before a model was added
        return Note(f"Not run: {what} — the cba stage skipped: {headline.removeprefix('skipped: ')} "
                    "(out/cba/summary.json; docs/cba.md).", kind="not_run")
    return not_run("cba", what)


def build(ctx: Context) -> Section:
    sec = Section("cba", "Cost-benefit analysis")
    res = ctx.outs.json("cba", "results.json")
    if res is None:
        sec.blocks.append(no_results(ctx, "the cost-benefit analysis"))
        return sec
    model = get(res, "model", default={})
    first = first_financial_year(res)
    if model:
        years = get(model, "years", default=[])
        n = len(years) or get(model, "appraisal_years")
        span = "" if first is None or not isinstance(n, int) else \
            f" ({financial_year(0, first)}) to year {n - 1} ({financial_year(n - 1, first)})"
        sec.blocks.append(Paragraph(
            f"Model: {get(model, 'name', default='(unnamed)')}. Appraisal period {n} "
            f"years from year 0{span}, {_prices(model)}, {_discount_text(model)}{_health_note(model)}. "
            f"{get(model, 'description', default='')}".strip()))
    if few_evaluated_inputs(ctx, res):
        sec.blocks.append(few_people_note(ctx, "The cost-benefit results (NPV, ROI, break-even, who pays and who benefits, "
                                               "sensitivity, scenarios) are", res))
        costs = costs_paragraph(ctx, res)
        if costs is not None:
            sec.blocks.append(costs)
        return sec
    sec.blocks.extend(headline_blocks(res))
    left = left_out_paragraph(res, ctx.services)
    if left is not None:
        sec.blocks.append(left)
    sec.blocks.extend(break_even_blocks(res, ctx.services))
    m = _matrix(res, MATRIX, "net")
    if m:
        sec.blocks.append(Paragraph("Who pays and who benefits: each agency's net position by year "
                                    "(benefits minus costs, £; positive = the agency gains)."))
        sec.blocks.append(matrix_table(m, "net", "cba-matrix", "Who pays, who benefits: net £ by agency and year",
                                       undiscounted_note(res), first))
        sec.blocks.append(Chart("chart-cba-matrix", "Who pays, who benefits (net £)",
                                charts.heatmap("Who pays, who benefits (net £)", with_financial_year(m, first),
                                               "year", "agency", "net", x_axis=charts.financial_year_axis(first)),
                                table="cba-matrix"))
    net = named_items(get(res, AGENCY_NET), "agency")
    if net:
        rows = [{"agency": str(r["agency"]), "net": get(r, "net_pv")} for r in net]
        sec.blocks.append(Table("cba-agency-net", "Net present position by agency",
                                [Column("agency", "Agency"), Column("net", "Net present value", "gbp")],
                                sorted(rows, key=lambda r: r["agency"]), note=transfer_note(res)))
    cf = [{**r, "agency": CASHFLOW_TOTAL.get(r["agency"], r["agency"])} for r in _matrix(res, CASHFLOW, "cumulative")]
    if cf:
        sec.blocks.append(Chart("chart-cba-cashflow", "Cumulative discounted cash flow by agency",
                                charts.lines("Cumulative discounted cash flow by agency", with_financial_year(cf, first),
                                             "year", "cumulative", "agency", x_axis=charts.financial_year_axis(first))))
    tor = named_items(get(res, TORNADO), "input")
    if tor:
        rows = [{"input": plain_windows(get(r, "label")), "npv_low": get(r, "npv_low"), "npv_high": get(r, "npv_high")}
                for r in tor]
        swing = [_swing(r) for r in rows]
        order = sorted(range(len(rows)), key=lambda i: (math.isinf(swing[i]), -swing[i]))  # a missing NPV last
        flat = sum(s < 0.5 for s in swing)
        moving = [i for i in order if swing[i] >= 0.5]
        plotted = [rows[i] for i in moving if not math.isinf(swing[i])]
        rows = [rows[i] for i in moving]
        note = (f"{flat} more input(s) leave the NPV unchanged to the pound at both ends (for example a "
                "deadweight of 0, which ±20% leaves at 0) and are left out; every input is in "
                "out/cba/cba_tornado.csv." if flat else "")
        if not rows:
            sec.blocks.append(Note("One-way sensitivity: no input moves the NPV by a pound between its low and "
                                   "high values (out/cba/cba_tornado.csv)."))
        else:
            sec.blocks.append(Table("cba-tornado", "One-way sensitivity (NPV at low and high input values)",
                                    [Column("input", "Input"), Column("npv_low", "NPV at low", "gbp"),
                                     Column("npv_high", "NPV at high", "gbp")], rows, note=note))
            npv = get(get(res, HEADLINE, default={}), "npv")
            sec.blocks.append(Chart("chart-cba-tornado", f"Tornado: NPV range by input (largest {TORNADO_CHART_ROWS})",
                                    charts.tornado("Tornado: NPV range by input", plotted[:TORNADO_CHART_ROWS],
                                                   "input", "npv_low", "npv_high",
                                                   float(npv) if npv is not None else None),
                                    table="cba-tornado"))
    draws = get(res, DRAWS, default={})
    hist = get(draws, "histogram", default={})
    edges = numeric(get(hist, "edges", default=[]))
    counts = numeric(get(hist, "counts", default=[]))
    if len(edges) == len(counts) + 1 and counts:
        rows = [{"from": edges[i], "to": edges[i + 1], "draws": counts[i]} for i in range(len(counts))]
        sec.blocks.append(Chart("chart-cba-npv", "Distribution of NPV (Monte Carlo)",
                                charts.histogram("Distribution of NPV (Monte Carlo)", rows, "from", "to", "draws")))
    pct = get(draws, "percentiles", default={})
    if isinstance(pct, dict) and pct:
        rows = [{"percentile": str(k), "npv": v} for k, v in sorted(pct.items(), key=lambda kv: _pnum(kv[0]))]
        sec.blocks.append(Table("cba-npv-percentiles", "NPV percentiles (Monte Carlo)",
                                [Column("percentile", "Percentile"), Column("npv", "NPV", "gbp")], rows))
    sw = named_items(get(res, SWITCHING), "input")
    if sw:
        # value: the switching value; status says why there is none ("none in range", …)
        rows = [{"input": plain_windows(get(r, "label")), "base": get(r, "base"),
                 "switching_value": get(r, "value", "status", default="none in range")}
                for r in sw]
        sec.blocks.append(Table("cba-switching", "Switching values (input value at which NPV = 0)",
                                [Column("input", "Input"), Column("base", "Base value", "num"),
                                 Column("switching_value", "Switching value", "num")], rows))
    sc = named_items(get(res, SCENARIOS), "name")
    if sc:
        sec.blocks.append(Table("cba-scenarios", "Scenarios",
                                [Column("name", "Scenario"), Column("npv", "NPV", "gbp"), Column("bcr", "BCR", "ratio")],
                                [{"name": str(get(r, "name")), "npv": get(get(r, HEADLINE, default=r), "npv"),
                                  "bcr": get(get(r, HEADLINE, default=r), "bcr")} for r in sc]))
    return sec


def _pnum(key: str) -> float:
    digits = "".join(ch for ch in str(key) if ch.isdigit() or ch == ".")
    try:
        return float(digits)
    except ValueError:
        return 0.0


def _swing(row: dict[str, Any]) -> float:
    """How far an input moves the NPV between its low and high values (£); infinite when
    either is missing, so such a row is kept (shown with its blanks), never called flat."""
    lo, hi = numeric([row.get("npv_low"), row.get("npv_high")])
    return float("inf") if lo != lo or hi != hi else abs(hi - lo)
