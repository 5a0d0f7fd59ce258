"""Render the content model as an Excel workbook in the shape commissioners use.

Sheets: ``Summary`` (title, disclosure note, key figures, contents), one sheet per table
(frozen header, autofilter, £/% number formats, sensible widths, totals row), the
assumptions register as ``Assumptions``, the unit costs used as ``Unit costs`` (their
sources and uprating as ``Unit cost sources``). Numbers are written as numbers (a suppressed
cell as the suppression symbol); a shared report writes each as it is shown, rounded to its
format's digits (``content.shown_number``), since a number format only changes the display
and the full value's extra digits can give back what the rounding hides. Bytes are deterministic: fixed creation date, fixed zip times.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import xlsxwriter

from carecase.report.content import (
    EXCEL_FORMATS,
    Format,
    KeyFigures,
    Note,
    Paragraph,
    Report,
    Table,
    format_value,
    is_missing,
    shown_number,
)

FIXED_CREATED = dt.datetime(2000, 1, 1, 0, 0, 0)
MAX_WIDTH = 60


def sheet_name(title: str, used: set[str]) -> str:
    """An Excel-safe, unique sheet name (≤ 31 characters, no []:*?/\\)."""
    base = re.sub(r"[\[\]:*?/\\]", "-", title).strip("'") or "Sheet"
    base = base[:31]
    name, i = base, 2
    while name.lower() in used:
        suffix = f" ({i})"
        name = base[: 31 - len(suffix)] + suffix
        i += 1
    used.add(name.lower())
    return name


SHEET_TITLES = {"assumptions-register": "Assumptions", "unit-cost-register": "Unit costs",
                "unit-cost-sources": "Unit cost sources"}


def _sheet_title(t: Table) -> str:
    return SHEET_TITLES.get(t.id) or t.id.replace("-", " ").capitalize()


class _Formats:
    def __init__(self, wb: Any) -> None:
        self.wb = wb
        self.cache: dict[tuple[str, bool], Any] = {}
        self.title = wb.add_format({"bold": True, "font_size": 14})
        self.banner = wb.add_format({"bold": True, "font_color": "#FFFFFF", "bg_color": "#B00020"})
        self.header = wb.add_format({"bold": True, "bg_color": "#EEF2F7", "bottom": 1, "text_wrap": True,
                                     "valign": "top"})
        self.note = wb.add_format({"italic": True, "font_color": "#5B6775", "text_wrap": False})
        self.suppressed = wb.add_format({"align": "right", "font_color": "#5B6775"})
        self.suppressed_total = wb.add_format({"align": "right", "bold": True, "top": 2})
        self.text = wb.add_format({})
        self.shown_text = wb.add_format({"align": "right"})  # a number shown as text: "<0.001"
        self.total_label = wb.add_format({"bold": True, "top": 2})

    def number(self, fmt: str, total: bool = False) -> Any:
        key = (fmt, total)
        if key not in self.cache:
            props: dict[str, Any] = {"num_format": EXCEL_FORMATS.get(fmt, "General")}
            if total:
                props.update(bold=True, top=2)
            self.cache[key] = self.wb.add_format(props)
        return self.cache[key]


def _write_value(ws: Any, r: int, c: int, value: Any, fmt: Format, f: _Formats, total: bool = False,
                 as_shown: bool = False) -> int:
    """Write one cell; return its display width. ``as_shown`` (shared reports): a number is
    written rounded as it is shown, not at full precision."""
    if as_shown and not isinstance(value, str):
        value = shown_number(value, fmt)
        if isinstance(value, str):  # a p-value below 0.001
            ws.write_string(r, c, value, f.shown_text)
            return len(value)
    if is_missing(value):
        ws.write_blank(r, c, None, f.number(fmt, total) if total else None)
        return 1
    if isinstance(value, bool) or isinstance(value, str) or fmt == "text":
        text = format_value(value, "text")
        ws.write_string(r, c, text, f.total_label if total else f.text)
        return len(text)
    ws.write_number(r, c, float(value), f.number(fmt, total))
    return len(format_value(value, fmt))


def _table_sheet(wb: Any, f: _Formats, t: Table, name: str, label: str, symbol: str, as_shown: bool) -> None:
    ws = wb.add_worksheet(name)
    row = 0
    if label:
        ws.write_string(row, 0, label, f.banner)
        ws.set_header(f"&C&\"Arial,Bold\"{label}")
        row += 1
    ws.write_string(row, 0, t.title, f.title)
    row += 1
    if t.note:
        ws.write_string(row, 0, t.note, f.note)
        row += 1
    header_row = row + 1
    widths = [min(MAX_WIDTH, max(8, len(c.label) + 2)) for c in t.columns]
    for j, c in enumerate(t.columns):
        ws.write_string(header_row, j, c.label, f.header)
    for i in range(len(t.rows)):
        r = header_row + 1 + i
        for j, c in enumerate(t.columns):
            value, hidden = t.cell(i, c.key)
            if hidden:
                ws.write_string(r, j, symbol, f.suppressed)
                w = 1
            else:
                w = _write_value(ws, r, j, value, c.fmt, f, as_shown=as_shown)
            widths[j] = min(MAX_WIDTH, max(widths[j], w + 2))
    last = header_row + len(t.rows)
    if t.totals is not None:
        r = last + 1
        for j, c in enumerate(t.columns):
            if c.key in t.hidden_totals:
                ws.write_string(r, j, symbol, f.suppressed_total)
            elif c.key in t.totals:
                _write_value(ws, r, j, t.totals[c.key], c.fmt, f, total=True, as_shown=as_shown)
            elif j == 0:
                ws.write_string(r, j, "Total", f.total_label)
    for j, w in enumerate(widths):
        ws.set_column(j, j, w)
    ws.freeze_panes(header_row + 1, 0)
    if t.rows:
        ws.autofilter(header_row, 0, last, max(0, len(t.columns) - 1))


def _summary_sheet(wb: Any, f: _Formats, report: Report, contents: list[tuple[str, str]]) -> None:
    ws = wb.add_worksheet("Summary")
    ws.set_column(0, 0, 44)
    ws.set_column(1, 1, 22)
    ws.set_column(2, 2, 60)
    row = 0
    if report.label:
        ws.write_string(row, 0, report.label, f.banner)
        ws.set_header(f"&C&\"Arial,Bold\"{report.label}")
        row += 1
    ws.write_string(row, 0, report.title, f.title)
    row += 1
    if report.subtitle:
        ws.write_string(row, 0, report.subtitle)
        row += 1
    ws.write_string(row, 0, report.disclosure_note, f.note)
    row += 2
    seen: set[str] = set()
    for section in report.sections:
        figures = [KeyFigures([f for f in b.items if f.label not in seen])
                   for b in section.blocks if isinstance(b, KeyFigures)]
        figures = [b for b in figures if b.items]
        seen.update(f.label for b in figures for f in b.items)
        texts = [b for b in section.blocks if isinstance(b, Paragraph | Note)]
        if section.id != "summary" and not figures:
            continue
        ws.write_string(row, 0, section.title, f.header)
        ws.write_string(row, 1, "", f.header)
        ws.write_string(row, 2, "", f.header)
        row += 1
        for block in figures:
            for fig in block.items:
                ws.write_string(row, 0, fig.label)
                _write_value(ws, row, 1, fig.value, fig.fmt, f, as_shown=report.mode == "shared")
                ws.write_string(row, 2, fig.detail, f.note)
                row += 1
        if section.id == "summary":
            for text in texts:
                ws.write_string(row, 0, text.text, f.note)
                row += 1
        row += 1
    ws.write_string(row, 0, "Contents", f.header)
    ws.write_string(row, 1, "Sheet", f.header)
    row += 1
    for title, name in contents:
        ws.write_string(row, 0, title)
        ws.write_url(row, 1, f"internal:'{name}'!A1", string=name)
        row += 1
    ws.activate()


def render_xlsx(report: Report, path: Path, symbol: str = "*") -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_urls": False})
    wb.set_properties({"title": report.title, "author": "carecase", "created": FIXED_CREATED,
                       "comments": report.label or "shared"})
    f = _Formats(wb)
    used = {"summary"}
    tables = report.tables()
    names = [sheet_name(_sheet_title(t), used) for t in tables]
    _summary_sheet(wb, f, report, [(t.title, n) for t, n in zip(tables, names, strict=True)])
    for t, n in zip(tables, names, strict=True):
        _table_sheet(wb, f, t, n, report.label, symbol, as_shown=report.mode == "shared")
    wb.close()
    return path
