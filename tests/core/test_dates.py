"""Date rules (carecase.core.dates): calendar months, whole days, UK financial years.

DuckDB here; the same expressions on PySpark are compared in test_spark_parity.py.
"""

from __future__ import annotations

import datetime as dt

import ibis
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carecase.core.dates import (
    add_days,
    add_months_py,
    days_between,
    fiscal_year,
    fiscal_year_expr,
    fiscal_year_label,
    month_index,
    month_index_py,
)
from carecase.core.engine import connect_duckdb

D = dt.date
dates = st.dates(min_value=D(1900, 1, 1), max_value=D(2100, 12, 31))


@pytest.fixture(scope="module")
def duck():
    engine = connect_duckdb()
    yield engine
    engine.close()


@pytest.mark.parametrize(("start", "months", "expected"), [
    (D(2024, 1, 31), 1, D(2024, 2, 29)),   # clamped to the leap-year month end
    (D(2023, 1, 31), 1, D(2023, 2, 28)),
    (D(2024, 2, 29), 12, D(2025, 2, 28)),
    (D(2024, 3, 31), -1, D(2024, 2, 29)),
    (D(2024, 12, 15), 1, D(2025, 1, 15)),
    (D(2024, 1, 15), -1, D(2023, 12, 15)),
    (D(2024, 5, 31), 0, D(2024, 5, 31)),
])
def test_add_months_clamps_to_month_end(start, months, expected):
    assert add_months_py(start, months) == expected


@given(dates.filter(lambda d: D(1901, 1, 1) <= d <= D(2099, 1, 1)), st.integers(-240, 240))
def test_add_months_moves_whole_calendar_months(d, months):
    out = add_months_py(d, months)
    assert month_index_py(out) - month_index_py(d) == months
    assert out.day <= d.day
    if out.day < d.day:  # clamped: it must be the last day of its month
        assert (out + dt.timedelta(days=1)).day == 1


@pytest.mark.parametrize(("d", "fy", "label"), [
    (D(2024, 3, 31), 2023, "2023/24"),
    (D(2024, 4, 1), 2024, "2024/25"),
    (D(2000, 1, 1), 1999, "1999/00"),
    (D(2009, 12, 31), 2009, "2009/10"),
])
def test_uk_financial_year_starts_1_april(d, fy, label):
    """HM Treasury: the financial year runs 1 April to 31 March, written 2023/24."""
    assert fiscal_year(d) == fy
    assert fiscal_year_label(fy) == label


def _pairs(duck, pairs):
    t = duck.memtable(pa.table({
        "i": pa.array(range(len(pairs)), pa.int64()),
        "s": pa.array([p[0] for p in pairs], pa.date32()),
        "e": pa.array([p[1] for p in pairs], pa.date32()),
    }))
    q = t.mutate(
        days=days_between(t.s, t.e),
        months=month_index(t.e) - month_index(t.s),
        mi=month_index(t.s),
        fy=fiscal_year_expr(t.s),
        plus3=add_days(t.s, 3),
        plus_col=add_days(t.s, (t.i % 5).cast("int64")),
    ).order_by("i")
    return duck.to_arrow(q).to_pylist()


def test_month_end_to_month_start_is_one_day_and_one_month(duck):
    [row] = _pairs(duck, [(D(2024, 1, 31), D(2024, 2, 1))])
    assert row["days"] == 1
    assert row["months"] == 1


@pytest.mark.parametrize(("start", "end", "days", "months"), [
    (D(2024, 2, 28), D(2024, 3, 1), 2, 1),     # 2024 is a leap year
    (D(2023, 2, 28), D(2023, 3, 1), 1, 1),
    (D(2000, 2, 28), D(2000, 3, 1), 2, 1),     # divisible by 400: leap
    (D(1900, 2, 28), D(1900, 3, 1), 1, 1),     # divisible by 100: not leap
    (D(2023, 12, 31), D(2024, 1, 1), 1, 1),
    (D(2024, 1, 1), D(2024, 12, 31), 365, 11),
    (D(2024, 3, 1), D(2024, 2, 1), -29, -1),
    (D(2024, 5, 5), D(2024, 5, 5), 0, 0),
])
def test_days_and_month_steps_on_duckdb(duck, start, end, days, months):
    [row] = _pairs(duck, [(start, end)])
    assert (row["days"], row["months"]) == (days, months)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.tuples(dates, dates), min_size=1, max_size=40))
def test_engine_date_arithmetic_matches_python(duck, pairs):
    rows = _pairs(duck, pairs)
    for i, ((s, e), row) in enumerate(zip(pairs, rows, strict=True)):
        assert row["days"] == (e - s).days
        assert row["months"] == month_index_py(e) - month_index_py(s)
        assert row["mi"] == month_index_py(s)
        assert row["fy"] == fiscal_year(s)
        assert row["plus3"] == s + dt.timedelta(days=3)
        assert row["plus_col"] == s + dt.timedelta(days=i % 5)


def test_month_index_is_year_times_twelve_plus_month():
    assert month_index_py(D(2024, 1, 31)) == 2024 * 12
    assert month_index_py(D(2024, 12, 1)) == 2024 * 12 + 11


def test_literal_dates_work_in_expressions(duck):
    expr = days_between(ibis.date(2024, 1, 31), ibis.date(2024, 3, 1))
    assert duck.con.execute(expr) == 30
