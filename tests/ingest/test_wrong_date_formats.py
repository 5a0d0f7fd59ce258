"""Several date columns whose configured format does not read the file's values, named in one
run. A new user's population register had dates of birth and of death written 31/01/1950
against '%Y-%m-%d' for both: every row was quarantined for its date of birth (a row is
quarantined for its first problem only), so the stop error named dob alone; the user fixed
dob_format, ran again, and only then learnt that date_of_death.format was wrong too. Each
file now keeps, per date column, how many of its filled values the format did not read
(``ingest_date_formats``), and the message names every column most of whose values it did
not read, each with its own fix, never a value (dates of birth are identifiers)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from carecase.core.errors import IngestError
from carecase.ingest.stage import run

from .helpers import TEST_KEY, event_source, make_project, quarantine_rules, table

IDS = {"nhs_number": "nhs", "given_name": "first", "family_name": "last", "dob": "dob", "dob_format": "%Y-%m-%d",
       "sex": "sex", "postcode": "pc"}
POP = {"path": "pop.csv", "format": {"type": "csv"}, "ids": IDS,
       "date_of_death": {"column": "dod", "format": "%Y-%m-%d"}}
# dates of birth and of death day first (31/01/1950), every day above 12: they read only as '%d/%m/%Y'
REGISTER = ("nhs,first,last,dob,sex,pc,dod\n"
            "9434765919,Ann,Lee,24/03/1950,F,M1 1AE,15/02/2024\n"
            "4010232137,Bob,Ray,13/01/1940,M,M1 1AE,\n"
            "9434765927,Cy,Day,31/12/1961,F,M1 1AE,28/06/2023\n")
VALUES = ("24/03/1950", "13/01/1940", "31/12/1961", "15/02/2024", "28/06/2023", "1950", "1940", "1961")

#: The stop error for a register whose date of birth alone is misread, word for word as it read
#: before several columns were named (the date of death, read right but for one bad value, is
#: no wrong setting and is not named).
ONE_COLUMN = (
    "Every row in scope of a source was quarantined, so the costs would leave it out without a word: "
    "ingest.population (population, population): every one of its 4 rows was quarantined, 4 of them for "
    "unparseable_date, column dob: a setting is probably wrong for the whole file. Fix: does not match the date "
    "format '%Y-%m-%d' (e.g. 2024-01-05); these values look like '%d/%m/%Y' (e.g. 05/01/2024); correct the value, "
    "or set ingest.population.ids.dob_format to the format the file uses. See out/ingest/quarantine.csv. Fix the "
    "setting and run again (a file whose settings change is read again). If the source really has no valid rows, "
    "set ingest.all_quarantined: warn to go on without it."
)


def _stop(project) -> str:
    with pytest.raises(IngestError) as err:
        run(project)
    return str(err.value)


def test_a_register_with_two_wrong_date_formats_names_both_in_one_run(project_factory) -> None:
    p = project_factory({"population": POP}, {"pop.csv": REGISTER})
    msg = _stop(p)
    assert "every one of its 3 rows was quarantined, 3 of them for unparseable_date, column dob" in msg
    assert "or set ingest.population.ids.dob_format to the format the file uses." in msg  # dob's own fix, as before
    # ... and the date of death, with its own fix, in the same message
    assert ("The date format of column dod does not read the file's values either (each row is quarantined for "
            "its first problem only, so the quarantine names dob alone): 2 of its 2 filled values do not match the "
            "date format '%Y-%m-%d' (e.g. 2024-01-05); these values look like '%d/%m/%Y' (e.g. 05/01/2024). Fix: "
            "set ingest.population.date_of_death.format: '%d/%m/%Y'.") in msg
    assert not [v for v in VALUES if v in msg]  # never a value: dates of birth are identifiers
    # the quarantine is as it was: one row per row read, for its first problem
    assert quarantine_rules(p) == [(1, "unparseable_date", "dob"), (2, "unparseable_date", "dob"),
                                   (3, "unparseable_date", "dob")]
    # run again unchanged (nothing is read again): the store still knows both columns
    assert _stop(p) == msg
    # dob fixed: the file is read again, and the date of death is now the one named
    fixed = project_factory({"population": {**POP, "ids": {**IDS, "dob_format": "%d/%m/%Y"}}},
                            {"pop.csv": REGISTER}, sub="fixed")
    s = run(fixed)  # two of the three rows have a date of death: they are quarantined, not the whole source
    assert s["sources"]["population"]["quarantined_by_rule"] == {"unparseable_date": 2}
    assert quarantine_rules(fixed) == [(1, "unparseable_date", "dod"), (3, "unparseable_date", "dod")]


def test_the_warning_and_the_summary_name_each_wrong_column(project_factory) -> None:
    """With all_quarantined: warn the same text is a warning (printed by ``carecase
    ingest``), and each file's report in summary.json says which date columns were misread;
    quarantined_by_rule still counts each row once. Three wrong columns: two more named."""
    pop = {**POP, "registered_from": {"column": "reg", "format": "%Y-%m-%d"}}
    csv = REGISTER.replace(",dod\n", ",dod,reg\n").replace("F,M1 1AE,15/02/2024\n", "F,M1 1AE,15/02/2024,14/05/1990\n")
    csv = csv.replace("M,M1 1AE,\n", "M,M1 1AE,,20/07/1988\n").replace("F,M1 1AE,28/06/2023\n", "F,M1 1AE,28/06/2023,\n")
    p = project_factory({"population": pop, "all_quarantined": "warn"}, {"pop.csv": csv})
    s = run(p)
    src = s["sources"]["population"]
    assert (src["rows_read"], src["rows_accepted"], src["rows_quarantined"]) == (3, 0, 3)
    assert src["quarantined_by_rule"] == {"unparseable_date": 3}
    warning = next(w for w in s["warnings"] if w.startswith("ingest.population"))
    assert "3 of them for unparseable_date, column dob" in warning
    assert ("The date formats of 2 more columns do not read the file's values either (each row is quarantined for "
            "its first problem only, so the quarantine names dob alone): column reg: 2 of its 2 filled values") in warning
    assert "Fix: set ingest.population.date_of_death.format: '%d/%m/%Y'." in warning
    assert ("column reg: 2 of its 2 filled values do not match the date format '%Y-%m-%d' (e.g. 2024-01-05); these "
            "values look like '%d/%m/%Y' (e.g. 05/01/2024). Fix: set ingest.population.registered_from.format: "
            "'%d/%m/%Y'.") in warning
    assert warning.endswith("See out/ingest/quarantine.csv.")
    assert not [v for v in (*VALUES, "14/05/1990", "20/07/1988") if v in warning]
    report = src["files"][0]
    assert sorted(report["misread_dates"]) == ["date_of_death", "dob", "registered_from"]
    assert report["misread_dates"]["date_of_death"]["column"] == "dod"
    assert (report["misread_dates"]["date_of_death"]["filled"], report["misread_dates"]["date_of_death"]["unread"]) == (2, 2)
    again = run(p)  # unchanged: the report comes from the store
    assert again["sources"]["population"]["files"][0]["status"] == "unchanged"
    assert again["sources"]["population"]["files"][0]["misread_dates"] == report["misread_dates"]
    assert next(w for w in again["warnings"] if w.startswith("ingest.population")) == warning


def test_a_spell_source_with_both_dates_misread_names_start_and_end(project_factory) -> None:
    src = event_source("inpatient", "ip.csv", event={
        "kind": "spell", "service": {"code": "NEL_ADMIT"}, "start": {"column": "adm", "format": "%Y-%m-%d"},
        "end": {"column": "dis", "format": "%Y-%m-%d"}})
    csv = "nhs,mrn,adm,dis\n" + "".join(f"9434765919,M{i},{13 + i}/01/2024,{14 + i}/02/2024\n" for i in range(12))
    msg = _stop(project_factory({"sources": [src]}, {"ip.csv": csv}))
    assert "every one of its 12 rows was quarantined, 12 of them for unparseable_date, column adm" in msg
    assert "or set ingest.sources[0].event.start.format to the format the file uses." in msg
    assert ("The date format of column dis does not read the file's values either (each row is quarantined for its "
            "first problem only, so the quarantine names adm alone): 12 of its 12 filled values do not match") in msg
    assert "Fix: set ingest.sources[0].event.end.format: '%d/%m/%Y'." in msg


def test_a_column_misread_in_one_file_of_a_glob_names_that_file_not_a_new_setting(project_factory) -> None:
    """A supplier changed its discharge dates to day first in one month's file (a.csv, 4 rows)
    while the other (b.csv, 6 rows) still writes the configured '%Y-%m-%d'; admissions are day
    first in both, so every row is quarantined. The column's format reads 6 of its 10 values:
    the message counts the one file's values as that file's, names it, and says to convert it,
    not to change the setting (which would misread b.csv). Found by review: it read '4 of its
    4 filled values' and offered the day-first format for the whole source."""
    src = event_source("inpatient", "ip/*.csv", event={
        "kind": "spell", "service": {"code": "NEL_ADMIT"}, "start": {"column": "adm", "format": "%Y-%m-%d"},
        "end": {"column": "dis", "format": "%Y-%m-%d"}})
    a = "nhs,mrn,adm,dis\n" + "".join(f"9434765919,M{i},{13 + i}/01/2024,{14 + i}/02/2024\n" for i in range(4))
    b = "nhs,mrn,adm,dis\n" + "".join(f"4010232137,N{i},{13 + i}/03/2024,2024-04-{14 + i}\n" for i in range(6))
    msg = _stop(project_factory({"sources": [src]}, {"ip/a.csv": a, "ip/b.csv": b}))
    assert "every one of its 10 rows was quarantined, 10 of them for unparseable_date, column adm" in msg
    assert ("The date format of column dis does not read its files' values either (each row is quarantined for its "
            "first problem only, so the quarantine names adm alone): 4 of the 4 filled values in 1 of its 2 files "
            "(ip/a.csv) do not match the date format '%Y-%m-%d' (e.g. 2024-01-05)") in msg
    assert ("Its other files read with this format, so changing the setting would misread them: convert that file "
            "to the configured format, or give it a source of its own.") in msg
    assert "event.end.format: '%d/%m/%Y'" not in msg


@pytest.mark.parametrize(("ends", "fix"), [
    # Excel serial numbers (45366 is 15/03/2024): no strptime format reads them, so the Excel fix
    (["45366", "45367.5"], ": its values are numbers, as Excel writes dates (days from 1900: 45366 is 15/03/2024) in "
                           "a column not formatted as dates. To fix it, format the column as dates (e.g. dd/mm/yyyy) "
                           "in Excel, save the extract again and set ingest.sources[0].event.end.format to that format."),
    # day and month both up to 12: day first or month first? No format is suggested
    (["04/03/2024", "05/03/2024"], ". Fix: set ingest.sources[0].event.end.format to the format the file uses."),
], ids=["excel_serials", "day_or_month_first"])
def test_a_second_column_no_format_reads_gets_its_own_cause(project_factory, ends, fix) -> None:
    src = event_source("inpatient", "ip.csv", event={
        "kind": "spell", "service": {"code": "NEL_ADMIT"}, "start": {"column": "adm", "format": "%Y-%m-%d"},
        "end": {"column": "dis", "format": "%Y-%m-%d"}})
    csv = f"nhs,mrn,adm,dis\n9434765919,A,13/01/2024,{ends[0]}\n4010232137,B,14/01/2024,{ends[1]}\n"
    msg = _stop(project_factory({"sources": [src]}, {"ip.csv": csv}))
    assert ("The date format of column dis does not read the file's values either (each row is quarantined for its "
            "first problem only, so the quarantine names adm alone): 2 of its 2 filled values do not match the date "
            "format '%Y-%m-%d' (e.g. 2024-01-05)" + fix + " See out/ingest/quarantine.csv.") in msg
    assert "look like '%d/%m/%Y' (e.g. 05/01/2024); correct the value, or set ingest.sources[0].event.start" in msg


def test_one_wrong_date_column_reads_as_before(project_factory) -> None:
    """The date of death is read by its format but for one bad value (a few bad rows are
    no wrong setting): only the date of birth is named, in the message of before."""
    csv = (REGISTER.replace("15/02/2024", "2024-02-15").replace("28/06/2023", "soon")
           + "9434765935,Di,Fox,30/04/1970,F,M1 1AE,2024-03-01\n")
    p = project_factory({"population": POP}, {"pop.csv": csv})
    assert _stop(p) == ONE_COLUMN
    assert [(r["field"], r["filled"], r["unread"]) for r in table(p, "ingest_date_formats", ["field"])] == [
        ("date_of_death", 3, 1), ("dob", 4, 4)]


def test_carecase_ingest_prints_every_wrong_column(tmp_path) -> None:
    p = make_project(tmp_path / "proj", {"population": POP}, {"pop.csv": REGISTER})
    p.close()
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "CARECASE_KEY": TEST_KEY}
    out = subprocess.run([sys.executable, "-c", "from carecase.cli import main; main()", "ingest", str(p.root)],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 1
    text = " ".join(out.stderr.split())
    assert "column dob" in text and "ingest.population.ids.dob_format" in text
    assert "The date format of column dod does not read the file's values either" in text
    assert "Fix: set ingest.population.date_of_death.format: '%d/%m/%Y'." in text
    assert "Traceback" not in text and not [v for v in VALUES if v in text]
