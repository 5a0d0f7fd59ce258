"""The `carecase init` template's ingest mapping (walkthrough H5, M6, L9): the population
register maps its names (so sources without an NHS number can link on them), the programme
starts when support began, the evaluation examples are not called defaults, and extracts
laid out as the template says ingest cleanly."""

from __future__ import annotations

import openpyxl
import yaml

from carecase.core.config import CarecaseConfig
from carecase.core.project import Project
from carecase.core.template import template_text, write_template
from carecase.ingest.stage import run


def _config() -> CarecaseConfig:
    return CarecaseConfig.model_validate(yaml.safe_load(template_text()))


def test_population_register_maps_names_with_the_reason() -> None:
    ids = _config().ingest.population.ids
    assert ids.given_name == "Forename" and ids.family_name == "Surname"
    text = template_text()
    at = text.index("      given_name: Forename")
    assert "without an NHS number" in text[text.rindex("ingest:", 0, at):at]


def test_programme_starts_when_support_began() -> None:
    prog = _config().ingest.programme
    assert prog.start.column == "StartDate"
    assert "ReferralDate" not in template_text()
    assert "the date support began" in template_text().lower()


def test_evaluation_examples_are_not_called_defaults() -> None:
    text = template_text()
    assert "defaults shown" not in text
    assert "# More settings (examples; the defaults are in docs/configuration.md):" in text


POPULATION = ("NHSNumber,Forename,Surname,Sex,DateOfBirth,Postcode,IMDDecile,Locality,RegisteredFrom,RegisteredTo,"
              "DateOfDeath\n"
              "9434765919,Amelia,Smith,F,1979-01-20,LS7 1AN,2,South,2015-01-01,,\n"
              "4010232137,Oliver,Davies,M,1955-03-16,LS1 2EL,5,North,2015-01-01,,\n")


def test_extracts_laid_out_as_the_template_says_ingest_cleanly(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CARECASE_KEY", "carecase-test-key-0123456789")
    root = write_template(tmp_path / "proj").parent
    ex = root / "extracts"
    (ex / "population.csv").write_text(POPULATION)
    (ex / "ae_attendances_2023.csv").write_text(
        "NHS_Number,DOB,Gender,Postcode,ArrivalDate\n943 476 5919,20/01/1979,2,LS7 1AN,05/01/2024\n")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Placements"
    ws.append(["ClientRef", "Forename", "Surname", "DateOfBirth", "Postcode", "PlacementType", "StartDate", "EndDate"])
    ws.append(["H1", "Amelia", "Smith", "20/01/1979", "LS7 1AN", "TA", "01/02/2024", "01/03/2024"])
    ws.append(["H2", "Oliver", "Davies", "16/03/1955", "LS1 2EL", "BB", "01/02/2024", ""])
    wb.save(ex / "housing_placements.xlsx")
    (ex / "housing_nhs_lookup.csv").write_text("ClientRef,NHSNumber\nH1,9434765919\n")
    (ex / "programme_register.csv").write_text(
        "NHSNumber,ReferralDate,StartDate,DischargeDate\n9434765919,2023-05-01,2023-06-01,\n")
    (ex / "outcomes.csv").write_text(
        "NHSNumber,AssessmentDate,Assessment,HousingScore,HealthScore\n9434765919,2023-06-01,baseline,5,4\n")
    project = Project.open(root)
    try:
        s = run(project)
        assert s["totals"]["rows_quarantined"] == 0
        assert s["totals"]["rows_accepted"] == s["totals"]["rows_read"] == 8
        assert not [w for w in s["warnings"] if "sex_map" in w]
        # its outcomes' instrument is declared (a new user's fresh template warned at once)
        assert not [w for w in s["warnings"] if "not declared under evaluation.instruments" in w]
        names = project.engine.table("staging_identity")
        pop = names.filter(names.source == "population").order_by("source_row").to_pyarrow().to_pylist()
        assert [(r["given_name"], r["family_name"]) for r in pop] == [("AMELIA", "SMITH"), ("OLIVER", "DAVIES")]
        starts = project.engine.table("programme_staged").to_pyarrow().column("start_date").to_pylist()
        assert [str(d) for d in starts] == ["2023-06-01"]
    finally:
        project.close()
