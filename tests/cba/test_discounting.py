from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from carecase.cba.discounting import HEALTH, STANDARD, discount_factors, present_value
from carecase.cba.load import model_from_dict

from .helpers import npv_of, simple_model

SHARED = Path("/work/shared/data/green_book_discount_schedule.csv")


@pytest.mark.parametrize(("year", "expected"), [
    (0, 1.0), (1, 0.9662), (2, 0.9335), (3, 0.9019), (4, 0.8714), (5, 0.8420), (10, 0.7089),
    (30, 0.3563), (31, 0.3459)])
def test_standard_schedule_known_answers(year: int, expected: float) -> None:
    """HM Treasury Green Book (2022) Annex A6 / supplementary discounting guidance: standard
    3.5% discount factors (year 31 compounds the 3.0% band on DF(30))."""
    assert round(float(discount_factors(40, STANDARD)[year]), 4) == expected


def test_band_compounds_on_previous_band() -> None:
    """Green Book: DF(31) = DF(30) / 1.030."""
    df = discount_factors(40, STANDARD)
    assert df[31] == pytest.approx(df[30] / 1.030, rel=1e-12)


@pytest.mark.parametrize(("year", "expected"), [(1, 0.9852), (30, 0.6398)])
def test_health_schedule_known_answers(year: int, expected: float) -> None:
    """Green Book (2022) health discount rate 1.5%: DF(1) 0.9852, DF(30) 0.6398."""
    assert round(float(discount_factors(40, HEALTH)[year]), 4) == expected


def test_npv_known_answer() -> None:
    """NPV of −100 now and 30 a year for five years at 3.5% = 35.45 (Green Book discounting:
    −100 + 30 × Σ_{t=1..5} 1.035^−t)."""
    assert round(npv_of(simple_model()), 2) == 35.45
    flows = np.array([-100.0, 30, 30, 30, 30, 30])
    assert round(float(present_value(flows, discount_factors(6))), 2) == 35.45


def test_standard_schedule_named_in_model() -> None:
    m = model_from_dict(simple_model(discounting={"schedule": "standard"}))
    assert m.discounting.schedule_bands() == STANDARD


@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=40))
def test_zero_discounting_gives_the_undiscounted_sum(flows: list[float]) -> None:
    df = discount_factors(len(flows), ((0, 0.0),))
    assert float(present_value(np.array(flows), df)) == pytest.approx(sum(flows), abs=1e-6)


@given(st.integers(2, 350))
def test_factors_fall_with_time(n: int) -> None:
    df = discount_factors(n, STANDARD)
    assert df[0] == 1.0 and np.all(np.diff(df) < 0)


@pytest.mark.skipif(not SHARED.exists(), reason="shared reference data (/work/shared) absent")
def test_transcribed_schedule_matches_reference_file() -> None:
    import csv

    rows = list(csv.DictReader(SHARED.open()))
    assert [(int(r["year_from"]), float(r["standard"])) for r in rows] == list(STANDARD)
    assert [(int(r["year_from"]), float(r["health"])) for r in rows] == list(HEALTH)
