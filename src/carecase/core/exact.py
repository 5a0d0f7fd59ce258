"""Exact sums in the engine: the same inputs give the same bytes.

A floating-point sum depends on the order of its additions, and a parallel engine adds in a
different order from run to run, so the last digits of a total would change between runs.
Casting each value to DECIMAL(38, 10) first makes the sum exact, so independent of row order,
thread count and engine; the result is returned as float64.

A float64 is put on the 10⁻⁸ grid before that cast (:func:`exact_value`): the engines cast a
float64 to DECIMAL differently (Spark rounds its shortest printed form, DuckDB its exact binary
value: engine gap ``double_to_decimal_cast``), and both give the same decimal for a float64
that is the nearest one to a multiple of 10⁻⁸ (below 2²⁵ in size).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

EXACT = "decimal(38, 10)"

#: Values are rounded to multiples of 10⁻⁸ (a millionth of a penny, of a bed day) before they
#: are summed exactly. The float64 nearest such a multiple m is within half its spacing of m,
#: under 0.5 × 10⁻⁸ while the value is below 2²⁵ (33,554,432), so DuckDB (rounding the exact
#: binary value) and Spark (rounding the shortest decimal that prints it, which is m itself)
#: both cast it to m. Larger values (£33.5 million in one row) keep their float64 value and may
#: differ between the engines in their eighth decimal place.
GRID = 10**8
GRID_BOUND = 2.0**25
_ON_GRID = "decimal(38, 8)"

#: For DECIMAL sums that are added together afterwards (at most three): adding two
#: DECIMAL(38, 10)s needs 39 digits, which DuckDB keeps at scale 10 but Spark (its default
#: spark.sql.decimalOperations.allowPrecisionLoss) rounds to scale 9, and 8 after a third
#: term, so the total would differ between engines (carecase.core.engine_gaps). Parts cast
#: to DECIMAL(36, 10) first (up to 10^26) add up to at most 38 digits at scale 10 on both.
EXACT_PART = "decimal(36, 10)"


def exact_value(x: ir.NumericValue) -> ir.DecimalValue:
    """``x`` rounded half up to a multiple of 10⁻⁸, as DECIMAL(38, 10): the same decimal on
    every engine (values below :data:`GRID_BOUND` in size; larger ones are cast as they are).
    The rounding is float64 arithmetic, which every engine does alike (IEEE 754):
    ``floor(x × 10⁸ + 0.5) / 10⁸``."""
    x = x.cast("float64")
    bounded = ibis.greatest(ibis.least(x, GRID_BOUND), -GRID_BOUND)  # floor's BIGINT cannot overflow
    on_grid = (bounded * float(GRID) + 0.5).floor() / float(GRID)
    return ibis.ifelse(x.abs() < GRID_BOUND, on_grid, x).cast(_ON_GRID).cast(EXACT)


def exact_sum(x: ir.NumericValue, where: ir.BooleanValue | None = None) -> ir.FloatingValue:
    """Sum of ``x`` (rows where ``where`` holds), each value on the 10⁻⁸ grid
    (:func:`exact_value`), as DECIMAL(38, 10), returned as float64; 0 when nothing is summed."""
    return exact_value(x).sum(where=where).cast("float64").coalesce(0.0)


#: For sums of values in [0, 1] (shares, odds relative to the largest): each value to 30 decimal
#: places, far below float64's precision of a total of at least 1, leaving 8 digits for the total.
EXACT_FRACTION = "decimal(38, 30)"


def exact_fraction_sum(x: ir.NumericValue) -> ir.FloatingValue:
    """Sum of ``x`` (values in [0, 1], fewer than 10⁸ of them) as DECIMAL(38, 30), returned as
    float64: the same bytes whatever order a parallel engine adds in, where a float sum's last
    bits change from run to run."""
    return x.cast(EXACT_FRACTION).sum().cast("float64")
