"""Concentration measures against their defining formulas, beyond the spot values of
test_concentration.py.

- Gini (1912) as the relative mean absolute difference: G = Σ_i Σ_j |x_i − x_j| / (2 n² x̄)
  (Sen, *On Economic Inequality*, 1973, eq. 2.8). concentration.gini uses the sorted-values
  form; the two are algebraically equal, so any difference is a bug in one of them.
- Top share: the ceil(p × N) most costly people (concentration.top_share's documented rule,
  so "the top 10%" never means fewer people than 10%). With N a multiple of 10 the rule was
  never exercised: rounding 2.5 people to 2 survived the audit tests.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from carecase.audit.concentration import gini, top_share


def _mean_absolute_difference_gini(x: np.ndarray) -> float:
    n, mean = x.size, x.mean()
    return float(np.abs(x[:, None] - x[None, :]).sum() / (2 * n * n * mean))


def test_gini_of_a_worked_example_by_both_definitions() -> None:
    """Costs 0, 0, 10, 30, 60 (n = 5, mean 20): Σ|x_i − x_j| over ordered pairs = 2 × (0 + 10
    + 30 + 60 + 10 + 30 + 60 + 20 + 50 + 30) = 600, so G = 600 / (2 × 25 × 20) = 0.6."""
    x = np.array([30.0, 0.0, 60.0, 10.0, 0.0])
    assert _mean_absolute_difference_gini(x) == pytest.approx(0.6)
    assert gini(x) == pytest.approx(0.6)


@given(st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=60).filter(lambda v: sum(v) > 0))
def test_gini_equals_the_mean_absolute_difference_definition(values: list[float]) -> None:
    x = np.array(values)
    assert gini(x) == pytest.approx(_mean_absolute_difference_gini(x), abs=1e-9)


@pytest.mark.parametrize(("n", "fraction", "people"), [
    (25, 0.10, 3),   # 2.5 people: three, not two
    (15, 0.10, 2),   # 1.5: two
    (7, 0.50, 4),    # 3.5: four
    (20, 0.10, 2),   # exactly 2
    (3, 0.01, 1),    # at least one person
])
def test_top_share_rounds_the_number_of_people_up(n: int, fraction: float, people: int) -> None:
    costs = np.arange(1, n + 1, dtype=float)
    k, cost, share = top_share(costs, fraction)
    top = costs[::-1][:people]
    assert k == people
    assert cost == pytest.approx(top.sum())
    assert share == pytest.approx(top.sum() / costs.sum())
