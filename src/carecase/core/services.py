"""The carecase service catalogue: the codes every agency extract is mapped onto.

A source's mapping (carecase.yaml, ``sources[].event.service``) turns each agency's own
activity codes into these. The catalogue says who provides the service (agency levels 1
and 2), which area of need it serves, what a row means (``kind``) and the natural unit.
Costing (carecase.costs) maps each service to a unit cost and a costing basis.

Kinds:
- ``point``: one event on one date (an attendance); quantity = number of events (default 1).
- ``spell``: start and end dates; bed days / nights = days between (discharge day excluded).
- ``package``: start and end dates with an intensity per week (hours per week, or 1 placement).
- ``count``: a count of units on one date, or over the week or calendar month its source
  says each count covers (``event.covers``: 6 GP appointments in a month, spread over it).

The twelve services below are built in. A project adds its own (outpatient appointments,
community nursing, probation...) under ``services:`` in carecase.yaml (``DeclaredService``);
``catalogue(config)`` is then the project's catalogue, built-ins and declared together, and
every stage takes its services from there, never from the module constants (which are the
built-ins alone, for synthetic data and for code that has no project).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator

from carecase.core.model import StrictModel

if TYPE_CHECKING:
    from carecase.core.config import CarecaseConfig

Kind = Literal["point", "spell", "package", "count"]
KINDS: tuple[str, ...] = ("point", "spell", "package", "count")
#: A service code: upper-case letters, digits and underscores, starting with a letter.
CODE_PATTERN = r"^[A-Z][A-Z0-9_]*$"


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

#: A catalogue: service code → Service, read-only (a project's is ``catalogue(config)``).
Catalogue = Mapping[str, Service]

#: The built-in services alone (synthetic data; code with no project).
BY_CODE: Catalogue = MappingProxyType({s.code: s for s in SERVICES})
SERVICE_CODES: tuple[str, ...] = tuple(s.code for s in SERVICES)
AREAS_OF_NEED: tuple[str, ...] = tuple(dict.fromkeys(s.area_of_need for s in SERVICES))


def folded(text: str) -> str:
    """Text as the eye reads it: case, spacing and punctuation aside ('Mental  Health.')."""
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


class DeclaredService(StrictModel):
    """A service the project adds to the built-in catalogue (``services:`` in carecase.yaml):
    an activity no built-in code covers, such as outpatient appointments, community nursing
    or probation supervision. Map extract codes to it in ``ingest.sources[].event.service``
    and cost it in ``costs.service_costs`` (required) and ``costs.service_basis``."""

    code: str = Field(
        pattern=CODE_PATTERN, max_length=40,
        description="The new service code, e.g. OUTPATIENT_APPT: upper-case letters, digits and "
        "underscores, starting with a letter; not a built-in code.",
    )
    description: str = Field(min_length=1, description="What the service is, as reports show it.")
    agency_l1: str = Field(min_length=1, description="Providing agency, level 1 (e.g. NHS, Local Authority, Police).")
    agency_l2: str = Field(min_length=1, description="Providing agency, level 2 (e.g. Acute Trust, Probation Service).")
    area_of_need: str = Field(
        min_length=1,
        description="Area of need the audit groups it under; use a built-in one where it fits "
        f"({', '.join(AREAS_OF_NEED)}), spelt the same way.",
    )
    kind: Kind = Field(
        description="What a row means: point (one event on a date), spell (start and end: days "
        "between), package (start and end with an intensity a week) or count (units on a date).",
    )
    unit: str = Field(
        min_length=1,
        description="The natural unit (attendance, appointment, bed day, night, hour, week...); "
        "sets the default costing basis and the plausible maximum quantity.",
    )

    @field_validator("description", "agency_l1", "agency_l2", "area_of_need", "unit")
    @classmethod
    def _stripped(cls, v: str) -> str:
        v = " ".join(v.split())
        if not v:
            raise ValueError("must not be blank")
        return v

    @field_validator("unit")
    @classmethod
    def _canonical_unit(cls, v: str) -> str:
        """One spelling for every stage: ingest compared 'hours' with 'hour' exactly (so a home
        care package counted 1 hour a week, quantity not required) while costs read it as
        hours (a code review)."""
        return canonical_unit(v)

    @field_validator("code")
    @classmethod
    def _not_built_in(cls, v: str) -> str:
        if v in BY_CODE:
            raise ValueError(
                f"{v} is a built-in service code; a declared service needs a code of its own "
                f"(built-in: {', '.join(SERVICE_CODES)}). To cost a built-in service differently, "
                "use costs.service_costs / costs.service_basis instead"
            )
        return v

    def service(self) -> Service:
        return Service(self.code, self.description, self.agency_l1, self.agency_l2,
                       self.area_of_need, self.kind, self.unit)


#: units a spell or package is counted in by time, and so priced by (costs.mapping.UNIT_BASIS)
TIME_UNITS: tuple[str, ...] = ("day", "bed day", "night", "bed night", "week", "hour", "month", "year")


def canonical_unit(unit: str) -> str:
    """A unit in one spelling: lower case, single spaces, singular ('Hours' → 'hour',
    'bed days' → 'bed day'); a unit carecase does not know is kept as written, lower case."""
    u = " ".join(unit.lower().split())
    known = {*TIME_UNITS, *(s.unit for s in SERVICES)}
    if u not in known and u.endswith("s") and u[:-1] in known:
        return u[:-1]
    return u


def check_declared(declared: list[DeclaredService]) -> list[DeclaredService]:
    """Declared services side by side: codes unique; an area of need (or agency) that differs
    from another only in case, spacing or punctuation is refused, since the audit groups by
    the exact text and would show two rows for one area."""
    seen: dict[str, int] = {}
    for i, d in enumerate(declared):
        if d.code in seen:
            raise ValueError(f"services[{i}].code {d.code} is declared twice (also services[{seen[d.code]}]); "
                             "declare each service once")
        seen[d.code] = i
    for field, label, known in (("area_of_need", "area of need", AREAS_OF_NEED),
                                ("agency_l1", "agency", tuple(dict.fromkeys(s.agency_l1 for s in SERVICES)))):
        spelt: dict[str, str] = {folded(k): k for k in known}
        for i, d in enumerate(declared):
            value = getattr(d, field)
            first = spelt.setdefault(folded(value), value)
            if first != value:
                raise ValueError(
                    f"services[{i}].{field} {value!r} differs from the {label} {first!r} only in "
                    f"case, spacing or punctuation; the audit groups by the exact text, so write "
                    f"{first!r} (or a clearly different name for a new {label})")
    return declared


def catalogue(config: CarecaseConfig | None = None) -> Catalogue:
    """The project's service catalogue: the built-ins, then the services ``config`` declares
    (``services:``), read-only. With no config, the built-ins alone."""
    declared = config.services if config is not None else []
    if not declared:
        return BY_CODE
    return MappingProxyType({**BY_CODE, **{d.code: d.service() for d in declared}})


def unknown_service(code: str, services: Catalogue, key: str) -> str:
    """'KEY: unknown service code 'X'. Did you mean …? Allowed: …' and how to add one."""
    import difflib

    hint = difflib.get_close_matches(code, list(services), n=1)
    extra = f" Did you mean {hint[0]!r}?" if hint else ""
    return (f"{key}: unknown service code {code!r}.{extra} Allowed: {', '.join(services)}. "
            "For an activity no code covers, declare a service under services: in carecase.yaml "
            "(code, description, agency_l1, agency_l2, area_of_need, kind, unit) and cost it "
            "in costs.service_costs.")


def service(code: str, services: Catalogue = BY_CODE) -> Service:
    from carecase.core.errors import ConfigError

    try:
        return services[code]
    except KeyError:
        raise ConfigError(unknown_service(code, services, "service")) from None
