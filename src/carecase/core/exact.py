"""Exact sums in the engine: the same inputs give the same bytes, on every engine.

A floating-point sum depends on the order of its additions, and a parallel engine adds in a
different order from run to run, so the last digits of a total would change between runs.
Here each value is rounded half up to 10 decimal places and held as a whole number of 10⁻¹⁰s
(:func:`units`), and the whole numbers are summed as a DECIMAL of scale 0: exact, so
independent of row order, thread count and engine; the total comes back as float64
(:func:`from_units`).

Every step is chosen to be the same on DuckDB and Spark (tests/core/test_spark_parity.py):

- the rounding is float64 arithmetic, ``floor(x × 10¹⁰ + 0.5)``, which both do alike
  (IEEE 754), then a cast of that whole number to BIGINT (exact) and to DECIMAL(18, 0) (exact).
  A float64 cast straight to a DECIMAL is not the same: Spark rounds its shortest printed form,
  DuckDB its exact binary value (engine gap ``double_to_decimal_cast``);
- sums of scale-0 DECIMALs, and such sums added together, lose nothing on either engine
  (Spark rounds a DECIMAL(38, 10) sum of two to fewer places: gap ``decimal_add_precision_loss``);
- the total goes to float64 directly where DuckDB's conversion of a 128-bit integer is
  correctly rounded (from −2⁵³ to below 2⁶³; Spark's always is), and through its decimal digits
  elsewhere (both engines parse those correctly rounded); then ÷ 10¹⁰, a second rounding that
  both do alike.

One row's value must be below 10⁸ (£100 million) in size: the BIGINT and DECIMAL(18, 0) casts
fail loudly above it, on both engines, rather than lose digits.
"""

from __future__ import annotations

import decimal

import ibis
import ibis.expr.types as ir

#: a value is held as a whole number of these (10⁻¹⁰: a hundred-millionth of a penny)
PER_UNIT = 10**10
#: one row's units: 18 digits, so values below 10⁸ in size (the cast fails above)
UNIT = "decimal(18, 0)"
MAX_VALUE = 1e8


def units(x: ir.NumericValue) -> ir.DecimalValue:
    """``x`` rounded half up to 10 decimal places, as a whole number of 10⁻¹⁰s (DECIMAL(18, 0)):
    ``floor(x × 10¹⁰ + 0.5)``, the same on every engine."""
    return (x.cast("float64") * float(PER_UNIT) + 0.5).floor().cast(UNIT)


def from_units(total: ir.DecimalValue) -> ir.FloatingValue:
    """A sum of :func:`units` as float64 (÷ 10¹⁰), the same on every engine: converted
    directly where DuckDB's 128-bit integer conversion is correctly rounded (from −2⁵³ to below
    2⁶³, totals from about −£900,000 to £920 million), else through its decimal digits."""
    direct = total.cast("float64")
    parsed = total.cast("string").cast("float64")
    low, high = (ibis.literal(decimal.Decimal(v), type="decimal(38, 0)") for v in (-(2**53), 2**63))
    exact = ibis.ifelse((total >= low) & (total < high), direct, parsed)
    return exact / float(PER_UNIT)


def exact_sum(x: ir.NumericValue, where: ir.BooleanValue | None = None) -> ir.FloatingValue:
    """Sum of ``x`` (rows where ``where`` holds), each value rounded to 10 decimal places
    (:func:`units`), exact, returned as float64; 0 when nothing is summed."""
    return from_units(units(x).sum(where=where)).coalesce(0.0)


#: For sums of values in [0, 1] (shares, odds relative to the largest): each value to 30 decimal
#: places, far below float64's precision of a total of at least 1, leaving 8 digits for the total.
EXACT_FRACTION = "decimal(38, 30)"


def exact_fraction_sum(x: ir.NumericValue) -> ir.FloatingValue:
    """Sum of ``x`` (values in [0, 1], fewer than 10⁸ of them) as DECIMAL(38, 30), returned as
    float64: the same bytes whatever order a parallel engine adds in, where a float sum's last
    bits change from run to run."""
    return x.cast(EXACT_FRACTION).sum().cast("float64")
