"""Stays of one service that overlap for one person: a data-quality check of the costed events.

Two spells or packages of the same service for the same person on the same days (three
mental-health wards at once, two temporary-accommodation placements) are each costed in
full, so a person can cost more days than the calendar has. It happens in real extracts (a
transfer recorded as a new stay, a re-sent row under a new record ID, a placement not closed
when the next one opened) and in the synthetic area; carecase costs what the extracts say and
reports it, so that the analyst can correct the source or read the totals knowing it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis

from carecase.core.dates import days_between
from carecase.core.engine import Engine
from carecase.core.exact import exact_sum


def overlapping_stays(engine: Engine, events: Any, ongoing_to: dt.date) -> dict[str, Any]:
    """People, pairs of stays and days counted more than once (summed over pairs, so three
    stays on one day count that day three times) among spells and packages of one service
    for one person, an open-ended one running to ``ongoing_to`` (the day after the period,
    as it is costed); ``by_service`` breaks the days down."""
    stays = events.filter(events.kind.isin(["spell", "package"]))
    cols = set(stays.columns)
    if {"source", "batch_id", "source_row"} <= cols:  # link's events: the staged row is the key
        row_id = stays.source + ":" + stays.batch_id + ":" + stays.source_row.cast("string")
    else:  # events written by other means: a row number in a stable order
        order = [stays[c] for c in ("person_id", "service_code", "start_date", "end_date", "quantity") if c in cols]
        row_id = ibis.row_number().over(ibis.window(order_by=order)).cast("string")
    stays = stays.mutate(record_id=row_id)
    end = stays.end_date.cast("date").coalesce(ibis.literal(ongoing_to))
    a = stays.select(person_id=stays.person_id, service_code=stays.service_code, a_id=stays.record_id,
                     a_start=stays.start_date.cast("date"), a_end=end)
    b = stays.select(b_person=stays.person_id, b_service=stays.service_code, b_id=stays.record_id,
                     b_start=stays.start_date.cast("date"), b_end=end)
    j = a.join(b, [a.person_id == b.b_person, a.service_code == b.b_service, a.a_id < b.b_id,
                   a.a_start < b.b_end, b.b_start < a.a_end])
    days = days_between(ibis.greatest(j.a_start, j.b_start), ibis.least(j.a_end, j.b_end))
    # one row per service and person who has an overlap (few): the totals follow from them
    per = engine.to_pandas(j.group_by(["service_code", "person_id"]).aggregate(
        pairs=j.count(), days=exact_sum(days.cast("float64"))).order_by(["service_code", "person_id"]))
    by_service = {str(code): {"people": len(g), "pairs": int(g["pairs"].sum()), "days": float(g["days"].sum())}
                  for code, g in per.groupby("service_code", sort=True)}
    return {"people": int(per["person_id"].nunique()), "pairs": int(per["pairs"].sum()),
            "days": float(per["days"].sum()), "by_service": by_service}


def overlap_warning(found: dict[str, Any]) -> list[str]:
    if not found["pairs"]:
        return []
    worst = sorted(found["by_service"].items(), key=lambda kv: (-kv[1]["days"], kv[0]))[:3]
    which = ", ".join(f"{code} {v['days']:,.0f} days" for code, v in worst)
    return [f"{found['people']:,} people have overlapping stays of one service ({found['pairs']:,} pairs, "
            f"{found['days']:,.0f} days counted more than once: {which}); each stay is costed in full. Check "
            "the extracts for transfers recorded as new stays, re-sent rows or placements not closed "
            "(out/costs/summary.json, overlapping_stays)."]
