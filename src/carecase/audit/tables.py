"""The audit's tables, as Ibis expressions over the person × month table
(:func:`carecase.audit.periods.person_month`) and the ``people`` / ``programme`` tables."""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from carecase.audit.concentration import period_weeks
from carecase.audit.periods import (
    GROUP_COLUMNS,
    label_periods,
    person_month,
)
from carecase.core.dates import days_between, registered_span
from carecase.core.exact import exact_sum

MONEY = ("cost", "fiscal_cost", "economic_cost")


def _sums(t: ir.Table) -> dict[str, ir.Value]:
    return {c: exact_sum(t[c]) for c in MONEY}


def cost_by_person_period(pm: ir.Table, grain: str) -> ir.Table:
    t = label_periods(pm, grain)
    keys = ["person_id", "period_index", "period", "period_start", *GROUP_COLUMNS[1:]]
    return t.group_by(keys).aggregate(**_sums(t), activity=exact_sum(t.activity)).mutate(
        grain=ibis.literal(grain)
    )


def cost_by(pm: ir.Table, keys: list[str], activity: bool = True) -> ir.Table:
    """Totals by ``keys`` with distinct people and share of all cost (0 for every group when
    nothing in the window has a cost, as in :func:`~carecase.audit.concentration.top_share`,
    rather than 0 / 0). ``activity`` (the sum of each event's units) only where every group
    is one service: across services it adds bed days to hours and attendances."""
    total = exact_sum(pm.cost).as_scalar()
    extra = {"activity": exact_sum(pm.activity)} if activity else {}
    return pm.group_by(keys).aggregate(
        **_sums(pm), **extra, people=pm.person_id.nunique()
    ).mutate(share_of_cost=lambda t: ibis.ifelse(total > 0, t.cost / total, 0.0))


#: The columns :func:`with_largest_people` adds: the costs of the two people who cost most in
#: a group (0 where it has fewer), for the report's dominance rule. Person-level figures:
#: never shown, in the internal report or the shared one.
LARGEST = ("largest_person_cost", "second_person_cost")


def person_line_totals(pm: ir.Table) -> ir.Table:
    """Each person's cost per agency × service × area of need over the whole window: the
    input :func:`largest_people` needs for those keys, far smaller than the month table."""
    return pm.group_by(GROUP_COLUMNS).aggregate(cost=exact_sum(pm.cost))


def largest_people(t: ir.Table, keys: list[str]) -> ir.Table:
    """The two largest per-person costs (``cost``) in each group of ``keys`` of ``t`` (a
    table with ``person_id`` and ``cost``): columns ``keys`` and :data:`LARGEST`. Ties are
    broken by person_id, so the figures do not depend on row order."""
    pp = t.group_by([*keys, "person_id"]).aggregate(c=exact_sum(t.cost))
    ranked = pp.mutate(_r=ibis.row_number().over(group_by=[pp[k] for k in keys],
                                                 order_by=[ibis.desc(pp.c), pp.person_id]))
    top = ranked.filter(ranked._r < 2)
    return top.group_by(keys).aggregate(**{
        LARGEST[0]: top.c.max(where=top._r == 0).coalesce(0.0),
        LARGEST[1]: top.c.max(where=top._r == 1).coalesce(0.0),
    })


def with_largest_people(agg: ir.Table, t: ir.Table, keys: list[str]) -> ir.Table:
    """``agg`` (one row per group of ``keys``, made from ``t``) with :data:`LARGEST` joined
    on (null keys match null keys)."""
    big = largest_people(t, keys)
    big = big.select(**{f"_k_{k}": big[k] for k in keys}, **{c: big[c] for c in LARGEST})
    j = agg.left_join(big, [agg[k].identical_to(big[f"_k_{k}"]) for k in keys])
    return j.select(*agg.columns, *[j[c].coalesce(0.0).name(c) for c in LARGEST])


def cost_by_year_agency(pm: ir.Table, largest: bool = False) -> ir.Table:
    t = label_periods(pm, "year")
    keys = ["period_index", "period", "agency_l1", "agency_l2"]
    out = t.group_by(keys).aggregate(**_sums(t), people=t.person_id.nunique())
    if largest:
        out = with_largest_people(out, t, keys)
    return out.rename(financial_year="period_index", year_label="period")


def person_totals(pm: ir.Table) -> ir.Table:
    return pm.group_by("person_id").aggregate(**_sums(pm))


def top_n(costed: ir.Table, n: int, start: dt.date, end: dt.date,
          value_types: tuple[str, ...] = ("fiscal", "economic")) -> ir.Table:
    """The ``n`` most costly people over ``[start, end)``; cost per week at 52 weeks a year.

    Columns: rank, person_id, cost, fiscal_cost, economic_cost, cost_per_week, weeks.
    Ties are broken by person_id.
    """
    pm = person_month(costed, start, end, list(value_types))
    return top_n_from(person_totals(pm), n, start, end)


def top_n_from(totals: ir.Table, n: int, start: dt.date, end: dt.date) -> ir.Table:
    weeks = period_weeks(start, end)
    ranked = totals.order_by([ibis.desc("cost"), "person_id"]).limit(n)
    ranked = ranked.mutate(
        rank=ibis.row_number().over(order_by=[ibis.desc(ranked.cost), ranked.person_id]) + 1
    )
    return ranked.mutate(cost_per_week=ranked.cost / weeks, weeks=ibis.literal(weeks)).select(
        "rank", "person_id", *MONEY, "cost_per_week", "weeks"
    )


def observed_days(population: ir.Table, people: ir.Table | None, start: dt.date,
                  end: dt.date) -> ir.Table:
    """Each person's days in the audit window ``[start, end)`` cut to their registration
    (``registered_from`` to ``registered_to``, inclusive) and death (``date_of_death``, the
    last day counted) where ``people`` records them; a person it does not date (or without a
    ``people`` table) counts the whole window. Columns: person_id, days (≥ 0)."""
    ids = population.select("person_id").distinct()
    whole = days_between(ibis.literal(start), ibis.literal(end))
    cols = {"registered_from", "registered_to", "date_of_death"}
    if people is None or not cols <= set(people.columns):
        return ids.mutate(days=whole)
    p = people.group_by(pid=people.person_id).aggregate(  # one row a person, on any engine
        reg_from=people.registered_from.cast("date").min(),
        reg_to=people.registered_to.cast("date").max(),
        death=people.date_of_death.cast("date").min(),
    )
    j = ids.left_join(p, ids.person_id == p.pid)
    lo, hi = registered_span(ibis.literal(start), ibis.literal(end), j.reg_from, j.reg_to, j.death)
    d = days_between(lo, hi)
    return j.select(j.person_id, days=ibis.ifelse(d > 0, d, 0))


def cohort_vs_population(totals: ir.Table, population: ir.Table, cohort: ir.Table,
                         years: float, observed: ir.Table | None = None, largest: bool = False) -> ir.Table:
    """Cohort (people in the programme) against the rest of the population and everyone.

    ``population``: one row per person_id (zero-cost people count in the denominators).
    ``cost_per_person_year`` is cost ÷ people ÷ ``years`` (the window's): every person counts
    for the whole window. ``observed`` (from :func:`observed_days`) adds person-time:
    ``person_years`` (observed days ÷ 365.25) and ``cost_per_observed_person_year`` (cost ÷
    person_years), which does not dilute the rate of people who died, moved away or arrived
    during the window. All of a person's cost in the window counts, including any outside
    their registration. With ``largest``, each group's two costliest people's cost
    (:data:`LARGEST`, for the report's dominance rule).
    """
    flagged = population.select("person_id").distinct()
    c = cohort.select("person_id").distinct().mutate(_in=ibis.literal(True))
    flagged = flagged.left_join(c, "person_id").select(flagged.person_id, c._in)
    j = flagged.left_join(totals, "person_id").select(
        flagged.person_id, in_cohort=flagged._in.coalesce(False),
        **{m: totals[m].coalesce(0.0) for m in MONEY},
    )
    if observed is not None:
        j = j.left_join(observed, "person_id").select(j, days=observed.days.coalesce(0))
    j = j.mutate(group=ibis.ifelse(j.in_cohort, "cohort", "rest of population"))

    def agg(t: ir.Table) -> dict[str, ir.Value]:
        extra = {"person_days": t.days.sum()} if observed is not None else {}
        return dict(people=t.count(), people_with_cost=(t.cost > 0).cast("int64").sum(), **_sums(t),
                    **extra)

    by_group = j.group_by("group").aggregate(**agg(j))
    everyone = j.aggregate(**agg(j)).mutate(group=ibis.literal("all")).select(*by_group.columns)
    out = by_group.union(everyone)
    out = out.mutate(
        cost_per_person=out.cost / out.people,
        cost_per_person_year=out.cost / out.people / years,
    )
    if largest:
        people = j.select("person_id", "group", "cost")
        big = largest_people(people, ["group"]).union(
            largest_people(people.mutate(group=ibis.literal("all")), ["group"]))
        out = out.left_join(big, "group").select(
            out, *[big[c].coalesce(0.0).name(c) for c in LARGEST])
    if observed is None:
        return out
    py = out.person_days.cast("float64") / 365.25
    return out.mutate(
        person_years=py,
        cost_per_observed_person_year=ibis.ifelse(py > 0, out.cost / py, ibis.null("float64")),
    ).drop("person_days")


def locality_demand(pm: ir.Table, people: ir.Table, largest: bool = False) -> ir.Table:
    """People in residential placements and temporary accommodation, and their cost, by
    locality; with ``largest``, the two largest people's cost in each (:data:`LARGEST`)."""
    groups = {"ASC_RESIDENTIAL": "residential care", "HOU_TEMP_ACCOM": "temporary accommodation"}
    t = pm.filter(pm.service_code.isin(list(groups)))
    t = t.mutate(demand=t.service_code.cases(*groups.items(), else_="other"))
    p = people.select("person_id", "locality")
    j = t.left_join(p, "person_id").select(t, locality=p.locality.coalesce("Unknown"))
    out = j.group_by(["locality", "demand"]).aggregate(
        people=j.person_id.nunique(), **_sums(j), activity=exact_sum(j.activity)
    )
    out = out.mutate(cost_per_person=out.cost / out.people)
    return with_largest_people(out, j, ["locality", "demand"]) if largest else out
