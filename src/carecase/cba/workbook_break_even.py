"""The CBA workbook's Break-even sheet: the benefit per participant per year at which NPV = 0
and the cost per participant per year at which NPV ≥ 0 (carecase.cba.break_even), as
formulas over the Headlines sheet's PV costs ('Headlines'!B2) and PV public value (B3), so
that editing a live cell moves break-even with the NPV. The discounted participant-years
come from the cohort arithmetic (values, as the Benefits and Costs units blocks are).
"""

from __future__ import annotations

from typing import Any

from carecase.cba.break_even import NO_COST_BREAK_EVEN, UNCERTAINTY_NOTE
from carecase.cba.workbook_sheets import NOT_LIVE, Formats

PV_COSTS, PV_PUBLIC = "'Headlines'!$B$2", "'Headlines'!$B$3"


def break_even_sheet(wb: Any, results: dict[str, Any], fm: Formats) -> None:
    be = results.get("break_even")
    if not isinstance(be, dict):
        return
    ws = wb.add_worksheet("Break-even")
    ws.write_row(0, 0, ["measure", "value", "formula / definition"], fm.bold)

    def value(r: int, label: str, v: Any, text: str, money: bool = False) -> None:
        ws.write_string(r, 0, label)
        if isinstance(v, int | float):
            ws.write_number(r, 1, v, fm.money if money else fm.dec)
        ws.write_string(r, 2, text, fm.note)

    def formula(r: int, label: str, f: str, v: Any, text: str) -> None:
        ws.write_string(r, 0, label)
        ws.write_formula(r, 1, f, fm.money, v if v is not None else "")
        ws.write_string(r, 2, text, fm.note)

    basis = be.get("basis") or {}
    value(1, "Discounted participant-years of benefit (S)", be["participant_years_discounted"],
          f"Σ participant-years of benefit × discount factor (lag {basis.get('lag_years')}, duration "
          f"{basis.get('duration_years')}, drop-off {basis.get('drop_off')}): {NOT_LIVE}")
    value(2, "Adjustment (net £ per measured £ of saving)", be.get("adjustment"),
          "(1 − deadweight)(1 − displacement)(1 − attribution)(1 − optimism bias); blank where the "
          f"outcomes' adjustments differ: {NOT_LIVE}")
    formula(3, "Break-even benefit after adjustments (£ per participant-year)", f"=IF(B2=0,\"\",{PV_COSTS}/B2)",
            be.get("benefit_per_participant_year"), "PV costs ÷ S: NPV = 0")
    measured = be.get("benefit_measured_per_participant_year")
    net, adj = be.get("benefit_per_participant_year"), be.get("adjustment")
    if measured is not None and measured >= 0 and net is not None and adj:
        # what optimism bias adds on increases among the benefits: measured − net ÷ adjustment
        value(9, "Increases' extra optimism bias, as measured (£ per participant-year)", measured - net / adj,
              "(PV gross − PV public value ÷ adjustment) ÷ S: 0 where every benefit is a saving; an increase "
              f"loses (1 + bias), not (1 − bias): {NOT_LIVE}", money=True)
        formula(4, "Break-even saving as measured (£ per participant-year)", "=IF(B3=0,\"\",B4/B3+B10)",
                measured, "before the adjustments, with the increases as estimated: compare with the evaluated "
                "saving")
    else:
        value(4, "Break-even saving as measured (£ per participant-year)", measured,
              "before the adjustments (a disbenefit: optimism bias enlarges it)", money=True)
    formula(5, "The model's benefits after adjustments (£ per participant-year)", f"=IF(B2=0,\"\",{PV_PUBLIC}/B2)",
            be.get("estimated_per_participant_year"), "PV public value ÷ S")
    value(6, "Discounted engaged participant-years (E)", be["engaged_years_discounted"],
          f"Σ engaged people × discount factor: {NOT_LIVE}")
    formula(7, "Programme cost per participant-year", f"=IF(B7=0,\"\",{PV_COSTS}/B7)",
            be.get("cost_per_participant_year"), "PV costs ÷ E (all costs, after optimism bias)")
    formula(8, "Break-even cost per participant-year", f"=IF(B7>0,IF({PV_PUBLIC}>0,{PV_PUBLIC}/B7,\"\"),\"\")",
            be.get("cost_break_even_per_participant_year"),
            f"PV public value ÷ E: the most it could cost for NPV ≥ 0; blank = {NO_COST_BREAK_EVEN}")
    r = 11
    ev = be.get("evaluated")
    if isinstance(ev, dict):
        for k, label in (("mean", "Evaluated saving (£ per participant-year)"), ("ci_low", "95% interval from"),
                         ("ci_high", "95% interval to")):
            value(r, label, ev.get(k), f"window {ev.get('window')}, the services the model values: {NOT_LIVE}",
                  money=True)
            r += 1
        r += 1
    ws.write_string(r, 0, UNCERTAINTY_NOTE, fm.note)
    ws.set_column(0, 0, 58)
    ws.set_column(1, 1, 18)
