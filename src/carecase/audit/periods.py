"""Splitting costed events into calendar months inside an audit window, and labelling
months, financial quarters and financial years.

An event occupying ``[start_date, cost_end_date)`` contributes to each month it overlaps the
share ``overlap_days / span_days`` of its cost (carecase.costs.proration), so the months of
any partition of time sum to the event's cost inside the window. Point events sit in one
day, as does a count of one day; a count over a week or month (ingest's ``event.covers``)
is split by its days like a spell. Quarters and years are unions of whole months, so they are rolled up from the
month table and stay additive.

Periods: ``month`` = calendar month (label ``2023-04``); ``quarter`` = UK financial quarter
(Q1 = April-June, label ``2023/24 Q1``); ``year`` = UK financial year (April-March, label
``2023/24``).
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from carecase.core.dates import month_index, month_index_py
from carecase.core.exact import UNIT, from_units, units

GROUP_COLUMNS = ["person_id", "agency_l1", "agency_l2", "service_code", "area_of_need"]


def month_start(m: ir.IntegerValue) -> ir.DateValue:
    """First day of month index ``m`` (year*12 + month-1)."""
    return ibis.date((m // 12).cast("int32"), (m % 12 + 1).cast("int32"), ibis.literal(1, "int32"))


def service_lines(events: ir.Table) -> ir.Table:
    """The distinct (agency_l1, agency_l2, service_code, area_of_need) combinations of
    ``events`` or of the costed events made from them — a few dozen rows — each with a small
    integer ``line`` (numbered in label order). The audit reads them from ``events``: the
    same combinations as the costed events, or a few more (those of unmapped events, unused),
    and no costing joins to pay for.

    The person × month table is grouped on ``person_id, line, month`` and labelled by joining
    this table back: grouping on three compact keys instead of six (five of them strings) is
    the largest single cost of the audit (benchmarks/bench_cost_audit.py)."""
    labels = GROUP_COLUMNS[1:]
    d = events.select(*labels).distinct()
    return d.mutate(line=ibis.row_number().over(order_by=[d[k] for k in labels]).cast("int32"))


def _with_line(t: ir.Table, lines: ir.Table) -> ir.Table:
    """``t`` with its label columns replaced by ``line`` (null labels match null labels)."""
    labels = GROUP_COLUMNS[1:]
    ln = lines.select(line=lines.line, **{f"_l_{k}": lines[k] for k in labels})
    j = t.inner_join(ln, [t[k].identical_to(ln[f"_l_{k}"]) for k in labels])
    return j.select(*[c for c in t.columns if c not in labels], "line")


def _epoch_day(d: dt.date) -> int:
    return (d - dt.date(1970, 1, 1)).days


def calendar(start: dt.date, end: dt.date) -> ir.Table:
    """One row per calendar month touching ``[start, end)``: ``c_month`` (month index),
    ``c_first`` and ``c_next`` (its first day and the next month's, as days since 1970-01-01)."""
    months = range(month_index_py(start), month_index_py(end - dt.timedelta(days=1)) + 1)
    first = [dt.date(m // 12, m % 12 + 1, 1) for m in months]
    nxt = [dt.date((m + 1) // 12, (m + 1) % 12 + 1, 1) for m in months]
    return ibis.memtable(pa.table({
        "c_month": pa.array(list(months), pa.int64()),
        "c_first": pa.array([_epoch_day(d) for d in first], pa.int64()),
        "c_next": pa.array([_epoch_day(d) for d in nxt], pa.int64()),
    }))


def split_by_month(costed: ir.Table, start: dt.date, end: dt.date, lines: ir.Table | None = None) -> ir.Table:
    """Each costed event's cost in each month of the window ``[start, end)`` (end exclusive).

    Returns person_id, line (see :func:`service_lines`; computed from ``costed`` when not
    given), value_type, transfer, month (int index), share, units, cost.
    """
    ws, we = ibis.date(start), ibis.date(end)
    keep = [*GROUP_COLUMNS, "value_type", "transfer", "kind", "start_date", "cost_end_date",
            "days", "units", "cost"]
    t = costed.select(*keep)
    t = t.filter((t.start_date < we) & (t.cost_end_date > ws))
    t = _with_line(t, service_lines(costed) if lines is None else lines)
    # One pass, no union: a point event (or a one-day spell or count) is a range of one month
    # with share 1 (a union of two branches makes engines materialise the input twice); a count
    # over a week or month (ingest's event.covers) is split by its days, as a spell is.
    # Overlaps are counted in whole days as integers (days since 1970-01-01); each month's
    # first and next-first day come from a small calendar table, not date functions per row.
    single = (t.kind == "point") | (t.days == 1)
    first_m, last_m = month_index_py(start), month_index_py(end - dt.timedelta(days=1))
    m0 = ibis.greatest(month_index(t.start_date), first_m)
    m1 = ibis.ifelse(single, m0, ibis.least(month_index(t.cost_end_date - ibis.interval(days=1)), last_m))
    t = t.mutate(_single=single, _m0=m0, _k=ibis.range(0, m1 - m0 + 1).unnest(),
                 _d0=t.start_date.epoch_days(), _d1=t.cost_end_date.epoch_days())
    t = t.mutate(month=t._m0 + t._k)
    cal = calendar(start, end)
    t = t.inner_join(cal, t.month == cal.c_month)
    w0, w1 = _epoch_day(start), _epoch_day(end)
    lo = ibis.greatest(t._d0, t.c_first, w0)
    hi = ibis.least(t._d1, t.c_next, w1)
    share = ibis.ifelse(t._single, ibis.literal(1.0), (hi - lo).cast("float64") / t.days.cast("float64"))
    both = t.mutate(share=share)
    return both.select(
        "person_id", "line", "value_type", "transfer", "month", "share",
        units=both.units * both.share, cost=both.cost * both.share,
    )


def person_line_month(
    costed: ir.Table, start: dt.date, end: dt.date, value_types: list[str], lines: ir.Table,
) -> ir.Table:
    """:func:`person_month` keyed by ``line`` instead of its four labels (label it with
    :func:`label_lines`). This is the table the audit stores: narrow, so cheap to write.

    The sums are exact (:func:`carecase.core.exact.units`: whole numbers of 10⁻¹⁰s) and written
    as sums of CASE values, not FILTERed sums, which engines aggregate more slowly. ``cost`` is
    fiscal + economic (+ the other chosen value types) added as whole numbers before the
    conversion to float64, so it equals the sum of every row's cost exactly — one sum fewer
    per group."""
    split = split_by_month(costed, start, end, lines)
    s = split.filter(split.value_type.isin(value_types) & ~split.transfer)
    primary = "fiscal" if "fiscal" in value_types else sorted(value_types)[0]
    zero = ibis.literal(0).cast(UNIT)

    def part(x: ir.NumericValue, when: ir.BooleanValue) -> ir.DecimalValue:
        # whole numbers (scale 0): the sum of up to three parts is exact on Spark too
        return ibis.ifelse(when, units(x), zero).sum()

    sums = {"_f": part(s.cost, s.value_type == "fiscal"), "_e": part(s.cost, s.value_type == "economic"),
            "_a": part(s.units, s.value_type == primary)}
    others = [v for v in value_types if v not in ("fiscal", "economic")]
    if others:
        sums["_o"] = part(s.cost, s.value_type.isin(others))
    g = s.group_by(["person_id", "line", "month"]).aggregate(**sums)
    total = g._f + g._e + g._o if others else g._f + g._e

    def out(x: ir.DecimalValue) -> ir.FloatingValue:
        return from_units(x).coalesce(0.0)

    return g.select("person_id", "line", "month", cost=out(total), fiscal_cost=out(g._f),
                    economic_cost=out(g._e), activity=out(g._a))


def label_lines(plm: ir.Table, lines: ir.Table) -> ir.Table:
    """A :func:`person_line_month` table with the labels of each ``line`` from ``lines``."""
    j = plm.inner_join(lines, plm.line == lines.line)
    return j.select(*GROUP_COLUMNS, "month", "cost", "fiscal_cost", "economic_cost", "activity")


def person_month(
    costed: ir.Table, start: dt.date, end: dt.date, value_types: list[str], lines: ir.Table | None = None,
) -> ir.Table:
    """Person × month × agency × service × need inside the window ``[start, end)``, with cost
    (the chosen value types, transfers excluded), fiscal_cost, economic_cost and activity
    (units from the rows of one value type — fiscal when chosen, else the first chosen — so
    that an event costed as fiscal + economic is not counted twice; an event with no row of
    that type adds no activity).

    ``lines``: :func:`service_lines` of this same ``costed`` or of the events it was costed
    from, when already stored (computed otherwise); a combination missing from it would be
    left out, so never pass lines of other data. Grouped on ``person_id, line, month``, then
    labelled from ``lines``."""
    lines = service_lines(costed) if lines is None else lines
    return label_lines(person_line_month(costed, start, end, value_types, lines), lines)


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
