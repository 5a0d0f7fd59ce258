"""The correlation of the services' £ effects over the bootstrap draws
(estimates.cost_effect_correlation), which the CBA uses to draw evaluated savings jointly
(cba.from_evaluation.evaluation_correlation). It had no test of its own: taking the absolute
value of every coefficient (a negative correlation read as positive, widening the interval
of a sum of savings that offset one another) left the evaluation and CBA suites green.
Known answers are Pearson's product-moment r worked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from carecase.evaluate.estimates import cost_effect_correlation
from carecase.evaluate.panel import Panel

A = [1.0, 2.0, 3.0, 4.0, 5.0]
B = [5.0, 4.0, 3.0, 2.0, 1.0]  # A reversed: r = −1
C = [2.0, 1.0, 4.0, 3.0, 5.0]  # deviations −1, −2, 1, 0, 2 against A's −2, −1, 0, 1, 2


def _panel_and_draws() -> tuple[Panel, np.ndarray]:
    cols = pd.DataFrame({
        "key_type": ["service", "service", "service", "service", "service", "agency"],
        "key": ["AE_ATTEND", "GP_APPT", "NEL_ADMIT", "AE_ATTEND", "EL_ADMIT", "NHS"],
        "measure": ["cost", "cost", "cost", "events", "cost", "cost"],
    })
    # draws × (one post window) × columns: events, agencies and a service whose effect never
    # varies (EL_ADMIT, no cost in either group) are left out
    boot = np.stack([A, B, C, [9, 1, 9, 1, 9], [0, 0, 0, 0, 0], [7, 3, 5, 1, 2]], axis=1)[:, None, :]
    panel = Panel(np.arange(2), ("pre", "post_0_12"), cols, np.zeros((2, 2, 6)), np.ones((2, 2)))
    return panel, boot


def test_pearson_r_of_the_service_cost_effects_by_hand() -> None:
    """r(A, B) = −1; r(A, C) = Σ(a−ā)(c−c̄) / √(Σ(a−ā)² Σ(c−c̄)²) = (2 + 2 + 0 + 0 + 4) / √(10 × 10)
    = 0.8; r(B, C) = −0.8."""
    panel, boot = _panel_and_draws()
    got = cost_effect_correlation(boot, panel, ["post_0_12"])["post_0_12"]
    assert list(got.index) == ["AE_ATTEND", "GP_APPT", "NEL_ADMIT"] == list(got.columns)
    want = np.array([[1.0, -1.0, 0.8], [-1.0, 1.0, -0.8], [0.8, -0.8, 1.0]])
    np.testing.assert_allclose(got.to_numpy(), want, atol=1e-12)


def test_a_draw_that_is_not_finite_leaves_its_service_out() -> None:
    """An infinite or missing draw makes the coefficient undefined: the service is dropped
    rather than given a NaN row the CBA would refuse."""
    panel, boot = _panel_and_draws()
    boot[2, 0, 2] = np.nan
    got = cost_effect_correlation(boot, panel, ["post_0_12"])["post_0_12"]
    assert list(got.index) == ["AE_ATTEND", "GP_APPT"]
    assert got.loc["AE_ATTEND", "GP_APPT"] == pytest.approx(-1.0)
