"""Ingest with services the project declares (``services:``): extract codes map to them like
built-ins, staged with their unit; an unknown code lists them among the allowed ones; a
source whose kind does not match a declared service's is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from carecase.core.errors import IngestError
from carecase.core.project import Project
from carecase.ingest.stage import run

from .helpers import PERIOD, event_source, table

OUTPATIENT = {"code": "OUTPATIENT_APPT", "description": "Outpatient appointment", "agency_l1": "NHS",
              "agency_l2": "Acute Trust", "area_of_need": "Physical health", "kind": "point",
              "unit": "attendance"}
NURSING = {"code": "COMMUNITY_NURSING", "description": "District nursing episode", "agency_l1": "NHS",
           "agency_l2": "Community Trust", "area_of_need": "Physical health", "kind": "spell", "unit": "day"}


def project(root: Path, service_map: dict[str, str], csv: str, **source: Any) -> Project:
    root.mkdir(parents=True)
    cfg: dict[str, Any] = {
        "project": {"name": "t", "period_start": PERIOD[0], "period_end": PERIOD[1]},
        "services": [OUTPATIENT, NURSING],
        "costs": {"service_costs": {"OUTPATIENT_APPT": "HE23.0", "COMMUNITY_NURSING": "HE23.0"}},
        "ingest": {"sources": [event_source(event={"service": {"column": "code", "map": service_map}},
                                            path="acute.csv", **source)]},
    }
    (root / "carecase.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    (root / "acute.csv").write_text(csv)
    return Project.open(root)


def test_extract_codes_map_to_declared_services_with_their_unit(tmp_path: Path) -> None:
    csv = "nhs,mrn,code,date\n9434765919,A,OP,05/01/2024\n9434765927,B,AE,06/01/2024\n"
    p = project(tmp_path / "p", {"OP": "OUTPATIENT_APPT", "AE": "AE_ATTEND"}, csv)
    try:
        run(p)
        rows = table(p, "events_staged", ["source_row"])
        assert [(r["service_code"], r["unit"]) for r in rows] == [
            ("OUTPATIENT_APPT", "attendance"), ("AE_ATTEND", "attendance")]
    finally:
        p.close()


def test_an_unknown_code_lists_the_declared_services_and_how_to_declare_one(tmp_path: Path) -> None:
    p = project(tmp_path / "p", {"OP": "OUTPATIENT_APPOINTMENT"}, "nhs,mrn,code,date\n")
    try:
        with pytest.raises(IngestError) as err:
            run(p)
    finally:
        p.close()
    msg = str(err.value)
    assert "ingest.sources[0].event.service.map.OP: unknown service code 'OUTPATIENT_APPOINTMENT'" in msg
    assert "Did you mean 'OUTPATIENT_APPT'?" in msg
    assert "Allowed: AE_ATTEND, " in msg and "DA_TREATMENT, OUTPATIENT_APPT, COMMUNITY_NURSING." in msg
    assert "declare a service under services: in carecase.yaml" in msg


def test_a_declared_spell_service_in_a_point_source_is_refused(tmp_path: Path) -> None:
    p = project(tmp_path / "p", {"DN": "COMMUNITY_NURSING"}, "nhs,mrn,code,date\n",
                agency={"level1": "NHS", "level2": "Community Trust"})
    try:
        with pytest.raises(IngestError, match=r"map.DN: service 'COMMUNITY_NURSING' is a spell service but "
                                              r"ingest.sources\[0\].event.kind is 'point'"):
            run(p)
    finally:
        p.close()
