"""Where a switching value counts as "found" and where "beyond the plausible range".

uncertainty.search_range documents the plausible range of an input with no upper bound as
up to 10 × its central value (at least 1). The only test of the label used a switching value
of 13.5 × the central value, beyond 10 × and 5 × alike, so halving the range survived the
CBA suite. NPV = −capital + 30 × a, a = Σ_{t=1..5} 1.035^−t = 4.515052 (Green Book
discounting, worked by hand), so capital switches at 135.4516 whatever its central value.
"""

from __future__ import annotations

import copy

import pytest

from carecase.cba.engine import compile_model
from carecase.cba.load import model_from_dict
from carecase.cba.uncertainty import switching_value

from .helpers import simple_model

SWITCH = 30 * 4.5150523


def _capital(central: float) -> dict:
    d = copy.deepcopy(simple_model())
    d["costs"][0]["amount"] = central
    plan = compile_model(model_from_dict(d))
    spec = next(s for s in plan.inputs if s.path == "costs[0].amount")
    return switching_value(plan, spec)


@pytest.mark.parametrize(("central", "status"), [
    (20.0, "found"),                             # 6.8 × the central value: inside 10 ×
    (14.0, "found"),                             # 9.7 ×
    (13.0, "found beyond the plausible range"),  # 10.4 ×
])
def test_plausible_range_is_ten_times_the_central_value(central: float, status: str) -> None:
    sv = _capital(central)
    assert sv["value"] == pytest.approx(SWITCH, rel=1e-6)
    assert sv["status"] == status
    assert sv["change"] == pytest.approx((SWITCH - central) / central, rel=1e-6)
