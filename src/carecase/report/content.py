"""The report's content model: one structure rendered to HTML, Excel and PDF.

A :class:`Report` holds :class:`Section` s; a section holds blocks — :class:`Paragraph`,
:class:`KeyFigures`, :class:`Table` (with column formats and which columns are counts),
:class:`Chart` (a Vega-Lite spec), :class:`Diagram` (inline SVG) and :class:`Note`.
Builders (``carecase.report.sections``) make it from the stage outputs; disclosure control
(``carecase.report.disclose``) fills each table's shown values; renderers only format.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

Format = Literal["text", "int", "count", "gbp", "gbp2", "pct", "ratio", "factor", "num", "p"]

INTERNAL_LABEL = "INTERNAL – NOT FOR SHARING: unsuppressed"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    fmt: Format = "text"
    count: bool = False  # a count of people/events: small-number suppression applies
    from_count: str | None = None  # a value derived from this count column: hidden with it
    hidden_with: tuple[str, ...] = ()  # count columns that can be worked back from this value: hidden with any
    total: bool = False  # summed in the table's total row


@dataclass
class Paragraph:
    text: str


@dataclass
class Note:
    text: str
    kind: Literal["info", "not_run", "warning"] = "info"


@dataclass
class KeyFigure:
    label: str
    value: Any
    fmt: Format = "num"
    detail: str = ""


@dataclass
class KeyFigures:
    items: list[KeyFigure]


@dataclass
class Table:
    id: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    note: str = ""
    total_row: bool = False
    protect_rows: bool = True  # secondary suppression across a row's count columns (rows add up)
    protect_columns: bool = True  # secondary suppression down each count column (columns add up)
    # groups of row indices that add up (one row is the sum of the others, e.g. all = cohort +
    # rest): protected like a column of their own, in every count column
    relations: list[tuple[int, ...]] = field(default_factory=list)
    # cells hidden in shared reports whatever their value, because another figure of the
    # report hides what they would reveal (a source's hidden count, a related table's cell)
    withheld: set[tuple[int, str]] = field(default_factory=set)
    # rows whose £ a reader must not bound within this many £ above it (a cost one or two
    # people dominate: its upper protection level, carecase.report.relations)
    protection: dict[int, float] = field(default_factory=dict)
    # filled by disclosure control
    shown: list[dict[str, Any]] = field(default_factory=list)
    hidden: set[tuple[int, str]] = field(default_factory=set)
    totals: dict[str, Any] | None = None
    hidden_totals: set[str] = field(default_factory=set)

    def cell(self, r: int, key: str) -> tuple[Any, bool]:
        """(value to show, hidden?) for row ``r`` and column ``key`` after disclosure."""
        rows = self.shown if self.shown else self.rows
        return rows[r].get(key), (r, key) in self.hidden


@dataclass
class Chart:
    id: str
    title: str
    spec: dict[str, Any]
    description: str = ""
    # the id of the table that gives the chart's figures; without one the HTML gives the
    # chart's own data as a table (its text alternative, WCAG 1.1.1)
    table: str = ""


@dataclass
class Diagram:
    id: str
    title: str
    svg: str
    description: str = ""


Block = Paragraph | Note | KeyFigures | Table | Chart | Diagram


@dataclass
class Section:
    id: str
    title: str
    blocks: list[Block] = field(default_factory=list)

    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]

    def charts(self) -> list[Chart]:
        return [b for b in self.blocks if isinstance(b, Chart)]


@dataclass
class Report:
    title: str
    subtitle: str
    mode: Literal["shared", "internal"]
    sections: list[Section]
    disclosure_note: str = ""
    warnings: list[str] = field(default_factory=list)  # for the reader of the CLI and summary.json

    @property
    def label(self) -> str:
        return INTERNAL_LABEL if self.mode == "internal" else ""

    def tables(self) -> list[Table]:
        return [t for s in self.sections for t in s.tables()]

    def charts(self) -> list[Chart]:
        return [c for s in self.sections for c in s.charts()]


# --------------------------------------------------------------------------- formatting


def is_missing(value: Any) -> bool:
    """None, NaN or ±inf (an undefined ratio): shown as a dash, written as a blank cell."""
    if value is None:
        return True
    if isinstance(value, bool | int | str):
        return False
    try:
        return not math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def format_value(value: Any, fmt: Format) -> str:
    """Text for HTML/PDF. Money in £ with thousands separators; negative money as −£1,234."""
    if is_missing(value):
        return "–"
    if fmt == "text" or isinstance(value, str):
        return str(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    v = float(value)
    a = abs(v)
    body = _magnitude(a, fmt)
    # a value that rounds to zero is shown without a sign ("Cashable ROI −0.00" read as a loss)
    minus = "−" if v < 0 and any(ch in "123456789" for ch in body.split("e")[0]) else ""
    if fmt == "gbp" or fmt == "gbp2":
        return f"{minus}£{body}"
    return f"{minus}{body}"


def _magnitude(a: float, fmt: Format) -> str:
    """The unsigned text of ``a`` in ``fmt`` (the £ sign added by :func:`format_value`)."""
    if fmt in ("int", "count", "gbp"):
        return f"{a:,.0f}"
    if fmt == "gbp2":
        return f"{a:,.2f}"
    if fmt == "pct":
        return f"{a * 100:,.1f}%"
    if fmt == "ratio":
        return f"{a:,.2f}"
    if fmt == "factor":
        return f"{a:,.4f}"
    if fmt == "p":
        return "<0.001" if a < 0.001 else f"{a:.3f}"
    if a != 0 and (a >= 1e6 or a < 0.01):
        return f"{a:,.3g}"
    return f"{a:,.2f}"


def shown_number(value: Any, fmt: Format) -> Any:
    """``value`` rounded to the digits :func:`format_value` prints, still a number: whole £
    (``gbp``, ``int``, ``count``), pence (``gbp2``), 0.1 of a percentage point (``pct``),
    2 decimals (``ratio``; ``num`` too, or 3 significant figures below 0.01 and from a
    million), 4 decimals (``factor``: a multiplier such as an uprating factor) and 3 decimals
    for ``p`` (the text "<0.001" below). Shared reports write numbers
    to the workbook and the charts' data this way: the extra digits of a full-precision
    figure can give back what the rounding hides (an SMD and a variance ratio to 16 digits
    give the numbers matched). Text, yes/no and missing values are returned as they are."""
    if is_missing(value) or fmt == "text" or isinstance(value, bool | str):
        return value
    v = float(value)
    a = abs(v)
    if fmt in ("int", "count", "gbp"):
        if isinstance(value, int):
            return value
        text = f"{v:.0f}"
    elif fmt in ("gbp2", "ratio"):
        text = f"{v:.2f}"
    elif fmt == "factor":
        text = f"{v:.4f}"
    elif fmt == "pct":  # as format_value: the percentage to 1 decimal
        text = str(Decimal(f"{v * 100:.1f}").scaleb(-2))
    elif fmt == "p":
        if a < 0.001:
            return "<0.001"
        text = f"{v:.3f}"
    elif a != 0 and (a >= 1e6 or a < 0.01):
        text = f"{v:.3g}"
    else:
        text = f"{v:.2f}"
    return float(text) + 0.0  # + 0.0: no negative zero


def chart_as_shown(spec: dict[str, Any]) -> dict[str, Any]:
    """A copy of a chart spec (``carecase.report.charts``) with its values rounded as shown:
    each data field named in ``usermeta.shown`` to its format's digits (:func:`shown_number`)
    and, when ``usermeta.datum`` names a format, the layers' constant positions (the tornado's
    NPV line)."""
    meta = spec.get("usermeta") or {}
    fields: dict[str, Format] = meta.get("shown") or {}
    datum: Format | None = meta.get("datum")

    def row(r: dict[str, Any]) -> dict[str, Any]:
        return {k: shown_number(v, fields[k]) if k in fields else v for k, v in r.items()}

    def channel(enc: Any) -> Any:
        if datum and isinstance(enc, dict) and isinstance(enc.get("datum"), int | float):
            return {**enc, "datum": shown_number(enc["datum"], datum)}
        return enc

    out = dict(spec)
    if "data" in spec:
        out["data"] = {**spec["data"], "values": [row(r) for r in spec["data"]["values"]]}
    if "layer" in spec:
        out["layer"] = [{**lay, "encoding": {ch: channel(e) for ch, e in lay["encoding"].items()}}
                        if "encoding" in lay else lay for lay in spec["layer"]]
    return out


EXCEL_FORMATS: dict[str, str] = {
    "int": "#,##0",
    "count": "#,##0",
    "gbp": '"£"#,##0;[Red]-"£"#,##0',
    "gbp2": '"£"#,##0.00;[Red]-"£"#,##0.00',
    "pct": "0.0%",
    "ratio": "0.00",
    "factor": "0.0000",
    "num": "#,##0.00",
    "p": "0.000",
    "text": "@",
}
