"""Exact sums in the engine: the same inputs give the same bytes.

A floating-point sum depends on the order of its additions, and a parallel engine adds in a
different order from run to run, so the last digits of a total would change between runs.
Casting each value to DECIMAL(38, 10) first makes the sum exact, so independent of row order,
thread count and engine; the result is returned as float64.
"""

from __future__ import annotations

import ibis.expr.types as ir

EXACT = "decimal(38, 10)"

#: For DECIMAL sums that are added together afterwards (at most three): adding two
#: DECIMAL(38, 10)s needs 39 digits, which DuckDB keeps at scale 10 but Spark (its default
#: spark.sql.decimalOperations.allowPrecisionLoss) rounds to scale 9, and 8 after a third
#: term, so the total would differ between engines (carecase.core.engine_gaps). Parts cast
#: to DECIMAL(36, 10) first (up to 10^26) add up to at most 38 digits at scale 10 on both.
EXACT_PART = "decimal(36, 10)"


def exact_sum(x: ir.NumericValue, where: ir.BooleanValue | None = None) -> ir.FloatingValue:
    """Sum of ``x`` (rows where ``where`` holds) as DECIMAL(38, 10), returned as float64;
    0 when nothing is summed."""
    return x.cast(EXACT).sum(where=where).cast("float64").coalesce(0.0)


#: For sums of values in [0, 1] (shares, odds relative to the largest): each value to 30 decimal
#: places, far below float64's precision of a total of at least 1, leaving 8 digits for the total.
EXACT_FRACTION = "decimal(38, 30)"


def exact_fraction_sum(x: ir.NumericValue) -> ir.FloatingValue:
    """Sum of ``x`` (values in [0, 1], fewer than 10⁸ of them) as DECIMAL(38, 30), returned as
    float64: the same bytes whatever order a parallel engine adds in, where a float sum's last
    bits change from run to run."""
    return x.cast(EXACT_FRACTION).sum().cast("float64")
