"""The project configuration: ``carecase.yaml``, a Pydantic model.

Each stage owns its section model (``carecase.<stage>.config``); this module assembles
them, loads YAML and turns validation failures into one clear message per problem that
names the key path, the bad value and what is allowed, with a "did you mean" hint for
unknown keys. ``carecase schema`` prints the JSON Schema; docs/configuration.md is
generated from it.
"""

from __future__ import annotations

import datetime as dt
import difflib
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from carecase.audit.config import AuditConfig
from carecase.cba.config import CBASection
from carecase.core import yamlfile
from carecase.core.errors import ConfigError
from carecase.core.model import SettingError, StrictModel, blank_allowed
from carecase.core.services import (
    CODE_PATTERN,
    TIME_UNITS,
    DeclaredService,
    catalogue,
    check_declared,
    folded,
)
from carecase.costs.config import CostsConfig
from carecase.evaluate.config import EvaluationConfig
from carecase.ingest.config import IngestConfig, PrivacyConfig
from carecase.link.config import LinkageConfig
from carecase.report.config import ReportConfig


class ProjectInfo(StrictModel):
    """What the project is and the period of activity it covers."""

    name: str = Field(description="Name shown on reports.")
    area: str = Field("", description="Area or partnership the project covers.")
    period_start: dt.date = Field(description="First date of activity in scope (inclusive).")
    period_end: dt.date = Field(description="Last date of activity in scope (inclusive).")

    @model_validator(mode="after")
    def _period_order(self) -> ProjectInfo:
        if self.period_end < self.period_start:
            raise ValueError(
                f"period_end ({self.period_end}) is before period_start ({self.period_start}); "
                "swap them or correct the dates"
            )
        return self


class EngineConfig(StrictModel):
    """Where the tables live and what runs the queries (see docs/engines.md)."""

    backend: Literal["duckdb", "spark"] = Field(
        "duckdb", description="duckdb: the embedded default. spark: PySpark (local or a cluster)."
    )
    database: str = Field(
        "carecase.duckdb", description="DuckDB store, relative to the project folder."
    )
    spark_master: str = Field("local[2]", description="Spark master URL when backend is spark.")
    spark_warehouse: str = Field(
        "spark", description="Folder (relative to the project) where Spark keeps its tables."
    )
    threads: int | None = Field(None, ge=1, description="DuckDB threads (default: all cores).")
    memory_limit: str | None = Field(None, description="DuckDB memory limit, e.g. '8GB'.")


class CarecaseConfig(StrictModel):
    """Everything about one carecase project."""

    version: Literal[1] = Field(1, description="Configuration format version.")
    project: ProjectInfo
    engine: EngineConfig = Field(default_factory=EngineConfig)
    privacy: PrivacyConfig = Field(
        default_factory=PrivacyConfig,
        description="The pseudonymisation key and what is kept after linkage (docs/privacy.md).",
    )
    services: list[DeclaredService] = Field(
        default_factory=list,
        description="Services this project adds to the built-in catalogue (AE_ATTEND, NEL_ADMIT, "
        "... DA_TREATMENT; see docs/ingest.md), e.g. outpatient appointments or probation "
        "supervision. Every stage uses them like the built-ins: ingest maps extract codes to "
        "them, costs prices them (each needs a costs.service_costs entry), the audit groups "
        "them by agency and area of need, the evaluation estimates their effects.",
        json_schema_extra=blank_allowed,
    )
    ingest: IngestConfig = Field(
        default_factory=IngestConfig,
        description="The agency extracts, population register, lookups, programme register "
        "and outcome readings, and how each maps onto carecase events.",
    )
    linkage: LinkageConfig = Field(
        default_factory=LinkageConfig, description="Linking records to people across agencies."
    )
    costs: CostsConfig = Field(
        default_factory=CostsConfig, description="Unit costs, price year and uprating."
    )
    audit: AuditConfig = Field(
        default_factory=AuditConfig, description="The whole-system cost audit."
    )
    evaluation: EvaluationConfig = Field(
        default_factory=EvaluationConfig,
        description="The programme evaluation with a matched comparison group.",
    )
    cba: CBASection = Field(
        default_factory=CBASection,
        description="The cost-benefit model: who pays, who benefits, when.",
    )
    report: ReportConfig = Field(
        default_factory=ReportConfig, description="The HTML, Excel and PDF report."
    )

    @field_validator("services", mode="before")
    @classmethod
    def _blank_is_none(cls, v: Any) -> Any:
        return [] if v is None else v  # 'services:' with its example commented out

    @field_validator("services")
    @classmethod
    def _services_apart(cls, v: list[DeclaredService]) -> list[DeclaredService]:
        return check_declared(v)

    @model_validator(mode="after")
    def _declared_services_costed(self) -> CarecaseConfig:
        """A declared service has no default unit cost: costs.service_costs must name one."""
        for i, d in enumerate(self.services):
            if d.kind in ("spell", "package") and d.unit not in TIME_UNITS \
                    and d.code not in self.costs.service_basis:
                raise ValueError(
                    f"services[{i}] {d.code} is a {d.kind} counted in {d.unit!r}, which is not a unit of "
                    f"time ({', '.join(TIME_UNITS)}), so carecase cannot tell how to price its days: "
                    "use one of those units, or name the basis in costs.service_basis (e.g. "
                    f"'costs: {{service_basis: {{{d.code}: per_episode}}}}' to cost each {d.kind} once)")
            if d.code not in self.costs.service_costs:
                raise ValueError(
                    f"services[{i}] {d.code} has no unit cost: add it to costs.service_costs with a "
                    "unit-cost code from the library (costs.library) or your costs.overrides CSV, "
                    f"e.g. 'costs: {{service_costs: {{{d.code}: <unit-cost code>}}}}' (and costs.service_basis "
                    f"where its default basis, {_default_basis_text(d)} for a {d.kind} service "
                    f"counted in {d.unit}s, is not how that unit cost is priced)")
        return self

    @model_validator(mode="after")
    def _dated_services_priced_per_unit(self) -> CarecaseConfig:
        """A point or count service (an attendance, a number of appointments) is priced per
        unit or per episode: a time basis (per day, week, month, year, hour) prices the days
        an event spans, one for a point, so it would ignore the quantity (12 nights in a
        monthly count became 31 units, or 1)."""
        services = catalogue(self)
        for code, basis in sorted(self.costs.service_basis.items()):
            svc = services.get(code)
            if svc is not None and svc.kind in ("point", "count") and basis not in ("per_unit", "per_episode"):
                raise ValueError(
                    f"costs.service_basis.{code} = {basis!r}: {code} is a {svc.kind} service (a number of "
                    f"{svc.unit}s on a date), so a time basis would price the days its rows span, not their "
                    "quantity. Use per_unit (each unit, the quantity of a row) or per_episode; to price "
                    f"by time, declare the service as a spell or package (services:) with a unit of time")
        return self

    @model_validator(mode="after")
    def _instruments_have_readings(self) -> CarecaseConfig:
        """An instrument in evaluation.instruments needs its readings under ingest.outcomes: a
        user who removed the template's outcomes block was told only at the evaluation, after
        four stages had run."""
        read = {o.instrument for o in self.ingest.outcomes}
        for i, inst in enumerate(self.evaluation.instruments):
            if inst.name not in read:
                where = (f"ingest.outcomes reads {', '.join(repr(n) for n in sorted(read))}" if read
                         else "ingest.outcomes has no entries")
                raise SettingError(
                    f"{inst.name!r} has no readings: {where}. Add an ingest.outcomes entry with instrument: "
                    f"{inst.name} (docs/ingest.md), or remove evaluation.instruments[{i}] if you have no "
                    "outcome scores", ("evaluation", "instruments", i, "name"), inst.name)
        return self

    @model_validator(mode="after")
    def _sources_agree_with_catalogue(self) -> CarecaseConfig:
        """A source's agency is its services' catalogue agency (``source_agency_problem``)."""
        problem = source_agency_problem(self)
        if problem is not None:
            raise problem
        return self


def _agency(l1: str, l2: str) -> str:
    return f"{l1} / {l2}"


def source_agency_problem(config: CarecaseConfig) -> SettingError | None:
    """The first source whose ``agency`` is not the catalogue agency of a service it maps a
    code to, as an error at ``ingest.sources[i].agency.level1`` (or ``level2``) that says
    how to fix it; None when every source agrees with the catalogue.

    Ingest stamps each event with its source's agency, and the audit and the evaluation's
    agency rows group by it; the evaluation's per-service effects and the CBA take a
    service's agency from the catalogue. A source labelled otherwise would put the same
    cost under two agencies in one report, so it is refused at load. Codes the catalogue
    does not have are left to ingest, which names them with the codes allowed."""
    services = catalogue(config)
    declared = {d.code: i for i, d in enumerate(config.services)}
    for i, s in enumerate(config.ingest.sources):
        ev = s.event.service
        by_code: dict[str, list[str]] = {ev.code: []} if ev.code else {}
        for k, v in sorted(ev.map.items()):
            by_code.setdefault(v, []).append(k)
        mapped = [services[c] for c in by_code if c in services]
        mine = (s.agency.level1, s.agency.level2)
        wrong = [svc for svc in mapped if (svc.agency_l1, svc.agency_l2) != mine]
        if not wrong:
            continue
        svc = wrong[0]
        field = "level1" if svc.agency_l1 != s.agency.level1 else "level2"
        keys = by_code[svc.code]
        what = ("every row (event.service.code)" if not keys else
                f"activity code {keys[0]!r} (event.service.map.{keys[0]})" if len(keys) == 1 else
                f"activity codes {', '.join(repr(k) for k in keys)} (event.service.map)")
        src, cat = _agency(*mine), _agency(svc.agency_l1, svc.agency_l2)
        where = f"services[{declared[svc.code]}]" if svc.code in declared else "built in"
        message = (f"source '{s.name}' maps {what} to service {svc.code} ({where}), whose agency is "
                   f"{cat}, not this source's {src}: the audit would count that cost under {src} "
                   f"and the evaluation's service effects and the CBA under {cat}")
        others = [f"{o.code} ({_agency(o.agency_l1, o.agency_l2)})" for o in wrong[1:]]
        if others:
            message += f"; so would its other service(s) {', '.join(others)}"
        agencies = list(dict.fromkeys((o.agency_l1, o.agency_l2) for o in mapped))
        setting = f"ingest.sources[{i}].agency"
        if folded(src) == folded(cat):
            message += (f". The two differ only in case, spacing or punctuation, but every stage "
                        f"groups by the exact text: write {setting} as the catalogue does, "
                        f"{{level1: {svc.agency_l1}, level2: {svc.agency_l2}}}")
        elif len(agencies) == 1:
            message += (f". Set {setting} to {{level1: {svc.agency_l1}, level2: {svc.agency_l2}}}; "
                        f"or, if {src} is right, map its codes to a service of {src}, declaring one "
                        f"under services: (agency_l1: {s.agency.level1}, agency_l2: "
                        f"{s.agency.level2}, and a costs.service_costs entry) where none fits")
        else:
            message += (f". Its codes map to services of {len(agencies)} agencies "
                        f"({', '.join(_agency(*a) for a in agencies)}) and a source has one: read an "
                        "extract that holds several agencies' activity as one source per agency, "
                        "each naming the same path with that agency, mapping that agency's codes "
                        f"and unmapped: ignore; or map the codes to services of {src}, declaring "
                        "them under services: where none fits")
        return SettingError(message, ("ingest", "sources", i, "agency", field), getattr(s.agency, field))
    return None


def _default_basis_text(d: DeclaredService) -> str:
    from carecase.costs.mapping import default_basis

    return default_basis(d.service())


# --------------------------------------------------------------------------- errors


def _field_names_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Walk ``loc`` through nested models and return the field names allowed there."""
    import typing

    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        field = current.model_fields.get(part)
        if field is None:
            return []
        ann = field.annotation
        # unwrap Optional / list / Annotated until a model is found
        for _ in range(4):
            origin = typing.get_origin(ann)
            if origin is None:
                break
            args = [a for a in typing.get_args(ann) if a is not type(None)]
            models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
            ann = models[0] if models else (args[0] if args else ann)
        current = ann
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


_SNAKE_CASE = r"^[a-z][a-z0-9_]*$"


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """1-based line of the deepest YAML node reached along ``loc`` (None without a node)."""
    line = None
    for part in loc:
        if node is None:
            break
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            nxt = [(k, v) for k, v in node.value if getattr(k, "value", None) == str(part)]
            if not nxt:
                break
            key, node = nxt[0]
            line = key.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _keys_at(data: Any, loc: tuple[Any, ...]) -> set[str]:
    """Keys given in the input mapping at ``loc`` (empty when unknown)."""
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return set()
    return {str(k) for k in data} if isinstance(data, dict) else set()


def _hint(e: Any) -> str:
    """A fix for the common error types, appended to pydantic's message."""
    kind = e["type"]
    ctx = e.get("ctx") or {}
    if kind.startswith("date_") or kind.startswith("datetime_"):
        return ". Write dates as YYYY-MM-DD, e.g. 2024-04-01"
    if kind == "string_pattern_mismatch" and ctx.get("pattern") == CODE_PATTERN:
        return ". Use upper-case letters, digits and underscores, starting with a letter (e.g. 'OUTPATIENT_APPT')"
    if kind == "string_pattern_mismatch" and ctx.get("pattern") == _SNAKE_CASE:
        return ". Use lower-case letters, digits and underscores, starting with a letter (e.g. 'acute_ae')"
    if kind == "literal_error" and e["loc"][:1] == ("services",) and e["loc"][-1] == "kind":
        return (". point: one event on a date; spell: start and end dates, days between; "
                "package: start and end with an intensity a week; count: units on a date")
    value = e.get("input")
    if (kind in ("less_than", "less_than_equal") and 1 in (ctx.get("lt"), ctx.get("le"))
            and isinstance(value, int | float) and not isinstance(value, bool) and 1 < value <= 100):
        return f". A rate or share is a fraction: {value / 100:g} for {value:g}%"
    if kind in ("less_than_equal", "greater_than_equal") and e["loc"] and e["loc"][-1] == "confidence_grade":
        return ". Grades run from 1 (best: independently audited data) to 6 (uncorroborated opinion)"
    return ""


def format_validation_error(
    err: ValidationError,
    model: type[BaseModel],
    source: str | Path,
    node: yaml.Node | None = None,
    data: Any = None,
    what: str = "the configuration",
) -> str:
    """One line per problem: where (key path, and YAML line when ``node`` is given), the bad
    value (scalars only, never a whole section), what is wrong and how to fix it. A
    ``SettingError`` raised by a check of the whole configuration is reported at the setting
    it names.

    "Did you mean" prefers keys not already given (``data``: the validated input)."""
    lines = [f"{source}: {err.error_count()} problem(s) in {what}"]
    for e in err.errors(include_url=False):
        loc = tuple(e["loc"])
        setting = (e.get("ctx") or {}).get("error")
        if isinstance(setting, SettingError):  # a check of the whole config names its setting
            e = {**e, "loc": (*loc, *setting.loc), "input": setting.value}
            loc = tuple(e["loc"])
        path = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in loc)
        path = path.replace(".[", "[") or "(top level)"
        line = _line_of(node, loc[:-1] if e["type"] == "missing" else loc)
        where = f"{path} (line {line})" if line else path
        if e["type"] == "extra_forbidden":
            allowed = _field_names_at(model, loc[:-1])
            present = _keys_at(data, loc[:-1])
            unused = [a for a in allowed if a not in present]
            hint = difflib.get_close_matches(str(loc[-1]), unused, n=1, cutoff=0.6)
            hint = hint or difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
            did = f" Did you mean '{hint[0]}'?" if hint else ""
            lines.append(
                f"  - {where}: unknown key.{did} Allowed here: {', '.join(allowed) or '(none)'}."
            )
            continue
        if e["type"] == "missing":
            lines.append(f"  - {where}: required key is missing. Add '{loc[-1]}:' here.")
            continue
        value = e.get("input")
        msg = e["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        msg = msg.rstrip(".") + _hint(e)
        if isinstance(value, dict | list):  # a whole section: the message says what is wrong
            lines.append(f"  - {where}: {msg}.")
            continue
        shown = repr(value)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        lines.append(f"  - {where} = {shown}: {msg}.")
    return "\n".join(lines)


def validate_config(
    data: Any, source: str | Path = "carecase.yaml", node: yaml.Node | None = None
) -> CarecaseConfig:
    """Validate parsed YAML; ``node`` (from ``yaml.compose``) adds line numbers to messages."""
    if data is None:
        raise ConfigError(f"{source}: the configuration is empty. Start from `carecase init`.")
    if not isinstance(data, dict):
        raise ConfigError(
            f"{source}: expected a mapping of keys (project:, ingest:, ...) at the top level, "
            f"got {type(data).__name__}. Start from `carecase init`."
        )
    try:
        return CarecaseConfig.model_validate(data)
    except ValidationError as err:
        raise ConfigError(format_validation_error(err, CarecaseConfig, source, node, data)) from None


def load_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: no such file. Create a project with `carecase init DIR`."
        ) from None
    try:
        return yamlfile.load(text)
    except yamlfile.DuplicateKeyError as err:
        raise ConfigError(f"{path}: {err.explain()}") from None
    except ValueError as err:  # a date YAML reads as one but the calendar lacks: 2023-09-31
        raise ConfigError(f"{path}: {_impossible_date(text) or err}") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err)
        raise ConfigError(
            f"{path}: not valid YAML{where}: {problem}. Check indentation (spaces, not tabs) "
            "and that values containing ':' are quoted."
        ) from None


def _impossible_date(text: str) -> str | None:
    """'project.period_end (line 5): 2023-09-31 is not a real date…' for the first value
    YAML reads as a date that the calendar does not have; None if there is none."""
    import datetime as dt

    def walk(node: Any, path: str) -> str | None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                found = walk(value, f"{path}.{key.value}" if path else str(key.value))
                if found:
                    return found
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                found = walk(item, f"{path}[{i}]")
                if found:
                    return found
        elif isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:timestamp":
            try:
                dt.date.fromisoformat(node.value[:10])
            except ValueError:
                return (f"{path} (line {node.start_mark.line + 1}): {node.value} is not a real date. "
                        "Write a date that exists, as YYYY-MM-DD (for example 2023-09-30).")
        return None

    try:
        return walk(yaml.compose(text), "")
    except yaml.YAMLError:
        return None


def load_config(path: str | Path) -> CarecaseConfig:
    p = Path(path)
    if p.is_dir():
        p = p / "carecase.yaml"
    data = load_yaml(p)
    try:
        node = yaml.compose(p.read_text(encoding="utf-8"))
    except yaml.YAMLError:  # pragma: no cover - load_yaml has already parsed it
        node = None
    return validate_config(data, p, node)


def json_schema() -> dict[str, Any]:
    return CarecaseConfig.model_json_schema()
