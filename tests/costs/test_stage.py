"""The costs stage on a small project taken through ingest and link: open-ended spells from
blank end dates, totals inside the project period (equal to the audit's), events older than
the staged ingest, and rows ignored at ingest."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from carecase.audit import stage as audit_stage
from carecase.cli import app
from carecase.core.errors import CostError
from carecase.core.project import Project
from carecase.costs import stage as costs_stage
from carecase.ingest import stage as ingest_stage
from carecase.link import stage as link_stage

KEY = "carecase-costs-test-key-0123456789"
PERIOD = ("2023-04-01", "2024-03-31")
NHS = ["9434765919", "9434765927", "9434765935", "9434765943", "9434765951", "9434765978"]
# temporary accommodation: one spell from before the period start (2020-01-01 to 2023-04-11:
# 10 nights inside the period), one with a blank end (open-ended: to 2024-03-31), one inside
TA = (
    "nhs,start,end\n"
    f"{NHS[0]},2020-01-01,2023-04-11\n"
    f"{NHS[1]},2024-03-01,\n"
    f"{NHS[2]},2023-06-01,2023-06-15\n"
)
# ambulance outcomes: 'stc' is not 'STC', so with unmapped: ignore it is out of scope
AMB = f"nhs,date,outcome\n{NHS[3]},2023-05-01,STC\n{NHS[4]},2023-05-02,stc\n{NHS[5]},2023-05-03,HT\n"


# the temporary accommodation source's service and its agency_l2 (a source's agency is its
# service's: the configuration is refused otherwise)
TA_SERVICE = ("HOU_TEMP_ACCOM", "Housing")


def _sources(ta_service: tuple[str, str] = TA_SERVICE) -> list[dict[str, Any]]:
    return [
        {"name": "temp_accom", "path": "ta.csv", "format": {"type": "csv"},
         "agency": {"level1": "Local Authority", "level2": ta_service[1]}, "ids": {"nhs_number": "nhs"},
         "event": {"kind": "spell", "service": {"code": ta_service[0]},
                   "start": {"column": "start", "format": "%Y-%m-%d"},
                   "end": {"column": "end", "format": "%Y-%m-%d"}}},
        {"name": "ambulance", "path": "amb.csv", "format": {"type": "csv"},
         "agency": {"level1": "NHS", "level2": "Ambulance Trust"}, "ids": {"nhs_number": "nhs"},
         "event": {"kind": "point", "service": {"column": "outcome", "map": {"STC": "AMBULANCE"},
                                                "unmapped": "ignore"},
                   "start": {"column": "date", "format": "%Y-%m-%d"}}},
    ]


def write_config(root: Path, ta_service: tuple[str, str] = TA_SERVICE) -> None:
    cfg = {"project": {"name": "t", "period_start": PERIOD[0], "period_end": PERIOD[1]},
           "engine": {"threads": 2}, "ingest": {"sources": _sources(ta_service)}}
    (root / "carecase.yaml").write_text(yaml.safe_dump(cfg, sort_keys=True))


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARECASE_KEY", KEY)


@pytest.fixture
def project(tmp_path: Path):
    root = tmp_path / "proj"
    root.mkdir()
    write_config(root)
    (root / "ta.csv").write_text(TA)
    (root / "amb.csv").write_text(AMB)
    p = Project.open(root)
    ingest_stage.run(p)
    link_stage.run(p)
    yield p
    p.close()


def _costed(p: Project) -> list[dict[str, Any]]:
    ce = p.engine.table("costed_events")
    return ce.filter(ce.activity_row).order_by(["source", "source_row"]).to_pyarrow().to_pylist()


def test_blank_end_in_the_extract_is_flagged_open_ended(project: Project) -> None:
    """Ingest stores a blank end as period_end + 1 (ingest.fields.period_end_exclusive); the
    costs stage flags that spell open-ended and costs it to the period end."""
    summary = costs_stage.run(project)
    ta = [r for r in _costed(project) if r["source"] == "temp_accom"]
    assert [r["end_date"] for r in ta] == [dt.date(2023, 4, 11), dt.date(2024, 4, 1), dt.date(2023, 6, 15)]
    assert [bool(r["open_ended"]) for r in ta] == [False, True, False]
    assert ta[1]["days"] == 31 and ta[1]["cost_end_date"] == dt.date(2024, 4, 1)
    assert summary["open_ended_events"] == 1 and summary["open_ended_rows"] == 1
    by_service = {r["service_code"]: r for r in
                  project.engine.read_parquet(project.out / "costs" / "cost_by_service.parquet").to_pyarrow().to_pylist()}
    assert by_service["HOU_TEMP_ACCOM"]["open_ended"] == 1


def test_costs_totals_count_the_project_period_and_equal_the_audit(project: Project) -> None:
    """A stay from 2020-01-01 to 2023-04-11 has 10 of its 1,196 nights in the period: the
    costs totals count those 10 (as the audit does), costed_events keeps the whole stay."""
    cs = costs_stage.run(project)
    au = audit_stage.run(project)
    # the costs headline figures are the audit's, for the same (whole project) period
    assert cs["total_cost"]["fiscal"] == pytest.approx(au["fiscal_cost"], abs=0.01)
    assert cs["total_cost"]["economic"] == pytest.approx(au["economic_cost"], abs=0.01)
    assert sum(cs["total_cost"].values()) == pytest.approx(au["total_cost"], abs=0.01)
    assert f"£{cs['total_cost']['fiscal']:,.0f} fiscal" in cs["headline"]
    ta = [r for r in _costed(project) if r["source"] == "temp_accom"]
    night = ta[2]["unit_cost"]
    assert ta[0]["days"] == 1196 and ta[0]["cost"] == pytest.approx(1196 * night)
    inside = (10 + 31 + 14) * night
    assert cs["cost_outside_period"]["fiscal"] == pytest.approx(1186 * night, abs=0.01)
    by_service = {r["service_code"]: r for r in
                  project.engine.read_parquet(project.out / "costs" / "cost_by_service.parquet").to_pyarrow().to_pylist()}
    assert by_service["HOU_TEMP_ACCOM"]["cost"] == pytest.approx(inside)
    assert by_service["HOU_TEMP_ACCOM"]["units"] == pytest.approx(55)
    assert "2023-04-01 to 2024-03-31" in cs["headline"] and "outside the period not counted" in cs["headline"]


def _drop_last_row(path: Path) -> None:
    path.write_text("".join(path.read_text().splitlines(True)[:-1]))


def test_costs_and_audit_refuse_events_older_than_the_staged_ingest(project: Project) -> None:
    """An extract changed and re-ingested without re-linking: costs would cost the old events.
    The costs stage and the audit stop and say to re-run link; after link they run."""
    costs_stage.run(project)
    _drop_last_row(project.root / "ta.csv")
    ingest_stage.run(project)
    staged = project.engine.table("ingest_files")
    new_batch = staged.filter(staged.source == "temp_accom").batch_id.to_pyarrow().to_pylist()[0]
    message = r"events are older than the staged ingest: re-run `carecase link PROJECT`"
    with pytest.raises(CostError, match=message) as err:
        costs_stage.run(project)
    assert "source temp_accom" in str(err.value) and f"batch {new_batch} (2 rows)" in str(err.value)
    assert "ambulance" not in str(err.value)
    with pytest.raises(CostError, match=message):  # the audit, through check_costs_current
        audit_stage.run(project)
    link_stage.run(project)
    assert costs_stage.run(project)["events"] == 3
    audit_stage.run(project)


def test_a_source_re_staged_under_the_same_batch_is_caught(project: Project) -> None:
    """A change of a source's settings re-stages the same file (same batch id, same row
    count, other values): the digest of the rows differs."""
    costs_stage.run(project)
    project.close()
    write_config(project.root, ta_service=("DA_TREATMENT", "Public Health"))
    p = Project.open(project.root)
    try:
        ingest_stage.run(p)
        with pytest.raises(CostError, match=r"older than the staged ingest.*temp_accom: batch \w+ \(3 rows\) "
                                            r"re-staged with other rows"):
            audit_stage.run(p)
        with pytest.raises(CostError, match="re-run `carecase link PROJECT`"):
            costs_stage.run(p)
    finally:
        p.close()


def test_rows_ignored_at_ingest_are_listed(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.console import Console

    from carecase.costs import cli as costs_cli

    monkeypatch.setattr(costs_cli, "console", Console(width=200))  # the table's cells unfolded
    summary = costs_stage.run(project)
    ignored = summary["ignored_at_ingest"]
    assert ignored["rows"] == 2
    assert ignored["by_source"] == [{
        "source": "ambulance", "config_key": "ingest.sources[1].event.service", "column": "outcome",
        "mapped_codes": ["STC"], "rows_ignored": 2, "rows_read": 3,
        "codes": [{"code": "HT", "rows": 1}, {"code": "stc", "rows": 1}], "other_codes": 0, "other_rows": 0,
        "rows_mapped_by_other_sources": 0, "codes_mapped_by_other_sources": [],
    }]
    assert ("2 extract rows ignored at ingest (unmapped: ignore) and costed by no source: ambulance 2"
            in summary["headline"])
    res = CliRunner().invoke(app, ["costs", "apply", str(project.root)], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "Extract rows ignored at ingest" in res.output
    assert "ambulance" in res.output and "outcome" in res.output and "'stc' is not 'STC'" in res.output
    assert "codes ignored (rows)" in res.output and "'HT' 1, 'stc' 1" in res.output


def test_rows_another_source_on_the_file_maps_are_not_never_costed(tmp_path: Path) -> None:
    """One extract read as one source per agency (docs/ingest.md), each mapping its codes and
    ignoring the rest: the other source's codes were listed as 'never costed' (every row of
    the file but those of the code no source maps), and the row that both ignore twice."""
    root = tmp_path / "mixed"
    root.mkdir()
    def source(name: str, level2: str, code: str, service: str) -> dict[str, Any]:
        return {"name": name, "path": "urgent.csv", "format": {"type": "csv"},
                "agency": {"level1": "NHS", "level2": level2}, "ids": {"nhs_number": "nhs"},
                "event": {"kind": "point", "service": {"column": "type", "map": {code: service},
                                                       "unmapped": "ignore"},
                          "start": {"column": "date", "format": "%Y-%m-%d"}}}
    cfg = {"project": {"name": "t", "period_start": PERIOD[0], "period_end": PERIOD[1]},
           "engine": {"threads": 2},
           "ingest": {"sources": [source("acute", "Acute Trust", "AE", "AE_ATTEND"),
                                  source("ambulance", "Ambulance Trust", "AMB", "AMBULANCE")]}}
    (root / "carecase.yaml").write_text(yaml.safe_dump(cfg, sort_keys=True))
    (root / "urgent.csv").write_text(f"nhs,date,type\n{NHS[0]},2023-05-01,AE\n{NHS[1]},2023-05-02,AE\n"
                                     f"{NHS[2]},2023-05-03,AMB\n{NHS[3]},2023-05-04,XX\n")
    p = Project.open(root)
    try:
        ingest_stage.run(p)
        link_stage.run(p)
        summary = costs_stage.run(p)
    finally:
        p.close()
    ignored = summary["ignored_at_ingest"]
    by = {r["source"]: r for r in ignored["by_source"]}
    assert (by["acute"]["rows_ignored"], by["acute"]["codes"]) == (1, [{"code": "XX", "rows": 1}])
    assert by["acute"]["rows_mapped_by_other_sources"] == 1
    assert by["acute"]["codes_mapped_by_other_sources"] == [{"code": "AMB", "rows": 1, "sources": ["ambulance"]}]
    assert (by["ambulance"]["rows_ignored"], by["ambulance"]["codes"]) == (1, [{"code": "XX", "rows": 1}])
    assert by["ambulance"]["codes_mapped_by_other_sources"] == [{"code": "AE", "rows": 2, "sources": ["acute"]}]
    assert ignored["rows"] == 1  # the one XX row, which both sources ignore
    assert ("; 1 extract row ignored at ingest (unmapped: ignore) and costed by no source: acute 1, ambulance 1 "
            "(a row that several sources reading one file ignore counted once)") in summary["headline"]
    res = CliRunner().invoke(app, ["costs", "apply", str(root)], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    table = res.output[res.output.index("┏"):res.output.index("Rows whose code")]
    assert "'XX' 1" in table and "AMB'" not in table and "'AE'" not in table
    assert ("Not counted above, as another source reading the same file maps them: acute ignored 'AMB' 1 "
            "(mapped by ambulance); ambulance ignored 'AE' 2 (mapped by acute).") in " ".join(res.output.split())


def test_an_unfinished_ingest_stops_the_later_stages(project: Project) -> None:
    """An ingest that re-stages every file (after linkage dropped the identities) and stops
    on an unreadable one leaves its marker: costs and the audit ran on and printed fresh
    headlines, saying nothing about the extracts missing from them."""
    import pyarrow as pa

    from carecase.ingest.stage import RESTAGE_PENDING

    costs_stage.run(project)
    project.engine.write(RESTAGE_PENDING, pa.table({"pending": [True]}))
    for stage in (costs_stage, audit_stage):
        with pytest.raises(CostError, match=r"The last `carecase ingest` stopped before it had re-staged"):
            stage.run(project)
    project.engine.drop(RESTAGE_PENDING)  # as a finished ingest does
    costs_stage.run(project)


def test_a_unit_cost_code_not_in_the_library_is_refused(project: Project, tmp_path: Path) -> None:
    """User review: service_costs {AMBULANCE: HE3.0.9} (a typo) passed, every conveyance was
    unmapped, the run went on and the report said every contact was costed. The message names
    the setting, the value, the nearest code and the fixes. A code the default map gives a
    service with no events here (a library of the user's own without it) is not refused."""
    cfg = yaml.safe_load((project.root / "carecase.yaml").read_text())
    cfg["costs"] = {"service_costs": {"AMBULANCE": "HE3.0.9"}}
    (project.root / "carecase.yaml").write_text(yaml.safe_dump(cfg))
    project.close()
    reopened = Project.open(project.root)
    try:
        with pytest.raises(CostError) as err:
            costs_stage.run(reopened)
    finally:
        reopened.close()
    msg = str(err.value)
    assert "costs.service_costs.AMBULANCE = 'HE3.0.9', which is not in the unit-cost library" in msg
    assert "Did you mean 'HE3.0.2'?" in msg and "add it in costs.overrides" in msg


def test_a_default_code_missing_from_the_users_library_is_refused_only_where_it_has_events() -> None:
    from carecase.costs.config import CostsConfig
    from carecase.costs.library import load_library

    lib = load_library(2024)
    lib = lib[lib["code"] != "HE4.0"]
    services = costs_stage.map_frame(CostsConfig())
    costs_stage.check_codes_exist(services, lib, CostsConfig(), used={"AMBULANCE"})
    with pytest.raises(CostError, match="AE_ATTEND is costed with 'HE4.0' by default, which is not in the"):
        costs_stage.check_codes_exist(services, lib, CostsConfig(), used={"AE_ATTEND"})
