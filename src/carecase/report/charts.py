"""Vega-Lite (v6) chart specs as plain dicts: deterministic, JSON-safe, interactive (tooltips).

Written as dicts rather than through Altair's object model so the same input always gives
the same spec text (Altair names parameters from a process-wide counter); every spec is
checked against the Vega-Lite schema by rendering it in the tests.

Each spec names the format its values are shown in, as its table shows them
(``usermeta.shown``: field → ``content.Format``). A shared report rounds the chart's data to
those digits (``content.chart_as_shown``): the spec is in the page's source, and the extra
digits of a full-precision value can give back what the table's rounding hides.
"""

from __future__ import annotations

import math
from typing import Any

from carecase.cba.formatting import financial_year
from carecase.report.content import Format

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
WIDTH = 560
GBP = "$,.0f"  # rendered with the en-GB locale below: "$" is the £ sign
D3_FORMATS: dict[str, str] = {"gbp": GBP, "gbp2": "$,.2f", "pct": ".1%", "int": ",d", "count": ",d"}
"""Tooltip formats for a value shown as a table column of that format (others: 2 decimals)."""
LOCALE = {"number": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["£", ""]}}
CATEGORY_COLOURS = ["#005eb8", "#c24e00", "#00796b", "#8e44ad", "#6d4c41", "#ad1457", "#5d6d7e", "#a65e00"]
"""Series colours, each at least 3:1 against the white page (WCAG 1.4.11; Vega's default
palette has orange, teal, yellow, pink and grey below it), the first two blue and orange
(told apart with any colour vision). Lines also differ in dash and points in shape (1.4.1)."""
HEAT_COLOURS = ["#d6604d", "#f7f7f7", "#4393c3"]
"""The heat map's diverging colours (net loss, 0, net gain): light enough that its black
labels keep 4.5:1 on every cell (WCAG 1.4.3), where Vega's redblue ends near black."""


def _clean(v: Any) -> Any:
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    if hasattr(v, "item") and not isinstance(v, str):
        return _clean(v.item())
    return v


def values(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{str(k): _clean(v) for k, v in r.items()} for r in rows]


def _base(title: str, rows: list[dict[str, Any]], shown: dict[str, Format], height: int = 260) -> dict[str, Any]:
    """The spec's common part; ``shown``: the format each value field is shown in."""
    return {
        "$schema": SCHEMA,
        "width": WIDTH,
        "height": height,
        "data": {"values": values(rows)},
        "config": {"view": {"stroke": None}, "axis": {"labelLimit": 220}, "locale": LOCALE,
                   "range": {"category": CATEGORY_COLOURS}},
        "usermeta": {"shown": dict(shown)},
    }


def _money_axis(title: str) -> dict[str, Any]:
    return {"title": title, "format": GBP}


def financial_year_axis(first: int | None) -> dict[str, Any] | None:
    """An axis of appraisal years (the field stays the year number, so years sort as numbers)
    labelled with the financial year each falls in, year 0 being ``first`` (a start year:
    2025 → '2025/26', '2026/27', …; 1999 → '1999/00', as the report writes price years);
    None where the model does not name year 0's financial year (the axis is then the year)."""
    if first is None:
        return None
    year = f"({int(first)} + toNumber(datum.value))"
    return {"title": f"Financial year (year 0 = {financial_year(0, first)})",
            "labelExpr": f"{year} + '/' + slice('0' + (({year} + 1) % 100), -2)"}


def _year_x(x: str, axis: dict[str, Any] | None) -> dict[str, Any]:
    """An ordinal x encoding of years: titled by its field, or with a labelled ``axis``
    (:func:`financial_year_axis`), which carries its own title."""
    if axis is None:
        return {"field": x, "type": "ordinal", "title": x.replace("_", " ")}
    return {"field": x, "type": "ordinal", "axis": dict(axis)}


def _year_tooltip(rows: list[dict[str, Any]], x: str) -> list[dict[str, Any]]:
    """The year's tooltip field, and its financial year where the rows carry one."""
    out: list[dict[str, Any]] = [{"field": x, "type": "ordinal"}]
    if any("financial_year" in r for r in rows):
        out.append({"field": "financial_year", "type": "nominal", "title": "financial year"})
    return out


def hbar(title: str, rows: list[dict[str, Any]], category: str, value: str,
         value_title: str = "£", color: str | None = None, fmt: str = GBP,
         value_fmt: Format | None = None) -> dict[str, Any]:
    """Horizontal bars sorted by value (largest first); money axis unless ``fmt`` (d3) says;
    values shown as a ``value_fmt`` column (default: £ for the money axis, else a count)."""
    shown: Format = value_fmt or ("gbp" if fmt == GBP else "count")
    spec = _base(title, rows, {value: shown}, height=max(120, 24 * len(rows)))
    enc: dict[str, Any] = {
        "y": {"field": category, "type": "nominal", "sort": "-x", "title": None},
        "x": {"field": value, "type": "quantitative", "axis": {"title": value_title, "format": fmt}},
        "tooltip": [{"field": category, "type": "nominal"},
                    {"field": value, "type": "quantitative", "format": fmt}],
    }
    if color:
        enc["color"] = {"field": color, "type": "nominal"}
        enc["tooltip"].append({"field": color, "type": "nominal"})
    spec.update(mark={"type": "bar"}, encoding=enc)
    return spec


def stacked_bars(title: str, rows: list[dict[str, Any]], x: str, value: str, color: str) -> dict[str, Any]:
    spec = _base(title, rows, {value: "gbp"})
    spec.update(
        mark={"type": "bar"},
        encoding={
            "x": {"field": x, "type": "ordinal", "title": x.replace("_", " ")},
            "y": {"field": value, "type": "quantitative", "axis": _money_axis("£"), "stack": "zero"},
            "color": {"field": color, "type": "nominal", "title": color.replace("_", " ")},
            "tooltip": [{"field": x, "type": "ordinal"}, {"field": color, "type": "nominal"},
                        {"field": value, "type": "quantitative", "format": GBP}],
        },
    )
    return spec


def lorenz(title: str, rows: list[dict[str, Any]], x: str, y: str) -> dict[str, Any]:
    diag = [{x: 0.0, y: 0.0, "line": "equal spend"}, {x: 1.0, y: 1.0, "line": "equal spend"}]
    data = [{**r, "line": "actual"} for r in rows] + diag
    # the share of spend as the concentration table shows shares (0.1%); the share of people
    # is left exact: a whole number of people over the published population, hiding nothing
    spec = _base(title, data, {y: "pct"}, height=320)
    spec["width"] = 360
    spec.update(
        mark={"type": "line", "point": False},
        encoding={
            "x": {"field": x, "type": "quantitative", "title": "Share of people (lowest cost first)",
                  "axis": {"format": "%"}, "scale": {"domain": [0, 1]}},
            "y": {"field": y, "type": "quantitative", "title": "Share of spend", "axis": {"format": "%"},
                  "scale": {"domain": [0, 1]}},
            "color": {"field": "line", "type": "nominal", "title": None},
            "strokeDash": {"field": "line", "type": "nominal", "legend": None},
            "tooltip": [{"field": x, "type": "quantitative", "format": ".1%"},
                        {"field": y, "type": "quantitative", "format": ".1%"}],
        },
    )
    return spec


def heatmap(title: str, rows: list[dict[str, Any]], x: str, y: str, value: str,
            x_axis: dict[str, Any] | None = None) -> dict[str, Any]:
    """``x_axis``: labels for the x values (:func:`financial_year_axis`), else the values."""
    spec = _base(title, rows, {value: "gbp"}, height=max(120, 36 * len({r.get(y) for r in rows})))
    enc_xy = {
        "x": _year_x(x, x_axis),
        "y": {"field": y, "type": "nominal", "title": None},
    }
    spec["layer"] = [
        {"mark": {"type": "rect"},
         "encoding": {**enc_xy,
                      "color": {"field": value, "type": "quantitative", "title": "£ net",
                                "scale": {"range": HEAT_COLOURS, "domainMid": 0}},
                      "tooltip": [{"field": y, "type": "nominal"}, *_year_tooltip(rows, x),
                                  {"field": value, "type": "quantitative", "format": GBP}]}},
        {"mark": {"type": "text", "fontSize": 10},
         "encoding": {**enc_xy, "text": {"field": value, "type": "quantitative", "format": ".3~s"}}},
    ]
    return spec


def lines(title: str, rows: list[dict[str, Any]], x: str, y: str, color: str,
          y_title: str = "£", x_axis: dict[str, Any] | None = None) -> dict[str, Any]:
    """``x_axis``: labels for the x values (:func:`financial_year_axis`), else the values."""
    spec = _base(title, rows, {y: "gbp"})
    spec["layer"] = [
        {"mark": {"type": "line", "point": True},
         "encoding": {
             "x": _year_x(x, x_axis),
             "y": {"field": y, "type": "quantitative", "axis": _money_axis(y_title)},
             "color": {"field": color, "type": "nominal", "title": None},
             "strokeDash": {"field": color, "type": "nominal", "title": None},
             "tooltip": [{"field": color, "type": "nominal"}, *_year_tooltip(rows, x),
                         {"field": y, "type": "quantitative", "format": GBP}]}},
        {"mark": {"type": "rule", "strokeDash": [4, 4], "color": "#666"},
         "encoding": {"y": {"datum": 0}}},
    ]
    return spec


def tornado(title: str, rows: list[dict[str, Any]], name: str, low: str, high: str,
            base: float | None) -> dict[str, Any]:
    spec = _base(title, rows, {low: "gbp", high: "gbp"}, height=max(120, 26 * len(rows)))
    layers: list[dict[str, Any]] = [
        {"mark": {"type": "bar", "height": 16},
         "encoding": {
             "y": {"field": name, "type": "nominal", "sort": None, "title": None},
             "x": {"field": low, "type": "quantitative", "axis": _money_axis("NPV (£)")},
             "x2": {"field": high},
             "tooltip": [{"field": name, "type": "nominal"},
                         {"field": low, "type": "quantitative", "format": GBP},
                         {"field": high, "type": "quantitative", "format": GBP}]}},
    ]
    if base is not None and math.isfinite(base):
        layers.append({"mark": {"type": "rule", "color": "#222"}, "encoding": {"x": {"datum": base}}})
        spec["usermeta"]["datum"] = "gbp"  # the NPV, shown in whole £
    spec["layer"] = layers
    return spec


def histogram(title: str, rows: list[dict[str, Any]], start: str, end: str, count: str) -> dict[str, Any]:
    spec = _base(title, rows, {start: "gbp", end: "gbp", count: "int"})
    spec["layer"] = [
        {"mark": {"type": "bar"},
         "encoding": {
             "x": {"field": start, "type": "quantitative", "bin": {"binned": True},
                   "axis": _money_axis("NPV (£)")},
             "x2": {"field": end},
             "y": {"field": count, "type": "quantitative", "title": "Draws"},
             "color": {"condition": {"test": f"datum['{end}'] <= 0", "value": "#c0504d"},
                       "value": "#4f81bd"},
             "tooltip": [{"field": start, "type": "quantitative", "format": GBP},
                         {"field": end, "type": "quantitative", "format": GBP},
                         {"field": count, "type": "quantitative"}]}},
        {"mark": {"type": "rule", "strokeDash": [4, 4]}, "encoding": {"x": {"datum": 0}}},
    ]
    return spec


def intervals(title: str, rows: list[dict[str, Any]], category: str, est: str, lo: str, hi: str,
              color: str, x_title: str) -> dict[str, Any]:
    """Point estimates with 95% intervals, one row per category, coloured by method; values
    as the effects table shows them (``num``)."""
    spec = _base(title, rows, {est: "num", lo: "num", hi: "num"},
                 height=max(140, 30 * len({r.get(category) for r in rows})))
    y = {"field": category, "type": "nominal", "title": None}
    off = {"field": color, "type": "nominal"}
    tip = [{"field": category, "type": "nominal"}, {"field": color, "type": "nominal"},
           {"field": est, "type": "quantitative", "format": ",.1f"},
           {"field": lo, "type": "quantitative", "format": ",.1f"},
           {"field": hi, "type": "quantitative", "format": ",.1f"}]
    spec["layer"] = [
        {"mark": {"type": "rule"},
         "encoding": {"y": y, "yOffset": off, "x": {"field": lo, "type": "quantitative", "title": x_title},
                      "x2": {"field": hi}, "color": {"field": color, "type": "nominal", "title": None}}},
        {"mark": {"type": "point", "filled": True, "size": 60},
         "encoding": {"y": y, "yOffset": off, "x": {"field": est, "type": "quantitative"},
                      "color": {"field": color, "type": "nominal", "title": None},
                      "shape": {"field": color, "type": "nominal", "title": None}, "tooltip": tip}},
        {"mark": {"type": "rule", "strokeDash": [4, 4], "color": "#666"}, "encoding": {"x": {"datum": 0}}},
    ]
    return spec


def event_study(title: str, rows: list[dict[str, Any]], x: str, est: str, lo: str, hi: str,
                y_title: str) -> dict[str, Any]:
    """Each period's estimate with its 95% interval along a numeric time axis (months from
    joining), a dashed rule at no effect and a solid one where the programme starts (between
    month −1 and month 0); values shown as whole £ (``gbp``), as their table."""
    spec = _base(title, rows, {est: "gbp", lo: "gbp", hi: "gbp"})
    xs = {"field": x, "type": "quantitative", "title": x.replace("_", " "), "axis": {"tickMinStep": 1}}
    tip = [{"field": x, "type": "quantitative"}, {"field": est, "type": "quantitative", "format": GBP},
           {"field": lo, "type": "quantitative", "format": GBP}, {"field": hi, "type": "quantitative", "format": GBP}]
    spec["layer"] = [
        {"mark": {"type": "rule", "color": CATEGORY_COLOURS[0]},
         "encoding": {"x": xs, "y": {"field": lo, "type": "quantitative", "axis": _money_axis(y_title)},
                      "y2": {"field": hi}}},
        {"mark": {"type": "point", "filled": True, "size": 50, "color": CATEGORY_COLOURS[0]},
         "encoding": {"x": xs, "y": {"field": est, "type": "quantitative"}, "tooltip": tip}},
        {"mark": {"type": "rule", "strokeDash": [4, 4], "color": "#666"}, "encoding": {"y": {"datum": 0}}},
        {"mark": {"type": "rule", "color": "#666"}, "encoding": {"x": {"datum": -0.5}}},
    ]
    return spec


def love_plot(title: str, rows: list[dict[str, Any]], covariate: str, smd: str, stage: str) -> dict[str, Any]:
    spec = _base(title, rows, {smd: "ratio"}, height=max(140, 22 * len({r.get(covariate) for r in rows})))
    spec["layer"] = [
        {"mark": {"type": "point", "filled": True, "size": 50},
         "encoding": {"y": {"field": covariate, "type": "nominal", "title": None, "sort": None},
                      "x": {"field": smd, "type": "quantitative", "title": "|standardised mean difference|"},
                      "color": {"field": stage, "type": "nominal", "title": None},
                      "shape": {"field": stage, "type": "nominal", "title": None},
                      "tooltip": [{"field": covariate, "type": "nominal"}, {"field": stage, "type": "nominal"},
                                  {"field": smd, "type": "quantitative", "format": ".2f"}]}},
        {"mark": {"type": "rule", "strokeDash": [4, 4], "color": "#c0504d"}, "encoding": {"x": {"datum": 0.1}}},
    ]
    return spec


def grouped_bars(title: str, rows: list[dict[str, Any]], category: str, group: str, value: str,
                 value_title: str = "£", value_fmt: Format = "gbp") -> dict[str, Any]:
    """Bars by category and group; values shown as a ``value_fmt`` column (whole £ by default:
    no more digits than a £ table, and fewer than a ``num`` one)."""
    spec = _base(title, rows, {value: value_fmt}, height=max(140, 30 * len({r.get(category) for r in rows})))
    spec.update(
        mark={"type": "bar"},
        encoding={
            "y": {"field": category, "type": "nominal", "title": None},
            "yOffset": {"field": group, "type": "nominal", "sort": None},
            "x": {"field": value, "type": "quantitative", "axis": _money_axis(value_title)},
            "color": {"field": group, "type": "nominal", "title": None, "sort": None},
            "tooltip": [{"field": category, "type": "nominal"}, {"field": group, "type": "nominal"},
                        {"field": value, "type": "quantitative", "format": D3_FORMATS.get(value_fmt, ",.2f")}],
        },
    )
    return spec
