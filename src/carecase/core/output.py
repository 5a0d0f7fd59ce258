"""Writing a stage's result tables: one convention for every stage.

Each table is written as ``NAME.parquet`` and ``NAME.csv`` side by side, from the same Arrow
table, so the two always hold the same rows in the same order:

- rows sorted by the table's keys (stable, nulls last) — the same inputs give the same bytes;
- Parquet without pandas' index metadata;
- CSV: a header row, commas, ``\\n`` line ends, text quoted, numbers at full precision
  (the shortest text that reads back to the same float), ISO dates, ``true``/``false``;
- a cell holding a list or a record (a JSON-like value) is written as JSON text in both files.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq


def to_arrow(data: Any) -> pa.Table:
    """An Ibis expression, Arrow table or pandas frame as an Arrow table (no index)."""
    if isinstance(data, pa.Table):
        return data
    if hasattr(data, "to_pyarrow"):
        return data.to_pyarrow()
    return pa.Table.from_pandas(data, preserve_index=False)


def _json_cell(v: Any) -> str | None:
    return None if v is None else json.dumps(v, sort_keys=True, default=str)


def _flat(table: pa.Table) -> pa.Table:
    """Nested columns (lists, records, maps) as JSON text; everything else unchanged."""
    for i, f in enumerate(table.schema):
        if pa.types.is_nested(f.type):
            text = pa.array([_json_cell(v) for v in table.column(i).to_pylist()], pa.string())
            table = table.set_column(i, f.name, text)
    return table


def sort_rows(table: pa.Table, keys: Sequence[str]) -> pa.Table:
    """``table`` sorted by the ``keys`` it has (ascending, stable, nulls last)."""
    present = [k for k in keys if k in table.column_names]
    if not present or table.num_rows < 2:
        return table
    order = pc.sort_indices(table, sort_keys=[(k, "ascending", "at_end") for k in present])
    return table.take(order)


def write_table(data: Any, folder: Path, name: str, sort_by: Sequence[str] = ()) -> dict[str, str]:
    """Write ``folder/name.parquet`` and ``folder/name.csv`` (module docstring); return their
    file names."""
    table = sort_rows(_flat(to_arrow(data)), sort_by).replace_schema_metadata(None)
    folder.mkdir(parents=True, exist_ok=True)
    pq_path, csv_path = folder / f"{name}.parquet", folder / f"{name}.csv"
    pq.write_table(table, pq_path)
    pacsv.write_csv(table, csv_path)
    return {"parquet": pq_path.name, "csv": csv_path.name}
