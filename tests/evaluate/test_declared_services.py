"""The evaluation covers services a project declares (``services:``) as it covers built-ins:
a declared spell service is measured in units when matching, its effect carries its agency
and unit, and what its units count follows its costing basis."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from carecase.core.config import validate_config
from carecase.core.engine import connect_duckdb
from carecase.core.services import catalogue
from carecase.evaluate import features
from carecase.evaluate.config import EvaluationConfig
from carecase.evaluate.costing import measured_units, service_costing
from carecase.evaluate.effects import effects_payload

CONFIG = validate_config({
    "project": {"name": "t", "period_start": "2023-04-01", "period_end": "2024-03-31"},
    "services": [
        {"code": "PROBATION_SUPERVISION", "description": "Probation supervision", "agency_l1": "Probation",
         "agency_l2": "Probation Service", "area_of_need": "Crime and justice", "kind": "spell", "unit": "week"},
        {"code": "COMMUNITY_NURSING", "description": "District nursing visit", "agency_l1": "NHS",
         "agency_l2": "Community Trust", "area_of_need": "Physical health", "kind": "point", "unit": "visit"},
    ],
    "costs": {"service_costs": {"PROBATION_SUPERVISION": "CR3.2", "COMMUNITY_NURSING": "HE23.0"}},
})
CATALOGUE = catalogue(CONFIG)


def test_a_declared_spell_service_is_matched_on_its_units_and_spells() -> None:
    people = pd.DataFrame({"person_id": ["p0", "p1"], "birth_date": pd.to_datetime(["1960-01-01", "1970-01-01"]),
                           "sex": ["F", "M"], "deprivation_decile": [1.0, 5.0]})
    rows = pd.DataFrame({"row_id": [0, 1], "person_id": ["p0", "p1"],
                         "index_date": pd.to_datetime(["2023-06-01", "2023-07-01"])})
    amounts = pd.DataFrame({"row_id": [0, 1], "window": ["pre", "pre"],
                            "service_code": ["PROBATION_SUPERVISION"] * 2,
                            "events": [1.0, 2.0], "units": [10.0, 30.0], "cost": [100.0, 300.0]})
    x = features.covariates(rows, people, amounts, 12, ["PROBATION_SUPERVISION"], [], features.RICH,
                            spell_measure="both", catalogue=CATALOGUE)
    np.testing.assert_allclose(x["pre_PROBATION_SUPERVISION"], np.log1p([10.0, 30.0]))  # weeks, not spells
    np.testing.assert_allclose(x["pre_spells_PROBATION_SUPERVISION"], np.log1p([1.0, 2.0]))


def test_a_declared_services_effect_carries_its_agency_and_unit() -> None:
    key = {"window": "post_0_12", "key_type": "service", "key": "COMMUNITY_NURSING", "measure": "events"}
    matched = pd.DataFrame([{**key, "effect_ppy": -0.5, "ci_low": -0.9, "ci_high": -0.1, "mde_ppy": 0.3,
                             "treated_pre_ppy": 3.0, "treated_post_ppy": 2.0, "control_pre_ppy": 3.0,
                             "control_post_ppy": 2.5, "n_sets": 10}])
    naive = pd.DataFrame([{**key, "change_ppy": -1.0, "ci_low": -1.5, "ci_high": -0.5}])
    out = effects_payload(matched, naive, pd.DataFrame(), {}, EvaluationConfig(), catalogue=CATALOGUE)
    entry = out["windows"]["post_0_12"]["services"]["COMMUNITY_NURSING"]
    assert (entry["agency_l1"], entry["agency_l2"], entry["unit"]) == ("NHS", "Community Trust", "visit")


def test_what_a_declared_services_units_count_follows_its_basis() -> None:
    engine = connect_duckdb()
    try:
        events = engine.memtable(pa.table({
            "service_code": ["PROBATION_SUPERVISION", "COMMUNITY_NURSING"], "basis": ["per_year", "per_unit"],
            "value_type": ["fiscal"] * 2, "cost": [1.0] * 2, "activity_row": [True] * 2}))
        assert measured_units(service_costing(engine, events), CATALOGUE) == {
            "COMMUNITY_NURSING": "visit", "PROBATION_SUPERVISION": "year"}
    finally:
        engine.close()
