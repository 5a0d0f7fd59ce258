"""Finding a mapped column in a file's header when the two are spelled alike but for case
and spacing (``NHS Number`` for ``NHS number``, ``Application  Date`` with two spaces): an
agency's monthly extracts change such things from one month to the next, and one
carecase.yaml must read every file of a glob. A header name written exactly as mapped is
always the one read; a name that matches only loosely is read when it is the header's only
such name, and two such names stop ingest with both."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

import pyarrow as pa

from carecase.core.errors import IngestError


def column_key(name: str) -> str:
    """A column name compared without case and with runs of whitespace as one space."""
    return " ".join(str(name).split()).casefold()


def loose_key(name: str) -> str:
    """A column name compared without case, whitespace or invisible (format) characters:
    ``StartDate``, ``Start Date`` and ``Start\u200bdate`` alike. Only for naming a near
    miss in a message, never for reading a column."""
    return "".join(ch for ch in str(name) if not ch.isspace() and unicodedata.category(ch) != "Cf").casefold()


def renames(wanted: Iterable[tuple[str, str]], found: list[str], file: str) -> dict[str, str]:
    """For each mapped column (name, the key naming it) that the header ``found`` lacks as
    written, the one header name spelled alike but for case and spacing: {header name:
    mapped name}. Raises :class:`IngestError` naming both where two header names match."""
    present = set(found)
    by_key: dict[str, list[str]] = {}
    for name in found:
        by_key.setdefault(column_key(name), []).append(name)
    out: dict[str, str] = {}
    for col, key in wanted:
        if col in present:
            continue
        alike = [n for n in by_key.get(column_key(col), []) if n not in out]
        if len(alike) > 1:
            raise IngestError(f"{file}: column '{col}' (named by {key}) is not in the file as written, and "
                              f"{len(alike)} columns differ from it only in case or spacing: "
                              f"{', '.join(repr(n) for n in alike)}. Set {key} to the one to read.")
        if alike:
            out[alike[0]] = col
    return out


def rename_alike(table: pa.Table, wanted: Iterable[tuple[str, str]], file: str) -> pa.Table:
    """``table`` with each header name that matches a mapped column but for case and spacing
    renamed to it (see :func:`renames`)."""
    names = renames(wanted, table.column_names, file)
    return table.rename_columns([names.get(n, n) for n in table.column_names]) if names else table


def date_format_of(date_formats: dict[str, str | None], header_name: str) -> str | None:
    """The configured format of the date column a header name is read as: its own, or that of
    the one mapped column spelled alike but for case and spacing."""
    if header_name in date_formats:
        return date_formats[header_name]
    alike = [f for col, f in date_formats.items() if column_key(col) == column_key(header_name)]
    return alike[0] if len(alike) == 1 else None
