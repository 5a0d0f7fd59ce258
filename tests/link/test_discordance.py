"""The demographic discordance check on records linked on an NHS number (link.discordance).

A valid NHS number can be someone else's (picked from the wrong patient in a PAS search, a
family member's). National practice verifies an NHS number with the date of birth and sex
(the HESID algorithm's first step; the Master Person Service), and on a true NHS-number link
the date of birth or sex disagrees in only 0.11% of records (Harron, Hagger-Johnson, Gilbert &
Goldstein 2017, BMC Medical Research Methodology 17:23); see also Harron et al. 2017,
"Challenges in administrative data linkage for research", Big Data & Society 4(2), and
Hagger-Johnson et al. 2015 (Health Services Research 50(4)) and 2017 (J Innovation in Health
Informatics 24(2)) on false matches. The rule: date of birth different beyond a typing slip
AND given name, family name or sex different too.
"""

from __future__ import annotations

import datetime as dt

import ibis
import pyarrow as pa
import pytest

from carecase.link import discordance
from carecase.link.deterministic import link_deterministic

D = dt.date
ROWS = [
    # record_id, source, nhs, given, family, dob, sex
    ("r01", "population", "N1", "OLIVIA", "HUGHES", D(1980, 3, 14), "F"),
    ("r02", "drugs", "N1", "OLIVIA", "HUGHES", D(1980, 3, 14), "F"),  # agrees
    ("r03", "drugs", "N1", "JACK", "PATEL", D(1962, 11, 2), "M"),  # someone else's number: flagged
    ("r04", "drugs", "N1", "OLIVAI", "HUGHES", D(1980, 3, 4), "F"),  # DOB typo
    ("r10", "population", "N2", "AMY", "COLE", D(2001, 6, 9), "F"),  # twins: same DOB and family name,
    ("r11", "population", "N3", "BEN", "COLE", D(2001, 6, 9), "M"),  # their own NHS numbers
    ("r12", "drugs", "N2", "AMY", "COLE", D(2001, 6, 9), "F"),
    ("r13", "drugs", "N3", "BEN", "COLE", D(2001, 6, 9), "M"),
    ("r14", "drugs", "N2", "AMY", "COLE", D(2001, 9, 6), "F"),  # day and month swapped
    ("r20", "population", "N4", "MARY", "JONES", D(1950, 1, 20), "F"),
    ("r21", "drugs", "N4", "SARAH", "JONES", D(1975, 8, 30), "F"),  # her daughter's record: flagged
    ("r22", "drugs", "N4", "MARY", "SMITH", D(1950, 1, 20), "F"),  # married name: not flagged
    ("r23", "drugs", "N4", "MARY", "JONES", D(1905, 7, 20), "F"),  # a DOB badly wrong alone: not flagged
    ("r30", "council", "N5", "TOM", "REED", D(1990, 2, 2), "M"),  # no register record: records agree
    ("r31", "council", "N5", "TOM", "REED", D(1990, 2, 2), "M"),
    ("r40", "population", "N6", "WILLIAM", "BOYD", D(1970, 5, 5), "M"),
    ("r41", "drugs", "N6", "BILL", "BOYD", D(1907, 9, 15), "M"),  # a short form, DOB badly wrong: not flagged
    ("r50", "population", "N7", "MARY ANN", "LOWE", D(1944, 4, 4), "F"),
    ("r51", "drugs", "N7", "MARY", "LOWE", D(1909, 8, 14), "F"),  # no middle name, DOB badly wrong: not flagged
    ("r52", "drugs", "N7", "ANN", "LOWE", D(1909, 8, 14), "F"),  # known by her middle name: not flagged
    ("r53", "drugs", "N7", "ROSE ANN", "LOWE", D(1909, 8, 14), "F"),  # another first name: flagged
]


def _identity() -> ibis.Table:
    cols = list(zip(*ROWS, strict=True))
    return ibis.memtable(pa.table({
        "record_id": pa.array(cols[0], pa.string()), "source": pa.array(cols[1], pa.string()),
        "batch_id": pa.array(["b"] * len(ROWS), pa.string()),
        "source_row": pa.array(range(1, len(ROWS) + 1), pa.int64()),
        "nhs_pseudo": pa.array(cols[2], pa.string()), "local_pseudo": pa.nulls(len(ROWS), pa.string()),
        "given_name": pa.array(cols[3], pa.string()), "family_name": pa.array(cols[4], pa.string()),
        "dob": pa.array(cols[5], pa.date32()), "sex": pa.array(cols[6], pa.string()),
        "postcode": pa.nulls(len(ROWS), pa.string()),
        "identity_h1": pa.array(range(len(ROWS)), pa.int64()), "identity_h2": pa.array(range(len(ROWS)), pa.int64()),
    }))


@pytest.fixture(scope="module")
def checks() -> dict[str, dict]:
    con = ibis.duckdb.connect()
    out = con.to_pyarrow(discordance.check(link_deterministic(_identity(), {}))).to_pylist()
    return {r["record_id"]: r for r in out}


def test_a_record_carrying_someone_elses_nhs_number_is_flagged(checks):
    r = checks["r03"]
    assert r["discordant"] and r["dob_disagrees"] and r["given_name_disagrees"] and r["sex_disagrees"]
    assert r["compared_with"] == "population register" and r["reference_record_id"] == "r01"
    # a family member's number: same family name, different given name and date of birth
    assert checks["r21"]["discordant"] and not checks["r21"]["family_name_disagrees"]


def test_typos_and_changed_names_are_not_flagged(checks):
    assert not checks["r04"]["discordant"] and not checks["r04"]["dob_disagrees"]  # one part, a transposition
    assert not checks["r14"]["discordant"]  # day and month swapped
    assert not checks["r22"]["discordant"]  # a different family name alone
    assert checks["r23"]["dob_disagrees"] and not checks["r23"]["discordant"]  # the date alone
    assert not checks["r02"]["discordant"]


def test_a_short_form_of_the_given_name_agrees_as_in_the_model(checks):
    """BILL against the register's WILLIAM is a short form (link.nicknames), as the
    probabilistic model's given-name level has it, so only the date of birth disagrees; with
    no list of short forms (a region's empty ``linkage.nicknames``) the given name disagrees
    too and the record is flagged."""
    assert not checks["r41"]["given_name_disagrees"] and checks["r41"]["dob_disagrees"]
    assert not checks["r41"]["discordant"]
    con = ibis.duckdb.connect()
    bare = {r["record_id"]: r for r in con.to_pyarrow(
        discordance.check(link_deterministic(_identity(), {}), {})).to_pylist()}
    assert bare["r41"]["given_name_disagrees"] and bare["r41"]["discordant"]


def test_a_middle_name_on_one_record_only_agrees(checks):
    """MARY (no middle name) and ANN (known by her middle name) against the register's MARY
    ANN: one's first given name is among the other's given names, so only the date of birth
    disagrees and the record is not flagged. ROSE ANN against MARY ANN shares a name, but
    neither first given name is among the other's: a different given name."""
    for rid in ("r51", "r52"):
        assert not checks[rid]["given_name_disagrees"] and checks[rid]["dob_disagrees"], rid
        assert not checks[rid]["discordant"], rid
    assert checks["r53"]["given_name_disagrees"] and checks["r53"]["discordant"]


def test_twins_with_their_own_numbers_are_not_flagged(checks):
    assert not checks["r12"]["discordant"] and not checks["r13"]["discordant"]


def test_register_records_are_the_reference_and_others_compare_among_themselves(checks):
    assert not any(rid in checks for rid in ("r01", "r10", "r11", "r20"))
    assert checks["r30"]["compared_with"] == "other records" and not checks["r30"]["discordant"]
    assert [k for k, r in sorted(checks.items()) if r["discordant"]] == ["r03", "r21", "r53"]


def test_unlinking_sends_the_flagged_records_to_probabilistic_linkage():
    """linkage.unlink_discordant: the flagged records lose the NHS number's link (and so are
    candidates for the model, as records without one); every other record keeps its link."""
    from carecase.link.profiles import candidate_records

    con = ibis.duckdb.connect()
    linked = link_deterministic(_identity(), {})
    checks = con.create_table("checks", con.to_pyarrow(discordance.check(linked)))
    out = {r["record_id"]: r for r in con.to_pyarrow(discordance.unlink(linked, checks)).to_pylist()}
    assert {k for k, r in out.items() if r["resolved_nhs"] is None} == {"r03", "r21", "r53"}
    assert out["r03"]["method"] is None and out["r03"]["nhs_pseudo"] == "N1"
    assert out["r02"]["method"] == "nhs_number" and len(out) == len(ROWS)
    cands = con.to_pyarrow(candidate_records(discordance.unlink(linked, checks))).column("record_id")
    assert sorted(cands.to_pylist()) == ["r03", "r21", "r53"]


@pytest.mark.spark
@pytest.mark.xdist_group("spark")  # one Spark session for every Spark test
def test_the_check_is_the_same_on_spark(checks):
    """The rule is one Ibis expression (names split into words, short forms as a list of
    pairs); on Spark, whose split takes a regular expression, it flags the same records for
    the same fields."""
    from carecase.core.engine import connect_spark

    spark = connect_spark()
    spark.write("discordance_identity", _identity().to_pyarrow())
    got = spark.to_arrow(discordance.check(link_deterministic(spark.table("discordance_identity"), {})))
    assert {r["record_id"]: r for r in got.to_pylist()} == checks
