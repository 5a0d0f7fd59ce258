"""The hints of unparseable dates that no date format could fix: a column Excel saved as
serial numbers (45366 for 15/03/2024) and a two-digit year (12-Mar-24), as a council's
housing extract arrives. Before, 45366 and 12-Mar-24 in a mostly ISO column were told
"these values look like '%Y-%m-%d'" (a format that reads neither), and a column of serial
numbers alone stopped ingest with "set the format the file uses, e.g. '%d/%m/%Y'"."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from carecase.core.errors import IngestError
from carecase.ingest.date_hints import excel_serials, two_digit_years
from carecase.ingest.stage import run

from .helpers import event_source, table

HEADER = "nhs,mrn,code,date\n"


def _hints(project) -> dict[int, tuple[str, str, str]]:
    return {r["source_row"]: (r["rule"], r["value"], r["hint"]) for r in table(project, "quarantine")}


def test_each_unparseable_date_gets_the_hint_of_its_own_shape(project_factory) -> None:
    csv = (HEADER + "9434765919,M1,AE,05/01/2024\n9434765927,M2,AE,2024-02-06\n4010232137,M3,AE,45366\n"
           "9434765935,M4,AE,12-Mar-24\n9434765943,M5,AE,soon\n")
    p = project_factory({"sources": [event_source()], "all_quarantined": "warn"}, {"ae.csv": csv})
    s = run(p)
    src = s["sources"]["acute"]
    assert (src["rows_read"], src["rows_accepted"], src["rows_quarantined"]) == (5, 1, 4)
    hints = _hints(p)
    assert {r for r, _, _ in hints.values()} == {"unparseable_date"}
    iso, serial, two_digit, other = (hints[i][2] for i in (2, 3, 4, 5))
    assert "these values look like '%Y-%m-%d'" in iso
    assert "look like" not in serial + two_digit + other  # the format named reads none of them
    assert "as Excel writes a date (days from 1900: 45366 is 15/03/2024) in a column not formatted as dates" in serial
    assert "format the column as dates (e.g. dd/mm/yyyy) in Excel, save the extract again" in serial
    assert "two-digit year" in two_digit and "export the column with four-digit years" in two_digit
    assert other.endswith("correct the value, or set ingest.sources[0].event.start.format to the format the "
                          "file uses")


def test_a_column_of_excel_serial_numbers_stops_with_the_excel_fix(project_factory) -> None:
    src = event_source(event={"start": {"column": "date"}})  # no format: inferred
    csv = HEADER + "9434765919,M1,AE,45366\n9434765918,M2,AE,45300.5\n"
    with pytest.raises(IngestError) as err:
        run(project_factory({"sources": [src]}, {"ae.csv": csv}))
    msg = str(err.value)
    assert "ae.csv: cannot tell the date format of column 'date' (start): its values are numbers, as Excel " in msg
    assert "format the column as dates (e.g. dd/mm/yyyy) in Excel" in msg and "e.g. '%d/%m/%Y'" not in msg
    assert "45300" not in msg  # the example is fixed, never a value of the file


def test_two_digit_years_say_so(project_factory) -> None:
    src = event_source(event={"start": {"column": "date"}})
    csv = HEADER + "9434765919,M1,AE,12-Mar-24\n9434765918,M2,AE,01-Apr-24\n"
    with pytest.raises(IngestError, match="its values have two-digit years, which carecase never reads"):
        run(project_factory({"sources": [src]}, {"ae.csv": csv}))
    src = event_source(event={"start": {"column": "date", "format": "%d-%b-%y"}})
    with pytest.raises(IngestError, match=r"uses %y: carecase never reads a two-digit year .* use %Y"):
        run(project_factory({"sources": [src]}, {"ae.csv": csv}, sub="y"))


def test_shapes() -> None:
    values = pa.array(["45366", " 45366.5625 ", "2024", "2999", "3000", "99999", "20240105", "12-Mar-24",
                       "05/01/24", "5.1.24 14:30", "05/01/2024", "2024-01-05", "", None])
    assert excel_serials(values, dt.date(2025, 6, 30)).tolist() == [
        True, True, False, False, True, False, False, False, False, False, False, False, False, False]
    assert two_digit_years(values).tolist() == [
        False, False, False, False, False, False, False, True, True, True, False, False, False, False]
