"""Reading CSV (encodings, delimiters, skipped rows), XLSX and Parquet as text."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from carecase.core.errors import IngestError
from carecase.ingest.config import FileFormat
from carecase.ingest.read import read_extract
from carecase.ingest.stage import run

from .helpers import event_source, quarantine_rules, table

D = dt.date


def _events(p) -> list[tuple]:
    return [(e["source_row"], e["service_code"], e["start_date"]) for e in table(p, "events_staged", ["source_row"])]


def test_cp1252_semicolon_skip_rows_and_bom(project_factory) -> None:
    src = event_source(format={"type": "csv", "encoding": "cp1252", "delimiter": ";", "skip_rows": 2},
                       ids={"nhs_number": "nhs", "family_name": "surname"})
    text = "Extract from the trust\nrun 2024\nnhs;mrn;surname;code;date\n9434765919;A;Müller;AE;05/01/2024\n"
    p = project_factory({"sources": [src]}, {"ae.csv": text.encode("cp1252")})
    run(p)
    assert _events(p) == [(1, "AE_ATTEND", D(2024, 1, 5))]
    assert table(p, "staging_identity")[0]["family_name"] == "MULLER"


def test_utf8_bom_and_quoted_newlines(project_factory) -> None:
    text = '\ufeffnhs,mrn,code,date\n9434765919,"A\nB",AE,05/01/2024\n\n4010232137,C,AE,06/01/2024\n'
    p = project_factory({"sources": [event_source()]}, {"ae.csv": text.encode("utf-8")})
    run(p)
    assert _events(p) == [(1, "AE_ATTEND", D(2024, 1, 5)), (2, "AE_ATTEND", D(2024, 1, 6))]


def test_invalid_utf8_asks_for_encoding(project_factory) -> None:
    p = project_factory({"sources": [event_source()]}, {"ae.csv": "nhs,mrn,code,date\n9434765919,Müller,AE,05/01/2024\n".encode("cp1252")})
    with pytest.raises(IngestError, match="format.encoding"):
        run(p)


def test_ragged_rows_stop_without_quoting_values(project_factory) -> None:
    p = project_factory({"sources": [event_source()]}, {"ae.csv": "nhs,mrn,code,date\n9434765919,A,AE,05/01/2024,extra\n"})
    with pytest.raises(IngestError, match="do not have 4 fields") as err:
        run(p)
    assert "9434765919" not in str(err.value)


def test_empty_file_and_header_only(project_factory) -> None:
    p = project_factory({"sources": [event_source()]}, {"ae.csv": ""})
    with pytest.raises(IngestError, match="empty"):
        run(p)
    p2 = project_factory({"sources": [event_source()]}, {"ae.csv": "nhs,mrn,code,date\n"}, sub="p2")
    s = run(p2)
    assert s["totals"]["rows_read"] == 0


@pytest.mark.parametrize("text", ["nhs,mrn,code,date", "\n  \nnhs,mrn,code,date", "nhs,mrn,code,date\r\n"])
def test_a_header_alone_is_an_empty_extract_with_or_without_a_line_break(tmp_path, text: str) -> None:
    """Arrow cannot read a lone line without a line break; the header is read, not 'the file
    is empty'."""
    (tmp_path / "x.csv").write_text(text, newline="")
    got = read_extract(tmp_path / "x.csv", FileFormat(type="csv"))
    assert got.table.column_names == ["nhs", "mrn", "code", "date"] and got.table.num_rows == 0


def test_a_lone_header_on_the_wrong_delimiter_says_which(tmp_path) -> None:
    (tmp_path / "x.csv").write_text("nhs;mrn;code;date")
    with pytest.raises(IngestError, match=r"x\.csv: the header has a single column\. The file looks semicolon-delimited"):
        read_extract(tmp_path / "x.csv", FileFormat(type="csv"), key="f")


def test_duplicate_header_refused(project_factory) -> None:
    p = project_factory({"sources": [event_source()]}, {"ae.csv": "nhs,mrn,code,date,code\n"})
    with pytest.raises(IngestError, match="repeats column"):
        run(p)


def test_xlsx_sheet_dates_and_numbers(project_factory, tmp_path) -> None:
    wb = openpyxl.Workbook()
    wb.active.title = "Cover"
    ws = wb.create_sheet("Data")
    ws.append(["nhs", "mrn", "code", "date"])
    ws.append([9434765919, "A", "AE", dt.datetime(2024, 1, 5)])  # a real date cell and a numeric NHS number
    ws.append(["401 023 2137", 7.0, "AE", "06/01/2024"])  # text date in the configured format
    ws.append([None, None, None, None])  # empty row: not a data row
    ws.append([9434765919, "A", "AE", "31/02/2024"])
    path = tmp_path / "ae.xlsx"
    wb.save(path)
    src = event_source(path="ae.xlsx", format={"type": "xlsx", "sheet": "Data"})
    p = project_factory({"sources": [src]}, {"ae.xlsx": path.read_bytes()})
    run(p)
    assert _events(p) == [(1, "AE_ATTEND", D(2024, 1, 5)), (2, "AE_ATTEND", D(2024, 1, 6))]
    assert quarantine_rules(p) == [(3, "impossible_date", "date")]
    src_bad = event_source(path="ae.xlsx", format={"type": "xlsx", "sheet": "Nope"})
    p2 = project_factory({"sources": [src_bad]}, {"ae.xlsx": path.read_bytes()}, sub="p2")
    with pytest.raises(IngestError, match=r"no sheet named 'Nope' \(ingest\.sources\[0\]\.format\.sheet\); "
                                          r"sheets: \['Cover', 'Data'\]\. Set ingest\.sources\[0\]\.format\.sheet"):
        run(p2)


def test_parquet_typed_columns(project_factory, tmp_path) -> None:
    t = pa.table({
        "nhs": pa.array([9434765919, 4010232137, None], pa.int64()),
        "mrn": pa.array(["A", None, "C"]),
        "code": pa.array(["AE", "AE", "AE"]).dictionary_encode(),
        "date": pa.array([D(2024, 1, 5), D(2024, 1, 6), None], pa.date32()),
        "qty": pa.array([1.0, 2.5, None]),
    })
    pq.write_table(t, tmp_path / "ae.parquet")
    src = event_source(path="ae.parquet", format={"type": "parquet"},
                       event={"kind": "count", "quantity": "qty"})
    p = project_factory({"sources": [src]}, {"ae.parquet": (tmp_path / "ae.parquet").read_bytes()})
    run(p)
    got = [(e["source_row"], e["start_date"], e["quantity"]) for e in table(p, "events_staged", ["source_row"])]
    assert got == [(1, D(2024, 1, 5), 1.0), (2, D(2024, 1, 6), 2.5)]
    assert quarantine_rules(p) == [(3, "missing_value", "date")]


def test_no_file_matches(project_factory) -> None:
    p = project_factory({"sources": [event_source(path="missing/*.csv")]}, {})
    with pytest.raises(IngestError, match=r"ingest.sources\[0\].path: no file matches"):
        run(p)


def test_parquet_nested_column_names_the_file(project_factory, tmp_path) -> None:
    t = pa.table({"nhs": ["9434765919"], "mrn": ["A"], "code": ["AE"], "date": ["05/01/2024"],
                  "nested": pa.array([[1, 2]], pa.list_(pa.int64()))})
    pq.write_table(t, tmp_path / "ae.parquet")
    src = event_source(path="ae.parquet", format={"type": "parquet"})
    p = project_factory({"sources": [src]}, {"ae.parquet": (tmp_path / "ae.parquet").read_bytes()})
    with pytest.raises(IngestError, match=r"^ae.parquet: 'nested' is a column of type list<.*which cannot be read as text"):
        run(p)


NHS_DIGITS = ("9434765919", "4010232137", "943 476 5919")


def test_row_length_error_names_the_lines(project_factory) -> None:
    text = ("nhs,mrn,code,date\n9434765919,A,AE,05/01/2024\n"
            '4010232137,"B,\nC",AE,06/01/2024\n'   # a quoted newline: the next line is line 5
            "9434765919,A,AE\n"                      # line 5: three fields
            "\n"
            "9434765919,A,AE,07/01/2024,x,y\n")     # line 7: six fields
    p = project_factory({"sources": [event_source()]}, {"ae.csv": text})
    with pytest.raises(IngestError) as err:
        run(p)
    msg = str(err.value)
    assert msg.startswith("ae.csv: 2 row(s) do not have 4 fields like the header (line 5 has 3, line 7 has 6;")
    assert "ingest.sources[0].format.delimiter (',')" in msg and "unknown" not in msg
    assert not any(d in msg for d in NHS_DIGITS)


def test_semicolon_file_read_as_comma_names_the_delimiter_setting(project_factory) -> None:
    text = '"nhs";"mrn";"code";"date"\n"9434765919";"A, B";"AE";"05/01/2024"\n"4010232137";"C";"AE";"06/01/2024"\n'
    p = project_factory({"sources": [event_source()]}, {"ae.csv": text})
    with pytest.raises(IngestError) as err:
        run(p)
    msg = str(err.value)
    assert "semicolon-delimited" in msg and "set ingest.sources[0].format.delimiter: ';'" in msg
    assert not any(d in msg for d in NHS_DIGITS)


def test_rows_in_another_delimiter_than_the_header(project_factory) -> None:
    text = "nhs,mrn,code,date\n9434765919\tA\tAE\t05/01/2024\n4010232137\tB\tAE\t06/01/2024\n"
    p = project_factory({"sources": [event_source()]}, {"ae.csv": text})
    with pytest.raises(IngestError) as err:
        run(p)
    msg = str(err.value)
    assert "line 2 has 1, line 3 has 1" in msg and "single field while the header has 4" in msg
    assert "ingest.sources[0].format.delimiter" in msg
    assert not any(d in msg for d in NHS_DIGITS)


@pytest.mark.parametrize("first_line", [
    '"AE00000001","943 476 5919","05/01/2024 10:00","Home"',
    "9434765919,A1,AE,05/01/2024",
    "9434765919,,AE,",            # blank cells: would be blank header names
    "9434765919,9434765919,AE,x",  # repeated values: would be repeated header names
])
def test_headerless_file_never_echoes_its_first_line(project_factory, first_line: str) -> None:
    text = first_line + "\n4010232137,B,AE,06/01/2024\n"
    p = project_factory({"sources": [event_source()]}, {"ae.csv": text})
    with pytest.raises(IngestError) as err:
        run(p)
    msg = str(err.value)
    assert "first line looks like data" in msg and "header" in msg
    assert "AE00000001" not in msg and "05/01/2024" not in msg
    assert not any(d in msg for d in NHS_DIGITS)
    digits = "".join(ch for ch in msg if ch.isdigit())
    assert "9434765919" not in digits and "4347659" not in digits


def test_wrong_header_still_lists_the_columns(project_factory) -> None:
    p = project_factory({"sources": [event_source()]}, {"ae.csv": "nhs,mrn,activity,date\n9434765919,A,AE,05/01/2024\n"})
    with pytest.raises(IngestError, match=r"Columns found: 'nhs', 'mrn', 'activity', 'date'\. Correct"):
        run(p)


def _blank_xlsx(path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["nhs", "mrn", "code", "date"])
    ws.append(["9434765919", "A", "AE", "05/01/2024"])
    ws.append([None, None, None, None])
    ws.append(["4010232137", "B", "AE", "06/01/2024"])
    ws.append([" ", None, "  ", None])
    ws.append([None, None, None, None])
    wb.save(path)


def test_blank_rows_are_counted_alike_in_csv_xlsx_and_parquet(project_factory, tmp_path) -> None:
    csv = "nhs,mrn,code,date\n9434765919,A,AE,05/01/2024\n\n4010232137,B,AE,06/01/2024\n , ,  ,\n,,,\n"
    _blank_xlsx(tmp_path / "ae.xlsx")
    pq.write_table(pa.table({"nhs": ["9434765919", None, "4010232137", " ", ""], "mrn": ["A", None, "B", None, ""],
                             "code": ["AE", None, "AE", "  ", ""], "date": ["05/01/2024", None, "06/01/2024", None, ""]}),
                   tmp_path / "ae.parquet")
    results = []
    for name, fmt in (("ae.csv", "csv"), ("ae.xlsx", "xlsx"), ("ae.parquet", "parquet")):
        content = csv if fmt == "csv" else (tmp_path / name).read_bytes()
        p = project_factory({"sources": [event_source(path=name, format={"type": fmt})]}, {name: content}, sub=fmt)
        s = run(p)
        f = s["sources"]["acute"]["files"][0]
        results.append((f["rows_read"], f["rows_accepted"], f["rows_quarantined"], f["rows_out_of_scope"], f["rows_blank"]))
        assert _events(p) == [(1, "AE_ATTEND", D(2024, 1, 5)), (2, "AE_ATTEND", D(2024, 1, 6))]
        assert s["totals"]["rows_blank"] == 3 and "3 blank" in s["headline"]
        assert table(p, "ingest_files")[0]["rows_blank"] == 3
    assert results == [(5, 2, 0, 0, 3)] * 3


def test_read_errors_name_the_file_as_the_project_does(project_factory) -> None:
    """A ragged row in extracts/police.csv was reported as 'police.csv: …', unlike every
    other message, which names the path in the project."""
    text = "nhs,mrn,code,date\n9434765919,A,AE,05/01/2024\n9434765919,A,AE,05/01/2024,extra\n"
    p = project_factory({"sources": [event_source(path="extracts/ae.csv")]}, {"extracts/ae.csv": text})
    with pytest.raises(IngestError) as err:
        run(p)
    assert str(err.value).startswith("extracts/ae.csv: 1 row(s) do not have 4 fields like the header")


def test_a_date_with_a_time_and_an_excel_scientific_nhs_number_say_what_they_are(project_factory) -> None:
    """A new user's A&E export: '05/05/2023 14:30' under '%d/%m/%Y' was quarantined with only
    'does not match', and Excel's '9.43477E+09' with only 'not a valid NHS number'. Each says
    what it is and the fix; a plain bad value keeps the plain hint."""
    rows = ("nhs,mrn,code,date\n"
            "9434765919,M1,AE,05/05/2023\n"
            "9434765919,M1,AE,06/05/2023 14:30\n"
            "9434765919,M1,AE,07/05/2023 14:30:05\n"
            "9434765919,M1,AE,not a date\n"
            "9.43477E+09,M2,AE,05/05/2023\n"
            "9434765918,M3,AE,05/05/2023\n")
    p = project_factory({"sources": [event_source()]}, {"ae.csv": rows})
    run(p)
    hints = {r["source_row"]: (r["rule"], r["hint"]) for r in table(p, "quarantine")}
    assert sorted(hints) == [2, 3, 4, 5, 6]
    assert hints[2] == ("unparseable_date", "does not match the date format '%d/%m/%Y' (e.g. 05/01/2024); the value "
                        "has a time of day after the date: '%d/%m/%Y %H:%M' reads it; correct the value, or set "
                        "ingest.sources[0].event.start.format to the format the file uses")
    assert "'%d/%m/%Y %H:%M:%S' reads it" in hints[3][1]
    assert hints[4][0] == "unparseable_date" and "time of day" not in hints[4][1]
    assert hints[5][0] == "nhs_number_invalid" and "Excel" in hints[5][1] and "format the column as text" in hints[5][1]
    assert hints[6] == ("nhs_number_invalid", "not a valid NHS number (10 digits passing the Modulus 11 check); "
                        "correct it at source, or leave it blank if unknown")


def test_a_monthly_count_covers_its_calendar_month(project_factory) -> None:
    """event.covers: month writes each count over the calendar month holding its date (from
    the 1st to the next month's 1st), whatever day it is dated; week, the 7 days from it; a
    covers setting on another kind is refused."""
    rows = "nhs,mrn,code,date,n\n9434765919,M1,GP,15/05/2023,4\n9434765919,M1,GP,01/12/2023,2\n"
    for covers, want in (("month", [(D(2023, 5, 1), D(2023, 6, 1)), (D(2023, 12, 1), D(2024, 1, 1))]),
                         ("week", [(D(2023, 5, 15), D(2023, 5, 22)), (D(2023, 12, 1), D(2023, 12, 8))]),
                         ("day", [(D(2023, 5, 15), None), (D(2023, 12, 1), None)])):
        src = event_source(event={"kind": "count", "service": {"column": "code", "map": {"GP": "GP_APPT"}},
                                  "quantity": "n", "covers": covers},
                           agency={"level1": "NHS", "level2": "Primary Care"})
        p = project_factory({"sources": [src]}, {"ae.csv": rows}, sub=covers)
        run(p)
        got = [(r["start_date"], r["end_date"]) for r in table(p, "events_staged", ["start_date"])]
        assert got == want, covers
    bad = event_source(event={"covers": "month"})
    with pytest.raises(Exception, match="covers: 'month' is for kind 'count'"):
        project_factory({"sources": [bad]}, {"ae.csv": rows}, sub="bad")


def test_two_rows_of_one_month_repeat_each_other_when_counts_cover_months(project_factory) -> None:
    """With covers: month, rows dated the 1st and the 15th of one month with the same count
    are one month counted twice: the second is a duplicate_key (a code reviewer's finding);
    with covers: day they are two dates."""
    rows = "nhs,mrn,code,date,n\n9434765919,M1,GP,01/05/2023,4\n9434765919,M1,GP,15/05/2023,4\n"
    for covers, quarantined in (("month", [(2, "duplicate_key", "(row)")]), ("day", [])):
        src = event_source(event={"kind": "count", "service": {"column": "code", "map": {"GP": "GP_APPT"}},
                                  "quantity": "n", "covers": covers},
                           agency={"level1": "NHS", "level2": "Primary Care"})
        p = project_factory({"sources": [src]}, {"ae.csv": rows}, sub=covers)
        run(p)
        assert [(r, rule) for r, rule, _ in quarantine_rules(p)] == [(r, rule) for r, rule, _ in quarantined], covers


@pytest.mark.parametrize(("first_line", "looks"), [
    ("Ryan,Bird,AE,Home", "holds none of the columns the mapping reads"),
    ("HOML-001,Ryan,31 Mar 1956,CX2 4UT", "looks like data"),
    ("Ryan,Bird,March 31 1956,AE", "looks like data"),
])
def test_a_first_line_of_names_is_never_echoed(project_factory, first_line: str, looks: str) -> None:
    """Disclosure review: a headerless extract whose first row was 'HOML-001', '06 Apr 2019',
    'Ryan', 'Bird', '31 Mar 1956', 'CX2 4UT' got "Columns found: 'HOML-001', '06 Apr 2019',
    'Ryan', …" (a person's name, date of birth and postcode) in the error the CLI and the web
    app show: only figures were recognised as data. Now dates with a month's name and
    postcodes look like data, and a first line holding none of the mapped columns is never
    echoed, since no pattern tells a name from a column name."""
    text = first_line + "\n4010232137,B,AE,06/01/2024\n"
    p = project_factory({"sources": [event_source()]}, {"ae.csv": text})
    with pytest.raises(IngestError) as err:
        run(p)
    msg = str(err.value)
    assert looks in msg and "withheld here" in msg and "the mapping reads columns" in msg
    for value in ("Ryan", "Bird", "HOML", "1956", "CX2", "Home"):
        assert value not in msg


def test_a_header_with_a_mapped_column_is_echoed_when_another_is_missing(project_factory) -> None:
    text = "nhs,mrn,Code ,date\n9434765919,A1,AE,05/01/2024\n"
    p = project_factory({"sources": [event_source(event={"kind": "point", "service": {"column": "code_x", "map": {"AE": "AE_ATTEND"}}, "start": {"column": "date", "format": "%d/%m/%Y"}})]}, {"ae.csv": text})
    with pytest.raises(IngestError) as err:
        run(p)
    assert "Columns found: 'nhs', 'mrn', 'Code', 'date'" in str(err.value)


@pytest.mark.parametrize(("named", "content", "fragment"), [
    ("xlsx", b"nhs,mrn,code,date\n", "ingest.sources[0].format.type is xlsx, but the file is a text (CSV) file: "
                                     "set ingest.sources[0].format.type: csv"),
    ("csv", b"PK\x03\x04rest-of-a-zip", "format.type is csv, but the file is an .xlsx workbook: "
                                        "set ingest.sources[0].format.type: xlsx"),
    ("csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Excel .xls workbook: save it from Excel as .xlsx"),
    ("parquet", b"nhs,mrn\n", "format.type is parquet, but the file is a text (CSV) file"),
])
def test_a_file_of_another_type_than_its_setting_names_the_fix(project_factory, named, content, fragment) -> None:
    """User review: a CSV left under type: xlsx said only 'not a readable .xlsx workbook
    (InvalidFileException)', with no setting and no fix."""
    p = project_factory({"sources": [event_source(format={"type": named})]}, {"ae.csv": content})
    with pytest.raises(IngestError) as err:
        run(p)
    assert fragment in str(err.value)


def test_every_missing_extract_is_named_at_once(project_factory) -> None:
    """User review: missing extracts came out one per run (population, then housing, then
    outcomes). Every feed whose path matches no file is named in one error."""
    sources = [event_source(path="missing/*.csv"), event_source(name="other", path="gone.csv")]
    p = project_factory({"sources": sources}, {})
    with pytest.raises(IngestError) as err:
        run(p)
    msg = str(err.value)
    assert msg.startswith("2 extracts are missing:\n- ingest.sources[0].path: no file matches 'missing/*.csv'")
    assert "\n- ingest.sources[1].path: no file matches 'gone.csv'" in msg
