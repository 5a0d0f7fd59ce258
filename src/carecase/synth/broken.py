"""Broken rows planted at known counts, the way real extracts break: impossible dates,
end before start, blank identifiers, exact duplicate rows, NHS numbers failing the
Modulus 11 check and negative quantities. The counts go to truth.json."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from carecase.synth.formatting import date_strings, impossible_dates, year_of
from carecase.synth.nhs_number import break_check_digit, format_nhs
from carecase.synth.population import NONE

KINDS: tuple[str, ...] = (
    "impossible_date", "end_before_start", "blank_identifier", "duplicate_row", "nhs_number_invalid",
    "negative_quantity",
)
BROKEN_SHARE = 0.002  # of a source's rows, per kind: at least one, at most 1 in 25 rows


@dataclass
class Layout:
    """Where a source keeps what the planting needs to touch."""

    start_column: str
    start_format: str  # strftime format of the start column (date part and time, if any)
    id_columns: tuple[str, ...]
    end_column: str | None = None
    end_format: str | None = None
    nhs_column: str | None = None
    nhs_style: str = "plain"
    quantity_column: str | None = None
    kinds: tuple[str, ...] = ("impossible_date", "blank_identifier", "duplicate_row")


@dataclass
class Planted:
    table: pa.Table
    person: np.ndarray  # true person per final row
    kind: np.ndarray  # int8 per final row: 0 clean, else 1 + index in KINDS
    counts: dict[str, int] = field(default_factory=dict)


def kind_code(kind: str) -> int:
    return KINDS.index(kind) + 1


def planted_count(rows: int) -> int:
    return min(max(1, int(round(rows * BROKEN_SHARE))), max(1, rows // 25))


def _replace(table: pa.Table, column: str, rows: np.ndarray, values: pa.Array | list) -> pa.Table:
    mask = np.zeros(table.num_rows, dtype=bool)
    mask[rows] = True
    col = table.column(column).combine_chunks()
    order = np.argsort(rows, kind="stable")
    vals = pa.array(values, type=col.type) if not isinstance(values, pa.Array) else values.cast(col.type)
    new = pc.replace_with_mask(col, pa.array(mask), vals.take(pa.array(order)))
    return table.set_column(table.schema.get_field_index(column), column, new)


def plant(
    rng: np.random.Generator, table: pa.Table, person: np.ndarray, layout: Layout,
    start: np.ndarray, end: np.ndarray | None, nhs: np.ndarray | None, period_first_day: int,
    in_scope: np.ndarray | None = None,
) -> Planted:
    """Corrupt disjoint rows of ``table`` (sorted already) and insert duplicates after originals."""
    n = table.num_rows
    kind = np.zeros(n, dtype=np.int8)
    # rows outside the catalogue (mapped to 'ignore') are never broken or duplicated
    free = np.ones(n, dtype=bool) if in_scope is None else in_scope.copy()
    counts: dict[str, int] = {}
    if n == 0:  # a small area can leave an extract empty: nothing to break
        return Planted(table, person, kind, counts)

    def take(eligible: np.ndarray) -> np.ndarray:
        pool = np.nonzero(eligible & free)[0]
        k = min(planted_count(n), pool.size)
        rows = np.sort(rng.choice(pool, size=k, replace=False)) if k else pool[:0]
        free[rows] = False
        return rows

    for k in layout.kinds:
        if k == "duplicate_row":
            continue
        if k == "impossible_date":
            rows = take(np.ones(n, dtype=bool))
            table = _replace(table, layout.start_column, rows,
                             impossible_dates(rng, year_of(start[rows]), layout.start_format))
        elif k == "end_before_start":
            assert end is not None and layout.end_column and layout.end_format
            rows = take((end != NONE) & (start >= period_first_day + 30))
            back = start[rows] - rng.integers(1, 15, rows.size)
            table = _replace(table, layout.end_column, rows, date_strings(back, layout.end_format))
        elif k == "blank_identifier":
            rows = take(np.ones(n, dtype=bool))
            for c in layout.id_columns:
                table = _replace(table, c, rows, pa.nulls(rows.size, table.schema.field(c).type))
        elif k == "nhs_number_invalid":
            assert nhs is not None and layout.nhs_column
            rows = take(nhs >= 0)
            bad = break_check_digit(rng, nhs[rows])
            table = _replace(table, layout.nhs_column, rows, format_nhs(bad, layout.nhs_style))
        elif k == "negative_quantity":
            assert layout.quantity_column
            rows = take(np.ones(n, dtype=bool))
            col = table.column(layout.quantity_column).combine_chunks().take(pa.array(rows))
            table = _replace(table, layout.quantity_column, rows, pc.negate(col))
        else:
            raise ValueError(f"unknown broken-row kind {k!r}")
        kind[rows] = kind_code(k)
        counts[k] = int(rows.size)

    if "duplicate_row" in layout.kinds:
        rows = take(np.ones(n, dtype=bool))
        idx = np.sort(np.concatenate([np.arange(n), rows]), kind="stable")
        table = table.take(pa.array(idx))
        person = person[idx]
        kind = kind[idx]
        again = np.concatenate([[False], idx[1:] == idx[:-1]])
        kind[again] = kind_code("duplicate_row")
        counts["duplicate_row"] = int(rows.size)
    return Planted(table, person, kind, counts)
