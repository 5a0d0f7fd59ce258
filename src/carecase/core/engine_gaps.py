"""Known differences between engines, as data. Tests read this list: each gap is
asserted to raise the named error on the engine that lacks the feature (never skipped)."""

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
)
