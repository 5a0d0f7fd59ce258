"""Services a project declares (``services:`` in carecase.yaml): validation, with each error
naming the setting and the fix, and the project's catalogue (built-ins and declared)."""

from __future__ import annotations

from typing import Any

import pytest

from carecase.core.config import validate_config
from carecase.core.errors import ConfigError
from carecase.core.services import BY_CODE, SERVICE_CODES, catalogue

BASE = {"project": {"name": "t", "period_start": "2023-04-01", "period_end": "2024-03-31"}}
OUTPATIENT = {"code": "OUTPATIENT_APPT", "description": "Outpatient appointment", "agency_l1": "NHS",
              "agency_l2": "Acute Trust", "area_of_need": "Physical health", "kind": "point",
              "unit": "attendance"}
COSTED = {"service_costs": {"OUTPATIENT_APPT": "HE8.0"}}


def load(*services: dict[str, Any], costs: dict[str, Any] | None = None) -> Any:
    return validate_config({**BASE, "services": list(services), "costs": COSTED if costs is None else costs})


def refused(*services: dict[str, Any], costs: dict[str, Any] | None = None) -> str:
    with pytest.raises(ConfigError) as err:
        load(*services, costs=costs)
    return str(err.value)


def test_the_catalogue_is_the_built_ins_then_the_declared_services_read_only() -> None:
    cfg = load(OUTPATIENT)
    cat = catalogue(cfg)
    assert list(cat) == [*SERVICE_CODES, "OUTPATIENT_APPT"]
    svc = cat["OUTPATIENT_APPT"]
    assert (svc.agency_l1, svc.agency_l2, svc.area_of_need, svc.kind, svc.unit) == (
        "NHS", "Acute Trust", "Physical health", "point", "attendance")
    with pytest.raises(TypeError):
        cat["X"] = svc  # type: ignore[index]
    assert "OUTPATIENT_APPT" not in BY_CODE  # no global registry: another project does not see it
    assert list(catalogue(validate_config(BASE))) == list(SERVICE_CODES)


def test_a_built_in_code_is_refused_saying_what_to_do_instead() -> None:
    msg = refused({**OUTPATIENT, "code": "GP_APPT"}, costs={"service_costs": {"GP_APPT": "HE20.2"}})
    assert "services[0].code = 'GP_APPT'" in msg and "is a built-in service code" in msg
    assert "costs.service_costs / costs.service_basis" in msg


def test_a_code_declared_twice_is_refused() -> None:
    msg = refused(OUTPATIENT, OUTPATIENT)
    assert "services[1].code OUTPATIENT_APPT is declared twice (also services[0])" in msg


def test_a_bad_kind_lists_the_four_kinds_and_what_they_mean() -> None:
    msg = refused({**OUTPATIENT, "kind": "attendance"})
    assert "services[0].kind = 'attendance'" in msg
    assert "'point', 'spell', 'package' or 'count'" in msg and "spell: start and end dates" in msg


def test_a_code_in_lower_case_is_refused_with_an_example() -> None:
    msg = refused({**OUTPATIENT, "code": "outpatient_appt"}, costs={"service_costs": {}})
    assert "services[0].code = 'outpatient_appt'" in msg
    assert "upper-case letters, digits and underscores" in msg and "'OUTPATIENT_APPT'" in msg


@pytest.mark.parametrize("field", ["unit", "agency_l1", "agency_l2", "area_of_need", "description"])
def test_a_blank_field_is_refused(field: str) -> None:
    msg = refused({**OUTPATIENT, field: "  "})
    assert f"services[0].{field} = '  '" in msg


def test_an_area_of_need_differing_only_in_case_is_refused_naming_the_spelling_to_use() -> None:
    msg = refused({**OUTPATIENT, "area_of_need": "physical  Health"})
    assert "services[0].area_of_need 'physical  Health'" not in msg  # spacing folded first
    assert "services[0].area_of_need 'physical Health' differs from the area of need 'Physical health'" in msg
    assert "write 'Physical health'" in msg
    probation = {**OUTPATIENT, "code": "PROBATION_SUPERVISION", "area_of_need": "Probation"}
    other = {**probation, "code": "PROBATION_ORDER", "area_of_need": "probation"}
    msg = refused(probation, other, costs={"service_costs": {"PROBATION_SUPERVISION": "CR3.2",
                                                             "PROBATION_ORDER": "CR3.2"}})
    assert "services[1].area_of_need 'probation' differs from the area of need 'Probation'" in msg
    # a new area of its own is fine
    cfg = load({**probation, "area_of_need": "Probation"}, costs={"service_costs": {"PROBATION_SUPERVISION": "CR3.2"}})
    assert catalogue(cfg)["PROBATION_SUPERVISION"].area_of_need == "Probation"


def test_an_agency_differing_only_in_case_is_refused() -> None:
    msg = refused({**OUTPATIENT, "agency_l1": "Local authority"})
    assert "services[0].agency_l1 'Local authority' differs from the agency 'Local Authority'" in msg


def test_a_declared_service_with_no_unit_cost_is_refused_at_load() -> None:
    msg = refused(OUTPATIENT, costs={})
    assert "services[0] OUTPATIENT_APPT has no unit cost: add it to costs.service_costs" in msg
    assert "'costs: {service_costs: {OUTPATIENT_APPT: <unit-cost code>}}'" in msg


def test_a_declared_unit_has_one_spelling_for_every_stage() -> None:
    """A code review: 'hours' was read as hours by costs but not matched to 'hour' by ingest,
    so a home care package needed no quantity and was costed at 1 hour a week."""
    from carecase.costs.mapping import default_basis

    care = {**OUTPATIENT, "code": "HOMECARE_X", "kind": "package", "unit": "Hours",
            "agency_l1": "Local Authority", "agency_l2": "Adult Social Care", "area_of_need": "Social care"}
    cfg = load(care, costs={"service_costs": {"HOMECARE_X": "SS1.0"}})
    svc = catalogue(cfg)["HOMECARE_X"]
    assert svc.unit == "hour" and default_basis(svc) == "per_hour"
    beds = {**care, "code": "RESPITE_X", "kind": "spell", "unit": "bed  Days"}
    assert catalogue(load(beds, costs={"service_costs": {"RESPITE_X": "SS1.0"}}))["RESPITE_X"].unit == "bed day"


def test_a_spell_or_package_in_a_unit_that_is_not_time_needs_its_basis_named() -> None:
    """'placement' or 'visit' for a package silently became per_episode (each package costed
    once). Refused unless costs.service_basis says how it is priced."""
    care = {**OUTPATIENT, "code": "PLACEMENT_X", "kind": "package", "unit": "placement"}
    msg = refused(care, costs={"service_costs": {"PLACEMENT_X": "SS1.0"}})
    assert "services[0] PLACEMENT_X is a package counted in 'placement', which is not a unit of time" in msg
    assert "costs.service_basis" in msg and "per_episode" in msg
    ok = load(care, costs={"service_costs": {"PLACEMENT_X": "SS1.0"}, "service_basis": {"PLACEMENT_X": "per_episode"}})
    assert catalogue(ok)["PLACEMENT_X"].unit == "placement"
    assert load({**care, "kind": "point"}, costs={"service_costs": {"PLACEMENT_X": "SS1.0"}})  # points are counted
