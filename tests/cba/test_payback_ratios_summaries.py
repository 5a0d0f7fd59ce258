"""Known answers for the CBA headline measures the other tests leave loose: discounted payback,
the fiscal ROI, Monte Carlo summary statistics and the switching value's relative change."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from carecase.cba.engine import compile_model
from carecase.cba.load import model_from_dict
from carecase.cba.results import analyse
from carecase.cba.uncertainty import Draws, monte_carlo_summary, summarise, switching_value

from .helpers import simple_model

NO_DISCOUNT = {"schedule": "custom", "rate": 0.0}


def _plan(d):
    return compile_model(model_from_dict(copy.deepcopy(d)))


def test_payback_uses_discounted_cumulative_net() -> None:
    """Payback = first year from which the cumulative *discounted* net stays >= 0 (results.py;
    Green Book discounting). −100 in year 0, +25 a year in years 1–5 at 3.5%: cumulative
    discounted net is 25 × 3.67308 − 100 = −8.17 at year 4 and 25 × 4.51505 − 100 = +12.88 at
    year 5, so payback is year 5 (undiscounted it would be year 4, where −100 + 4 × 25 = 0)."""
    d = simple_model()
    d["outcomes"][0]["values"][0]["amount"] = 25
    h = analyse(model_from_dict(d), uncertainty=False)["headline"]
    assert h["payback_year"] == 5
    assert h["npv"] == pytest.approx(25 * 4.515052 - 100, abs=1e-3)


def test_payback_counts_the_year_the_cumulative_net_reaches_exactly_zero() -> None:
    """'Stays >= 0' includes 0: −100 then +50 a year undiscounted gives −100, −50, 0, 50, ...
    so payback is year 2, not year 3."""
    d = simple_model(discounting=NO_DISCOUNT)
    d["outcomes"][0]["values"][0]["amount"] = 50
    assert analyse(model_from_dict(d), uncertainty=False)["headline"]["payback_year"] == 2


def test_fiscal_roi_counts_all_fiscal_benefit_financial_roi_only_cashable() -> None:
    """results.py: roi_fiscal = PV(all fiscal benefits) / PV(costs); roi_cashable = PV(cashable
    fiscal benefits) / PV(costs); bcr = PV(public value) / PV(costs). 5 × £30 fiscal to LA, half
    cashable, £100 cost, undiscounted: 1.5, 0.75 and 1.5."""
    d = simple_model(discounting=NO_DISCOUNT, cashable={"LA": 0.5})
    h = analyse(model_from_dict(d), uncertainty=False)["headline"]
    assert h["roi_fiscal"] == pytest.approx(1.5)
    assert h["roi_cashable"] == pytest.approx(0.75)
    assert h["bcr"] == pytest.approx(1.5)


def test_summary_sd_is_the_sample_sd() -> None:
    """Monte Carlo summaries report the sample SD (n − 1): [1, 2, 3, 4] → sqrt(5/3) = 1.29099
    (the population SD would be 1.11803); median 2.5."""
    s = summarise(np.array([1.0, 2.0, 3.0, 4.0]), bins=4)
    assert s["sd"] == pytest.approx(np.sqrt(5 / 3))
    assert s["mean"] == 2.5 and s["percentiles"]["p50"] == 2.5
    assert s["histogram"]["counts"] == [1, 1, 1, 1]
    # skewed, so the mean is not the median (a test review reported the median as the mean
    # and [1, 2, 3, 4] still passed): [1, 2, 3, 10] → mean 4, median 2.5, SD sqrt(50/3)
    skewed = summarise(np.array([1.0, 2.0, 3.0, 10.0]), bins=4)
    assert skewed["mean"] == 4.0 and skewed["percentiles"]["p50"] == 2.5
    assert skewed["sd"] == pytest.approx(np.sqrt(50 / 3))


def test_probabilities_of_positive_npv_and_payback_within_period() -> None:
    """P(NPV > 0) counts strictly positive draws (NPV = 0 is not a gain); P(payback within the
    period) counts payback in year 0 as within it (-1 = not within). Four draws: NPV 0, 1,
    −1, 2 → 0.5; payback 0, −1, 3, 0 → 0.75."""
    plan = _plan(simple_model())
    t = Draws(npv=np.array([0.0, 1.0, -1.0, 2.0]), pv_costs=np.array([1.0, 1.0, 1.0, 1.0]),
              pv_public_value=np.array([1.0, 2.0, 0.0, 3.0]), agency_net_pv=np.zeros((4, 1)),
              payback_year=np.array([0, -1, 3, 0]))
    s = monte_carlo_summary(plan, t)
    assert s["p_npv_positive"] == 0.5
    assert s["p_payback_within_period"] == 0.75


def test_switching_value_change_is_relative_to_the_base_value() -> None:
    """change = (switching value − base) / base: capital 100 switches at 135.4516 (see
    test_switching_value_known_answer), a change of +35.45%."""
    plan = _plan(simple_model())
    spec = next(s for s in plan.inputs if s.path == "costs[0].amount")
    sv = switching_value(plan, spec)
    assert sv["change"] == pytest.approx(0.354515712641, rel=1e-9)


def test_every_assumption_says_what_it_counts() -> None:
    """The register's unit column was '–' for every input: a £3,200 keyworker cost could be per
    person or per year."""
    from carecase.cba.results import analyse

    from .helpers import rich_model

    res = analyse(model_from_dict(rich_model()), draws=200)
    units = {a["path"]: a["unit"] for a in res["assumptions"]}
    assert all(units.values()), [p for p, u in units.items() if not u]
    assert units["costs[0].amount"] == "£ in year 0"  # capital, default year
    per_participant = [p for p, u in units.items() if u == "£ per engaged participant a year"]
    assert per_participant and units["cohorts[0].need.0"] == "people"
    assert units["cohorts[0].engagement_rate"] == "share" and units["outcomes[0].deadweight"] == "share"
