"""Why a date did not match its format, where the value's shape says so: a date column that
Excel saved as serial numbers (45366 for 15/03/2024), or a two-digit year (12-Mar-24). No
strptime format reads either, so "set the format the file uses" was no fix for them: the
hints say what happened and what to do in Excel. They never repeat a value (a date of birth
is an identifier): the examples are fixed."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: Day 0 of Excel's (1900) date system: serial 45366 is 2024-03-15.
EXCEL_EPOCH = dt.date(1899, 12, 30)
#: The smallest whole number taken for a serial: 3000 is 18/03/1908. Below it a number is as
#: likely a year (2024) as a date.
SERIAL_MIN = 3000
_SERIAL = r"^[0-9]{4,5}(\.[0-9]+)?$"
#: day and month (a number or a name), then a year of two digits, with one separator, and
#: perhaps a time of day: 12-Mar-24, 05/01/24, 5.1.24 14:30
_TWO_DIGIT_YEAR = r"^[0-9]{1,2}([-/. ])([0-9]{1,2}|[A-Za-z]{3,9})[-/. ][0-9]{2}(\s+[0-9]{1,2}:[0-9]{2}(:[0-9]{2})?)?$"

SERIAL_SEEN = ("; it is a number, as Excel writes a date (days from 1900: 45366 is 15/03/2024) in a column "
               "not formatted as dates")
SERIAL_FIX = ("format the column as dates (e.g. dd/mm/yyyy) in Excel, save the extract again and set {key} to "
              "that format")
TWO_DIGIT_SEEN = "; it has a two-digit year, which carecase never reads (is 24 1924 or 2024?)"
TWO_DIGIT_FIX = ("export the column with four-digit years (in Excel, format it as dd/mm/yyyy or dd-mmm-yyyy) and "
                 "set {key} to that format")


def _text(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    return pc.fill_null(pc.utf8_trim_whitespace(values.cast(pa.string())), "")


def excel_serials(values: pa.Array | pa.ChunkedArray, today: dt.date) -> np.ndarray:
    """True where a value is an Excel date serial number (a time of day as its fraction
    allowed) from 1908 to ``today``."""
    text = _text(values)
    shaped = pc.match_substring_regex(text, _SERIAL)
    number = pc.cast(pc.if_else(shaped, text, "0"), pa.float64())
    latest = (today - EXCEL_EPOCH).days + 1
    inside = pc.and_(pc.greater_equal(number, SERIAL_MIN), pc.less(number, latest))
    return pc.and_(shaped, inside).to_numpy(zero_copy_only=False).astype(bool)


def two_digit_years(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """True where a value is a day, a month and a two-digit year (12-Mar-24, 05/01/24)."""
    return pc.match_substring_regex(_text(values), _TWO_DIGIT_YEAR).to_numpy(zero_copy_only=False).astype(bool)


def explain(values: pa.Array | pa.ChunkedArray, unparseable: np.ndarray, today: dt.date,
            key: str) -> list[tuple[np.ndarray, str, str]]:
    """For the ``unparseable`` values, (rows, what is wrong, the fix) of each cause their
    shape shows; rows of no known shape are in none."""
    if not unparseable.any():
        return []
    return [(unparseable & excel_serials(values, today), SERIAL_SEEN, SERIAL_FIX.format(key=key)),
            (unparseable & two_digit_years(values), TWO_DIGIT_SEEN, TWO_DIGIT_FIX.format(key=key))]


def column_cause(values: pa.Array | pa.ChunkedArray, today: dt.date, key: str) -> str:
    """For a column no date format reads (its format could not be inferred), what most of its
    filled values are and the fix, as one sentence; '' when they have no known shape."""
    parts = column_cause_parts(values, today, key)
    return "" if parts is None else f"{parts[0]}. {parts[1]}"


def column_cause_parts(values: pa.Array | pa.ChunkedArray, today: dt.date, key: str) -> tuple[str, str] | None:
    """:func:`column_cause` as (what most of the filled values are, the fix), or None."""
    text = _text(values)
    filled = pc.not_equal(text, "").to_numpy(zero_copy_only=False).astype(bool)
    if not filled.any():
        return None
    half = 0.5 * int(filled.sum())
    if excel_serials(text, today).sum() >= half:
        return ("its values are numbers, as Excel writes dates (days from 1900: 45366 is 15/03/2024) in a column "
                "not formatted as dates", f"To fix it, {SERIAL_FIX.format(key=key)}.")
    if two_digit_years(text).sum() >= half:
        return ("its values have two-digit years, which carecase never reads (is 24 1924 or 2024?)",
                f"To fix it, {TWO_DIGIT_FIX.format(key=key)}.")
    return None
