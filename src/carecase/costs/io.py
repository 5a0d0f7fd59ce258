"""Writing result tables deterministically: sorted by their keys, as Parquet and CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


def to_frame(data: ir.Table | pa.Table | pd.DataFrame) -> pd.DataFrame:
    if isinstance(data, ir.Table):
        return data.to_pyarrow().to_pandas()
    if isinstance(data, pa.Table):
        return data.to_pandas()
    return data


def write_table(data: Any, folder: Path, name: str, sort_by: list[str]) -> dict[str, str]:
    """Write ``folder/name.parquet`` and ``folder/name.csv`` sorted by ``sort_by`` (stable)."""
    df = to_frame(data)
    keys = [c for c in sort_by if c in df.columns]
    if keys:
        df = df.sort_values(keys, kind="stable", na_position="last").reset_index(drop=True)
    folder.mkdir(parents=True, exist_ok=True)
    pq_path, csv_path = folder / f"{name}.parquet", folder / f"{name}.csv"
    table = pa.Table.from_pandas(df, preserve_index=False).replace_schema_metadata(None)
    pq.write_table(table, pq_path)
    df.to_csv(csv_path, index=False, lineterminator="\n")
    return {"parquet": pq_path.name, "csv": csv_path.name}
