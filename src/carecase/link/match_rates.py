"""Match rates by source and group: is linkage error spread evenly?

Linkage error that differs between groups biases an evaluation built on the linked data
(Bohensky et al. 2010; Harron et al. 2017, *Big Data & Society*). So besides records by
method per source, the link stage counts, for every source and every level of each group,
the records, those linked to a person (on the register, or off it: method ``unregistered``),
and the methods that linked them
(``out/link/match_rates``). Groups are read from each record's own details, not from the
person it linked to (which an unlinked record has not got):

- ``age_band``: age from the record's own date of birth at the record's own date (an event's
  start date) or, for a record with no date of its own (register and lookup records), at the
  project's ``period_start``; bands :data:`AGE_BANDS`; ``not known`` without a usable date of
  birth (missing, or after the date).
- ``sex``: the record's sex, ``M`` or ``F``; ``not known`` for ``U`` or none.
- ``deprivation_decile``: the project has no postcode → decile lookup, and only the
  population register carries deprivation (of each registered person). So a record's decile
  is that of its own postcode where every register record at that postcode has the same
  decile (an IMD decile is a property of the small area a postcode lies in); ``not known``
  for a postcode the register does not hold, holds with different deciles, or no postcode.
  Records whose postcode is not on the register are likelier to be people the register does
  not know, so ``not known`` links less often by construction.

Every group's levels add up to the source's ``all`` row. A level is *flagged* when its match
rate is more than :data:`GAP` below its source's overall rate and it has at least
:data:`MIN_RECORDS` records (below that a 5-point gap is within sampling noise: the standard
error of a 90% rate over 30 records is 5.5 points).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis
import ibis.expr.types as ir

#: (label, lowest age) of each age band; the last is open-ended.
AGE_BANDS = (("0-17", 0), ("18-24", 18), ("25-34", 25), ("35-44", 35), ("45-54", 45),
             ("55-64", 55), ("65-74", 65), ("75+", 75))
GROUPS = ("all", "age_band", "sex", "deprivation_decile")
METHODS = ("nhs_number", "lookup", "probabilistic", "clerical", "unregistered", "unlinked")
NOT_KNOWN = "not known"
#: A level is flagged when its match rate is more than this below its source's.
GAP = 0.05
#: ... and it has at least this many records.
MIN_RECORDS = 30
SORT_KEYS = ["source", "group", "level"]


def _age(dob: ir.DateValue, on: ir.DateValue) -> ir.IntegerValue:
    before_birthday = (on.month() < dob.month()) | ((on.month() == dob.month()) & (on.day() < dob.day()))
    return on.year() - dob.year() - before_birthday.cast("int64")


def _age_band(age: ir.IntegerValue) -> ir.StringValue:
    cases = [(age >= low, label) for label, low in reversed(AGE_BANDS)]
    return ibis.cases(*cases, else_=NOT_KNOWN)


def _record_dates(events: ir.Table | None) -> ir.Table | None:
    if events is None:
        return None
    g = events.group_by("record_id").aggregate(e_date=events.start_date.min())
    return g.select(e_rid=g.record_id, e_date=g.e_date)


def postcode_deciles(identity: ir.Table, population: ir.Table | None) -> ir.Table | None:
    """(pc, pc_decile): each postcode the population register holds with one decile only."""
    if population is None:
        return None
    pop = population.filter(population.deprivation_decile.notnull())
    pop = pop.select(p_rid=pop.record_id, decile=pop.deprivation_decile)
    ident = identity.filter(identity.postcode.notnull()).select("record_id", "postcode")
    j = ident.inner_join(pop, ident.record_id == pop.p_rid)
    g = j.group_by("postcode").aggregate(lo=j.decile.min(), hi=j.decile.max())
    g = g.filter(g.lo == g.hi)
    return g.select(pc=g.postcode, pc_decile=g.lo.cast("int64"))


def record_groups(links: ir.Table, identity: ir.Table, events: ir.Table | None,
                  population: ir.Table | None, period_start: dt.date) -> ir.Table:
    """(record_id, source, method, age_band, sex, deprivation_decile) — one row per record."""
    ident = identity.select("record_id", "source", "dob", "sex", "postcode")
    t = links.select("record_id", "method").inner_join(ident, "record_id")
    dates = _record_dates(events)
    if dates is not None:
        t = t.left_join(dates, t.record_id == dates.e_rid)
        on = t.e_date.fill_null(ibis.date(period_start))
    else:
        on = ibis.date(period_start)
    t = t.mutate(_age=ibis.ifelse(t.dob.notnull() & (t.dob <= on), _age(t.dob, on), ibis.null("int64")))
    deciles = postcode_deciles(identity, population)
    if deciles is not None:
        t = t.left_join(deciles, t.postcode == deciles.pc)
        decile = t.pc_decile.cast("string").fill_null(NOT_KNOWN)
    else:
        decile = ibis.literal(NOT_KNOWN)
    return t.select(
        "record_id", "source", "method",
        age_band=_age_band(t._age),
        sex=ibis.ifelse(t.sex.isin(["M", "F"]), t.sex, ibis.literal(NOT_KNOWN)),
        deprivation_decile=decile,
    )


def match_rates(groups: ir.Table) -> ir.Table:
    """(source, group, level, records, linked, unlinked, linked_share, <method>...) over the
    records of :func:`record_groups`, one row per source × group × level."""
    parts = []
    for group in GROUPS:
        level = ibis.literal("all") if group == "all" else groups[group]
        t = groups.mutate(group=ibis.literal(group), level=level)
        parts.append(t.select("source", "group", "level", "method"))
    long = ibis.union(*parts)
    counts = {m: (long.method == m).cast("int64").sum() for m in METHODS}
    g = long.group_by(["source", "group", "level"]).aggregate(records=long.count(), **counts)
    linked = g.records - g.unlinked
    return g.select(
        "source", "group", "level", records=g.records.cast("int64"), linked=linked.cast("int64"),
        unlinked=g.unlinked.cast("int64"), linked_share=linked.cast("float64") / g.records,
        **{m: g[m].cast("int64") for m in METHODS if m != "unlinked"},
    ).order_by(SORT_KEYS)


def gaps(rows: list[dict[str, Any]], gap: float = GAP, min_records: int = MIN_RECORDS) -> list[dict[str, Any]]:
    """The levels (rows of :func:`match_rates`) whose share linked is more than ``gap`` below
    their source's ``all`` row, with at least ``min_records`` records."""
    overall = {r["source"]: r["linked_share"] for r in rows if r["group"] == "all"}
    out = []
    for r in rows:
        base = overall.get(r["source"])
        if r["group"] == "all" or base is None or r["records"] < min_records:
            continue
        if base - r["linked_share"] > gap:
            out.append({"source": r["source"], "group": r["group"], "level": r["level"],
                        "records": r["records"], "linked_share": r["linked_share"],
                        "source_linked_share": base, "gap": base - r["linked_share"]})
    return out
