"""A project that declares its own services (``services:`` in carecase.yaml): outpatient
appointments and probation supervision, which no built-in code covers, mapped from two
extracts, costed through ``costs.service_costs`` (a local override and a code of the default
library) and audited by agency and by area of need beside a built-in service."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from carecase.audit import stage as audit_stage
from carecase.core.errors import ConfigError
from carecase.core.project import Project
from carecase.costs import stage as costs_stage
from carecase.costs.library import load_library, unit_cost
from carecase.ingest import stage as ingest_stage
from carecase.link import stage as link_stage

KEY = "carecase-services-test-key-0123456789"
PERIOD = ("2023-04-01", "2024-03-31")
NHS = ["9434765919", "9434765927", "9434765935", "9434765943"]
OUTPATIENT = {"code": "OUTPATIENT_APPT", "description": "Outpatient appointment", "agency_l1": "NHS",
              "agency_l2": "Acute Trust", "area_of_need": "Physical health", "kind": "point",
              "unit": "attendance"}
PROBATION = {"code": "PROBATION_SUPERVISION", "description": "Probation supervision",
             "agency_l1": "Probation", "agency_l2": "Probation Service",
             "area_of_need": "Crime and justice", "kind": "spell", "unit": "week"}
# acute activity: 'OP' rows are outpatient attendances (3), 'AE' an A&E attendance (built in)
ACUTE = (f"nhs,date,code\n{NHS[0]},2023-05-01,OP\n{NHS[0]},2023-06-01,OP\n{NHS[1]},2023-07-01,OP\n"
         f"{NHS[2]},2023-08-01,AE\n")
# probation: two supervision spells, 70 and 28 days
PROB = f"nhs,start,end\n{NHS[1]},2023-05-01,2023-07-10\n{NHS[3]},2023-06-01,2023-06-29\n"
# the local outpatient tariff, at the project's price year (so not uprated)
LOCAL = ("code,value_type,value,price_year,description,unit,agency_l1,agency_l2,source\n"
         "LOC_OP,fiscal,150,2023,Outpatient attendance (local tariff),Per attendance,NHS,Acute Trust,"
         "Local tariff 2023/24\n")


def config(**over: Any) -> dict[str, Any]:
    cfg: dict[str, Any] = {
        "project": {"name": "t", "period_start": PERIOD[0], "period_end": PERIOD[1]},
        "engine": {"threads": 2},
        "services": [OUTPATIENT, PROBATION],
        "costs": {"price_year": 2023, "overrides": "local.csv",
                  "service_costs": {"OUTPATIENT_APPT": "LOC_OP", "PROBATION_SUPERVISION": "CR3.2"},
                  "service_basis": {"PROBATION_SUPERVISION": "per_year"}},
        "ingest": {"sources": [
            {"name": "acute", "path": "acute.csv", "format": {"type": "csv"},
             "agency": {"level1": "NHS", "level2": "Acute Trust"}, "ids": {"nhs_number": "nhs"},
             "event": {"kind": "point",
                       "service": {"column": "code", "map": {"OP": "OUTPATIENT_APPT", "AE": "AE_ATTEND"}},
                       "start": {"column": "date", "format": "%Y-%m-%d"}}},
            {"name": "probation", "path": "probation.csv", "format": {"type": "csv"},
             "agency": {"level1": "Probation", "level2": "Probation Service"}, "ids": {"nhs_number": "nhs"},
             "event": {"kind": "spell", "service": {"code": "PROBATION_SUPERVISION"},
                       "start": {"column": "start", "format": "%Y-%m-%d"},
                       "end": {"column": "end", "format": "%Y-%m-%d"}}},
        ]},
    }
    cfg.update(over)
    return cfg


def open_project(root: Path, cfg: dict[str, Any]) -> Project:
    root.mkdir(parents=True, exist_ok=True)
    (root / "carecase.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    (root / "acute.csv").write_text(ACUTE)
    (root / "probation.csv").write_text(PROB)
    (root / "local.csv").write_text(LOCAL)
    return Project.open(root)


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARECASE_KEY", KEY)


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory):
    mp = pytest.MonkeyPatch()
    mp.setenv("CARECASE_KEY", KEY)
    p = open_project(tmp_path_factory.mktemp("declared"), config())
    try:
        for stage in (ingest_stage, link_stage, costs_stage, audit_stage):
            stage.run(p)
        yield p
    finally:
        p.close()
        mp.undo()


def _read(p: Project, name: str) -> pd.DataFrame:
    return pd.read_parquet(p.out / "audit" / f"{name}.parquet")


def test_declared_services_are_costed_and_audited_by_agency_and_area_of_need(audited: Project) -> None:
    p = audited
    probation_year = unit_cost("CR3.2", "fiscal", 2023, load_library(2023))
    ae = unit_cost("HE4.0", "fiscal", 2023, load_library(2023))
    outpatient, probation = 3 * 150.0, probation_year * (70 + 28) / 365
    ev = p.engine.table("events").to_pyarrow().to_pandas()
    assert sorted(ev["service_code"]) == ["AE_ATTEND", *["OUTPATIENT_APPT"] * 3, *["PROBATION_SUPERVISION"] * 2]
    assert set(ev.loc[ev.service_code == "PROBATION_SUPERVISION", "unit"]) == {"week"}
    assert dict(zip(ev["service_code"], ev["area_of_need"], strict=True)) == {
        "AE_ATTEND": "Physical health", "OUTPATIENT_APPT": "Physical health",
        "PROBATION_SUPERVISION": "Crime and justice"}
    by_service = _read(p, "cost_by_service").groupby("service_code")["cost"].sum()
    assert by_service["OUTPATIENT_APPT"] == pytest.approx(outpatient)
    assert by_service["PROBATION_SUPERVISION"] == pytest.approx(probation)
    by_need = _read(p, "cost_by_need").groupby("area_of_need")["cost"].sum()
    assert by_need["Physical health"] == pytest.approx(outpatient + ae)
    assert by_need["Crime and justice"] == pytest.approx(probation)
    by_agency = _read(p, "cost_by_agency").groupby(["agency_l1", "agency_l2"])["cost"].sum()
    assert by_agency[("Probation", "Probation Service")] == pytest.approx(probation)
    assert by_agency[("NHS", "Acute Trust")] == pytest.approx(outpatient + ae)
    costs = p.read_json("costs", "summary.json") or {}
    assert costs["events_unmapped"] == 0


def test_a_declared_service_with_no_unit_cost_is_refused_naming_the_setting(tmp_path: Path) -> None:
    cfg = config()
    del cfg["costs"]["service_costs"]["PROBATION_SUPERVISION"]
    with pytest.raises(ConfigError) as err:
        open_project(tmp_path / "p", cfg)
    msg = str(err.value)
    assert "services[1] PROBATION_SUPERVISION has no unit cost" in msg
    assert "costs.service_costs" in msg and "PROBATION_SUPERVISION: <unit-cost code>" in msg
    assert "per_week for a spell service counted in weeks" in msg  # the basis it would get


def test_a_declared_service_takes_its_default_basis_from_kind_and_unit() -> None:
    from carecase.core.services import DeclaredService
    from carecase.costs.mapping import default_basis, service_map

    def svc(kind: str, unit: str) -> Any:
        return DeclaredService.model_validate({**PROBATION, "kind": kind, "unit": unit}).service()

    assert [default_basis(svc(k, u)) for k, u in (
        ("point", "attendance"), ("count", "visit"), ("spell", "week"), ("spell", "nights"),
        ("package", "hour"), ("spell", "stay"))] == [
        "per_unit", "per_unit", "per_week", "per_day", "per_hour", "per_episode"]
    cat = {"PROBATION_SUPERVISION": svc("spell", "week")}
    rows = {m.service_code: m for m in service_map({"PROBATION_SUPERVISION": "CR3.2"}, {}, cat)}
    assert (rows["PROBATION_SUPERVISION"].unit_cost_code, rows["PROBATION_SUPERVISION"].basis) == ("CR3.2", "per_week")


def test_an_area_of_need_edited_after_link_is_refused_until_link_relabels(tmp_path: Path) -> None:
    """Link copies each service's area of need from the catalogue into ``events``; edited in
    carecase.yaml afterwards, the costs and the audit would group by the old one with nothing
    said (ingest re-stages the same rows, so the staged-rows check cannot see it). Every later
    stage stops, naming the service, the old and new area and the command, until link runs."""
    from carecase.core.errors import CostError
    from carecase.report.freshness import stale_outputs

    root = tmp_path / "p"
    p = open_project(root, config())
    try:
        for stage in (ingest_stage, link_stage, costs_stage, audit_stage):
            stage.run(p)
        assert (p.read_json("link", "summary.json") or {})["service_labels"]["OUTPATIENT_APPT"] == "Physical health"
    finally:
        p.close()
    edited = config(services=[{**OUTPATIENT, "area_of_need": "Outpatient care"}, PROBATION])
    p = open_project(root, edited)
    try:
        want = ("events were labelled with an older service catalogue: re-run `carecase link PROJECT`, "
                "then `carecase costs apply PROJECT` (or `carecase run PROJECT`). services: in carecase.yaml "
                "has changed since link wrote table 'events': OUTPATIENT_APPT area_of_need was "
                "'Physical health', now 'Outpatient care'.")
        for stage in (audit_stage, costs_stage):
            with pytest.raises(CostError) as err:
                stage.run(p)
            assert str(err.value) == want
        assert stale_outputs(p) == [f"costs: {want}"]
        ingest_stage.run(p)  # re-stages the same rows: link has still to relabel them
        with pytest.raises(CostError, match="older service catalogue"):
            costs_stage.run(p)
        for stage in (link_stage, costs_stage, audit_stage):
            stage.run(p)
        by_need = _read(p, "cost_by_need").groupby("area_of_need")["cost"].sum()
        assert by_need["Outpatient care"] == pytest.approx(3 * 150.0)
        assert stale_outputs(p) == []
    finally:
        p.close()
