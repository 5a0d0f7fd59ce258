"""Users behind each estimate (estimates.users): distinct people with any use of a column
before or in a post window, which the shared report needs to withhold an estimate that
gives a few people's own use back (one resident in residential care: mean change ×
participants is that person's cost)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from carecase.core.random import generator
from carecase.evaluate.derived import carriers, derived_periods, redundant_windows
from carecase.evaluate.estimates import matched_did, naive, users
from carecase.evaluate.panel import Panel
from carecase.evaluate.shares import (
    largest_change_shares,
    largest_shares,
    largest_step_shares,
    unmatched_change_columns,
)


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


def _periods(windows: list[str]) -> set[tuple[float, ...]]:
    return {tuple(float(v) for v in row) for row in derived_periods(windows)}


def test_derived_periods_are_the_stretches_of_months_the_windows_add_up_to() -> None:
    """Nested windows give the months one adds to the other (0–12 less 3–12 is 0–3); 0–8 and
    4–12 alone give nothing but themselves, and with 0–12 beside them every part: months
    8–12, months 0–4 and their overlap, months 4–8 (0–8 + 4–12 − 0–12)."""
    assert _periods(["post_0_8", "post_0_12"]) == {(1, 0), (0, 1), (-1, 1)}
    assert _periods(["post_0_12", "post_3_12"]) == {(1, 0), (0, 1), (1, -1)}
    assert _periods(["post_0_8", "post_4_12"]) == {(1, 0), (0, 1)}
    three = _periods(["post_0_8", "post_4_12", "post_0_12"])
    assert {(-1, 0, 1), (0, -1, 1), (1, 1, -1)} <= three and len(three) == 7  # every union of the 3 parts
    assert not redundant_windows(["post_0_8", "post_4_12", "post_0_12"]).any()
    assert redundant_windows(["post_0_4", "post_4_8", "post_0_8"]).all()


def test_the_shortest_window_carries_a_derived_figure() -> None:
    """The window hidden where a figure several windows give is dominated: the shortest it
    takes (0–8 beside 0–12, 3–12 beside 0–12), so that the longest, the year a cost-benefit
    model annualises, stays; the later of two equal ones (4–12 beside 0–8); where a window's
    months are others' (0–4, 4–8, 0–8), every window that could stand in."""
    w = ["post_0_8", "post_4_12", "post_0_12", "post_3_12"]
    none = np.zeros(4, dtype=bool)
    assert carriers(np.array([-1.0, 0, 1, 0]), w, none) == [0]
    assert carriers(np.array([0.0, 0, 1, -1]), w, none) == [3]
    assert carriers(np.array([1.0, -1, 0, 0]), w, none) == [1]
    assert carriers(np.array([1.0, 1, -1, 0]), w, none) == [1]  # the overlap 4–8: 0–8 + 4–12 − 0–12
    dependent = ["post_0_4", "post_4_8", "post_0_8"]
    assert carriers(np.array([1.0, 0, -0.5]), dependent, redundant_windows(dependent)) == [0, 1, 2]


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
    first, second = largest_step_shares(p, rows)  # carried by the shorter window: 0–12 stays
    assert first[0, 0] > 0.999 and second[0, 0] < 1e-3 and np.isnan(first[1, 0])
    nv = naive(p, rows, 50, generator(1, "t", "n")).set_index("window")
    assert nv.loc["post_0_8", "step_largest_share"] > 0.999 and np.isnan(nv.loc["post_0_12", "step_largest_share"])


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


def _steady_then_placement(windows: tuple[str, ...], k: int = 10) -> tuple[Panel, np.ndarray]:
    """Ten people at 1 a day before joining and half that in every month after (a spread fall
    that stays), and one who uses nothing until a placement of 600 in months 8–12. Windows
    over 12 months before and ``windows`` after (each month 30 days)."""
    months = [tuple(int(x) for x in w.split("_")[1:]) for w in windows]
    amount = np.zeros((k + 1, 1 + len(windows), 1))
    amount[:k, 0, 0] = 360.0
    for i, (s, e) in enumerate(months):
        amount[:k, i + 1, 0] = 15.0 * (e - s)
        amount[k, i + 1, 0] = 150.0 * max(0, min(e, 12) - max(s, 8))
    days = np.tile([360.0, *(30.0 * (e - s) for s, e in months)], (k + 1, 1))
    cols = pd.DataFrame({"key_type": ["service"], "key": ["A"], "measure": ["cost"]})
    return Panel(np.arange(1, k + 2), ("pre", *windows), cols, amount, days), np.arange(1, k + 2)


def test_overlapping_windows_give_one_persons_months_8_to_12() -> None:
    """0–8 and 4–12 months, neither inside the other: each window's change is the ten people's
    falls (spread), but the two changes' difference cancels the pre-period and everyone whose
    use after joining is steady: 8 months' person-time × (x₀₋₈ − x₄₋₁₂) is use in months 0–4
    less use in months 8–12, −600, the one person's placement. Before, no rule judged the pair
    (NaN); now 4–12 (the later of two equal windows) carries that figure, dominated."""
    p, rows = _steady_then_placement(("post_0_8", "post_4_12"))
    first, second = largest_change_shares(p, rows)
    assert np.all(1 - first - second >= 0.1 * first)  # each window's change passes the p% rule (p = 10)
    nv = naive(p, rows, 50, generator(1, "t", "o")).set_index("window")
    x08, x412 = nv.loc["post_0_8", "change_ppy"], nv.loc["post_4_12", "change_ppy"]
    person_time = len(rows) * 240.0 / 365.25  # 8 months of 30 days each, in person-years
    assert abs((x08 - x412) * person_time - (-600.0)) < 1e-6
    first, second = largest_step_shares(p, rows)
    assert np.isnan(first[0, 0]) and first[1, 0] > 0.999 and second[1, 0] < 1e-3


def test_nested_windows_give_the_difference_of_their_rates() -> None:
    """0–8 and 0–12: the months 8–12 change against the pre-period (the step) is spread over the
    ten people's falls, but 0–12's rate less 0–8's is the placement alone (the others' use is
    the same in both): 12 × (x₀₋₁₂ − x₀₋₈) × the person-years of one month… gives the 600 back.
    The step's own shares pass; the difference's do not."""
    p, rows = _steady_then_placement(("post_0_8", "post_0_12"))
    nv = naive(p, rows, 50, generator(1, "t", "d")).set_index("window")
    x08, x012 = nv.loc["post_0_8", "change_ppy"], nv.loc["post_0_12", "change_ppy"]
    # x₀₋₁₂ − x₀₋₈ = the placement ÷ 12 months' person-time (it adds nothing to months 0–8)
    assert abs((x012 - x08) * len(rows) * 360.0 / 365.25 - 600.0) < 1e-6
    step = p.amount[:, 2, 0] - p.amount[:, 1, 0]  # months 8–12, each person
    parts = np.abs(step / (len(rows) * 120.0) - p.amount[:, 0, 0] / (len(rows) * 360.0))
    top = np.sort(parts)[::-1]
    assert parts.sum() - top[0] - top[1] > 0.5 * top[0]  # the step against the pre-period: passes the p% rule
    first, _ = largest_step_shares(p, rows)
    assert first[0, 0] > 0.999  # carried by 0–8, the shorter


def test_equally_dominated_figures_are_a_tie_not_decided_by_rounding() -> None:
    """0–4, 0–8 and 0–12 months; one person's placement of 600 in months 4–8, two others' use
    (4:1) in months 8–12, nobody else's. Window 0–4 carries several figures that its people
    make up wholly, one person's (shares 1 and 0) and two people's (0.8 and 0.2): each has the
    p% rule's margin 0, and rounding put the latter's a few 10⁻¹⁷ below zero for some sizes of
    the amounts, so which showed depended on the last digits (the demo's adult social care
    changed with a change in the rounding of exact sums). Margins within MARGIN_TIE are a tie, kept by the
    first figure: the same shares at every size."""
    shown = set()
    for scale in np.linspace(1.0, 3.0, 201):
        amount = np.zeros((6, 4, 1))
        amount[0, 2:, 0] = 600.0 * scale  # months 4–8, so in 0–8 and 0–12
        amount[1, 3, 0], amount[2, 3, 0] = 48.0 * scale, 12.0 * scale  # months 8–12
        days = np.tile([360.0, 120.0, 240.0, 360.0], (6, 1))
        cols = pd.DataFrame({"key_type": ["service"], "key": ["A"], "measure": ["cost"]})
        p = Panel(np.arange(1, 7), ("pre", "post_0_4", "post_0_8", "post_0_12"), cols, amount, days)
        first, second = largest_step_shares(p, np.arange(1, 7))
        shown.add((round(float(first[0, 0]), 9), round(float(second[0, 0]), 9)))
    assert shown == {(1.0, 0.0)}
