"""Every row of the default optimism-bias table, through the engine.

HM Treasury, Public Service Transformation Network and New Economy (April 2014),
*Supporting public service transformation: cost benefit analysis guidance for local
partnerships* (ISBN 978-1-909790-72-8), confidence-grade tables for costs (chapter 6) and
benefits (chapter 7): the optimism-bias correction by confidence grade of the evidence is
1: 0%, 2: 5%, 3: 10%, 4: 15%, 5: 25%, 6: 40%, added to costs and taken off benefits.
The other CBA tests pin grades 1, 2, 4, 5 and 6 one at a time; grade 3 (10%) was pinned by
none, so a typo in it survived the whole CBA suite (mutation 0.10 → 0.12, this audit).
The expected values below are the published percentages applied by hand, not the engine's
output.
"""

from __future__ import annotations

import copy

import pytest

from carecase.cba.engine import compile_model, evaluate
from carecase.cba.load import model_from_dict

from .helpers import npv_of, simple_model

NO_DISCOUNT = {"schedule": "custom", "rate": 0.0}

#: grade → (cost of £100 after the uplift, benefit of £30 after the correction, a
#: disbenefit of −£30 after the correction), each worked from the published percentage.
PUBLISHED = {
    1: (100.0, 30.0, -30.0),
    2: (105.0, 28.5, -31.5),
    3: (110.0, 27.0, -33.0),
    4: (115.0, 25.5, -34.5),
    5: (125.0, 22.5, -37.5),
    6: (140.0, 18.0, -42.0),
}


def _model(grade: int, amount: float) -> dict:
    d = simple_model(discounting=NO_DISCOUNT)
    d["costs"][0]["confidence_grade"] = grade
    d["outcomes"][0]["confidence_grade"] = grade
    d["outcomes"][0]["values"][0]["amount"] = amount
    return d


@pytest.mark.parametrize("grade", sorted(PUBLISHED))
def test_default_optimism_bias_by_confidence_grade(grade: int) -> None:
    cost, benefit, disbenefit = PUBLISHED[grade]
    plan = compile_model(model_from_dict(_model(grade, 30)))
    fl = evaluate(plan, plan.central_values())
    assert fl.cost_items[0, 0, 0] == pytest.approx(cost, rel=1e-12)
    assert fl.net[0, 0, 1] == pytest.approx(benefit, rel=1e-12)
    # five years of the corrected benefit less the uplifted cost, undiscounted
    assert npv_of(_model(grade, 30)) == pytest.approx(5 * benefit - cost, rel=1e-12)
    plan = compile_model(model_from_dict(copy.deepcopy(_model(grade, -30))))
    assert evaluate(plan, plan.central_values()).net[0, 0, 1] == pytest.approx(disbenefit, rel=1e-12)
