"""Users behind each estimate (estimates.users): distinct people with any use of a column
before or in a post window, which the shared report needs to withhold an estimate that
gives a few people's own use back (one resident in residential care: mean change ×
participants is that person's cost)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from carecase.core.random import generator
from carecase.evaluate.estimates import (
    largest_change_shares,
    largest_shares,
    largest_step_shares,
    matched_did,
    naive,
    nested_pairs,
    unmatched_change_columns,
    users,
)
from carecase.evaluate.panel import Panel


def panel() -> Panel:
    """Rows 1-4 (windows pre, post_0_12; columns A and B). Row 1 uses A before only, row 2
    uses A after only, row 3 uses nothing, row 4 uses B before and after. Rows 3 and 4 are
    the same person (a control matched at two index dates)."""
    amount = np.zeros((4, 2, 2))
    amount[0, 0, 0] = 5.0
    amount[1, 1, 0] = 2.0
    amount[3, :, 1] = [1.0, 1.0]
    cols = pd.DataFrame({"key_type": ["service", "service"], "key": ["A", "B"], "measure": ["cost", "cost"]})
    return Panel(np.array([1, 2, 3, 4]), ("pre", "post_0_12"), cols, amount, np.full((4, 2), 365.25))


def test_users_counts_people_with_any_use_before_or_after() -> None:
    p = panel()
    assert users(p, np.array([1, 2, 3, 4])).tolist() == [[2, 1]]
    assert users(p, np.array([3, 4]), np.array(["p1", "p2", "p3", "p3"])).tolist() == [[0, 1]]
    # rows 3 and 4 are one person: with B used by row 4 only, still one user; A none
    assert users(p, np.array([1, 3]), np.array(["p1", "p2", "p3", "p3"])).tolist() == [[1, 0]]


def test_naive_and_matched_tables_carry_the_users() -> None:
    """Treated rows 1 and 2, each matched 1:1 (row 1 with 3, row 2 with 4)."""
    p = panel()
    persons = np.array(["p1", "p2", "p3", "p4"])
    nv = naive(p, np.array([1, 2]), 50, generator(1, "t", "n"), persons)
    assert nv.set_index("key")["users"].to_dict() == {"A": 2, "B": 0}
    members = pd.DataFrame({"set_id": [1, 1, 2, 2], "row_id": [1, 3, 2, 4],
                            "treated": [True, False, True, False], "weight": [1.0] * 4})
    m, rtm = matched_did(p, members, 50, generator(1, "t", "m"), persons=persons)
    got = m.set_index("key")[["treated_users", "control_users"]].to_dict("index")
    assert got == {"A": {"treated_users": 2, "control_users": 0}, "B": {"treated_users": 0, "control_users": 1}}
    assert rtm.set_index("key")["control_users"].to_dict() == {"A": 0, "B": 1}


def test_largest_shares_by_person_with_weights() -> None:
    """Shares of a group's use held by its largest and second-largest person, per window and
    column, worked by hand: A before is row 1's 5 alone (1, 0), A after row 2's 2 alone;
    B (row 4, 1 a window) with row 3 as the same person is one person (1, 0); a control
    matched in two sets with weights 0.5 and 1.5 counts 2 × its use; no use: NaN."""
    p = panel()
    first, second = largest_shares(p, np.array([1, 2, 3, 4]))
    assert first.tolist() == [[1.0, 1.0], [1.0, 1.0]] and second.tolist() == [[0.0, 0.0], [0.0, 0.0]]
    amount = p.amount.copy()
    amount[1, 0, 0] = 15.0  # row 2 also uses A before: A before is 15 of 20 and 5 of 20
    q = Panel(p.row_ids, p.windows, p.columns, amount, p.days)
    first, second = largest_shares(q, np.array([1, 2]))
    assert first[0, 0] == 0.75 and second[0, 0] == 0.25
    # row 1 twice (weights 0.5 + 1.5 = 2: 10, one person) beside row 2 (15): 15/25 and 10/25
    persons = np.array(["p1", "p2", "p3", "p3"])
    first, second = largest_shares(q, np.array([1, 1, 2]), persons, weights=np.array([0.5, 1.5, 1.0]))
    assert np.allclose([first[0, 0], second[0, 0]], [0.6, 0.4])
    # without the persons a row is one contribution still (a row matched twice is one row)
    first, second = largest_shares(q, np.array([1, 1, 2]), weights=np.array([0.5, 1.5, 1.0]))
    assert np.allclose([first[0, 0], second[0, 0]], [0.6, 0.4])
    first, second = largest_shares(q, np.array([3]))
    assert np.isnan(first).all() and np.isnan(second).all()


def test_naive_and_matched_tables_carry_the_shares() -> None:
    p = panel()
    persons = np.array(["p1", "p2", "p3", "p4"])
    nv = naive(p, np.array([1, 2]), 50, generator(1, "t", "n"), persons).set_index("key")
    assert nv.loc["A", "pre_largest_share"] == 1.0 and nv.loc["A", "post_largest_share"] == 1.0
    assert np.isnan(nv.loc["B", "pre_largest_share"])
    members = pd.DataFrame({"set_id": [1, 1, 2, 2], "row_id": [1, 3, 2, 4],
                            "treated": [True, False, True, False], "weight": [1.0] * 4})
    m, rtm = matched_did(p, members, 50, generator(1, "t", "m"), persons=persons)
    m = m.set_index("key")
    assert m.loc["B", "control_pre_largest_share"] == 1.0 and m.loc["B", "control_post_second_share"] == 0.0
    assert "treated_post_largest_share" in rtm.columns


def test_largest_change_shares_by_absolute_part() -> None:
    """Each person's part of the group's change is post ÷ the group's post days − pre ÷ its pre
    days: row 1 falls by 5, row 2 rises by 2 (equal days), so the parts' sizes are 5 and 2:
    shares 5/7 and 2/7 (a change of −3 net); a weight of 2 on row 2 doubles its amount (4)
    and its days (three years' days each side): parts −5 and +4 over them, shares 5/9 and 4/9."""
    p = panel()
    first, second = largest_change_shares(p, np.array([1, 2]))
    assert first.shape == (1, 2) and np.allclose([first[0, 0], second[0, 0]], [5 / 7, 2 / 7])
    assert np.isnan(first[0, 1])  # B: neither row 1 nor 2 uses it
    first, second = largest_change_shares(p, np.array([1, 2]), weights=np.array([1.0, 2.0]))
    assert np.allclose([first[0, 0], second[0, 0]], [5 / 9, 4 / 9])
    nv = naive(p, np.array([1, 2]), 50, generator(1, "t", "n")).set_index("key")
    assert np.isclose(nv.loc["A", "change_largest_share"], 5 / 7)


def test_nested_pairs_are_a_window_and_one_inside_it() -> None:
    """A window and a shorter one inside it (same start, or same end: 0–12 less 3–12 is 0–3);
    windows that only overlap (0–8, 3–12) are not a pair."""
    assert nested_pairs(["post_0_8", "post_0_11", "post_0_12", "post_3_12"]) == [[], [0], [0, 1, 3], []]


def test_step_shares_see_the_months_one_window_adds_to_another() -> None:
    """0–8 and 0–12 months: ten people fall to nothing in months 0–8 and are back at their
    pre-period rate in months 8–12; one person uses nothing until months 8–12 (600). Each
    window's change is spread (the ten falls), but the change over months 8–12 alone, which
    the two windows' changes give, is that one person's: step share 1."""
    k = 10
    amount = np.zeros((k + 1, 3, 1))
    amount[:k, 0, 0] = 365.0  # 1 a day before joining
    amount[:k, 2, 0] = 120.0  # nothing in months 0–8, 1 a day in months 8–12
    amount[k, 2, 0] = 600.0
    days = np.tile([365.0, 240.0, 360.0], (k + 1, 1))
    cols = pd.DataFrame({"key_type": ["service"], "key": ["A"], "measure": ["cost"]})
    p = Panel(np.arange(1, k + 2), ("pre", "post_0_8", "post_0_12"), cols, amount, days)
    rows = np.arange(1, k + 2)
    change, _ = largest_change_shares(p, rows)
    assert change[0, 0] < 0.2 and change[1, 0] < 0.3
    first, second = largest_step_shares(p, rows)
    assert np.isnan(first[0, 0]) and first[1, 0] > 0.999 and second[1, 0] < 1e-3
    nv = naive(p, rows, 50, generator(1, "t", "n")).set_index("window")
    assert np.isnan(nv.loc["post_0_8", "step_largest_share"]) and nv.loc["post_0_12", "step_largest_share"] > 0.999


def test_unmatched_change_shares_are_the_unmatched_participants() -> None:
    """Rows 1 and 2 participants, row 2 left unmatched: the unmatched change is row 2's alone
    (A: 1, 0); none left unmatched: NaN."""
    p = panel()
    cols = unmatched_change_columns(p, np.array([1, 2]), np.array([1]))
    assert cols["unmatched_change_largest_share"].tolist()[0] == 1.0
    assert cols["unmatched_change_second_share"].tolist()[0] == 0.0
    assert np.isnan(cols["unmatched_change_largest_share"][1])  # B: row 2 never uses it
    none_left = unmatched_change_columns(p, np.array([1, 2]), np.array([1, 2]))
    assert np.isnan(none_left["unmatched_change_largest_share"]).all()
