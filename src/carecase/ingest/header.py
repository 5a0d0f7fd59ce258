"""The header row of an extract: whether a name looks like data (never echoed: it may be an
identifier), a title above the header, and the messages for a header that cannot be used
(unnamed or repeated columns), naming where it is and the ``skip_rows`` that fixes it."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from carecase.core.errors import IngestError

_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
#: A header name that looks like a value, not a column name: an NHS-number shape, five or
#: more digits in a row (record and person IDs), a number, a date (in figures, or with the
#: month's name: 31 Mar 1956, March 31, 1956), or a UK postcode (CX2 4UT).
_DATA_LIKE = re.compile(
    r"[0-9]{3}[\s-]?[0-9]{3}[\s-]?[0-9]{4}|[0-9]{5}|^\s*[+-]?[0-9]+([.,][0-9]+)?\s*$"
    r"|[0-9]{1,4}[/.-][0-9]{1,2}[/.-][0-9]{1,4}"
    rf"|\b[0-9]{{1,2}}(?:st|nd|rd|th)?[\s/.-]+{_MONTH}[\s/.,-]+[0-9]{{2,4}}\b"
    rf"|\b{_MONTH}\s+[0-9]{{1,2}}(?:st|nd|rd|th)?,?\s+[0-9]{{4}}\b"
    r"|\b[a-z]{1,2}[0-9][a-z0-9]?\s*[0-9][a-z]{2}\b",
    re.IGNORECASE,
)
HEADER_IS_DATA = ("the first line looks like data, not a header (its values are withheld here): is the header "
                  "row missing? Add it, or set format.skip_rows if the header comes further down")


def looks_like_data(name: str) -> bool:
    """True when a header name looks like a data value (it may be an identifier, so it is
    never echoed in a message)."""
    return bool(_DATA_LIKE.search(str(name)))


def header_looks_like_data(names: list[str]) -> bool:
    return any(looks_like_data(n) for n in names)


#: Rows looked at (from the first) for a title above the header.
TITLE_ROWS_SEEN = 10


def title_rows(rows: list[list[str]]) -> int:
    """How many rows at the top of ``rows`` (cell texts, from the row read as the header) are
    a title above the header: the first has exactly one filled cell, it and any further rows
    of at most one filled cell (a subtitle, a blank row) are followed by a row of two or more
    distinct filled cells none of which looks like data (column names). 0 when the first
    row is not such a title."""
    filled = [[c.strip() for c in r if c is not None and c.strip()] for r in rows[:TITLE_ROWS_SEEN]]
    if not filled or len(filled[0]) != 1:
        return 0
    for i, cells in enumerate(filled[1:], start=1):
        if len(cells) <= 1:
            continue
        if len(set(cells)) == len(cells) and not header_looks_like_data(cells):
            return i
        return 0
    return 0


def title_message(path: Path, above: int, key: str, n: int, what: str) -> str:
    """The message for ``n`` title rows read as the header, with ``above`` lines (sheet rows)
    above them."""
    first = above + 1
    rows = f"{what} {first}" if n == 1 else f"{what}s {first}-{above + n}"
    return (f"{path.name}: {rows} {'looks' if n == 1 else 'look'} like a title above the header (one filled "
            f"cell, then {what} {above + n + 1} holds column names): set {key}.skip_rows: "
            f"{above + n} to start at the header.")


def _column_letters(i: int) -> str:
    """A sheet's column letters for the 0-based column ``i``: A, ..., Z, AA, ..."""
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


@dataclass(frozen=True)
class HeaderPlace:
    """Where a header row is, for messages: the CSV line or sheet row (1-based), the rows
    above it, the row after it (cell texts) and the setting to change (``key``.skip_rows)."""

    what: str  # "line" or "sheet row"
    above: int
    below: Callable[[], tuple[int, list[str]]]  # the next non-blank row (its number, cells); for messages
    key: str = "format"


def _blank_names_message(path: Path, clean: list[str], at: HeaderPlace | None) -> str:
    """A header with unnamed columns: which (column letters and cells in a sheet), and where
    the row below looks like the header (a two-row header, a merged cell above it) the
    ``skip_rows`` that starts there."""
    blank = [i for i, n in enumerate(clean) if not n]
    if at is None:
        return (f"{path.name}: header has blank column name(s) at position(s) {[i + 1 for i in blank]}; "
                "give every column a name (or set format.skip_rows).")
    row = at.above + 1
    cols = ([f"{_column_letters(i)} (cell {_column_letters(i)}{row})" for i in blank] if at.what == "sheet row"
            else [f"{i + 1}" for i in blank])
    msg = (f"{path.name}: the header ({at.what} {row}) has no name in column{'s' if len(blank) > 1 else ''} "
           f"{', '.join(cols)}.")
    next_row, cells = at.below()
    filled = [c.strip() for c in cells if c.strip()]
    if len(filled) >= len([n for n in clean if n]) and len(set(filled)) == len(filled) and not header_looks_like_data(filled):
        # blank rows between the two are passed over to the header, so skip_rows is this row's
        return (f"{msg} {at.what.capitalize()} {next_row} looks like the header (a two-row header, or a merged "
                f"cell above it): set {at.key}.skip_rows: {row} to start there.")
    return f"{msg} Give every column a name, or set {at.key}.skip_rows to start at the header."


def check_header(names: list[str], path: Path, at: HeaderPlace | None = None) -> list[str]:
    clean = [str(n).strip() for n in names]
    if (any(not n for n in clean) or len(set(clean)) < len(clean)) and header_looks_like_data(clean):
        raise IngestError(f"{path.name}: {HEADER_IS_DATA}.")
    if any(not n for n in clean):
        raise IngestError(_blank_names_message(path, clean, at))
    dupes = sorted({n for n in clean if clean.count(n) > 1})
    if dupes:
        raise IngestError(f"{path.name}: header repeats column name(s) {dupes}; rename them so each column is unique.")
    return clean
