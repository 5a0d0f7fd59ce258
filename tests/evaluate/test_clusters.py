"""Matched sets that share a person are one bootstrap cluster (evaluate.clusters)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carecase.core.random import generator
from carecase.evaluate.clusters import shared_person_clusters
from carecase.evaluate.estimates import matched_did
from carecase.evaluate.panel import Panel
from carecase.evaluate.ratemodels import rate_ratios

YEAR = 365.25


def test_known_clusters_and_transitivity():
    """Sets 10 and 30 share person "p"; 30 and 40 share "q" (so 10, 30, 40 are one cluster,
    named by its smallest set); set 20 stands alone."""
    set_id = np.array([10, 10, 20, 20, 30, 30, 30, 40, 40])
    person = np.array(["a", "p", "b", "c", "d", "p", "q", "e", "q"])
    assert shared_person_clusters(set_id, person).tolist() == [10, 10, 20, 20, 10, 10, 10, 10, 10]


def test_empty():
    assert shared_person_clusters(np.array([], dtype=int), np.array([])).size == 0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 12), st.integers(0, 15)), min_size=1, max_size=40),
       st.randoms(use_true_random=False))
def test_cluster_invariants(pairs, rnd):
    set_id = np.array([s for s, _ in pairs])
    person = np.array([f"p{p}" for _, p in pairs])
    label = shared_person_clusters(set_id, person)
    frame = pd.DataFrame({"s": set_id, "p": person, "c": label})
    # one label per set, one per person, and each label is the smallest set in its cluster
    assert (frame.groupby("s")["c"].nunique() == 1).all()
    assert (frame.groupby("p")["c"].nunique() == 1).all()
    assert (frame.groupby("c")["s"].min() == frame.groupby("c")["s"].min().index).all()
    # labels do not depend on row order
    order = list(range(len(pairs)))
    rnd.shuffle(order)
    again = shared_person_clusters(set_id[order], person[order])
    assert again.tolist() == label[order].tolist()
    # nobody in two sets: the clusters are the sets
    if frame.groupby("p")["s"].nunique().max() == 1:
        assert label.tolist() == set_id.tolist()


def _design(rng: np.random.Generator, n_t: int, reuse: int) -> tuple[Panel, pd.DataFrame]:
    """``n_t`` treated (Poisson 10 a year before and after); each control person serves
    ``reuse`` consecutive sets (one row per set, the same service use, as at nearby index
    dates) with a person-level rate after the index date (Gamma mean 10, SD 7) so that
    reusing one control repeats a large part of the noise."""
    n_c = n_t // reuse
    t_amt = rng.poisson(10.0, (n_t, 2)).astype(float)
    c_pre = rng.poisson(10.0, n_c).astype(float)
    c_post = rng.poisson(rng.gamma(2.0, 5.0, n_c)).astype(float)
    owner = np.arange(n_t) // reuse
    c_amt = np.column_stack([c_pre[owner], c_post[owner]])
    amount = np.concatenate([t_amt, c_amt])[:, :, None]
    n = 2 * n_t
    cols = pd.DataFrame({"key_type": ["service"], "key": ["AE_ATTEND"], "measure": ["events"]})
    panel = Panel(np.arange(n), ("pre", "post_0_12"), cols, amount, np.full((n, 2), YEAR))
    sets = np.arange(n_t)
    members = pd.DataFrame({"set_id": np.r_[sets, sets], "row_id": np.arange(n), "weight": 1.0,
                            "treated": np.r_[np.ones(n_t, bool), np.zeros(n_t, bool)]})
    person = np.r_[[f"t{i}" for i in range(n_t)], [f"c{j}" for j in owner]]
    members["cluster"] = shared_person_clusters(members["set_id"].to_numpy(), person)
    return panel, members


def test_cluster_bootstrap_matches_the_estimators_spread_when_controls_are_reused():
    """Known answer for the interval's width. Each control person is in two matched sets.
    Per set, the treated change (post − pre) has variance 10 + 10 = 20 and a control's has
    10 + (10 + 2 × 5²) = 70 (Poisson–gamma: Var = mean + Var(rate)), so with 60 sets the DiD
    has variance 20/60 + 70/30 (each control's change counts twice), SD 1.633. Resampling
    sets as if independent gives about sqrt(20/60 + 70/60) = 1.225, 25% too narrow (Abadie &
    Imbens 2008, Econometrica 76:1537); resampling the clusters that join them recovers the
    SD, as does the spread of the estimates over 300 replications."""
    rng = generator(21, "clusters", "monte-carlo")
    est, se_cluster, se_sets = [], [], []
    for _ in range(300):
        panel, members = _design(rng, 60, 2)
        m, _ = matched_did(panel, members, 200, rng)
        s, _ = matched_did(panel, members.drop(columns="cluster"), 200, rng)
        est.append(m.iloc[0]["effect_ppy"])
        se_cluster.append(m.iloc[0]["se"])
        se_sets.append(s.iloc[0]["se"])
        assert s.iloc[0]["effect_ppy"] == m.iloc[0]["effect_ppy"]  # only the interval changes
    true_sd = np.sqrt(20 / 60 + 70 / 30)

    def rms(x: list[float]) -> float:
        return float(np.sqrt(np.mean(np.square(x))))

    assert float(np.std(est, ddof=1)) == pytest.approx(true_sd, rel=0.15)
    assert rms(se_cluster) == pytest.approx(true_sd, rel=0.06)
    assert rms(se_sets) == pytest.approx(np.sqrt(20 / 60 + 70 / 60), rel=0.06)


def test_no_shared_person_leaves_the_interval_unchanged():
    """When nobody is in two sets the clusters are the sets: same draws, same bytes."""
    panel, members = _design(generator(5, "clusters", "one-each"), 40, 1)
    assert (members["cluster"] == members["set_id"]).all()
    with_c, _ = matched_did(panel, members, 300, generator(1, "same"))
    without, _ = matched_did(panel, members.drop(columns="cluster"), 300, generator(1, "same"))
    pd.testing.assert_frame_equal(with_c.drop(columns="n_clusters"), without.drop(columns="n_clusters"))
    assert with_c["n_clusters"].iloc[0] == 40


def test_rate_ratio_sandwich_clusters_on_shared_people():
    """The Poisson GLM's cluster-robust errors use the same clusters: declaring that each
    control serves two sets widens the interval; the rate ratio itself is unchanged."""
    panel, members = _design(generator(9, "clusters", "glm"), 80, 2)
    merged = rate_ratios(panel, members).iloc[0]
    by_set = rate_ratios(panel, members.drop(columns="cluster")).iloc[0]
    assert merged["rate_ratio"] == pytest.approx(by_set["rate_ratio"], rel=1e-12)
    width = np.log(merged["rr_ci_high"] / merged["rr_ci_low"])
    assert width > 1.1 * np.log(by_set["rr_ci_high"] / by_set["rr_ci_low"])
