"""Only fiscal benefit can be cashable.

HM Treasury / New Economy (2014), *Supporting public service transformation: cost benefit
analysis guidance for local partnerships*: fiscal benefits (savings to public budgets) are
split into cashable and non-cashable; economic and social value are not budget savings.
docs/cba.md: ``cashable`` is "agency → share of its **fiscal** benefit that is cashable".
No test pinned this. The headline is guarded twice (engine.evaluate gives only fiscal
components a cashable share, and engine.totals sums only the fiscal slice), so removing the
first guard leaves the totals right but shows a 50% cashable share against the economic
rows of results.json's benefit breakdown and the workbook's Benefits sheet; that mutation
left the CBA suite green (this audit). Expected values by hand, undiscounted.
"""

from __future__ import annotations

import pytest

from carecase.cba.load import model_from_dict
from carecase.cba.results import analyse

from .helpers import simple_model


def test_an_agencys_economic_value_is_never_cashable() -> None:
    """£30 fiscal and £20 economic a year to LA for five years, half of LA's fiscal
    cashable, £100 capital: PV cashable = 5 × 30 × 0.5 = 75 (not 5 × 50 × 0.5 = 125);
    cashable ROI 0.75; net present budget impact 75 − 100 = −25; fiscal PV 150."""
    d = simple_model(discounting={"schedule": "custom", "rate": 0.0}, cashable={"LA": 0.5})
    d["outcomes"][0]["values"].append({"agency": "LA", "value_type": "economic", "amount": 20})
    r = analyse(model_from_dict(d), uncertainty=False)
    h = r["headline"]
    assert h["pv_cashable"] == pytest.approx(75.0)
    assert h["roi_cashable"] == pytest.approx(0.75)
    assert h["net_present_budget_impact"] == pytest.approx(-25.0)
    assert h["pv_fiscal"] == pytest.approx(150.0)
    assert h["pv_public_value"] == pytest.approx(250.0)
    shares = {(row["value_type"], row["cashable_share"]) for row in r["benefits"]}
    assert shares == {("fiscal", 0.5), ("economic", 0.0)}
