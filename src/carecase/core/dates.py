"""Date arithmetic, defined once, identical on every engine.

Ibis' ``delta(unit="month")`` counts calendar boundaries on DuckDB (2024-01-31 → 2024-02-01
is 1) but whole months on Spark (0). carecase never uses it: months are ``year*12 + month``
indices and days are differences of DATE values. Tested on DuckDB and Spark in
tests/core/test_dates.py.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir


def month_index(d: ir.DateValue) -> ir.IntegerValue:
    """Months since year 0: ``year*12 + (month-1)``. Differences give calendar-month steps."""
    return d.year().cast("int64") * 12 + d.month().cast("int64") - 1


def month_index_py(d: dt.date) -> int:
    return d.year * 12 + d.month - 1


def days_between(start: ir.DateValue, end: ir.DateValue) -> ir.IntegerValue:
    """Whole days from ``start`` to ``end`` (end exclusive), same on every engine."""
    return end.delta(start, unit="day").cast("int64")


def registered_span(start: ir.DateValue, end: ir.DateValue, registered_from: ir.DateValue,
                    registered_to: ir.DateValue, died: ir.DateValue) -> tuple[ir.DateValue, ir.DateValue]:
    """``[start, end)`` cut to a person's registration (``registered_from`` to
    ``registered_to``, both days included) and death (the day of death is the last counted);
    a null bound cuts nothing. The audit's person-time and the evaluation's observed windows
    both use it. The span may come out empty (end before start): callers clamp."""
    one = ibis.interval(days=1)
    lo = ibis.greatest(start, registered_from.coalesce(start))
    hi = ibis.least(end, (registered_to + one).coalesce(end), (died + one).coalesce(end))
    return lo, hi


def add_days(d: ir.DateValue, days: int | ir.IntegerValue) -> ir.DateValue:
    return d + ibis.interval(days=1) * days if not isinstance(days, int) else d + ibis.interval(days=days)


def add_months_py(d: dt.date, months: int) -> dt.date:
    """Calendar months forward, clamped to month end (2024-01-31 + 1 month = 2024-02-29)."""
    m = d.month - 1 + months
    year, month = d.year + m // 12, m % 12 + 1
    last = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(d.day, last))


def fiscal_year(d: dt.date) -> int:
    """UK financial year starting 1 April, labelled by its first calendar year (2023 = 2023/24)."""
    return d.year if d.month >= 4 else d.year - 1


def fiscal_year_label(start_year: int) -> str:
    return f"{start_year}/{(start_year + 1) % 100:02d}"


def fiscal_year_expr(d: ir.DateValue) -> ir.IntegerValue:
    return ibis.ifelse(d.month() >= 4, d.year(), d.year() - 1).cast("int64")
