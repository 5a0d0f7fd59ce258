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


#: EQ-5D-3L UK TTO value set (MVH study; Dolan P. Modeling valuations for EuroQol health
#: states. Med Care 1997;35:1095–1108, Table 3, N3 model): published decrements, used here
#: only as a known-answer test of the additive structure, not shipped in the package.
DOLAN_1997 = [("MO", 2, 0.069), ("MO", 3, 0.314), ("SC", 2, 0.104), ("SC", 3, 0.214),
              ("UA", 2, 0.036), ("UA", 3, 0.094), ("PD", 2, 0.123), ("PD", 3, 0.386),
              ("AD", 2, 0.071), ("AD", 3, 0.236), ("constant", None, 0.081), ("N3", None, 0.269)]


def _value_set(tmp_path, rows):
    path = tmp_path / "vs.csv"
    pd.DataFrame(rows, columns=["dimension", "level", "decrement"]).to_csv(path, index=False)
    return scoring.load_value_set(path)


@pytest.mark.parametrize(("state", "index"), [
    ("11111", 1.000),   # full health: no constant
    ("11223", 0.255),   # the EQ-5D-3L user guide's worked example: 1 − .081 − .036 − .123 − .236 − .269
    ("21111", 0.850),   # 1 − .081 − .069
    ("22222", 0.516),   # 1 − .081 − .069 − .104 − .036 − .123 − .071
    ("11113", 0.414),   # one level 3: constant and N3
    ("33333", -0.594),  # the worst state, as published
])
def test_eq5d_3l_uk_tto_known_answers(tmp_path, state, index):
    vs = _value_set(tmp_path, DOLAN_1997)
    profile = pd.DataFrame([[int(c) for c in state]], columns=["MO", "SC", "UA", "PD", "AD"])
    assert scoring.eq5d_index(profile, vs)[0] == pytest.approx(index, abs=5e-4)


def test_eq5d_missing_dimension_gives_no_index(tmp_path):
    """One dimension unanswered: no index (no imputation), as the EQ-5D user guides say."""
    vs = _value_set(tmp_path, DOLAN_1997)
    profile = pd.DataFrame({"MO": [1.0], "SC": [np.nan], "UA": [1.0], "PD": [1.0], "AD": [1.0]})
    assert np.isnan(scoring.eq5d_index(profile, vs)[0])


def test_eq5d_index_needs_every_dimension_of_the_value_set(tmp_path):
    """Scores with four of the five dimensions (an AD column missing from the source, or
    evaluation.instruments[].domains listing four) gave an index as if AD were at level 1:
    11113 read 1.0 instead of 0.414. The dimensions must match the value set's."""
    vs = _value_set(tmp_path, DOLAN_1997)
    four = pd.DataFrame({"MO": [1], "SC": [1], "UA": [1], "PD": [1]})
    with pytest.raises(EvaluationError, match=r"'AD'"):
        scoring.eq5d_index(four, vs)
    renamed = pd.DataFrame({"MO": [1], "SC": [1], "UA": [1], "PD": [1], "ANX": [3]})
    with pytest.raises(EvaluationError, match=r"'ANX'"):
        scoring.eq5d_index(renamed, vs)


def test_eq5d_levels_must_be_whole_numbers(tmp_path):
    """A level of 2.5 was read as level 2 (int() truncates), so its index was wrong without a word."""
    vs = _value_set(tmp_path, DOLAN_1997)
    profile = pd.DataFrame({"MO": [2.5], "SC": [1], "UA": [1], "PD": [1], "AD": [1]})
    with pytest.raises(EvaluationError, match="whole"):
        scoring.eq5d_index(profile, vs)


def test_eq5d_value_set_term_without_a_level_other_than_constant_or_n3_is_named(tmp_path):
    """A term this additive form does not know (e.g. an 'N45' interaction of some 5L value
    sets) stopped with "cannot convert float NaN to integer"; it is now named."""
    vs = _value_set(tmp_path, [*DOLAN_1997, ("N45", None, 0.05)])
    profile = pd.DataFrame({"MO": [1], "SC": [1], "UA": [1], "PD": [1], "AD": [1]})
    with pytest.raises(EvaluationError, match="N45"):
        scoring.eq5d_index(profile, vs)
