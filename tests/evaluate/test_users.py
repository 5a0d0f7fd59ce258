"""Users behind each estimate (estimates.users): distinct people with any use of a column
before or in a post window, which the shared report needs to withhold an estimate that
gives a few people's own use back (one resident in residential care: mean change ×
participants is that person's cost)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from carecase.core.random import generator
from carecase.evaluate.estimates import matched_did, naive, users
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
