"""Scoring of public instruments against their published rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from carecase.core.errors import EvaluationError
from carecase.evaluate import scoring


@pytest.mark.parametrize(("raw", "metric"), [(7, 7.00), (8, 9.51), (14, 15.32), (21, 19.25),
                                             (23, 20.73), (28, 25.03), (34, 32.55), (35, 35.00)])
def test_swemwbs_conversion_known_answers(raw, metric):
    """Warwick Medical School SWEMWBS raw→metric conversion table (Stewart-Brown et al.
    2009, Health Qual Life Outcomes 7:15)."""
    assert scoring.swemwbs_metric(np.array([raw]))[0] == pytest.approx(metric)


def test_swemwbs_table_is_complete_and_increasing():
    keys = sorted(scoring.SWEMWBS_METRIC)
    assert keys == list(range(7, 36))
    values = [scoring.SWEMWBS_METRIC[k] for k in keys]
    assert all(b > a for a, b in zip(values, values[1:], strict=False))


def test_swemwbs_items_to_metric():
    items = np.array([[1, 1, 1, 1, 1, 1, 1], [3, 3, 3, 3, 3, 3, 3], [5, 5, 5, 5, 5, 5, 5]])
    raw = scoring.swemwbs_raw(items)
    assert raw.tolist() == [7, 21, 35]
    assert scoring.swemwbs_metric(raw).tolist() == [7.0, 19.25, 35.0]


def test_wemwbs_total_is_sum_of_14_items():
    """WEMWBS total = sum of 14 items scored 1–5 (Tennant et al. 2007, HQLO 5:63)."""
    items = np.array([[1] * 14, [5] * 14, [1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 1, 2, 3, 4]])
    assert scoring.wemwbs_total(items).tolist() == [14, 70, 40]


@given(st.lists(st.integers(1, 5), min_size=14, max_size=14))
def test_wemwbs_total_in_range(items):
    total = scoring.wemwbs_total(np.array([items]))[0]
    assert 14 <= total <= 70


def test_items_out_of_range_are_rejected():
    with pytest.raises(EvaluationError, match="1–5"):
        scoring.wemwbs_total(np.array([[0] + [3] * 13]))
    with pytest.raises(EvaluationError, match="7–35"):
        scoring.swemwbs_metric(np.array([36]))


def test_eq5d_index_from_user_value_set(tmp_path):
    """Additive value-set form with constant and N3 terms (the structure of the UK MVH
    TTO tariff, Dolan 1997, Med Care 35:1095) — numbers here are made up for the test."""
    rows = [("MO", 2, 0.1), ("MO", 3, 0.3), ("SC", 2, 0.05), ("SC", 3, 0.2), ("UA", 2, 0.04),
            ("UA", 3, 0.1), ("PD", 2, 0.12), ("PD", 3, 0.4), ("AD", 2, 0.07), ("AD", 3, 0.25),
            ("constant", None, 0.08), ("N3", None, 0.27)]
    path = tmp_path / "vs.csv"
    pd.DataFrame(rows, columns=["dimension", "level", "decrement"]).to_csv(path, index=False)
    vs = scoring.load_value_set(path)
    profiles = pd.DataFrame({"MO": [1, 2, 3], "SC": [1, 1, 1], "UA": [1, 2, 1], "PD": [1, 1, 3],
                             "AD": [1, 1, 1]})
    idx = scoring.eq5d_index(profiles, vs)
    assert idx[0] == pytest.approx(1.0)
    assert idx[1] == pytest.approx(1 - 0.08 - 0.1 - 0.04)
    assert idx[2] == pytest.approx(1 - 0.08 - 0.27 - 0.3 - 0.4)


def test_eq5d_missing_level_is_an_error(tmp_path):
    path = tmp_path / "vs.csv"
    pd.DataFrame([("MO", 2, 0.1)], columns=["dimension", "level", "decrement"]).to_csv(path, index=False)
    with pytest.raises(EvaluationError, match="level 3"):
        scoring.eq5d_index(pd.DataFrame({"MO": [3]}), scoring.load_value_set(path))


#: The whole SWEMWBS raw → metric table as Warwick Medical School publishes it (scoring
#: guidance, "SWEMWBS conversion table"; Stewart-Brown et al. 2009), raw 7 to 35, typed from
#: the published table and checked against an independent public transcription (an R
#: analysis script's conversion_table), not copied from carecase's own table.
PUBLISHED_SWEMWBS = [
    7.00, 9.51, 11.25, 12.40, 13.33, 14.08, 14.75, 15.32, 15.84, 16.36,
    16.88, 17.43, 17.98, 18.59, 19.25, 19.98, 20.73, 21.54, 22.35, 23.21,
    24.11, 25.03, 26.02, 27.03, 28.13, 29.31, 30.70, 32.55, 35.00,
]


def test_every_swemwbs_raw_score_converts_as_published():
    """All 29 rows: the eight spot checks above let a typo in the other 21 through
    (mutation testing: 24 → 21.45 instead of 21.54 survived)."""
    raw = np.arange(7, 36)
    np.testing.assert_array_equal(scoring.swemwbs_metric(raw), np.array(PUBLISHED_SWEMWBS))
