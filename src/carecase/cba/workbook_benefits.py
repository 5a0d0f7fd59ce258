"""The calculation workbook's Benefits sheet: each benefit component from units to its present value.

One row per component (outcome × agency × value type); blocks of one column a year: units
(values from carecase), gross, after deadweight, displacement and attribution, net (optimism
bias), and discounted (net × the factor of the outcome's schedule, on the Discount factors
sheet: the model's, or the health one for ``discounting: health``); then PV net, PV public
value and PV cashable. The layout is recorded in a :class:`Layout` for workbook.py.
"""

from __future__ import annotations

from typing import Any

from xlsxwriter.utility import xl_rowcol_to_cell

from carecase.cba.workbook_sheets import Formats, Layout, factor_cell, grouped, rng

BEN_META = ["outcome", "agency", "agency (level 2)", "value type", "transfer", "cashable share",
            "confidence grade", "optimism bias", "£ per unit", "deadweight", "displacement",
            "attribution", "discounting"]
BEN_STEPS = [
    ("units", "units of outcome (values from carecase) = successes flow × quantity, lag, "
     "duration and drop-off applied"),
    ("gross", "gross = units × £ per unit"),
    ("after_deadweight", "after deadweight = gross × (1 − deadweight)"),
    ("after_displacement", "after displacement = previous × (1 − displacement)"),
    ("after_attribution", "after attribution = previous × (1 − attribution)"),
    ("net", "net = previous × (1 − optimism bias), or × (1 + optimism bias) where gross < 0 "
     "(a disbenefit): the correction is always pessimistic"),
    ("discounted", "discounted = net × discount factor of the component's schedule (discounting: "
     "health → Discount factors health factor; otherwise the model's)"),
]


def benefits_sheet(wb: Any, results: dict[str, Any], fm: Formats, lay: Layout) -> None:
    ws = wb.add_worksheet("Benefits")
    Y = lay.Y
    bc = lay.ben = {name: i for i, name in enumerate(BEN_META)}
    bm = len(BEN_META)
    ws.write_row(0, 0, BEN_META, fm.bold)
    ws.write_string(1, bc["optimism bias"], "optimism bias = INDEX(Settings grade table, grade)", fm.note)
    for s, (key, text) in enumerate(BEN_STEPS):
        ws.write_string(1, bm + s * Y, text, fm.note)
        for y in range(Y):
            ws.write(0, bm + s * Y + y, f"{key} {lay.heading(y)}", fm.bold)
    lay.ben_net = bm + (len(BEN_STEPS) - 2) * Y
    lay.ben_disc = bm + (len(BEN_STEPS) - 1) * Y
    pv_col = lay.ben_pv = bm + len(BEN_STEPS) * Y
    ws.write_row(0, pv_col, ["PV net", "PV public value", "PV cashable"], fm.bold)
    ws.write_string(1, pv_col, "PV = SUM(discounted); public value excludes transfers; "
                    "cashable = fiscal PV × cashable share", fm.note)
    comps = grouped(results["benefits"], "component")
    lay.ben_first, lay.ben_last = 2, 2 + len(comps) - 1
    adjust_by = {"after_deadweight": "deadweight", "after_displacement": "displacement",
                 "after_attribution": "attribution", "net": "optimism bias"}
    for k, rows in enumerate(comps):
        r = 2 + k
        f = rows[0]
        ws.write_row(r, 0, [f["outcome"], f["agency"], f["agency_l2"], f["value_type"]])
        ws.write_boolean(r, bc["transfer"], f["transfer"])
        ws.write_number(r, bc["cashable share"], f["cashable_share"], fm.live)
        ws.write_number(r, bc["confidence grade"], f["confidence_grade"], fm.live)
        grade = xl_rowcol_to_cell(r, bc["confidence grade"])
        ws.write_formula(r, bc["optimism bias"], f"=INDEX({lay.ob_benefits},{grade})", None,
                         f["optimism_bias"])
        for name, key in (("£ per unit", "unit_value"), ("deadweight", "deadweight"),
                          ("displacement", "displacement"), ("attribution", "attribution")):
            ws.write_number(r, bc[name], f[key], fm.live)
        ws.write_string(r, bc["discounting"], f["discount_schedule"], fm.live if lay.health else None)
        sched = xl_rowcol_to_cell(r, bc["discounting"], col_abs=True)
        unit = xl_rowcol_to_cell(r, bc["£ per unit"], col_abs=True)
        for y, x in enumerate(rows):
            ws.write_number(r, bm + y, x["units"])
            ws.write_formula(r, bm + Y + y, f"={xl_rowcol_to_cell(r, bm + y)}*{unit}", fm.money,
                             x["gross"])
            for s, (key, _) in enumerate(BEN_STEPS[2:-1], start=2):
                prev = xl_rowcol_to_cell(r, bm + (s - 1) * Y + y)
                factor = xl_rowcol_to_cell(r, bc[adjust_by[key]], col_abs=True)
                adjust = f"(1-{factor})"
                if key == "net":  # optimism bias: 1 − OB for a benefit, 1 + OB for a disbenefit
                    adjust = f"IF({xl_rowcol_to_cell(r, bm + Y + y)}<0,1+{factor},1-{factor})"
                ws.write_formula(r, bm + s * Y + y, f"={prev}*{adjust}", fm.money, x[key])
            factor = (f'IF({sched}="health",{factor_cell(y, True)},{factor_cell(y)})'
                      if lay.health else factor_cell(y))
            ws.write_formula(r, lay.ben_disc + y, f"={xl_rowcol_to_cell(r, lay.ben_net + y)}*{factor}",
                             fm.money, x["discounted"])
        pv = sum(x["discounted"] for x in rows)
        disc_rng = rng("Benefits", r, lay.ben_disc, lay.ben_disc + Y - 1, False)
        ws.write_formula(r, pv_col, f"=SUM({disc_rng})", fm.money, pv)
        pvc = xl_rowcol_to_cell(r, pv_col)
        ws.write_formula(r, pv_col + 1, f"=IF({xl_rowcol_to_cell(r, bc['transfer'])},0,{pvc})",
                         fm.money, 0.0 if f["transfer"] else pv)
        vt, share = xl_rowcol_to_cell(r, bc["value type"]), xl_rowcol_to_cell(r, bc["cashable share"])
        ws.write_formula(r, pv_col + 2, f'=IF({vt}="fiscal",{pvc}*{share},0)', fm.money,
                         pv * f["cashable_share"] if f["value_type"] == "fiscal" else 0.0)
    ws.set_column(0, 0, 28)
