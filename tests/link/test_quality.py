"""Linkage quality measures."""

from __future__ import annotations

from itertools import combinations

import ibis
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carecase.link.quality import evaluate_against_truth, weight_histogram


def _links(pred: list[str], true: list[str]):
    ids = [f"s:b1:{i}" for i in range(len(pred))]
    p = ibis.memtable(pa.table({"record_id": ids, "person_id": pred}))
    t = ibis.memtable(pa.table({"record_id": ids, "true_person": true}))
    return p, t


def test_pairwise_precision_recall_known_answer():
    """Pairwise (pair-counting) precision and recall, Christen, Data Matching (2012) §7.3.

    Truth: {0,1,2} one person, {3,4} another → true pairs 01,02,12,34 (4).
    Predicted: {0,1} {2,3,4} → predicted pairs 01,23,24,34 (4); true positives 01,34 (2).
    precision = 2/4, recall = 2/4, F1 = 0.5."""
    p, t = _links(["A", "A", "B", "B", "B"], ["x", "x", "x", "y", "y"])
    got = evaluate_against_truth(p, t)
    assert got["precision"] == pytest.approx(0.5)
    assert got["recall"] == pytest.approx(0.5)
    assert got["f1"] == pytest.approx(0.5)
    assert (got["true_positive_pairs"], got["predicted_pairs"], got["true_pairs"]) == (2, 4, 4)


def test_no_true_pairs_gives_undefined_recall():
    p, t = _links(["A", "B"], ["x", "y"])
    got = evaluate_against_truth(p, t)
    assert got["recall"] is None and got["precision"] is None


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), min_size=2, max_size=30))
def test_pair_counts_match_brute_force(labels):
    pred = [f"P{a}" for a, _ in labels]
    true = [f"T{b}" for _, b in labels]
    p, t = _links(pred, true)
    got = evaluate_against_truth(p, t)
    pairs = list(combinations(range(len(labels)), 2))
    tp = sum(pred[i] == pred[j] and true[i] == true[j] for i, j in pairs)
    assert got["true_positive_pairs"] == tp
    assert got["predicted_pairs"] == sum(pred[i] == pred[j] for i, j in pairs)
    assert got["true_pairs"] == sum(true[i] == true[j] for i, j in pairs)
    for key in ("precision", "recall"):
        assert got[key] is None or 0.0 <= got[key] <= 1.0


def test_identical_prediction_is_perfect():
    p, t = _links(["A", "A", "B"], ["x", "x", "y"])
    got = evaluate_against_truth(p, t)
    assert got["precision"] == got["recall"] == got["f1"] == 1.0


def test_weight_histogram_bins_and_clipping():
    pairs = ibis.memtable(pa.table({"match_weight": [-50.0, 0.0, 1.9, 2.0, 100.0]}))
    rows = ibis.duckdb.connect().to_pyarrow(weight_histogram(pairs, "all")).to_pylist()
    got = {(r["bin_lower"], r["bin_upper"]): r["pairs"] for r in rows}
    assert got == {(-20.0, -18.0): 1, (0.0, 2.0): 2, (2.0, 4.0): 1, (38.0, 40.0): 1}
