"""The inputs ingest reads, as one list of *feeds*: every event source, the population and
programme registers, each set of outcome readings and each lookup. A feed knows its name
(the ``source`` in every table and in ``record_id``), its configuration key path (for error
messages) and its columns."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from carecase.core.config import CarecaseConfig
from carecase.core.errors import IngestError
from carecase.core.services import BY_CODE, Catalogue, catalogue, unknown_service
from carecase.ingest.config import DateColumn, FileFormat, Identifiers
from carecase.ingest.dates import DateFormatError, format_pattern

Role = Literal["events", "population", "programme", "outcomes", "lookup"]


@dataclass(frozen=True)
class DateField:
    name: str  # role of the date, e.g. "start", "registered_to", "dob"
    column: str
    format: str | None
    key: str  # config key of the format, e.g. ingest.sources[0].event.start.format
    required: bool


@dataclass(frozen=True)
class Feed:
    role: Role
    name: str
    key: str
    path: str
    format: FileFormat
    ids: Identifiers | None
    spec: Any
    #: outcomes: (scale_min, scale_max) of the instrument in evaluation.instruments, and its key
    scale: tuple[float, float, str] | None = None
    #: outcomes: the instrument's assessment points (evaluation.instruments[].assessments);
    #: a row at any other point is quarantined (unknown_assessment)
    assessments: tuple[str, ...] | None = None
    #: the project's service catalogue (built-ins and ``services:``): kinds, units, limits
    services: Catalogue = field(default_factory=lambda: BY_CODE, compare=False, repr=False)

    def date_fields(self) -> list[DateField]:
        out: list[DateField] = []
        if self.ids is not None and self.ids.dob:
            out.append(DateField("dob", self.ids.dob, self.ids.dob_format, f"{self.key}.ids.dob_format", False))

        def add(name: str, col: DateColumn | None, required: bool) -> None:
            if col is not None:
                out.append(DateField(name, col.column, col.format, f"{self.key}.{name}.format", required))

        s = self.spec
        if self.role == "events":
            out.append(DateField("start", s.event.start.column, s.event.start.format, f"{self.key}.event.start.format", True))
            if s.event.kind in ("spell", "package") and s.event.end is not None:
                out.append(DateField("end", s.event.end.column, s.event.end.format, f"{self.key}.event.end.format", False))
        elif self.role == "population":
            add("registered_from", s.registered_from, False)
            add("registered_to", s.registered_to, False)
            add("date_of_death", s.date_of_death, False)
        elif self.role == "programme":
            add("start", s.start, True)
            add("end", s.end, False)
        elif self.role == "outcomes":
            add("date", s.date, True)
        return out

    def identifier_columns(self) -> set[str]:
        if self.role == "lookup":
            return {self.spec.local_id, self.spec.nhs_number}
        ids = self.ids
        assert ids is not None
        cols = [ids.nhs_number, ids.local_id, ids.full_name, ids.given_name, ids.family_name, ids.dob, ids.sex, ids.postcode]
        if self.role == "events":
            cols.append(self.spec.record_id)  # a record ID is withheld like a person's ID
        return {c for c in cols if c}

    def required_columns(self) -> list[tuple[str, str]]:
        """(column, config key naming it) for every column the mapping reads."""
        out: list[tuple[str, str]] = []
        if self.ids is not None:
            for f in ("nhs_number", "local_id", "full_name", "given_name", "family_name", "dob", "sex", "postcode"):
                col = getattr(self.ids, f)
                if col:
                    out.append((col, f"{self.key}.ids.{f}"))
        s = self.spec
        if self.role == "events":
            if s.record_id:
                out.append((s.record_id, f"{self.key}.record_id"))
            if s.event.service.column:
                out.append((s.event.service.column, f"{self.key}.event.service.column"))
            if s.event.quantity and s.event.kind != "spell":
                out.append((s.event.quantity, f"{self.key}.event.quantity"))
        elif self.role == "population":
            for f in ("deprivation_decile", "locality"):
                if getattr(s, f):
                    out.append((getattr(s, f), f"{self.key}.{f}"))
        elif self.role == "outcomes":
            out.append((s.assessment, f"{self.key}.assessment"))
            out.extend((col, f"{self.key}.domains.{dom}") for dom, col in s.domains.items())
        elif self.role == "lookup":
            out += [(s.local_id, f"{self.key}.local_id"), (s.nhs_number, f"{self.key}.nhs_number")]
        # the key of the column itself: event.start.column beside event.start.format, ids.dob beside ids.dob_format
        out.extend((d.column, d.key.removesuffix(".format") + ".column" if d.key.endswith(".format")
                    else d.key.removesuffix("_format")) for d in self.date_fields())
        return out


def _slug(text: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return s if s and s[0].isalpha() else f"x_{s}"


def feeds_from_config(cfg: CarecaseConfig) -> list[Feed]:
    """Every feed in a fixed order, with configuration checks that need the catalogue."""
    ing = cfg.ingest
    services = catalogue(cfg)
    feeds: list[Feed] = []
    if ing.population is not None:
        p = ing.population
        feeds.append(Feed("population", "population", "ingest.population", p.path, p.format, p.ids, p))
    for i, s in enumerate(ing.sources):
        feeds.append(Feed("events", s.name, f"ingest.sources[{i}]", s.path, s.format, s.ids, s,
                          services=services))
    if ing.programme is not None:
        g = ing.programme
        feeds.append(Feed("programme", "programme", "ingest.programme", g.path, g.format, g.ids, g))
    for i, o in enumerate(ing.outcomes):
        name = f"outcomes_{_slug(o.instrument)}"
        if any(f.name == name for f in feeds):
            name = f"{name}_{i}"
        inst = next(((k, inst) for k, inst in enumerate(cfg.evaluation.instruments) if inst.name == o.instrument),
                    None)
        scale = (inst[1].scale_min, inst[1].scale_max, f"evaluation.instruments[{inst[0]}]") if inst else None
        points = tuple(inst[1].assessments) if inst else None
        feeds.append(Feed("outcomes", name, f"ingest.outcomes[{i}]", o.path, o.format, o.ids, o, scale, points))
    for i, lk in enumerate(ing.lookups):
        feeds.append(Feed("lookup", f"lookup_{lk.name}", f"ingest.lookups[{i}]", lk.path, lk.format, None, lk))
    names = [f.name for f in feeds]
    clash = sorted({n for n in names if names.count(n) > 1})
    if clash:
        raise IngestError(
            f"source name(s) {clash} clash with the names ingest gives the population/programme "
            "registers, outcomes (outcomes_<instrument>) or lookups (lookup_<name>); rename the source."
        )
    for f in feeds:
        _check_feed(f)
    return feeds


def _check_feed(feed: Feed) -> None:
    for d in feed.date_fields():
        if d.format:
            try:
                format_pattern(d.format)
            except DateFormatError as err:
                raise IngestError(f"{d.key}: {err}.") from None
    if feed.role != "events":
        return
    ev = feed.spec.event
    codes = [(ev.service.code, f"{feed.key}.event.service.code")] if ev.service.code else [
        (v, f"{feed.key}.event.service.map.{k}") for k, v in sorted(ev.service.map.items())
    ]
    spans = {"point": "dated", "count": "dated", "spell": "span", "package": "package"}
    services = feed.services
    for code, key in codes:
        if code in services and ev.kind == "package" and not ev.quantity and services[code].unit == "hour":
            raise IngestError(
                f"{feed.key}.event.quantity: service {code!r} is costed per hour, so a package needs "
                "the column holding hours per week; name it in event.quantity."
            )
        if code not in services:
            raise IngestError(unknown_service(code, services, key))
        svc_kind = services[code].kind
        if spans[svc_kind] != spans[ev.kind]:
            raise IngestError(
                f"{key}: service {code!r} is a {svc_kind} service but {feed.key}.event.kind is "
                f"'{ev.kind}'; map it in a source whose kind matches, or correct event.kind."
            )
