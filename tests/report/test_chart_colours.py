"""Colour contrast of the report's text and charts (WCAG 2.2: 1.4.3 text 4.5:1, 1.4.11
graphics 3:1) and series told apart by more than colour (1.4.1)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from carecase.report import charts
from carecase.report.html import CSS


def _luminance(hex_colour: str) -> float:
    h = hex_colour.lstrip("#")
    h = "".join(c * 2 for c in h) if len(h) == 3 else h
    rgb = [int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_text_colours_meet_4_5_to_1() -> None:
    colours = dict(re.findall(r"--(\w+):(#[0-9a-f]{3,6})", CSS))
    for fg in ("ink", "muted", "accent"):
        for bg in ("#ffffff", "#eef2f7", "#eef5fc", "#fff4e5", "#fdecea"):  # page, th and note fills
            if fg == "accent" and bg != "#ffffff" and bg != "#eef2f7":
                continue
            assert contrast(colours[fg], bg) >= 4.5, (fg, bg)


def test_chart_colours_meet_3_to_1_and_do_not_work_alone() -> None:
    for colour in charts.CATEGORY_COLOURS:
        assert contrast(colour, "#ffffff") >= 3, colour
    for colour in charts.HEAT_COLOURS:  # the heat map's labels are black
        assert contrast(colour, "#000000") >= 4.5, colour
    spec = charts.lines("t", [{"x": 1, "y": 2.0, "g": "a"}], "x", "y", "g")
    assert spec["config"]["range"]["category"] == charts.CATEGORY_COLOURS
    assert spec["layer"][0]["encoding"]["strokeDash"]["field"] == "g"
    spec = charts.intervals("t", [{"k": "a", "e": 1.0, "l": 0.0, "h": 2.0, "m": "x"}], "k", "e", "l", "h", "m", "£")
    assert spec["layer"][1]["encoding"]["shape"]["field"] == "m"
    heat = charts.heatmap("t", [{"x": 1, "y": "a", "v": 2.0}], "x", "y", "v")
    assert heat["layer"][0]["encoding"]["color"]["scale"]["range"] == charts.HEAT_COLOURS


def test_the_fixture_report_s_charts_use_the_palette(rendered: dict[str, Any]) -> None:
    html = Path(rendered["summary"]["files"]["html"]).read_text(encoding="utf-8")
    specs = [json.loads(m.replace("<\\/", "</")) for m in re.findall(r'data-chart="[^"]+">(.*?)</script>', html, re.S)]
    assert specs and all(s["config"]["range"]["category"] == charts.CATEGORY_COLOURS for s in specs)
    assert "redblue" not in html[html.index('data-chart='):]
