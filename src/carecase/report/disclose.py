"""Apply disclosure control (``carecase.report.suppression``) to every table of a report.

Shared mode: count columns are suppressed/rounded (with secondary suppression down columns,
across a row's count columns when the table says its rows are additive, and within each
declared group of rows that add up); cells the builder ``withheld`` are hidden whatever their
value; money columns declared ``from_count`` are hidden with their count, and values declaring
``hidden_with`` with any of those counts; totals come from the values shown.
Internal mode: values as computed, totals exact; the report carries the INTERNAL label.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from carecase.report.config import SuppressionConfig
from carecase.report.content import Report, Table, chart_as_shown, is_missing
from carecase.report.suppression import disclose_counts, line_totals, primary_mask, secondary_lines


def as_float(v: Any) -> float:
    """A cell's value as a float: NaN for a missing value, text or anything not a number."""
    if is_missing(v) or isinstance(v, str):
        return float("nan")
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


class CountCells:
    """The count cells of several tables, numbered for one secondary suppression across them
    (figures one table shares with another: a source's linked records and its accepted rows,
    an agency's cost and its services'). ``cells(t, i, key)`` is a cell's number, to write the
    lines (cells that add up) with; :meth:`withhold` hides what the lines would give back."""

    def __init__(self, tables: list[Table]) -> None:
        self.cells = [(t, i, c.key) for t in tables for i in range(len(t.rows)) for c in t.columns if c.count]
        self._number = {(id(t), i, key): n for n, (t, i, key) in enumerate(self.cells)}
        self.values = np.array([as_float(t.rows[i].get(key)) for t, i, key in self.cells], dtype=float)

    def __call__(self, t: Table, i: int, key: str) -> int:
        return self._number[(id(t), i, key)]

    def __contains__(self, cell: tuple[Table, int, str]) -> bool:
        t, i, key = cell
        return (id(t), i, key) in self._number

    def withhold(self, lines: list[list[int]], cfg: SuppressionConfig, start_withheld: bool = False,
                 keep: set[int] | None = None, people: str | None = None) -> None:
        """Primary suppression of every cell, secondary over ``lines``, written into each
        table's ``withheld``; with ``start_withheld`` the cells already withheld count as
        hidden from the start; cells in ``keep`` (published elsewhere) are complements last;
        ``people``: the column key of the cells that count people, whose hidden cells in a
        line must include one of more than the threshold (:func:`secondary_lines`)."""
        hidden = primary_mask(self.values, cfg.threshold)
        if start_withheld:
            hidden |= np.array([(i, key) in t.withheld for t, i, key in self.cells], dtype=bool)
        if cfg.secondary and hidden.any():
            kept = np.array([n in (keep or set()) for n in range(len(self.cells))], dtype=bool)
            counts = None if people is None else np.where(
                np.array([key == people for _, _, key in self.cells], dtype=bool), self.values, np.nan)
            hidden = secondary_lines(self.values, hidden, lines, keep=kept, people=counts, threshold=cfg.threshold)
        for (t, i, key), h in zip(self.cells, hidden.tolist(), strict=True):
            if h:
                t.withheld.add((i, key))


def _raw_totals(table: Table) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for col in table.columns:
        if col.total:
            vals = [as_float(r.get(col.key)) for r in table.rows]
            out[col.key] = float(np.nansum(vals)) if any(not np.isnan(v) for v in vals) else None
    return out


def disclose_table(table: Table, cfg: SuppressionConfig, mode: str) -> Table:
    """Fill ``table.shown``, ``hidden``, ``totals`` and ``hidden_totals`` in place."""
    table.shown = [dict(r) for r in table.rows]
    table.hidden = set()
    table.hidden_totals = set()
    if mode == "internal" or not table.rows:
        table.totals = _raw_totals(table) if table.total_row else None
        return table
    counts = [c for c in table.columns if c.count]
    col_hidden: dict[str, np.ndarray] = {}
    if counts:
        matrix = np.array([[as_float(r.get(c.key)) for c in counts] for r in table.rows], dtype=float)
        axes = tuple(a for a, on in ((0, table.protect_columns), (1, table.protect_rows and len(counts) > 1)) if on)
        forced = np.array([[(i, c.key) in table.withheld for c in counts] for i in range(len(table.rows))],
                          dtype=bool).reshape(matrix.shape)
        disc = disclose_counts(matrix, cfg, axes, forced=forced, groups=table.relations)  # type: ignore[arg-type]
        for j, c in enumerate(counts):
            col_hidden[c.key] = disc.hidden[:, j]
            for i, row in enumerate(table.shown):
                if disc.hidden[i, j]:
                    row[c.key] = None
                    table.hidden.add((i, c.key))
                elif not np.isnan(disc.values[i, j]):
                    row[c.key] = int(disc.values[i, j])
    for c in table.columns:
        if c.count:
            continue
        mask = np.array([(i, c.key) in table.withheld for i in range(len(table.rows))], dtype=bool)
        linked = [k for k in (c.from_count, *c.hidden_with) if k and k in col_hidden]
        for k in linked:
            mask = mask | col_hidden[k]
        if mask.any() or linked:
            col_hidden[c.key] = mask
            for i, row in enumerate(table.shown):
                if mask[i]:
                    row[c.key] = None
                    table.hidden.add((i, c.key))
    if table.total_row:
        table.totals = {}
        any_hidden = bool(table.hidden)
        for c in table.columns:
            if not c.total:
                continue
            shown = np.array([as_float(r.get(c.key)) for r in table.shown], dtype=float)
            hid = col_hidden.get(c.key, np.zeros(len(shown), dtype=bool))
            tot = line_totals(shown.reshape(-1, 1), hid.reshape(-1, 1), axis=0, mode=cfg.totals)
            hidden_total = bool(tot.hidden[0]) or (cfg.totals == "suppress" and any_hidden)
            if hidden_total:
                table.hidden_totals.add(c.key)
                table.totals[c.key] = None
            else:
                v = tot.values[0]
                table.totals[c.key] = None if np.isnan(v) else float(v)
    else:
        table.totals = None
    return table


def disclose_report(report: Report, cfg: SuppressionConfig) -> Report:
    for table in report.tables():
        disclose_table(table, cfg, report.mode)
    if report.mode != "internal":  # charts carry their values as shown, like the workbook
        for chart in report.charts():
            chart.spec = chart_as_shown(chart.spec)
    if report.mode == "internal":
        report.disclosure_note = (
            "INTERNAL – NOT FOR SHARING: unsuppressed. Counts are shown as computed; "
            "do not circulate outside the partnership's information-governance agreement."
        )
    else:
        report.disclosure_note = (
            f"Disclosure control: '{cfg.symbol}' marks a hidden figure. It is either a count from 1 "
            f"to {cfg.threshold} (or a figure resting on so few people), or a figure of any size "
            "hidden so that such a one cannot be worked out from it by subtraction: a '"
            f"{cfg.symbol}' does not mean the figure is small. Other counts are rounded to the "
            f"nearest {cfg.rounding_base}; costs of hidden counts are hidden too. Totals are "
            "computed from the rounded figures shown, so parts may not add exactly."
        )
    return report
