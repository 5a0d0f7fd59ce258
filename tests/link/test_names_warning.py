"""Records without an NHS number are compared with the NHS-identified people on name, date of
birth, postcode and sex: when those people carry no names (a population register mapped
without its name columns, as the `init` template once did), linkage warns and names the fix."""

from __future__ import annotations

import dataclasses

import ibis
import pyarrow as pa
import pyarrow.compute as pc
import yaml
from typer.testing import CliRunner

from carecase.cli import app
from carecase.link.fabricate import Fabricated, fabricate
from carecase.link.linkage import names_warning
from carecase.link.stage import run


def _reference(named: int, people: int) -> ibis.Table:
    return ibis.memtable(pa.table({
        "nhs_pseudo": [f"n{i}" for i in range(people)],
        "given_name": ["ANN" if i < named else None for i in range(people)],
        "family_name": pa.nulls(people, pa.string()),
    }))


def _candidates(rows: list[tuple[str, bool, str | None]]) -> ibis.Table:
    return ibis.memtable(pa.table({
        "source": [r[0] for r in rows], "scorable": [r[1] for r in rows],
        "given_name": [r[2] for r in rows], "family_name": pa.nulls(len(rows), pa.string()),
    }))


CANDIDATES = [("police", True, "BOB"), ("housing", True, "ANN"), ("housing", True, None), ("acute", False, None)]


def test_no_names_among_the_nhs_identified_people_is_warned_of() -> None:
    (warning,) = names_warning(_reference(0, 10), _candidates(CANDIDATES))
    assert warning.startswith("no record with an NHS number carries a given or family name, so the 2 record(s) "
                              "of housing, police that have no NHS number but carry names")
    assert "Add given_name and family_name (or full_name) to ingest.population.ids" in warning


def test_few_names_are_warned_of_enough_are_not() -> None:
    (warning,) = names_warning(_reference(2, 10), _candidates(CANDIDATES))
    assert warning.startswith("only 2 of the 10 people with an NHS number (20%) have a given or family name")
    assert names_warning(_reference(5, 10), _candidates(CANDIDATES)) == []
    # nothing to compare names with: the candidates carry none either
    assert names_warning(_reference(0, 10), _candidates([("acute", True, None)])) == []


def _without_reference_names(fab: Fabricated) -> Fabricated:
    ident = fab.tables["staging_identity"]
    has_nhs = pc.is_valid(ident["nhs_pseudo"])
    none = pa.scalar(None, pa.string())
    for col in ("given_name", "family_name"):
        i = ident.schema.get_field_index(col)
        ident = ident.set_column(i, col, pc.if_else(has_nhs, none, ident[col]))
    return dataclasses.replace(fab, tables={**fab.tables, "staging_identity": ident})


def test_link_summary_warns_when_the_nhs_identified_records_carry_no_names(new_project, fab, linked) -> None:
    _, summary = linked
    assert summary["warnings"] == []  # names on both sides (the fabricated area)
    project = new_project("nonames", _without_reference_names(fab))
    got = run(project)
    (warning,) = got["warnings"]
    # the social-care clients linked through the lookup still carry names: a minority
    assert warning.startswith("only ") and "people with an NHS number" in warning
    assert "of asc, housing, police that have no NHS number but carry names" in warning
    assert "Add given_name and family_name (or full_name) to ingest.population.ids" in warning


def test_cli_link_prints_the_warning(new_project, config_for) -> None:
    project = new_project("cli_nonames", _without_reference_names(fabricate(120, seed=2)))
    (project.root / "carecase.yaml").write_text(yaml.safe_dump(config_for()))
    project.close()
    result = CliRunner().invoke(app, ["link", str(project.root)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "warning: only " in text and "Add given_name and family_name (or full_name) to ingest.population.ids" in text
