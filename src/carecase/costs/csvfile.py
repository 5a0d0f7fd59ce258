"""Reading the costs stage's own CSV files (unit-cost library, overrides, price index) as UTF-8.

These files are small and typed by hand or saved from Excel, whose plain "CSV" format is
Windows-1252: a £ sign is then the single byte 0xA3, which is not UTF-8. carecase reads them
as UTF-8 (a byte-order mark, as Excel's "CSV UTF-8" writes, is skipped) and refuses any other
encoding with the file, line, column and value it could not read, and how to fix it.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pandas as pd

from carecase.core.errors import CostError
from carecase.core.utf8 import not_utf8_message


def read_utf8_csv(path: Path, what: str, **read_csv: Any) -> pd.DataFrame:
    """``pandas.read_csv`` of a UTF-8 file; a :class:`CostError` naming where it is not UTF-8."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise CostError(not_utf8_message(path, what, data, err.start)) from None
    if not text.strip():
        raise CostError(f"{path}: {what} is empty; it needs a header row and one row per value.")
    check_shape(path, what, text)
    return pd.read_csv(io.StringIO(text), **read_csv)


def check_shape(path: Path, what: str, text: str) -> None:
    """A header that names a column twice (pandas would read the first and rename the
    other), or a row with more or fewer fields than the header (pandas would shift or pad
    its values), is refused with the line."""
    rows = csv.reader(io.StringIO(text, newline=""))
    header = [c.strip() for c in next(rows, [])]
    twice = sorted({c for c in header if c and header.count(c) > 1})
    if twice:
        raise CostError(f"{path}: {what} names column(s) {', '.join(map(repr, twice))} more than once "
                        "in its header; keep one of each.")
    for i, row in enumerate(rows, start=1):
        if row and any(c.strip() for c in row) and len(row) != len(header):
            raise CostError(
                f"{path}: {what} row {i} (line {rows.line_num}) has {len(row)} field(s) but the header has "
                f"{len(header)}; a value with a comma in it (such as 1,234.50 or a description) must be "
                "in double quotes, and every row needs one field per column."
            )


def columns_found(columns: Any) -> str:
    """'found: a, b' for a missing-column message, and which delimiter the header seems to
    use when it is not a comma (a spreadsheet in another locale saves ';')."""
    names = [str(c) for c in columns]
    text = f"found: {', '.join(repr(c) for c in names)}"
    for d, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "'|'")):
        if any(d in c for c in names):
            return f"{text}; the header seems separated by {name}: save the file comma-separated"
    return text


_YEAR = re.compile(r"(\d{4})(?:\.0+|[/-](\d{2}|\d{4}))?")


def financial_year(text: Any) -> int | None:
    """'2013', '2013/14', '2013-14' or '2013/2014' → 2013; None for anything else (a
    second year that does not follow the first, '20131', '2013abc', '13/14', '2013.5')."""
    m = _YEAR.fullmatch(str(text).strip()) if text is not None else None
    if m is None:
        return None
    first, second = int(m.group(1)), m.group(2)
    if second is not None and int(second) != (first + 1 if len(second) == 4 else (first + 1) % 100):
        return None
    return first
