"""Reading one extract into an Arrow table of strings, whatever its type.

Every column is read as text first so junk never crashes ingest; parsing happens later with
rules. Cells that a spreadsheet or Parquet file already stores as dates are written back as
text in the column's configured format (ISO when none), so they parse like any other value.
Blank lines are not data rows; ``source_row`` (added by the caller) counts data rows from 1.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from carecase.core.errors import IngestError
from carecase.ingest.config import FileFormat


def _check_header(names: list[str], path: Path) -> list[str]:
    clean = [str(n).strip() for n in names]
    if any(not n for n in clean):
        pos = [i + 1 for i, n in enumerate(clean) if not n]
        raise IngestError(f"{path.name}: header has blank column name(s) at position(s) {pos}; give every column a name (or set format.skip_rows).")
    dupes = sorted({n for n in clean if clean.count(n) > 1})
    if dupes:
        raise IngestError(f"{path.name}: header repeats column name(s) {dupes}; rename them so each column is unique.")
    return clean


def _read_csv(path: Path, fmt: FileFormat) -> pa.Table:
    if len(fmt.delimiter) != 1:
        raise IngestError(f"{path.name}: format.delimiter must be one character, got {fmt.delimiter!r}.")
    bad_rows: list[int] = []

    def _invalid(row: pcsv.InvalidRow) -> str:
        bad_rows.append(row.number if row.number is not None else -1)
        return "skip"

    parse = pcsv.ParseOptions(delimiter=fmt.delimiter, newlines_in_values=True, invalid_row_handler=_invalid)
    try:
        head = pcsv.open_csv(
            path,
            read_options=pcsv.ReadOptions(encoding=fmt.encoding, skip_rows=fmt.skip_rows, autogenerate_column_names=True, block_size=1 << 16),
            parse_options=pcsv.ParseOptions(delimiter=fmt.delimiter, newlines_in_values=True,
                                            invalid_row_handler=lambda row: "skip"),
            convert_options=pcsv.ConvertOptions(strings_can_be_null=False),
        )
        first = head.read_next_batch()
    except StopIteration:
        raise IngestError(f"{path.name}: the file is empty; it needs at least a header row.") from None
    except (pa.ArrowInvalid, LookupError, UnicodeError) as err:
        if "Empty CSV file" in str(err):
            raise IngestError(f"{path.name}: the file is empty; it needs at least a header row.") from None
        raise IngestError(_csv_problem(path, fmt, err)) from None
    if first.num_rows == 0:
        raise IngestError(f"{path.name}: the file is empty; it needs at least a header row.")
    header = _check_header([first.column(i)[0].as_py() if first.column(i)[0].is_valid else "" for i in range(first.num_columns)], path)
    header = [str(h) for h in header]
    try:
        table = pcsv.read_csv(
            path,
            read_options=pcsv.ReadOptions(encoding=fmt.encoding, skip_rows=fmt.skip_rows + 1, column_names=header),
            parse_options=parse,
            convert_options=pcsv.ConvertOptions(
                column_types={h: pa.string() for h in header}, strings_can_be_null=False, quoted_strings_can_be_null=False
            ),
        )
    except (pa.ArrowInvalid, LookupError, UnicodeError) as err:
        if "Empty CSV file" in str(err):
            return pa.table({h: pa.array([], pa.string()) for h in header})
        raise IngestError(_csv_problem(path, fmt, err)) from None
    if bad_rows:
        where = ", ".join(str(n) for n in sorted(bad_rows)[:5] if n >= 0) or "unknown lines"
        raise IngestError(
            f"{path.name}: {len(bad_rows)} row(s) (line(s) {where}) do not have {len(header)} fields like "
            "the header. Check format.delimiter and that text containing the delimiter is quoted; "
            "carecase stops rather than drop rows."
        )
    return table


def _csv_problem(path: Path, fmt: FileFormat, err: Exception) -> str:
    text = str(err)
    if "UTF8" in text or "utf-8" in text.lower() or isinstance(err, UnicodeError):
        return (f"{path.name}: the bytes are not valid {fmt.encoding} text. Set format.encoding "
                "to the file's encoding (e.g. cp1252 or latin-1 for Excel exports).")
    if isinstance(err, LookupError):
        return f"{path.name}: unknown format.encoding {fmt.encoding!r}; use e.g. utf-8, cp1252, latin-1."
    first_line = text.splitlines()[0] if text else type(err).__name__
    # Arrow messages may quote row text; keep only the message head without values.
    return f"{path.name}: could not read the CSV ({first_line.split(':')[0]}). Check format.delimiter, quoting and format.skip_rows."


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


def _read_xlsx(path: Path, fmt: FileFormat, date_formats: dict[str, str | None]) -> pa.Table:
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
                raise IngestError(f"{path.name}: format.sheet {sheet} is out of range; the workbook has {len(names)} sheet(s): {names}.")
            ws = wb[names[sheet]]
        elif sheet in names:
            ws = wb[sheet]
        else:
            raise IngestError(f"{path.name}: no sheet named {sheet!r} (format.sheet); sheets: {names}.")
        rows = ws.iter_rows(values_only=True)
        for _ in range(fmt.skip_rows):
            next(rows, None)
        head = next(rows, None)
        if head is None:
            raise IngestError(f"{path.name}: the sheet is empty; it needs at least a header row.")
        last = max((i for i, v in enumerate(head) if v not in (None, "")), default=-1)
        header = _check_header([_cell_text(v, None) for v in head[: last + 1]], path)
        fmts = [date_formats.get(h) for h in header]
        width = len(header)
        data = [r for r in rows if any(v not in (None, "") for v in r)]
    finally:
        wb.close()
    extra = [i + 1 for i, r in enumerate(data) if any(v not in (None, "") for v in r[width:])]
    if extra:
        raise IngestError(f"{path.name}: data row(s) {extra[:5]} have values beyond the last named column; name every column in the header.")
    cols = list(zip(*[tuple(r[:width]) + (None,) * (width - len(r[:width])) for r in data], strict=False)) if data else [()] * width
    return pa.table({h: pa.array([_cell_text(v, f) for v in col], pa.string()) for h, col, f in zip(header, cols, fmts, strict=True)})


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
    header = _check_header(table.column_names, path)
    columns = {}
    for i, h in enumerate(header):
        try:
            columns[h] = _column_text(table.column(i), date_formats.get(h))
        except IngestError as err:
            raise IngestError(f"{path.name}: '{h}' is a {err}") from None
    return pa.table(columns)


def read_extract(path: Path, fmt: FileFormat, date_formats: dict[str, str | None] | None = None) -> pa.Table:
    """The file as a table of (non-null) strings, one column per header name."""
    formats = date_formats or {}
    if fmt.type == "csv":
        table = _read_csv(path, fmt)
    elif fmt.type == "xlsx":
        table = _read_xlsx(path, fmt, formats)
    else:
        table = _read_parquet(path, formats)
    return table.combine_chunks()
