"""A costing basis must count the time its unit cost prices: SS7.0 is £ a week, so counting a
residential placement per day priced each day as a week (7 times the cost), per month each
month as a week (a quarter of it), with nothing said."""

from __future__ import annotations

import pytest

from carecase.core.errors import CostError
from carecase.costs.config import CostsConfig
from carecase.costs.library import load_library
from carecase.costs.mapping import basis_mismatches, priced_basis
from carecase.costs.stage import check_bases, map_frame

LIB = load_library(2024)


@pytest.mark.parametrize(("unit", "basis"), [
    ("Per week", "per_week"), ("Per bed day", "per_day"), ("Per night", "per_day"), ("Per hour", "per_hour"),
    ("Per claimant per year", "per_year"), ("Per person per year", "per_year"), ("Per month", "per_month"),
    ("Per incident", "event"), ("Per episode", "event"), ("per placement-week", "per_week"), ("", None),
])
def test_the_time_a_unit_cost_prices(unit: str, basis: str | None) -> None:
    assert priced_basis(unit) == basis


def test_the_default_map_agrees_with_the_library() -> None:
    check_bases(map_frame(CostsConfig()), LIB)


@pytest.mark.parametrize("basis", ["per_day", "per_month", "per_episode"])
def test_a_weekly_cost_counted_another_way_is_refused(basis: str) -> None:
    cfg = CostsConfig(service_basis={"ASC_RESIDENTIAL": basis})
    with pytest.raises(CostError) as err:
        check_bases(map_frame(cfg), LIB)
    text = str(err.value)
    assert f"ASC_RESIDENTIAL: costed {basis}" in text and "SS7.0 is 'Per week'" in text
    assert "costs.service_basis.ASC_RESIDENTIAL to per_week" in text


def test_a_count_per_unit_may_count_weeks_and_an_event_cost_may_be_per_episode() -> None:
    """per_unit counts the quantity in the price's own unit (weeks of support at a weekly
    cost); an event's price counts per unit or per episode; a time basis on it does not."""
    assert basis_mismatches([("X", "per_unit", "SS7.0", "Per week"), ("Y", "per_episode", "HE4.0", "Per incident"),
                             ("Z", "per_unit", "HE4.0", "Per incident")]) == []
    (only,) = basis_mismatches([("A", "per_day", "HE4.0", "Per incident")])
    assert only.startswith("A: costed per_day") and "to per_unit or per_episode" in only


def test_per_unit_on_a_placement_priced_by_time_is_refused() -> None:
    """Review finding: service_basis ASC_RESIDENTIAL: per_unit passed the check, and a 366-day
    placement was costed as one week of SS7.0 (£729.54 where 366/7 weeks is £38,145): on a
    spell or package per_unit counts the stay once, as per_episode does, which is refused
    against a weekly price. On a count it counts the quantity in the price's own unit."""
    cfg = CostsConfig(service_basis={"ASC_RESIDENTIAL": "per_unit"})
    with pytest.raises(CostError) as err:
        check_bases(map_frame(cfg), LIB)
    assert "ASC_RESIDENTIAL: costed per_unit" in str(err.value)
    assert "costs.service_basis.ASC_RESIDENTIAL to per_week" in str(err.value)
    assert basis_mismatches([("S", "per_unit", "X", "Per placement")], ranged={"S"}) == []
    assert basis_mismatches([("C", "per_unit", "SS7.0", "Per week")], ranged={"S"}) == []
