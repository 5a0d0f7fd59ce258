"""The one way every stage writes its result tables (carecase.core.output)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from carecase.core.output import write_table


def test_csv_text_and_parquet_hold_the_same_sorted_rows(tmp_path: Path) -> None:
    frame = pd.DataFrame({
        "agency": ["NHS", None, "Police", "NHS"],
        "day": [dt.date(2024, 3, 31), dt.date(2024, 4, 1), dt.date(2024, 4, 2), dt.date(2024, 4, 3)],
        "cost": [0.1 + 0.2, 1234567.891, None, 2.0],
        "flag": [True, False, True, False],
        "path": [[1, 2], None, [3], []],
    })
    files = write_table(frame, tmp_path, "t", ["agency"])
    assert files == {"parquet": "t.parquet", "csv": "t.csv"}
    assert (tmp_path / "t.csv").read_text() == (
        '"agency","day","cost","flag","path"\n'
        '"NHS",2024-03-31,0.30000000000000004,true,"[1, 2]"\n'   # full precision, not 0.3
        '"NHS",2024-04-03,2,false,"[]"\n'                         # stable among equal keys
        '"Police",2024-04-02,,true,"[3]"\n'
        ',2024-04-01,1234567.891,false,\n'                        # nulls sort last
    )
    back = pq.read_table(tmp_path / "t.parquet")
    assert back.schema.metadata is None  # no pandas index metadata
    assert back.column("agency").to_pylist() == ["NHS", "NHS", "Police", None]
    assert back.column("path").to_pylist() == ["[1, 2]", "[]", "[3]", None]


def test_same_table_gives_the_same_bytes_from_pandas_or_arrow(tmp_path: Path) -> None:
    frame = pd.DataFrame({"k": ["b", "a", "c"], "v": [2.5, 1.0, None]})
    write_table(frame, tmp_path / "pandas", "t", ["k"])
    write_table(pa.Table.from_pandas(frame.iloc[::-1], preserve_index=False), tmp_path / "arrow", "t", ["k"])
    for suffix in ("csv", "parquet"):
        assert (tmp_path / "pandas" / f"t.{suffix}").read_bytes() == (tmp_path / "arrow" / f"t.{suffix}").read_bytes()


def test_an_empty_table_is_still_written(tmp_path: Path) -> None:
    write_table(pd.DataFrame(), tmp_path, "empty", ["anything"])
    assert (tmp_path / "empty.csv").exists() and pq.read_table(tmp_path / "empty.parquet").num_rows == 0
