"""People off the population register: the records still unlinked after the register step are
deduplicated among themselves (link.residual). Small inline records added to the fabricated
area (whose register trains the model): one person's two records with a typo join; two people
with the same name but different dates of birth do not; a cluster never takes a record with an
NHS number (none is ever in the pool: every record of an ``unregistered`` person lacks one, and
the guard fails loudly on a cluster that holds one)."""

from __future__ import annotations

import datetime as dt

import ibis
import pyarrow as pa
import pytest

from carecase.core.errors import LinkError
from carecase.ingest.validate import with_identity_key
from carecase.link.fabricate import Fabricated
from carecase.link.residual import check_no_nhs

# the module's tests on one xdist worker, so its shared fixture is built once, not on each
pytestmark = pytest.mark.xdist_group("link-unregistered")

KEY_COLUMNS = ("identity_h1", "identity_h2")
# (record_id, source, nhs_pseudo, given, family, dob, sex, postcode)
INLINE = [
    # one person off the register: a housing application and a custody record with a typo
    # in the given name and no postcode
    ("housing:b9:1", "housing", None, "Zebedee", "Quixley", dt.date(1980, 2, 3), "M", "M1 1AA"),
    ("police:b9:1", "police", None, "Zebdee", "Quixley", dt.date(1980, 2, 3), "M", None),
    # two different people off the register with the same name and postcode, different dates of birth
    ("housing:b9:2", "housing", None, "Ottoline", "Brackenbury", dt.date(1975, 6, 1), "F", "OL1 2AB"),
    ("police:b9:2", "police", None, "Ottoline", "Brackenbury", dt.date(1991, 11, 23), "F", "OL1 2AB"),
]


def _with_inline(fab: Fabricated) -> Fabricated:
    ident = fab.tables["staging_identity"]
    base = ident.drop_columns(list(KEY_COLUMNS))
    rows = [dict(zip(("record_id", "source", "nhs_pseudo", "given_name", "family_name", "dob", "sex",
                      "postcode"), r, strict=True)) for r in INLINE]
    for r in rows:
        r |= {"batch_id": "b9", "source_row": int(r["record_id"].rsplit(":", 1)[1]), "local_pseudo": None}
    extra = pa.Table.from_pylist(rows, schema=base.schema)
    out = Fabricated(tables=dict(fab.tables), truth=fab.truth)
    out.tables["staging_identity"] = with_identity_key(pa.concat_tables([base, extra]), f"fabricate-{11}".encode())
    return out


@pytest.fixture(scope="module")
def links(tmp_path_factory: pytest.TempPathFactory, fab: Fabricated) -> tuple[dict[str, dict], dict, dict]:
    from carecase.link.fabricate import load_project, project_config
    from carecase.link.stage import run

    data = _with_inline(fab)
    project = load_project(tmp_path_factory.mktemp("unreg"), data, project_config())
    try:
        summary = run(project)
        rows = project.engine.table("record_links").to_pyarrow().to_pylist()
    finally:
        project.close()
    ident = data.tables["staging_identity"].select(["record_id", "nhs_pseudo"]).to_pylist()
    return {r["record_id"]: r for r in rows}, summary, {r["record_id"]: r["nhs_pseudo"] for r in ident}


def test_two_records_of_one_unregistered_person_with_a_typo_join(links):
    by_id, _, _ = links
    a, b = by_id["housing:b9:1"], by_id["police:b9:1"]
    assert a["person_id"] == b["person_id"]
    assert a["method"] == b["method"] == "unregistered"


def test_same_name_different_dob_are_two_people(links):
    by_id, _, _ = links
    assert by_id["housing:b9:2"]["person_id"] != by_id["police:b9:2"]["person_id"]


def test_a_cluster_never_takes_a_record_with_an_nhs_number(links):
    by_id, _, nhs = links
    unregistered = {r["person_id"] for r in by_id.values() if r["method"] == "unregistered"}
    assert len(unregistered) >= 2
    theirs = [r for r in by_id.values() if r["person_id"] in unregistered]
    assert {r["method"] for r in theirs} == {"unregistered"}  # no registered record in a cluster
    assert all(nhs[r["record_id"]] is None for r in theirs)


def test_summary_counts_the_people_off_the_register(links):
    by_id, summary, _ = links
    u = summary["unregistered"]
    assert u["profiles"] > u["people"] >= 2 and u["clusters"] >= 1
    # the largest cluster, for watching chaining: at least two profiles, at most its records
    per_person: dict[str, int] = {}
    for r in by_id.values():
        if r["method"] == "unregistered":
            per_person[r["person_id"]] = per_person.get(r["person_id"], 0) + 1
    assert 2 <= u["largest_cluster_profiles"] <= max(per_person.values())
    assert summary["records_by_method_total"]["unregistered"] >= 2


def test_check_no_nhs_fails_on_a_cluster_holding_an_nhs_number():
    cands = ibis.memtable({"record_id": ["r1", "r2"], "profile_id": ["r1", "r2"],
                           "nhs_pseudo": ["n1", None], "resolved_nhs": ["n1", None]})
    clusters = ibis.memtable({"profile_id": ["r1", "r2"], "cluster_key": ["k", "k"]})
    with pytest.raises(LinkError, match="NHS number"):
        check_no_nhs(clusters, cands)


def test_the_switch_leaves_every_unlinked_profile_a_person(tmp_path, fab: Fabricated):
    from carecase.link.fabricate import load_project, project_config
    from carecase.link.stage import run

    project = load_project(tmp_path / "off", _with_inline(fab), project_config(link_unregistered=False))
    try:
        summary = run(project)
        rows = {r["record_id"]: r for r in project.engine.table("record_links").to_pyarrow().to_pylist()}
    finally:
        project.close()
    assert summary["unregistered"] is None
    assert "unregistered" not in summary["records_by_method_total"]
    assert rows["housing:b9:1"]["person_id"] != rows["police:b9:1"]["person_id"]


def test_a_record_without_a_date_of_birth_does_not_chain_two_people(tmp_path, fab: Fabricated):
    """Clustering chains pairs: a record with no date of birth scores on name and postcode
    alone (Splink's null level) against both of two people of the same name and address with
    different dates of birth; it must not merge them into one person."""
    from carecase.link.fabricate import load_project, project_config
    from carecase.link.stage import run

    bridge = ("police:b9:3", "police", None, "Ottoline", "Brackenbury", None, "F", "OL1 2AB")
    INLINE.append(bridge)
    try:
        data = _with_inline(fab)
    finally:
        INLINE.remove(bridge)
    project = load_project(tmp_path / "bridge", data, project_config())
    try:
        run(project)
        rows = {r["record_id"]: r for r in project.engine.table("record_links").to_pyarrow().to_pylist()}
    finally:
        project.close()
    assert rows["housing:b9:2"]["person_id"] != rows["police:b9:2"]["person_id"]


# ---------------------------------------------------------------- clerical review off the register

OTTOLINE = ("housing:b9:2", "police:b9:2")  # same name and address, dates of birth wholly different
ZEBEDEE = ("housing:b9:1", "police:b9:1")   # one person, joined by the model


def _run(root, data, **config):
    """Link ``data`` in a project at ``root``: (record links by id, summary, review rows,
    residual pair ids by their two record ids; the last only with keep_linkage_staging)."""
    import csv

    from carecase.link.fabricate import load_project, project_config
    from carecase.link.residual import RESIDUAL_PAIRS
    from carecase.link.stage import run

    project = load_project(root, data, project_config(**config))
    try:
        summary = run(project)
        links = {r["record_id"]: r for r in project.engine.table("record_links").to_pyarrow().to_pylist()}
        ids = {}
        if project.engine.has_table(RESIDUAL_PAIRS):
            for p in project.engine.table(RESIDUAL_PAIRS).to_pyarrow().to_pylist():
                ids[frozenset((p["unique_id_l"], p["unique_id_r"]))] = p["pair_id"]
    finally:
        project.close()
    with open(summary["clerical_review"]["file"], newline="", encoding="utf-8") as f:
        review = list(csv.DictReader(f))
    return links, summary, review, ids


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory: pytest.TempPathFactory, fab: Fabricated):
    """The inline area linked with its identities kept (for the pair ids), then again with a
    reviewer's decisions: the two Ottolines are one person (a date of birth mistyped), the two
    Zebedees are not."""
    data = _with_inline(fab)
    first = _run(tmp_path_factory.mktemp("review1"), data, keep_linkage_staging=True)
    ids = first[3]
    decisions = tmp_path_factory.mktemp("decisions") / "decisions.csv"
    decisions.write_text("pair_id,decision\n"
                         f"{ids[frozenset(OTTOLINE)]},match\n"
                         f"{ids[frozenset(ZEBEDEE)]},non-match\n", encoding="utf-8")
    second = _run(tmp_path_factory.mktemp("review2"), data, clerical_decisions=str(decisions))
    return first, second


def test_a_pair_off_the_register_kept_apart_is_offered_for_review(reviewed):
    """Residual pairs were never offered for review: two records of people off the register
    (rough sleepers, people in temporary accommodation) that scored high but stayed apart
    had no way to be joined by a person who knows them."""
    (links, summary, review, ids), _ = reviewed
    assert links[OTTOLINE[0]]["person_id"] != links[OTTOLINE[1]]["person_id"]
    off = [r for r in review if r["pair_kind"] == "off_register"]
    row = next(r for r in off if {r["record_id_reference"], r["record_id_candidate"]} == set(OTTOLINE))
    assert row["pair_id"] == ids[frozenset(OTTOLINE)] and row["pair_id"].startswith("U")
    assert float(row["match_probability"]) >= 0.5
    assert row["person_probability"] == "" and row["decision"] == ""
    assert row["given_name_reference"] == row["given_name_candidate"] == "Ottoline"  # identities kept
    # a pair whose records are one person already is not asked about
    assert not any({r["record_id_reference"], r["record_id_candidate"]} == set(ZEBEDEE) for r in review)
    assert summary["unregistered"]["pairs_for_review"] == len(off)
    assert {r["pair_kind"] for r in review} <= {"register", "off_register"}


def test_decisions_join_and_separate_records_off_the_register(reviewed):
    _, (links, summary, review, _) = reviewed
    a, b = (links[r] for r in OTTOLINE)
    assert a["person_id"] == b["person_id"] and a["method"] == b["method"] == "unregistered"
    z1, z2 = (links[r] for r in ZEBEDEE)
    assert z1["person_id"] != z2["person_id"]
    assert {z1["method"], z2["method"]} == {"unlinked"}
    assert summary["clerical_review"]["decisions"] == summary["clerical_review"]["decisions_applied"] == 2
    assert not [w for w in summary["warnings"] if "not applied" in w]
    decided = {r["pair_id"] for r in review}
    assert not any({r["record_id_reference"], r["record_id_candidate"]} == set(OTTOLINE) for r in review), decided


def test_a_non_match_still_chained_through_other_pairs_is_named(tmp_path, fab: Fabricated):
    """Clustering chains pairs: a pair decided non-match whose records other pairs still join
    stays one person, and the warning names the decision's row."""
    third = ("tempacc:b9:4", "tempacc", None, "Zebedee", "Quixley", dt.date(1980, 2, 3), "M", None)
    INLINE.append(third)
    try:
        data = _with_inline(fab)
    finally:
        INLINE.remove(third)
    ids = _run(tmp_path / "first", data, keep_linkage_staging=True)[3]
    decisions = tmp_path / "decisions.csv"
    decisions.write_text(f"pair_id,decision\n{ids[frozenset(ZEBEDEE)]},non-match\n", encoding="utf-8")
    links, summary, _, _ = _run(tmp_path / "second", data, clerical_decisions=str(decisions))
    assert links[ZEBEDEE[0]]["person_id"] == links[ZEBEDEE[1]]["person_id"]
    warning = next(w for w in summary["warnings"] if "decided non-match are still one person" in w)
    assert f"row 1 ({ids[frozenset(ZEBEDEE)]})" in warning


def test_a_residual_pair_id_is_the_same_whichever_side_each_profile_is_on():
    import hashlib

    from carecase.link.residual import pair_id

    t = ibis.memtable({"a": ["k2", "k1", "k9:1"], "b": ["k1", "k2", "k10:3"]})
    got = t.select(p=pair_id(t.a, t.b)).to_pyarrow()["p"].to_pylist()
    want = ["U" + hashlib.sha256(b"k1|k2").hexdigest()[:16]] * 2 + [
        "U" + hashlib.sha256(b"k10:3|k9:1").hexdigest()[:16]]  # text order, as the engines compare
    assert got == want


def test_a_decision_off_the_register_is_reported_when_the_step_is_off(reviewed, tmp_path, fab: Fabricated):
    """With linkage.link_unregistered false no pair of records off the register is scored, so
    a decision on one is not applied, and the warning says why, naming its row."""
    ids = reviewed[0][3]
    decisions = tmp_path / "decisions.csv"
    decisions.write_text(f"pair_id,decision\n{ids[frozenset(OTTOLINE)]},match\n", encoding="utf-8")
    links, summary, _, _ = _run(tmp_path / "off", _with_inline(fab), link_unregistered=False,
                                clerical_decisions=str(decisions))
    assert links[OTTOLINE[0]]["person_id"] != links[OTTOLINE[1]]["person_id"]
    assert summary["clerical_review"]["decisions_applied"] == 0
    warning = next(w for w in summary["warnings"] if "not applied" in w)
    assert f"row 1 ({ids[frozenset(OTTOLINE)]})" in warning and "link_unregistered: true" in " ".join(warning.split())


# ---------------------------------------------------------------- twins off the register

TWINS = [
    # (names as ingest stages them, in capitals: the short forms are listed so)
    # twins off the register: same family name, date of birth, sex and postcode, given names
    # wholly different (the pair scored 0.9998 on the rest, given-name level 0: one person)
    ("housing:b9:11", "housing", None, "OLIVER", "SMITH", dt.date(1990, 1, 1), "M", "ZZ1 1AA"),
    ("police:b9:11", "police", None, "OLIVER", "SMITH", dt.date(1990, 1, 1), "M", None),
    ("housing:b9:12", "housing", None, "HARRY", "SMITH", dt.date(1990, 1, 1), "M", "ZZ1 1AA"),
    # one person off the register under a short form and its full name (level: a short form
    # of the other), and under a name Jaro-Winkler finds close: each pair still joins
    ("housing:b9:13", "housing", None, "WILLIAM", "QUORNBY", dt.date(1968, 9, 14), "M", "ZZ4 4DD"),
    ("police:b9:13", "police", None, "BILL", "QUORNBY", dt.date(1968, 9, 14), "M", "ZZ4 4DD"),
    ("housing:b9:14", "housing", None, "JONATHAN", "PETTIFER", dt.date(1972, 3, 30), "M", "ZZ5 5EE"),
    ("police:b9:14", "police", None, "JON", "PETTIFER", dt.date(1972, 3, 30), "M", "ZZ5 5EE"),
]


def test_twins_off_the_register_are_two_people_and_offered_for_review(tmp_path, fab: Fabricated):
    """Twins share date of birth, family name and postcode, which outweighed a wholly
    different given name (OLIVER and HARRY SMITH: p = 0.9998), so twins off the register were
    merged into one person (registered twins are kept apart by the register). A residual pair
    whose given names wholly disagree (Splink's else level, ``gamma_given_name`` 0) no longer
    chains, and goes to clerical review; a short form (BILL, WILLIAM) or a close spelling
    (JON, JONATHAN) still joins."""
    INLINE.extend(TWINS)
    try:
        data = _with_inline(fab)
    finally:
        del INLINE[-len(TWINS):]
    links, summary, review, _ = _run(tmp_path / "twins", data)
    oliver = {links[r]["person_id"] for r in ("housing:b9:11", "police:b9:11")}
    assert len(oliver) == 1  # one twin's two records are one person
    assert links["housing:b9:12"]["person_id"] not in oliver
    assert links["housing:b9:12"]["method"] == "unlinked"
    off = [{r["record_id_reference"], r["record_id_candidate"]} for r in review if r["pair_kind"] == "off_register"]
    assert {"housing:b9:11", "housing:b9:12"} in off
    for a, b in (("housing:b9:13", "police:b9:13"), ("housing:b9:14", "police:b9:14")):
        assert links[a]["person_id"] == links[b]["person_id"], (a, b)
        assert links[a]["method"] == "unregistered"
    assert summary["unregistered"]["pairs_for_review"] == len(off)


# ---------------------------------------------------------------- a discordant record's NHS number

@pytest.mark.parametrize("other", ["alpha", "zeta"])  # its record id before, then after, the drug record's
def test_a_record_unlinked_as_discordant_keeps_its_number_apart_from_records_without_one(tmp_path, fab, other):
    """With linkage.unlink_discordant a record whose NHS number is someone else's is unlinked
    from it but keeps it, so it may not join people off the register. Grouped on its details
    alone it shared a profile with a record of the same details and no number: with that
    record's id first the link stage stopped ("1 record(s) with an NHS number reached the
    clustering of people off the register; this is a bug"), with its own first the whole
    profile was kept out and the two records became one person, leaving the woman's third
    record (no postcode) apart."""
    registered = next(r for r in fab.tables["staging_identity"].to_pylist() if r["record_id"] == "gp:b1:2")
    rows = [
        # an off-register woman's drug-treatment record carrying a registered man's NHS number
        ("drug:b9:1", "drug", registered["nhs_pseudo"], "KEZIAH", "QUORNBY", dt.date(1985, 2, 2), "F", "ZZ9 9ZZ"),
        # her records with no number: the same details, and one without a postcode
        (f"{other}:b9:1", other, None, "KEZIAH", "QUORNBY", dt.date(1985, 2, 2), "F", "ZZ9 9ZZ"),
        ("police:b9:9", "police", None, "KEZIAH", "QUORNBY", dt.date(1985, 2, 2), "F", None),
    ]
    INLINE.extend(rows)
    try:
        data = _with_inline(fab)
    finally:
        del INLINE[-len(rows):]
    links, summary, _, _ = _run(tmp_path / other, data, unlink_discordant=True)
    assert summary["nhs_discordance"]["flagged"] == 1
    drug, same, police = (links[r[0]] for r in rows)
    assert drug["method"] == "unlinked" and drug["person_id"] != links["gp:b1:2"]["person_id"]
    assert same["person_id"] == police["person_id"] != drug["person_id"]
    assert same["method"] == police["method"] == "unregistered"
