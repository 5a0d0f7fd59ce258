"""u from our own sample of profiles where the pairs outnumber ``linkage.max_pairs_u``: a
seeded choice by MD5 digest, the same on every engine (Splink's own sample uses the engine's
``hash()``, so DuckDB and Spark estimated u from different pairs; docs/engines.md)."""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from carecase.core.engine import connect
from carecase.link.fabricate import fabricate
from carecase.link.model import pairs_sampled, u_sample, u_sample_rows
from carecase.link.stage import run


@given(st.integers(1, 10**6), st.integers(1, 10**5), st.integers(1, 10**9))
def test_the_sample_never_compares_more_pairs_than_allowed(n_ref, n_cand, max_pairs):
    ref, cand = u_sample_rows(max_pairs, n_ref, n_cand)
    assert 1 <= ref <= n_ref and 1 <= cand <= n_cand
    if n_ref * n_cand <= max_pairs:
        assert (ref, cand) == (n_ref, n_cand)
    else:
        assert ref * cand <= max_pairs
    assert pairs_sampled(max_pairs, n_ref, n_cand) == ref * cand


def test_the_sample_takes_the_same_share_of_each_table_and_nearly_all_the_pairs_allowed():
    # Splink's rule: a share p of each table, p² × 4,000 × 1,000 = 40,000 → p = 0.1
    assert u_sample_rows(40_000, 4_000, 1_000) == (400, 100)
    ref, cand = u_sample_rows(2e6, 310_000, 21_000)
    assert 0.99 * 2e6 <= ref * cand <= 2e6
    assert ref / 310_000 == pytest.approx(cand / 21_000, rel=1e-3)


def test_the_sample_is_seeded_and_does_not_depend_on_row_order(tmp_path):
    engine = connect("duckdb", path=tmp_path / "s.duckdb")
    ids = [f"src:{i:05d}" for i in range(1000)]
    engine.write("t", engine.memtable(pa.table({"unique_id": ids, "x": list(range(1000))})))
    engine.write("t_reversed", engine.memtable(pa.table({"unique_id": ids[::-1], "x": list(range(1000))[::-1]})))

    def chosen(table: str, seed: int) -> list[str]:
        u_sample(engine, table, 100, seed, "sample")
        return engine.to_pandas(engine.table("sample"))["unique_id"].tolist()

    first = chosen("t", 1)
    assert len(first) == 100 and first == sorted(first)
    assert chosen("t_reversed", 1) == first
    assert chosen("t", 2) != first
    # spread over the IDs, not their first hundred: the digests, not the IDs, are ordered
    assert max(first) > "src:00500" and min(first) < "src:00500"
    engine.close()


def test_linkage_with_a_sampled_u_records_its_sample_and_links_as_well(new_project):
    """A 200-person area's 26,400 pairs outnumber 10,000: u comes from our sample (123 × 81
    profiles), recorded in the model; the links are all found, and a second project of the
    same data gives the same model. The levels no pair of the sample shows have their u fixed
    (names swapped, as among all 26,400 pairs; and day and month swapped)."""
    small = fabricate(200, seed=11)
    summary = run(new_project("sampled", small, max_pairs_u=10_000))
    assert summary["model"]["u_sample"] == {
        "reference_profiles": 123, "candidate_profiles": 81, "pairs": 9963,
        "rule": "the profiles first by md5(unique_id || '_20240401'): the same on every engine"}
    levels = [lv for comp in summary["model"]["comparisons"].values() for lv in comp]
    assert all(lv["u"] is not None for lv in levels)
    assert {lv["label"] for lv in levels if lv["u_fixed"]} == {
        "given_name and family_name swapped",
        "given_name and family_name swapped (weighed in given_name)", "day and month swapped"}
    truth = summary["truth"]["sources_without_nhs_numbers"]
    assert truth["precision"] == 1.0 and truth["recall"] == 1.0
    again = run(new_project("again", small, max_pairs_u=10_000))
    assert again["model"] == summary["model"]
