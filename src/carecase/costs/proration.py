"""Splitting events across periods and windows in proportion to time.

Every event occupies a half-open interval of days ``[start, start + span)`` where
``span = max(end - start, 1)`` (a point event or same-day spell occupies its one day).
The share of an event inside a window ``[window_start, window_end)`` is
``overlap_days / span``; units and cost scale by that share, so the sum over any partition
of time equals the event's total (tested as a property in tests/costs/test_proration.py).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from carecase.core.dates import days_between


def event_span_days(t: ir.Table) -> ir.IntegerValue:
    """Days an event occupies: ``max(end - start, 1)``; point events (no end) occupy 1."""
    end = t.end_date.coalesce(t.start_date)
    return ibis.greatest(days_between(t.start_date, end), ibis.literal(1, "int64"))


def overlap_share(
    t: ir.Table, window_start: ir.DateValue, window_end: ir.DateValue
) -> ir.FloatingValue:
    """Fraction of each event inside ``[window_start, window_end)`` (0 to 1)."""
    span = event_span_days(t)
    ev_end = t.start_date + ibis.interval(days=1) * span
    lo = ibis.greatest(t.start_date, window_start)
    hi = ibis.least(ev_end, window_end)
    days = ibis.greatest(days_between(lo, hi), ibis.literal(0, "int64"))
    return days.cast("float64") / span.cast("float64")
