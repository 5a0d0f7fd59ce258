"""Header names that differ from the mapping only in case or spacing, as one agency's monthly
extracts do (``NHS Number`` in January, ``nhs number`` in February, ``Application  Date``
with two spaces): ingest stopped with "column 'date' is not in the file", and no one
carecase.yaml could read both months of a glob."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from carecase.core.errors import IngestError
from carecase.ingest.stage import run

from .helpers import event_source, table


def test_a_header_spelled_alike_is_read_in_every_file_of_a_glob(project_factory) -> None:
    src = event_source(path="ae_*.csv", record_id="Attendance ID")
    jan = "nhs,mrn,code,date,Attendance ID\n9434765919,M1,AE,05/01/2024,A1\n"
    feb = " NHS ,MRN,Code,DATE,attendance  id\n9434765927,M2,AE,06/02/2024,A2\n9434765927,M2,AE,07/02/2024,a2\n"
    p = project_factory({"sources": [src]}, {"ae_jan.csv": jan, "ae_feb.csv": feb})
    s = run(p)["sources"]["acute"]
    assert (s["rows_read"], s["rows_accepted"], s["rows_quarantined"]) == (3, 2, 1)
    starts = sorted(r["start_date"] for r in table(p, "events_staged"))
    assert starts == [dt.date(2024, 1, 5), dt.date(2024, 2, 6)]
    (q,) = table(p, "quarantine")
    assert (q["file"], q["source_row"], q["column"], q["rule"]) == ("ae_feb.csv", 2, "Attendance ID", "duplicate_key")
    again = run(p)  # nothing read twice
    assert again["sources"]["acute"]["rows_accepted"] == 2 and len(table(p, "events_staged")) == 2


def test_an_exact_name_wins_and_two_alike_names_stop_ingest(project_factory) -> None:
    exact = "nhs,mrn,code,date,DATE\n9434765919,M1,AE,05/01/2024,junk\n"
    p = project_factory({"sources": [event_source()]}, {"ae.csv": exact})
    assert run(p)["sources"]["acute"]["rows_accepted"] == 1
    two = "nhs,mrn,code,Date,DATE\n9434765919,M1,AE,05/01/2024,05/01/2024\n"
    with pytest.raises(IngestError) as err:
        run(project_factory({"sources": [event_source()]}, {"ae.csv": two}, sub="two"))
    assert str(err.value) == ("ae.csv: column 'date' (named by ingest.sources[0].event.start.column) is not in the "
                              "file as written, and 2 columns differ from it only in case or spacing: 'Date', 'DATE'. "
                              "Set ingest.sources[0].event.start.column to the one to read.")


def test_a_workbook_date_column_spelled_alike_is_written_in_its_format(project_factory) -> None:
    """A workbook's date cells are written as text in their column's configured format, found
    by the header name: 'DATE' for 'date' was written as 2024-01-05 and quarantined."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["NHS", "MRN", "CODE", "DATE"])
    ws.append([9434765919, "M1", "AE", dt.datetime(2024, 1, 5)])
    buf = io.BytesIO()
    wb.save(buf)
    p = project_factory({"sources": [event_source(path="ae.xlsx", format={"type": "xlsx"})]},
                        {"ae.xlsx": buf.getvalue()})
    s = run(p)["sources"]["acute"]
    assert (s["rows_accepted"], s["rows_quarantined"]) == (1, 0)
    assert table(p, "events_staged")[0]["start_date"] == dt.date(2024, 1, 5)


def test_a_missing_column_quotes_the_header_and_names_a_near_miss(project_factory) -> None:
    """The message listed the header unquoted (Columns found: nhs, mrn, code, Start Date), so a
    space left out or a zero-width space from a copied header could not be seen. Names that
    differ only in case and runs of whitespace are read (above); what is still missed, a name
    differing only in a space left out or invisible characters, is now named with the fix."""
    src = event_source(event={"start": {"column": "Start Date", "format": "%d/%m/%Y"}})
    joined = "nhs,mrn,code,startdate\n9434765919,M1,AE,05/01/2024\n"
    with pytest.raises(IngestError) as err:
        run(project_factory({"sources": [src]}, {"ae.csv": joined}))
    assert str(err.value) == (
        "ae.csv: column 'Start Date' (named by ingest.sources[0].event.start.column) is not in the file. "
        "Columns found: 'nhs', 'mrn', 'code', 'startdate'. 'startdate' differs from 'Start Date' only in spacing "
        "or case: set ingest.sources[0].event.start.column: \"startdate\", or correct the file's header.")
    hidden = "nhs,mrn,code,Start\u200bDate\n9434765919,M1,AE,05/01/2024\n"
    with pytest.raises(IngestError) as err:
        run(project_factory({"sources": [src]}, {"ae.csv": hidden}, sub="zw"))
    msg = str(err.value)
    assert "'Start\\u200bDate' differs from 'Start Date' only in spacing or case and invisible characters" in msg
    assert 'set ingest.sources[0].event.start.column: "Start\\u200bDate"' in msg and "\u200b" not in msg
    # the setting it gives reads the file
    fixed = event_source(event={"start": {"column": "Start\u200bDate", "format": "%d/%m/%Y"}})
    assert run(project_factory({"sources": [fixed]}, {"ae.csv": hidden}, sub="ok"))["totals"]["rows_accepted"] == 1
    other = "nhs,mrn,code,Started\n9434765919,M1,AE,05/01/2024\n"
    with pytest.raises(IngestError) as err:
        run(project_factory({"sources": [src]}, {"ae.csv": other}, sub="other"))
    assert str(err.value).endswith("Columns found: 'nhs', 'mrn', 'code', 'Started'. Correct "
                                   "ingest.sources[0].event.start.column or the file's header.")


def test_a_file_of_a_glob_quarantined_whole_is_warned_of(project_factory) -> None:
    """User review: a month's A&E extract whose every NHS number was in Excel's scientific
    notation was quarantined whole, with exit 0 and no warning, as the source's other month
    was fine: a lost month reads as a fall in activity."""
    jan = "nhs,mrn,code,date\n9434765919,M1,AE,05/01/2024\n"
    feb = "nhs,mrn,code,date\n9.43477E+09,M2,AE,06/02/2024\n9.43477E+09,M3,AE,07/02/2024\n"
    p = project_factory({"sources": [event_source(path="ae_*.csv")]}, {"ae_jan.csv": jan, "ae_feb.csv": feb})
    summary = run(p)
    (line,) = [w for w in summary["warnings"] if "ae_feb.csv" in w]
    assert line.startswith("ae_feb.csv (acute): every one of its 2 rows in scope was quarantined")
    assert not any("ae_jan.csv" in w for w in summary["warnings"])
