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
    assert got == [{"pair_id": "C1", "decision": "match"},
                   {"pair_id": "C2", "decision": "non-match"}]


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
