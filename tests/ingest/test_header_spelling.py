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
    assert str(err.value) == ("ae.csv: column 'date' (named by ingest.sources[0].event.start) is not in the file as "
                              "written, and 2 columns differ from it only in case or spacing: 'Date', 'DATE'. Set "
                              "ingest.sources[0].event.start to the one to read.")


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
