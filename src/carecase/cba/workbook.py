"""The calculation workbook: every step of the CBA as Excel formulas an analyst can follow.

Sheets: Headlines (with a note of which cells are live), Settings (price base year,
discounting, appraisal years, the optimism-bias grade table, scenario and rollout results),
Inputs, Discount factors (the model's schedule, and the health schedule where an outcome is
discounted on it), Costs (units → base → adjusted → PV), Benefits (units → gross → net →
discounted, one block per step, the formula named above each block; each component discounted
on its outcome's schedule), Matrix, Discounted (agency rows, then the whole programme's
public-value net, its cumulative row, the payback test and the reconciliation Σ agency net −
PV transfers = NPV), Break-even (formulas over the Headlines' PV costs and PV public value;
carecase.cba.workbook_break_even) and Uncertainty (values). Formulas are
written with their Python-computed results as cached values, so the file opens with numbers
shown and ``openpyxl`` (``data_only=True``) reads back exactly the figures in results.json;
editing a live cell (£ per unit, a cost amount, an adjustment, a grade, a discount rate)
recalculates every figure that depends on it, the payback year included.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from carecase.cba.workbook_benefits import benefits_sheet
from carecase.cba.workbook_break_even import break_even_sheet
from carecase.cba.workbook_sheets import (
    DF_SHEET,
    NOT_LIVE,
    Formats,
    Layout,
    col,
    costs_sheet,
    discount_sheet,
    inputs_sheet,
    rng,
    settings_sheet,
)

PV_LABEL = ("public-value net, discounted = benefits discounted − transfers discounted − costs × "
            "discount factor")
#: engine.py's payback tolerance: the cumulative counts as ≥ 0 from −1e-9
TOLERANCE = "-1E-9"
NOT_WITHIN = "not within the period"
LIVE_NOTE = [
    "Which cells drive the results",
    "Live (shaded; edit one and every formula that depends on it recalculates, NPV and payback "
    "year included): Benefits — £ per unit, deadweight, displacement, attribution, cashable share, "
    "confidence grade (and discounting, where an outcome uses the health schedule); Costs — "
    "amount (£), confidence grade; Settings — the optimism-bias grade table (and the first "
    "financial year, where the model sets one: the payback financial year follows it); Discount factors — "
    "rate (and health rate) by year.",
    "Values (computed by carecase, not recalculated here): Benefits and Costs 'units' blocks "
    "(people in need × engagement × success, lag, duration, drop-off, quantity; engaged people "
    "for per-participant costs); the Inputs sheet; the Settings sheet's scenario and rollout "
    "results; the Uncertainty sheet. To change them, edit the model YAML and run carecase cba again.",
    "Every other figure is a formula from those cells; as written, each shows the result in "
    "results.json.",
]


def write_workbook(results: dict[str, Any], path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path), {"nan_inf_to_errors": True})
    wb.set_properties({"title": f"CBA: {results['model']['name']}", "author": "carecase",
                       "created": datetime.datetime(2000, 1, 1)})
    fm = Formats(bold=wb.add_format({"bold": True}), money=wb.add_format({"num_format": "£#,##0.00"}),
                 dec=wb.add_format({"num_format": "0.0000"}),
                 note=wb.add_format({"italic": True, "font_color": "#555555"}),
                 live=wb.add_format({"bg_color": "#FFF2CC"}))
    lay = Layout(Y=len(results["model"]["years"]), first_fy=results["model"].get("first_financial_year"))
    headline_ws = wb.add_worksheet("Headlines")
    settings_sheet(wb, results, fm, lay)
    inputs_sheet(wb, results, fm)
    discount_sheet(wb, results, fm, lay)
    costs_sheet(wb, results, fm, lay)
    benefits_sheet(wb, results, fm, lay)
    stays = _matrix_sheets(wb, results, fm, lay)
    _headlines(headline_ws, results, fm, lay, stays)
    break_even_sheet(wb, results, fm)
    _uncertainty_sheet(wb, results, fm)
    wb.close()
    return path


def _ben(lay: Layout) -> Callable[[int], str]:
    """Column c of the Benefits component rows, as an absolute range."""
    return lambda c: col("Benefits", c, lay.ben_first, lay.ben_last)


def _cost(lay: Layout) -> Callable[[int], str]:
    return lambda c: col("Costs", c, lay.cost_first, lay.cost_last)


def _matrix_sheets(wb: Any, results: dict[str, Any], fm: Formats, lay: Layout) -> str:
    """Matrix and Discounted (agency × year, transfers included, with their Σ row); under
    Discounted, the public-value rows behind NPV and payback. Returns the payback-test row."""
    Y, years, agencies = lay.Y, results["model"]["years"], results["model"]["agencies"]
    mrows = {(m["agency"], m["year"]): m for m in results["matrix_rows"]}
    ben, cost = _ben(lay), _cost(lay)
    for name, key, disc in (("Matrix", "net", False), ("Discounted", "net_discounted", True)):
        ws = wb.add_worksheet(name)
        ws.write_string(0, 0, "agency", fm.bold)
        ws.write_string(1, 0, ("net = benefits (all value types, transfers included"
                               + (", each discounted on its outcome's schedule: Benefits "
                                  "'discounted') − costs × discount factor" if disc else ") − costs")),
                        fm.note)
        for y in years:
            ws.write(0, 1 + y, lay.heading(y), fm.bold)
        ws.write(0, 1 + Y, "total", fm.bold)
        for a_i, agency in enumerate(agencies):
            r = 2 + a_i
            ws.write_string(r, 0, agency)
            a_cell = xl_rowcol_to_cell(r, 0, col_abs=True)
            for y in years:
                b = f"SUMIF({ben(1)},{a_cell},{ben((lay.ben_disc if disc else lay.ben_net) + y)})"
                c = f"SUMIF({cost(1)},{a_cell},{cost(lay.cost_adj + y)})"
                formula = f"={b}-{c}*'{DF_SHEET}'!$C${y + 2}" if disc else f"=({b}-{c})"
                ws.write_formula(r, 1 + y, formula, fm.money, mrows[(agency, y)][key])
            ws.write_formula(r, 1 + Y, f"=SUM({rng(name, r, 1, Y, False)})", fm.money,
                             sum(mrows[(agency, y)][key] for y in years))
        r = 2 + len(agencies)
        ws.write_string(r, 0, "all agencies (transfers included)", fm.bold)
        for c_ in range(1, Y + 2):
            vals = ([mrows[(a, c_ - 1)][key] for a in agencies] if c_ <= Y else
                    [mrows[(a, y)][key] for a in agencies for y in years])
            top, bottom = xl_rowcol_to_cell(2, c_), xl_rowcol_to_cell(r - 1, c_)
            ws.write_formula(r, c_, f"=SUM({top}:{bottom})", fm.money, sum(vals))
        ws.set_column(0, 0, 44)
        ws.set_column(1, Y + 1, 14)
    return _public_value_rows(ws, results, fm, lay, r)


def _public_value_rows(ws: Any, results: dict[str, Any], fm: Formats, lay: Layout, sum_row: int) -> str:
    """The whole programme's public-value net by year (benefits − transfers, each component
    discounted on its outcome's schedule, − costs × discount factor), its cumulative row, the
    payback test row and the reconciliation with the agency rows."""
    Y, years, agencies = lay.Y, results["model"]["years"], results["model"]["agencies"]
    mrows = {(m["agency"], m["year"]): m for m in results["matrix_rows"]}
    ben, cost_col = _ben(lay), _cost(lay)
    dfs = [d["factor"] for d in results["discount_factors"]]

    def total(k: str, y: int) -> float:
        return float(sum(mrows[(a, y)][k] for a in agencies))

    cum = results["cashflow"]["Total (public value)"]
    stays = [0] * Y
    ok = 1
    for y in reversed(years):
        ok = stays[y] = int(ok and cum[y] >= -1e-9)
    r0 = sum_row + 2
    ws.write_string(r0, 0, "Public value, whole programme (transfers excluded): NPV and payback",
                    fm.bold)
    ws.write_string(r0 + 1, 0, "the agency rows above include transfers, which move money between "
                    "agencies: their sum is not the NPV and gives no payback year", fm.note)
    R = {k: r0 + 2 + i for i, k in enumerate(
        ("benefits", "transfers", "costs", "df", "benefits_d", "transfers_d", "pv", "cum", "stays"))}
    labels = {
        "benefits": ("benefits, all agencies (net, undiscounted)", "=SUM({b})"),
        "transfers": ("of which transfers (net, undiscounted)", "=SUMIF({tr},TRUE,{b})"),
        "costs": ("costs after optimism bias (undiscounted)", "=SUM({c})"),
        "df": ("discount factor (costs: the model's schedule)", f"='{DF_SHEET}'!$C${{y2}}"),
        "benefits_d": ("benefits, discounted (each outcome on its schedule: Benefits 'discounted')",
                       "=SUM({bd})"),
        "transfers_d": ("of which transfers, discounted", "=SUMIF({tr},TRUE,{bd})"),
        "pv": (PV_LABEL, "={BD}-{TD}-{C}*{D}"),
        "cum": ("cumulative public-value net, discounted", "={prev}+{P}"),
        "stays": (f"cumulative stays ≥ 0 (from {TOLERANCE}) from this year to the end: 1, else 0",
                  "=IF({U}>=" + TOLERANCE + ",{nxt},0)"),
    }
    cached = {
        "benefits": lambda y: total("benefits", y), "transfers": lambda y: total("transfers_net", y),
        "costs": lambda y: total("costs", y), "df": lambda y: dfs[y],
        "benefits_d": lambda y: total("benefits_discounted", y),
        "transfers_d": lambda y: total("transfers_discounted", y),
        "pv": lambda y: (total("benefits_discounted", y) - total("transfers_discounted", y)
                         - total("costs_discounted", y)),
        "cum": lambda y: cum[y], "stays": lambda y: stays[y],
    }
    for k, (label, template) in labels.items():
        ws.write_string(R[k], 0, label, fm.bold if k in ("cum", "stays") else None)
        for y in years:
            at = {n: xl_rowcol_to_cell(R[n], 1 + y) for n in R}
            formula = template.format(
                b=ben(lay.ben_net + y), tr=ben(lay.ben["transfer"]), c=cost_col(lay.cost_adj + y),
                bd=ben(lay.ben_disc + y), y2=y + 2, BD=at["benefits_d"], TD=at["transfers_d"],
                C=at["costs"], D=at["df"],
                P=at["pv"], U=at["cum"], prev=xl_rowcol_to_cell(R["cum"], y),
                nxt=xl_rowcol_to_cell(R["stays"], 2 + y))
            if k == "cum" and y == 0:
                formula = f"={at['pv']}"
            if k == "stays" and y == Y - 1:
                formula = f"=IF({at['cum']}>={TOLERANCE},1,0)"
            ws.write_formula(R[k], 1 + y, formula, None if k == "stays" else fm.dec if k == "df"
                             else fm.money, cached[k](y))
        if k in ("benefits", "transfers", "costs", "benefits_d", "transfers_d", "pv"):
            ws.write_formula(R[k], 1 + Y, f"=SUM({rng('Discounted', R[k], 1, Y, False)})", fm.money,
                             sum(cached[k](y) for y in years))
    ws.write_string(R["pv"], 2 + Y, "total = NPV", fm.note)
    r = R["stays"] + 2
    ws.write_string(r, 0, "Reconciliation: Σ agency discounted net − PV transfers = NPV", fm.bold)
    agency_total = sum(mrows[(a, y)]["net_discounted"] for a in agencies for y in years)
    h = results["headline"]
    recon = [
        ("Σ agency discounted net (transfers included)", f"={xl_rowcol_to_cell(sum_row, 1 + Y)}",
         agency_total),
        ("PV transfers", f"=SUM({rng('Discounted', R['transfers_d'], 1, Y, False)})",
         h["pv_transfers"]),
        ("Σ agency discounted net − PV transfers", f"=B{r + 2}-B{r + 3}",
         agency_total - h["pv_transfers"]),
        ("NPV (Headlines)", "='Headlines'!$B$6", h["npv"]),
        ("difference (0, up to rounding)", f"=B{r + 4}-B{r + 5}",
         agency_total - h["pv_transfers"] - h["npv"]),
    ]
    for i, (label, formula, value) in enumerate(recon, start=1):
        ws.write_string(r + i, 0, label)
        ws.write_formula(r + i, 1, formula, fm.money, value)
    return rng("Discounted", R["stays"], 1, Y)


def _headlines(ws: Any, results: dict[str, Any], fm: Formats, lay: Layout, stays: str) -> None:
    h, Y = results["headline"], lay.Y
    ben, cost = _ben(lay), _cost(lay)
    ws.write_row(0, 0, ["measure", "value", "formula / definition"], fm.bold)
    pv_transfers = f"SUMIF({ben(lay.ben['transfer'])},TRUE,{ben(lay.ben_pv)})"
    lines = [
        ("PV costs (after optimism bias)", "pv_costs", f"=SUM({cost(lay.cost_pv)})",
         "Σ Costs present values"),
        ("PV public-value benefits", "pv_public_value", f"=SUM({ben(lay.ben_pv + 1)})",
         "fiscal + economic + social, transfers excluded"),
        ("PV cashable fiscal benefits", "pv_cashable", f"=SUM({ben(lay.ben_pv + 2)})",
         "fiscal × cashable share"),
        ("PV fiscal benefits", "pv_fiscal", f"=SUMIF({ben(3)},\"fiscal\",{ben(lay.ben_pv)})",
         "all fiscal, transfers included"),
        ("Net present value", "npv", "=B3-B2", "PV public value − PV costs"),
        ("Benefit-cost ratio", "bcr", "=IF(B2=0,\"\",B3/B2)", "PV public value ÷ PV costs"),
        ("Public-value return", "roi_public_value", "=IF(B2=0,\"\",B3/B2)", "same ratio (New Economy name)"),
        ("Financial ROI", "roi_fiscal", "=IF(B2=0,\"\",B5/B2)", "PV fiscal ÷ PV costs (New Economy name)"),
        ("Cashable ROI", "roi_cashable", "=IF(B2=0,\"\",B4/B2)", "PV cashable fiscal ÷ PV costs"),
        ("Net present budget impact", "net_present_budget_impact",
         f"=B4-SUMIF({cost(3)},\"<>in_kind\",{cost(lay.cost_pv)})",
         "PV cashable fiscal − PV costs excluding in-kind"),
        ("Payback year", "payback_year", f"=IF(SUM({stays})=0,\"{NOT_WITHIN}\",{Y}-SUM({stays}))",
         "first year from which the cumulative public-value net (Discounted sheet: 'cumulative "
         "public-value net, discounted' = benefits − transfers − costs, discounted) stays ≥ 0 "
         f"(from {TOLERANCE}) to the end of the period; not the agency rows, which include transfers"),
        ("PV transfers (net)", "pv_transfers", f"={pv_transfers}",
         "in the agency rows, not in public value: Σ agency net − PV transfers = NPV (Discounted)"),
    ]
    if lay.first_fy_cell:  # live: follows the payback year above and Settings' first financial year
        pb = f"B{2 + [key for _, key, _, _ in lines].index('payback_year')}"  # its cell (row 1 is headings)
        fy = f"{lay.first_fy_cell}+{pb}"
        lines.append(("Payback financial year", "payback_financial_year",
                      f'=IF(ISNUMBER({pb}),CONCATENATE({fy},"/",RIGHT({fy}+1,2)),{pb})',
                      "the financial year of the payback year (a year 0 of 2025 on Settings is "
                      "2025/26); 'not within the period' as the payback year"))
    for r, (label, key, formula, text) in enumerate(lines, start=1):
        ws.write_string(r, 0, label)
        value = h.get(key, h["payback_year"]) if key == "payback_financial_year" else h[key]
        ratio = "ratio" in label or "ROI" in label or "return" in label
        fmt = None if key.startswith("payback") else fm.dec if ratio else fm.money
        ws.write_formula(r, 1, formula, fmt, value if value is not None else "")
        ws.write_string(r, 2, text, fm.note)
    r = len(lines) + 2
    ws.write_string(r, 0, LIVE_NOTE[0], fm.bold)
    for i, text in enumerate(LIVE_NOTE[1:], start=1):
        ws.write_string(r + i, 0, text, fm.note)
    ws.write_string(r + len(LIVE_NOTE), 0, f"Scenario and rollout results (Settings): {NOT_LIVE}.",
                    fm.note)
    ws.set_column(0, 0, 34)
    ws.set_column(1, 1, 18)


def _uncertainty_sheet(wb: Any, results: dict[str, Any], fm: Formats) -> None:
    """Monte Carlo summary, tornado and switching values (values: they come from many runs)."""
    if "npv_draws" not in results:
        return
    ws = wb.add_worksheet("Uncertainty")
    d = results["npv_draws"]
    ws.write_string(0, 0, f"Monte Carlo: {d['draws']} draws, seed {d['seed']}", fm.bold)
    ws.write_string(1, 0, "P(NPV > 0)")
    ws.write_number(1, 1, results["p_npv_positive"])
    ws.write_string(2, 0, "mean NPV")
    ws.write_number(2, 1, d["mean"], fm.money)
    r = 3
    for k, v in d["percentiles"].items():
        ws.write_string(r, 0, f"NPV {k}")
        ws.write_number(r, 1, v, fm.money)
        r += 1
    r += 1
    ws.write_string(r, 0, "One-way sensitivity (tornado): NPV with each input at its low and high", fm.bold)
    r += 1
    heads = ["input", "path", "basis", "low", "high", "NPV at low", "NPV at high", "swing"]
    ws.write_row(r, 0, heads, fm.bold)
    for row in results["tornado"]:
        r += 1
        ws.write_row(r, 0, [row["label"], row["path"], row["basis"]])
        ws.write_row(r, 3, [row["low"], row["high"]])
        for c, key in ((5, "npv_low"), (6, "npv_high"), (7, "swing")):
            ws.write_number(r, c, row[key], fm.money)
    r += 2
    ws.write_string(r, 0, "Switching values: the input value at which NPV = 0 (others at base)", fm.bold)
    r += 1
    ws.write_row(r, 0, ["input", "path", "base", "switching value", "status", "search from", "search to"], fm.bold)
    for row in results["switching_values"]:
        r += 1
        ws.write_row(r, 0, [row["label"], row["path"]])
        ws.write_number(r, 2, row["base"])
        if row["value"] is not None:
            ws.write_number(r, 3, row["value"])
        ws.write_string(r, 4, row["status"])
        ws.write_row(r, 5, [row["search_low"], row["search_high"]])
    ws.set_column(0, 0, 48)
    ws.set_column(1, 1, 30)
