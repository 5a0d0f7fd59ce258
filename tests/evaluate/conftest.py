"""Shared fixtures: a seeded synthetic area evaluated once per session."""

from __future__ import annotations

import datetime as dt

import pytest

from carecase.core.engine import Engine, connect_duckdb
from carecase.evaluate.api import EvaluationResult, evaluate_project
from carecase.evaluate.config import EvaluationConfig, InstrumentConfig

from .synthetic import START, Area, make_area

WINDOWS = ((0, 12), (0, 8))


def load_area(area: Area) -> Engine:
    engine = connect_duckdb(None)
    engine.write("people", area.people)
    engine.write("costed_events", area.events)
    engine.write("programme", area.programme)
    engine.write("outcome_scores", area.outcome_scores)
    return engine


def evaluation_config(**kw: object) -> EvaluationConfig:
    base: dict[str, object] = {
        "post_windows": list(WINDOWS), "bootstrap_draws": 400,
        "instruments": [InstrumentConfig(name="SWEMWBS", scoring="swemwbs", scale_min=1, scale_max=5)],
    }
    base.update(kw)
    return EvaluationConfig.model_validate(base)


def run_area(n: int, seed: int, referral_prob: float, **kw: object) -> tuple[Area, EvaluationResult]:
    area = make_area(n, seed, referral_prob=referral_prob, post_windows=WINDOWS)
    engine = load_area(area)
    try:
        result = evaluate_project(engine, evaluation_config(**kw), 2024,
                                  period=(START, area.period_end))
    finally:
        engine.close()
    return area, result


@pytest.fixture(scope="session")
def evaluated() -> tuple[Area, EvaluationResult]:
    return run_area(2000, 2, 0.04)


@pytest.fixture()
def small_area() -> Area:
    return make_area(600, 3, referral_prob=0.05, post_windows=WINDOWS)


__all__ = ["dt", "evaluated", "load_area", "run_area", "small_area"]
