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
