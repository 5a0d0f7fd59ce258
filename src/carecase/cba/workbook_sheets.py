"""The calculation workbook's sheets: Settings, Inputs, Discount factors and Costs.

Each writer records where its cells are in a :class:`Layout`, so later formulas can point at
them.
Live cells (the inputs the formulas read: £ per unit, amounts, adjustments, grades, the
optimism-bias grade table, discount rates) are written as values; every step from them is an
Excel formula cached with the Python result. ``units`` blocks are values computed by carecase
(the cohort arithmetic is not in the workbook). The Benefits sheet is in workbook_benefits.py;
the matrices, headlines and uncertainty are in workbook.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from carecase.cba.formatting import financial_year, year_heading

DF_SHEET = "Discount factors"
NOT_LIVE = ("computed by carecase when this workbook was written — values, NOT live: they do "
            "not follow edits to this workbook (edit the model YAML and run carecase cba again)")


def rng(sheet: str, row: int, c0: int, c1: int, absolute: bool = True) -> str:
    """A one-row range on ``sheet`` (always quoted: the test evaluator needs the quotes)."""
    a = xl_rowcol_to_cell(row, c0, row_abs=absolute, col_abs=absolute)
    b = xl_rowcol_to_cell(row, c1, row_abs=absolute, col_abs=absolute)
    return f"'{sheet}'!{a}:{b}"


def col(sheet: str, c: int, r0: int, r1: int) -> str:
    """A one-column absolute range on ``sheet``, rows r0…r1 (0-based)."""
    name = xl_col_to_name(c)
    return f"'{sheet}'!${name}${r0 + 1}:${name}${r1 + 1}"


def cell(sheet: str, row: int, c: int) -> str:
    return f"'{sheet}'!{xl_rowcol_to_cell(row, c, row_abs=True, col_abs=True)}"


@dataclass
class Formats:
    bold: Any
    money: Any
    dec: Any
    note: Any
    live: Any  # a live input cell (shaded)


@dataclass
class Layout:
    """Where the sheets put things (0-based rows and columns)."""

    Y: int
    df_row: str = ""  # the discount factors as a row, for SUMPRODUCT against year rows
    ob_costs: str = ""  # Settings: grade → cost uplift (INDEX by grade)
    ob_benefits: str = ""
    cost_first: int = 2
    cost_last: int = 1
    cost_adj: int = 0  # first column of the adjusted-costs block
    cost_pv: int = 0
    ben_first: int = 2
    ben_last: int = 1
    ben_net: int = 0  # first column of the net-benefits block
    ben_disc: int = 0  # first column of the discounted-benefits block
    ben_pv: int = 0
    health: bool = False  # an outcome is discounted on the health schedule (Discount factors D:E)
    ben: dict[str, int] = field(default_factory=dict)  # Benefits meta column by name
    first_fy: int | None = None  # the model's first_financial_year (year 0's), else None
    first_fy_cell: str = ""  # Settings: that year, for the Headlines' payback financial year

    def heading(self, y: int) -> str:
        """Year y's heading: 'y3', or '2028/29 (y3)' where the model names year 0's financial year."""
        return year_heading(y, self.first_fy, short=True)


def settings_sheet(wb: Any, results: dict[str, Any], fm: Formats, lay: Layout) -> None:
    """Price base year, discounting, appraisal years, the (live) optimism-bias grade table and
    the scenario and rollout results (values)."""
    ws = wb.add_worksheet("Settings")
    m = results["model"]
    ws.write_string(0, 0, "Model settings", fm.bold)
    ws.write_string(1, 0, "Values from the model YAML. The optimism-bias grade table is live: the Costs "
                    "and Benefits optimism-bias cells look their confidence grade up in it.", fm.note)
    pby = m.get("price_base_year")
    rows: list[tuple[str, Any, str]] = [
        ("model", m["name"], m.get("description") or ""),
        ("price base year", pby if pby is not None else "not set",
         "financial year (start year: 2024 = 2024/25) of every £ in this workbook"),
        ("appraisal years", m["appraisal_years"],
         f"years 0 … {m['appraisal_years'] - 1}; year 0 is not discounted"),
        *([("first financial year", lay.first_fy,
            f"financial year (start year) that year 0 is: {financial_year(0, lay.first_fy)}; labels "
            "only (the year headings, written by carecase, and the payback financial year on "
            "Headlines, which follows this cell)")] if lay.first_fy is not None else []),
        ("discounting schedule", m["discounting"],
         "standard = HM Treasury Green Book (2022) STPR: 3.5% years 0–30, 3.0% 31–75, …; "
         "the rate used in each year is on the Discount factors sheet (live)"),
    ]
    if m.get("health_outcomes"):
        rows.append(("health schedule: outcomes", ", ".join(m["health_outcomes"]),
                     "their values are health effects, discounted on the Green Book (2022, Annex A6) "
                     "health schedule: 1.5% years 0–30, 1.29% 31–75, …; costs and other outcomes on "
                     "the schedule above (Discount factors sheet, health rate: live)"))
    r = 2
    for label, value, text in rows:
        ws.write_string(r, 0, label)
        if label == "first financial year":  # live: the payback financial year follows it
            ws.write_number(r, 1, value, fm.live)
            lay.first_fy_cell = cell("Settings", r, 1)
        else:
            ws.write(r, 1, value)
        ws.write_string(r, 2, text, fm.note)
        r += 1
    ws.write_row(r, 0, ["discount rate bands", "from year", "rate"], fm.bold)
    for start, rate in m.get("discount_bands", []):
        r += 1
        ws.write_number(r, 1, start)
        ws.write_number(r, 2, rate)
    r += 2
    ob = results["optimism_bias"]
    ws.write_string(r, 0, "Optimism bias by confidence grade (live)", fm.bold)
    r += 1
    ws.write_row(r, 0, ["confidence grade", "costs: cost × (1 + uplift)",
                        "benefits: benefit × (1 − share); disbenefit × (1 + share)"], fm.bold)
    first = r + 1
    for g in range(1, 7):
        r += 1
        ws.write_number(r, 0, g)
        ws.write_number(r, 1, ob["costs"][str(g)], fm.live)
        ws.write_number(r, 2, ob["benefits"][str(g)], fm.live)
    lay.ob_costs = col("Settings", 1, first, r)
    lay.ob_benefits = col("Settings", 2, first, r)
    r += 1
    ws.write_string(r, 0, "source")
    ws.write_string(r, 1, ob["source"])
    r += 2
    heads = ["NPV", "BCR", "payback year", "PV costs", "PV public value"]
    if lay.first_fy is not None:
        heads.append("payback financial year")
    for title, key, extra in (("Scenario results", "scenarios", ["description", "overrides"]),
                              ("Rollout results", "rollouts", ["cohort", "eligible population",
                                                               "capacity"])):
        ws.write_string(r, 0, f"{title} — {NOT_LIVE}", fm.bold)
        r += 1
        ws.write_row(r, 0, [key[:-1], *extra, *heads], fm.bold)
        if not results.get(key):
            r += 1
            ws.write_string(r, 0, "none in the model", fm.note)
        for s in results.get(key, []):
            r += 1
            if key == "scenarios":
                first_cols = [s["name"], s.get("description") or "",
                              "; ".join(f"{p} = {v}" for p, v in s["overrides"].items())]
            else:
                first_cols = [s["name"], s["cohort"], s["eligible_population"],
                              s["capacity"] if s["capacity"] is not None else "none"]
            ws.write_row(r, 0, first_cols)
            h = s["headline"]
            c = len(first_cols)
            ws.write_number(r, c, h["npv"], fm.money)
            ws.write(r, c + 1, h["bcr"] if h["bcr"] is not None else "n/a", fm.dec)
            ws.write(r, c + 2, h["payback_year"])
            ws.write_number(r, c + 3, h["pv_costs"], fm.money)
            ws.write_number(r, c + 4, h["pv_public_value"], fm.money)
            if lay.first_fy is not None:
                ws.write(r, c + 5, h.get("payback_financial_year") or h["payback_year"])
        r += 2
    ws.set_column(0, 0, 30)
    ws.set_column(1, 6, 18)


def inputs_sheet(wb: Any, results: dict[str, Any], fm: Formats) -> None:
    ws = wb.add_worksheet("Inputs")
    heads = ["path", "input", "value / distribution", "central value", "source", "confidence grade"]
    ws.write_row(0, 0, heads, fm.bold)
    ws.write_string(0, 6, "the model's inputs as values: editing them here changes nothing "
                    "(the live cells are on Costs, Benefits, Settings and Discount factors)", fm.note)
    for r, a in enumerate(results["assumptions"], start=1):
        ws.write_row(r, 0, [a["path"], a["label"], a["value"]])
        ws.write_number(r, 3, a["central"])
        ws.write_string(r, 4, a["source"] or "")
        if a["confidence_grade"] is not None:
            ws.write_number(r, 5, a["confidence_grade"])
    ws.set_column(0, 1, 40)
    ws.set_column(4, 4, 60)


def discount_sheet(wb: Any, results: dict[str, Any], fm: Formats, lay: Layout) -> None:
    """Year, rate and factor on the model's schedule (columns A–C); where an outcome is
    discounted on the health schedule, its rate and factor too (D–E)."""
    ws = wb.add_worksheet(DF_SHEET)
    dfs = results["discount_factors"]
    lay.health = "health_factor" in dfs[0]
    heads = ["year", "rate", "discount factor"] + (["health rate", "health factor"] if lay.health else [])
    ws.write_row(0, 0, heads, fm.bold)
    if lay.first_fy is not None:  # a label column beside the numbers (F: free of the health columns)
        ws.write_string(0, 5, "financial year", fm.bold)
    ws.write_string(0, 6, "DF(0) = 1; DF(t) = DF(t−1) / (1 + rate(t)) — HM Treasury Green Book "
                    "(2022); the rates are live" + ("; health: Annex A6 health schedule, for "
                    "outcomes marked discounting: health (Benefits)" if lay.health else "")
                    + ". Factors as a row (row 2, from column H), for SUMPRODUCT", fm.note)
    for r, d in enumerate(dfs, start=1):
        ws.write_number(r, 0, d["year"])
        if lay.first_fy is not None:
            ws.write_string(r, 5, financial_year(d["year"], lay.first_fy) or "")
        cols = [(1, 2, "rate", "factor")] + ([(3, 4, "health_rate", "health_factor")]
                                             if lay.health else [])
        for rc, fc, rate, factor in cols:
            ws.write_number(r, rc, d[rate], fm.live)
            if r == 1:
                ws.write_number(r, fc, d[factor], fm.dec)
            else:
                prev, rate_cell = xl_rowcol_to_cell(r - 1, fc), xl_rowcol_to_cell(r, rc)
                ws.write_formula(r, fc, f"={prev}/(1+{rate_cell})", fm.dec, d[factor])
    for y in range(lay.Y):
        ws.write_formula(1, 7 + y, f"=C{y + 2}", fm.dec, dfs[y]["factor"])
    lay.df_row = rng(DF_SHEET, 1, 7, 7 + lay.Y - 1)


def factor_cell(y: int, health: bool = False) -> str:
    """Year y's discount factor on Discount factors: the model's (C), or the health one (E)."""
    return cell(DF_SHEET, y + 1, 4 if health else 2)


def grouped(rows: list[dict[str, Any]], key: str) -> list[list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        out.setdefault(row[key], []).append(row)
    return [sorted(out[k], key=lambda x: x["year"]) for k in sorted(out)]


def costs_sheet(wb: Any, results: dict[str, Any], fm: Formats, lay: Layout) -> None:
    ws = wb.add_worksheet("Costs")
    Y = lay.Y
    meta = ["item", "agency", "agency (level 2)", "kind", "basis", "confidence grade",
            "optimism bias", "amount (£)"]
    nm = len(meta)
    ws.write_row(0, 0, meta, fm.bold)
    ws.write_string(1, 6, "optimism bias = INDEX(Settings grade table, grade)", fm.note)
    ws.write_string(1, nm, "units (values from carecase): 1 in a per-year cost's years, engaged "
                    "people for a per-participant cost", fm.note)
    ws.write_string(1, nm + Y, "cost before optimism bias = units × amount", fm.note)
    ws.write_string(1, nm + 2 * Y, "adjusted = cost × (1 + optimism bias)", fm.note)
    ws.write_string(1, nm + 3 * Y, "PV = SUMPRODUCT(adjusted, discount factors)", fm.note)
    for y in range(Y):
        ws.write(0, nm + y, f"units {lay.heading(y)}", fm.bold)
        ws.write(0, nm + Y + y, f"base {lay.heading(y)}", fm.bold)
        ws.write(0, nm + 2 * Y + y, f"adjusted {lay.heading(y)}", fm.bold)
    lay.cost_adj, lay.cost_pv = nm + 2 * Y, nm + 3 * Y
    ws.write(0, lay.cost_pv, "present value", fm.bold)
    items = grouped(results["costs"], "item")
    lay.cost_first, lay.cost_last = 2, 2 + len(items) - 1
    for k, rows in enumerate(items):
        r = 2 + k
        f = rows[0]
        ws.write_row(r, 0, [f["name"], f["agency"], f["agency_l2"], f["kind"], f["basis"]])
        ws.write_number(r, 5, f["confidence_grade"], fm.live)
        ws.write_formula(r, 6, f"=INDEX({lay.ob_costs},{xl_rowcol_to_cell(r, 5)})", None,
                         f["optimism_bias"])
        ws.write_number(r, 7, f["amount"], fm.live)
        ob = xl_rowcol_to_cell(r, 6, col_abs=True)
        amount = xl_rowcol_to_cell(r, 7, col_abs=True)
        for y, x in enumerate(rows):
            ws.write_number(r, nm + y, x["units"])
            ws.write_formula(r, nm + Y + y, f"={xl_rowcol_to_cell(r, nm + y)}*{amount}", fm.money,
                             x["base"])
            ws.write_formula(r, nm + 2 * Y + y, f"={xl_rowcol_to_cell(r, nm + Y + y)}*(1+{ob})",
                             fm.money, x["adjusted"])
        adj = rng("Costs", r, nm + 2 * Y, nm + 3 * Y - 1, False)
        ws.write_formula(r, lay.cost_pv, f"=SUMPRODUCT({adj},{lay.df_row})", fm.money,
                         sum(x["discounted"] for x in rows))
