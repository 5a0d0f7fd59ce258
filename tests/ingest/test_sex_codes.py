"""Sex codes that ``ids.sex_map`` does not map are read as U: ingest counts them per file and
warns (walkthrough H6: every 'Male' of a register whose sex_map has M, F, U became U, with
no sign)."""

from __future__ import annotations

import pyarrow as pa
import yaml
from typer.testing import CliRunner

from carecase.cli import app
from carecase.core.project import Project
from carecase.ingest.ignored import WITHHELD_CODE
from carecase.ingest.sex_codes import MANY_CODES, NOT_A_SEX_CODE, shown_as_sex_code, unmapped_mask
from carecase.ingest.stage import run

from .helpers import event_source, table

POP = {"path": "population.csv", "format": {"type": "csv"},
       "ids": {"nhs_number": "NHSNumber", "sex": "Sex", "sex_map": {"M": "M", "F": "F", "U": "U"},
               "dob": "DateOfBirth", "dob_format": "%Y-%m-%d"}}
CSV = ("NHSNumber,Sex,DateOfBirth\n"
       "9434765919,Male,1950-03-04\n"
       "4010232137,Male,1940-01-02\n"
       "9434765919, male ,1951-01-01\n"
       "4010232137,F,1941-01-01\n"
       "9434765919,U,1952-01-01\n"
       "4010232137,,1942-01-01\n"
       "9434765919,Fem,1953-01-01\n"
       "0000000001,Male,1954-01-01\n")  # an invalid NHS number: quarantined, not counted


def _sex_warnings(summary: dict) -> list[str]:
    return [w for w in summary["warnings"] if "sex_map" in w]


def test_unmapped_sex_codes_are_counted_and_warned_of(project_factory) -> None:
    p = project_factory({"population": POP}, {"population.csv": CSV})
    s = run(p)
    assert _sex_warnings(s) == [
        "population.csv: Sex values not in ingest.population.ids.sex_map were read as U (not known): "
        "'Male' 2 rows, 'Fem' 1 row, 'male' 1 row. Add each to ingest.population.ids.sex_map with its M, F or U."]
    assert [r["sex"] for r in table(p, "staging_identity", ["source_row"])] == ["U", "U", "U", "F", "U", "U", "U"]
    assert s["headline"].endswith("1 warning(s)")
    # an unchanged file still warns (the counts are stored with its batch)
    again = run(p)
    assert again["sources"]["population"]["files"][0]["status"] == "unchanged"
    assert _sex_warnings(again) == _sex_warnings(s)
    # mapped: no warning, and the counts went with the old batch
    (p.root / "population.csv").write_text(CSV.replace("Male", "M").replace("male", "M").replace("Fem", "F"))
    fixed = run(p)
    assert _sex_warnings(fixed) == []
    assert table(p, "ingest_unmapped_sex") == []


def test_default_sex_codes_and_an_event_source(project_factory) -> None:
    """Without a sex_map the default codes apply: 0 and 9 (not known, not specified) are
    rightly U; 'X' is not covered. An event source is checked like the register. The warning
    lists every default code (it listed U, 0 and 9 for U, not UNKNOWN, NOT KNOWN, NOT SPECIFIED)."""
    src = event_source(ids={"nhs_number": "nhs", "local_id": "mrn", "sex": "gender"})
    csv = ("nhs,mrn,code,date,gender\n"
           "9434765919,A,AE,05/01/2024,1\n"
           "9434765919,A,AE,06/01/2024,FEMALE\n"
           "9434765919,A,AE,07/01/2024,9\n"
           "9434765919,A,AE,08/01/2024,0\n"
           "9434765919,A,AE,09/01/2024,X\n")
    p = project_factory({"sources": [src]}, {"ae.csv": csv})
    (warning,) = _sex_warnings(run(p))
    assert warning.startswith("ae.csv: gender values that the default sex codes (M, MALE, 1 for M; F, FEMALE, 2 for F; "
                              "U, UNKNOWN, NOT KNOWN, NOT SPECIFIED, 0, 9 for U) do not cover were read as U "
                              "(not known): 'X' 1 row.")
    assert "Set ingest.sources[0].ids.sex_map to map every code" in warning


def test_identifier_like_or_many_values_are_withheld(project_factory) -> None:
    """A sex column that holds something else (an NHS number, names) never shows its values."""
    rows = "".join(f"9434765919,Name{i:02d},1950-01-{1 + i:02d}\n" for i in range(12))
    p = project_factory({"population": POP}, {"population.csv": "NHSNumber,Sex,DateOfBirth\n" + rows,
                                              "p2.csv": "NHSNumber,Sex,DateOfBirth\n9434765919,9434765919,1950-01-01\n"})
    (warning,) = _sex_warnings(run(p))
    assert f"{MANY_CODES} 12 rows" in warning and "Name0" not in warning
    assert "So many different values suggest ingest.population.ids.sex names the wrong column." in warning
    assert [r["code"] for r in table(p, "ingest_unmapped_sex")] == [MANY_CODES]
    p.close()
    cfg = yaml.safe_load((p.root / "carecase.yaml").read_text())
    cfg["ingest"]["population"]["path"] = "p2.csv"
    (p.root / "carecase.yaml").write_text(yaml.safe_dump(cfg))
    q = Project.open(p.root)
    try:
        (warning,) = _sex_warnings(run(q))
        assert f"{WITHHELD_CODE} 1 row" in warning and "9434765919" not in warning
    finally:
        q.close()


def test_a_name_in_the_sex_column_is_withheld(project_factory) -> None:
    """A name typed into the sex field ('QUACKENBUSH Zebedee') was echoed in the warning, the
    summary and ingest_unmapped_sex; a longer code that is not a sex word is withheld, short
    codes and sex words ('Fem', 'Females', 'Not stated') are still shown for the sex_map."""
    csv = ("NHSNumber,Sex,DateOfBirth\n9434765919,QUACKENBUSH Zebedee,1950-03-04\n"
           "4010232137,Females,1940-01-02\n9434765919,Fem,1951-01-01\n4010232137,Not stated,1941-01-01\n")
    p = project_factory({"population": POP}, {"population.csv": csv})
    (warning,) = _sex_warnings(run(p))
    assert "QUACKENBUSH" not in warning and "Zebedee" not in warning
    assert f"{NOT_A_SEX_CODE} 1 row" in warning
    assert "'Females' 1 row" in warning and "'Fem' 1 row" in warning and "'Not stated' 1 row" in warning
    assert "QUACKENBUSH" not in str(table(p, "ingest_unmapped_sex"))
    assert [shown_as_sex_code(c) for c in ("X", "Mal", "Male/Man", "non-binary", "Unkn", "Mark", "Smith")] == [
        True, True, False, True, True, False, False]


def test_cli_prints_the_warning(project_factory) -> None:
    p = project_factory({"population": POP}, {"population.csv": CSV})
    root = p.root
    p.close()
    res = CliRunner().invoke(app, ["ingest", str(root)], env={"COLUMNS": "250"})
    assert res.exit_code == 0, res.output
    assert "warning: population.csv: Sex values not in ingest.population.ids.sex_map were read as U" in " ".join(
        res.output.split())


def test_unmapped_mask() -> None:
    values = pa.array(["M", " f ", "u", "", None, "Male", "9", "X"])
    assert unmapped_mask(values, {"M": "M", "F": "F"}).tolist() == [False, False, False, False, False, True, True, True]
    assert unmapped_mask(values, {}).tolist() == [False, False, False, False, False, False, False, True]
