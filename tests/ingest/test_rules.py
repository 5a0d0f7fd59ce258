"""Spec-style tests: inline extracts, the expected quarantine (row, rule, column) and the
expected staged events. Each validation rule is exercised with the rule name it must get."""

from __future__ import annotations

import datetime as dt

import pytest

from carecase.core.errors import IngestError
from carecase.ingest.stage import run

from .helpers import event_source, quarantine_rules, table

# care packages are Adult Social Care's: a source's agency is its services' (refused otherwise)
ASC = {"level1": "Local Authority", "level2": "Adult Social Care"}

D = dt.date


def test_point_source_every_rule(project_factory) -> None:
    csv = """
        nhs,mrn,code,date
        9434765919,M1,AE,05/01/2024
        9434765918,M2,AE,05/01/2024
        ,,AE,05/01/2024
        9434765919,M1,ZZ,06/01/2024
        9434765919,M1,AE,31/02/2024
        9434765919,M1,AE,2024-01-05
        9434765919,M1,AE,01/01/2020
        9434765919,M1,AE,05/01/2024
        943 476 5919,M1,AE,05/01/2024
        ,M3,AE,07/01/2024
        9434765919,M1,AE,
        4010232137,,AE,01/12/2099
        4010232137, ,AE , 08/01/2024
        """
    p = project_factory({"sources": [event_source()]}, {"ae.csv": csv})
    summary = run(p)
    assert quarantine_rules(p) == [
        (2, "nhs_number_invalid", "nhs"),
        (3, "blank_identifier", "nhs"),
        (4, "unmapped_service", "code"),
        (5, "impossible_date", "date"),
        (6, "unparseable_date", "date"),
        (7, "outside_period", "date"),
        (8, "duplicate_row", "(row)"),
        (9, "duplicate_key", "(nhs, local_id, service, start)"),
        (11, "missing_value", "date"),
        (12, "impossible_date", "date"),
    ]
    events = table(p, "events_staged", ["source_row"])
    assert [(e["source_row"], e["service_code"], e["kind"], e["start_date"], e["end_date"], e["quantity"], e["unit"],
             e["agency_l1"], e["agency_l2"]) for e in events] == [
        (1, "AE_ATTEND", "point", D(2024, 1, 5), None, 1.0, "attendance", "NHS", "Acute Trust"),
        (10, "AE_ATTEND", "point", D(2024, 1, 7), None, 1.0, "attendance", "NHS", "Acute Trust"),
        (13, "AE_ATTEND", "point", D(2024, 1, 8), None, 1.0, "attendance", "NHS", "Acute Trust"),
    ]
    batch = events[0]["batch_id"]
    assert [e["record_id"] for e in events] == [f"acute:{batch}:1", f"acute:{batch}:10", f"acute:{batch}:13"]
    src = summary["sources"]["acute"]
    assert (src["rows_read"], src["rows_accepted"], src["rows_quarantined"], src["rows_out_of_scope"]) == (13, 3, 10, 0)
    assert src["quarantined_by_rule"] == {
        "blank_identifier": 1, "duplicate_key": 1, "duplicate_row": 1, "impossible_date": 2, "missing_value": 1,
        "nhs_number_invalid": 1, "outside_period": 1, "unmapped_service": 1, "unparseable_date": 1,
    }
    ident = table(p, "staging_identity", ["source_row"])
    assert [i["record_id"] for i in ident] == [e["record_id"] for e in events]
    assert len(ident[0]["nhs_pseudo"]) == 64 and ident[0]["nhs_pseudo"] != ident[2]["nhs_pseudo"]
    assert ident[1]["nhs_pseudo"] is None and ident[1]["local_pseudo"] is not None
    assert ident[2]["local_pseudo"] is None  # a blank local ID is no identifier


def test_spells_end_rules_and_period_overlap(project_factory) -> None:
    src = event_source(
        "inpatient", "ip.csv",
        event={"kind": "spell", "service": {"code": "NEL_ADMIT"}, "start": {"column": "adm", "format": "%Y-%m-%d"},
               "end": {"column": "dis", "format": "%Y-%m-%d"}},
    )
    csv = """
        nhs,mrn,adm,dis
        9434765919,A,2024-01-01,2024-01-04
        9434765919,B,2024-01-04,2024-01-01
        9434765919,C,2025-03-01,
        9434765919,D,2023-03-01,2023-04-01
        9434765919,E,2023-03-01,2023-04-02
        9434765919,F,2024-05-01,2024-05-01
        """
    p = project_factory({"sources": [src]}, {"ip.csv": csv})
    run(p)
    assert quarantine_rules(p) == [(2, "end_before_start", "dis"), (4, "outside_period", "adm")]
    got = [(e["source_row"], e["start_date"], e["end_date"], e["quantity"], e["unit"]) for e in table(p, "events_staged", ["source_row"])]
    assert got == [
        (1, D(2024, 1, 1), D(2024, 1, 4), None, "bed day"),
        (3, D(2025, 3, 1), D(2025, 4, 1), None, "bed day"),  # open-ended: runs to the period end (exclusive end)
        (5, D(2023, 3, 1), D(2023, 4, 2), None, "bed day"),  # overlaps the period's first day
        (6, D(2024, 5, 1), D(2024, 5, 1), None, "bed day"),  # same-day spell
    ]


def test_open_ended_quarantine(project_factory) -> None:
    src = event_source(
        "inpatient", "ip.csv",
        event={"kind": "spell", "service": {"code": "NEL_ADMIT"}, "start": {"column": "adm", "format": "%Y-%m-%d"},
               "end": {"column": "dis", "format": "%Y-%m-%d"}, "open_ended": "quarantine"},
    )
    # its one row is quarantined on purpose: warn, not stop (ingest.all_quarantined)
    p = project_factory({"sources": [src], "all_quarantined": "warn"}, {"ip.csv": "nhs,mrn,adm,dis\n9434765919,A,2024-01-01,\n"})
    run(p)
    assert quarantine_rules(p) == [(1, "missing_end", "dis")]


def test_package_quantities(project_factory) -> None:
    src = event_source(
        "homecare", "hc.csv",
        agency=ASC,
        event={"kind": "package", "service": {"code": "ASC_HOMECARE"}, "start": {"column": "s", "format": "%Y-%m-%d"},
               "end": {"column": "e", "format": "%Y-%m-%d"}, "quantity": "hours"},
    )
    csv = """
        nhs,mrn,s,e,hours
        9434765919,A,2024-01-01,2024-02-01,10.5
        9434765919,B,2024-01-01,2024-02-01,-1
        9434765919,C,2024-01-01,2024-02-01,200
        9434765919,D,2024-01-01,2024-02-01,abc
        9434765919,E,2024-01-01,2024-02-01,nan
        9434765919,F,2024-01-01,2024-02-01,1e400
        9434765919,G,2024-01-01,2024-02-01,
        9434765919,H,2024-01-01,2024-02-01, 0
        9434765919,I,2024-01-01,2024-02-01,168
        """
    p = project_factory({"sources": [src]}, {"hc.csv": csv})
    run(p)
    assert quarantine_rules(p) == [
        (2, "negative_quantity", "hours"), (3, "absurd_quantity", "hours"), (4, "unparseable_number", "hours"),
        (5, "unparseable_number", "hours"), (6, "unparseable_number", "hours"), (7, "missing_value", "hours"),
    ]
    assert [(e["source_row"], e["quantity"], e["unit"]) for e in table(p, "events_staged", ["source_row"])] == [
        (1, 10.5, "hour"), (8, 0.0, "hour"), (9, 168.0, "hour"),
    ]
    hint = [q["hint"] for q in table(p, "quarantine") if q["rule"] == "absurd_quantity"][0]
    assert "168" in hint and "ingest.sources[0].event.max_quantity" in hint


def test_one_care_extract_with_hours_and_placements(project_factory) -> None:
    """Councils' care extracts hold home care (hours a week) and residential placements (no
    hours) in one file: every residential row was quarantined as missing_value, so the audit
    had no residential care. A blank on a service counted in weeks is one placement a week;
    home care still needs its hours."""
    src = event_source(
        "asc", "asc.csv",
        agency=ASC,
        event={"kind": "package", "service": {"column": "type", "map": {"HC": "ASC_HOMECARE", "RES": "ASC_RESIDENTIAL"}},
               "start": {"column": "s", "format": "%Y-%m-%d"}, "end": {"column": "e", "format": "%Y-%m-%d"},
               "quantity": "hours"},
    )
    csv = """
        nhs,mrn,type,s,e,hours
        9434765919,A,HC,2024-01-01,2024-02-01,10
        9434765919,B,RES,2024-01-01,2024-02-01,
        9434765919,C,HC,2024-01-01,2024-02-01,
        """
    p = project_factory({"sources": [src]}, {"asc.csv": csv})
    run(p)
    assert quarantine_rules(p) == [(3, "missing_value", "hours")]
    assert [(e["source_row"], e["service_code"], e["quantity"], e["unit"])
            for e in table(p, "events_staged", ["source_row"])] == [
        (1, "ASC_HOMECARE", 10.0, "hour"), (2, "ASC_RESIDENTIAL", 1.0, "week")]


def test_max_quantity_overrides_default(project_factory) -> None:
    src = event_source(
        "homecare", "hc.csv",
        agency=ASC,
        event={"kind": "package", "service": {"code": "ASC_HOMECARE"}, "start": {"column": "s", "format": "%Y-%m-%d"},
               "end": {"column": "e", "format": "%Y-%m-%d"}, "quantity": "hours", "max_quantity": 40},
    )
    csv = "nhs,mrn,s,e,hours\n9434765919,A,2024-01-01,2024-02-01,40\n9434765919,B,2024-01-01,2024-02-01,41\n"
    p = project_factory({"sources": [src]}, {"hc.csv": csv})
    run(p)
    assert quarantine_rules(p) == [(2, "absurd_quantity", "hours")]


def test_unmapped_ignore_is_counted_out_of_scope(project_factory) -> None:
    src = event_source(event={"service": {"column": "code", "map": {"AE": "AE_ATTEND"}, "unmapped": "ignore"}})
    csv = "nhs,mrn,code,date\n9434765919,A,AE,05/01/2024\n9434765919,A,XX,bad date\n,,YY,\n"
    p = project_factory({"sources": [src]}, {"ae.csv": csv})
    s = run(p)["sources"]["acute"]
    assert (s["rows_read"], s["rows_accepted"], s["rows_quarantined"], s["rows_out_of_scope"]) == (3, 1, 0, 2)
    assert quarantine_rules(p) == []
    f = table(p, "ingest_files")[0]
    assert (f["rows_read"], f["rows_accepted"], f["rows_quarantined"], f["rows_out_of_scope"]) == (3, 1, 0, 2)


def test_a_file_read_by_two_sources_is_one_file(project_factory) -> None:
    """One extract read as one source per agency: the headline counted it once per source
    ('3 file(s)' for two files); rows stay counted per source, so that rows read = accepted +
    quarantined + out of scope + blank holds in the totals, and the headline says so."""
    def src(name: str, level2: str, code: str, service: str) -> dict:
        return event_source(name, "urgent.csv", agency={"level1": "NHS", "level2": level2},
                            event={"service": {"column": "code", "map": {code: service}, "unmapped": "ignore"}})
    csv = "nhs,mrn,code,date\n9434765919,A,AE,05/01/2024\n9434765919,A,AMB,06/01/2024\n9434765919,A,XX,07/01/2024\n"
    p = project_factory({"sources": [src("acute", "Acute Trust", "AE", "AE_ATTEND"),
                                     src("ambulance", "Ambulance Trust", "AMB", "AMBULANCE"),
                                     event_source("gp", "gp.csv")]},
                        {"urgent.csv": csv, "gp.csv": "nhs,mrn,code,date\n9434765919,A,AE,09/01/2024\n"})
    s = run(p)
    assert (s["files"], s["files_read_by_several_sources"]) == (2, {"urgent.csv": 2})
    assert s["totals"] == {"rows_read": 7, "rows_accepted": 3, "rows_quarantined": 0, "rows_out_of_scope": 4,
                           "rows_blank": 0}
    assert s["headline"].startswith("2 file(s) from 3 source(s) (urgent.csv read by 2 sources; rows and statuses "
                                    "are counted per source): 7 rows read, 3 accepted, 0 quarantined, "
                                    "4 out of scope (3 new)")


def test_ambiguous_dates_stop_with_the_key_to_set(project_factory) -> None:
    src = event_source(event={"start": {"column": "date"}})
    csv = "nhs,mrn,code,date\n9434765919,A,AE,01/02/2024\n9434765919,A,AE,05/06/2024\n"
    p = project_factory({"sources": [event_source(name="first", path="other.csv"), src]},
                        {"ae.csv": csv, "other.csv": "nhs,mrn,code,date\n"})
    with pytest.raises(IngestError) as err:
        run(p)
    msg = str(err.value)
    assert "ae.csv" in msg and "'date'" in msg
    assert "ingest.sources[1].event.start.format" in msg and "'%d/%m/%Y'" in msg
    assert "01/02/2024" not in msg and "05/06/2024" not in msg


def test_ambiguous_date_of_birth_names_dob_format_and_no_values(project_factory) -> None:
    src = event_source(ids={"nhs_number": "nhs", "dob": "dob"})
    csv = "nhs,mrn,code,date,dob\n9434765919,A,AE,05/01/2024,02/03/1961\n"
    p = project_factory({"sources": [src]}, {"ae.csv": csv})
    with pytest.raises(IngestError) as err:
        run(p)
    assert "ingest.sources[0].ids.dob_format" in str(err.value)
    assert "02/03/1961" not in str(err.value)


def test_inferred_format_is_reported(project_factory) -> None:
    src = event_source(event={"start": {"column": "date"}})
    csv = "nhs,mrn,code,date\n9434765919,A,AE,13/01/2024\n9434765919,A,AE,01/02/2024\n"
    p = project_factory({"sources": [src]}, {"ae.csv": csv})
    s = run(p)
    assert s["sources"]["acute"]["files"][0]["date_formats"] == {"start": "%d/%m/%Y (inferred)"}
    assert [e["start_date"] for e in table(p, "events_staged", ["source_row"])] == [D(2024, 1, 13), D(2024, 2, 1)]


def test_missing_column_names_config_key(project_factory) -> None:
    p = project_factory({"sources": [event_source()]}, {"ae.csv": "nhs,mrn,activity,date\n"})
    with pytest.raises(IngestError, match=r"column 'code' \(named by ingest.sources\[0\].event.service.column\)"):
        run(p)


def test_unknown_service_code_in_map(project_factory) -> None:
    src = event_source(event={"service": {"column": "code", "map": {"AE": "AE_ATTENDANCE"}}})
    p = project_factory({"sources": [src]}, {"ae.csv": "nhs,mrn,code,date\n"})
    with pytest.raises(IngestError, match=r"ingest.sources\[0\].event.service.map.AE: unknown service code"):
        run(p)


def test_strict_fails_after_writing_summary(project_factory) -> None:
    csv = "nhs,mrn,code,date\n9434765918,A,AE,05/01/2024\n"
    p = project_factory({"sources": [event_source()], "all_quarantined": "warn"}, {"ae.csv": csv})
    with pytest.raises(IngestError, match="--strict: 1 row"):
        run(p, strict=True)
    assert (p.out / "ingest" / "summary.json").exists()
    assert (p.out / "ingest" / "quarantine.csv").exists()


def test_homecare_package_needs_quantity_column(project_factory) -> None:
    src = event_source(
        "homecare", "hc.csv",
        agency=ASC,
        event={"kind": "package", "service": {"code": "ASC_HOMECARE"}, "start": {"column": "s", "format": "%Y-%m-%d"},
               "end": {"column": "e", "format": "%Y-%m-%d"}},
    )
    p = project_factory({"sources": [src]}, {"hc.csv": "nhs,mrn,s,e\n"})
    with pytest.raises(IngestError, match=r"ingest.sources\[0\].event.quantity: service 'ASC_HOMECARE' is costed per hour"):
        run(p)


def test_nothing_configured_needs_no_key(project_factory, monkeypatch) -> None:
    monkeypatch.delenv("CARECASE_KEY")
    p = project_factory({}, {})
    s = run(p)
    assert s["totals"] == {"rows_read": 0, "rows_accepted": 0, "rows_quarantined": 0, "rows_out_of_scope": 0,
                           "rows_blank": 0}
    assert s["headline"].startswith("0 file(s) from 0 source(s)")


def test_short_compact_dates_are_unparseable_not_misread(project_factory) -> None:
    src = event_source("ambulance", "amb.csv", event={"start": {"column": "date", "format": "%Y%m%d"}})
    csv = "nhs,mrn,code,date\n9434765919,A,AE,20240105\n9434765919,A,AE,202011\n4010232137,B,AE,2024112\n"
    p = project_factory({"sources": [src]}, {"amb.csv": csv})
    run(p)
    assert [e["start_date"] for e in table(p, "events_staged")] == [D(2024, 1, 5)]
    q = table(p, "quarantine", ["source_row"])
    assert [(r["source_row"], r["rule"], r["column"], r["value"]) for r in q] == [
        (2, "unparseable_date", "date", "202011"), (3, "unparseable_date", "date", "2024112")]
    assert "'%Y%m%d' (e.g. 20240105)" in q[0]["hint"] and "ingest.sources[0].event.start.format" in q[0]["hint"]


def test_an_activity_code_in_another_case_says_so(project_factory) -> None:
    """A new user's 'ta' against a map holding 'TA' got only 'not in the map'. Codes still
    match exactly (a map may hold both); the hint says the code is there in another case."""
    csv = "nhs,mrn,code,date\n9434765919,M1,AE,05/01/2024\n9434765919,M1,ae,06/01/2024\n9434765919,M1,ZZ,07/01/2024\n"
    p = project_factory({"sources": [event_source()]}, {"ae.csv": csv})
    run(p)
    rows = table(p, "quarantine", ["source_row"])
    assert [(r["source_row"], r["rule"]) for r in rows] == [(2, "unmapped_service"), (3, "unmapped_service")]
    assert "is there in another case (codes match exactly, case included)" in rows[0]["hint"]
    assert "another case" not in rows[1]["hint"] and "ingest.sources[0].event.service.map" in rows[1]["hint"]
