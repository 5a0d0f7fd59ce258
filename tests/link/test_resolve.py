"""Resolution of scored pairs: best match per candidate, clerical overrides, person ids."""

from __future__ import annotations

import hashlib

import ibis
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carecase.link.resolve import GAMMAS, apply_decisions, best_matches, person_id

THRESHOLD, LOWER = 0.95, 0.5
CON = ibis.duckdb.connect()


def _pairs(rows: list[tuple[str, str, str, float]]) -> ibis.Table:
    """rows of (pair_id, reference_id, candidate_id/nhs, probability)."""
    data = {
        "pair_id": [r[0] for r in rows],
        "reference_id": [r[1] for r in rows],
        "candidate_id": [r[2] for r in rows],
        "nhs_pseudo": ["N" + r[1] for r in rows],
        "match_weight": [0.0 for _ in rows],
        "match_probability": [r[3] for r in rows],
        **{g: [1 for _ in rows] for g in GAMMAS},
    }
    schema = pa.schema([("pair_id", pa.string()), ("reference_id", pa.string()),
                        ("candidate_id", pa.string()), ("nhs_pseudo", pa.string()),
                        ("match_weight", pa.float64()), ("match_probability", pa.float64())]
                       + [(g, pa.int32()) for g in GAMMAS])
    return ibis.memtable(pa.table(data, schema=schema))


def _decisions(rows: dict[str, str]) -> ibis.Table:
    return ibis.memtable(pa.table({"pair_id": list(rows), "decision": list(rows.values())}))


def _best(pairs, decisions=None) -> dict[str, dict]:
    out = CON.to_pyarrow(best_matches(apply_decisions(pairs, decisions), THRESHOLD, LOWER))
    return {r["candidate_id"]: r for r in out.to_pylist()}


def test_best_match_and_methods():
    best = _best(_pairs([
        ("p1", "r1", "c1", 0.99), ("p2", "r2", "c1", 0.97),   # c1: two links, best wins
        ("p3", "r3", "c2", 0.80),                            # c2: grey zone → review
        ("p4", "r4", "c3", 0.20),                            # c3: below review
    ]))
    assert best["c1"]["reference_id"] == "r1" and best["c1"]["method"] == "probabilistic"
    assert best["c2"]["method"] is None and best["c2"]["review"] is True
    assert best["c3"]["method"] is None and best["c3"]["review"] is False


def test_ties_break_on_nhs_pseudo_then_reference():
    best = _best(_pairs([("p1", "r2", "c1", 0.99), ("p2", "r1", "c1", 0.99)]))
    assert best["c1"]["reference_id"] == "r1"


def test_clerical_match_outranks_model_and_non_match_removes_pair():
    pairs = _pairs([("p1", "r1", "c1", 0.99), ("p2", "r2", "c1", 0.70),
                    ("p3", "r3", "c2", 0.99), ("p4", "r4", "c2", 0.60)])
    best = _best(pairs, _decisions({"p2": "match", "p3": "non-match"}))
    assert best["c1"]["reference_id"] == "r2" and best["c1"]["method"] == "clerical"
    # c2's auto-link was rejected; its next pair is in the grey zone and goes to review
    assert best["c2"]["reference_id"] == "r4"
    assert best["c2"]["method"] is None and best["c2"]["review"] is True


def test_person_id_is_prefixed_sha256_of_key():
    t = ibis.memtable({"k": ["N:abc"]})
    got = CON.to_pyarrow(t.select(p=person_id(t.k)))
    assert got["p"][0].as_py() == "P" + hashlib.sha256(b"N:abc").hexdigest()[:16]


@settings(max_examples=20, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 5), st.floats(0.001, 0.999)),
                min_size=1, max_size=25, unique_by=lambda t: (t[0], t[1])))
def test_one_best_pair_per_candidate_with_consistent_method(rows):
    pairs = _pairs([(f"p{c}_{r}", f"r{r}", f"c{c}", p) for c, r, p in rows])
    best = _best(pairs)
    assert set(best) == {f"c{c}" for c, _, _ in rows}
    for cand, row in best.items():
        top = max(p for c, _, p in rows if f"c{c}" == cand)
        assert row["match_probability"] == pytest.approx(top)
        assert (row["method"] == "probabilistic") == (top >= THRESHOLD)
        assert row["review"] == (LOWER <= top < THRESHOLD)
