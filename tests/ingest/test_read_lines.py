"""Each row read from an extract knows where its user sees it: the line of a CSV where it
starts (every line counted from 1, a quoted cell over several lines counted whole), a
workbook's sheet row; none for Parquet (Extract.file_lines)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carecase.core.errors import IngestError
from carecase.ingest import lines as lines_mod
from carecase.ingest.config import FileFormat
from carecase.ingest.read import read_extract


def test_xlsx_sheet_rows_and_parquet(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in (["Title"], ["a", "b"], ["1", "2"], [None, None], [" ", ""], ["3", "4"]):
        ws.append(r)
    wb.save(tmp_path / "x.xlsx")
    got = read_extract(tmp_path / "x.xlsx", FileFormat(type="xlsx", skip_rows=1))
    assert got.table.column("a").to_pylist() == ["1", "3"] and got.blank_rows == 2
    assert got.file_lines.tolist() == [3, 6]
    pq.write_table(pa.table({"a": ["1", "", "3"]}), tmp_path / "x.parquet")
    got = read_extract(tmp_path / "x.parquet", FileFormat(type="parquet"))
    assert got.table.num_rows == 2 and got.file_lines is None


def test_a_stray_quote_falls_back_to_the_csv_module(tmp_path: Path, monkeypatch) -> None:
    """A quote inside an unquoted cell (5'10") would throw the count of quotes out; the
    csv module reads such a file."""
    path = tmp_path / "x.csv"
    path.write_text('a,b\n5\'10",x\n\n1,"two\nlines"\n3,4\n')
    fmt = FileFormat(type="csv")
    assert lines_mod._from_bytes(path, 0, ",", 2, 3, 0) is None
    assert read_extract(path, fmt).file_lines.tolist() == [2, 4, 6]


@pytest.mark.parametrize("encoding", ["utf-16", "cp1252", "utf-8"])
def test_encodings(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes("Titel £\na;b\n1;é\n\n\"2\n2\";x\n".encode(encoding))
    got = read_extract(path, FileFormat(type="csv", encoding=encoding, delimiter=";", skip_rows=1))
    assert got.table.column("a").to_pylist() == ["1", "2\n2"]
    assert got.file_lines.tolist() == [3, 5]
    assert lines_mod.single_byte_ascii(encoding) == (encoding != "utf-16")


def test_line_breaks_lf_crlf_and_lone_cr() -> None:
    buf = np.frombuffer(b"a\r\nb\rc\nd\r", np.uint8)
    assert lines_mod.line_breaks(buf).tolist() == [2, 4, 6, 8]


# ---------------------------------------------------------------- property: lines are where the rows start

CELLS = ["a", "b c", "", " ", "x,y", 'say "hi"', "two\nlines", "two\r\nlines", "\n", "£5", "9434765919"]


@st.composite
def csv_files(draw) -> tuple[str, int, list[int]]:
    """A CSV, its skip_rows and the line where each of its data rows (not blank) starts."""
    width = draw(st.integers(1, 4))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    out = io.StringIO()
    # a lone CR ends lines (old Mac files); the csv module quotes a cell holding a line break
    # only when it is a character of the line terminator, so such files quote every cell
    quoting = csv.QUOTE_ALL if newline == "\r" else draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    writer = csv.writer(out, lineterminator=newline, quoting=quoting)
    skip = draw(st.integers(0, 3))
    for _ in range(skip):
        out.write(draw(st.sampled_from(["Title", "run 2024, all sites", ""])) + newline)
    writer.writerow([f"c{i}" for i in range(width)])
    starts = []
    for kind, cells in draw(st.lists(st.tuples(st.integers(0, 9), st.lists(st.sampled_from(CELLS), min_size=width,
                                                                           max_size=width)), max_size=25)):
        line = len(re.findall(r"\r\n|\r|\n", out.getvalue())) + 1
        if kind == 0:
            out.write(newline)  # an empty line
        elif kind == 1:
            out.write("  " + newline)
        else:
            writer.writerow(cells)
            if any(c.strip() for c in cells):
                starts.append(line)
    text = out.getvalue()
    if starts and draw(st.booleans()):  # no line break after the last row
        text = text.rstrip("\r\n")
    return text, skip, starts


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(csv_files())
def test_lines_are_where_the_rows_start(tmp_path: Path, monkeypatch, made) -> None:
    text, skip, starts = made
    path = tmp_path / "x.csv"
    path.write_bytes(text.encode("utf-8"))
    fmt = FileFormat(type="csv", skip_rows=skip)
    found = []
    with monkeypatch.context() as m:  # a file the csv module writes never needs the csv module to read its lines
        m.setattr(lines_mod, "_from_bytes", lambda *a, _f=lines_mod._from_bytes: found.append(_f(*a)) or found[-1])
        got = read_extract(path, fmt)
    assert not found or found[-1] is not None  # (not called for a file of no rows)
    lines = got.file_lines
    assert lines is not None and lines.dtype == np.int64 and lines.size == got.table.num_rows
    assert lines.tolist() == starts
    source_row = np.arange(1, lines.size + 1)
    assert (np.diff(lines) > 0).all() and (lines >= source_row + skip + 1).all()
    with monkeypatch.context() as m:  # the csv module finds the same lines
        m.setattr(lines_mod, "_from_bytes", lambda *a, **k: None)
        assert read_extract(path, fmt).file_lines.tolist() == starts


# ---------------------------------------------------------------- the quotes, counted a chunk at a time

def _inside_whole(buf: np.ndarray, start: int, breaks: np.ndarray, delim: int, quote: int) -> np.ndarray | None:
    """_inside_quotes with every quote's offset at once (as it was before it counted a chunk
    at a time)."""
    quotes = np.flatnonzero(buf[start:] == quote) + start
    if quotes.size % 2:
        return None
    opening, closing = quotes[0::2], quotes[1::2]
    edge = np.isin(np.arange(256), [delim, 10, 13, quote])
    ok_open = (opening == start) | edge[buf[np.maximum(opening - 1, 0)]]
    ok_close = (closing + 1 >= buf.size) | edge[buf[np.minimum(closing + 1, buf.size - 1)]]
    if not (ok_open.all() and ok_close.all()):
        return None
    return np.searchsorted(quotes, breaks) % 2 == 1


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(['"', ",", "\n", "\r", "a", '""', '","', '"\n"']), max_size=40), st.integers(0, 5),
       st.integers(1, 9))
def test_quotes_counted_a_chunk_at_a_time(monkeypatch, parts: list[str], start: int, chunk: int) -> None:
    """Whatever the chunk, each line break is found inside or outside quotes as when every
    quote is counted at once, and a misplaced or odd quote is found in any chunk."""
    buf = np.frombuffer("".join(parts).encode() or b"a", np.uint8)
    start = min(start, buf.size - 1)
    breaks = lines_mod.line_breaks(buf)
    breaks = breaks[breaks >= start]
    want = _inside_whole(buf, start, breaks, ord(","), ord('"'))
    monkeypatch.setattr(lines_mod, "QUOTE_SCAN_BYTES", chunk)
    got = lines_mod._inside_quotes(buf, start, breaks, ord(","), ord('"'))
    assert (got is None) == (want is None)
    if want is not None:
        assert got.tolist() == want.tolist()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(csv_files(), st.integers(1, 7), st.integers(1, 3))
def test_lines_found_in_small_chunks(tmp_path: Path, monkeypatch, made, quote_chunk: int, record_block: int) -> None:
    """The quotes counted and the records' leading bytes looked at a few at a time: the
    same lines."""
    text, skip, starts = made
    path = tmp_path / "x.csv"
    path.write_bytes(text.encode("utf-8"))
    monkeypatch.setattr(lines_mod, "QUOTE_SCAN_BYTES", quote_chunk)
    monkeypatch.setattr(lines_mod, "RECORD_BLOCK", record_block)
    found = []
    with monkeypatch.context() as m:
        m.setattr(lines_mod, "_from_bytes", lambda *a, _f=lines_mod._from_bytes: found.append(_f(*a)) or found[-1])
        assert read_extract(path, FileFormat(type="csv", skip_rows=skip)).file_lines.tolist() == starts
    assert not found or found[-1] is not None


# ---------------------------------------------------------------- empty lines between the skipped rows and the header

HEADER_AFTER_EMPTY_LINES = [
    # (text, skip_rows, the data rows' first cells, their lines, blank rows)
    ("Title\n\na,b\n1,2\n", 1, ["1"], [4], 0),
    ("Title\n\na,b\n1,2\n", 2, ["1"], [4], 0),
    ("\na,b\n1,2\n", 0, ["1"], [3], 0),
    ("Title\n\n\na,b\n1,2\n\n3,4", 1, ["1", "3"], [5, 7], 1),
    ('Title\n\na,b\n"1\n1",2\n3,4\n', 1, ["1\n1", "3"], [4, 6], 0),
    # blank lines of whitespace, delimiters or empty quotes: passed over as empty ones are
    (" \n\t\na,b\n1,2\n", 0, ["1"], [4], 0),
    ('Title\n,\n"",""\n  ,\na,b\n1,2\n', 1, ["1"], [6], 0),
]


@pytest.mark.parametrize("reader", ["bytes", "csv module"])
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
@pytest.mark.parametrize(("text", "skip", "first_cells", "lines", "blank"), HEADER_AFTER_EMPTY_LINES)
def test_empty_lines_before_the_header_are_passed_over(tmp_path: Path, monkeypatch, reader: str, newline: str,
                                                      encoding: str, text: str, skip: int, first_cells: list[str],
                                                      lines: list[int], blank: int) -> None:
    """format.skip_rows counts lines, blank ones too; empty lines after them are passed over to
    the header, by the header's read and the data's alike: the header is never read again as a
    data row, and each row's line counts every line of the file."""
    found: list[object] = []
    if reader == "csv module":
        monkeypatch.setattr(lines_mod, "_from_bytes", lambda *a, **k: None)
    else:
        monkeypatch.setattr(lines_mod, "_from_bytes", lambda *a, _f=lines_mod._from_bytes: found.append(_f(*a)) or found[-1])
    path = tmp_path / "x.csv"
    path.write_bytes(text.replace("\n", newline).encode(encoding))
    got = read_extract(path, FileFormat(type="csv", encoding=encoding, skip_rows=skip))
    assert bool(found and found[-1] is not None) == (reader == "bytes" and encoding == "utf-8")  # UTF-16: the csv module
    assert got.table.column_names == ["a", "b"]
    assert got.table.column("a").to_pylist() == [c.replace("\n", newline) for c in first_cells]
    assert got.blank_rows == blank
    assert got.file_lines is not None and got.file_lines.tolist() == lines


def test_a_title_below_empty_lines_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "police.csv"
    path.write_text("\nPolice custody extract\nnhs,mrn,code,date\n9434765919,A,AE,05/01/2024\n")
    with pytest.raises(IngestError, match=r"police\.csv: line 2 looks like a title above the header \(one filled "
                                          r"cell, then line 3 holds column names\): set f\.skip_rows: 2 to start"):
        read_extract(path, FileFormat(type="csv"), key="f")
    got = read_extract(path, FileFormat(type="csv", skip_rows=2))
    assert got.table.column("nhs").to_pylist() == ["9434765919"] and got.file_lines.tolist() == [4]


@pytest.mark.parametrize(("rows", "skip", "lines"), [
    ([["Title"], [None, None], ["a", "b"], ["1", "2"], [None, None], ["3", "4"]], 1, [4, 6]),
    ([["Title"], [None, None], ["a", "b"], ["1", "2"], [None, None], ["3", "4"]], 2, [4, 6]),
    ([[None], ["", None], ["a", "b"], ["1", "2"], [None, None], ["3", "4"]], 0, [4, 6]),
    ([[" "], ["\t", None], ["a", "b"], ["1", "2"], [None, None], ["3", "4"]], 0, [4, 6]),
])
def test_empty_sheet_rows_before_the_header_are_passed_over(tmp_path: Path, rows: list, skip: int,
                                                            lines: list[int]) -> None:
    """In a workbook as in a CSV: format.skip_rows counts sheet rows, empty ones too, and
    empty sheet rows after them are passed over to the header."""
    wb = openpyxl.Workbook()
    for r in rows:
        wb.active.append(r)
    wb.save(tmp_path / "x.xlsx")
    got = read_extract(tmp_path / "x.xlsx", FileFormat(type="xlsx", skip_rows=skip))
    assert got.table.column_names == ["a", "b"] and got.table.column("a").to_pylist() == ["1", "3"]
    assert got.blank_rows == 1 and got.file_lines.tolist() == lines


def test_a_title_below_an_empty_sheet_row_names_its_row(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    for r in ([None], ["Police custody extract"], ["nhs", "mrn"], ["9434765919", "A"]):
        wb.active.append(r)
    wb.save(tmp_path / "x.xlsx")
    with pytest.raises(IngestError, match=r"x\.xlsx: sheet row 2 looks like a title above the header \(one filled "
                                          r"cell, then sheet row 3 holds column names\): set f\.skip_rows: 2 to start"):
        read_extract(tmp_path / "x.xlsx", FileFormat(type="xlsx"), key="f")
    assert read_extract(tmp_path / "x.xlsx", FileFormat(type="xlsx", skip_rows=2)).file_lines.tolist() == [4]
