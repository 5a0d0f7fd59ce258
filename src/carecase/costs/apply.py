"""Costing events: every event gets a cost at the project price year, or is reported as
unmapped with its service code, kind and count (nothing is silently zero).

Each event is joined to the unit-cost code of its service (:mod:`carecase.costs.mapping`)
and to that code's library rows for the requested value types, so an event yields one row
per value type (e.g. residential care: fiscal two-thirds and economic one-third); exactly
one of an event's rows has ``activity_row`` true, so counts of events and units taken from
those rows count each event once.
``cost = units × unit_cost`` with units from the costing basis. Open-ended spells and
packages (no end date) are costed up to the end of the project period (``period_end``
inclusive) and flagged ``open_ended``. Ingest stores a blank end date as the day after the
period end (:func:`carecase.ingest.fields.period_end_exclusive`, its ``open_ended:
period_end`` convention), so an end on that day is read as open-ended too (except in the
sources given as ``closed_sources``, whose blank ends ingest quarantines); a spell really
ending that day costs the same either way.

``cost`` is the whole event's cost, days outside the project period included (a spell may
start before it); :func:`period_share` is the part of it inside a window, split as the audit
splits it, which the costs stage's totals count.

All table work is Ibis (DuckDB or Spark); the unit-cost table is small.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import ibis
import ibis.expr.types as ir
import pandas as pd

from carecase.core.dates import days_between
from carecase.core.errors import CostError
from carecase.core.exact import MAX_VALUE
from carecase.ingest.fields import period_end_exclusive

KINDS = ("point", "count", "spell", "package")
COSTED_EXTRA = [
    "unit_cost_code", "basis", "value_type", "days", "cost_end_date", "open_ended", "units",
    "unit_cost", "cost", "cashable", "transfer", "activity_row",
]


def _reason(e: ir.Table) -> ir.StringValue:
    ranged = e.kind.isin(["spell", "package"])
    return ibis.cases(
        (~e.kind.isin(list(KINDS)) | e.kind.isnull(), "unknown kind (expected point, count, spell or package)"),
        (e.start_date.isnull(), "no start_date"),
        (ranged & e.end_date.notnull() & (e.end_date < e.start_date), "end_date before start_date"),
        (e.quantity.notnull() & (e.quantity < 0), "negative quantity"),
        ((e.kind == "package") & e.quantity.isnull(), "package without quantity per week"),
        (e.unit_cost_code.isnull(), "no unit cost mapped to this service code (set costs.service_costs)"),
        (e._has_cost.isnull(), "mapped unit-cost code has no value of the chosen value types in the library"),
        else_=ibis.null("string"),
    )


def cost_events(
    events: ir.Table,
    unit_costs: ir.Table,
    service_map: ir.Table,
    period_end: dt.date,
    closed_sources: Sequence[str] = (),
) -> tuple[ir.Table, ir.Table]:
    """Return ``(costed_events, unmapped_events)`` as Ibis expressions.

    ``unit_costs``: code, value_type, value, cashable, transfer (already filtered to the
    value types wanted and uprated). ``service_map``: service_code, unit_cost_code, basis.
    ``closed_sources``: sources (``events.source``) whose blank end dates ingest quarantines
    (``open_ended: quarantine``), so an end on the day after ``period_end`` is a real end.
    """
    event_cols = list(events.columns)
    codes = unit_costs.select("code").distinct().mutate(_has_cost=ibis.literal(1))
    e = events.left_join(service_map, events.service_code == service_map.service_code).select(
        *[events[c] for c in event_cols], service_map.unit_cost_code, service_map.basis
    )
    e = e.left_join(codes, e.unit_cost_code == codes.code).select(
        *[e[c] for c in e.columns], codes._has_cost
    )
    e = e.mutate(_reason=_reason(e))

    bad = e.filter(e._reason.notnull())
    unmapped = (
        bad.group_by(service_code=bad.service_code, kind=bad.kind, reason=bad._reason)
        .aggregate(events=bad.count())
        .order_by(["service_code", "kind", "reason"])
    )

    ok = e.filter(e._reason.isnull())
    ranged = ok.kind.isin(["spell", "package"])
    # ingest writes a blank end as this day (its ``open_ended: period_end`` convention)
    stop = ibis.date(period_end_exclusive(period_end))
    at_stop = ok.end_date == stop
    if closed_sources:
        at_stop = at_stop & ~ok.source.isin(list(closed_sources))
    open_ended = ranged & (ok.end_date.isnull() | at_stop.fill_null(False))
    # a count over a week or month (ingest's event.covers) spans its days, as a spell does
    spans = ranged | ((ok.kind == "count") & ok.end_date.notnull())
    end = ibis.ifelse(spans, ok.end_date.coalesce(stop), ok.start_date)
    days = ibis.greatest(days_between(ok.start_date, end), ibis.literal(1, "int64"))
    q = ok.quantity.cast("float64").coalesce(ibis.literal(1.0))
    intensity = ibis.ifelse(ok.kind == "package", q, ibis.literal(1.0))
    d = days.cast("float64")
    units = ibis.cases(
        (ok.basis == "per_unit", ibis.ifelse(ranged, ibis.literal(1.0), q)),
        (ok.basis == "per_episode", ibis.literal(1.0)),
        (ok.basis == "per_day", d * intensity),
        (ok.basis == "per_week", d / 7.0 * intensity),
        (ok.basis == "per_hour", d / 7.0 * intensity),
        (ok.basis == "per_month", d * 12.0 / 365.0 * intensity),
        (ok.basis == "per_year", d / 365.0 * intensity),
        else_=ibis.null("float64"),
    )
    ok = ok.mutate(
        days=days,
        # DATE + INTERVAL is a TIMESTAMP on DuckDB (Ibis types it DATE, so a cast would be
        # dropped): add to a timestamp and take its date, as the contract says DATE
        cost_end_date=(ok.start_date.cast("timestamp") + ibis.interval(days=1) * days).date(),
        open_ended=open_ended,
        units=units,
    )
    uc = unit_costs.select(
        _code=unit_costs.code,
        value_type=unit_costs.value_type,
        unit_cost=unit_costs.value.cast("float64"),
        cashable=unit_costs.cashable,
        transfer=unit_costs.transfer,
        _rank=ibis.ifelse(unit_costs.value_type == "fiscal", "", unit_costs.value_type),
    )
    # an event yields one row per value type; activity (events, units) belongs to one of them:
    # the fiscal row, else the first value type the code has
    first = uc.group_by(_fcode=uc._code).aggregate(_first=uc._rank.min())
    uc = uc.join(first, uc._code == first._fcode).mutate(activity_row=uc._rank == first._first)
    joined = ok.inner_join(uc, ok.unit_cost_code == uc._code)
    costed = joined.select(
        *[joined[c] for c in event_cols],
        joined.unit_cost_code,
        joined.basis,
        joined.value_type,
        joined.days,
        joined.cost_end_date,
        joined.open_ended,
        joined.units,
        joined.unit_cost,
        (joined.units * joined.unit_cost).name("cost"),
        joined.cashable,
        joined.transfer,
        joined.activity_row,
    )
    return costed, unmapped


def period_share(costed: ir.Table, start: dt.date, end: dt.date) -> ir.FloatingValue:
    """The share of each costed event inside the window ``[start, end)`` (end exclusive),
    0 to 1: the days of ``[start_date, cost_end_date)`` inside it over ``days``, as the audit
    splits an event over months (carecase.audit.periods), so ``cost × share`` summed over
    events equals the audit's total for the same window. A point or count event (one day)
    counts whole when its day is inside."""
    lo = ibis.greatest(costed.start_date, ibis.date(start))
    hi = ibis.least(costed.cost_end_date, ibis.date(end))
    inside = ibis.greatest(days_between(lo, hi), ibis.literal(0, "int64"))
    return inside.cast("float64") / costed.days.cast("float64")


def too_large(costed: ir.Table, limit: float) -> list[dict]:
    """The services whose costed rows reach ``limit`` in size (cost or units): the exact sums
    (carecase.core.exact) hold one row's value below it. Per service code and unit-cost code:
    rows, the largest cost and that row's units and unit cost (no person or event named)."""
    big = costed.filter((costed.cost.abs() >= limit) | (costed.units.abs() >= limit))
    ranked = big.mutate(_r=ibis.row_number().over(
        group_by=[big.service_code, big.unit_cost_code],
        order_by=[ibis.desc(big.cost.abs()), big.units, big.unit_cost]))
    worst = ranked.filter(ranked._r == 0).select("service_code", "unit_cost_code", "cost", "units", "unit_cost")
    rows = big.group_by(["service_code", "unit_cost_code"]).aggregate(rows=big.count())
    out = rows.inner_join(worst, ["service_code", "unit_cost_code"]).order_by(["service_code", "unit_cost_code"])
    return out.to_pyarrow().to_pylist()


def exactly_summed(ce: ir.Table, by_service: ir.Table) -> pd.DataFrame:
    """``by_service`` computed; where the engine cannot hold a row's value as a whole number of
    10⁻¹⁰s (carecase.core.exact.MAX_VALUE, £100 million a row), a CostError naming the services,
    their largest row and the fix, instead of the engine's cast error."""
    try:
        return by_service.to_pyarrow().to_pandas()
    except Exception as err:
        found = too_large(ce, MAX_VALUE)
        if not found:
            raise
        shown = "; ".join(
            f"{r['service_code']} (unit cost {r['unit_cost_code']}): {r['rows']:,} row(s), the largest "
            f"£{r['cost']:,.2f} = {r['units']:,g} unit{'' if r['units'] == 1 else 's'} × £{r['unit_cost']:,.2f}"
            for r in found[:5])
        raise CostError(
            f"Some costed events are £{MAX_VALUE:,.0f} or more in one row (or {MAX_VALUE:,.0f} units or "
            f"more), more than carecase's exact sums hold: {shown}"
            + (f"; and {len(found) - 5} more" if len(found) > 5 else "")
            + ". This is almost always a unit cost in the wrong units (pence, a year's cost on a daily "
            "basis) or a quantity typed wrongly. Check that unit cost (costs.overrides, costs.library, "
            "`carecase costs show PROJECT`) and the services' basis in carecase.yaml, or lower the "
            "extract's event.max_quantity so that ingest quarantines such rows.") from err
