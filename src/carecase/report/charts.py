"""Vega-Lite (v6) chart specs as plain dicts: deterministic, JSON-safe, interactive (tooltips).

Written as dicts rather than through Altair's object model so the same input always gives
the same spec text (Altair names parameters from a process-wide counter); every spec is
checked against the Vega-Lite schema by rendering it in the tests.
"""

from __future__ import annotations

import math
from typing import Any

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
WIDTH = 560
GBP = "$,.0f"  # rendered with the en-GB locale below: "$" is the £ sign
LOCALE = {"number": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["£", ""]}}


def _clean(v: Any) -> Any:
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    if hasattr(v, "item") and not isinstance(v, str):
        return _clean(v.item())
    return v


def values(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{str(k): _clean(v) for k, v in r.items()} for r in rows]


def _base(title: str, rows: list[dict[str, Any]], height: int = 260) -> dict[str, Any]:
    return {
        "$schema": SCHEMA,
        "width": WIDTH,
        "height": height,
        "data": {"values": values(rows)},
        "config": {"view": {"stroke": None}, "axis": {"labelLimit": 220}, "locale": LOCALE},
    }


def _money_axis(title: str) -> dict[str, Any]:
    return {"title": title, "format": GBP}


def hbar(title: str, rows: list[dict[str, Any]], category: str, value: str,
         value_title: str = "£", color: str | None = None, fmt: str = GBP) -> dict[str, Any]:
    """Horizontal bars sorted by value (largest first); money axis unless ``fmt`` says."""
    spec = _base(title, rows, height=max(120, 24 * len(rows)))
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
    spec = _base(title, rows)
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
    spec = _base(title, data, height=320)
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


def heatmap(title: str, rows: list[dict[str, Any]], x: str, y: str, value: str) -> dict[str, Any]:
    spec = _base(title, rows, height=max(120, 36 * len({r.get(y) for r in rows})))
    enc_xy = {
        "x": {"field": x, "type": "ordinal", "title": x.replace("_", " ")},
        "y": {"field": y, "type": "nominal", "title": None},
    }
    spec["layer"] = [
        {"mark": {"type": "rect"},
         "encoding": {**enc_xy,
                      "color": {"field": value, "type": "quantitative", "title": "£ net",
                                "scale": {"scheme": "redblue", "domainMid": 0}},
                      "tooltip": [{"field": y, "type": "nominal"}, {"field": x, "type": "ordinal"},
                                  {"field": value, "type": "quantitative", "format": GBP}]}},
        {"mark": {"type": "text", "fontSize": 10},
         "encoding": {**enc_xy, "text": {"field": value, "type": "quantitative", "format": ".3~s"}}},
    ]
    return spec


def lines(title: str, rows: list[dict[str, Any]], x: str, y: str, color: str,
          y_title: str = "£") -> dict[str, Any]:
    spec = _base(title, rows)
    spec["layer"] = [
        {"mark": {"type": "line", "point": True},
         "encoding": {
             "x": {"field": x, "type": "ordinal", "title": x.replace("_", " ")},
             "y": {"field": y, "type": "quantitative", "axis": _money_axis(y_title)},
             "color": {"field": color, "type": "nominal", "title": None},
             "tooltip": [{"field": color, "type": "nominal"}, {"field": x, "type": "ordinal"},
                         {"field": y, "type": "quantitative", "format": GBP}]}},
        {"mark": {"type": "rule", "strokeDash": [4, 4], "color": "#666"},
         "encoding": {"y": {"datum": 0}}},
    ]
    return spec


def tornado(title: str, rows: list[dict[str, Any]], name: str, low: str, high: str,
            base: float | None) -> dict[str, Any]:
    spec = _base(title, rows, height=max(120, 26 * len(rows)))
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
    spec["layer"] = layers
    return spec


def histogram(title: str, rows: list[dict[str, Any]], start: str, end: str, count: str) -> dict[str, Any]:
    spec = _base(title, rows)
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
    """Point estimates with 95% intervals, one row per category, coloured by method."""
    spec = _base(title, rows, height=max(140, 30 * len({r.get(category) for r in rows})))
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
                      "color": {"field": color, "type": "nominal", "title": None}, "tooltip": tip}},
        {"mark": {"type": "rule", "strokeDash": [4, 4], "color": "#666"}, "encoding": {"x": {"datum": 0}}},
    ]
    return spec


def love_plot(title: str, rows: list[dict[str, Any]], covariate: str, smd: str, stage: str) -> dict[str, Any]:
    spec = _base(title, rows, height=max(140, 22 * len({r.get(covariate) for r in rows})))
    spec["layer"] = [
        {"mark": {"type": "point", "filled": True, "size": 50},
         "encoding": {"y": {"field": covariate, "type": "nominal", "title": None, "sort": None},
                      "x": {"field": smd, "type": "quantitative", "title": "|standardised mean difference|"},
                      "color": {"field": stage, "type": "nominal", "title": None},
                      "shape": {"field": stage, "type": "nominal", "title": None},
                      "tooltip": [{"field": covariate, "type": "nominal"}, {"field": stage, "type": "nominal"},
                                  {"field": smd, "type": "quantitative", "format": ".3f"}]}},
        {"mark": {"type": "rule", "strokeDash": [4, 4], "color": "#c0504d"}, "encoding": {"x": {"datum": 0.1}}},
    ]
    return spec


def grouped_bars(title: str, rows: list[dict[str, Any]], category: str, group: str, value: str,
                 value_title: str = "£") -> dict[str, Any]:
    spec = _base(title, rows, height=max(140, 30 * len({r.get(category) for r in rows})))
    spec.update(
        mark={"type": "bar"},
        encoding={
            "y": {"field": category, "type": "nominal", "title": None},
            "yOffset": {"field": group, "type": "nominal", "sort": None},
            "x": {"field": value, "type": "quantitative", "axis": _money_axis(value_title)},
            "color": {"field": group, "type": "nominal", "title": None, "sort": None},
            "tooltip": [{"field": category, "type": "nominal"}, {"field": group, "type": "nominal"},
                        {"field": value, "type": "quantitative", "format": ",.1f"}],
        },
    )
    return spec
