"""Changed unit costs are never used stale: after a change to costs.price_year or to the
overrides file, the audit and the evaluation refuse the costed events until the costs stage
runs again, and the CBA refuses evaluated effects priced before the change (a walkthrough
found the audit at the new costs and the evaluation and CBA at the old ones, the effects
labelled with the new price year and so uprated twice)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from carecase.audit import stage as audit_stage
from carecase.cba.stage import _check_effects_priced_now
from carecase.core.errors import CBAError, CostError
from carecase.core.project import Project
from carecase.costs import stage as costs_stage
from carecase.costs.stage import check_costs_current

from .projects import small_project


def _reopen(p: Project, yaml_extra: str = "") -> Project:
    root = p.root
    p.close()
    if yaml_extra:
        (root / "carecase.yaml").write_text((root / "carecase.yaml").read_text() + yaml_extra)
    return Project.open(root)


def test_a_changed_overrides_file_or_price_year_needs_the_costs_stage(tmp_path: Path) -> None:
    p = small_project(tmp_path / "p")
    (p.root / "local.csv").write_text("code,value_type,value,price_year\nHE4.0,fiscal,180,2024\n")
    p = _reopen(p, "costs:\n  overrides: local.csv\n")
    costs_stage.run(p)
    check_costs_current(p)  # just costed: current
    audit_stage.run(p)
    (p.root / "local.csv").write_text("code,value_type,value,price_year\nHE4.0,fiscal,999,2024\n")
    with pytest.raises(CostError, match="changed since the costs stage last ran"):
        audit_stage.run(p)
    costs_stage.run(p)
    audit_stage.run(p)
    p = _reopen(p, "  price_year: 2023\n")
    with pytest.raises(CostError, match="costs.price_year"):
        check_costs_current(p)


def test_the_cba_refuses_effects_priced_with_older_unit_costs(tmp_path: Path) -> None:
    p = small_project(tmp_path / "p")
    costs_stage.run(p)
    digest = json.loads((p.out / "costs" / "summary.json").read_text())["inputs_digest"]
    _check_effects_priced_now(p, {"costs_inputs_digest": digest})
    _check_effects_priced_now(p, {})  # an effects file from elsewhere: nothing to compare
    with pytest.raises(CBAError, match="priced with other unit costs"):
        _check_effects_priced_now(p, {"costs_inputs_digest": "0" * 64})


def test_a_unit_cost_too_large_for_exact_sums_is_named_with_its_fix(tmp_path: Path) -> None:
    """A row of £100 million or more cannot be summed exactly (carecase.core.exact.MAX_VALUE):
    the costs stage names the service, its unit cost and the fix, where the engine said only
    that a number could not be cast to DECIMAL(18, 0)."""
    p = small_project(tmp_path / "p")
    (p.root / "local.csv").write_text("code,value_type,value,price_year\nHE4.0,fiscal,250000000,2024\n")
    p = _reopen(p, "costs:\n  overrides: local.csv\n")
    with pytest.raises(CostError, match=r"£100,000,000 or more in one row.*\(unit cost HE4\.0\).*"
                                        r"the largest £[0-9,]+\.00 = [0-9.]+ units? × £250,000,000\.00.*costs\.overrides"):
        costs_stage.run(p)
    p.close()
