"""Exact sums (carecase.core.exact): each value rounded half up to the 10⁻⁸ grid, then summed
as a DECIMAL, so a total is the same bytes whatever order an engine adds in. The engines'
agreement is in tests/core/test_spark_parity.py (gap double_to_decimal_cast)."""

from __future__ import annotations

import decimal
import math

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carecase.core.engine import Engine, connect_duckdb
from carecase.core.exact import GRID_BOUND, exact_sum, exact_value


def on_grid(x: float) -> decimal.Decimal:
    """The reference, in Python's IEEE 754 float arithmetic: floor(x × 10⁸ + 0.5) / 10⁸."""
    return decimal.Decimal(math.floor(x * 1e8 + 0.5)) / decimal.Decimal(10**8)


@pytest.fixture(scope="module")
def duck() -> Engine:
    engine = connect_duckdb()
    yield engine
    engine.close()


def _values(engine: Engine, xs: list[float | None]) -> list[decimal.Decimal | None]:
    t = engine.write("exact_values", pa.table({"i": list(range(len(xs))), "x": pa.array(xs, pa.float64())}))
    return [r["d"] for r in engine.to_arrow(t.select("i", d=exact_value(t.x)).order_by("i")).to_pylist()]


def test_known_values(duck: Engine) -> None:
    """Worked by hand. 10695.09427962905 is the audit person-month cost that Spark and DuckDB
    cast to different tenth decimal places (engine gap double_to_decimal_cast); on the grid it
    is 10695.09427963. Halves go up (towards +∞), as floor(x + ½) does; nulls stay null; a value
    of 2²⁵ or more keeps its float64 value."""
    xs = [10695.09427962905, 0.125, 2.4e-9, 7.5e-9, -7.5e-9, -1.25, 0.0, None, 2.0**25 + 0.5, 1e12]
    assert _values(duck, xs) == [
        decimal.Decimal("10695.09427963"), decimal.Decimal("0.125"), 0, decimal.Decimal("1E-8"),
        decimal.Decimal("-1E-8"), decimal.Decimal("-1.25"), 0, None, decimal.Decimal("33554432.5"),
        decimal.Decimal(10**12)]


finite = st.floats(min_value=-GRID_BOUND, max_value=GRID_BOUND, allow_nan=False, exclude_max=True,
                   exclude_min=True)


@settings(max_examples=60, deadline=None)
@given(st.lists(finite, min_size=1, max_size=40))
def test_every_value_is_the_reference_rounding_and_within_half_a_step(duck: Engine, xs: list[float]) -> None:
    got = _values(duck, xs)
    assert got == [on_grid(x) for x in xs]
    # floor(x·10⁸ + ½) errs from x·10⁸ by at most ½ plus half the float64 product's spacing
    # (≤ ¼ below 2²⁵ · 10⁸): always under one grid step.
    for g, x in zip(got, xs, strict=True):
        bound = (decimal.Decimal("0.5") + decimal.Decimal(math.ulp(x * 1e8)) / 2) / 10**8
        assert abs(g - decimal.Decimal(x)) <= bound < decimal.Decimal("1E-8"), x


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=2, max_size=60),
       st.randoms(use_true_random=False))
def test_the_sum_does_not_depend_on_row_order(duck: Engine, xs: list[float], rnd) -> None:
    """The total is the float64 of the exact sum of the grid values, in any row order."""
    shuffled = list(xs)
    rnd.shuffle(shuffled)
    totals = []
    for order in (xs, shuffled):
        t = duck.write("exact_order", pa.table({"x": pa.array(order, pa.float64())}))
        totals.append(duck.to_arrow(t.aggregate(s=exact_sum(t.x))).to_pylist()[0]["s"])
    assert totals[0] == totals[1] == float(sum(on_grid(x) for x in xs))
