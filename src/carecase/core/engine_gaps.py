"""Known differences between engines, as data. Tests read this list
(tests/core/test_spark_parity.py): each gap's ``error`` names what the engine that differs
does, and its check asserts exactly that there (never skipped): a raised error by name, or
``different-result``, where both engines run the operation and the check shows the results
differ as the note says (and, where carecase works round it, that its way agrees on both)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Gap:
    operation: str
    engine: str
    error: str
    note: str


GAPS: tuple[Gap, ...] = (
    Gap(
        "ibis_month_delta",
        "spark",
        "different-result",
        "Ibis delta(unit='month') counts whole months on Spark but calendar boundaries on DuckDB; "
        "carecase uses carecase.core.dates.month_index everywhere instead.",
    ),
    Gap(
        "decimal_add_precision_loss",
        "spark",
        "different-result",
        "Adding two DECIMAL(38, 10) values needs 39 digits: DuckDB keeps scale 10, Spark "
        "(spark.sql.decimalOperations.allowPrecisionLoss, its default) rounds the sum to scale 9 "
        "(0.0000000001 + 0.0000000001 = 0); carecase's exact sums are whole numbers of 10^-10s "
        "(carecase.core.exact.units, scale 0), which add without loss on both.",
    ),
    Gap(
        "double_to_decimal_cast",
        "spark",
        "different-result",
        "CAST of a float64 to DECIMAL(38, 10) rounds the shortest decimal that prints it on "
        "Spark (10695.09427962905 -> 10695.0942796291), the exact binary value on DuckDB "
        "(10695.094279629049... -> 10695.0942796290): about 1 value in 1,000 differs in its "
        "tenth decimal place. carecase.core.exact never casts a float64 to a DECIMAL: it rounds "
        "in float64 arithmetic, which both engines do alike (units: floor(x * 10^10 + 0.5)), "
        "and casts that whole number, so exact sums agree.",
    ),
    Gap(
        "float_exp_last_bit",
        "spark",
        "different-result",
        "exp() of a float64 is Java's on Spark and the C library's on DuckDB, and about 1 value in "
        "10 differs in its last bit (exp(-9.453911688259707): 7.838235746546746e-05 on Spark, "
        "...745e-05 on DuckDB and numpy). Linkage's person probability is built from 2^(w - w_max) "
        "(carecase.link.resolve) and Splink's match probabilities from its own powers, so they can "
        "differ between the engines in their last bit (not worked around; a probability within a "
        "bit of linkage.threshold could fall on either side).",
    ),
    Gap(
        "splink_jaro_winkler",
        "spark",
        "different-result",
        "Splink's Jaro-Winkler on Spark (the UDF in its jar) is not DuckDB's "
        "jaro_winkler_similarity: CARL/CLAIRE scores 0.7875 on Spark, 0.825 on DuckDB (about 1 "
        "name pair in 80 scores differently; 4 in 79,800 fall on the other side of the 0.8 or "
        "0.92 level), so a few pairs land in another name level and u and match weights "
        "differ (not worked around).",
    ),
)
