"""Two reading problems of files saved by Excel (walkthrough M1, M5): a UTF-8 byte-order mark
before Windows-1252 text, and a title row above the header."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from carecase.core.errors import IngestError
from carecase.ingest.config import FileFormat
from carecase.ingest.header import title_rows
from carecase.ingest.read import read_extract
from carecase.ingest.stage import run

from .helpers import event_source, table

BOM = b"\xef\xbb\xbf"
ROWS = "ClientRef,Forename,Cost\nC1000,Zoë,£123.45\nC1001,Renée,£5\n"


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1", "windows-1252"])
def test_a_utf8_byte_order_mark_is_skipped_whatever_the_encoding(tmp_path, encoding) -> None:
    path = tmp_path / "asc.csv"
    path.write_bytes(BOM + ROWS.encode("cp1252"))
    got = read_extract(path, FileFormat(type="csv", encoding=encoding)).table
    assert got.column_names == ["ClientRef", "Forename", "Cost"]
    assert got.to_pylist() == [{"ClientRef": "C1000", "Forename": "Zoë", "Cost": "£123.45"},
                               {"ClientRef": "C1001", "Forename": "Renée", "Cost": "£5"}]


def test_a_bom_file_that_is_not_utf8_says_so(tmp_path) -> None:
    path = tmp_path / "asc.csv"
    path.write_bytes(BOM + ROWS.encode("cp1252"))
    with pytest.raises(IngestError, match=r"not valid utf-8 text: the first byte that is not, 0xEB, is on line 2 "
                                          r"\(byte offset 35 of the file, counted from 0\)\. Set key\.encoding .* "
                                          r"starts with a UTF-8 byte-order mark although the rest is not UTF-8"):
        read_extract(path, FileFormat(type="csv"), key="key")
    # UTF-8 with a mark, as before
    path.write_bytes(BOM + ROWS.encode("utf-8"))
    assert read_extract(path, FileFormat(type="csv")).table.column("Forename").to_pylist() == ["Zoë", "Renée"]


def test_bom_cp1252_source_ingests_and_row_errors_count_lines(project_factory) -> None:
    src = event_source(path="ae.csv", format={"type": "csv", "encoding": "cp1252"}, ids={"nhs_number": "nhs", "local_id": "mrn"})
    csv = BOM + "nhs,mrn,code,date\n9434765919,Zoë,AE,05/01/2024\n".encode("cp1252")
    p = project_factory({"sources": [src]}, {"ae.csv": csv})
    s = run(p)
    assert s["sources"]["acute"]["rows_accepted"] == 1
    assert len(table(p, "events_staged")) == 1
    # the Python reader used for messages skips the mark too: the bad line is line 3
    bad = BOM + "nhs,mrn,code,date\n9434765919,Zoë,AE,05/01/2024\n9434765919,A,AE\n".encode("cp1252")
    q = project_factory({"sources": [src]}, {"ae.csv": bad}, sub="q")
    with pytest.raises(IngestError, match="line 3 has 3"):
        run(q)


def _police_xlsx(path, title_rows: int = 1) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Custody"
    ws.append(["Police custody extract, April 2024"])
    for _ in range(title_rows - 1):
        ws.append([None])
    ws.append(["nhs", "mrn", "code", "date"])
    ws.append([9434765919, "A", "AE", dt.datetime(2024, 1, 5)])
    ws.append([4010232137, "B", "AE", dt.datetime(2024, 1, 6)])
    wb.save(path)


def test_a_title_row_above_an_xlsx_header_names_skip_rows(project_factory, tmp_path) -> None:
    _police_xlsx(tmp_path / "police.xlsx")
    data = (tmp_path / "police.xlsx").read_bytes()
    src = event_source(path="police.xlsx", format={"type": "xlsx", "sheet": "Custody"})
    p = project_factory({"sources": [event_source(name="other", path="o.csv"), src]},
                        {"police.xlsx": data, "o.csv": "nhs,mrn,code,date\n"})
    with pytest.raises(IngestError) as caught:
        run(p)
    assert str(caught.value) == (
        "police.xlsx: sheet row 1 looks like a title above the header (one filled cell, then sheet row 2 holds "
        "column names): set ingest.sources[1].format.skip_rows: 1 to start at the header.")
    ok = event_source(path="police.xlsx", format={"type": "xlsx", "sheet": "Custody", "skip_rows": 1})
    q = project_factory({"sources": [ok]}, {"police.xlsx": data}, sub="q")
    assert run(q)["sources"]["acute"]["rows_accepted"] == 2


def test_a_title_and_a_blank_row_above_an_xlsx_header(tmp_path) -> None:
    _police_xlsx(tmp_path / "police.xlsx", title_rows=2)
    with pytest.raises(IngestError, match=r"sheet rows 1-2 look like a title .* set f\.skip_rows: 2 to start"):
        read_extract(tmp_path / "police.xlsx", FileFormat(type="xlsx"), key="f")
    got = read_extract(tmp_path / "police.xlsx", FileFormat(type="xlsx", skip_rows=2)).table
    assert got.column_names == ["nhs", "mrn", "code", "date"] and got.num_rows == 2


def test_values_beyond_the_header_still_name_skip_rows(tmp_path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["nhs", "mrn"])
    ws.append([9434765919, "A", "extra"])
    wb.save(tmp_path / "x.xlsx")
    with pytest.raises(IngestError, match=r"beyond the last named column; name every column in the header \(or, if "
                                          r"the header is further down, set f\.skip_rows"):
        read_extract(tmp_path / "x.xlsx", FileFormat(type="xlsx"), key="f")


def test_a_title_line_above_a_csv_header(tmp_path) -> None:
    path = tmp_path / "police.csv"
    path.write_text("Police custody extract\nnhs,mrn,code,date\n9434765919,A,AE,05/01/2024\n")
    with pytest.raises(IngestError, match=r"police\.csv: line 1 looks like a title above the header .* set "
                                          r"f\.skip_rows: 1"):
        read_extract(path, FileFormat(type="csv"), key="f")
    assert read_extract(path, FileFormat(type="csv", skip_rows=1)).table.num_rows == 1


def test_title_rows() -> None:
    assert title_rows([["Title"], ["a", "b"], ["1", "2"]]) == 1
    assert title_rows([["Title", ""], ["", ""], ["a", "b"]]) == 2
    assert title_rows([["a", "b"], ["1", "2"]]) == 0  # a header
    assert title_rows([["a"], ["1"], ["2"]]) == 0  # a single-column file
    assert title_rows([["Title"], ["9434765919", "05/01/2024"]]) == 0  # data, not column names
    assert title_rows([["Title"], ["a", "a"]]) == 0


@pytest.mark.parametrize(("text", "both"), [
    (b"A&E attendances export\r\nNHS_Number,ArrivalDate,Complaint\r\n9434765919,05/05/2023,Fall \x96 caf\xe9\r\n", True),
    (b"a,b\n1,2,3\xe9\n", False),  # a row of the wrong width with a byte that is not UTF-8
])
def test_windows_1252_bytes_read_as_utf8_say_so_without_a_traceback(tmp_path, capfd, text: bytes, both: bool) -> None:
    """Arrow decodes a row it cannot parse as UTF-8 for the invalid-row handler; a cp1252 byte
    there failed inside Arrow (a traceback on stderr) and the read ended as 'could not read the
    CSV (CSV parse error)', naming neither the encoding nor the title row (a new user's Excel
    export). Each fault is named, with its fix."""
    path = tmp_path / "ae.csv"
    path.write_bytes(text)
    with pytest.raises(IngestError) as err:
        read_extract(path, FileFormat(type="csv"), key="f")
    msg = str(err.value)
    assert msg.startswith("ae.csv: the bytes are not valid utf-8 text: the first byte that is not, ")
    assert "Set f.encoding to the file's encoding: f.encoding: cp1252 for a Windows (Excel) export" in msg
    assert ("line 1 looks like a title above the header" in msg and "set f.skip_rows: 1" in msg) == both
    assert "Exception ignored" not in capfd.readouterr().err
    if both:
        got = read_extract(path, FileFormat(type="csv", encoding="cp1252", skip_rows=1)).table
        assert got.to_pylist() == [{"NHS_Number": "9434765919", "ArrivalDate": "05/05/2023", "Complaint": "Fall – café"}]


def test_a_two_row_header_names_the_cells_and_the_skip_rows_that_starts_at_the_header(tmp_path) -> None:
    """A merged 'Package dates' cell above the real header: the message named only
    'position(s) [2]'; it names the sheet row and cell, and the skip_rows to set where the
    row below looks like the header."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Client", None, "Package dates", None])
    ws.merge_cells("C1:D1")
    ws.append(["Client", "Service", "Start", "End"])
    ws.append(["C1", "HC", "01/01/2024", "02/02/2024"])
    wb.save(tmp_path / "asc.xlsx")
    with pytest.raises(IngestError) as err:
        read_extract(tmp_path / "asc.xlsx", FileFormat(type="xlsx"), key="f")
    assert str(err.value) == ("asc.xlsx: the header (sheet row 1) has no name in column B (cell B1). Sheet row 2 "
                              "looks like the header (a two-row header, or a merged cell above it): set f.skip_rows: "
                              "1 to start there.")
    assert read_extract(tmp_path / "asc.xlsx", FileFormat(type="xlsx", skip_rows=1)).table.column_names == \
        ["Client", "Service", "Start", "End"]
    (tmp_path / "asc.csv").write_text("\nClient,,Package dates,\nC1,HC,1,2\n")
    with pytest.raises(IngestError, match=r"^asc\.csv: the header \(line 2\) has no name in columns 2, 4\. Give "
                                          r"every column a name, or set f\.skip_rows to start at the header\.$"):
        read_extract(tmp_path / "asc.csv", FileFormat(type="csv"), key="f")


def test_an_unknown_encoding_is_named_whatever_its_spelling(tmp_path) -> None:
    """'utf-8x' was taken for bad bytes ('not valid utf-8x text'), and after a later change a
    traceback (the file read again in it); it is an unknown encoding, like 'nope'."""
    (tmp_path / "x.csv").write_bytes(b"a,b\n1,2\n")
    for enc in ("utf-8x", "nope"):
        with pytest.raises(IngestError, match=rf"^x\.csv: unknown f\.encoding '{enc}'; use e\.g\. utf-8"):
            read_extract(tmp_path / "x.csv", FileFormat(type="csv", encoding=enc), key="f")


def test_a_two_row_header_with_blank_lines_between_names_the_real_header_line(tmp_path) -> None:
    (tmp_path / "asc.csv").write_text("Client,,Package dates,\n\n\nClient,Service,Start,End\nC1,HC,1,2\n")
    with pytest.raises(IngestError, match=r"Line 4 looks like the header .*set f\.skip_rows: 1 to start there"):
        read_extract(tmp_path / "asc.csv", FileFormat(type="csv"), key="f")
    got = read_extract(tmp_path / "asc.csv", FileFormat(type="csv", skip_rows=1)).table
    assert got.column_names == ["Client", "Service", "Start", "End"]


def test_bytes_not_in_the_encoding_name_their_line_offset_and_the_setting(tmp_path, monkeypatch) -> None:
    """'not valid utf-8 text' named neither the line nor the byte, so a user with one stray
    cp1252 byte in a million rows could not find it. The line is counted from the bytes
    before it, decoded a chunk at a time (a chunk of 7 bytes here, so that rows, a
    multi-line cell and a UTF-8 character straddle chunks), never split into lines in Python."""
    from carecase.ingest import read

    monkeypatch.setattr(read, "DECODE_CHUNK", 7)
    head = "nhs,name,note\n9434765919,Zoë,\"two\nlines\"\n4010232137,Renée,ok\n".encode()
    path = tmp_path / "asc.csv"
    path.write_bytes(BOM + head + b"9434765918,Ren\xe9e,ok\n")
    with pytest.raises(IngestError) as err:
        read_extract(path, FileFormat(type="csv"), key="f")
    offset = len(BOM + head) + 14
    assert str(err.value).startswith(
        f"asc.csv: the bytes are not valid utf-8 text: the first byte that is not, 0xE9, is on line 5 (byte "
        f"offset {offset} of the file, counted from 0). Set f.encoding to the file's encoding: f.encoding: cp1252 "
        "for a Windows (Excel) export, which reads 0xE9 as '\u00e9' (or latin-1).")
    assert "Ren" not in str(err.value)  # one byte, never the value
    assert read.first_bad_byte(path, "utf-8", 3) == read.BadByte(offset, 5, 0xE9)
    assert read.first_bad_byte(path, "utf-8", len(BOM + head) + 15) is None
    # a character cut off by the end of the file, and a byte cp1252 has no character for
    path.write_bytes(b"a,b\n1,\xe2\x80")
    assert read.first_bad_byte(path, "utf-8") == read.BadByte(6, 2, 0xE2)
    path.write_bytes(b"a,b\n\n1,\x81\n")
    with pytest.raises(IngestError) as err:
        read_extract(path, FileFormat(type="csv", encoding="cp1252"), key="f")
    assert str(err.value) == ("asc.csv: the bytes are not valid cp1252 text: the first byte that is not, 0x81, is on "
                              "line 3 (byte offset 7 of the file, counted from 0). Set f.encoding to the file's "
                              "encoding (e.g. cp1252 or latin-1 for Excel exports).")
    assert read.first_bad_byte(path, "utf-16") is None  # its line breaks are not one byte
