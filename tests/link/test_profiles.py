"""Identity profiles and the derived comparison columns."""

from __future__ import annotations

import datetime as dt

import ibis
import pyarrow as pa

from carecase.link.profiles import candidate_profiles, candidate_records, comparison_columns

SCHEMA = pa.schema([
    ("record_id", pa.string()), ("source", pa.string()), ("local_pseudo", pa.string()),
    ("resolved_nhs", pa.string()), ("nhs_pseudo", pa.string()), ("given_name", pa.string()), ("family_name", pa.string()),
    ("dob", pa.date32()), ("sex", pa.string()), ("postcode", pa.string()),
])
D = dt.date(1980, 7, 3)


def _run(expr):
    return ibis.duckdb.connect().to_pyarrow(expr).to_pylist()


def test_postcode_sector_and_district_known_answers():
    """ONS postcode structure: 'M14 5RB' → sector 'M14 5', district (outward code) 'M14'."""
    t = ibis.memtable(pa.table({"given_name": ["ANNA", "JO"], "family_name": ["LEE", "OX"],
                                "dob": [D, D], "sex": ["F", "M"],
                                "postcode": ["M14 5RB", " wn12 7ab "]}))
    rows = _run(comparison_columns(t))
    assert [(r["postcode_sector"], r["postcode_district"]) for r in rows] == [
        ("M14 5", "M14"), ("WN12 7", "WN12")]
    assert (rows[0]["dob_year"], rows[0]["dob_month"], rows[0]["dob_day"]) == (1980, 7, 3)
    assert rows[0]["given_prefix"] == "AN" and rows[1]["family_prefix"] == "OX"


def test_an_unknown_sex_is_no_evidence_either_way():
    """Ingest records a sex that is not known or not specified as 'U'. Compared as a value
    it disagreed with M and F, so a true match whose sex one agency did not record was
    penalised (the demo area's model learned that 44% of true matches differ in sex); it is
    Splink's null level instead."""
    t = ibis.memtable(pa.table({"given_name": ["A"] * 4, "family_name": ["B"] * 4,
                                "dob": [D] * 4, "sex": ["M", "F", "U", None],
                                "postcode": ["M14 5RB"] * 4}))
    assert [r["sex"] for r in _run(comparison_columns(t))] == ["M", "F", None, None]


def test_candidate_profiles_group_identical_identities_across_sources():
    rows = [
        ("hou:b1:1", "hou", None, None, None, "ANN", "LEE", D, "F", "M1 1AA"),
        ("pol:b1:1", "pol", None, None, None, "ANN", "LEE", D, "F", "M1 1AA"),   # same identity
        ("hou:b1:2", "hou", None, None, None, "ANN", "LEE", D, "F", None),       # differs: postcode
        ("hou:b1:3", "hou", None, None, None, None, None, None, None, None),      # anonymous
        ("hou:b1:4", "hou", None, None, None, None, None, None, None, None),      # anonymous
        ("asc:b1:1", "asc", "L1", None, None, None, None, None, None, None),     # local ID only
        ("asc:b1:2", "asc", "L1", None, None, None, None, None, None, None),
        ("gp:b1:1", "gp", None, "N1", "N1", "ANN", "LEE", D, "F", "M1 1AA"),     # resolved: not a candidate
    ]
    from carecase.ingest.validate import with_identity_key

    staged = with_identity_key(pa.Table.from_pylist([dict(zip(SCHEMA.names, r, strict=True)) for r in rows], SCHEMA),
                               b"k" * 32)
    t = ibis.memtable(staged)
    recs = {r["record_id"]: r for r in _run(candidate_records(t))}
    # the profile key: equal for one identity in two sources, not for another postcode, none
    # for an anonymous record, and keyed (another project key, another profile key)
    assert recs["pol:b1:1"]["profile_key"] == recs["hou:b1:1"]["profile_key"] != recs["hou:b1:2"]["profile_key"]
    assert recs["hou:b1:3"]["profile_key"] is None
    other = {r["record_id"]: r for r in _run(candidate_records(ibis.memtable(with_identity_key(
        staged.drop(["identity_h1", "identity_h2"]), b"x" * 32))))}
    assert other["hou:b1:1"]["profile_key"] != recs["hou:b1:1"]["profile_key"]
    assert "gp:b1:1" not in recs
    assert recs["pol:b1:1"]["profile_id"] == "hou:b1:1"
    assert recs["hou:b1:2"]["profile_id"] == "hou:b1:2"
    assert recs["hou:b1:3"]["profile_id"] == "hou:b1:3" and recs["hou:b1:4"]["profile_id"] == "hou:b1:4"
    assert recs["asc:b1:2"]["profile_id"] == "asc:b1:1" and not recs["asc:b1:2"]["scorable"]
    profiles = sorted(r["unique_id"] for r in _run(candidate_profiles(candidate_records(t))))
    assert profiles == ["hou:b1:1", "hou:b1:2"]


def test_a_record_with_an_nhs_number_never_shares_a_profile_with_records_without_one():
    """A record the discordance check unlinked from its NHS number (linkage.unlink_discordant)
    keeps the number and stays out of the pool of people off the register; grouped on its
    details alone it shared a profile with records of the same details that have none, and
    the residual step, which reads a profile's first record, either stopped ("a record with
    an NHS number reached the clustering") or kept them all out, by record-id order."""
    from carecase.ingest.validate import with_identity_key

    for first in ("alpha", "zeta"):  # the record without a number before, then after, the one with
        rows = [
            (f"{first}:b1:1", first, None, None, None, "KEZ", "QUORN", D, "F", "ZZ9 9ZZ"),
            ("drug:b1:1", "drug", None, None, "N9", "KEZ", "QUORN", D, "F", "ZZ9 9ZZ"),  # unlinked, keeps N9
            ("drug:b1:2", "drug", None, None, "N9", "KEZ", "QUORN", D, "F", "ZZ9 9ZZ"),
            ("drug:b1:3", "drug", None, None, "N8", "KEZ", "QUORN", D, "F", "ZZ9 9ZZ"),
        ]
        staged = with_identity_key(
            pa.Table.from_pylist([dict(zip(SCHEMA.names, r, strict=True)) for r in rows], SCHEMA), b"k" * 32)
        recs = {r["record_id"]: r for r in _run(candidate_records(ibis.memtable(staged)))}
        plain, n9, n9b, n8 = (recs[r[0]] for r in rows)
        assert len({plain["profile_id"], n9["profile_id"], n8["profile_id"]}) == 3, first
        assert n9b["profile_id"] == n9["profile_id"] == "drug:b1:1" and n9b["profile_key"] == n9["profile_key"]
        assert len({plain["profile_key"], n9["profile_key"], n8["profile_key"]}) == 3, first
        # the key of a profile without a number is the one it always had (its person_id with it)
        h = next(r for r in staged.to_pylist() if r["record_id"] == f"{first}:b1:1")
        assert plain["profile_key"] == f"{h['identity_h1']}:{h['identity_h2']}"
        assert plain["profile_id"] == f"{first}:b1:1"
