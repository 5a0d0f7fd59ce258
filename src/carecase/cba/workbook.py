"""The audit workbook: every step of the CBA as Excel formulas an analyst can follow.

Sheets: Headlines, Inputs, Discount factors, Costs, Benefits (gross → net, one block per
adjustment, the formula named above each block), Matrix, Discounted, and Uncertainty (Monte
Carlo percentiles, tornado, switching values — values, not formulas). Formulas are written
with their Python-computed results as cached values, so the file opens with numbers shown
and ``openpyxl`` (``data_only=True``) reads back exactly the figures in results.json.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

DF_SHEET = "Discount factors"


def _rng(sheet: str, row: int, c0: int, c1: int, absolute: bool = True) -> str:
    a = xl_rowcol_to_cell(row, c0, row_abs=absolute, col_abs=absolute)
    b = xl_rowcol_to_cell(row, c1, row_abs=absolute, col_abs=absolute)
    return f"'{sheet}'!{a}:{b}"


def _col(sheet: str, col: int, r0: int, r1: int) -> str:
    c = xl_col_to_name(col)
    return f"'{sheet}'!${c}${r0 + 1}:${c}${r1 + 1}"


def write_workbook(results: dict[str, Any], path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path), {"nan_inf_to_errors": True})
    wb.set_properties({"title": f"CBA: {results['model']['name']}", "author": "carecase",
                       "created": __import__("datetime").datetime(2000, 1, 1)})
    bold = wb.add_format({"bold": True})
    money = wb.add_format({"num_format": "£#,##0.00"})
    dec = wb.add_format({"num_format": "0.0000"})
    note = wb.add_format({"italic": True, "font_color": "#555555"})
    years = results["model"]["years"]
    Y = len(years)
    headline_ws = wb.add_worksheet("Headlines")

    # ---------------------------------------------------------------- inputs
    ws = wb.add_worksheet("Inputs")
    heads = ["path", "input", "value / distribution", "central value", "source", "confidence grade"]
    ws.write_row(0, 0, heads, bold)
    for r, a in enumerate(results["assumptions"], start=1):
        ws.write_row(r, 0, [a["path"], a["label"], a["value"]])
        ws.write_number(r, 3, a["central"])
        ws.write_string(r, 4, a["source"] or "")
        if a["confidence_grade"] is not None:
            ws.write_number(r, 5, a["confidence_grade"])
    ws.set_column(0, 1, 40)
    ws.set_column(4, 4, 60)

    # ---------------------------------------------------------------- discount factors
    ws = wb.add_worksheet(DF_SHEET)
    ws.write_row(0, 0, ["year", "rate", "discount factor"], bold)
    ws.write_string(0, 4, "DF(0) = 1; DF(t) = DF(t−1) / (1 + rate(t)) — HM Treasury Green Book (2022)", note)
    for r, d in enumerate(results["discount_factors"], start=1):
        ws.write_number(r, 0, d["year"])
        ws.write_number(r, 1, d["rate"])
        if r == 1:
            ws.write_number(r, 2, d["factor"], dec)
        else:
            ws.write_formula(r, 2, f"=C{r}/(1+B{r + 1})", dec, d["factor"])
    # a row copy of the factors for SUMPRODUCT against year rows
    ws.write_string(0, 6, "factors as a row", note)
    for y in range(Y):
        ws.write_formula(1, 6 + y, f"=C{y + 2}", dec, results["discount_factors"][y]["factor"])
    df_row = _rng(DF_SHEET, 1, 6, 6 + Y - 1)

    # ---------------------------------------------------------------- costs
    ws = wb.add_worksheet("Costs")
    meta = ["item", "agency", "agency (level 2)", "kind", "basis", "confidence grade", "optimism bias"]
    nm = len(meta)
    ws.write_row(0, 0, meta, bold)
    ws.write_string(1, nm, "cost before optimism bias, by year", note)
    ws.write_string(1, nm + Y, "adjusted = cost × (1 + optimism bias)", note)
    ws.write_string(1, nm + 2 * Y, "PV = SUMPRODUCT(adjusted, discount factors)", note)
    for y in years:
        ws.write(0, nm + y, f"base y{y}", bold)
        ws.write(0, nm + Y + y, f"adjusted y{y}", bold)
    ws.write(0, nm + 2 * Y, "present value", bold)
    items: dict[int, list[dict[str, Any]]] = {}
    for row in results["costs"]:
        items.setdefault(row["item"], []).append(row)
    cost_first, cost_last = 2, 2 + len(items) - 1
    for k, i in enumerate(sorted(items)):
        r = 2 + k
        rows = sorted(items[i], key=lambda x: x["year"])
        f = rows[0]
        ws.write_row(r, 0, [f["name"], f["agency"], f["agency_l2"], f["kind"], f["basis"]])
        ws.write_number(r, 5, f["confidence_grade"])
        ws.write_number(r, 6, f["optimism_bias"])
        ob = xl_rowcol_to_cell(r, 6, col_abs=True)
        for y, x in enumerate(rows):
            ws.write_number(r, nm + y, x["base"], money)
            ws.write_formula(r, nm + Y + y, f"={xl_rowcol_to_cell(r, nm + y)}*(1+{ob})", money, x["adjusted"])
        ws.write_formula(r, nm + 2 * Y, f"=SUMPRODUCT({_rng('Costs', r, nm + Y, nm + 2 * Y - 1, False)},{df_row})",
                         money, sum(x["discounted"] for x in rows))
    costs_pv_col = nm + 2 * Y

    # ---------------------------------------------------------------- benefits
    ws = wb.add_worksheet("Benefits")
    meta = ["outcome", "agency", "agency (level 2)", "value type", "transfer", "cashable share",
            "£ per unit", "deadweight", "displacement", "attribution", "optimism bias"]
    bm = len(meta)
    steps = [("gross", "gross = successes flow × quantity × £ per unit (lag, duration, drop-off applied)"),
             ("after_deadweight", "after deadweight = gross × (1 − deadweight)"),
             ("after_displacement", "after displacement = previous × (1 − displacement)"),
             ("after_attribution", "after attribution = previous × (1 − attribution)"),
             ("net", "net = previous × (1 − optimism bias), or × (1 + optimism bias) where "
              "gross < 0 (a disbenefit): the correction is always pessimistic")]
    ws.write_row(0, 0, meta, bold)
    for s, (key, text) in enumerate(steps):
        ws.write_string(1, bm + s * Y, text, note)
        for y in years:
            ws.write(0, bm + s * Y + y, f"{key} y{y}", bold)
    pv_col = bm + len(steps) * Y
    ws.write_row(0, pv_col, ["PV net", "PV public value", "PV cashable"], bold)
    ws.write_string(1, pv_col, "PV = SUMPRODUCT(net, factors); public value excludes transfers; "
                    "cashable = fiscal PV × cashable share", note)
    comps: dict[int, list[dict[str, Any]]] = {}
    for row in results["benefits"]:
        comps.setdefault(row["component"], []).append(row)
    ben_first, ben_last = 2, 2 + len(comps) - 1
    adj_cols = {"after_deadweight": 7, "after_displacement": 8, "after_attribution": 9, "net": 10}
    for k, c in enumerate(sorted(comps)):
        r = 2 + k
        rows = sorted(comps[c], key=lambda x: x["year"])
        f = rows[0]
        ws.write_row(r, 0, [f["outcome"], f["agency"], f["agency_l2"], f["value_type"]])
        ws.write_boolean(r, 4, f["transfer"])
        for col, key in ((5, "cashable_share"), (6, "unit_value"), (7, "deadweight"),
                         (8, "displacement"), (9, "attribution"), (10, "optimism_bias")):
            ws.write_number(r, col, f[key])
        for y, x in enumerate(rows):
            ws.write_number(r, bm + y, x["gross"], money)
            for s, (key, _) in enumerate(steps[1:], start=1):
                prev = xl_rowcol_to_cell(r, bm + (s - 1) * Y + y)
                factor = xl_rowcol_to_cell(r, adj_cols[key], col_abs=True)
                adjust = f"(1-{factor})"
                if key == "net":  # optimism bias: 1 − OB for a benefit, 1 + OB for a disbenefit
                    adjust = f"IF({xl_rowcol_to_cell(r, bm + y)}<0,1+{factor},1-{factor})"
                ws.write_formula(r, bm + s * Y + y, f"={prev}*{adjust}", money, x[key])
        pv = sum(x["discounted"] for x in rows)
        net_rng = _rng("Benefits", r, bm + 4 * Y, bm + 5 * Y - 1, False)
        ws.write_formula(r, pv_col, f"=SUMPRODUCT({net_rng},{df_row})", money, pv)
        pvc = xl_rowcol_to_cell(r, pv_col)
        ws.write_formula(r, pv_col + 1, f"=IF({xl_rowcol_to_cell(r, 4)},0,{pvc})", money,
                         0.0 if f["transfer"] else pv)
        ws.write_formula(r, pv_col + 2, f'=IF({xl_rowcol_to_cell(r, 3)}="fiscal",{pvc}*{xl_rowcol_to_cell(r, 5)},0)',
                         money, pv * f["cashable_share"] if f["value_type"] == "fiscal" else 0.0)

    # ---------------------------------------------------------------- matrix & discounted
    agencies = results["model"]["agencies"]
    mrows = {(m["agency"], m["year"]): m for m in results["matrix_rows"]}
    for name, key, disc in (("Matrix", "net", False), ("Discounted", "net_discounted", True)):
        ws = wb.add_worksheet(name)
        ws.write_string(0, 0, "agency", bold)
        ws.write_string(1, 0, ("net = benefits (all value types, transfers included) − costs"
                               + (", × discount factor" if disc else "")), note)
        for y in years:
            ws.write(0, 1 + y, f"y{y}", bold)
        ws.write(0, 1 + Y, "total", bold)
        for a_i, agency in enumerate(agencies):
            r = 2 + a_i
            ws.write_string(r, 0, agency)
            a_cell = xl_rowcol_to_cell(r, 0, col_abs=True)
            for y in years:
                ben = (f"SUMIF({_col('Benefits', 1, ben_first, ben_last)},{a_cell},"
                       f"{_col('Benefits', bm + 4 * Y + y, ben_first, ben_last)})")
                cost = (f"SUMIF({_col('Costs', 1, cost_first, cost_last)},{a_cell},"
                        f"{_col('Costs', nm + Y + y, cost_first, cost_last)})")
                formula = f"=({ben}-{cost})" + (f"*'{DF_SHEET}'!$C${y + 2}" if disc else "")
                ws.write_formula(r, 1 + y, formula, money, mrows[(agency, y)][key])
            ws.write_formula(r, 1 + Y, f"=SUM({_rng(name, r, 1, Y, False).split('!')[1]})", money,
                             sum(mrows[(agency, y)][key] for y in years))
        ws.set_column(0, 0, 28)

    # ---------------------------------------------------------------- headlines
    h = results["headline"]
    ws = headline_ws
    ws.write_row(0, 0, ["measure", "value", "formula / definition"], bold)
    pv_costs = f"SUM({_col('Costs', costs_pv_col, cost_first, cost_last)})"
    pv_pub = f"SUM({_col('Benefits', pv_col + 1, ben_first, ben_last)})"
    pv_cash = f"SUM({_col('Benefits', pv_col + 2, ben_first, ben_last)})"
    pv_fiscal = (f"SUMIF({_col('Benefits', 3, ben_first, ben_last)},\"fiscal\","
                 f"{_col('Benefits', pv_col, ben_first, ben_last)})")
    cash_costs = (f"SUMIF({_col('Costs', 3, cost_first, cost_last)},\"<>in_kind\","
                  f"{_col('Costs', costs_pv_col, cost_first, cost_last)})")
    lines = [
        ("PV costs (after optimism bias)", "pv_costs", f"={pv_costs}", "Σ Costs present values"),
        ("PV public-value benefits", "pv_public_value", f"={pv_pub}", "fiscal + economic + social, transfers excluded"),
        ("PV cashable fiscal benefits", "pv_cashable", f"={pv_cash}", "fiscal × cashable share"),
        ("PV fiscal benefits", "pv_fiscal", f"={pv_fiscal}", "all fiscal, transfers included"),
        ("Net present value", "npv", "=B3-B2", "PV public value − PV costs"),
        ("Benefit-cost ratio", "bcr", "=IF(B2=0,\"\",B3/B2)", "PV public value ÷ PV costs"),
        ("Public-value return", "roi_public_value", "=IF(B2=0,\"\",B3/B2)", "same ratio (New Economy name)"),
        ("Financial ROI", "roi_fiscal", "=IF(B2=0,\"\",B5/B2)", "PV fiscal ÷ PV costs (New Economy name)"),
        ("Cashable ROI", "roi_cashable", "=IF(B2=0,\"\",B4/B2)", "PV cashable fiscal ÷ PV costs"),
        ("Net present budget impact", "net_present_budget_impact", f"=B4-{cash_costs}",
         "PV cashable fiscal − PV costs excluding in-kind"),
    ]
    for r, (label, key, formula, text) in enumerate(lines, start=1):
        ws.write_string(r, 0, label)
        value = h[key]
        ws.write_formula(r, 1, formula, money if "ratio" not in label and "ROI" not in label
                         and "return" not in label else dec, value if value is not None else "")
        ws.write_string(r, 2, text, note)
    r = len(lines) + 1
    ws.write_string(r, 0, "Payback year")
    ws.write(r, 1, h["payback_year"])
    ws.write_string(r, 2, "first year from which cumulative discounted net stays ≥ 0 (Discounted sheet)", note)
    ws.set_column(0, 0, 34)
    ws.set_column(1, 1, 18)
    _uncertainty_sheet(wb, results, bold, money, note)
    wb.close()
    return path


def _uncertainty_sheet(wb: Any, results: dict[str, Any], bold: Any, money: Any, note: Any) -> None:
    """Monte Carlo summary, tornado and switching values (values: they come from many runs)."""
    if "npv_draws" not in results:
        return
    ws = wb.add_worksheet("Uncertainty")
    d = results["npv_draws"]
    ws.write_string(0, 0, f"Monte Carlo: {d['draws']} draws, seed {d['seed']}", bold)
    ws.write_string(1, 0, "P(NPV > 0)")
    ws.write_number(1, 1, results["p_npv_positive"])
    ws.write_string(2, 0, "mean NPV")
    ws.write_number(2, 1, d["mean"], money)
    r = 3
    for k, v in d["percentiles"].items():
        ws.write_string(r, 0, f"NPV {k}")
        ws.write_number(r, 1, v, money)
        r += 1
    r += 1
    ws.write_string(r, 0, "One-way sensitivity (tornado): NPV with each input at its low and high", bold)
    r += 1
    heads = ["input", "path", "basis", "low", "high", "NPV at low", "NPV at high", "swing"]
    ws.write_row(r, 0, heads, bold)
    for row in results["tornado"]:
        r += 1
        ws.write_row(r, 0, [row["label"], row["path"], row["basis"]])
        ws.write_row(r, 3, [row["low"], row["high"]])
        for c, key in ((5, "npv_low"), (6, "npv_high"), (7, "swing")):
            ws.write_number(r, c, row[key], money)
    r += 2
    ws.write_string(r, 0, "Switching values: the input value at which NPV = 0 (others at base)", bold)
    r += 1
    ws.write_row(r, 0, ["input", "path", "base", "switching value", "status", "search from", "search to"], bold)
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
