import pytest

from carecase.cba.load import model_from_dict
from carecase.cba.results import analyse
from carecase.cba.scenarios import apply_rollout, rollout_need

from .helpers import npv_of, rich_model, simple_model


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
