"""Month by month around the index date (evaluate.trajectory): a spec table worked by hand,
and on the synthetic area the months pooled by person-time give back the window rates of the
rtm table exactly (the months tile the pre-period and each post window)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from carecase.core.random import generator
from carecase.evaluate.cohort import month_spec
from carecase.evaluate.panel import Panel
from carecase.evaluate.trajectory import COLUMNS, monthly

YEAR = 365.25


def test_the_months_run_from_the_pre_period_to_the_longest_window():
    spec = month_spec(12, [(0, 8), (0, 12)])
    assert list(spec)[0] == "month_-12" and list(spec)[-1] == "month_11" and len(spec) == 24
    assert all(b == a + 1 for a, b in spec.values())
    assert list(month_spec(3, [(2, 5)])) == ["month_-3", "month_-2", "month_-1", "month_0", "month_1",
                                               "month_2", "month_3", "month_4"]


def _spec_panel() -> tuple[Panel, pd.DataFrame]:
    # two matched sets of a participant and a control; 30 observed days in every month
    amount = np.array([[10, 20, 5, 5], [10, 10, 10, 10], [30, 40, 15, 5], [20, 20, 20, 20]], float)[:, :, None]
    panel = Panel(np.array([1, 2, 3, 4]), ("month_-2", "month_-1", "month_0", "month_1"),
                  pd.DataFrame({"key_type": ["total"], "key": ["all"], "measure": ["cost"]}),
                  amount, np.full((4, 4), 30.0))
    members = pd.DataFrame({"set_id": [1, 1, 2, 2], "row_id": [1, 2, 3, 4], "treated": [True, False, True, False],
                            "weight": [1.0, 1.0, 1.0, 1.0], "cluster": [1, 1, 2, 2]})
    return panel, members


def test_a_spec_table_worked_by_hand():
    """Participants: 40, 60, 20 and 10 over 60 person-days a month; controls 30 a month. The
    pre-period difference is 100/120 − 60/120 = 1/3 a day, so month −2's difference-in-
    differences is (40 − 30)/60 − 1/3 = −1/6 a day, and month 1's (10 − 30)/60 − 1/3 = −2/3."""
    panel, members = _spec_panel()
    out = monthly(panel, members, 2, 50, generator(1, "tests", "trajectory"), np.array(["a", "b", "c", "d"]))
    assert list(out.columns) == list(COLUMNS) and out["month"].tolist() == [-2, -1, 0, 1]
    assert out["treated_ppy"].to_numpy() == pytest.approx(np.array([40, 60, 20, 10]) / 60 * YEAR)
    assert out["control_ppy"].to_numpy() == pytest.approx(np.full(4, 0.5 * YEAR))
    assert out["difference_ppy"].to_numpy() == pytest.approx(np.array([-1 / 6, 1 / 6, -1 / 2, -2 / 3]) * YEAR)
    assert out["treated_person_years"].to_numpy() == pytest.approx(np.full(4, 60 / YEAR))
    assert out["treated_users"].tolist() == [2, 2, 2, 2] and out["control_users"].tolist() == [2, 2, 2, 2]
    assert out["treated_largest_share"].to_numpy() == pytest.approx([0.75, 40 / 60, 0.75, 0.5])
    assert out["treated_second_share"].to_numpy() == pytest.approx([0.25, 20 / 60, 0.25, 0.5])
    assert out["control_largest_share"].to_numpy() == pytest.approx(np.full(4, 2 / 3))


def test_one_cluster_has_no_interval():
    panel, members = _spec_panel()
    one = members.assign(cluster=1)
    out = monthly(panel, one, 2, 50, generator(1, "tests", "trajectory"), min_clusters=2)
    assert out["ci_low"].isna().all() and out["ci_high"].isna().all()
    assert out["difference_ppy"].notna().all()


def test_consecutive_months_are_required():
    panel, members = _spec_panel()
    gap = Panel(panel.row_ids, ("month_-2", "month_-1", "month_1", "month_2"), panel.columns, panel.amount, panel.days)
    with pytest.raises(ValueError, match="consecutive months"):
        monthly(gap, members, 2, 10, generator(1, "tests", "trajectory"))


def _pooled(months: pd.DataFrame, group: str) -> pd.Series:
    years = months[f"{group}_person_years"]
    value = (months[f"{group}_ppy"].fillna(0) * years).groupby(
        [months["key_type"], months["key"], months["measure"]]).sum()
    return value / years.groupby([months["key_type"], months["key"], months["measure"]]).sum()


def test_the_months_pooled_give_back_every_window_rate(evaluated):
    """For every column (services' events, units and £, agencies', the total), the months'
    rates pooled by person-time are the pre-period and post-window rates of the rtm table:
    the months tile each window, censoring included."""
    _, result = evaluated
    traj, rtm = result.trajectory, result.rtm
    assert traj is not None and traj["month"].min() == -12 and traj["month"].max() == 11
    keys = ["key_type", "key", "measure"]
    for window, (a, b) in {"pre": (-12, 0), "post_0_12": (0, 12), "post_0_8": (0, 8)}.items():
        part = traj[(traj["month"] >= a) & (traj["month"] < b)]
        ref = rtm[rtm["window"] == ("post_0_12" if window == "pre" else window)].set_index(keys)
        side = "pre" if window == "pre" else "post"
        for group in ("treated", "control"):
            got = _pooled(part, group).reindex(ref.index)
            want = ref[f"{group}_{side}_ppy"]
            assert np.allclose(got.to_numpy(float), want.to_numpy(float), rtol=1e-9, atol=1e-9, equal_nan=True), \
                (window, group)


def test_the_months_difference_averages_out_before_joining_and_has_intervals(evaluated):
    """Before joining, the months' differences pooled by the participants' person-time are
    close to zero (the pre-period difference is subtracted; the weights are the participants',
    so not exactly); every month has an interval around its estimate's bootstrap spread."""
    _, result = evaluated
    t = result.trajectory
    total = t[(t["key_type"] == "total") & (t["measure"] == "cost")].set_index("month")
    assert total["ci_low"].notna().all() and (total["ci_low"] <= total["ci_high"]).all()
    pre = total.loc[total.index < 0]
    pooled = (pre["difference_ppy"] * pre["treated_person_years"]).sum() / pre["treated_person_years"].sum()
    assert abs(pooled) < 0.1 * total["treated_ppy"].mean()
    assert (total["treated_users"] > 0).all() and (total["control_users"] > 0).all()
