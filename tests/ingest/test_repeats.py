"""Rows are never counted twice: a row that repeats a row of an earlier file (a re-saved
copy in a glob, the same extract named by two sources) is quarantined as
``duplicate_other_file``; a renamed extract replaces its old path; the duplicate key holds
the time of day, the quantity and the source's record ID, so genuine same-day repeats stay."""

from __future__ import annotations

import duckdb
import pytest
import yaml

from carecase.core.project import Project
from carecase.ingest.stage import run

from .helpers import event_source, quarantine_rules, table

CSV1 = "nhs,mrn,code,date\n9434765919,A,AE,05/01/2024\n4010232137,B,AE,06/01/2024\n9434765918,C,AE,07/01/2024\n"
FEB = "nhs,mrn,code,date\n9434765919,A,AE,05/02/2024\n4010232137,B,AE,06/02/2024\n"


def _accounting(s: dict) -> None:
    for src in s["sources"].values():
        assert src["rows_read"] == (src["rows_accepted"] + src["rows_quarantined"] + src["rows_out_of_scope"]
                                    + src["rows_blank"])


def _reopen(p: Project, edit) -> Project:
    data = yaml.safe_load((p.root / "carecase.yaml").read_text())
    edit(data)
    (p.root / "carecase.yaml").write_text(yaml.safe_dump(data))
    p.close()
    return Project.open(p.root)


def _repeats(p: Project) -> list[tuple[str, str, int, str]]:
    return [(q["source"], q["file"], q["source_row"], q["value"])
            for q in table(p, "quarantine", ["source", "file", "source_row"]) if q["rule"] == "duplicate_other_file"]


# ---------------------------------------------------------------- 1. copies across files and sources


def test_crlf_resave_in_a_glob_is_quarantined_not_counted_twice(project_factory) -> None:
    """An Excel re-save (CRLF line ends) of a file in the same glob: bytes differ, rows do not."""
    crlf = CSV1.replace("\n", "\r\n").encode()
    p = project_factory({"sources": [event_source(path="x/*.csv")]}, {"x/a.csv": CSV1, "x/a_copy.csv": crlf})
    s = run(p)
    _accounting(s)
    files = {f["path"]: f for f in s["sources"]["acute"]["files"]}
    assert (files["x/a.csv"]["rows_accepted"], files["x/a_copy.csv"]["rows_accepted"]) == (2, 0)
    assert files["x/a_copy.csv"]["quarantined_by_rule"] == {"duplicate_other_file": 2, "nhs_number_invalid": 1}
    assert len(table(p, "events_staged")) == 2 and len(table(p, "staging_identity")) == 2
    assert _repeats(p) == [("acute", "x/a_copy.csv", 1, "same as x/a.csv row 1 (line 2)"),
                           ("acute", "x/a_copy.csv", 2, "same as x/a.csv row 2 (line 3)")]
    assert any("x/a_copy.csv (acute)" in w and "x/a.csv" in w for w in s["warnings"])
    again = run(p)
    assert {f["status"] for f in again["sources"]["acute"]["files"]} == {"unchanged"}
    assert again["totals"] == s["totals"]


def test_byte_identical_copy_in_a_glob_gets_its_own_batch_and_is_quarantined(project_factory) -> None:
    p = project_factory({"sources": [event_source(path="x/*.csv")]}, {"x/a.csv": CSV1, "x/b.csv": CSV1})
    s = run(p)
    _accounting(s)
    a, b = s["sources"]["acute"]["files"]
    assert a["batch_id"] != b["batch_id"]
    assert (a["rows_accepted"], b["rows_accepted"], b["quarantined_by_rule"]) == (
        2, 0, {"duplicate_other_file": 2, "nhs_number_invalid": 1})
    assert s["totals"]["rows_accepted"] == 2


@pytest.mark.parametrize("keep_staging", [False, True])
def test_a_copy_whose_name_sorts_first_keeps_the_store_whole(project_factory, keep_staging) -> None:
    """A second download saved as 'a (1).csv' sorts before 'a.csv'. It took a.csv's batch id
    (made from the content), so re-staging a.csv deleted the copy's rows: the summary counted
    accepted rows the store did not hold; with the identities kept, every later ingest
    stopped with 'this is a carecase bug'. A file already in the store keeps its batch id."""
    p = project_factory({"sources": [event_source(path="x/*.csv")]}, {"x/a.csv": CSV1})
    if keep_staging:
        p = _reopen(p, lambda d: d.setdefault("privacy", {}).update(keep_linkage_staging=True))
    first = run(p)
    batch = first["sources"]["acute"]["files"][0]["batch_id"]
    (p.root / "x" / "a (1).csv").write_text(CSV1)
    for _ in range(2):
        s = run(p)
        _accounting(s)
        files = {f["path"]: f for f in s["sources"]["acute"]["files"]}
        assert files["x/a.csv"]["batch_id"] == batch != files["x/a (1).csv"]["batch_id"]
        assert s["totals"]["rows_accepted"] == 2 == len(table(p, "events_staged"))
        assert sum(f["rows_accepted"] for f in files.values()) == 2
        assert len(_repeats(p)) == 2


def test_a_corrected_resend_is_not_called_a_copy(project_factory) -> None:
    """A file re-sending record R1 with a corrected date beside a new record: the warning
    said 'Remove the copy', which would lose the new row. It now says one repeat is a
    correction whose earlier values were kept, and to keep the file."""
    jan = "id,nhs,mrn,code,date\nR1,9434765919,A,AE,05/01/2024\nR2,4010232137,B,AE,06/01/2024\n"
    fix = "id,nhs,mrn,code,date\nR1,9434765919,A,AE,15/01/2024\nR3,4010232137,B,AE,07/02/2024\n"
    copy = jan
    p = project_factory({"sources": [event_source(path="x/*.csv", record_id="id")]},
                        {"x/a.csv": jan, "x/b.csv": fix, "x/c.csv": copy})
    s = run(p)
    _accounting(s)
    b = next(w for w in s["warnings"] if w.startswith("x/b.csv"))
    assert "1 of its rows repeat" in b and "1 of them have an earlier row's record ID but other values" in b
    assert "keep the file" in b and "Remove the copy" not in b
    c = next(w for w in s["warnings"] if w.startswith("x/c.csv"))
    assert "every one of its 2 rows repeats" in c and "Remove the copy" in c and "corrections" not in c
    hint = next(q["hint"] for q in table(p, "quarantine") if q["rule"] == "duplicate_other_file")
    assert "replace the earlier file with the corrected one" in hint


def test_a_corrected_resend_without_record_ids_is_told_from_an_additional_extract(project_factory) -> None:
    """Without a record_id, a file re-sent under a new name with one row's date corrected has
    that row as a new row: both the earlier and the corrected version are staged (a correction
    cannot be told from a new record). The warning said 'keep the file', which for a corrected
    re-send keeps the wrong version too. It now says how many of the earlier file's rows the
    file lacks, tells an additional extract (keep both) from a corrected re-send (remove the
    earlier file so this one replaces it) and says that a record_id would tell them apart."""
    jan = "nhs,mrn,code,date\n9434765919,A,AE,05/01/2024\n4010232137,B,AE,06/01/2024\n9434765927,C,AE,07/01/2024\n"
    resent = jan.replace("07/01/2024", "17/01/2024")
    p = project_factory({"sources": [event_source(path="x/*.csv")]}, {"x/a.csv": jan, "x/b.csv": resent})
    s = run(p)
    _accounting(s)
    assert len(table(p, "events_staged")) == 4  # as documented: the earlier and the corrected row
    (b,) = [w for w in s["warnings"] if w.startswith("x/b.csv")]
    assert b == ("x/b.csv (acute): 2 of its rows repeat rows already read from x/a.csv; they were quarantined as "
                 "duplicate_other_file and counted once. Its other 1 row(s) were accepted. x/a.csv has 1 row(s) that "
                 "this file lacks: as many as this file's new rows, as in a corrected re-send, where each corrected "
                 "row is one of each. The source has no record_id, so carecase cannot tell a corrected row from a new "
                 "one. If this is an additional extract (new records beside those of x/a.csv), keep both files. If it "
                 "is a corrected re-send of x/a.csv, each row it corrects is staged twice, with its earlier values and "
                 "its corrected ones: remove x/a.csv (move it out of the folder the path reads, or narrow the path) so "
                 "that this file replaces it, and run ingest again. If the extract has a record ID, set the source's "
                 "record_id to it, so that corrections are told from new records.")
    assert "keep the file" not in b
    # following it: the corrected row is staged once
    (p.root / "x" / "a.csv").unlink()
    s = run(p)
    assert len(table(p, "events_staged")) == 3 and not [w for w in s["warnings"] if "repeat" in w]
    # an additional extract overlapping the earlier one: the same two cases, with its counts
    feb = "nhs,mrn,code,date\n9434765927,C,AE,07/01/2024\n9434765919,A,AE,05/02/2024\n4010232137,B,AE,06/02/2024\n"
    q = project_factory({"sources": [event_source(path="x/*.csv")]}, {"x/a.csv": jan, "x/b.csv": feb}, sub="q")
    (b,) = [w for w in run(q)["warnings"] if w.startswith("x/b.csv")]
    assert "1 of its rows repeat" in b and "Its other 2 row(s) were accepted. x/a.csv has 2 row(s) that this file " \
        "lacks. The source has no record_id" in b and "keep both files" in b
    # a cumulative extract holds every earlier row: nothing to replace
    more = jan + "9434765919,A,AE,05/02/2024\n"
    r = project_factory({"sources": [event_source(path="x/*.csv")]}, {"x/a.csv": jan, "x/b.csv": more}, sub="r")
    (b,) = [w for w in run(r)["warnings"] if w.startswith("x/b.csv")]
    assert b.endswith("It holds every row of x/a.csv as well, and 1 more (a cumulative extract, or a re-send with "
                      "rows added): nothing is counted twice, and x/a.csv can be removed.")


def test_same_file_named_by_a_second_source_is_quarantined(project_factory) -> None:
    p = project_factory({"sources": [event_source("ae_two"), event_source("ae_one")], "all_quarantined": "warn"},
                        {"ae.csv": CSV1})
    s = run(p)
    _accounting(s)
    # the first copy by source name is kept, whatever the configuration order
    assert (s["sources"]["ae_one"]["rows_accepted"], s["sources"]["ae_two"]["rows_accepted"]) == (2, 0)
    assert {r["source"] for r in table(p, "events_staged")} == {"ae_one"}
    assert _repeats(p) == [("ae_two", "ae.csv", 1, "same as ae_one: ae.csv row 1 (line 2)"),
                           ("ae_two", "ae.csv", 2, "same as ae_one: ae.csv row 2 (line 3)")]
    assert s["totals"]["rows_accepted"] == 2


def test_other_agency_or_service_is_not_a_repeat(project_factory) -> None:
    # a source's agency is its services' (checked at load), so another agency is another service
    other = event_source("ambulance", agency={"level1": "NHS", "level2": "Ambulance Trust"},
                         event={"service": {"column": "code", "map": {"AE": "AMBULANCE"}}})
    p = project_factory({"sources": [event_source(), other]}, {"ae.csv": CSV1})
    s = run(p)
    assert s["totals"]["rows_accepted"] == 4 and not _repeats(p)


def test_removing_or_changing_the_first_copy_restores_the_later_one(project_factory) -> None:
    p = project_factory({"sources": [event_source(path="x/*.csv")]}, {"x/a.csv": CSV1, "x/b.csv": CSV1 + "9434765919,A,AE,09/01/2024\n"})
    s = run(p)
    assert [f["rows_accepted"] for f in s["sources"]["acute"]["files"]] == [2, 1]
    (p.root / "x" / "a.csv").write_text(FEB)  # the earlier file no longer holds b's rows
    s = run(p)
    _accounting(s)
    files = {f["path"]: f for f in s["sources"]["acute"]["files"]}
    assert (files["x/a.csv"]["status"], files["x/b.csv"]["status"]) == ("replaced", "reprocessed")
    assert (files["x/a.csv"]["rows_accepted"], files["x/b.csv"]["rows_accepted"]) == (2, 3)
    assert not _repeats(p)
    (p.root / "x" / "a.csv").unlink()
    s = run(p)
    assert s["sources"]["acute"]["files"][0]["status"] == "unchanged"
    assert s["totals"]["rows_accepted"] == 3 == len(table(p, "events_staged"))
    # and a new earlier file that holds them quarantines them in the later file again
    (p.root / "x" / "0.csv").write_text(CSV1)
    s = run(p)
    files = {f["path"]: f for f in s["sources"]["acute"]["files"]}
    assert (files["x/0.csv"]["status"], files["x/b.csv"]["status"]) == ("new", "reprocessed")
    assert (files["x/0.csv"]["rows_accepted"], files["x/b.csv"]["rows_accepted"]) == (2, 1)
    assert len(table(p, "events_staged")) == 3


def test_repeats_are_re_derived_after_an_interrupted_run(project_factory) -> None:
    p = project_factory({"sources": [event_source(path="x/*.csv")]}, {"x/a.csv": CSV1, "x/b.csv": CSV1})
    run(p)
    # as if a run had stopped after staging b.csv without its check against a.csv
    con = p.engine.con.con
    con.execute("UPDATE ingest_row_keys SET dup_source = NULL, dup_path = NULL, dup_row = NULL")
    s = run(p)
    files = {f["path"]: f for f in s["sources"]["acute"]["files"]}
    assert files["x/b.csv"]["status"] == "reprocessed" and files["x/b.csv"]["rows_accepted"] == 0


def test_record_ids_tell_rows_of_two_sources_apart(project_factory) -> None:
    csv_a = "id,nhs,mrn,code,date\nR1,9434765919,A,AE,05/01/2024\nR2,4010232137,B,AE,06/01/2024\n"
    csv_b = "id,nhs,mrn,code,date\nR1,9434765919,A,AE,05/01/2024\nX2,4010232137,B,AE,06/01/2024\n"
    srcs = [event_source("one", "a.csv", record_id="id"), event_source("two", "b.csv", record_id="id")]
    p = project_factory({"sources": srcs}, {"a.csv": csv_a, "b.csv": csv_b})
    s = run(p)
    assert (s["sources"]["one"]["rows_accepted"], s["sources"]["two"]["rows_accepted"]) == (2, 1)
    assert _repeats(p) == [("two", "b.csv", 1, "same as one: a.csv row 1 (line 2)")]


# ---------------------------------------------------------------- 2. renamed extracts


def test_renamed_extract_replaces_its_old_path(project_factory) -> None:
    p = project_factory({"sources": [event_source()]}, {"ae.csv": CSV1})
    first = run(p)
    before = sorted(r["record_id"] for r in table(p, "events_staged"))
    (p.root / "ae.csv").rename(p.root / "ae_v2.csv")

    def edit(data):
        data["ingest"]["sources"][0]["path"] = "ae_v2.csv"

    p = _reopen(p, edit)
    try:
        s = run(p)
        f = s["sources"]["acute"]["files"][0]
        assert (f["path"], f["status"], f["renamed_from"]) == ("ae_v2.csv", "renamed", "ae.csv")
        assert s["totals"] == first["totals"] and s["removed"] == []
        assert sorted(r["record_id"] for r in table(p, "events_staged")) == before  # same batch id
        assert [r["path"] for r in table(p, "ingest_files")] == ["ae_v2.csv"]
        assert {q["file"] for q in table(p, "quarantine")} == {"ae_v2.csv"}
        assert run(p)["sources"]["acute"]["files"][0]["status"] == "unchanged"
    finally:
        p.close()


def test_renamed_file_inside_a_glob(project_factory) -> None:
    p = project_factory({"sources": [event_source(path="x/*.csv")]}, {"x/jan.csv": CSV1, "x/feb.csv": FEB})
    first = run(p)
    (p.root / "x" / "jan.csv").rename(p.root / "x" / "2024_01.csv")
    s = run(p)
    assert {f["path"]: f["status"] for f in s["sources"]["acute"]["files"]} == {
        "x/2024_01.csv": "renamed", "x/feb.csv": "unchanged"}
    assert s["totals"] == first["totals"] and s["removed"] == []
    assert len(table(p, "events_staged")) == first["totals"]["rows_accepted"] == 4


def test_rename_and_copy_at_once(project_factory) -> None:
    """The old path goes; of the two files with its content, the first keeps its rows."""
    p = project_factory({"sources": [event_source(path="x/*.csv")]}, {"x/m.csv": CSV1})
    run(p)
    (p.root / "x" / "m.csv").rename(p.root / "x" / "z.csv")
    (p.root / "x" / "a.csv").write_text(CSV1)
    s = run(p)
    _accounting(s)
    files = {f["path"]: f for f in s["sources"]["acute"]["files"]}
    assert (files["x/a.csv"]["rows_accepted"], files["x/z.csv"]["rows_accepted"]) == (2, 0)
    assert len(table(p, "events_staged")) == 2


# ---------------------------------------------------------------- 3. the duplicate key


def test_same_day_repeats_at_other_times_are_kept(project_factory) -> None:
    src = event_source(event={"start": {"column": "date", "format": "%d/%m/%Y %H:%M"}})
    csv = ("id,nhs,mrn,code,date,mode\n"
           "AE1,9434765919,A,AE,02/04/2024 04:48,Walk-in\n"
           "AE2,9434765919,A,AE,02/04/2024 21:30,Ambulance\n"   # 17 hours later: a second attendance
           "AE3,9434765919,A,AE,02/04/2024 21:30,Other\n")      # the same minute again: a repeat
    p = project_factory({"sources": [src]}, {"ae.csv": csv})
    run(p)
    assert [e["source_row"] for e in table(p, "events_staged", ["source_row"])] == [1, 2]
    assert quarantine_rules(p) == [(3, "duplicate_key", "(nhs, local_id, service, start)")]


def test_counts_with_other_quantities_are_kept_and_record_ids_decide(project_factory) -> None:
    gp = event_source("gp", "gp.csv", ids={"nhs_number": "nhs", "local_id": None},
                      agency={"level1": "NHS", "level2": "Primary Care"},
                      event={"kind": "count", "service": {"code": "GP_APPT"},
                             "start": {"column": "month", "format": "%Y-%m-%d"}, "quantity": "n"})
    csv = ("row_id,practice,nhs,month,n\n"
           "1,Y01007,9434765919,2024-04-01,1\n"
           "2,Y09999,9434765919,2024-04-01,3\n"   # another practice, another quantity: kept
           "3,Y05555,9434765919,2024-04-01,1\n"   # another practice, the same quantity
           "3,Y05556,9434765919,2024-04-01,2\n")  # the same record ID as row 3
    p = project_factory({"sources": [gp]}, {"gp.csv": csv})
    run(p)
    assert [e["quantity"] for e in table(p, "events_staged", ["source_row"])] == [1.0, 3.0, 2.0]
    assert quarantine_rules(p) == [(3, "duplicate_key", "(nhs, service, start, quantity)")]
    # with the source's own record ID declared, row 3 is a genuine appointment and only the
    # repeated ID is quarantined; the ID is withheld
    p2 = project_factory({"sources": [{**gp, "record_id": "row_id"}]}, {"gp.csv": csv}, sub="p2")
    run(p2)
    assert [e["source_row"] for e in table(p2, "events_staged", ["source_row"])] == [1, 2, 3]
    q = table(p2, "quarantine")
    assert [(r["source_row"], r["rule"], r["column"], r["value"]) for r in q] == [
        (4, "duplicate_key", "row_id", "same record ID as row 3 (line 4)")]


def test_repeated_record_id_in_a_later_file_of_the_source(project_factory) -> None:
    src = event_source(path="x/*.csv", record_id="id")
    jan = "id,nhs,mrn,code,date\nAE1,9434765919,A,AE,05/01/2024\n"
    feb = "id,nhs,mrn,code,date\nAE1,9434765919,A,AE,06/01/2024\nAE2,9434765919,A,AE,05/01/2024\n"
    p = project_factory({"sources": [src]}, {"x/a.csv": jan, "x/b.csv": feb})
    run(p)
    # AE1 again (a corrected date): a repeat; AE2 has a1's values but its own ID: kept
    assert _repeats(p) == [("acute", "x/b.csv", 1, "same as x/a.csv row 1 (line 2)")]
    assert len(table(p, "events_staged")) == 2


@pytest.mark.parametrize("role", ["population", "programme"])
def test_registers_repeat_across_files_too(project_factory, role) -> None:
    reg = {"path": "r/*.csv", "format": {"type": "csv"}, "ids": {"nhs_number": "nhs"}}
    csv = "nhs,start\n9434765919,2024-01-05\n4010232137,2024-01-06\n"
    if role == "programme":
        reg["start"] = {"column": "start", "format": "%Y-%m-%d"}
    else:
        reg["registered_from"] = {"column": "start", "format": "%Y-%m-%d"}
    p = project_factory({role: reg}, {"r/a.csv": csv, "r/b.csv": csv.replace("\n", "\r\n")})
    s = run(p)
    _accounting(s)
    assert s["sources"][role]["rows_accepted"] == 2
    assert s["sources"][role]["quarantined_by_rule"] == {"duplicate_other_file": 2}


def test_store_from_an_older_carecase_is_rebuilt(project_factory) -> None:
    p = project_factory({"sources": [event_source()]}, {"ae.csv": CSV1})
    first = run(p)
    p.close()
    con = duckdb.connect(str(p.root / "carecase.duckdb"))
    con.execute("ALTER TABLE ingest_files DROP COLUMN rows_blank")
    con.execute("DROP TABLE ingest_row_keys")
    con.close()
    p = Project.open(p.root)
    try:
        s = run(p)
        assert s["sources"]["acute"]["files"][0]["status"] == "new"
        assert s["totals"] == first["totals"]
        assert len(table(p, "events_staged")) == 2 and len(table(p, "staging_identity")) == 2
    finally:
        p.close()


def test_row_hashes_do_not_depend_on_the_chunk_size(monkeypatch):
    """Rows are hashed in chunks to bound memory; the hashes are each row's own."""
    import numpy as np
    import pyarrow as pa

    from carecase.ingest import validate

    cols = [pa.array(["a", None, "", "b", "a"] * 7), pa.array([1, 2, None, 4, 1] * 7)]
    whole = validate.row_hashes(cols, "p", b"k" * 32, 35)
    monkeypatch.setattr(validate, "HASH_CHUNK", 4)
    chunked = validate.row_hashes(cols, "p", b"k" * 32, 35)
    assert all(np.array_equal(a, b) for a, b in zip(whole, chunked, strict=True))
    assert whole[0][0] == whole[0][4] and whole[0][1] != whole[0][2]  # null is not empty text


def test_row_hash_keys_carry_more_than_64_bits_of_the_project_key() -> None:
    """The SipHash keys behind the stored row and identity hashes (``ingest_row_keys``, the
    unlinked person_ids and clerical pair ids) are 16 bytes for pandas; 16 hex characters
    would carry only 64 bits of them, within reach of a search from one known row."""
    import secrets

    from carecase.ingest import validate

    keys = [validate._hash_key(secrets.token_bytes(32), label) for label in ("1", "2") for _ in range(40)]
    assert all(len(k) == 16 and len(k.encode("utf-8")) == 16 for k in keys)
    # 7 bits a character (128 values), not 4 (the 16 characters of a hex digest)
    assert len({c for k in keys for c in k}) > 64
    assert validate._hash_key(b"k" * 32, "1") != validate._hash_key(b"k" * 32, "2")


def test_same_day_repeats_without_a_record_id_or_a_time_are_warned_about(project_factory) -> None:
    """Two attendances by one person on one day, in a source with neither a record ID nor a
    time of day, are one row repeated: the second is quarantined (as documented), and the
    summary now says why and what to declare (a new user lost genuine same-day attendances)."""
    rows = "nhs,mrn,code,date,complaint\n9434765919,M1,AE,05/05/2023,fall\n9434765919,M1,AE,05/05/2023,chest pain\n"
    p = project_factory({"sources": [event_source()]}, {"ae.csv": rows})
    warned = [w for w in run(p)["warnings"] if "no record_id and its dates no time of day" in w]
    assert len(warned) == 1 and warned[0].startswith("ingest.sources[0] (acute): 1 row(s) quarantined as duplicate_key")
    assert "set ingest.sources[0].record_id" in warned[0]
    with_id = event_source(record_id="mrn")
    p2 = project_factory({"sources": [with_id]}, {"ae.csv": rows}, sub="p2")
    assert not [w for w in run(p2)["warnings"] if "no record_id and its dates no time of day" in w]
    timed = event_source(event={"start": {"column": "date", "format": "%d/%m/%Y %H:%M"}})
    p3 = project_factory({"sources": [timed]}, {"ae.csv": rows.replace("2023,", "2023 10:00,")}, sub="p3")
    assert not [w for w in run(p3)["warnings"] if "no record_id and its dates no time of day" in w]
