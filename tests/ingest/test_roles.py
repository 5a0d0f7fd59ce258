"""Population register, programme register, outcome readings and lookups."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

import pandas as pd

from carecase.ingest.stage import run

from .helpers import TEST_KEY, event_source, quarantine_rules, table

D = dt.date
IDS = {"nhs_number": "nhs", "given_name": "first", "family_name": "last", "dob": "dob", "dob_format": "%Y-%m-%d",
       "sex": "sex", "postcode": "pc"}


def _hash(v: str) -> str:
    return hmac.new(TEST_KEY.encode(), v.encode(), hashlib.sha256).hexdigest()


def test_population_register(project_factory) -> None:
    pop = {"path": "pop.csv", "format": {"type": "csv"}, "ids": IDS, "deprivation_decile": "imd", "locality": "loc",
           "registered_from": {"column": "from", "format": "%Y-%m-%d"},
           "registered_to": {"column": "to", "format": "%Y-%m-%d"},
           "date_of_death": {"column": "dod", "format": "%Y-%m-%d"}}
    csv = """
        nhs,first,last,dob,sex,pc,imd,loc,from,to,dod
        9434765919,Ann,Lee,1950-03-04,F,m1 1ae,3,North,2010-01-01,,
        4010232137,Bob,Ray,1940-01-02,M,,11,South,2010-01-01,,
        1234567881,Cy,Oh,1960-01-01,U,,2.5,,,,
        9434765919,Dee,Ng,1970-01-01,F,,,East,2020-01-01,2019-01-01,
        9434765919,Ed,Yu,1971-01-01,M,,10, West ,2020-01-01,2021-01-01,2021-01-01
        """
    p = project_factory({"population": pop}, {"pop.csv": csv})
    run(p)
    assert quarantine_rules(p) == [(2, "invalid_decile", "imd"), (3, "invalid_decile", "imd"), (4, "end_before_start", "to")]
    rows = [(r["deprivation_decile"], r["locality"], r["registered_from"], r["registered_to"], r["date_of_death"])
            for r in table(p, "population_staged", ["record_id"])]
    assert rows == [(3, "North", D(2010, 1, 1), None, None), (10, "West", D(2020, 1, 1), D(2021, 1, 1), D(2021, 1, 1))]
    ident = table(p, "staging_identity", ["source_row"])
    assert [(i["source"], i["given_name"], i["family_name"], i["dob"], i["sex"], i["postcode"], i["nhs_pseudo"]) for i in ident] == [
        ("population", "ANN", "LEE", D(1950, 3, 4), "F", "M1 1AE", _hash("9434765919")),
        ("population", "ED", "YU", D(1971, 1, 1), "M", None, _hash("9434765919")),
    ]


def test_programme_register(project_factory) -> None:
    prog = {"path": "prog.csv", "format": {"type": "csv"}, "ids": {"nhs_number": "nhs"},
            "start": {"column": "joined", "format": "%d/%m/%Y"}, "end": {"column": "left", "format": "%d/%m/%Y"}}
    csv = "nhs,joined,left\n9434765919,01/06/2023,\n4010232137,01/06/2023,01/05/2023\n4010232137,,\n"
    p = project_factory({"programme": prog}, {"prog.csv": csv})
    run(p)
    assert quarantine_rules(p) == [(2, "end_before_start", "left"), (3, "missing_value", "joined")]
    assert [(r["start_date"], r["end_date"]) for r in table(p, "programme_staged")] == [(D(2023, 6, 1), None)]
    assert table(p, "programme_staged")[0]["record_id"].startswith("programme:")


def test_date_formats_are_reported_for_unchanged_files(project_factory) -> None:
    """The population register's date formats (dob_format, registered_from/to, date of death)
    were `{}` in out/ingest/summary.json whenever its file was unchanged, as for every source:
    only a file read in that run reported them. They are kept with the file's batch."""
    pop = {"path": "pop.csv", "format": {"type": "csv"}, "ids": IDS,
           "registered_from": {"column": "from", "format": "%Y-%m-%d"},
           "registered_to": {"column": "to", "format": "%Y-%m-%d"}, "date_of_death": {"column": "dod"}}
    prog = {"path": "prog.csv", "format": {"type": "csv"}, "ids": {"nhs_number": "nhs"},
            "start": {"column": "joined", "format": "%d/%m/%Y"}}
    files = {"pop.csv": "nhs,first,last,dob,sex,pc,from,to,dod\n9434765919,Ann,Lee,1950-03-04,F,M1 1AE,2010-01-01,,"
                        "2024-01-13\n",
             "prog.csv": "nhs,joined\n9434765919,01/06/2023\n",
             "ae.csv": "nhs,mrn,code,date\n9434765919,A,AE,13/01/2024\n"}
    p = project_factory({"population": pop, "programme": prog, "sources": [event_source(
        event={"start": {"column": "date"}})]}, files)
    want = {"population": {"dob": "%Y-%m-%d", "registered_from": "%Y-%m-%d", "registered_to": "%Y-%m-%d",
                           "date_of_death": "%Y-%m-%d (inferred)"},
            "programme": {"start": "%d/%m/%Y"}, "acute": {"start": "%d/%m/%Y (inferred)"}}
    first = run(p)["sources"]
    assert {k: first[k]["files"][0]["date_formats"] for k in want} == want
    again = run(p)["sources"]
    assert {k: again[k]["files"][0]["status"] for k in want} == dict.fromkeys(want, "unchanged")
    assert {k: again[k]["files"][0]["date_formats"] for k in want} == want


def test_a_store_without_date_formats_reads_its_files_again_once(project_factory, monkeypatch) -> None:
    """A store written before ``ingest_date_formats`` (older rules, no table): every file is
    staged again once, so an unchanged file's date formats are known from then on."""
    from carecase.ingest import stage as ingest_stage

    p = project_factory({"sources": [event_source()]}, {"ae.csv": "nhs,mrn,code,date\n9434765919,A,AE,13/01/2024\n"})
    current = ingest_stage.RULES_VERSION
    monkeypatch.setattr(ingest_stage, "RULES_VERSION", current - 1)
    run(p)
    p.engine.drop("ingest_date_formats")
    monkeypatch.setattr(ingest_stage, "RULES_VERSION", current)
    f = run(p)["sources"]["acute"]["files"][0]
    assert (f["status"], f["date_formats"]) == ("reprocessed", {"start": "%d/%m/%Y"})
    f = run(p)["sources"]["acute"]["files"][0]
    assert (f["status"], f["date_formats"]) == ("unchanged", {"start": "%d/%m/%Y"})


def test_outcome_readings_long_format(project_factory) -> None:
    out = {"instrument": "Outcomes Star", "path": "star.csv", "format": {"type": "csv"}, "ids": {"local_id": "client"},
           "date": {"column": "when", "format": "%Y-%m-%d"}, "assessment": "point",
           "domains": {"housing": "h", "health": "hl"}}
    csv = "client,when,point,h,hl\nc1,2024-01-01,baseline,3,4\nc1,2024-09-01,8m,5,\nc2,2024-01-01,baseline,x,4\nc3,2024-01-01,,1,1\n"
    p = project_factory({"outcomes": [out]}, {"star.csv": csv})
    run(p)
    assert quarantine_rules(p) == [(3, "unparseable_number", "h"), (4, "missing_value", "point")]
    rows = [(r["record_id"].split(":")[0], r["record_id"].split(":")[2], r["instrument"], r["assessment"],
             r["assessment_date"], r["domain"], r["score"]) for r in table(p, "outcomes_staged", ["record_id", "domain"])]
    assert rows == [
        ("outcomes_outcomes_star", "1", "Outcomes Star", "baseline", D(2024, 1, 1), "health", 4.0),
        ("outcomes_outcomes_star", "1", "Outcomes Star", "baseline", D(2024, 1, 1), "housing", 3.0),
        ("outcomes_outcomes_star", "2", "Outcomes Star", "8m", D(2024, 9, 1), "health", None),
        ("outcomes_outcomes_star", "2", "Outcomes Star", "8m", D(2024, 9, 1), "housing", 5.0),
    ]


def test_lookup_table(project_factory) -> None:
    src = event_source("housing", "hou.csv", ids={"nhs_number": None, "local_id": "ref", "lookup": "hou"},
                       agency={"level1": "Local Authority", "level2": "Housing"},
                       event={"service": {"code": "HOU_HOMELESS_APP"}})
    lk = {"name": "hou", "path": "lk.csv", "format": {"type": "csv"}, "local_id": "ref", "nhs_number": "nhs"}
    files = {"hou.csv": "ref,date\n h1 ,05/01/2024\n", "lk.csv": "ref,nhs\nh1,943 476 5919\nh2,9434765918\n,4010232137\nh1,9434765919\n"}
    p = project_factory({"sources": [src], "lookups": [lk]}, files)
    s = run(p)
    # rows 1 and 4 differ as text but give the same pair: the lookup table holds it once
    assert quarantine_rules(p) == [(2, "nhs_number_invalid", "nhs"), (3, "blank_identifier", "ref")]
    assert table(p, "lookup_hou") == [{"local_pseudo": _hash("H1"), "nhs_pseudo": _hash("9434765919")}]
    assert table(p, "staging_identity")[0]["local_pseudo"] == _hash("H1")
    assert s["sources"]["lookup_hou"]["rows_read"] == 4


def test_outcome_scores_outside_the_instruments_scale_are_quarantined(project_factory) -> None:
    """A score of 15 on a 1-10 scale was staged; the evaluation then stopped with no file, row
    or value ('instrument has scores outside [1, 10]'), and scores at other assessments or in
    unreported domains were never checked."""
    out = {"instrument": "cnos", "path": "cnos.csv", "format": {"type": "csv"}, "ids": {"local_id": "client"},
           "date": {"column": "when", "format": "%Y-%m-%d"}, "assessment": "point",
           "domains": {"housing": "h", "health": "hl"}}
    evaluation = {"instruments": [{"name": "cnos", "domains": ["housing"], "scale_min": 1, "scale_max": 10,
                                   "assessments": ["baseline", "8m"]}]}
    csv = ("client,when,point,h,hl\nc1,2024-01-01,baseline,3,4\nc1,2024-05-01,4m,15,4\n"
           "c2,2024-01-01,baseline,10,0\nc3,2024-01-01,baseline,1,\nc4,2024-01-01,baseline,x,11\n")
    p = project_factory({"outcomes": [out]}, {"cnos.csv": csv}, evaluation=evaluation)
    s = run(p)
    assert quarantine_rules(p) == [(2, "score_out_of_range", "h"), (3, "score_out_of_range", "hl"),
                                   (5, "unparseable_number", "h")]
    q = table(p, "quarantine", ["source_row"])
    assert (q[0]["value"], q[1]["value"]) == ("15", "0")
    assert "scale 1-10 (evaluation.instruments[0].scale_min/scale_max)" in q[0]["hint"]
    counts = s["sources"]["outcomes_cnos"]
    assert (counts["rows_read"], counts["rows_accepted"], counts["rows_quarantined"]) == (5, 2, 3)


def test_outcome_rows_at_an_unlisted_assessment_point_are_quarantined(project_factory) -> None:
    """Rows at an assessment point the instrument does not list were staged, and the
    evaluation then dropped them without a word (an error only when none matched): 40 '6m'
    readings of an instrument listing [baseline, 8m] vanished. They are quarantined with the
    fix, and a warning counts them with the labels found."""
    out = {"instrument": "cnos", "path": "cnos.csv", "format": {"type": "csv"}, "ids": {"local_id": "client"},
           "date": {"column": "when", "format": "%Y-%m-%d"}, "assessment": "point",
           "domains": {"housing": "h"}}
    evaluation = {"instruments": [{"name": "cnos", "scale_min": 1, "scale_max": 10,
                                   "assessments": ["baseline", "8m"]}]}
    csv = ("client,when,point,h\nc1,2024-01-01,baseline,3\nc1,2024-05-01,6m,4\nc1,2024-09-01,8m,5\n"
           "c2,2024-01-01,Baseline,2\nc2,2024-05-01,6m,11\nc3,2024-05-01, 8m ,6\nc4,2024-01-01,baseline,3\n"
           "c4,2024-09-01,8m,4\n")
    p = project_factory({"outcomes": [out]}, {"cnos.csv": csv}, evaluation=evaluation)
    s = run(p)
    # row 5's score is out of range: it is named for that first, whatever its point
    assert quarantine_rules(p) == [(2, "unknown_assessment", "point"), (4, "unknown_assessment", "point"),
                                   (5, "score_out_of_range", "h")]
    q = table(p, "quarantine", ["source_row"])
    assert [r["value"] for r in q[:2]] == ["6m", "Baseline"]
    assert ("not one of the instrument's (baseline, 8m: evaluation.instruments[0].assessments)" in q[0]["hint"]
            and "add the label to evaluation.instruments[0].assessments" in q[0]["hint"])
    counts = s["sources"]["outcomes_cnos"]
    assert (counts["rows_read"], counts["rows_accepted"], counts["rows_quarantined"]) == (8, 5, 3)
    assert {r["assessment"] for r in table(p, "outcomes_staged")} == {"baseline", "8m"}
    assert s["warnings"] == [
        "ingest.outcomes[0] (cnos): 2 rows quarantined as unknown_assessment: the assessment points "
        "'6m', 'Baseline' are not in evaluation.instruments[0].assessments (baseline, 8m), so the evaluation "
        "would not read them. Add the label to evaluation.instruments[0].assessments (in order) or correct "
        "the data, and run ingest again; the rows are in out/ingest/quarantine.csv."]


def test_a_local_id_mapped_to_two_nhs_numbers_is_warned_of(project_factory) -> None:
    """Linkage ignores an ambiguous local ID; ingest accepted both rows without a word."""
    src = event_source("housing", "hou.csv", ids={"nhs_number": None, "local_id": "ref", "lookup": "hou"},
                       agency={"level1": "Local Authority", "level2": "Housing"},
                       event={"service": {"code": "HOU_HOMELESS_APP"}})
    lk = {"name": "hou", "path": "lk.csv", "format": {"type": "csv"}, "local_id": "ref", "nhs_number": "nhs"}
    files = {"hou.csv": "ref,date\nh1,05/01/2024\n",
             "lk.csv": "ref,nhs\nh1,9434765919\nh2,4010232137\nh1,4010232137\n"}
    p = project_factory({"sources": [src], "lookups": [lk]}, files)
    s = run(p)
    assert s["warnings"] == [
        "lookup hou: 1 local ID(s) map to more than one NHS number (lk.csv row 1 (line 2), lk.csv row 3 (line 4)); linkage "
        "cannot use them, so their records are matched on name and date of birth instead, or stay "
        "unlinked. Correct the lookup so each local ID has one NHS number."]


def test_an_outcome_instrument_the_evaluation_does_not_declare_is_warned_of(project_factory) -> None:
    """Its scores were staged unchecked and silently left out of the evaluation."""
    out = {"instrument": "cnos", "path": "cnos.csv", "format": {"type": "csv"}, "ids": {"local_id": "client"},
           "date": {"column": "when", "format": "%Y-%m-%d"}, "assessment": "point",
           "domains": {"housing": "h"}}
    p = project_factory({"outcomes": [out]}, {"cnos.csv": "client,when,point,h\nc1,2024-01-01,baseline,15\n"})
    s = run(p)
    assert s["warnings"] == [
        "ingest.outcomes[0]: instrument 'cnos' is not declared under evaluation.instruments, so its "
        "scores are not checked against a scale and the evaluation does not report it; declare it "
        "(name, domains, scale_min, scale_max)."]
    assert s["sources"]["outcomes_cnos"]["rows_accepted"] == 1


def test_a_register_quarantined_whole_stops_the_run_naming_the_rule_and_fix(project_factory) -> None:
    """Every date of birth written 03/06/1975 against dob_format %Y-%m-%d: all rows of the
    population register were quarantined, ingest gave no warning, and linkage then failed
    with 'could not be trained' and no cause. Then a warning; a new user still got a
    finished report with A&E missing and exit code 0, so it is an error unless
    ingest.all_quarantined is warn. These dates read as day/month or month/day alike, so
    no format is suggested."""
    import pytest

    from carecase.core.errors import IngestError

    ids = {**IDS, "dob_format": "%Y-%m-%d"}
    pop = {"path": "pop.csv", "format": {"type": "csv"}, "ids": ids}
    csv = "nhs,first,last,dob,sex,pc\n9434765919,Ann,Lee,04/03/1950,F,M1 1AE\n4010232137,Bob,Ray,02/01/1940,M,M1 1AE\n"
    p = project_factory({"population": pop}, {"pop.csv": csv})
    with pytest.raises(IngestError) as err:
        run(p)
    msg = str(err.value)
    assert "every one of its 2 rows was quarantined, 2 of them for unparseable_date, column dob" in msg
    assert "Fix:" in msg and "ingest.all_quarantined: warn" in msg and "look like" not in msg
    assert (p.out / "ingest" / "quarantine.csv").exists()  # written before stopping, to look at
    warned = project_factory({"population": pop, "all_quarantined": "warn"}, {"pop.csv": csv}, sub="warn")
    s = run(warned)
    warning = next(w for w in s["warnings"] if w.startswith("ingest.population"))
    assert "every one of its 2 rows was quarantined, 2 of them for unparseable_date, column dob" in warning
    assert "Fix:" in warning and "out/ingest/quarantine.csv" in warning
    ok = project_factory({"population": pop}, {"pop.csv": csv.replace("04/03/1950", "1950-03-04")
                                                 .replace("02/01/1940", "1940-01-02")}, sub="ok")
    assert not run(ok)["warnings"]


def test_a_wrong_date_format_names_the_format_the_values_use(project_factory) -> None:
    """A new user set %Y-%m-%d for dd/mm/yyyy dates: every row was quarantined with only
    'does not match'. Where most of a column fails, the hint names the one format its values
    match (never a value: dates of birth are identifiers); a few bad rows get no guess."""
    ids = {**IDS, "dob_format": "%Y-%m-%d"}
    pop = {"path": "pop.csv", "format": {"type": "csv"}, "ids": ids}
    csv = "nhs,first,last,dob,sex,pc\n9434765919,Ann,Lee,24/03/1950,F,M1 1AE\n4010232137,Bob,Ray,02/01/1940,M,M1 1AE\n"
    p = project_factory({"population": pop, "all_quarantined": "warn"}, {"pop.csv": csv})
    s = run(p)
    warning = next(w for w in s["warnings"] if w.startswith("ingest.population"))
    assert "these values look like '%d/%m/%Y' (e.g. 05/01/2024)" in warning
    assert "24/03/1950" not in warning
    few = csv.replace("02/01/1940", "1940-01-02") + "9876543210,Cy,Day,1960-05-06,F,M1 1AE\n"
    q = project_factory({"population": pop}, {"pop.csv": few}, sub="few")
    s = run(q)
    assert s["sources"]["population"]["rows_quarantined"] == 1
    hints = pd.read_csv(q.out / "ingest" / "quarantine.csv")["hint"].tolist()
    assert hints and all("does not match the date format" in h and "look like" not in h for h in hints)
    hints = pd.read_csv(p.out / "ingest" / "quarantine.csv")["hint"].tolist()
    assert len(hints) == 2 and all("look like '%d/%m/%Y'" in h for h in hints)


def test_all_quarantined_counts_only_rows_in_scope(project_factory) -> None:
    """A code review: a source whose codes are mostly out of scope (unmapped: ignore) and
    whose every other row was quarantined stopped with a bare message, and with
    all_quarantined: warn went on without any warning (the share was taken of all rows)."""
    import pytest

    from carecase.core.errors import IngestError

    src = event_source(event={"kind": "point", "start": {"column": "date", "format": "%d/%m/%Y"},
                              "service": {"column": "code", "map": {"AE": "AE_ATTEND"}, "unmapped": "ignore"}})
    csv = ("nhs,mrn,code,date\n" + "9434765919,M1,ZZ,05/01/2024\n" * 3
           + "9434765919,M1,AE,2024-01-05\n9434765918,M2,AE,2024-01-06\n")
    with pytest.raises(IngestError) as err:
        run(project_factory({"sources": [src]}, {"ae.csv": csv}))
    msg = str(err.value)
    assert "Every row in scope of a source was quarantined" in msg
    assert "every one of its 2 rows in scope was quarantined" in msg and "unparseable_date" in msg
    s = run(project_factory({"sources": [src], "all_quarantined": "warn"}, {"ae.csv": csv}, sub="warn"))
    assert any("every one of its 2 rows in scope was quarantined" in w for w in s["warnings"])


def test_a_few_bad_rows_in_a_small_file_are_not_called_a_wrong_setting(project_factory) -> None:
    """A 3-row file with a totals row and one bad date was 'mostly quarantined' (2 of 3) and
    warned that 'a setting is probably wrong for the whole file', for total_row. The warning
    now needs at least MOSTLY_MIN_ROWS rows quarantined for one rule in one column (a source
    quarantined whole is always named: test above); totals rows do not count towards it."""
    from carecase.ingest.summary import MOSTLY_MIN_ROWS

    small = "nhs,mrn,code,date\n9434765919,M1,AE,05/01/2024\n4010232137,M2,AE,2024-01-06\nTotal,,,2\n"
    s = run(project_factory({"sources": [event_source()]}, {"ae.csv": small}))
    assert s["sources"]["acute"]["quarantined_by_rule"] == {"total_row": 1, "unparseable_date": 1}
    assert not [w for w in s["warnings"] if "setting is probably wrong" in w]
    # the case the warning is for: a date format wrong for most of a file with rows accepted
    bad = "".join(f"9434765919,M1,AE,2024-01-{d:02d}\n" for d in range(1, MOSTLY_MIN_ROWS + 1))
    big = "nhs,mrn,code,date\n9434765919,M1,AE,05/02/2024\n4010232137,M2,AE,06/02/2024\n" + bad + "Total,,,12\n"
    s = run(project_factory({"sources": [event_source()]}, {"ae.csv": big}, sub="big"))
    warned = [w for w in s["warnings"] if "setting is probably wrong" in w]
    assert len(warned) == 1 and warned[0].startswith(
        f"ingest.sources[0] (acute, events): {MOSTLY_MIN_ROWS + 1} of its {MOSTLY_MIN_ROWS + 3} rows were "
        f"quarantined, {MOSTLY_MIN_ROWS} of them for unparseable_date, column date:")
    # one fewer bad row is below the minimum
    fewer = big.replace("9434765919,M1,AE,2024-01-01\n", "")
    s = run(project_factory({"sources": [event_source()]}, {"ae.csv": fewer}, sub="fewer"))
    assert not [w for w in s["warnings"] if "setting is probably wrong" in w]
