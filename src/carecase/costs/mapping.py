"""Default map from service catalogue codes (carecase.core.services) to unit-cost codes and
costing bases. ``costs.service_costs`` / ``costs.service_basis`` override it per project.

Bases (units per event; ``days`` = ``max(end - start, 1)``, ``q`` = ``coalesce(quantity, 1)``):

========== ================================ ============================================
basis      units                            used for
========== ================================ ============================================
per_unit   q (point/count); 1 (spell/package) attendances, arrests, applications
per_episode 1                               an admission costed per spell
per_day    days × q (package) / days (spell) bed days, nights
per_week   days / 7 × q (package) / days/7   residential placements (q = 1 a week)
per_hour   days / 7 × q                     home care (q = hours a week)
per_month  days × 12 / 365 × q              monthly unit costs
per_year   days / 365 × q                   annual unit costs (a non-leap year costs 1 year)
========== ================================ ============================================

per_unit on a spell or package counts the stay once, so it is accepted only against a unit
cost that prices an event (:func:`basis_mismatches`).

A service the project declares (``services:`` in carecase.yaml) has no default: it must be in
``costs.service_costs``; its basis is ``costs.service_basis`` or ``default_basis``, from its
kind and unit: per_unit for a point or count service; for a spell or package, the basis its
unit names (day, bed day or night: per_day; week: per_week; hour: per_hour; month:
per_month; year: per_year), else per_episode (one cost per spell, e.g. a unit of 'stay').

Acute admissions are costed per episode because the GMCA Unit Cost Database v1.4 has no
acute bed-day cost; add one as a local override and set ``service_basis`` to ``per_day``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from carecase.core.errors import ConfigError
from carecase.core.services import (
    BY_CODE,
    TIME_UNITS,
    Catalogue,
    Service,
    canonical_unit,
    unknown_service,
)


@dataclass(frozen=True)
class ServiceCost:
    service_code: str
    unit_cost_code: str
    basis: str
    note: str = ""


DEFAULT_MAP: tuple[ServiceCost, ...] = (
    ServiceCost("AE_ATTEND", "HE4.0", "per_unit", "A&E attendance, all scenarios"),
    ServiceCost("NEL_ADMIT", "HE7.0.2", "per_episode", "non-elective inpatient episode"),
    ServiceCost("EL_ADMIT", "HE7.0.1", "per_episode", "elective inpatient episode"),
    ServiceCost("MH_INPATIENT", "HE14.0.1", "per_day", "adult mental health bed day"),
    ServiceCost("GP_APPT", "HE20.2", "per_unit", "GP face-to-face consultation"),
    ServiceCost("AMBULANCE", "HE3.0.2", "per_unit", "see, treat and convey"),
    ServiceCost("ASC_HOMECARE", "SS11.2", "per_hour", "home care hour (2/3 fiscal, 1/3 economic)"),
    ServiceCost("ASC_RESIDENTIAL", "SS7.0", "per_week", "residential care week (2/3 fiscal, 1/3 economic)"),
    ServiceCost("HOU_HOMELESS_APP", "HO3.0.2", "per_unit",
                "decision on an application only: temporary accommodation is costed by its own events"),
    ServiceCost("HOU_TEMP_ACCOM", "HO4.0N", "per_day", "temporary accommodation night (hostel week ÷ 7)"),
    ServiceCost("POL_CUSTODY", "CR7.0", "per_unit", "arrest, detained"),
    ServiceCost("DA_TREATMENT", "HE2.2", "per_year", "structured community drug treatment, annual"),
)


#: A spell or package service's unit → the basis that prices it (others: per_episode).
UNIT_BASIS: dict[str, str] = {
    "day": "per_day", "bed day": "per_day", "night": "per_day", "bed night": "per_day",
    "week": "per_week", "hour": "per_hour", "month": "per_month", "year": "per_year",
}
assert set(UNIT_BASIS) == set(TIME_UNITS)


#: What one unit of activity is under each costing basis (``units`` of costed_events). A
#: service's own unit (the catalogue's) names it only for a point or count costed per unit and
#: for a day-type unit costed per day: a non-elective admission costed per episode counts
#: episodes, not the catalogue's bed days; drug treatment costed per year counts years.
BASIS_ACTIVITY_UNIT: dict[str, str] = {
    "per_episode": "episode", "per_day": "day", "per_week": "week", "per_hour": "hour",
    "per_month": "month", "per_year": "year",
}


def activity_unit(basis: str, svc: Service | None) -> str:
    """The unit (singular) in which an event costed on ``basis`` counts its activity: a point
    or count service's own unit per_unit (an attendance, an appointment); a spell or package
    per_unit counts 1 an event (an episode); per_day the service's own day-type unit (bed
    day, night) or day; the other bases their time unit (week, hour, month, year) or episode."""
    ranged = svc is not None and svc.kind in ("spell", "package")
    if basis == "per_unit":
        return "episode" if ranged or svc is None else canonical_unit(svc.unit)
    if basis == "per_day" and svc is not None and UNIT_BASIS.get(canonical_unit(svc.unit)) == "per_day":
        return canonical_unit(svc.unit)
    return BASIS_ACTIVITY_UNIT.get(basis, basis)


def default_basis(svc: Service) -> str:
    """The costing basis of a declared service that ``costs.service_basis`` leaves out."""
    if svc.kind in ("point", "count"):
        return "per_unit"
    return UNIT_BASIS.get(canonical_unit(svc.unit), "per_episode")


def service_map(service_costs: Mapping[str, str] | None = None,
                service_basis: Mapping[str, str] | None = None,
                services: Catalogue = BY_CODE) -> list[ServiceCost]:
    """The default map with a project's overrides applied, for the project's catalogue
    ``services`` (``catalogue(config)``): unknown service codes are errors, and so is a
    declared service with no ``costs.service_costs`` entry."""
    by = {m.service_code: m for m in DEFAULT_MAP}
    for key, mapping in (("service_costs", service_costs or {}), ("service_basis", service_basis or {})):
        for svc in mapping:
            if svc not in services:
                raise ConfigError(unknown_service(svc, services, f"costs.{key}"))
    for svc in services:
        if svc not in by and svc not in (service_costs or {}):
            raise ConfigError(
                f"costs.service_costs: the declared service {svc!r} has no unit cost; map it to a "
                f"unit-cost code from the library or costs.overrides, e.g. service_costs: {{{svc}: <unit-cost code>}}.")
    for svc, code in (service_costs or {}).items():
        old = by.get(svc)
        basis = (service_basis or {}).get(svc) or (old.basis if old else default_basis(services[svc]))
        note = "project override" if old else "declared service"
        by[svc] = ServiceCost(svc, code, basis, note)
    for svc, basis in (service_basis or {}).items():
        if svc not in (service_costs or {}) and svc in by:
            by[svc] = ServiceCost(svc, by[svc].unit_cost_code, basis, "project basis override")
    return [by[k] for k in sorted(by)]


#: The time a unit cost's ``unit`` text prices (its last time word: 'Per claimant per year' is
#: a year), and the basis that counts it. A unit with no time word ('Per incident', 'Per
#: episode') prices an event: per_unit or per_episode.
_UNIT_TIME = {"hour": "per_hour", "day": "per_day", "night": "per_day", "week": "per_week",
              "month": "per_month", "year": "per_year", "annum": "per_year"}
EVENT_BASES = ("per_unit", "per_episode")


def priced_basis(unit_text: str) -> str | None:
    """The basis a unit cost's ``unit`` ('Per week', 'Per bed day', 'Per person per year')
    prices by, 'event' for a unit with no time word ('Per incident'), None for no text."""
    words = "".join(c if c.isalpha() else " " for c in unit_text.lower()).split()
    if not words:
        return None
    times = [_UNIT_TIME[w.rstrip("s")] for w in words if w.rstrip("s") in _UNIT_TIME]
    return times[-1] if times else "event"


def basis_mismatches(rows: list[tuple[str, str, str, str]], ranged: Collection[str] = ()) -> list[str]:
    """Services whose costing basis counts another time than their unit cost prices, each as a
    sentence with the fix. ``rows``: (service_code, basis, unit_cost_code, the unit cost's
    ``unit`` text); ``ranged``: the services whose rows are spells or packages. A week's price
    counted per day would cost each day as a week (7 times too much); an annual price counted
    per episode would cost each episode as a year. per_unit on a point or count is never
    refused: a count's quantity is in whatever unit its price is (weeks of support at a weekly
    cost); on a spell or package it counts the stay once, as per_episode does, so it is refused
    against a time price (a year's residential placement was costed as one week)."""
    out = []
    for service, basis, code, unit in rows:
        priced = priced_basis(unit)
        per_unit_ok = basis == "per_unit" and (service not in ranged or priced == "event")
        if priced is None or basis == priced or per_unit_ok or (priced == "event" and basis in EVENT_BASES):
            continue
        want = "per_unit or per_episode" if priced == "event" else priced
        out.append(f"{service}: costed {basis}, but its unit cost {code} is {unit.strip()!r}, so each "
                   f"{BASIS_ACTIVITY_UNIT.get(basis, 'unit')} would be priced as that. Set "
                   f"costs.service_basis.{service} to {want}, or map it (costs.service_costs or "
                   f"costs.overrides) to a unit cost priced {basis.replace('_', ' ')} (a local cost's unit "
                   "text in costs.overrides is read the same way: correct it if it is wrong).")
    return out
