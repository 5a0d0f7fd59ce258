"""A project's declared services (``services:``) in the CBA: the unit-cost lookup spells their
agencies as the catalogue does, as it does the built-ins' ("Local authority" → "Local
Authority"), so a local unit cost paid by 'probation' is the evaluation's 'Probation' (one
agency, not two spellings the model refuses); and an evaluated effect that names no agency
takes its declared service's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from carecase.cba import stage
from carecase.cba.from_evaluation import evaluation_outcomes
from carecase.cba.library_lookup import CANONICAL, lookup_from_library
from carecase.core.errors import CBAError
from carecase.core.project import Project
from carecase.core.services import DeclaredService

PROBATION = {"code": "PROBATION_SUPERVISION", "description": "Probation supervision",
             "agency_l1": "Probation", "agency_l2": "Probation Service",
             "area_of_need": "Crime and justice", "kind": "spell", "unit": "week"}
# the probation service's local cost of a breach, its agency spelt in lower case
LOCAL = ("code,value_type,value,price_year,description,unit,agency_l1,agency_l2,source\n"
         "LOC_BREACH,fiscal,900,2023,Breach of a community order,Per breach,probation,"
         "Probation Service,Local finance 2023/24\n")


def _effects(**extra: Any) -> dict[str, Any]:
    cost = {"effect": -300.0, "ci_low": -500.0, "ci_high": -100.0, "treated_users": 40, "control_users": 50}
    return {"price_year": 2023, "windows": {"post_0_12": {"services": {
        "PROBATION_SUPERVISION": {"cost_ppy": cost, **extra}}}}}


def _model() -> dict[str, Any]:
    return {"name": "probation", "appraisal_years": 3, "price_base_year": 2023,
            "discounting": {"schedule": "custom", "rate": 0.035},
            "cohorts": [{"name": "c", "need": {0: 50}, "engagement_rate": 1, "success_rate": 1}],
            "costs": [{"name": "mentor", "agency": "Probation", "kind": "revenue", "amount": 20000,
                       "confidence_grade": 2}],
            "outcomes": [{"name": "Fewer breaches", "cohort": "c", "unit_cost": "LOC_BREACH",
                          "quantity": 0.2, "duration_years": 2, "confidence_grade": 3}]}


def _project(root: Path, unit_costs: str = "project", effects: dict[str, Any] | None = None) -> Project:
    root.mkdir(parents=True, exist_ok=True)
    cfg = {"project": {"name": "t", "period_start": "2023-04-01", "period_end": "2024-03-31"},
           "services": [PROBATION],
           "costs": {"price_year": 2023, "overrides": "local.csv",
                     "service_costs": {"PROBATION_SUPERVISION": "CR3.2"},
                     "service_basis": {"PROBATION_SUPERVISION": "per_year"}},
           "cba": {"inline": _model(), "draws": 50, "unit_costs": unit_costs,
                   "from_evaluation": {"cohort": "c", "window": "post_0_12"}}}
    (root / "carecase.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    (root / "local.csv").write_text(LOCAL)
    (root / "out" / "evaluate").mkdir(parents=True, exist_ok=True)
    (root / "out" / "evaluate" / "effects.json").write_text(
        json.dumps(effects if effects is not None else _effects(agency_l1="Probation", agency_l2="Probation Service")))
    return Project.open(root)


def test_a_local_unit_cost_is_paid_by_the_declared_agency_as_the_evaluation_spells_it(tmp_path: Path) -> None:
    """Before, the lookup knew the built-ins' agencies only: LOC_BREACH stayed 'probation',
    and the model joined to the evaluation's 'Probation' was refused as one agency spelt two
    ways."""
    p = _project(tmp_path / "p")
    found = stage.project_model(p)
    assert found is not None
    model, lookup = found
    assert [(c.agency_l1, c.agency_l2) for c in lookup.components("LOC_BREACH")] == [("Probation", "Probation Service")]
    benefits = {v.agency for o in model.outcomes for v in o.values or []}
    assert benefits == {"Probation"}
    summary = stage.run(p)
    assert summary["headline"].startswith("NPV")


def test_the_lookup_keeps_the_built_in_spellings_by_default() -> None:
    """The public API is unchanged without a catalogue: built-in agencies only."""
    lib = pd.DataFrame([
        {"code": "X1", "value_type": "fiscal", "value": 10.0, "agency_l1": "probation",
         "agency_l2": None, "price_year": 2023, "transfer": False, "parent_code": None,
         "unit": "u", "source": "s"},
        {"code": "X2", "value_type": "fiscal", "value": 10.0, "agency_l1": "Local authority",
         "agency_l2": None, "price_year": 2023, "transfer": False, "parent_code": None,
         "unit": "u", "source": "s"},
    ])
    assert "probation" not in CANONICAL
    assert [c.agency_l1 for code in ("X1", "X2") for c in lookup_from_library(lib).components(code)] == [
        "probation", "Local Authority"]
    svc = DeclaredService.model_validate(PROBATION).service()
    ours = lookup_from_library(lib, {svc.code: svc})
    assert [c.agency_l1 for c in ours.components("X1")] == ["Probation"]


def test_the_shipped_lookup_spells_agencies_as_the_project_does(tmp_path: Path) -> None:
    """cba.unit_costs: builtin (the shipped library, no local overrides) follows the
    catalogue too: a project that declares 'Criminal justice system' gets CR3.2 (the shipped
    'Criminal Justice System') under that name."""
    p = _project(tmp_path / "p", unit_costs="builtin")
    assert stage.project_lookup(p, 2023) is not stage.BUILTIN
    raw = p.root / "carecase.yaml"
    cfg = yaml.safe_load(raw.read_text())
    cfg["services"][0]["agency_l1"] = "Criminal justice system"
    raw.write_text(yaml.safe_dump(cfg, sort_keys=False))
    p = Project.open(p.root)
    assert {c.agency_l1 for c in stage.project_lookup(p, 2023).components("CR3.2")} == {"Criminal justice system"}
    assert {c.agency_l1 for c in stage.BUILTIN.components("CR3.2")} == {"Criminal Justice System"}


def test_an_effect_with_no_agency_takes_its_declared_services(tmp_path: Path) -> None:
    """An effects file that names no agency (a hand-made one) for a declared service: the
    stage finds the agency in the project's catalogue; the built-ins alone do not have it."""
    effects = _effects()
    with pytest.raises(CBAError, match="is not in the service catalogue"):
        evaluation_outcomes(effects, cohort="c", window="post_0_12")
    p = _project(tmp_path / "p", effects=effects)
    found = stage.project_model(p)
    assert found is not None
    evaluated = [o for o in found[0].outcomes if o.name.startswith("PROBATION_SUPERVISION")]
    assert [(v.agency, v.agency_l2) for o in evaluated for v in o.values or []] == [("Probation", "Probation Service")]
