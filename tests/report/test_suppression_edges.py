"""Suppression edges: negative counts, base-1 rounding, 'suppress' totals mode and nested
top groups (carecase.report.suppression)."""

from __future__ import annotations

import numpy as np

from carecase.report.suppression import line_totals, nested_groups, round_to_base


def test_rounding_halves_away_from_zero_for_negative_values_too() -> None:
    """round_to_base: nearest multiple, halves away from zero, symmetric in sign (a change in a
    count can be negative): −12.5 → −15, −8 → −10, −12 → −10."""
    got = round_to_base(np.array([-12.5, -8, -12, 12.5]), 5)
    assert got.tolist() == [-15, -10, -10, 15]


def test_suppress_mode_hides_every_total_only_when_some_cell_is_hidden() -> None:
    shown = np.array([[20.0, 10.0], [30.0, 40.0]])
    none_hidden = line_totals(shown, np.zeros((2, 2), bool), axis=0, mode="suppress")
    assert none_hidden.values.tolist() == [50.0, 50.0] and not none_hidden.hidden.any()
    hidden = np.array([[False, True], [False, False]])
    some = line_totals(np.where(hidden, np.nan, shown), hidden, axis=0, mode="suppress")
    assert np.isnan(some.values).all() and some.hidden.all()


def test_nested_groups_need_a_difference_above_the_threshold() -> None:
    """Two nested 'top k' groups give the cost of the people between them, so each published
    group must differ from nobody, everybody and every other published group by 0 or more than
    the threshold (7): of 100 people, top 10 is published; top 17 (7 more) is not, top 18 is;
    top 95 (5 short of everyone) is not; top 10 again is (difference 0)."""
    assert nested_groups([10, 17, 18, 95, 10], 7, population=100) == [True, False, True, False, True]
    assert nested_groups([7, 8], 7) == [False, True]  # 7 people differ from nobody by 7
    assert nested_groups([20], 7, published=[13], forbidden=[]) == [False]
    assert nested_groups([20], 7, forbidden=[20]) == [False]


def test_base_one_also_rounds_halves_away_from_zero():
    """round_to_base says halves go away from zero; at base 1 it used np.round (halves to
    even: 2.5 → 2), found by mutation testing."""
    np.testing.assert_array_equal(round_to_base(np.array([2.5, -2.5, 3.5, 0.4, np.nan]), 1),
                                  np.array([3.0, -3.0, 4.0, 0.0, np.nan]))
