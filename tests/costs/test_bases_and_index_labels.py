"""Costing bases the default service map does not use (per_month; per_unit on a package) and
financial-year labels in a price index CSV."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from carecase.costs.config import CostsConfig
from carecase.costs.uprate import read_index_csv, uprate

from .test_apply import UC, events_of, run

D = dt.date


def test_per_month_basis_is_days_times_12_over_365() -> None:
    """costs/mapping.py: per_month units = days × 12 / 365 × q. A 30-day temporary
    accommodation spell (1–31 Apr 2023) is 360/365 = 0.98630 months; 365 days are 12."""
    cfg = CostsConfig(service_basis={"HOU_TEMP_ACCOM": "per_month"})
    ev = events_of([("P1", "HOU_TEMP_ACCOM", "spell", D(2023, 4, 1), D(2023, 5, 1), None),
                    ("P2", "HOU_TEMP_ACCOM", "spell", D(2023, 4, 1), D(2024, 3, 31), None)])
    c, u = run(ev, cfg)
    assert u.empty
    units = c[c.activity_row].sort_values("person_id").units.tolist()
    assert units == [pytest.approx(30 * 12 / 365), pytest.approx(12.0)]


def test_per_unit_basis_costs_a_package_once_whatever_its_weekly_quantity() -> None:
    """costs/mapping.py: per_unit units = q for point/count events, 1 for a spell or package
    (its quantity is a weekly intensity, not a number of units): a 10 h/week package costed
    per_unit is one unit; 3 GP consultations are three."""
    cfg = CostsConfig(service_basis={"ASC_HOMECARE": "per_unit"})
    ev = events_of([("P1", "ASC_HOMECARE", "package", D(2023, 5, 1), D(2023, 5, 15), 10.0),
                    ("P2", "GP_APPT", "count", D(2023, 6, 1), None, 3.0)])
    c, _ = run(ev, cfg)
    f = c[c.activity_row].set_index("service_code")
    assert f.loc["ASC_HOMECARE", "units"] == 1.0
    assert f.loc["GP_APPT", "units"] == 3.0
    assert f.loc["GP_APPT", "cost"] == pytest.approx(3 * UC["HE20.2", "fiscal"])


def test_financial_year_labels_are_read_as_their_start_year(tmp_path: Path) -> None:
    """Published financial-year tables label a year '2020/21' or '2020-21' (NHS Cost Inflation
    Index, PSSRU); uprate.py keys the index by the year's first four digits, the year it starts,
    so 2020/21 is 2020 and uprating 100 from 2020/21 to 2021/22 gives 103."""
    p = tmp_path / "fy.csv"
    p.write_text("year,value\n2020/21,100\n2021-22,103\n")
    idx = read_index_csv(p)
    assert idx.values == {2020: 100.0, 2021: 103.0}
    assert uprate(100, 2020, 2021, idx) == pytest.approx(103)


def test_activity_unit_is_what_the_basis_counts_not_the_catalogue_unit() -> None:
    """An admission costed per episode counts episodes (its catalogue unit is 'bed day');
    drug treatment costed per year counts years (catalogue unit 'week'); a per-day stay keeps
    its own day-type unit; a point service per unit keeps its own unit."""
    from carecase.core.services import BY_CODE
    from carecase.costs.mapping import activity_unit

    assert activity_unit("per_episode", BY_CODE["NEL_ADMIT"]) == "episode"
    assert activity_unit("per_day", BY_CODE["NEL_ADMIT"]) == "bed day"
    assert activity_unit("per_year", BY_CODE["DA_TREATMENT"]) == "year"
    assert activity_unit("per_week", BY_CODE["DA_TREATMENT"]) == "week"
    assert activity_unit("per_day", BY_CODE["HOU_TEMP_ACCOM"]) == "night"
    assert activity_unit("per_day", BY_CODE["ASC_RESIDENTIAL"]) == "day"  # a week-unit service costed by day
    assert activity_unit("per_unit", BY_CODE["AE_ATTEND"]) == "attendance"
    assert activity_unit("per_unit", BY_CODE["ASC_HOMECARE"]) == "episode"  # a package per unit: one an event
    assert activity_unit("per_month", None) == "month"
