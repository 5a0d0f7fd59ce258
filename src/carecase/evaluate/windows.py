"""Per-person window summaries, on the engine (Ibis).

For each row of a *window table* (``row_id, person_id, window, w_start, w_end, censor``)
this computes the days the person was observed inside ``[w_start, w_end)`` — cut at
``registered_from``, the day after ``registered_to`` / ``date_of_death`` (both inclusive),
the day after the period end and the row's own ``censor`` date (a control's own programme
start) — and the events, units and £ in that observed span per service and agency.

Spells, packages and counts over a week or month (ingest's ``event.covers``) are split
across windows in proportion to time with :func:`carecase.costs.proration.overlap_share`;
``events`` counts what *starts* inside the observed span (a point row its quantity, a spell
or package 1), except a count, whose quantity is spread over its days like its units
(:func:`events_inside`).
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
import pyarrow as pa

from carecase.core.dates import days_between, registered_span
from carecase.core.engine import Engine
from carecase.core.exact import exact_sum
from carecase.costs.proration import event_span_days, overlap_share

FAR = dt.date(9999, 12, 31)
EVENT_KEYS = ("service_code", "agency_l1", "agency_l2", "area_of_need")


def window_table(frame: pd.DataFrame) -> pa.Table:
    """Arrow window table from a frame with row_id, person_id, window, w_start, w_end, censor."""
    def _dates(col: str) -> pa.Array:
        days = pd.to_datetime(frame[col]).to_numpy("datetime64[D]")  # NaT → null below
        return pa.array(days, pa.date32(), from_pandas=True)

    return pa.table(
        {
            "row_id": pa.array(frame["row_id"].to_numpy("int64")),
            # straight from the frame's (Arrow-backed) strings: no Python objects per row
            "person_id": pa.array(frame["person_id"].astype("str"), pa.string()),
            "window": pa.array(frame["window"].astype("str"), pa.string()),
            "w_start": _dates("w_start"),
            "w_end": _dates("w_end"),
            "censor": _dates("censor"),
        }
    )


def event_units(t: ir.Table) -> ir.FloatingValue:
    """Natural units when no costed units exist: point/count → quantity; spell → days;
    package → quantity per week × weeks."""
    qty = t.quantity.cast("float64").coalesce(1.0)
    span = event_span_days(t).cast("float64")
    return (
        ibis.cases(
            (t.kind == "spell", span),
            (t.kind == "package", qty * span / 7.0),
            else_=qty,
        )
    )


def events_inside(j: ir.Table, share: ir.FloatingValue) -> ir.FloatingValue:
    """The events of each row of ``j`` inside its window ``[obs_start, obs_end)``: a point's
    quantity (default 1) and a spell or package (1) where it starts inside; a count spread
    over the days it covers (``share`` of it: the part inside; a count of one day is whole
    where its day is inside)."""
    starts_inside = (j.start_date >= j.obs_start) & (j.start_date < j.obs_end)
    quantity = j.quantity.coalesce(1.0)
    return ibis.cases(
        (j.kind == "count", quantity * share),
        (starts_inside, ibis.ifelse(j.kind == "point", quantity, ibis.literal(1.0))),
        else_=ibis.literal(0.0),
    )


def prepare_events(events: ir.Table) -> ir.Table:
    """The columns the summaries need; ``costed_events`` supplies units and £, plain
    ``events`` get natural units and £0.

    ``costed_events`` holds one row per event and value type: each row adds its £ (transfers
    excepted, as in the audit), and only the event's ``activity_row`` adds to events and
    units (``counted``), so an event costed as fiscal + economic is counted once.
    """
    cols = set(events.columns)
    units = events.units.cast("float64") if "units" in cols else event_units(events)
    cost = events.cost.cast("float64").coalesce(0.0) if "cost" in cols else ibis.literal(0.0)
    if "transfer" in cols:
        cost = ibis.ifelse(events.transfer.fill_null(False), 0.0, cost)
    counted = events.activity_row.fill_null(False) if "activity_row" in cols else ibis.literal(True)
    keys = {k: (events[k] if k in cols else ibis.literal("Unknown")) for k in EVENT_KEYS}
    return events.select(
        person_id=events.person_id,
        start_date=events.start_date.cast("date"),
        end_date=events.end_date.cast("date"),
        kind=events.kind,
        quantity=events.quantity.cast("float64"),
        units=units.coalesce(0.0),
        cost=cost,
        counted=counted,
        **keys,
    )


def observed_windows(w: ir.Table, people: ir.Table, period_end: dt.date,
                     period_start: dt.date | None = None) -> ir.Table:
    """Each window row with its observed span ``[obs_start, obs_end)`` and ``days``: the
    window cut to registration, death, the data's period and a control's own later start.
    ``period_start`` is the first day of data: days before it are not observed (without it a
    window reaching back before the data would count those days as time with no use)."""
    p = people.select(
        pid=people.person_id,
        reg_from=people.registered_from.cast("date"),
        reg_to=people.registered_to.cast("date"),
        death=people.date_of_death.cast("date"),
    )
    j = w.left_join(p, w.person_id == p.pid)
    start, end = registered_span(j.w_start, j.w_end, j.reg_from, j.reg_to, j.death)
    if period_start is not None:
        start = ibis.greatest(start, ibis.literal(period_start))
    end = ibis.least(end, ibis.literal(period_end + dt.timedelta(days=1)), j.censor.coalesce(ibis.literal(FAR)))
    end = ibis.greatest(end, start)
    out = j.select("row_id", "person_id", "window", obs_start=start, obs_end=end)
    return out.mutate(days=days_between(out.obs_start, out.obs_end))


def window_coverage(windows: pd.DataFrame, row_ids: object, period_end: dt.date) -> dict[str, dict[str, float]]:
    """Per post window, how much of it lies within the data for the rows ``row_ids`` (the
    matched participants): each row's share of its window ``[w_start, w_end)`` before the day
    after ``period_end``, averaged (``share``), with the smallest and largest (``low``,
    ``high``) and the number of rows (``n``). Only the data's end cuts here, not leaving the
    area or dying (censoring, which the person-time rates allow for): a window running past
    the data rests on the earliest joiners and on its own early months."""
    w = windows[windows["row_id"].isin(pd.Index(row_ids)) & windows["window"].astype(str).str.startswith("post_")]
    start = pd.to_datetime(w["w_start"]).to_numpy("datetime64[D]")
    end = pd.to_datetime(w["w_end"]).to_numpy("datetime64[D]")
    stop = np.minimum(end, np.datetime64(period_end + dt.timedelta(days=1), "D"))
    full = (end - start).astype("int64").astype(float)
    inside = np.clip((stop - start).astype("int64"), 0, None).astype(float)
    share = pd.Series(np.divide(inside, full, out=np.zeros_like(full), where=full > 0), index=w.index)
    out: dict[str, dict[str, float]] = {}
    for name, s in share.groupby(w["window"].astype(str), sort=True):
        out[str(name)] = {"share": float(s.mean()), "low": float(s.min()), "high": float(s.max()), "n": int(len(s))}
    return out


def window_summaries(
    engine: Engine,
    windows: pd.DataFrame,
    events: ir.Table,
    people: ir.Table,
    period_end: dt.date,
    keys: tuple[str, ...] = EVENT_KEYS,
    name: str = "_evaluate_windows",
    period_start: dt.date | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Amounts per (row_id, window, *keys) and observed days per (row_id, window).

    Returns ``(amounts, person_time)``: ``amounts`` has columns row_id, window, keys...,
    events, units, cost (only non-empty combinations); ``person_time`` has row_id, window,
    days for every window row.
    """
    w = engine.memtable(window_table(windows), name=name)
    obs = observed_windows(w, people, period_end, period_start)
    ev = prepare_events(events)
    span = event_span_days(ev)
    ev = ev.mutate(ev_end=ev.start_date + ibis.interval(days=1) * span)
    o = obs.filter(obs.days > 0).select(
        opid=obs.person_id, row_id=obs.row_id, window=obs.window,
        obs_start=obs.obs_start, obs_end=obs.obs_end,
    )
    j = ev.join(
        o,
        [ev.person_id == o.opid, ev.start_date < o.obs_end, ev.ev_end > o.obs_start],
    )
    share = overlap_share(j, j.obs_start, j.obs_end)
    j = j.mutate(
        _events=ibis.ifelse(j.counted, events_inside(j, share), ibis.literal(0.0)),
        _units=ibis.ifelse(j.counted, j.units * share, ibis.literal(0.0)),
        _cost=j.cost * share,
    )
    # exact sums: a parallel float sum would change its last digits from run to run
    agg = j.group_by(["row_id", "window", *keys]).aggregate(
        events=exact_sum(j._events), units=exact_sum(j._units), cost=exact_sum(j._cost)
    )
    amounts = engine.to_pandas(agg.order_by(["row_id", "window", *keys]))
    person_time = engine.to_pandas(
        obs.select("row_id", "window", "days").order_by(["row_id", "window"])
    )
    engine.drop(name)
    for col in ("events", "units", "cost"):
        amounts[col] = amounts[col].astype("float64")
    person_time["days"] = person_time["days"].astype("float64")
    return amounts, person_time
