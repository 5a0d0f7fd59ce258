"""Malformed configurations each give one clear message: key path, YAML line, value, fix."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from carecase.core.config import CarecaseConfig, load_config, validate_config
from carecase.core.errors import ConfigError
from carecase.core.template import template_text

BASE: dict[str, Any] = yaml.safe_load(template_text())


def _set(path: tuple[Any, ...], value: Any):
    def mutate(d: dict[str, Any]) -> None:
        cur: Any = d
        for key in path[:-1]:
            cur = cur[key]
        cur[path[-1]] = value

    return mutate


def _pop(path: tuple[Any, ...]):
    def mutate(d: dict[str, Any]) -> None:
        cur: Any = d
        for key in path[:-1]:
            cur = cur[key]
        del cur[path[-1]]

    return mutate


SRC0 = ("ingest", "sources", 0)
SRC1 = ("ingest", "sources", 1)

# (id, mutation of the template, fragments the message must contain)
CASES = [
    ("unknown nested key", _set((*SRC0, "event", "strat"), {"column": "D"}),
     ["ingest.sources[0].event.strat: unknown key", "Did you mean 'start'?",
      "Allowed here: kind, service, start"]),
    ("unknown top-level key", _set(("linkge",), {}),
     ["linkge: unknown key", "Did you mean 'linkage'?"]),
    ("missing required key", _pop(("project", "name")),
     ["project.name: required key is missing", "Add 'name:'"]),
    ("wrong type", _set(("audit", "top_n"), "ten"),
     ["audit.top_n = 'ten'", "valid integer"]),
    ("period_end before period_start", _set(("project", "period_end"), dt.date(2020, 1, 1)),
     ["project: period_end (2020-01-01) is before period_start (2022-04-01)", "swap them"]),
    ("date not ISO", _set(("project", "period_start"), "01/04/2022"),
     ["project.period_start = '01/04/2022'", "Write dates as YYYY-MM-DD"]),
    ("invalid enum", _set(("engine", "backend"), "postgres"),
     ["engine.backend = 'postgres'", "'duckdb' or 'spark'"]),
    ("source name pattern", _set((*SRC0, "name"), "Acute AE"),
     ["ingest.sources[0].name = 'Acute AE'", "lower-case letters, digits and underscores"]),
    ("duplicate source names", _set((*SRC1, "name"), "acute_ae"),
     ["ingest: source names must be unique; repeated: acute_ae"]),
    ("lookup not defined", _set((*SRC1, "ids", "lookup"), "housing_idz"),
     ["source 'housing_temp_accom' names lookup 'housing_idz'", "defined: housing_ids"]),
    ("service with code and column",
     _set((*SRC0, "event", "service"), {"code": "AE_ATTEND", "column": "C", "map": {"a": "AE_ATTEND"}}),
     ["ingest.sources[0].event.service: give exactly one of 'code'"]),
    ("service column without map", _set((*SRC0, "event", "service"), {"column": "C"}),
     ["ingest.sources[0].event.service: 'map' must list the activity codes"]),
    ("spell without end", _pop((*SRC1, "event", "end")),
     ["ingest.sources[1].event: kind 'spell' needs an 'end' date column"]),
    ("count without quantity", _set((*SRC0, "event", "kind"), "count"),
     ["ingest.sources[0].event: kind 'count' needs a 'quantity' column"]),
    ("source without identifiers", _set((*SRC0, "ids"), {"dob": "DOB"}),
     ["ingest.sources[0].ids: a source needs at least one identifier column"]),
    ("linkage thresholds out of order", _set(("linkage", "clerical_lower"), 0.97),
     ["linkage: clerical_lower must be below match_probability"]),
    ("probability out of range", _set(("linkage", "match_probability"), 1.5),
     ["linkage.match_probability = 1.5", "less than 1"]),
    ("unsupported version", _set(("version",), 2), ["version = 2", "Input should be 1"]),
    ("a time basis for a point service", _set(("costs",), {"service_basis": {"GP_APPT": "per_day"}}),
     ["costs.service_basis.GP_APPT = 'per_day': GP_APPT is a point service",
      "Use per_unit (each unit, the quantity of a row) or per_episode"]),
    ("covers on a point source", _set((*SRC0, "event", "covers"), "month"),
     ["covers: 'month' is for kind 'count'"]),
    # a new user removed the template's outcomes block and was told at the evaluation
    ("an instrument with no readings", _pop(("ingest", "outcomes")),
     ["evaluation.instruments[0].name", "'wellbeing_star' has no readings: ingest.outcomes has no entries. Add an "
      "ingest.outcomes entry with instrument: wellbeing_star"]),
]


@pytest.mark.parametrize(("mutate", "fragments"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_malformed_configuration_gives_a_clear_message(mutate, fragments):
    data = copy.deepcopy(BASE)
    mutate(data)
    with pytest.raises(ConfigError) as caught:
        validate_config(data, "carecase.yaml")
    message = str(caught.value)
    assert message.startswith("carecase.yaml: 1 problem(s) in the configuration")
    for fragment in fragments:
        assert fragment in message, message
    assert "Traceback" not in message and "{'" not in message  # no dumped sections


def test_every_problem_is_reported_at_once():
    data = copy.deepcopy(BASE)
    data["engine"]["backend"] = "postgres"
    data["audit"]["top_n"] = 0
    with pytest.raises(ConfigError, match=r"2 problem\(s\)") as caught:
        validate_config(data)
    assert "engine.backend" in str(caught.value) and "audit.top_n" in str(caught.value)


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "carecase.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_problems_in_a_file_name_the_yaml_line(tmp_path):
    text = template_text().replace(
        "        start: {column: ArrivalDate", "        strat: {column: ArrivalDate"
    )
    path = _write(tmp_path, text)
    expected_line = text.splitlines().index("        strat: {column: ArrivalDate, format: \"%d/%m/%Y\"}") + 1
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert f"ingest.sources[0].event.strat (line {expected_line}): unknown key" in message
    assert "Did you mean 'start'?" in message
    # the missing 'start' is reported against the 'event:' line above it
    assert "ingest.sources[0].event.start (line " in message


def test_invalid_yaml_names_the_line(tmp_path):
    path = _write(tmp_path, "version: 1\nproject:\n  name: x\n   area: y\n")
    with pytest.raises(ConfigError, match=r"not valid YAML at line 4, column \d+") as caught:
        load_config(path)
    assert "indentation" in str(caught.value)


@pytest.mark.parametrize("bad", ["2023-09-31", "2024-13-45", "2023-02-29"])
def test_a_date_the_calendar_lacks_names_its_key_and_line(tmp_path, bad):
    """YAML reads 2023-09-31 as a date and Python refuses it: 'unexpected error: ValueError:
    day is out of range for month … report it', with no key or line."""
    text = template_text()
    line = next(i for i, t in enumerate(text.splitlines(), start=1) if t.strip().startswith("period_end:"))
    old = text.splitlines()[line - 1]
    path = _write(tmp_path, text.replace(old, old.split(":")[0] + f": {bad}"))
    with pytest.raises(ConfigError, match=rf"project\.period_end \(line {line}\): {bad} is not a real date"):
        load_config(path)


def test_a_key_given_twice_is_refused_with_both_lines(tmp_path):
    """PyYAML keeps the last of two equal keys silently; a copy-paste slip then changed the
    settings with no word."""
    path = _write(tmp_path, "version: 1\nproject:\n  name: x\n  name: y\n")
    with pytest.raises(ConfigError, match=r"key 'name' is given twice in one mapping \(line 3, then line 4\)"):
        load_config(path)


def test_tabs_are_reported_as_invalid_yaml(tmp_path):
    path = _write(tmp_path, "version: 1\nproject:\n\tname: x\n")
    with pytest.raises(ConfigError, match="not valid YAML at line 3"):
        load_config(path)


@pytest.mark.parametrize(("text", "fragment"), [
    ("- project\n- ingest\n", "expected a mapping of keys (project:, ingest:, ...) at the top level, got list"),
    ("just a string\n", "got str"),
    ("", "the configuration is empty"),
    ("# only comments\n", "the configuration is empty"),
])
def test_top_level_must_be_a_mapping(tmp_path, text, fragment):
    with pytest.raises(ConfigError) as caught:
        load_config(_write(tmp_path, text))
    assert fragment in str(caught.value)
    assert "carecase init" in str(caught.value)


def test_missing_file_says_how_to_create_one(tmp_path):
    with pytest.raises(ConfigError, match="no such file. Create a project with `carecase init DIR`"):
        load_config(tmp_path)


def test_a_folder_is_read_as_its_carecase_yaml(tmp_path):
    _write(tmp_path, template_text())
    assert load_config(tmp_path).project.name == "Example partnership"


def _keys_with_paths(model: type, prefix: tuple = ()) -> list[tuple[tuple, str]]:
    """Every (parent path, field name) of the template that is a mapping with a strict model."""
    out = []

    def walk(data: Any, path: tuple) -> None:
        if isinstance(data, dict):
            for k, v in data.items():
                out.append((path, k))
                walk(v, (*path, k))
        elif isinstance(data, list):
            for i, v in enumerate(data):
                walk(v, (*path, i))

    walk(BASE, prefix)
    # free-form mappings (code maps, sex maps, domains) accept any key
    free = {"map", "sex_map", "domains", "service_costs"}
    return [(p, k) for p, k in out if not (p and p[-1] in free) and len(k) >= 5]


TEMPLATE_KEYS = _keys_with_paths(CarecaseConfig)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(TEMPLATE_KEYS), st.data())
def test_any_misspelt_key_is_caught_with_its_path_and_a_hint(where, data):
    """A transposition typo of any key anywhere is an error at that exact path, with a hint."""
    path, key = where
    i = data.draw(st.integers(0, len(key) - 2))
    typo = key[:i] + key[i + 1] + key[i] + key[i + 2 :]
    if typo == key:
        return
    config = copy.deepcopy(BASE)
    parent: Any = config
    for part in path:
        parent = parent[part]
    parent[typo] = parent.pop(key)
    with pytest.raises(ConfigError) as caught:
        validate_config(config)
    shown = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in (*path, typo))
    shown = shown.replace(".[", "[")
    message = str(caught.value)
    assert f"{shown}: unknown key. Did you mean '{key}'?" in message, message
