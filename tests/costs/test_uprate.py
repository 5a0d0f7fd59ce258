"""Uprating: the GMCA workbook's own known answers, the HMT deflator and the calendar →
financial year rule."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carecase.core.errors import CostError
from carecase.costs.uprate import (
    PriceIndex,
    financial_from_calendar,
    load_index,
    read_index_csv,
    uprate,
)

DATA = Path(__file__).resolve().parents[2] / "src" / "carecase" / "costs" / "data"


@pytest.fixture(scope="module")
def gmca_index() -> PriceIndex:
    return read_index_csv(DATA / "gmca_gdp_index.csv", "gmca")


def test_ss1_child_into_care_2013_to_2015(gmca_index: PriceIndex) -> None:
    """GMCA Unit Cost Database v1.4 (Social Services sheet, SS1.0): £51,080 at 2013/14 is
    £52,675.64 at 2015/16 by the workbook's own GDP index (Lookups sheet, 1989/90 = 100)."""
    assert round(uprate(51080, 2013, 2015, gmca_index), 2) == 52675.64


def test_he1_alcohol_2009_to_2015(gmca_index: PriceIndex) -> None:
    """GMCA Unit Cost Database v1.4 (Health sheet, HE1.0): £1,800 at 2009/10 is £2,014.98
    at 2015/16 by the workbook's own GDP index."""
    assert round(uprate(1800, 2009, 2015, gmca_index), 2) == 2014.98


def test_gmca_index_is_chained_from_annual_changes(gmca_index: PriceIndex) -> None:
    """GMCA v1.4 Lookups: index(1989/90) = 100, index(1990/91) = 100 × (1 + 8.27%)."""
    assert gmca_index.values[1989] == 100
    assert gmca_index.values[1990] == pytest.approx(108.27)


def test_financial_year_from_calendar_years() -> None:
    """carecase rule (costs/uprate.py): FY y/y+1 = 0.75·CY(y) + 0.25·CY(y+1): April-December
    fall in calendar year y, January-March in y+1. HMT GDP deflator (Dec 2025 QNA, 2024 = 100):
    CY2023 96.2507, CY2024 100 → FY2023/24 = 97.188025."""
    idx = load_index("hmt_gdp")
    assert idx.values[2023] == pytest.approx(0.75 * 96.2507 + 0.25 * 100)
    assert 2024 in idx.approximate and 2023 not in idx.approximate
    assert idx.values[2024] == 100


def test_calendar_rule_on_constant_and_linear_series() -> None:
    fy, approx = financial_from_calendar({2000: 10.0, 2001: 14.0, 2002: 18.0})
    assert fy[2000] == 11.0 and fy[2001] == 15.0 and fy[2002] == 18.0
    assert approx == frozenset({2002})


def test_missing_year_names_the_range(gmca_index: PriceIndex) -> None:
    with pytest.raises(CostError, match="no value for financial year 2030/31"):
        uprate(1.0, 2030, 2015, gmca_index)


def test_user_index_csv(tmp_path: Path) -> None:
    p = tmp_path / "nhs_cii.csv"
    p.write_text("year,value\n2020,100\n2021,103\n")
    idx = read_index_csv(p)
    assert uprate(100, 2020, 2021, idx) == pytest.approx(103)
    bad = tmp_path / "bad.csv"
    bad.write_text("year,value\n2020,abc\n")
    with pytest.raises(CostError, match="row 1"):
        read_index_csv(bad)


years = st.integers(1991, 2023)


HMT = load_index("hmt_gdp")


@settings(deadline=None)
@given(years, years, years, st.floats(0.01, 1e7))
def test_uprating_chains_and_round_trips(a: int, b: int, c: int, v: float) -> None:
    idx = HMT
    assert uprate(uprate(v, a, b, idx), b, c, idx) == pytest.approx(uprate(v, a, c, idx), rel=1e-12)
    assert uprate(uprate(v, a, b, idx), b, a, idx) == pytest.approx(v, rel=1e-12)
    assert uprate(v, a, b, idx) > 0


@pytest.mark.parametrize("text,message", [
    ("year,value\n2020,100\n2020,103\n", r"rows 1, 2: year 2020 is given more than once"),
    ("year,value\n2020,inf\n2021,103\n", r"row 1: year '2020' / value 'inf'"),
    ("year,value\n20201,100\n2021,103\n", r"row 1: year '20201'"),
    ("year,value,basis\n2020,100,financial\n2021,103,calendar\n", "basis mixes calendar, financial"),
    ("year,value\n", "has no rows"),
    ("", "is empty"),
])
def test_bad_index_csvs_are_refused(tmp_path: Path, text: str, message: str) -> None:
    """A repeated year (last one won), an infinite value, a year such as 20201 read as 2020,
    mixed bases (the first row's was used) were taken silently; an empty file crashed."""
    p = tmp_path / "index.csv"
    p.write_text(text)
    with pytest.raises(CostError, match=message):
        read_index_csv(p)
