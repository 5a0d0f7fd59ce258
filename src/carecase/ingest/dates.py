"""Date parsing with an explicit strptime-style format, vectorised over Arrow arrays.

carecase does not trust the C library's ``strptime`` (glibc reads 31/02/2024 as
2 March 2024): the format is turned into an anchored regular expression, the parts are
extracted as integers and checked against the calendar with numpy. A value that does not
have the format's shape is *unparseable*; one that has the shape but is not a real date
(31/02, month 13), is before 1900 or is after today is *impossible*.

Supported directives: %d %m %Y %H %M %S %b %B (English month names) and %%. A numeric
directive written next to another with nothing between them (a compact format such as
``%Y%m%d``) must have its full width (two digits for %d %m %H %M %S), so ``202011`` is not
read as 2020-01-01; with a separator (``%d/%m/%Y``) one digit is enough (``5/1/2024``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

OK, BLANK, UNPARSEABLE, IMPOSSIBLE = 0, 1, 2, 3
MIN_YEAR = 1900

_DIRECTIVES: dict[str, str] = {
    "d": r"(?P<d>[0-9]{1,2})",
    "m": r"(?P<m>[0-9]{1,2})",
    "Y": r"(?P<Y>[0-9]{4})",
    "H": r"(?P<H>[0-9]{1,2})",
    "M": r"(?P<M>[0-9]{1,2})",
    "S": r"(?P<S>[0-9]{1,2})",
    "b": r"(?P<b>[A-Za-z]{3})",
    "B": r"(?P<B>[A-Za-z]{3,9})",
}
_NUMERIC = frozenset("dmYHMS")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_FULL_MONTHS = (
    "january", "february", "march", "april", "may", "june", "july", "august",
    "september", "october", "november", "december",
)


class DateFormatError(ValueError):
    """The format string uses a directive carecase cannot parse safely."""


def _tokens(fmt: str) -> list[tuple[bool, str]]:
    """``fmt`` as (is_directive, directive letter or literal character) pairs."""
    out: list[tuple[bool, str]] = []
    i, seen = 0, set()
    while i < len(fmt):
        ch = fmt[i]
        if ch != "%":
            out.append((False, ch))
            i += 1
            continue
        if i + 1 >= len(fmt):
            raise DateFormatError(f"format {fmt!r} ends with a lone '%'")
        d = fmt[i + 1]
        if d == "%":
            out.append((False, "%"))
        elif d in _DIRECTIVES:
            if d in seen:
                raise DateFormatError(f"format {fmt!r} repeats %{d}")
            seen.add(d)
            out.append((True, d))
        elif d == "y":
            raise DateFormatError(
                f"format {fmt!r} uses %y: carecase never reads a two-digit year (is 24 1924 or 2024?). Export the "
                "column with four-digit years (in Excel, format it as dd/mm/yyyy or dd-mmm-yyyy) and use %Y"
            )
        else:
            raise DateFormatError(
                f"format {fmt!r} uses %{d}, which carecase does not read; supported: "
                "%d %m %Y %H %M %S %b %B (use %Y for four-digit years)"
            )
        i += 2
    if "Y" not in seen or not ({"m", "b", "B"} & seen):
        raise DateFormatError(f"format {fmt!r} needs a month (%m, %b or %B) and a year (%Y), and a day (%d) "
                              "unless the values are months (then the 1st of the month is read)")
    if "d" not in seen and {"H", "M", "S"} & seen:
        raise DateFormatError(f"format {fmt!r} has a time of day but no day (%d)")
    return out


def format_pattern(fmt: str) -> str:
    """The anchored regular expression (RE2 syntax) matching values written in ``fmt``.
    Numeric directives next to another numeric directive must have their full width."""
    tokens = _tokens(fmt)
    out = ["^"]
    for i, (directive, ch) in enumerate(tokens):
        if not directive:
            out.append(re.escape(ch))
            continue
        neighbours = [tokens[j] for j in (i - 1, i + 1) if 0 <= j < len(tokens)]
        compact = ch in _NUMERIC and any(d and c in _NUMERIC for d, c in neighbours)
        out.append(_DIRECTIVES[ch].replace("{1,2}", "{2}") if compact else _DIRECTIVES[ch])
    out.append("$")
    return "".join(out)


def format_example(fmt: str) -> str:
    """``fmt`` written out for 5 January 2024, 14:30:00 (for messages)."""
    return dt.datetime(2024, 1, 5, 14, 30, 0).strftime(fmt)


@dataclass(frozen=True)
class ParsedDates:
    """``dates`` (date32, null unless status is OK), ``status`` and the time of day in
    seconds (0 where the format has no time or the value is not OK) per value."""

    dates: pa.Array
    status: np.ndarray  # int8: OK, BLANK, UNPARSEABLE, IMPOSSIBLE
    seconds: np.ndarray  # int64


def _month_from_names(arr: pa.Array, names: tuple[str, ...]) -> np.ndarray:
    idx = pc.index_in(pc.utf8_lower(arr), value_set=pa.array(list(names)))
    return pc.fill_null(idx, -1).to_numpy(zero_copy_only=False).astype(np.int64) + 1


def _ints(struct: pa.StructArray, name: str, matched: np.ndarray) -> np.ndarray:
    child = struct.field(name)
    child = pc.if_else(pa.array(matched), child, pa.scalar("0"))
    return pc.cast(child, pa.int64()).to_numpy(zero_copy_only=False)


def parse_dates(values: pa.Array | pa.ChunkedArray, fmt: str, today: dt.date) -> ParsedDates:
    """Parse strings written in ``fmt`` (surrounding whitespace ignored); the time of day,
    if any, is returned apart from the date (``seconds``)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    arr = pc.utf8_trim_whitespace(values.cast(pa.string()))
    blank = pc.fill_null(pc.equal(arr, ""), True).to_numpy(zero_copy_only=False).astype(bool)
    pattern = format_pattern(fmt)
    names = re.findall(r"\?P<(\w)>", pattern)
    n = len(arr)
    if n == 0:
        return ParsedDates(pa.array([], pa.date32()), np.zeros(0, np.int8), np.zeros(0, np.int64))
    struct = pc.extract_regex(pc.fill_null(arr, ""), pattern=pattern)
    matched = struct.is_valid().to_numpy(zero_copy_only=False).astype(bool) & ~blank
    year = _ints(struct, "Y", matched)
    # a month-only format (%Y-%m, monthly counts) reads the 1st of the month
    day = _ints(struct, "d", matched) if "d" in names else np.ones(n, np.int64)
    if "m" in names:
        month = _ints(struct, "m", matched)
    elif "b" in names:
        month = _month_from_names(struct.field("b"), _MONTHS)
    else:
        full = _month_from_names(struct.field("B"), _FULL_MONTHS)
        short = _month_from_names(struct.field("B"), _MONTHS)
        month = np.where(full > 0, full, short)
    ok = matched & (month >= 1) & (month <= 12) & (year >= MIN_YEAR) & (year <= 9999) & (day >= 1)
    seconds = np.zeros(n, np.int64)
    for part, limit, scale in (("H", 23, 3600), ("M", 59, 60), ("S", 59, 1)):
        if part in names:
            value = _ints(struct, part, matched)
            ok &= value <= limit
            seconds += value * scale
    safe_y = np.where(ok, year, 2000)
    safe_m = np.where(ok, month, 1)
    month_start = ((safe_y - 1970) * 12 + (safe_m - 1)).astype("datetime64[M]")
    month_len = ((month_start + 1).astype("datetime64[D]") - month_start.astype("datetime64[D]")).astype(np.int64)
    ok &= day <= month_len
    days = month_start.astype("datetime64[D]") + np.where(ok, day - 1, 0)
    ok &= days <= np.datetime64(today, "D")
    status = np.full(n, UNPARSEABLE, dtype=np.int8)
    status[blank] = BLANK
    status[matched & ~ok] = IMPOSSIBLE
    status[ok] = OK
    dates = pa.array(days.astype("datetime64[D]"), type=pa.date32(), mask=~ok)
    return ParsedDates(dates, status, np.where(ok, seconds, 0))


# ---------------------------------------------------------------------------- inference

CANDIDATES: tuple[str, ...] = (
    "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d",
    "%d/%m/%Y", "%m/%d/%Y", "%d-%m-%Y", "%m-%d-%Y", "%d.%m.%Y", "%m.%d.%Y",
    "%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%m/%d/%Y %H:%M:%S",
    "%d %b %Y", "%d-%b-%Y", "%d %B %Y",
)


class AmbiguousDates(ValueError):
    """The values fit more than one format (e.g. day/month and month/day)."""

    def __init__(self, formats: list[str], reason: str):
        super().__init__(reason)
        self.formats = formats
        self.reason = reason


def infer_date_format(values: pa.Array | pa.ChunkedArray, today: dt.date) -> str | None:
    """The one candidate format that reads every readable value, or None when the column is
    blank. Raises :class:`AmbiguousDates` when two formats read the values differently
    (03/04/2024: 3 April or 4 March?) or no candidate reads any value."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    distinct = pc.unique(pc.utf8_trim_whitespace(values.cast(pa.string())))
    distinct = pc.drop_null(pc.filter(distinct, pc.not_equal(distinct, "")))
    if len(distinct) == 0:
        return None
    parsed = {f: parse_dates(distinct, f, today) for f in CANDIDATES}
    reads = {f: p.status == OK for f, p in parsed.items()}
    best = max(CANDIDATES, key=lambda f: (int(reads[f].sum()), -CANDIDATES.index(f)))
    if not reads[best].any():
        raise AmbiguousDates([], "no value is a valid date in a format carecase recognises")
    best_days = parsed[best].dates.cast(pa.int32()).to_numpy(zero_copy_only=False)
    same, mixed = [], []
    for f in CANDIDATES:
        if f == best:
            continue
        days = parsed[f].dates.cast(pa.int32()).to_numpy(zero_copy_only=False)
        if (reads[f] & ~reads[best]).any():
            mixed.append(f)  # f reads values that best cannot: the column mixes formats
        elif (reads[f] == reads[best]).all() and (days[reads[f]] != best_days[reads[f]]).any():
            same.append(f)  # f reads exactly the same values, as different dates
    if same:
        raise AmbiguousDates(
            [best, *same],
            "every value could be read as either " + " or ".join(repr(f) for f in [best, *same]),
        )
    if mixed:
        raise AmbiguousDates(
            [best, *mixed],
            "the values mix formats (" + ", ".join(repr(f) for f in [best, *mixed]) + ")",
        )
    return best
