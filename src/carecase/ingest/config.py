"""Configuration of sources: how each agency extract maps onto carecase events.

One ``SourceConfig`` per extract (``ingest.sources`` in carecase.yaml). Paths are relative
to the project folder and may be globs. Dates are parsed with an explicit strptime
``format``; where it is omitted carecase infers it only when unambiguous, and otherwise
stops and asks for ``format`` (it never guesses whether 03/04 is March or April).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from carecase.core.model import StrictModel


class PrivacyConfig(StrictModel):
    key_env: str = Field(
        "CARECASE_KEY", description="Environment variable holding the pseudonymisation secret."
    )
    key_file: str | None = Field(
        None,
        description="File holding the secret; must lie outside the project folder. "
        "Used when the environment variable is unset.",
    )
    keep_linkage_staging: bool = Field(
        False,
        description="Keep names, dates of birth and postcodes in the linkage staging area "
        "after linkage (default: erased, the store file rewritten without them; docs/privacy.md).",
    )


class FileFormat(StrictModel):
    type: Literal["csv", "xlsx", "parquet"] = Field(description="File type.")
    encoding: str = Field("utf-8", description="CSV text encoding (e.g. utf-8, cp1252).")
    delimiter: str = Field(",", description="CSV delimiter.")
    sheet: str | int | None = Field(None, description="XLSX sheet name or 0-based index.")
    skip_rows: int = Field(0, ge=0, description="Lines (sheet rows) above the header row, blank ones counted; "
                                                 "blank lines (sheet rows: empty, whitespace or delimiters only) after them are passed over to the header.")


class Agency(StrictModel):
    """The agency the source's events are filed under. It must be the agency (``agency_l1`` and
    ``agency_l2``) of every service the source maps codes to, built in or declared under
    ``services:``, so that a service's cost sits under one agency in the audit, the evaluation
    and the CBA alike; carecase.yaml is refused otherwise. Read an extract that holds several
    agencies' activity as one source per agency (docs/ingest.md)."""

    level1: str = Field(
        description="Agency level 1, e.g. NHS, Local Authority, Police: the agency_l1 of every "
        "service the source maps codes to (built in, or declared under services:).")
    level2: str = Field(
        description="Agency level 2, e.g. Acute Trust, Adult Social Care, Housing: the agency_l2 "
        "of every service the source maps codes to.")

    @field_validator("level1", "level2")
    @classmethod
    def _spaced(cls, v: str) -> str:
        """One spelling for comparing with the catalogue (stray or doubled spaces dropped)."""
        return " ".join(v.split())


class Identifiers(StrictModel):
    nhs_number: str | None = Field(None, description="Column holding the NHS number.")
    local_id: str | None = Field(None, description="Column holding the agency's own person ID.")
    full_name: str | None = Field(None, description="Column holding 'Given Family' names.")
    given_name: str | None = Field(None, description="Column holding given name(s).")
    family_name: str | None = Field(None, description="Column holding family name.")
    dob: str | None = Field(None, description="Column holding date of birth.")
    dob_format: str | None = Field(None, description="strptime format of the date of birth.")
    sex: str | None = Field(None, description="Column holding sex (M/F/other codes mapped by sex_map).")
    sex_map: dict[str, str] = Field(default_factory=dict, description="Source sex codes → M/F/U.")
    postcode: str | None = Field(None, description="Column holding postcode.")
    lookup: str | None = Field(
        None, description="Name of an ingest.lookups entry mapping local_id → NHS number."
    )

    @model_validator(mode="after")
    def _some_identifier(self) -> Identifiers:
        if not (self.nhs_number or self.local_id or self.full_name or self.family_name):
            raise ValueError(
                "a source needs at least one identifier column: nhs_number, local_id, "
                "or names (full_name or given_name + family_name) with dob and postcode"
            )
        return self


class DateColumn(StrictModel):
    column: str = Field(description="Column name.")
    format: str | None = Field(
        None,
        description="strptime format, e.g. '%d/%m/%Y', '%Y-%m-%d %H:%M'. Required when the "
        "values are ambiguous (day and month both ≤ 12).",
    )


class ServiceMapping(StrictModel):
    code: str | None = Field(None, description="One carecase service code for every row.")
    column: str | None = Field(None, description="Column holding the agency's activity code.")
    map: dict[str, str] = Field(
        default_factory=dict, description="Agency activity code → carecase service code."
    )
    unmapped: Literal["quarantine", "ignore"] = Field(
        "quarantine",
        description="Rows whose code is not in map: quarantine (default) or ignore "
        "(counted as out of scope in the summary; never silently dropped).",
    )

    @model_validator(mode="after")
    def _code_or_column(self) -> ServiceMapping:
        if bool(self.code) == bool(self.column):
            raise ValueError("give exactly one of 'code' (fixed) or 'column' with 'map'")
        if self.column and not self.map:
            raise ValueError("'map' must list the activity codes to keep when 'column' is used")
        return self


class EventMapping(StrictModel):
    kind: Literal["point", "spell", "package", "count"] = Field(
        description="point: one event on a date; spell: start and end (bed days, nights); "
        "package: start, end and an amount per week; count: a number of units on a date."
    )
    service: ServiceMapping
    start: DateColumn = Field(description="Event date, or start of a spell or package.")
    end: DateColumn | None = Field(None, description="End date (spells and packages).")
    quantity: str | None = Field(
        None, description="Column with the count (count kind) or amount per week (package: hours "
        "of home care; blank counts as 1 for a service counted in weeks, such as a residential placement)."
    )
    open_ended: Literal["period_end", "quarantine"] = Field(
        "period_end",
        description="A spell or package with no end date: treat as ongoing to the project "
        "period end, or quarantine.",
    )
    max_quantity: float | None = Field(
        None, gt=0, description="Quantities above this are absurd and quarantined."
    )
    covers: Literal["day", "week", "month"] = Field(
        "day",
        description="count kind: the time each count covers: day (its date alone), week (the 7 days from "
        "its date) or month (the calendar month holding its date: a monthly extract, dated the 1st or any "
        "day). The count is spread evenly over it, so a month split by a programme start date or an "
        "evaluation window counts in part on each side.",
    )

    @model_validator(mode="after")
    def _end_for_spells(self) -> EventMapping:
        if self.kind in ("spell", "package") and self.end is None:
            raise ValueError(f"kind '{self.kind}' needs an 'end' date column")
        if self.kind == "count" and not self.quantity:
            raise ValueError("kind 'count' needs a 'quantity' column")
        if self.covers != "day" and self.kind != "count":
            raise ValueError(f"covers: {self.covers!r} is for kind 'count' (a number of units over a time); "
                             f"a {self.kind} has its own dates")
        return self


class SourceConfig(StrictModel):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="Short unique name (snake_case).")
    path: str = Field(description="File or glob, relative to the project folder.")
    format: FileFormat
    agency: Agency
    ids: Identifiers
    record_id: str | None = Field(
        None,
        description="Column holding each row's own identifier (e.g. an attendance or spell ID). "
        "When given, two rows of the source repeat each other only if it repeats; when omitted, "
        "only if every mapped value (person, service, date and time, end, quantity) is equal.",
    )
    event: EventMapping


class LookupConfig(StrictModel):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    path: str
    format: FileFormat
    local_id: str = Field(description="Column holding the local ID.")
    nhs_number: str = Field(description="Column holding the NHS number.")


class ProgrammeRegister(StrictModel):
    """The programme's register: who joined, when (and when they left)."""

    path: str
    format: FileFormat
    ids: Identifiers
    start: DateColumn
    end: DateColumn | None = None


class OutcomeReadings(StrictModel):
    """Outcome-measure readings (one row per person × assessment)."""

    instrument: str = Field(description="Name of an instrument in evaluation.instruments.")
    path: str
    format: FileFormat
    ids: Identifiers
    date: DateColumn
    assessment: str = Field(description="Column naming the assessment point (e.g. baseline, 8m).")
    domains: dict[str, str] = Field(description="Domain name → column holding its score.")


class PopulationRegister(StrictModel):
    """The area's population register (e.g. GP registrations): who lives here, with the
    demographics used for matching. Defines the comparison pool and person-time."""

    path: str
    format: FileFormat
    ids: Identifiers
    deprivation_decile: str | None = Field(None, description="Column: IMD decile 1 (most deprived)–10.")
    locality: str | None = Field(None, description="Column: locality or neighbourhood name.")
    registered_from: DateColumn | None = Field(None, description="Start of residence/registration.")
    registered_to: DateColumn | None = Field(None, description="End of registration (moved away).")
    date_of_death: DateColumn | None = None


class IngestConfig(StrictModel):
    population: PopulationRegister | None = None
    sources: list[SourceConfig] = Field(default_factory=list)
    lookups: list[LookupConfig] = Field(default_factory=list)
    programme: ProgrammeRegister | None = None
    outcomes: list[OutcomeReadings] = Field(default_factory=list)
    all_quarantined: Literal["error", "warn"] = Field(
        "error",
        description="A source whose every row is quarantined (nearly always one wrong setting, such as a "
        "date format, not bad data): error stops the run after ingest, with the quarantine written and the "
        "fix named; warn goes on with a warning (the source then adds nothing to the costs).",
    )

    @model_validator(mode="after")
    def _unique_names(self) -> IngestConfig:
        names = [s.name for s in self.sources]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"source names must be unique; repeated: {', '.join(dupes)}")
        lookups = {lk.name for lk in self.lookups}
        for s in self.sources:
            if s.ids.lookup and s.ids.lookup not in lookups:
                raise ValueError(
                    f"source '{s.name}' names lookup '{s.ids.lookup}', which is not in "
                    f"ingest.lookups (defined: {', '.join(sorted(lookups)) or 'none'})"
                )
        return self
