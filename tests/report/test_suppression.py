"""Small-number suppression, rounding and secondary suppression (carecase.report.suppression).

Rules follow the common UK practice for published health and care statistics: NHS England /
NHS Digital's statistical disclosure control ("counts of 1–7 suppressed, others rounded to the
nearest 5") and the ONS "Disclosure control guidance for tables produced from administrative
sources" (complementary suppression so a suppressed cell cannot be derived from totals).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from carecase.report.config import SuppressionConfig
from carecase.report.content import Column, Table
from carecase.report.disclose import disclose_table
from carecase.report.suppression import (
    disclose_counts,
    line_totals,
    primary_mask,
    round_to_base,
    secondary_lines,
    secondary_mask,
)

CFG = SuppressionConfig()


def test_rounding_known_answers() -> None:
    """NHS Digital convention: round to nearest 5, halves up (12.5 → 15), 0 stays 0."""
    got = round_to_base(np.array([0, 8, 12, 12.5, 13, 22, 1234, np.nan]), 5)
    assert got[:7].tolist() == [0, 10, 10, 15, 15, 20, 1235]
    assert np.isnan(got[7])


def test_primary_threshold_known_answers() -> None:
    """Counts 1–7 are suppressed, 0 and 8+ are not (default threshold 7)."""
    mask = primary_mask(np.array([0, 1, 7, 8, np.nan]), 7)
    assert mask.tolist() == [False, True, True, False, False]


def test_secondary_suppression_worked_example() -> None:
    """ONS guidance worked pattern: one small cell forces a complementary cell in its row and
    column; those in turn force complements until every line holds 0 or ≥2 hidden cells."""
    counts = np.array([[20, 3, 15], [30, 40, 50], [12, 25, 9]])
    d = disclose_counts(counts, CFG)
    assert {tuple(x) for x in np.argwhere(d.hidden)} == {(0, 1), (0, 2), (2, 1), (2, 2)}
    assert d.values[0, 0] == 20 and d.values[2, 0] == 10 and d.values[1, 2] == 50
    # without secondary suppression the 3 could be read off the row total 38
    only_primary = disclose_counts(counts, SuppressionConfig(secondary=False))
    assert only_primary.hidden.sum() == 1


def test_secondary_prefers_nonzero_then_zero() -> None:
    """The complement is the smallest non-zero visible cell; a zero only when nothing else is left."""
    mask = secondary_mask(np.array([[4, 0, 9, 30]]), np.array([[True, False, False, False]]), axes=(1,))
    assert mask.tolist() == [[True, False, True, False]]
    mask = secondary_mask(np.array([[4, 0]]), np.array([[True, False]]), axes=(1,))
    assert mask.tolist() == [[True, True]]


def test_totals_from_displayed_values() -> None:
    shown = np.array([[20.0, np.nan], [30.0, 40.0]])
    hidden = np.array([[False, True], [False, False]])
    col = line_totals(shown, hidden, axis=0)
    assert col.values[0] == 50 and np.isnan(col.values[1]) and col.hidden.tolist() == [False, True]


def test_table_money_hidden_with_its_count_and_totals() -> None:
    t = Table("t", "t", [Column("area", "Area"), Column("people", "People", "count", count=True, total=True),
                         Column("cost", "Cost", "gbp", from_count="people", total=True)],
              [{"area": "a", "people": 3, "cost": 900.0}, {"area": "b", "people": 40, "cost": 12000.0},
               {"area": "c", "people": 52, "cost": 15000.0}], total_row=True)
    disclose_table(t, CFG, "shared")
    assert (0, "people") in t.hidden and (0, "cost") in t.hidden
    assert (1, "people") in t.hidden and (1, "cost") in t.hidden  # complement for the column total
    assert t.cell(2, "people") == (50, False) and t.cell(2, "cost") == (15000.0, False)
    assert t.hidden_totals == {"people", "cost"}
    disclose_table(t, CFG, "internal")
    assert not t.hidden and t.totals == {"people": 95.0, "cost": 27900.0}


counts_matrix = st.tuples(st.integers(2, 6), st.integers(2, 6)).flatmap(
    lambda shape: arrays(np.int64, shape, elements=st.integers(0, 60)))


@settings(max_examples=150, deadline=None)
@given(counts_matrix)
def test_no_suppressed_cell_recoverable_from_a_line_total(counts: np.ndarray) -> None:
    """With the exact total of any row or column and every visible cell known, a hidden cell
    is recoverable only if it is the single hidden cell of that line — never allowed."""
    d = disclose_counts(counts, CFG)
    for line in list(d.hidden) + list(d.hidden.T):
        assert line.sum() != 1
    assert (d.hidden | ~primary_mask(counts, CFG.threshold)).all()  # every small count hidden
    visible = ~d.hidden
    assert np.all(d.values[visible] % 5 == 0)
    assert np.all(np.abs(d.values[visible] - counts[visible]) <= 2.5)
    assert np.all(d.values[counts == 0][visible[counts == 0]] == 0)


@settings(max_examples=100, deadline=None)
@given(counts_matrix)
def test_displayed_totals_never_expose_a_hidden_cell(counts: np.ndarray) -> None:
    d = disclose_counts(counts, CFG)
    for axis in (0, 1):
        tot = line_totals(d.values, d.hidden, axis=axis)
        lines_hidden = d.hidden.any(axis=axis)
        assert np.array_equal(np.isnan(tot.values), lines_hidden)
        assert np.allclose(tot.values[~lines_hidden], np.nansum(d.values, axis=axis)[~lines_hidden])


@pytest.mark.parametrize("threshold", [0, 3, 10])
def test_threshold_is_configurable(threshold: int) -> None:
    d = disclose_counts(np.array([[2, 9, 50], [50, 50, 50]]), SuppressionConfig(threshold=threshold, secondary=False))
    assert bool(d.hidden[0, 0]) == (threshold >= 2)
    assert bool(d.hidden[0, 1]) == (threshold >= 9)


def test_groups_protect_rows_that_add_up() -> None:
    """participants = eligible + excluded (rows 0, 1, 2) and eligible = matched + unmatched
    (rows 1, 3, 4): the complement is taken inside the relation, never from an unrelated row
    (row 5, the smallest visible count)."""
    counts = np.array([[124], [120], [4], [118], [2], [9]])
    d = disclose_counts(counts, CFG, axes=(), groups=[(0, 1, 2), (1, 3, 4)])
    hidden = set(np.flatnonzero(d.hidden[:, 0]).tolist())
    assert hidden == {1, 2, 4}  # eligible hides with the 4 excluded, and then covers the 2 unmatched
    assert not d.hidden[5, 0]
    # the whole column as one line would have left both relations open
    assert set(np.flatnonzero(disclose_counts(counts, CFG, axes=(0,)).hidden[:, 0]).tolist()) == {2, 4}


def test_forced_cells_are_hidden_and_protected() -> None:
    d = disclose_counts(np.array([[40, 50], [60, 70]]), CFG, forced=np.array([[True, False], [False, False]]))
    assert d.hidden.tolist() == [[True, True], [True, True]]


lines_case = st.integers(3, 12).flatmap(lambda n: st.tuples(
    arrays(np.int64, n, elements=st.integers(0, 40)),
    st.lists(st.lists(st.integers(0, n - 1), min_size=2, max_size=n, unique=True), min_size=1, max_size=6)))


@settings(max_examples=150, deadline=None)
@given(lines_case)
def test_secondary_lines_leave_no_line_with_one_hidden_cell(case: tuple[np.ndarray, list[list[int]]]) -> None:
    values, lines = case
    first = primary_mask(values, CFG.threshold)
    hidden = secondary_lines(values, first, lines)
    assert (hidden | ~first).all()
    for line in lines:
        assert hidden[line].sum() != 1 or (~hidden[line]).sum() == 0


# signed estimates (effects): lines whose first cell is the sum of the others
_LINES = [[0, 1, 2], [0, 3, 4, 5], [1, 3, 4], [2, 5]]  # total; agencies; services per agency
_money = st.floats(-5000, 5000, allow_nan=False).map(lambda x: round(x, 2))


@given(values=st.lists(_money, min_size=6, max_size=6), other=st.lists(_money, min_size=6, max_size=6),
       primary=st.sets(st.integers(1, 5), min_size=1, max_size=2))
@settings(max_examples=200, deadline=None)
def test_estimate_complements_do_not_depend_on_the_values(values, other, primary):
    """The rule is public, so a complement chosen by its value tells its size: the line's
    smallest estimate bounded the hidden pair, and the pair's published sum then pinned the
    protected estimate (−£43.18 to between −£52.81 and −£23.61 on the demo). Chosen by
    position, the complements are the same whatever the values, and no line keeps exactly
    one hidden cell."""
    from carecase.report.suppression import secondary_lines

    mask = np.array([i in primary for i in range(6)])
    a = secondary_lines(np.array(values), mask, _LINES, by="order")
    b = secondary_lines(np.array(other), mask, _LINES, by="order")
    assert (a == b).all()
    assert all(a[line].sum() != 1 for line in _LINES)
    assert (a[mask]).all()


def test_an_estimate_complement_is_the_first_visible_part_never_the_sum_while_parts_remain():
    from carecase.report.suppression import secondary_lines

    mask = np.array([False, False, False, False, True, False])  # service 4 hidden
    values = np.array([3.0, 2.0, 1.0, 3.0, -1.0, 1.0])  # by value, service 5 (the smallest) would go
    hidden = secondary_lines(values, mask, _LINES, by="order")
    assert hidden.tolist() == [False, False, False, True, True, False]  # service 3 (the first part)
    assert secondary_lines(values, mask, _LINES).tolist() != hidden.tolist()
    missing = np.array([3.0, 2.0, 1.0, np.nan, -1.0, 1.0])  # a missing estimate is no protection
    hidden = secondary_lines(missing, mask, _LINES, by="order")
    assert hidden[4] and not hidden[3] and all(hidden[line].sum() != 1 for line in _LINES)
    assert hidden[1]  # line [1, 3, 4]: its only other part is missing, so the sum (agency 1) goes


@given(values=st.lists(_money, min_size=6, max_size=6), other=st.lists(_money, min_size=6, max_size=6),
       primary=st.sets(st.integers(0, 5), min_size=1, max_size=2), keep=st.sets(st.integers(0, 5)))
@settings(max_examples=200, deadline=None)
def test_complements_with_kept_cells_do_not_depend_on_the_values(values, other, primary, keep):
    """Cells another part of the report needs (the CBA's inputs) are chosen last; the choice
    still depends on positions and on which cells are kept, never on values, and no line
    keeps exactly one hidden cell."""
    from carecase.report.suppression import secondary_lines

    mask = np.array([i in primary for i in range(6)])
    kept = np.array([i in keep for i in range(6)])
    a = secondary_lines(np.array(values), mask, _LINES, by="order", keep=kept)
    b = secondary_lines(np.array(other), mask, _LINES, by="order", keep=kept)
    assert (a == b).all()
    assert all(a[line].sum() != 1 for line in _LINES)
    assert a[mask].all()


def test_kept_cells_are_chosen_after_the_sum():
    """Service 4 hidden; services 3 and 5 and agency 2 (made only of service 5) are the CBA's
    inputs. Without keep the complement is service 3; with it, agency 1 (the sum of 3 and 4),
    and then the total, so that no kept cell is hidden."""
    from carecase.report.suppression import secondary_lines

    mask = np.array([False, False, False, False, True, False])
    values = np.array([3.0, 2.0, 1.0, 3.0, -1.0, 1.0])
    assert secondary_lines(values, mask, _LINES, by="order").tolist() == [False, False, False, True, True, False]
    kept = np.array([False, False, True, True, False, True])
    hidden = secondary_lines(values, mask, _LINES, by="order", keep=kept)
    assert hidden.tolist() == [True, True, False, False, True, False]
    # a kept cell is still hidden when nothing else can protect the line
    everything = np.array([True, True, True, True, False, True])
    hidden = secondary_lines(values, mask, _LINES, by="order", keep=everything)
    assert all(hidden[line].sum() != 1 for line in _LINES) and hidden[3]


def test_a_count_published_elsewhere_is_a_complement_only_when_nothing_else_is_left():
    """Rows read 360 = accepted 357 + quarantined 3 + out of scope 0: the smallest visible
    count (the accepted rows) was the complement, but the audit publishes it again; kept, the
    complement is the rows read."""
    from carecase.report.suppression import secondary_lines

    values = np.array([360.0, 357.0, 3.0, 0.0])
    mask = np.array([False, False, True, False])
    line = [[0, 1, 2, 3]]
    assert secondary_lines(values, mask, line).tolist() == [False, True, True, False]
    kept = np.array([False, True, False, True])
    assert secondary_lines(values, mask, line, keep=kept).tolist() == [True, False, True, False]
    everything = np.array([True, True, False, True])
    assert secondary_lines(values, mask, line, keep=everything).tolist() == [False, True, True, False]
