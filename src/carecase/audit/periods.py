"""Splitting costed events into calendar months inside an audit window, and labelling
months, financial quarters and financial years.

An event occupying ``[start_date, cost_end_date)`` contributes to each month it overlaps the
share ``overlap_days / span_days`` of its cost (carecase.costs.proration), so the months of
any partition of time sum to the event's cost inside the window. Point and count events sit
in one day. Quarters and years are unions of whole months, so they are rolled up from the
month table and stay additive.

Periods: ``month`` = calendar month (label ``2023-04``); ``quarter`` = UK financial quarter
(Q1 = April-June, label ``2023/24 Q1``); ``year`` = UK financial year (April-March, label
``2023/24``).
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from carecase.core.dates import days_between, month_index

GROUP_COLUMNS = ["person_id", "agency_l1", "agency_l2", "service_code", "area_of_need"]


def exact_sum(x: ir.NumericValue, where: ir.BooleanValue | None = None) -> ir.FloatingValue:
    """Sum as DECIMAL(38, 10) (exact, so independent of row order and parallelism — outputs stay
    byte-identical run to run), returned as float64; 0 when nothing is summed."""
    return x.cast("decimal(38, 10)").sum(where=where).cast("float64").coalesce(0.0)


def month_start(m: ir.IntegerValue) -> ir.DateValue:
    """First day of month index ``m`` (year*12 + month-1)."""
    return ibis.date((m // 12).cast("int32"), (m % 12 + 1).cast("int32"), ibis.literal(1, "int32"))


def split_by_month(costed: ir.Table, start: dt.date, end: dt.date) -> ir.Table:
    """Each costed event's cost in each month of the window ``[start, end)`` (end exclusive).

    Returns GROUP_COLUMNS + value_type, transfer, month (int index), share, units, cost.
    """
    ws, we = ibis.date(start), ibis.date(end)
    keep = [*GROUP_COLUMNS, "value_type", "transfer", "kind", "start_date", "cost_end_date",
            "days", "units", "cost"]
    t = costed.select(*keep)
    t = t.filter((t.start_date < we) & (t.cost_end_date > ws))
    single = t.kind.isin(["point", "count"]) | (t.days == 1)
    point = t.filter(single).mutate(month=month_index(t.start_date), share=ibis.literal(1.0))
    ranged = t.filter(~single)
    lo_all = ibis.greatest(ranged.start_date, ws)
    hi_all = ibis.least(ranged.cost_end_date, we)
    m0 = month_index(lo_all)
    m1 = month_index(hi_all - ibis.interval(days=1))
    ranged = ranged.mutate(_m0=m0, _k=ibis.range(0, m1 - m0 + 1).unnest())
    month = ranged._m0 + ranged._k
    ms = month_start(month)
    me = month_start(month + 1)
    lo = ibis.greatest(ranged.start_date, ms, ws)
    hi = ibis.least(ranged.cost_end_date, me, we)
    share = days_between(lo, hi).cast("float64") / ranged.days.cast("float64")
    ranged = ranged.mutate(month=month, share=share).drop("_m0", "_k")
    both = point.union(ranged.select(*point.columns))
    return both.select(
        *GROUP_COLUMNS, "value_type", "transfer", "month", "share",
        units=both.units * both.share, cost=both.cost * both.share,
    )


def person_month(split: ir.Table, value_types: list[str]) -> ir.Table:
    """Person × month × agency × service × need, with cost (the chosen value types, transfers
    excluded), fiscal_cost, economic_cost and activity (units from the rows of one value
    type — fiscal when chosen, else the first chosen — so that an event costed as fiscal +
    economic is not counted twice; an event with no row of that type adds no activity)."""
    s = split.filter(split.value_type.isin(value_types) & ~split.transfer)
    primary = "fiscal" if "fiscal" in value_types else sorted(value_types)[0]
    return s.group_by([*GROUP_COLUMNS, "month"]).aggregate(
        cost=exact_sum(s.cost),
        fiscal_cost=exact_sum(s.cost, s.value_type == "fiscal"),
        economic_cost=exact_sum(s.cost, s.value_type == "economic"),
        activity=exact_sum(s.units, s.value_type == primary),
    )


def label_periods(t: ir.Table, grain: str) -> ir.Table:
    """Add ``period`` (label), ``period_index`` (sortable int) and ``period_start`` for a grain."""
    m = t.month
    year, mon = m // 12, m % 12 + 1
    fy = ibis.ifelse(mon >= 4, year, year - 1)
    fy_label = fy.cast("string").concat("/", ((fy + 1) % 100).cast("string").lpad(2, "0"))
    if grain == "month":
        return t.mutate(period_index=m, period=year.cast("string").concat("-", mon.cast("string").lpad(2, "0")),
                        period_start=month_start(m))
    if grain == "quarter":
        q = ((mon + 8) % 12) // 3 + 1  # April-June = 1
        first = fy * 12 + 3 + (q - 1) * 3
        return t.mutate(period_index=fy * 4 + q - 1, period=fy_label.concat(" Q", q.cast("string")),
                        period_start=month_start(first))
    if grain == "year":
        return t.mutate(period_index=fy, period=fy_label, period_start=month_start(fy * 12 + 3))
    raise ValueError(f"unknown period grain {grain!r}; use month, quarter or year")
