"""Person-time in the cohort table: each person's days in the audit window cut to their
registration and death (tables.observed_days), and cost per observed person-year beside the
whole-window cost per person per year."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from carecase.audit.tables import cohort_vs_population, observed_days

from .test_periods import ENG

D = dt.date
START, END = D(2023, 4, 1), D(2024, 4, 1)  # [start, end): 366 days (2024 is a leap year)


def tables():
    people = ENG.write("_pt_people", pa.table({
        "person_id": ["A", "B", "C", "E"],
        "registered_from": pa.array([D(2000, 1, 1), D(2000, 1, 1), D(2024, 1, 1), D(2000, 1, 1)], pa.date32()),
        "registered_to": pa.array([None, None, None, D(2023, 3, 31)], pa.date32()),
        "date_of_death": pa.array([None, D(2023, 9, 30), None, None], pa.date32()),
    }))
    population = ENG.write("_pt_pop", pa.table({"person_id": ["A", "B", "C", "D", "E"]}))
    totals = ENG.write("_pt_totals", pa.table({
        "person_id": ["A", "B", "D"], "cost": [1000.0, 1830.0, 366.0],
        "fiscal_cost": [1000.0, 1830.0, 366.0], "economic_cost": [0.0, 0.0, 0.0]}))
    cohort = ENG.write("_pt_cohort", pa.table({"person_id": ["A", "B"]}))
    return people, population, totals, cohort


def test_observed_days_are_cut_to_registration_and_death() -> None:
    """A: registered throughout, 366 days. B: died 30 Sep 2023, counted to that day inclusive
    (1 Apr – 30 Sep = 183 days). C: registered from 1 Jan 2024 (1 Jan – 31 Mar = 91 days).
    D: not in the people table, the whole window. E: left before the window, 0 days."""
    people, population, _, _ = tables()
    got = observed_days(population, people, START, END).order_by("person_id").to_pyarrow().to_pydict()
    assert dict(zip(got["person_id"], got["days"], strict=True)) == {"A": 366, "B": 183, "C": 91, "D": 366, "E": 0}
    whole = observed_days(population, None, START, END).to_pyarrow().to_pydict()
    assert set(whole["days"]) == {366}


def test_cost_per_observed_person_year() -> None:
    """Cohort A + B: £2,830 over 549 days = 1.50308 person-years, £1,882.79 per observed
    person-year; per person per year of the window it is £2,830 ÷ 2 ÷ 1 = £1,415 (B's death
    halves his share of the denominator only in the first). Rest: C, D, E, £366 over 457
    days. All: £3,196 over 1,006 days."""
    people, population, totals, cohort = tables()
    obs = observed_days(population, people, START, END)
    got = cohort_vs_population(totals, population, cohort, 1.0, obs).to_pyarrow().to_pandas().set_index("group")
    assert got.loc["cohort", "person_years"] == pytest.approx(549 / 365.25)
    assert got.loc["cohort", "cost_per_observed_person_year"] == pytest.approx(2830 / (549 / 365.25))
    assert got.loc["cohort", "cost_per_person_year"] == pytest.approx(1415.0)
    assert got.loc["rest of population", "person_years"] == pytest.approx(457 / 365.25)
    assert got.loc["all", "person_years"] == pytest.approx(1006 / 365.25)
    assert got.loc["all", "cost_per_observed_person_year"] == pytest.approx(3196 / (1006 / 365.25))
    assert "person_days" not in got.columns
    plain = cohort_vs_population(totals, population, cohort, 1.0).to_pyarrow().to_pandas()
    assert "person_years" not in plain.columns


def test_a_fully_observed_cohort_has_one_rate_per_year(tmp_path) -> None:
    """cost_per_person_year (every person for the whole window) and cost_per_observed_person_year
    (observed days ÷ 365.25) used two years: 12 calendar months and 365.25 days, £8,896.51 and
    £8,892.86 on one demo, 8.7% apart for a February window. The stage's window years are its
    days ÷ 365.25 (tests/audit/test_stage.py checks the stage passes them), so with everyone
    observed throughout the two agree."""
    import datetime as dt

    start, end = dt.date(2024, 2, 1), dt.date(2024, 3, 1)
    people, population, totals, cohort = tables()
    obs = observed_days(population, None, start, end)
    years = (end - start).days / 365.25
    got = cohort_vs_population(totals, population, cohort, years, obs).to_pyarrow().to_pandas().set_index("group")
    assert got.loc["cohort", "cost_per_person_year"] == pytest.approx(got.loc["cohort", "cost_per_observed_person_year"])
