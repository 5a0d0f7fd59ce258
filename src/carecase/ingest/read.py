"""Reading one extract into an Arrow table of strings, whatever its type.

Every column is read as text first so junk never crashes ingest; parsing happens later with
rules. Cells that a spreadsheet or Parquet file already stores as dates are written back as
text in the column's configured format (ISO when none), so they parse like any other value.
Blank rows (every cell empty or whitespace, an empty line in a CSV) are not data rows, in
every format alike: they are counted (``Extract.blank_rows``) and skipped; ``source_row``
(added by the caller) counts the other rows from 1. ``Extract.file_lines`` says where each row
is as the user sees the file: its line in a CSV (from 1, every line counted; see
:mod:`carecase.ingest.lines`), its sheet row in a workbook; none for Parquet.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import io
import itertools
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from carecase.core.errors import IngestError
from carecase.ingest.columns import date_format_of
from carecase.ingest.config import FileFormat
from carecase.ingest.header import (
    TITLE_ROWS_SEEN,
    HeaderPlace,
    check_header,
    title_message,
    title_rows,
)
from carecase.ingest.lines import csv_lines, single_byte_ascii

DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
#: Bytes decoded at a time when looking for the first byte a file's encoding cannot read.
DECODE_CHUNK = 1 << 20

@dataclass(frozen=True)
class Extract:
    """A file's data rows as a table of (non-null) strings, how many blank rows it had, and
    where each row is in the file as its user sees it (``file_lines``, int64, one per row:
    the line where a CSV row starts, counting every line from 1; a workbook's sheet row;
    None for Parquet, or a CSV whose lines could not be told)."""

    table: pa.Table
    blank_rows: int
    file_lines: np.ndarray | None = None


def _text_encoding(fmt: FileFormat) -> str:
    try:
        name = codecs.lookup(fmt.encoding).name
    except LookupError:
        return fmt.encoding
    return "utf-8-sig" if name == "utf-8" else fmt.encoding


def _bom_length(path: Path, fmt: FileFormat) -> int:
    """3 when the file starts with a UTF-8 byte-order mark (EF BB BF) that the configured
    encoding would read as text (e.g. 'ï»¿' in cp1252 or latin-1): Excel writes one even
    before text in another encoding. The mark is skipped whatever the encoding; UTF-16 and
    UTF-32 files (their own marks) are left to their codec."""
    try:
        name = codecs.lookup(fmt.encoding).name
    except LookupError:
        return 0
    if name.startswith(("utf-16", "utf-32")):
        return 0
    with open(path, "rb") as fh:
        return len(codecs.BOM_UTF8) if fh.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8 else 0


def _csv_input(path: Path, fmt: FileFormat) -> Any:
    """What Arrow reads: the path, or the file opened after its UTF-8 byte-order mark (the
    caller closes it)."""
    skip = _bom_length(path, fmt)
    if not skip:
        return path
    fh = pa.OSFile(str(path), "r")
    fh.seek(skip)
    return fh


def _open_text(path: Path, fmt: FileFormat) -> io.TextIOWrapper:
    """The file as text in its configured encoding (undecodable bytes replaced), after any
    UTF-8 byte-order mark."""
    raw = open(path, "rb")  # noqa: SIM115 (closed with the wrapper)
    raw.seek(_bom_length(path, fmt))
    return io.TextIOWrapper(raw, encoding=_text_encoding(fmt), errors="replace", newline="")


def _blank_line(line: str, delimiter: str) -> bool:
    """A line of empty cells: nothing but whitespace, delimiters and quotes (an empty line,
    ``  ``, ``,,,`` or ``"",""``); not the end of the file ('')."""
    return bool(line) and not line.replace(delimiter, "").replace('"', "").strip()


def _to_header(fh: io.TextIOWrapper, skip_rows: int, delimiter: str) -> tuple[int, str]:
    """Reads ``fh`` past ``skip_rows`` lines (blank ones counted) and the blank lines after
    them: (the lines above the header, the header's line; '' at the end of the file)."""
    for _ in range(skip_rows):
        if not fh.readline():
            return skip_rows, ""
    above, line = skip_rows, fh.readline()
    while _blank_line(line, delimiter):
        above, line = above + 1, fh.readline()
    return above, line


def _header_line(path: Path, fmt: FileFormat) -> tuple[int, str, bool]:
    """The lines above a CSV's header (``format.skip_rows``, and the blank lines after them,
    passed over to the header, never read as a data row), the header's line, and whether it
    is the file's last line."""
    with _open_text(path, fmt) as fh:
        above, head = _to_header(fh, fmt.skip_rows, fmt.delimiter)
        return above, head, fh.read(1) == ""


def _records(path: Path, fmt: FileFormat, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(first line number, fields) of each CSV record from the header on (after
    ``format.skip_rows`` lines and the empty lines after them), read in Python. For messages
    about a file that Arrow could not read as it should, and the lines of one whose bytes
    cannot tell them."""
    with _open_text(path, fmt) as fh:
        above, head = _to_header(fh, fmt.skip_rows, fmt.delimiter)
        if not head:
            return
        reader = csv.reader(itertools.chain([head], fh), delimiter=delimiter)
        line = above + 1
        try:
            for fields in reader:
                yield line, fields
                line = above + reader.line_num + 1
        except csv.Error:
            return


def _is_blank(fields: list[str]) -> bool:
    return all(not f.strip() for f in fields)


def _guess_delimiter(path: Path, fmt: FileFormat) -> tuple[str, int] | None:
    """Another common delimiter that splits the header into several columns and the first
    data rows into as many, with the header's column count."""
    best: tuple[str, int] | None = None
    for cand in DELIMITER_NAMES:
        if cand == fmt.delimiter:
            continue
        counts: list[int] = []
        for _, fields in _records(path, fmt, cand):
            if not _is_blank(fields):
                counts.append(len(fields))
            if len(counts) > 20:
                break
        if counts and counts[0] > 1 and all(c == counts[0] for c in counts) and (best is None or counts[0] > best[1]):
            best = (cand, counts[0])
    return best


def _delimiter_fix(path: Path, fmt: FileFormat, key: str) -> str:
    guess = _guess_delimiter(path, fmt)
    if guess is None:
        return ""
    cand, width = guess
    return (f"The file looks {DELIMITER_NAMES[cand]}-delimited (the header splits into {width} columns on {cand!r}) "
            f"but {key}.delimiter is {fmt.delimiter!r}: set {key}.delimiter: {cand!r}.")


def _bad_lines(path: Path, fmt: FileFormat, width: int) -> list[tuple[int, int]]:
    """(line number, field count) of each data record whose field count is not ``width``."""
    out: list[tuple[int, int]] = []
    records = _records(path, fmt, fmt.delimiter)
    next(records, None)  # the header
    for line, fields in records:
        if len(fields) != width and not _is_blank(fields):
            out.append((line, len(fields)))
    return out


def _locate(path: Path, fmt: FileFormat, texts: list[str]) -> list[tuple[int, int]]:
    """Line numbers of rows Arrow rejected, found by their text (when the Python reader
    disagrees with Arrow about where the rows are)."""
    with _open_text(path, fmt) as fh:
        raw = fh.read()
    out: list[tuple[int, int]] = []
    pos = 0
    for text in texts:
        at = raw.find(text, pos) if text else -1
        if at < 0:
            continue
        out.append((raw.count("\n", 0, at) + 1, text.count(fmt.delimiter) + 1))
        pos = at + len(text)
    return out


def _row_length_error(path: Path, fmt: FileFormat, key: str, width: int, texts: list[str]) -> str:
    lines = _bad_lines(path, fmt, width) or _locate(path, fmt, texts)
    n = max(len(texts), len(lines))
    shown = ", ".join(f"line {ln} has {k}" for ln, k in lines[:5]) + (f" (and {len(lines) - 5} more)" if len(lines) > 5 else "")
    where = f" ({shown}; line numbers count every line of the file from 1, the header included)" if lines else " (lines not found)"
    msg = f"{path.name}: {n} row(s) do not have {width} fields like the header{where}."
    fix = _delimiter_fix(path, fmt, key)
    if lines and all(k == 1 for _, k in lines) and width > 1:
        msg += f" Every such row has a single field while the header has {width}, so the delimiter is probably wrong."
    if fix:
        return f"{msg} {fix}"
    return (f"{msg} Check {key}.delimiter ({fmt.delimiter!r}) and that text containing the delimiter is quoted; "
            "carecase stops rather than drop rows.")


@contextlib.contextmanager
def _undecodable_rows() -> Iterator[list[UnicodeDecodeError]]:
    """Arrow hands a row it cannot parse to the invalid-row handler as text decoded as UTF-8;
    a row whose bytes are not UTF-8 fails there, inside Arrow, which reports the error as
    'unraisable' (a traceback on stderr) and then fails the read as a parse error. Caught
    here, so that the message can say what is wrong: the file is not in its encoding."""
    caught: list[UnicodeDecodeError] = []
    previous = sys.unraisablehook

    def hook(unraisable: Any) -> None:
        if isinstance(unraisable.exc_value, UnicodeDecodeError):
            caught.append(unraisable.exc_value)
        else:
            previous(unraisable)

    sys.unraisablehook = hook
    try:
        yield caught
    finally:
        sys.unraisablehook = previous


def _read_csv(path: Path, fmt: FileFormat, key: str) -> tuple[pa.Table, int, np.ndarray | None]:
    if len(fmt.delimiter) != 1:
        raise IngestError(f"{path.name}: {key}.delimiter must be one character, got {fmt.delimiter!r}.")
    try:
        codecs.lookup(fmt.encoding)
    except LookupError as err:  # before any read: Arrow's error would be taken for bad bytes
        raise IngestError(_csv_problem(path, fmt, err, key)) from None
    bad_rows: list[str] = []
    blank: list[int] = []

    def _invalid(row: pcsv.InvalidRow) -> str:
        text = row.text or ""
        if not text.replace(fmt.delimiter, "").replace('"', "").strip():
            blank.append(1)  # an empty or whitespace-only line: a blank row
        else:
            bad_rows.append(text)
        return "skip"

    parse = pcsv.ParseOptions(delimiter=fmt.delimiter, newlines_in_values=True, ignore_empty_lines=False,
                              invalid_row_handler=_invalid)
    try:
        above, head_line, last = _header_line(path, fmt)  # the header is the line after them, for both reads
    except (LookupError, UnicodeError) as err:
        raise IngestError(_csv_problem(path, fmt, err, key)) from None
    if not head_line:
        raise IngestError(f"{path.name}: the file is empty; it needs at least a header row.")
    if last:  # a header and nothing after it (Arrow cannot read a lone line without a line break)
        names = next(csv.reader([head_line], delimiter=fmt.delimiter), [])
        fix = _delimiter_fix(path, fmt, key) if len(names) == 1 else ""
        if fix:
            raise IngestError(f"{path.name}: the header has a single column. {fix}")
        return pa.table({h: pa.array([], pa.string()) for h in check_header(names, path)}), 0, np.zeros(0, np.int64)
    source = _csv_input(path, fmt)
    try:
        with _undecodable_rows() as undecodable:
            head = pcsv.open_csv(
                source,
                read_options=pcsv.ReadOptions(encoding=fmt.encoding, skip_rows=above, autogenerate_column_names=True,
                                              block_size=1 << 16),
                parse_options=pcsv.ParseOptions(delimiter=fmt.delimiter, newlines_in_values=True,
                                                ignore_empty_lines=False, invalid_row_handler=lambda row: "skip"),
                convert_options=pcsv.ConvertOptions(strings_can_be_null=False),
            )
            first = head.read_next_batch()
    except StopIteration:
        raise IngestError(f"{path.name}: the file is empty; it needs at least a header row.") from None
    except (pa.ArrowInvalid, LookupError, UnicodeError) as err:
        if "Empty CSV file" in str(err):
            raise IngestError(f"{path.name}: the file is empty; it needs at least a header row.") from None
        raise IngestError(_csv_problem(path, fmt, err, key, bool(undecodable))) from None
    finally:
        if source is not path:
            source.close()
    if first.num_rows == 0:
        raise IngestError(f"{path.name}: the file is empty; it needs at least a header row.")
    names = [first.column(i)[0].as_py() if first.column(i)[0].is_valid else "" for i in range(first.num_columns)]
    if len(names) == 1:
        fix = _delimiter_fix(path, fmt, key)
        if fix:
            raise IngestError(f"{path.name}: the header has a single column. {fix}")
        title = _csv_title(path, fmt, above, key)
        if title:
            raise IngestError(title)
    def below() -> tuple[int, list[str]]:
        records = _records(path, fmt, fmt.delimiter)
        next(records, None)
        return next(((line, rec) for line, rec in records if not _is_blank(rec)), (0, []))

    header = [str(h) for h in check_header(names, path, HeaderPlace("line", above, below, key))]
    source = _csv_input(path, fmt)
    try:
        with _undecodable_rows() as undecodable:
            table = pcsv.read_csv(
                source,
                read_options=pcsv.ReadOptions(encoding=fmt.encoding, skip_rows=above + 1, column_names=header),
                parse_options=parse,
                convert_options=pcsv.ConvertOptions(column_types={h: pa.string() for h in header},
                                                    strings_can_be_null=False, quoted_strings_can_be_null=False),
            )
    except (pa.ArrowInvalid, LookupError, UnicodeError) as err:
        if "Empty CSV file" in str(err):
            return pa.table({h: pa.array([], pa.string()) for h in header}), len(blank), np.zeros(0, np.int64)
        raise IngestError(_csv_problem(path, fmt, err, key, bool(undecodable))) from None
    finally:
        if source is not path:
            source.close()
    if bad_rows:
        raise IngestError(_row_length_error(path, fmt, key, len(header), bad_rows))
    lines = csv_lines(path, fmt.encoding, above, fmt.delimiter, len(header), table.num_rows, len(blank),
                      lambda: _records(path, fmt, fmt.delimiter))
    return table, len(blank), lines


def _csv_title(path: Path, fmt: FileFormat, above: int, key: str) -> str | None:
    """The message for a title above a CSV's header (``above`` lines before it), or None."""
    top = [rec[1] for _, rec in zip(range(TITLE_ROWS_SEEN), _records(path, fmt, fmt.delimiter), strict=False)]
    n_title = title_rows(top)
    return title_message(path, above, key, n_title, "line") if n_title else None


@dataclass(frozen=True)
class BadByte:
    """The first byte of a file that its encoding cannot read: its offset from the start of
    the file (counted from 0, any byte-order mark included), its line (line breaks before it,
    plus 1: every line counted from 1, as a text editor numbers them) and its value."""

    offset: int
    line: int
    value: int


def first_bad_byte(path: Path, encoding: str, start: int = 0) -> BadByte | None:
    """The first byte from ``start`` that ``encoding`` cannot read, or None (none; or an
    encoding such as UTF-16 whose line breaks are not one byte each). The file is decoded a
    chunk at a time and the line is found by counting line-break bytes before the offset, so
    a large file is never held or split into lines in Python."""
    if not single_byte_ascii(encoding):
        return None
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    breaks = 0
    with open(path, "rb") as fh:
        fh.seek(start)
        pos = start  # the offset of the next chunk
        while True:
            chunk = fh.read(DECODE_CHUNK)
            held = decoder.getstate()[0]  # an unfinished UTF-8 character's bytes (never a line break)
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as err:
                data = bytes(err.object)  # the held bytes, then the chunk
                return BadByte(pos - len(held) + err.start, breaks + data.count(b"\n", 0, err.start) + 1,
                               data[err.start])
            if not chunk:
                return None
            breaks += chunk.count(b"\n")
            pos += len(chunk)


def _encoding_message(path: Path, fmt: FileFormat, key: str) -> str:
    """The message for a file its encoding cannot read: where the first such byte is (its
    line and offset) and, where cp1252 reads it, that setting. One byte is shown, as hex and
    as the cp1252 character: never a value."""
    head = f"{path.name}: the bytes are not valid {fmt.encoding} text"
    fix = f"Set {key}.encoding to the file's encoding (e.g. cp1252 or latin-1 for Excel exports)."
    try:
        bad = first_bad_byte(path, fmt.encoding, _bom_length(path, fmt))
    except (OSError, LookupError):
        bad = None
    if bad is None:
        return f"{head}. {fix}"
    head += (f": the first byte that is not, 0x{bad.value:02X}, is on line {bad.line} (byte offset "
             f"{bad.offset:,} of the file, counted from 0).")
    try:
        as_cp1252 = bytes([bad.value]).decode("cp1252")
    except UnicodeDecodeError:
        return f"{head} {fix}"
    if codecs.lookup(fmt.encoding).name == "cp1252" or bad.value < 0x80 or not as_cp1252.isprintable():
        return f"{head} {fix}"
    return (f"{head} Set {key}.encoding to the file's encoding: {key}.encoding: cp1252 for a Windows (Excel) "
            f"export, which reads 0x{bad.value:02X} as {as_cp1252!r} (or latin-1).")


def _csv_problem(path: Path, fmt: FileFormat, err: Exception, key: str, undecodable: bool = False) -> str:
    """The message for a CSV Arrow could not read; ``undecodable``: a row's bytes were not
    UTF-8 (:func:`_undecodable_rows`), whatever Arrow's own message says."""
    text = str(err)
    if isinstance(err, LookupError):
        return f"{path.name}: unknown {key}.encoding {fmt.encoding!r}; use e.g. utf-8, cp1252, latin-1."
    if undecodable or "UTF8" in text or "utf-8" in text.lower() or isinstance(err, UnicodeError):
        msg = _encoding_message(path, fmt, key)
        if _bom_length(path, fmt):
            msg += (" The file starts with a UTF-8 byte-order mark although the rest is not UTF-8 (Excel "
                    "writes one); carecase skips the mark whatever the encoding.")
        # both faults at once (an Excel export with a title): name both; the lines are read
        # with undecodable bytes replaced (an unknown encoding was refused before any read)
        title = _csv_title(path, fmt, _header_line(path, fmt)[0], key)
        return f"{msg} Also: {title.removeprefix(f'{path.name}: ')}" if title else msg
    first_line = text.splitlines()[0] if text else type(err).__name__
    # Arrow messages may quote row text; keep only the message head without values.
    return f"{path.name}: could not read the CSV ({first_line.split(':')[0]}). Check {key}.delimiter, quoting and {key}.skip_rows."


def _cell_text(v: object, date_fmt: str | None) -> str:
    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        if date_fmt:
            return v.strftime(date_fmt)
        return v.strftime("%Y-%m-%d") if v.time() == dt.time(0) else v.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(v, dt.date):
        return v.strftime(date_fmt or "%Y-%m-%d")
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return str(v)


def _read_xlsx(path: Path, fmt: FileFormat, date_formats: dict[str, str | None],
               key: str = "format") -> tuple[pa.Table, int]:
    """The sheet's rows after the header (blank ones too), whose sheet rows follow the
    header's: openpyxl yields a row for every sheet row from row 1, empty ones included; and
    the sheet rows above the header (``format.skip_rows`` and the empty rows after them,
    passed over to the header as a CSV's empty lines are)."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises many types for corrupt files
        raise IngestError(f"{path.name}: not a readable .xlsx workbook ({type(err).__name__}).") from None
    try:
        names = wb.sheetnames
        sheet = fmt.sheet if fmt.sheet is not None else 0
        if isinstance(sheet, int):
            if not 0 <= sheet < len(names):
                raise IngestError(f"{path.name}: {key}.sheet {sheet} is out of range; the workbook has {len(names)} sheet(s): {names}. Set {key}.sheet to one of them.")
            ws = wb[names[sheet]]
        elif sheet in names:
            ws = wb[sheet]
        else:
            raise IngestError(f"{path.name}: no sheet named {sheet!r} ({key}.sheet); sheets: {names}. Set {key}.sheet to the sheet that holds the extract (a re-issued workbook may have renamed it).")
        rows = ws.iter_rows(values_only=True)
        for _ in range(fmt.skip_rows):
            next(rows, None)
        above, head = fmt.skip_rows, next(rows, None)
        while head is not None and all(not _cell_text(v, None).strip() for v in head):  # blank: whitespace at most
            above, head = above + 1, next(rows, None)
        if head is None:
            raise IngestError(f"{path.name}: the sheet is empty; it needs at least a header row.")
        last = max((i for i, v in enumerate(head) if v not in (None, "")), default=-1)
        data = list(rows)  # blank rows too: read_extract counts and skips them like a CSV's
    finally:
        wb.close()
    n_title = title_rows([[_cell_text(v, None) for v in r] for r in [head, *data[: TITLE_ROWS_SEEN - 1]]])
    if n_title:
        raise IngestError(title_message(path, above, key, n_title, "sheet row"))
    def below() -> tuple[int, list[str]]:
        return next(((above + 2 + i, [_cell_text(v, None) for v in r]) for i, r in enumerate(data)
                     if any(_cell_text(v, None).strip() for v in r)), (0, []))

    header = check_header([_cell_text(v, None) for v in head[: last + 1]], path,
                           HeaderPlace("sheet row", above, below, key))
    fmts = [date_format_of(date_formats, h) for h in header]
    width = len(header)
    extra = [above + i + 2 for i, r in enumerate(data) if any(_cell_text(v, None).strip() for v in r[width:])]
    if extra:
        raise IngestError(f"{path.name}: sheet row(s) {extra[:5]} have values beyond the last named column; name every "
                          f"column in the header (or, if the header is further down, set {key}.skip_rows to the rows "
                          "above it).")
    cols = list(zip(*[tuple(r[:width]) + (None,) * (width - len(r[:width])) for r in data], strict=False)) if data else [()] * width
    return pa.table({h: pa.array([_cell_text(v, f) for v in col], pa.string())
                     for h, col, f in zip(header, cols, fmts, strict=True)}), above


def _column_text(col: pa.ChunkedArray, date_fmt: str | None) -> pa.Array:
    arr = col.combine_chunks()
    t = arr.type
    if pa.types.is_dictionary(t):
        arr = arr.dictionary_decode()
        t = arr.type
    if pa.types.is_date(t) or pa.types.is_timestamp(t):
        ts = arr.cast(pa.timestamp("s")) if pa.types.is_date(t) else arr
        out = pc.strftime(ts, format=date_fmt or "%Y-%m-%d")
    elif pa.types.is_floating(t):
        whole = pc.and_(pc.equal(pc.floor(arr), arr), pc.less(pc.abs(arr), 1e15))
        as_int = pc.cast(pc.if_else(pc.fill_null(whole, False), arr, 0.0), pa.int64()).cast(pa.string())
        out = pc.if_else(pc.fill_null(whole, False), as_int, arr.cast(pa.string()))
    elif pa.types.is_boolean(t):
        out = pc.if_else(arr, "TRUE", "FALSE")
    else:
        try:
            out = arr.cast(pa.string())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise IngestError(f"column of type {t}, which cannot be read as text; export it as text or a number.") from None
    return pc.fill_null(out, "")


def _read_parquet(path: Path, date_formats: dict[str, str | None]) -> pa.Table:
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as err:
        raise IngestError(f"{path.name}: not a readable Parquet file ({type(err).__name__}).") from None
    header = check_header(table.column_names, path)
    columns = {}
    for i, h in enumerate(header):
        try:
            columns[h] = _column_text(table.column(i), date_format_of(date_formats, h))
        except IngestError as err:
            raise IngestError(f"{path.name}: '{h}' is a {err}") from None
    return pa.table(columns)


def _blank_rows(table: pa.Table) -> pa.Array:
    """True where every cell of the row is empty or whitespace."""
    blank = pa.array([True] * table.num_rows, pa.bool_())
    for col in table.columns:
        blank = pc.and_(blank, pc.equal(pc.utf8_trim_whitespace(col.combine_chunks()), ""))
    return blank


def file_kind(path: Path) -> str:
    """What a file's first bytes say it is: ``xlsx`` (a ZIP container), ``xls`` (an old Excel
    workbook), ``parquet`` or ``text``."""
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if head.startswith(b"PAR1"):
        return "parquet"
    return "text"


_KIND_WORDS = {"xlsx": "an .xlsx workbook", "xls": "an old Excel .xls workbook", "parquet": "a Parquet file",
               "text": "a text (CSV) file"}


def check_kind(path: Path, fmt: FileFormat, key: str) -> None:
    """Refuse a file whose contents are not its ``format.type``, naming the setting that reads
    it: a CSV named under type: xlsx said only 'not a readable .xlsx workbook
    (InvalidFileException)'."""
    kind = file_kind(path)
    want = {"csv": "text", "xlsx": "xlsx", "parquet": "parquet"}[fmt.type]
    if kind == want or path.stat().st_size == 0:
        return
    if kind == "xls":
        fix = "save it from Excel as .xlsx (or CSV) and point the path at that file"
    else:
        fix = f"set {key}.type: {'csv' if kind == 'text' else kind}, or point the path at the {fmt.type} file"
    raise IngestError(f"{path.name}: {key}.type is {fmt.type}, but the file is {_KIND_WORDS[kind]}: {fix}.")


def read_extract(path: Path, fmt: FileFormat, date_formats: dict[str, str | None] | None = None,
                 key: str = "format") -> Extract:
    """The file's data rows as a table of (non-null) strings, one column per header name, the
    number of blank rows skipped and each row's line (or sheet row) in the file. ``key`` is
    the configuration key of ``fmt`` (messages)."""
    formats = date_formats or {}
    blank = 0
    lines: np.ndarray | None = None
    check_kind(path, fmt, key)
    if fmt.type == "csv":
        table, blank, lines = _read_csv(path, fmt, key)
    elif fmt.type == "xlsx":
        table, above = _read_xlsx(path, fmt, formats, key)
        lines = np.arange(above + 2, above + 2 + table.num_rows, dtype=np.int64)
    else:
        table = _read_parquet(path, formats)
    table = table.combine_chunks()
    if table.num_rows and table.num_columns:
        empty = _blank_rows(table)
        n_empty = int(pc.sum(empty).as_py() or 0)
        if n_empty:
            table = table.filter(pc.invert(empty)).combine_chunks()
            if lines is not None:
                lines = lines[~empty.to_numpy(zero_copy_only=False)]
            blank += n_empty
    return Extract(table, blank, lines)
