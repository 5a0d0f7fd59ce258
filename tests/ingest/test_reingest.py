"""Re-ingest: unchanged files are skipped, a changed file replaces its batch (never adds),
a file no longer matched is removed, and a failure leaves the store as it was."""

from __future__ import annotations

import pytest

from carecase.core.errors import IngestError
from carecase.ingest.stage import run

from .helpers import event_source, table

CSV1 = "nhs,mrn,code,date\n9434765919,A,AE,05/01/2024\n4010232137,B,AE,06/01/2024\n9434765918,C,AE,07/01/2024\n"
CSV2 = "nhs,mrn,code,date\n9434765919,A,AE,05/01/2024\n9434765918,C,AE,07/01/2024\n"

TABLES = ("events_staged", "staging_identity", "quarantine", "ingest_files")


def _snapshot(p) -> dict[str, list[dict]]:
    return {t: sorted(table(p, t), key=repr) for t in TABLES}


def test_unchanged_file_is_a_no_op(project_factory) -> None:
    p = project_factory({"sources": [event_source()]}, {"ae.csv": CSV1})
    first = run(p)
    before = _snapshot(p)
    out_before = {f.name: f.read_bytes() for f in (p.out / "ingest").iterdir()}
    second = run(p)
    assert second["sources"]["acute"]["files"][0]["status"] == "unchanged"
    assert first["sources"]["acute"]["files"][0]["status"] == "new"
    assert _snapshot(p) == before
    for name in ("quarantine.csv", "ingest_files.csv", "quarantine.parquet", "ingest_files.parquet"):
        assert (p.out / "ingest" / name).read_bytes() == out_before[name]
    assert second["totals"] == first["totals"]


def test_changed_file_replaces_its_batch(project_factory) -> None:
    p = project_factory({"sources": [event_source()]}, {"ae.csv": CSV1})
    run(p)
    old_batch = table(p, "ingest_files")[0]["batch_id"]
    (p.root / "ae.csv").write_text(CSV2)
    s = run(p)
    f = s["sources"]["acute"]["files"][0]
    assert f["status"] == "replaced" and f["batch_id"] != old_batch
    assert (f["rows_read"], f["rows_accepted"], f["rows_quarantined"]) == (2, 1, 1)
    for t in ("events_staged", "staging_identity", "quarantine"):
        assert {r["batch_id"] for r in table(p, t)} == {f["batch_id"]}
    assert len(table(p, "events_staged")) == 1 and len(table(p, "quarantine")) == 1
    assert len(table(p, "ingest_files")) == 1


def test_glob_adds_and_removes_files(project_factory) -> None:
    src = event_source(path="extracts/*.csv")
    p = project_factory({"sources": [src]}, {"extracts/jan.csv": CSV1})
    run(p)
    (p.root / "extracts" / "feb.csv").write_text(CSV2.replace("05/01", "05/02").replace("07/01", "07/02"))
    s = run(p)
    assert [(f["path"], f["status"]) for f in s["sources"]["acute"]["files"]] == [
        ("extracts/feb.csv", "new"), ("extracts/jan.csv", "unchanged")]
    assert len(table(p, "events_staged")) == 3
    (p.root / "extracts" / "jan.csv").unlink()
    s = run(p)
    assert [r["path"] for r in s["removed"]] == ["extracts/jan.csv"]
    assert len(table(p, "events_staged")) == 1
    assert [r["path"] for r in table(p, "ingest_files")] == ["extracts/feb.csv"]


def test_changed_mapping_reprocesses_unchanged_file(project_factory) -> None:
    p = project_factory({"sources": [event_source()]}, {"ae.csv": CSV1})
    run(p)
    # GP appointments are Primary Care's: a source's agency is its services' (refused otherwise)
    cfg = (p.root / "carecase.yaml").read_text().replace("AE: AE_ATTEND", "AE: GP_APPT").replace(
        "level2: Acute Trust", "level2: Primary Care")
    (p.root / "carecase.yaml").write_text(cfg)
    from carecase.core.project import Project

    p2 = Project.open(p.root)
    p.close()
    try:
        s = run(p2)
        assert s["sources"]["acute"]["files"][0]["status"] == "reprocessed"
        assert {r["service_code"] for r in table(p2, "events_staged")} == {"GP_APPT"}
        assert len(table(p2, "events_staged")) == 2
    finally:
        p2.close()


def test_failure_mid_replace_rolls_back(project_factory, monkeypatch: pytest.MonkeyPatch) -> None:
    p = project_factory({"sources": [event_source()]}, {"ae.csv": CSV1})
    run(p)
    before = _snapshot(p)
    (p.root / "ae.csv").write_text(CSV2)

    from carecase.ingest import store

    def broken_verify(*args, **kwargs):
        raise IngestError("simulated failure after inserting")

    monkeypatch.setattr(store, "_verify", broken_verify)
    with pytest.raises(IngestError, match="simulated"):
        run(p)
    assert _snapshot(p) == before
    monkeypatch.undo()
    monkeypatch.setenv("CARECASE_KEY", "carecase-test-key-0123456789")
    s = run(p)
    assert s["sources"]["acute"]["files"][0]["status"] == "replaced"


def test_removed_source_is_removed(project_factory) -> None:
    # "two" reads "one"'s file, so its every row is a repeat: warn, not stop
    p = project_factory({"sources": [event_source("one"), event_source("two")], "all_quarantined": "warn"},
                        {"ae.csv": CSV1})
    run(p)

    p2 = _keep_first_source(p)
    try:
        s = run(p2)
        assert [r["source"] for r in s["removed"]] == ["two"]
        assert {r["source"] for r in table(p2, "events_staged")} == {"one"}
        assert {r["source"] for r in table(p2, "quarantine")} == {"one"}
    finally:
        p2.close()


def test_same_input_gives_byte_identical_outputs(project_factory) -> None:
    csv = CSV1 + "9434765919,A,AE,05/01/2024\n,,AE,01/01/2024\n"
    a = project_factory({"sources": [event_source()]}, {"ae.csv": csv}, sub="a")
    b = project_factory({"sources": [event_source()]}, {"ae.csv": csv}, sub="b")
    run(a)
    run(b)
    names = sorted(f.name for f in (a.out / "ingest").iterdir())
    assert names == ["ingest_files.csv", "ingest_files.parquet", "quarantine.csv", "quarantine.parquet", "summary.json"]
    for name in names:
        assert (a.out / "ingest" / name).read_bytes() == (b.out / "ingest" / name).read_bytes()
    for t in ("events_staged", "staging_identity", "quarantine"):
        assert table(a, t, ["record_id"] if t != "quarantine" else ["source_row"]) == \
            table(b, t, ["record_id"] if t != "quarantine" else ["source_row"])


def test_interrupted_run_then_changed_mapping_is_rebuilt(project_factory) -> None:
    ambiguous = event_source("second", "b.csv", event={"start": {"column": "date"}})
    p = project_factory({"sources": [event_source(), ambiguous]},
                        {"ae.csv": CSV1, "b.csv": "nhs,mrn,code,date\n9434765919,A,AE,01/02/2024\n"})
    with pytest.raises(IngestError, match="cannot tell the date format"):
        run(p)  # the first source was staged before the second one stopped the run
    assert {r["service_code"] for r in table(p, "events_staged")} == {"AE_ATTEND"}
    import yaml

    from carecase.core.project import Project

    data = yaml.safe_load((p.root / "carecase.yaml").read_text())
    data["ingest"]["sources"][0]["event"]["service"]["map"] = {"AE": "GP_APPT"}
    data["ingest"]["sources"][0]["agency"]["level2"] = "Primary Care"  # GP_APPT's agency
    data["ingest"]["sources"][1]["event"]["start"]["format"] = "%d/%m/%Y"
    (p.root / "carecase.yaml").write_text(yaml.safe_dump(data))
    p2 = Project.open(p.root)
    p.close()
    try:
        s = run(p2)
        assert s["sources"]["acute"]["files"][0]["status"] == "reprocessed"
        assert {r["service_code"] for r in table(p2, "events_staged") if r["source"] == "acute"} == {"GP_APPT"}
        s = run(p2)
        assert {f["status"] for src in s["sources"].values() for f in src["files"]} == {"unchanged"}
    finally:
        p2.close()


def test_header_only_file_replacing_rows_is_a_warning(project_factory) -> None:
    p = project_factory({"sources": [event_source()]}, {"ae.csv": CSV1})
    run(p)
    (p.root / "ae.csv").write_text("nhs,mrn,code,date\n")
    s = run(p)
    assert s["totals"]["rows_read"] == 0 and table(p, "events_staged") == []
    assert s["warnings"] == ["ae.csv (acute) has no data rows: its 3 earlier row(s) were removed. If the extract "
                             "is incomplete, put the full one back and run ingest again."]
    assert s["headline"].endswith("; 1 warning(s)")
    s = run(p)  # still said on later runs, more briefly
    assert s["warnings"] == ["ae.csv (acute) has no data rows (a header only)."]


def test_a_run_stopped_while_re_staging_after_linkage_is_finished_by_the_next(project_factory) -> None:
    """After linkage dropped the identities, a run re-stages every file; if one file stops it
    (delivered without its header), the next run must still re-stage the files not yet done,
    not skip them as unchanged: linkage then found events with no identity, every run after
    that stopped, and only deleting the store recovered."""
    second = event_source("second", "b.csv")
    p = project_factory({"sources": [event_source(), second], "all_quarantined": "warn"},
                        {"ae.csv": CSV1, "b.csv": CSV2})
    run(p)
    p.engine.drop("staging_identity")  # as the link stage does
    good = (p.root / "b.csv").read_text()
    (p.root / "b.csv").write_text("")
    with pytest.raises(IngestError, match="empty"):
        run(p)
    (p.root / "b.csv").write_text(good)
    s = run(p)
    statuses = {src: [f["status"] for f in body["files"]] for src, body in s["sources"].items()}
    assert statuses == {"acute": ["reprocessed"], "second": ["reprocessed"]}
    # the headline says why files that did not change read 'reprocessed'; the next run skips them
    assert s["restaged_all"] and "every file staged again: linkage removed the identities" in s["headline"]
    again = run(p)
    assert "restaged_all" not in again and "staged again" not in again["headline"]
    assert {f["status"] for body in again["sources"].values() for f in body["files"]} == {"unchanged"}
    staged = {r["record_id"] for r in table(p, "events_staged")}
    assert staged and staged <= {r["record_id"] for r in table(p, "staging_identity")}
    assert not p.engine.has_table("ingest_restage_pending")
    again = run(p)  # and then it is a no-op again
    assert {f["status"] for body in again["sources"].values() for f in body["files"]} == {"unchanged"}


def test_an_impossible_date_says_which_reason_applies(project_factory) -> None:
    """'not a real calendar date, before 1900 or in the future' named three causes for one
    row; a date after today now says so, and 31/02 is 'not a real calendar date'."""
    csv = ("nhs,mrn,code,date\n9434765919,A,AE,05/01/2024\n9434765919,A,AE,03/05/2999\n"
           "4010232137,B,AE,31/02/2024\n")
    p = project_factory({"sources": [event_source()]}, {"ae.csv": csv})
    run(p)
    hints = {r["source_row"]: r["hint"] for r in table(p, "quarantine")}
    assert hints[2].startswith("in the future (after ") and "correct it at source" in hints[2]
    assert hints[3].startswith("not a real calendar date, or before 1900")


def test_a_removed_file_or_source_is_a_warning_naming_it(project_factory) -> None:
    """An agency that stops sending a file (one of a glob's files gone, or its source taken
    out of carecase.yaml) took its rows out of every total with only '1 file(s) ... were
    removed' in the headline: nothing said which, and no warning (the CLI, the web page)."""
    src = event_source(path="extracts/*.csv")
    p = project_factory({"sources": [src, event_source("other", path="other.csv")]},
                        {"extracts/jan.csv": CSV1, "extracts/feb.csv": CSV2.replace("/01/", "/02/"),
                         "other.csv": CSV2.replace("/01/", "/03/")})
    assert not [w for w in run(p)["warnings"] if "removed" in w]
    (p.root / "extracts" / "jan.csv").unlink()
    s = run(p)
    (warning,) = [w for w in s["warnings"] if "removed" in w]
    assert warning.startswith("extracts/jan.csv (acute) is gone, or no longer matched by its source's path: its 3 row(s)")
    assert "put the extract back" in warning
    p2 = _keep_first_source(p)
    try:
        s = run(p2)
        (warning,) = [w for w in s["warnings"] if "removed" in w]
        assert warning.startswith("other.csv (other) belongs to a source no longer in carecase.yaml: its 2 row(s)")
        assert not [w for w in run(p2)["warnings"] if "removed" in w]  # said on the run that removed it
    finally:
        p2.close()


def _keep_first_source(p):  # noqa: ANN001, ANN202
    """carecase.yaml with only its first source (the others no longer configured), opened
    again; ``p`` closed."""
    import yaml

    from carecase.core.project import Project

    data = yaml.safe_load((p.root / "carecase.yaml").read_text())
    data["ingest"]["sources"] = data["ingest"]["sources"][:1]
    (p.root / "carecase.yaml").write_text(yaml.safe_dump(data))
    p2 = Project.open(p.root)
    p.close()
    return p2
