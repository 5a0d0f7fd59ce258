"""Correlated normal inputs (carecase.cba.uncertainty.correlate): each input keeps its own mean
and sd, and a constant (sd 0) takes nothing from its partners."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from carecase.cba.engine import compile_model
from carecase.cba.load import model_from_dict
from carecase.cba.uncertainty import sample_inputs

FIRST, SECOND = "outcomes[0].values[0].amount", "outcomes[1].values[0].amount"


def _model(first_sd: float, rho: float = 0.8) -> dict[str, Any]:
    return {"name": "x", "appraisal_years": 1,
            "cohorts": [{"name": "p", "need": {0: 1}, "engagement_rate": 1, "success_rate": 1}],
            "costs": [{"name": "c", "agency": "NHS", "kind": "revenue", "amount": 1, "confidence_grade": 1}],
            "outcomes": [{"name": f"o{i}", "cohort": "p", "confidence_grade": 1,
                          "values": [{"agency": "NHS", "value_type": "fiscal",
                                      "amount": {"dist": "normal", "mean": 100, "sd": sd}}]}
                         for i, sd in enumerate((first_sd, 50))],
            "correlations": [{"inputs": [FIRST, SECOND], "matrix": [[1, rho], [rho, 1]]}]}


def _draws(first_sd: float, rho: float = 0.8) -> dict[str, np.ndarray]:
    return sample_inputs(compile_model(model_from_dict(_model(first_sd, rho))), 20_000, 1)


def test_a_constant_in_a_correlation_group_leaves_its_partner_as_drawn() -> None:
    """Review finding: with the first input's sd 0 and ρ = 0.8, the second input (sd 50) was
    drawn with sd 30 (√(1 − ρ²) × 50): the constant's z of 0 took ρ² of its variance. Now its
    correlations count as 0, so the partner's draws are its own independent ones."""
    correlated, independent = _draws(0.0), _draws(0.0, rho=0.0)
    assert np.all(correlated[FIRST] == 100.0)
    np.testing.assert_allclose(correlated[SECOND], independent[SECOND], rtol=0, atol=1e-9)
    assert np.std(correlated[SECOND]) == pytest.approx(50, rel=0.02)


def test_correlated_inputs_keep_their_sd_and_take_the_correlation() -> None:
    d = _draws(10.0)
    assert np.std(d[FIRST]) == pytest.approx(10, rel=0.02)
    assert np.std(d[SECOND]) == pytest.approx(50, rel=0.02)
    assert np.corrcoef(d[FIRST], d[SECOND])[0, 1] == pytest.approx(0.8, abs=0.01)
