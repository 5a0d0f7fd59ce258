"""The carecase service catalogue: the codes every agency extract is mapped onto.

A source's mapping (carecase.yaml, ``sources[].event.service``) turns each agency's own
activity codes into these. The catalogue says who provides the service (agency levels 1
and 2), which area of need it serves, what a row means (``kind``) and the natural unit.
Costing (carecase.costs) maps each service to a unit cost and a costing basis.

Kinds:
- ``point``: one event on one date (an attendance); quantity = number of events (default 1).
- ``spell``: start and end dates; bed days / nights = days between (discharge day excluded).
- ``package``: start and end dates with an intensity per week (hours per week, or 1 placement).
- ``count``: a count of units on one date (e.g. 6 GP appointments in a month).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["point", "spell", "package", "count"]


@dataclass(frozen=True)
class Service:
    code: str
    description: str
    agency_l1: str
    agency_l2: str
    area_of_need: str
    kind: Kind
    unit: str


SERVICES: tuple[Service, ...] = (
    Service("AE_ATTEND", "A&E attendance", "NHS", "Acute Trust", "Physical health", "point", "attendance"),
    Service("NEL_ADMIT", "Non-elective inpatient admission", "NHS", "Acute Trust", "Physical health", "spell", "bed day"),
    Service("EL_ADMIT", "Elective inpatient admission", "NHS", "Acute Trust", "Physical health", "spell", "bed day"),
    Service("MH_INPATIENT", "Mental health inpatient stay", "NHS", "Mental Health Trust", "Mental health", "spell", "bed day"),
    Service("GP_APPT", "GP appointment", "NHS", "Primary Care", "Physical health", "point", "appointment"),
    Service("AMBULANCE", "Ambulance incident (see and convey)", "NHS", "Ambulance Trust", "Physical health", "point", "incident"),
    Service("ASC_HOMECARE", "Home care package", "Local Authority", "Adult Social Care", "Social care", "package", "hour"),
    Service("ASC_RESIDENTIAL", "Residential care placement", "Local Authority", "Adult Social Care", "Social care", "package", "week"),
    Service("HOU_HOMELESS_APP", "Homelessness application", "Local Authority", "Housing", "Housing", "point", "application"),
    Service("HOU_TEMP_ACCOM", "Temporary accommodation placement", "Local Authority", "Housing", "Housing", "spell", "night"),
    Service("POL_CUSTODY", "Police arrest and custody", "Police", "Police", "Crime and justice", "point", "arrest"),
    Service("DA_TREATMENT", "Drug and alcohol community treatment", "Local Authority", "Public Health", "Substance misuse", "spell", "week"),
)

BY_CODE: dict[str, Service] = {s.code: s for s in SERVICES}
SERVICE_CODES: tuple[str, ...] = tuple(s.code for s in SERVICES)


def service(code: str) -> Service:
    from carecase.core.errors import ConfigError

    try:
        return BY_CODE[code]
    except KeyError:
        import difflib

        hint = difflib.get_close_matches(code, SERVICE_CODES, n=1)
        extra = f" Did you mean {hint[0]!r}?" if hint else ""
        raise ConfigError(
            f"Unknown service code {code!r}.{extra} Allowed: {', '.join(SERVICE_CODES)}."
        ) from None
