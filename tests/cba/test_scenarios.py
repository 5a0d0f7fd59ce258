from pathlib import Path

import numpy as np
import pytest

from carecase.cba.engine import compile_model, evaluate
from carecase.cba.load import load_yaml_model, model_from_dict
from carecase.cba.results import analyse
from carecase.cba.scenarios import apply_rollout, rollout_need

from .helpers import npv_of, rich_model, simple_model

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "cba_example.yaml"


def test_named_scenario_equals_edited_model() -> None:
    d = rich_model()
    r = analyse(model_from_dict(d), uncertainty=False)
    edited = rich_model()
    edited["outcomes"][0]["deadweight"] = 0.6
    assert r["scenarios"][0]["headline"]["npv"] == pytest.approx(npv_of(edited), rel=1e-12)
    assert r["scenarios"][0]["headline"]["npv"] < r["headline"]["npv"]


def test_rollout_entrants_ramp_and_capacity() -> None:
    """Entrants = eligible × uptake (last share repeats), capped at capacity ÷ engagement."""
    d = simple_model(rollouts=[{"name": "r", "eligible_population": 1000,
                                "uptake": [0.05, 0.1, 0.3], "capacity": 150}])
    d["cohorts"][0]["engagement_rate"] = 0.5
    m = model_from_dict(d)
    _, need = rollout_need(m, m.rollouts[0])
    assert [need[y] for y in range(6)] == pytest.approx([50, 100, 300, 300, 300, 300])
    d["rollouts"][0]["capacity"] = 100
    m = model_from_dict(d)
    _, need = rollout_need(m, m.rollouts[0])
    assert [need[y] for y in range(6)] == pytest.approx([50, 100, 200, 200, 200, 200])
    scaled = apply_rollout(m, m.rollouts[0])
    assert scaled.cohorts[0].need[2] == pytest.approx(200)


def test_rollout_result_reported() -> None:
    r = analyse(model_from_dict(rich_model()), uncertainty=False)
    ro = r["rollouts"][0]
    assert ro["entrants_by_year"][:3] == pytest.approx([40, 120, 120])
    assert ro["headline"]["pv_costs"] > 0


def test_rollout_per_participant_cost_follows_engaged_each_year() -> None:
    """The example's city-wide rollout engages people in every appraisal year (entrants from
    eligible × uptake, capped at capacity); the per-participant keyworker cost in each year is
    amount × engaged that year — in years 3–5 too, where benefits accrue — not only in the
    years the base case has referrals."""
    m = load_yaml_model(EXAMPLE)
    p = compile_model(apply_rollout(m, m.rollouts[0]))
    fl = evaluate(p, p.central_values())
    assert [c.name for c in m.costs][1] == "Keyworker support"
    amount = p.central_values()["costs[1].amount"][0]
    engaged = fl.engaged[0, 0]
    assert (engaged[3:] > 0).all()
    np.testing.assert_allclose(fl.cost_items_base[0, 1], amount * engaged, rtol=1e-12)
    ob = m.optimism_bias.costs[m.costs[1].confidence_grade]
    np.testing.assert_allclose(fl.cost_items[0, 1], amount * engaged * (1 + ob), rtol=1e-12)
    r = analyse(m, uncertainty=False)["rollouts"][0]
    np.testing.assert_allclose(r["engaged_by_year"], engaged, rtol=1e-12)
    assert r["headline"]["pv_costs"] == pytest.approx(float(fl.cost_items[0].sum(axis=0) @ p.factors),
                                                      rel=1e-12)
