"""Clerical review: the grey zone out (privacy-aware), decisions back in."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from carecase.core.config import validate_config
from carecase.core.errors import LinkError
from carecase.core.project import Project
from carecase.link.clerical import load_decisions
from carecase.link.fabricate import fabricate
from carecase.link.resolve import GAMMAS
from carecase.link.stage import run


def _write(path: Path, rows: list[dict], header=("pair_id", "decision")) -> Path:
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(header))
        w.writeheader()
        w.writerows(rows)
    return path


def test_load_decisions_normalises_and_skips_blanks(tmp_path):
    path = _write(tmp_path / "d.csv", [
        {"pair_id": "C2", "decision": " Non-Match"}, {"pair_id": "C1", "decision": "match"},
        {"pair_id": "C3", "decision": ""}, {"pair_id": "C1", "decision": "MATCH"},
    ])
    got = load_decisions(path).to_pylist()
    assert got == [{"pair_id": "C1", "decision": "match", "row": 2},
                   {"pair_id": "C2", "decision": "non-match", "row": 1}]


@pytest.mark.parametrize("rows,header,message", [
    ([{"pair_id": "C1", "decision": "maybe"}], ("pair_id", "decision"), "row 1, column decision"),
    ([{"pair_id": "C1", "decision": "match"}, {"pair_id": "C1", "decision": "non-match"}],
     ("pair_id", "decision"), "row 2: pair_id C1 is decided both"),
    ([{"pair": "C1", "decision": "match"}], ("pair", "decision"), "missing column"),
])
def test_load_decisions_rejects_bad_files(tmp_path, rows, header, message):
    with pytest.raises(LinkError, match=message):
        load_decisions(_write(tmp_path / "d.csv", rows, header))


def test_missing_decisions_file_is_named(tmp_path):
    with pytest.raises(LinkError, match="does not exist"):
        load_decisions(tmp_path / "nope.csv")


def _review(project: Project) -> list[dict]:
    with (project.out / "link" / "clerical_review.csv").open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_decisions_override_the_model(new_project, config_for):
    """With a very high link threshold many links fall in the grey zone; a reviewer's
    'match' links the pair (method clerical) and 'non-match' removes it."""
    fab = fabricate(200, seed=11)  # small: two full runs
    strict = {"match_probability": 0.999999, "clerical_lower": 0.5, "keep_linkage_staging": True}
    project = new_project("clerical", fab, **strict)
    run(project)
    review = _review(project)
    assert len(review) >= 2
    # staging kept → the reviewer sees identities; columns are the documented ones
    assert {"given_name_reference", "dob_candidate", "decision", *GAMMAS} <= set(review[0])
    yes, no = review[0], review[1]
    decisions = _write(project.root / "decisions.csv", [
        {"pair_id": yes["pair_id"], "decision": "match"},
        {"pair_id": no["pair_id"], "decision": "non-match"},
    ])
    root = project.root
    project.close()
    config = validate_config(config_for(
        clerical_decisions=str(decisions), match_probability=0.999999, clerical_lower=0.5))
    second = Project(root, config)
    try:
        summary = run(second)
        links = second.engine.table("record_links").to_pandas().set_index("record_id")
    finally:
        second.close()
    assert summary["clerical_review"]["decisions_applied"] == 2
    assert links.loc[yes["record_id_candidate"], "method"] == "clerical"
    assert (links.loc[yes["record_id_candidate"], "person_id"]
            == links.loc[yes["record_id_reference"], "person_id"])
    assert links.loc[no["record_id_candidate"], "method"] != "clerical"
    assert no["pair_id"] not in {r["pair_id"] for r in _review(second)}
    # staging now dropped (keep_linkage_staging false in the second config)
    assert summary["staging_dropped"] is True


def test_load_decisions_names_a_file_that_is_not_utf8(tmp_path):
    """Excel's plain CSV is Windows-1252: a clear error with the row, not a UnicodeDecodeError."""
    path = tmp_path / "d.csv"
    path.write_bytes(b"pair_id,decision,notes\nC1,match,caf\xe9\n")
    with pytest.raises(LinkError, match=r"d\.csv: the clerical decisions CSV is not UTF-8 text: "
                                        r"row 1 \(line 2\), column notes"):
        load_decisions(path)


def test_load_decisions_reads_other_delimiters_and_header_spellings(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("PAIR_ID ; Decision\nC1;match\nC2; non-match\n")
    assert load_decisions(path).to_pylist() == [
        {"pair_id": "C1", "decision": "match", "row": 1},
        {"pair_id": "C2", "decision": "non-match", "row": 2},
    ]


@pytest.mark.parametrize("text,message", [
    ("", r"header columns found: none \(the file is empty\)"),
    ("pair_id,decision,decision\nC1,match,non-match\n", "column decision more than once"),
])
def test_load_decisions_refuses_unreadable_headers(tmp_path, text, message):
    path = tmp_path / "d.csv"
    path.write_text(text)
    with pytest.raises(LinkError, match=message):
        load_decisions(path)


def _pairs():
    import ibis

    return ibis.memtable({"pair_id": ["C1", "C2", "C3"], "candidate_id": ["c:1", "c:1", "c:2"],
                          "nhs_pseudo": ["N1", "N2", "N1"]})


def test_check_decisions_reports_pairs_this_run_did_not_score(tmp_path):
    """A decision for a pair id the run does not have (its candidate now has an NHS number,
    has left the extracts or changed details, or a typo) is not applied and said so with its
    row; it was once silently ignored and still counted as applied."""
    import ibis

    from carecase.link.clerical import check_decisions

    path = _write(tmp_path / "d.csv", [{"pair_id": "C1", "decision": "match"},
                                       {"pair_id": "Cold", "decision": "non-match"}])
    decisions = ibis.memtable(load_decisions(path))
    applied, warnings = check_decisions(path, decisions, _pairs())
    assert applied == 1
    assert len(warnings) == 1
    assert "1 decided pair(s) were not applied" in warnings[0]
    assert "row 2 (Cold)" in warnings[0] and "d.csv" in warnings[0]
    ok = ibis.memtable(load_decisions(_write(tmp_path / "ok.csv", [{"pair_id": "C1", "decision": "match"}])))
    assert check_decisions(path, ok, _pairs()) == (1, [])


def test_a_pair_with_several_reference_profiles_counts_once(tmp_path):
    """A candidate pairs with each of a person's reference profiles under one pair id."""
    import ibis

    from carecase.link.clerical import check_decisions

    pairs = ibis.memtable({"pair_id": ["C1", "C1"], "candidate_id": ["c:1", "c:1"],
                           "nhs_pseudo": ["N1", "N1"]})
    path = _write(tmp_path / "d.csv", [{"pair_id": "C1", "decision": "match"}])
    assert check_decisions(path, ibis.memtable(load_decisions(path)), pairs) == (1, [])


def test_check_decisions_refuses_one_record_matched_to_two_people(tmp_path):
    import ibis

    from carecase.link.clerical import check_decisions

    path = _write(tmp_path / "d.csv", [{"pair_id": "C1", "decision": "match"},
                                       {"pair_id": "C2", "decision": "match"}])
    with pytest.raises(LinkError, match=r"row 1 \(C1\), row 2 \(C2\) decide record c:1 a match "
                                        "to different people"):
        check_decisions(path, ibis.memtable(load_decisions(path)), _pairs())


def test_unscored_decisions_are_reported_not_applied(new_project, config_for):
    fab = fabricate(120, seed=5)
    project = new_project("stale", fab, keep_linkage_staging=True)
    decisions = _write(project.root / "decisions.csv", [{"pair_id": "C0123456789abcdef",
                                                         "decision": "match"}])
    root = project.root
    project.close()
    second = Project(root, validate_config(config_for(clerical_decisions=str(decisions),
                                                      keep_linkage_staging=True)))
    try:
        summary = run(second)
    finally:
        second.close()
    assert summary["clerical_review"]["decisions"] == 1
    assert summary["clerical_review"]["decisions_applied"] == 0
    assert summary["clerical_review"]["decisions_not_applied"] == 1
    assert any("row 1 (C0123456789abcdef)" in w for w in summary["warnings"])


def _refreshed(fab, batch: str):
    """``fab`` as a re-issued extract: every record id and batch id changed (as ingest makes
    them from a new file's digest) and the rows in reverse order."""
    import pyarrow as pa
    import pyarrow.compute as pc

    def renamed(table: pa.Table) -> pa.Table:
        out = table
        for name in ("record_id", "batch_id"):
            if name in out.column_names:
                col = pc.replace_substring(out[name], ":b1:", f":{batch}:") if name == "record_id" \
                    else pc.replace_substring(out[name], "b1", batch)
                out = out.set_column(out.column_names.index(name), name, col)
        return out.take(pa.array(range(out.num_rows - 1, -1, -1)))

    tables = {k: renamed(t) if "record_id" in t.column_names else t for k, t in fab.tables.items()}
    return type(fab)(tables=tables, truth=renamed(fab.truth))


def test_decisions_survive_an_extract_refresh(new_project, config_for, tmp_path):
    """Decisions made on one month's review still apply when every record id changes with a
    re-issued extract: the pair id comes from the person and the candidate's details. Before,
    the link stage stopped and every decision had to be made again."""
    from carecase.link.fabricate import load_project

    fab = fabricate(200, seed=11)
    strict = {"match_probability": 0.999999, "clerical_lower": 0.5, "keep_linkage_staging": True}
    first = new_project("month1", fab, **strict)
    run(first)
    before = first.engine.table("record_links").to_pandas()
    review = _review(first)
    assert len(review) >= 2
    yes, no = review[0], review[1]
    decisions = _write(tmp_path / "decisions.csv", [
        {"pair_id": yes["pair_id"], "decision": "match"},
        {"pair_id": no["pair_id"], "decision": "non-match"},
    ])
    config = config_for(clerical_decisions=str(decisions), **strict)
    refreshed = _refreshed(fab, "b2")
    second = load_project(tmp_path / "month2", refreshed, config)
    try:
        summary = run(second)
        links = second.engine.table("record_links").to_pandas().set_index("record_id")
    finally:
        second.close()
    assert summary["clerical_review"]["decisions_applied"] == 2, summary["warnings"]
    cand = yes["record_id_candidate"].replace(":b1:", ":b2:")
    ref = yes["record_id_reference"].replace(":b1:", ":b2:")
    assert cand not in {yes["record_id_candidate"]}  # the record ids did change
    assert links.loc[cand, "method"] == "clerical"
    assert links.loc[cand, "person_id"] == links.loc[ref, "person_id"]
    assert links.loc[no["record_id_candidate"].replace(":b1:", ":b2:"), "method"] != "clerical"
    # people no one links keep their person_id too (it was made from a record id)
    before["record_id"] = before["record_id"].str.replace(":b1:", ":b2:")
    both = before.merge(links, left_on="record_id", right_index=True, suffixes=("", "_after"))
    unlinked = both[(both["method"] == "unlinked") & (both["method_after"] == "unlinked")]
    assert len(unlinked) >= 5
    assert (unlinked["person_id"] == unlinked["person_id_after"]).all()


def test_each_pair_names_its_extracts_and_rows(new_project):
    """Without names (staging not kept) a pair showed only record ids such as
    'housing:b1:159', a batch and not a file: reviewers had to look the batch up."""
    import pyarrow as pa

    fab = fabricate(200, seed=11)
    project = new_project("where", fab, match_probability=0.999999, clerical_lower=0.5)
    sources = sorted(set(fab.tables["staging_identity"].column("source").to_pylist()))
    project.engine.write("ingest_files", pa.table({
        "source": sources, "path": [f"extracts/{s}.csv" for s in sources], "batch_id": ["b1"] * len(sources)}))
    run(project)
    review = _review(project)
    assert review
    for row in review:
        for side in ("reference", "candidate"):
            source, _, data_row = row[f"record_id_{side}"].split(":")
            assert row[f"file_{side}"] == f"extracts/{source}.csv" and row[f"row_{side}"] == data_row
