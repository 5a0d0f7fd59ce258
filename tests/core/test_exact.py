"""Exact sums (carecase.core.exact): each value rounded half up to 10 decimal places and held
as a whole number of 10⁻¹⁰s, summed as a DECIMAL of scale 0, so a total is the same bytes
whatever order an engine adds in. The engines' agreement is in tests/core/test_spark_parity.py
(gap double_to_decimal_cast)."""

from __future__ import annotations

import decimal
import math

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carecase.core.engine import Engine, connect_duckdb
from carecase.core.exact import MAX_VALUE, PER_UNIT, exact_sum, from_units, units


def reference_units(x: float) -> int:
    """The reference, in Python's IEEE 754 float arithmetic: floor(x × 10¹⁰ + 0.5)."""
    return math.floor(x * float(PER_UNIT) + 0.5)


@pytest.fixture(scope="module")
def duck() -> Engine:
    engine = connect_duckdb()
    yield engine
    engine.close()


def _units(engine: Engine, xs: list[float | None]) -> list[decimal.Decimal | None]:
    t = engine.write("exact_values", pa.table({"i": list(range(len(xs))), "x": pa.array(xs, pa.float64())}))
    return [r["u"] for r in engine.to_arrow(t.select("i", u=units(t.x)).order_by("i")).to_pylist()]


def test_known_values(duck: Engine) -> None:
    """Worked by hand. 10695.09427962905 (exactly 10695.0942796290491…) is the audit person-month
    cost that Spark casts to DECIMAL(38, 10) as 10695.0942796291 and DuckDB as …6290 (engine gap
    double_to_decimal_cast); here it is 106950942796290 ten-billionths. Halves go up (towards
    +∞), as floor(x + ½) does; nulls stay null; 10⁷ keeps every place."""
    xs = [10695.09427962905, 0.125, 2.4e-11, 7.5e-11, -7.5e-11, -1.25, 0.0, None, 1e7 + 0.5]
    assert _units(duck, xs) == [106950942796290, 1250000000, 0, 1, -1, -12500000000, 0, None,
                                100000005000000000]


def test_a_value_of_100_million_or_more_in_one_row_fails_loudly(duck: Engine) -> None:
    """A row's units must fit DECIMAL(18, 0): above, the cast fails rather than lose digits."""
    t = duck.write("exact_big", pa.table({"x": pa.array([MAX_VALUE * 1.5], pa.float64())}))
    with pytest.raises(Exception, match="(?i)out of range|overflow|could not (convert|cast)"):
        duck.to_arrow(t.select(u=units(t.x)))


finite = st.floats(min_value=-MAX_VALUE, max_value=MAX_VALUE, allow_nan=False, exclude_max=True,
                   exclude_min=True)


@settings(max_examples=60, deadline=None)
@given(st.lists(finite, min_size=1, max_size=40))
def test_every_value_is_the_reference_rounding_within_one_unit(duck: Engine, xs: list[float]) -> None:
    got = _units(duck, xs)
    assert got == [reference_units(x) for x in xs]
    # floor(x·10¹⁰ + ½) errs from x·10¹⁰ by at most ½ plus the float64 product's rounding (half
    # its spacing, under 64 below 10¹⁸): under 10⁻⁸ of a pound at worst, 10⁻¹⁰ below about 2¹⁸
    for g, x in zip(got, xs, strict=True):
        exact = decimal.Decimal(x) * PER_UNIT
        assert abs(g - exact) <= decimal.Decimal("0.5") + decimal.Decimal(math.ulp(x * float(PER_UNIT))), x


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=2, max_size=60),
       st.randoms(use_true_random=False))
def test_the_sum_does_not_depend_on_row_order(duck: Engine, xs: list[float], rnd) -> None:
    """The total is the float64 nearest the exact sum of the units, ÷ 10¹⁰, in any row order."""
    shuffled = list(xs)
    rnd.shuffle(shuffled)
    totals = []
    for order in (xs, shuffled):
        t = duck.write("exact_order", pa.table({"x": pa.array(order, pa.float64())}))
        totals.append(duck.to_arrow(t.aggregate(s=exact_sum(t.x))).to_pylist()[0]["s"])
    assert totals[0] == totals[1] == float(sum(reference_units(x) for x in xs)) / PER_UNIT


def test_totals_convert_correctly_rounded_at_every_size_and_sign(duck: Engine) -> None:
    """from_units: DuckDB's 128-bit integer to float64 conversion is not correctly rounded for
    negatives below −2⁵³ or values of 2⁶⁴ and more (found: about 1 in 50 such values), so those
    go through their digits; every total here is the float64 nearest it ÷ 10¹⁰ as Python's
    exact integers give it."""
    import random

    rnd = random.Random(20261206)
    totals = [rnd.getrandbits(rnd.choice([30, 53, 60, 64, 70, 100, 120])) * rnd.choice([1, -1]) for _ in range(3000)]
    t = duck.write("exact_totals", pa.table({"i": list(range(len(totals))), "s": [str(v) for v in totals]}))
    rows = duck.to_arrow(t.select("i", f=from_units(t.s.cast("decimal(38, 0)"))).order_by("i")).to_pylist()
    assert [r["f"] for r in rows] == [float(v) / PER_UNIT for v in totals]
