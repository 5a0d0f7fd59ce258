"""Break-even and the split of benefits into avoided demand and intended increases, in plain
words for a board (out/cba/results.json ``break_even`` and ``benefit_split``; docs/cba.md).

The CBA section and the executive summary call these only where they show the CBA's results
(a shared report that withholds them for resting on few people withholds these too: every
figure here follows from the same inputs as the NPV)."""

from __future__ import annotations

from typing import Any

from carecase.core.services import BY_CODE, Catalogue
from carecase.report.content import Column, Paragraph, Table, format_value
from carecase.report.loaders import get
from carecase.report.sections.common import in_a_list, price_year_phrase

BREAK_EVEN = "break_even"
SPLIT = "benefit_split"
P_POSITIVE = "p_npv_positive"


def _gbp(v: Any) -> str:
    return format_value(v, "gbp")


def _saving(v: float) -> str:
    """A measured change in words: '£314 saved' or '£314 more cost'."""
    return f"{_gbp(abs(v))} {'saved' if v >= 0 else 'more cost'}"


def _number(v: Any) -> float | None:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def _period(results: dict[str, Any]) -> str:
    model = get(results, "model", default={})
    years = len(get(model, "years", default=[]) or []) or get(model, "appraisal_years")
    prices = price_year_phrase(model)
    return f"over the {years}-year appraisal period{', ' + prices if prices else ''}, discounted as the Green Book sets out"


def _estimate(be: dict[str, Any]) -> tuple[float | None, float | None, float | None, str]:
    """(the measured saving per participant-year the reader compares with break-even, its
    95% interval low and high or None, where it comes from: a key of ``_FOUND``)."""
    ev = get(be, "evaluated", default=None)
    if isinstance(ev, dict) and _number(get(ev, "mean")) is not None:
        return _number(get(ev, "mean")), _number(get(ev, "ci_low")), _number(get(ev, "ci_high")), "evaluation"
    return _number(get(be, "estimated_measured_per_participant_year")), None, None, "inputs"


#: what was estimated, in words: [source][a saving?] ("the saving ... is £314 more cost" would
#: read as a contradiction)
_FOUND = {
    "evaluation": {
        True: ". The saving the evaluation estimated, for the services the model values{left}, is {gbp} per "
              "participant per year",
        False: ". For the services the model values{left}, the evaluation estimated no saving but {gbp} more "
               "cost per participant per year"},
    "inputs": {True: ". The saving the model's inputs give is {gbp} per participant per year",
               False: ". The model's inputs give no saving but {gbp} more cost per participant per year"},
}


def _left_out(results: dict[str, Any], catalogue: Catalogue) -> str:
    """Which evaluated services the model leaves out for too few users, in words: without it
    the executive summary's "the services the model values" read as the whole system (adult
    social care was left out, and the whole-system effect hidden)."""
    codes = [str(c) for c in get(get(results, "evaluation_left_out", default={}), "services", default=[]) or []]
    if not codes:
        return ""
    names = in_a_list([catalogue[c].description if c in catalogue else c for c in codes])
    return f" (all the evaluated services but {names}, which too few people used)"


def _against(estimate: float, low: float | None, high: float | None, needed: float) -> str:
    gap = needed - estimate
    where = (f"{_gbp(abs(gap))} a year {'short of' if gap > 0 else 'above'} break-even")
    if low is None or high is None:
        return where
    if high < needed:
        return where + ", and short of it even at the top of its interval"
    if low >= needed:
        return where + ", and above it even at the bottom of its interval"
    return where + "; break-even lies within its interval"


def _out_of_reach(ev: Any, needed: float) -> str:
    """Where break-even is above what the evaluated services cost for the participants before
    they joined: no fall in their use of those services alone could reach it (a board member
    asked whether break-even was possible at all)."""
    before = _number(get(ev, "participants_cost_before")) if isinstance(ev, dict) else None
    if before is None or needed <= before:
        return ""
    months = get(ev, "pre_months")
    when = f"in the {months} months before they joined" if isinstance(months, int) else "before they joined"
    return (f". Break-even ({_gbp(needed)} a year) is more than these services cost for the participants {when} "
            f"({_gbp(before)} per person-year): even if they stopped using them altogether, the savings would not "
            "reach it")


def break_even_paragraph(results: dict[str, Any], catalogue: Catalogue = BY_CODE) -> Paragraph | None:
    """The board's question in words: what the programme would need to save per participant
    per year to break even, beside what was estimated; what it could cost; and where the
    uncertainty analysis says how often the savings reach break-even (P(NPV > 0))."""
    be = get(results, BREAK_EVEN, default=None)
    if not isinstance(be, dict):
        return None
    measured = _number(get(be, "benefit_measured_per_participant_year"))
    net = _number(get(be, "benefit_per_participant_year"))
    if measured is None and net is None:
        return None
    text = "Break-even: to cover its costs " + _period(results) + ", the programme would need to "
    adj = _number(get(be, "adjustment"))
    estimate, low, high, what = _estimate(be)
    # the evaluated services' own break-even, the model's other benefits as they are: the one
    # the evaluated saving is compared with (the whole model's is not, where it values more)
    own = _number(get(get(be, "evaluated", default={}), "break_even")) if what == "evaluation" else None
    needed = own if own is not None else measured
    if needed is not None:
        text += f"save about {_gbp(needed)} per participant per year, as savings are measured"
        if own is not None and (measured is None or abs(own - measured) > 0.005):
            text += " in the services the evaluation measured, with the model's other benefits as they are"
        elif net is not None and adj is not None and abs(adj - 1) > 1e-9:
            text += (f" (the model counts that as {_gbp(net)} after its adjustments: optimism bias counts each "
                     "saving for less and each increase for more, and any deadweight, displacement and attribution "
                     "take their shares)")
        if estimate is not None:
            ci = (f" (95% interval from {_saving(low)} to {_saving(high)})"
                  if low is not None and high is not None else "")
            found = _FOUND[what][estimate >= 0].format(gbp=_gbp(abs(estimate)), left=_left_out(results, catalogue))
            text += found + ci + ": " + _against(estimate, low, high, needed)
            text += _out_of_reach(get(be, "evaluated", default={}), needed) if what == "evaluation" else ""
    else:  # the outcomes' adjustments differ: the figures after them
        estimate = _number(get(be, "estimated_per_participant_year"))
        text += (f"bring benefits of about {_gbp(net)} per participant per year after the model's adjustments"
                 + (f"; its benefits come to {_gbp(estimate)}: " + _against(estimate, None, None, net or 0.0)
                    if estimate is not None else ""))
    text += "."
    cost, breaks = _number(get(be, "cost_per_participant_year")), _number(get(be, "cost_break_even_per_participant_year"))
    if cost is not None:
        same = net is not None and abs(net - cost) < 0.005
        text += (f" The programme costs {_gbp(cost)} per participant per year (all its costs after optimism "
                 "bias, per participant-year, in present values"
                 + ("; the same figure as break-even after the adjustments, as it must be where costs and "
                    "benefits are counted over the same participant-years" if same else "") + "); ")
        text += (f"with the benefits as estimated it would break even at a cost of up to {_gbp(breaks)}."
                 if breaks is not None else "with the benefits as estimated no cost breaks even, as they are not "
                 "above zero.")
    p = _number(get(results, P_POSITIVE))
    if p is not None:
        text += (f" In the uncertainty analysis the benefits reach break-even in {format_value(p, 'pct')} of the "
                 "simulations: that is the chance NPV > 0.")
    return Paragraph(text)


def break_even_table(results: dict[str, Any]) -> Table | None:
    """The break-even figures per participant per year (a sheet of the Excel workbook)."""
    be = get(results, BREAK_EVEN, default=None)
    if not isinstance(be, dict):
        return None
    ev = get(be, "evaluated", default={})
    rows = [
        {"measure": "Break-even saving, as savings are measured", "value": get(be, "benefit_measured_per_participant_year")},
        {"measure": "Break-even benefit after the model's adjustments (optimism bias, deadweight, displacement, "
                    "attribution)", "value": get(be, "benefit_per_participant_year")},
    ]
    if isinstance(ev, dict) and ev:
        own = _number(get(ev, "break_even"))
        measured = _number(get(be, "benefit_measured_per_participant_year"))
        if own is not None and (measured is None or abs(own - measured) > 0.005):
            rows.append({"measure": "Break-even saving in the services the evaluation measured, as measured (the "
                                    "model's other benefits as they are)", "value": own})
        rows.append({"measure": "Saving the evaluation estimated (services the model values)",
                     "value": get(ev, "mean"), "ci_low": get(ev, "ci_low"), "ci_high": get(ev, "ci_high")})
    rows += [
        {"measure": "The model's benefits, as measured", "value": get(be, "estimated_measured_per_participant_year")},
        {"measure": "The model's benefits after its adjustments", "value": get(be, "estimated_per_participant_year")},
        {"measure": "Programme cost (all costs, after optimism bias)", "value": get(be, "cost_per_participant_year")},
        {"measure": "Break-even cost, with the benefits as estimated",
         "value": get(be, "cost_break_even_per_participant_year"),
         "note": "" if get(be, "cost_break_even_per_participant_year") is not None
         else "none: the benefits are not above zero"},
    ]
    rows = [r for r in rows if r.get("value") is not None or r.get("note")]
    return Table("cba-break-even", "Break-even per participant per year (£, present values per discounted "
                 "participant-year)",
                 [Column("measure", "Measure"), Column("value", "£ per participant per year", "gbp"),
                  Column("ci_low", "95% interval from", "gbp"), Column("ci_high", "95% interval to", "gbp"),
                  Column("note", "Note")], rows,
                 note="Savings as measured are before the model's adjustments; a negative saving is an increase in "
                      "cost. The share of Monte Carlo simulations above break-even is the chance NPV > 0.")


def _outcome_label(name: str, catalogue: Catalogue) -> str:
    """An outcome's name for a reader: an evaluated effect by its service's description."""
    code = name.split(":", 1)[0].strip()
    return catalogue[code].description if ": evaluated effect" in name and code in catalogue else name


def split_blocks(results: dict[str, Any], catalogue: Catalogue = BY_CODE) -> list[Paragraph | Table]:
    """Where outcomes are marked intended: the benefits of avoided demand, apart from the cost of
    the increases the programme intended, with programme costs, adding up to the NPV."""
    split = get(results, SPLIT, default=None)
    if not isinstance(split, dict) or not get(split, "intended_outcomes", default=[]):
        return []
    outcomes = [r for r in get(split, "outcomes", default=[]) if isinstance(r, dict)]
    intended = [_outcome_label(str(r.get("name")), catalogue) for r in outcomes if r.get("intended")]
    avoided = [_outcome_label(str(r.get("name")), catalogue) for r in outcomes if not r.get("intended")]
    a, i = _number(get(split, "avoided_demand_pv")), _number(get(split, "intended_pv"))
    c, npv = _number(get(split, "pv_costs")), _number(get(split, "npv"))
    if None in (a, i, c, npv):
        return []
    assert a is not None and i is not None and c is not None and npv is not None
    text = (f"Avoided demand and intended increases: the services the programme aims to use less of "
            f"({in_a_list(avoided) if avoided else 'none'}) came to {_gbp(a)} in present value"
            + (" (on balance their use rose against the comparison group)" if a < 0 else "")
            + f", and the changes it set out to make ({in_a_list(intended)}) to {_gbp(i)}")
    text += (" — a cost the programme chose, not a failure" if i < 0 else "")
    text += (f". With the programme's costs of {_gbp(c)}: {_gbp(a)} {'−' if i < 0 else '+'} {_gbp(abs(i))} − {_gbp(c)} "
             f"= NPV {_gbp(npv)}.")
    table = Table("cba-benefit-split", "Avoided demand and intended increases (present value, £)",
                  [Column("part", "Part"), Column("pv", "Present value", "gbp")],
                  [{"part": "Avoided demand: " + (in_a_list(avoided) if avoided else "none"), "pv": a},
                   {"part": "Intended increases: " + in_a_list(intended), "pv": i},
                   {"part": "Programme costs (after optimism bias)", "pv": -c},
                   {"part": "Net present value", "pv": npv}],
                  note="The rows above the NPV add up to it. Intended increases are the services marked "
                       "cba.from_evaluation.intended (or outcomes[].intended): their extra use is a cost the "
                       "programme chose. Benefits are after the model's adjustments and exclude transfers.")
    return [Paragraph(text), table]
