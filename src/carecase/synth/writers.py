"""Writing extracts byte-identically: CSV and Parquet through Arrow, XLSX through
xlsxwriter with fixed document dates (zip entries are stamped 1980-01-01 by xlsxwriter)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

FIXED_CREATED = dt.datetime(2024, 1, 1, 0, 0, 0)


def write_csv(table: pa.Table, path: Path, delimiter: str = ",") -> None:
    options = pacsv.WriteOptions(include_header=True, delimiter=delimiter, quoting_style="needed")
    pacsv.write_csv(table, path, write_options=options)


def write_parquet(table: pa.Table, path: Path) -> None:
    pq.write_table(table, path, compression="zstd", compression_level=1)


def write_xlsx(table: pa.Table, path: Path, sheet: str, title_rows: tuple[str, ...] = ()) -> None:
    """One sheet; an optional report title (and a blank line) above the header row.

    Values are written cell by cell (xlsxwriter has no columnar API): keep XLSX for the
    demo-sized extracts; ``formats="fast"`` writes Parquet instead."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"in_memory": True, "strings_to_numbers": False,
                                               "strings_to_formulas": False, "strings_to_urls": False})
    workbook.set_properties({"title": sheet, "author": "carecase synth", "created": FIXED_CREATED})
    ws = workbook.add_worksheet(sheet)
    r = 0
    for title in title_rows:
        ws.write_string(r, 0, title)
        r += 1
    if title_rows:
        r += 1  # a blank line between the title and the header
    ws.write_row(r, 0, table.column_names)
    columns = [table.column(c).to_pylist() for c in table.column_names]
    for values in zip(*columns, strict=True):
        r += 1
        for c, v in enumerate(values):
            if v is None:
                continue
            if isinstance(v, str):
                ws.write_string(r, c, v)
            else:
                ws.write_number(r, c, v)
    workbook.close()


def write_table(table: pa.Table, path: Path, file_type: str, *, delimiter: str = ",",
                sheet: str | None = None, title_rows: tuple[str, ...] = ()) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if file_type == "csv":
        write_csv(table, path, delimiter)
    elif file_type == "parquet":
        write_parquet(table, path)
    elif file_type == "xlsx":
        write_xlsx(table, path, sheet or "Sheet1", title_rows)
    else:
        raise ValueError(f"unknown file type {file_type!r}")
