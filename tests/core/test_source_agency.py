"""A source's agency is the catalogue agency of every service it maps codes to: ingest stamps
each event with the source's agency (the audit and the evaluation's agency rows group by it)
while the evaluation's service effects and the CBA take the service's agency from the
catalogue, so a source labelled otherwise would show one service's cost under two agencies.
The configuration is refused at load, at the source's agency setting, with the fix."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from carecase.core.config import load_config, source_agency_problem, validate_config
from carecase.core.errors import ConfigError
from carecase.core.services import BY_CODE, catalogue
from carecase.core.template import template_text

BASE: dict[str, Any] = yaml.safe_load(template_text())
PROBATION = {"code": "PROBATION_SUPERVISION", "description": "Probation supervision",
             "agency_l1": "Probation", "agency_l2": "Probation Service",
             "area_of_need": "Crime and justice", "kind": "spell", "unit": "week"}


def _config(agency: dict[str, str], service: dict[str, Any], kind: str = "spell",
            services: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The template with one more source, ``supervision`` (ingest.sources[2])."""
    data = copy.deepcopy(BASE)
    data["services"] = services if services is not None else [PROBATION]
    data["costs"]["service_costs"] = {**(data["costs"].get("service_costs") or {}),
                                      "PROBATION_SUPERVISION": "CR3.2"}
    event: dict[str, Any] = {"kind": kind, "service": service, "start": {"column": "Start", "format": "%Y-%m-%d"}}
    if kind == "spell":
        event["end"] = {"column": "End", "format": "%Y-%m-%d"}
    data["ingest"]["sources"].append({
        "name": "supervision", "path": "extracts/supervision.csv", "format": {"type": "csv"},
        "agency": agency, "ids": {"nhs_number": "NHSNumber"}, "event": event})
    return data


def _refused(data: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as caught:
        validate_config(data, "carecase.yaml")
    message = str(caught.value)
    assert message.startswith("carecase.yaml: 1 problem(s) in the configuration"), message
    return message


def test_a_police_source_mapping_to_a_declared_probation_service_is_refused() -> None:
    message = _refused(_config({"level1": "Police", "level2": "Police"},
                               {"column": "Type", "map": {"SUP": "PROBATION_SUPERVISION"}}))
    assert ("ingest.sources[2].agency.level1 = 'Police': source 'supervision' maps activity code 'SUP' "
            "(event.service.map.SUP) to service PROBATION_SUPERVISION (services[0]), whose agency is "
            "Probation / Probation Service, not this source's Police / Police: the audit would count "
            "that cost under Police / Police and the evaluation's service effects and the CBA under "
            "Probation / Probation Service.") in message
    assert "Set ingest.sources[2].agency to {level1: Probation, level2: Probation Service}" in message
    assert ("or, if Police / Police is right, map its codes to a service of Police / Police, declaring "
            "one under services: (agency_l1: Police, agency_l2: Police, and a costs.service_costs entry)"
            ) in message


def test_a_built_in_gp_service_under_a_council_source_is_refused() -> None:
    message = _refused(_config({"level1": "Local Authority", "level2": "Adult Social Care"},
                               {"code": "GP_APPT"}, kind="point"))
    assert ("ingest.sources[2].agency.level1 = 'Local Authority': source 'supervision' maps every row "
            "(event.service.code) to service GP_APPT (built in), whose agency is NHS / Primary Care") in message
    assert "Set ingest.sources[2].agency to {level1: NHS, level2: Primary Care}" in message


def test_only_the_second_level_differing_is_reported_there() -> None:
    data = copy.deepcopy(BASE)
    data["ingest"]["sources"][0]["agency"] = {"level1": "NHS", "level2": "Primary Care"}
    message = _refused(data)
    assert "ingest.sources[0].agency.level2 = 'Primary Care': source 'acute_ae' maps every row" in message
    assert "to service AE_ATTEND (built in), whose agency is NHS / Acute Trust" in message


def test_a_case_only_difference_names_the_catalogue_spelling() -> None:
    data = copy.deepcopy(BASE)
    data["ingest"]["sources"][1]["agency"] = {"level1": "local authority", "level2": "Housing"}
    message = _refused(data)
    assert "ingest.sources[1].agency.level1 = 'local authority'" in message
    assert "activity codes 'BB', 'TA' (event.service.map) to service HOU_TEMP_ACCOM" in message
    assert ("differ only in case, spacing or punctuation, but every stage groups by the exact text: write "
            "ingest.sources[1].agency as the catalogue does, {level1: Local Authority, level2: Housing}"
            ) in message


def test_a_source_mapping_to_several_agencies_is_told_to_split() -> None:
    data = copy.deepcopy(BASE)
    data["ingest"]["sources"][0]["event"]["service"] = {
        "column": "Type", "map": {"AE": "AE_ATTEND", "AMB": "AMBULANCE", "GP": "GP_APPT"}}
    message = _refused(data)
    assert ("ingest.sources[0].agency.level2 = 'Acute Trust': source 'acute_ae' maps activity code 'AMB' "
            "(event.service.map.AMB) to service AMBULANCE (built in), whose agency is NHS / Ambulance Trust"
            ) in message
    assert "; so would its other service(s) GP_APPT (NHS / Primary Care)." in message
    assert ("Its codes map to services of 3 agencies (NHS / Acute Trust, NHS / Ambulance Trust, "
            "NHS / Primary Care) and a source has one: read an extract that holds several agencies' "
            "activity as one source per agency") in message


def test_the_message_names_the_file_and_line(tmp_path: Path) -> None:
    text = template_text().replace("agency: {level1: Local Authority, level2: Housing}",
                                   "agency: {level1: Police, level2: Housing}")
    path = tmp_path / "carecase.yaml"
    path.write_text(text, encoding="utf-8")
    line = text.splitlines().index("      agency: {level1: Police, level2: Housing}") + 1
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: 1 problem(s) in the configuration")
    assert f"ingest.sources[1].agency.level1 (line {line}) = 'Police': source 'housing_temp_accom'" in message


def test_a_source_of_its_services_agency_loads() -> None:
    cfg = validate_config(_config({"level1": "Probation", "level2": "Probation Service"},
                                  {"column": "Type", "map": {"SUP": "PROBATION_SUPERVISION"}}))
    assert source_agency_problem(cfg) is None
    assert cfg.ingest.sources[2].agency.level1 == catalogue(cfg)["PROBATION_SUPERVISION"].agency_l1


def test_stray_spaces_in_an_agency_are_dropped() -> None:
    cfg = validate_config(_config({"level1": " Probation ", "level2": "Probation  Service"},
                                  {"code": "PROBATION_SUPERVISION"}))
    agency = cfg.ingest.sources[2].agency
    assert (agency.level1, agency.level2) == ("Probation", "Probation Service")


def test_an_unknown_code_is_left_to_ingest() -> None:
    """Ingest names it with the codes allowed and a 'did you mean' (tests/ingest)."""
    cfg = validate_config(_config({"level1": "Probation", "level2": "Probation Service"},
                                  {"column": "Type", "map": {"SUP": "PROBATION_SUPERVISON"}}))
    assert source_agency_problem(cfg) is None


def test_the_init_template_agrees_with_the_catalogue() -> None:
    cfg = validate_config(copy.deepcopy(BASE))
    for s in cfg.ingest.sources:
        codes = {s.event.service.code} if s.event.service.code else set(s.event.service.map.values())
        assert {(BY_CODE[c].agency_l1, BY_CODE[c].agency_l2) for c in codes} == {
            (s.agency.level1, s.agency.level2)}, s.name
