"""A row hidden in one post window must not come back from the windows still showing it
(carecase.report.sections.window_spans). With post windows 0–4, 4–8 and 0–8 months and
everyone observed throughout, 8 × x₀₋₈ = 4 × x₀₋₄ + 4 × x₄₋₈: a service's 0–8 month change
hidden because one person makes it up was given back by its 0–4 and 4–8 figures, both shown.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import example, given, settings
from hypothesis import strategies as st

from carecase.evaluate.config import window_name
from carecase.report.config import DominanceConfig
from carecase.report.content import Column, Table
from carecase.report.sections.did_tables import disclose_together
from carecase.report.sections.effects import MATCHED_ESTIMATES, NAIVE_ESTIMATES, side_by_side
from carecase.report.sections.window_spans import windows_to_hide
from carecase.report.sections.windows import window_label

P10 = DominanceConfig(rule="p_percent", p=10)
KEYS = (("total", "all", 10.0), ("agency", "A", 4.0), ("agency", "B", 3.0), ("agency", "C", 3.0))


def _frames(windows: list[str], own: dict[tuple[str, str], float],
            sides: tuple[str, ...] = ("naive", "matched")) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Naive and matched £ rows of ``windows``: the total adding up agencies A, B and C, 50
    users each. ``own``: (window, key) → the largest person's share of the row's own change
    (the second's 0), on the ``sides`` given; elsewhere no shares (nothing dominated)."""
    rows = []
    for w in windows:
        for level, key, value in KEYS:
            rows.append({"window": w, "key_type": level, "key": key, "measure": "cost", "parent": "",
                         "value": value, "share": own.get((w, key), np.nan)})
    base = pd.DataFrame(rows)
    none = pd.Series(np.nan, index=base.index)
    naive_share = base["share"] if "naive" in sides else none
    matched_share = base["share"] if "matched" in sides else none
    naive = base.assign(change_ppy=base["value"], ci_low=base["value"] - 1, ci_high=base["value"] + 1, n=50,
                        users=50, change_largest_share=naive_share, change_second_share=0.0)
    matched = base.assign(effect_ppy=base["value"], ci_low=base["value"] - 1, ci_high=base["value"] + 1,
                          n_sets=50, treated_users=50, control_users=50, mde_ppy=1.0,
                          treated_change_largest_share=matched_share, treated_change_second_share=0.0)
    return naive.drop(columns=["value", "share"]), matched.drop(columns=["value", "share"])


def _hidden(t: Table, column: str) -> set[tuple[str, str]]:
    return {(str(r["window"]), str(r["key"])) for i, r in enumerate(t.rows) if (i, column) in t.withheld}


def _table(windows: list[str], own: dict[tuple[str, str], float], **kw: object) -> Table:
    naive, matched = _frames(windows, own, **kw)  # type: ignore[arg-type]
    t = side_by_side(naive, matched, threshold=7, comparison=50, dominance=P10)
    assert t is not None
    return t


W = {name: window_label(name) for name in ("post_0_4", "post_4_8", "post_0_8", "post_0_11", "post_0_12")}


def test_a_row_hidden_in_0_to_8_is_hidden_in_4_to_8_too() -> None:
    """Agency A is one person's in months 0–8 (dominated there only). Its 0–4 and 4–8 figures
    gave it back; now its 4–8 months (the shorter window of 0–4 and 4–8, the later of equal
    ones) are hidden too, 0–4 stays, and A's complement (B) is hidden in both windows."""
    t = _table(["post_0_4", "post_4_8", "post_0_8"], {("post_0_8", "A"): 0.99})
    for column in ("effect_matched", "effect_naive"):
        hidden = _hidden(t, column)
        assert (W["post_0_8"], "A") in hidden and (W["post_4_8"], "A") in hidden
        assert (W["post_0_4"], "A") not in hidden
        assert {k for w, k in hidden} == {"A", "B"}
        assert {w for w, k in hidden} == {W["post_0_8"], W["post_4_8"]}
    assert "as many more as it takes" in t.note


def test_only_the_matched_side_dominated_hides_only_the_matched_side() -> None:
    t = _table(["post_0_4", "post_4_8", "post_0_8"], {("post_0_8", "A"): 0.99}, sides=("matched",))
    assert {(W["post_0_8"], "A"), (W["post_4_8"], "A")} <= _hidden(t, "effect_matched")
    assert not _hidden(t, "effect_naive")


def test_a_window_no_others_give_hides_nothing_more() -> None:
    """0–4, 4–8 and 0–12 months, or the default 0–8, 0–11 and 0–12: no window's months are the
    others' added up or taken away, so A hidden in one window is hidden there alone (with its
    complement)."""
    for windows, at in ((["post_0_4", "post_4_8", "post_0_12"], "post_0_12"),
                        (["post_0_8", "post_0_11", "post_0_12"], "post_0_8"),
                        (["post_0_8", "post_0_11", "post_0_12"], "post_0_12")):
        t = _table(windows, {(at, "A"): 0.99})
        for column in ("effect_matched", "effect_naive"):
            assert _hidden(t, column) == {(window_label(at), "A"), (window_label(at), "B")}
        assert "as many more as it takes" not in t.note


def test_the_choice_is_the_same_whatever_the_rows_order() -> None:
    windows = ["post_0_4", "post_4_8", "post_0_8"]
    own = {("post_0_8", "A"): 0.99, ("post_4_8", "C"): 0.99}
    first = _table(windows, own)
    naive, matched = _frames(windows[::-1], own)
    again = side_by_side(naive.iloc[::-1], matched.sample(frac=1.0, random_state=3), threshold=7, comparison=50,
                         dominance=P10)
    assert again is not None
    for column in ("effect_matched", "effect_naive"):
        assert _hidden(first, column) == _hidden(again, column)


def test_windows_to_hide_takes_the_fewest_then_the_shortest() -> None:
    m = [(0, 4), (4, 8), (0, 8)]
    assert windows_to_hide(m, [False, False, True], [True, True, True]) == [1]  # 4–8: later of equal
    assert windows_to_hide(m, [True, False, False], [True, True, True]) == [1]  # 4–8, not 0–8
    assert windows_to_hide(m, [False, False, True], [True, False, True]) == []  # 4–8 missing: not shown
    # months 0–8 as 0–4 + 4–8 or as 0–2 + 2–4 + 4–8: hiding 4–8 alone breaks both, where the
    # shortest window (2–4) would not
    five = [(0, 2), (2, 4), (0, 4), (4, 8), (0, 8)]
    assert windows_to_hide(five, [False] * 4 + [True], [True] * 5) == [3]
    assert windows_to_hide([(0, 8), (0, 11), (0, 12)], [True, False, False], [True] * 3) == []
    assert windows_to_hide([(0, 4), None, (0, 8)], [False, True, False], [True] * 3) == []


def test_disclose_together_keeps_a_hidden_window_from_following_from_the_others() -> None:
    """The regression-to-the-mean table (one window, 0–8 months) hides B: the effects table
    hides B's 0–8 month DiD with it, and then its 4–8 month DiD, else 0–4 and 4–8 gave it."""
    windows = ["post_0_4", "post_4_8", "post_0_8"]
    frame = pd.DataFrame([{"window": w, "key_type": lv, "key": k, "measure": "cost", "parent": ""}
                          for w in windows for lv, k, _ in KEYS])
    labelled = frame.assign(window=frame["window"].map(window_label))
    cols = [Column("window", "w"), Column("key_type", "l"), Column("key", "k"), Column("measure", "m")]
    effects = Table("e", "e", [*cols, Column("effect_matched", "DiD", "num")],
                    [{**r, "effect_matched": -10.0 - i} for i, r in enumerate(labelled.to_dict("records"))])
    longest = labelled[labelled["window"] == W["post_0_8"]].to_dict("records")
    rtm = Table("r", "r", [*cols, Column("treated_change_ppy", "T", "num"), Column("control_change_ppy", "C", "num")],
                [{**r, "treated_change_ppy": -20.0, "control_change_ppy": -5.0} for r in longest],
                withheld={(i, c) for i, r in enumerate(longest) if r["key"] == "B"
                          for c in ("treated_change_ppy", "control_change_ppy")})
    disclose_together(effects, frame, rtm, labelled[labelled["window"] == W["post_0_8"]])
    hidden = _hidden(effects, "effect_matched")
    assert {(W["post_0_8"], "B"), (W["post_4_8"], "B")} <= hidden
    assert not any(w == W["post_0_4"] for w, _ in hidden)


def _in_span(target: tuple[int, int], shown: list[tuple[int, int]]) -> bool:
    """Month by month (not the stretches carecase uses), in floating point: a separate check."""
    def vec(m: tuple[int, int]) -> np.ndarray:
        return np.array([float(m[0] <= k < m[1]) for k in range(12)])
    if not shown:
        return False
    a = np.array([vec(s) for s in shown])
    return bool(np.linalg.matrix_rank(np.vstack([a, vec(target)])) == np.linalg.matrix_rank(a))


# bounds mostly on a few months, so that windows often add up to others (0–4 + 4–8 = 0–8)
BOUND = st.one_of(st.sampled_from([0, 4, 8, 12]), st.integers(0, 12))
WINDOWS = st.lists(st.tuples(BOUND, BOUND).filter(lambda t: t[0] < t[1]), min_size=2, max_size=5, unique=True)


ROWS = ("all", "A", "B", "C")
SIDES = st.sampled_from([("naive",), ("matched",), ("naive", "matched")])


@settings(max_examples=60, deadline=None)
@given(WINDOWS, st.lists(st.tuples(st.integers(0, 4), st.sampled_from(ROWS)), min_size=1, max_size=4), SIDES)
@example([(0, 4), (4, 8), (0, 8)], [(2, "A")], ("naive", "matched")).via("the gap as found: 0–8 from 0–4 and 4–8")
@example([(0, 4), (4, 8), (0, 8)], [(2, "A"), (1, "C")], ("matched",)).via("complements differing by window")
def test_no_hidden_window_follows_from_the_windows_shown(months: list[tuple[int, int]],
                                                         dominated: list[tuple[int, str]],
                                                         sides: tuple[str, ...]) -> None:
    """Any windows, any rows dominated in any windows (either side): after the report's
    suppression, complements included, no row's hidden estimate in a window is a combination
    of its estimates shown in the others, and nothing hidden in a row is left alone in its
    window's line (total = agencies)."""
    windows = [window_name(m) for m in months]
    own = {(windows[w % len(windows)], key): 0.99 for w, key in dominated}
    t = _table(windows, own, sides=sides)
    by_label = {window_label(w): m for w, m in zip(windows, months, strict=True)}
    for column in (MATCHED_ESTIMATES[0], NAIVE_ESTIMATES[0]):
        hidden = _hidden(t, column)
        for key in ROWS:
            shown = [m for label, m in by_label.items() if (label, key) not in hidden]
            for label, m in by_label.items():
                if (label, key) in hidden:
                    assert not _in_span(m, shown), (column, key, label, shown)
        for label in by_label:
            assert sum((label, k) in hidden for k in ROWS) != 1
