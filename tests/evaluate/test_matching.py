"""Propensity model, nearest-neighbour matching and balance diagnostics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st

from carecase.core.random import generator
from carecase.evaluate import matching


def test_smd_known_answer_continuous():
    """Austin 2009 (Stat Med 28:3083), eq. 1: d = (x̄_t − x̄_c) / sqrt((s²_t + s²_c)/2).
    Treated 1,2,3 (mean 2, s²=1); controls 2,4,6 (mean 4, s²=4): d = −2/sqrt(2.5)."""
    assert matching.smd(np.array([1.0, 2, 3]), np.array([2.0, 4, 6])) == pytest.approx(-2 / np.sqrt(2.5))
    assert matching.variance_ratio(np.array([1.0, 2, 3]), np.array([2.0, 4, 6])) == pytest.approx(0.25)


def test_smd_known_answer_binary():
    """Austin 2009, eq. 2 with sample variances: p_t = 0.5 (n=4, s²=1/3), p_c = 0.25
    (n=4, s²=0.25): d = 0.25 / sqrt((1/3 + 1/4)/2)."""
    d = matching.smd(np.array([1.0, 1, 0, 0]), np.array([1.0, 0, 0, 0]))
    assert d == pytest.approx(0.25 / np.sqrt((1 / 3 + 0.25) / 2))


def test_weighted_smd_known_answer():
    """Weighted control moments: mean Σwx/Σw, variance Σw(x−m)²/(Σw − Σw²/Σw).
    Controls 1,2 with weights 2,1: mean 4/3, variance (2/3)/(4/3) = 1/2; treated 1,3,4:
    mean 8/3, variance 7/3 → d = (4/3)/sqrt((7/3 + 1/2)/2)."""
    t = np.array([1.0, 3, 4])
    d_w = matching.smd(t, np.array([1.0, 2]), np.array([2.0, 1.0]))
    assert d_w == pytest.approx((4 / 3) / np.sqrt((7 / 3 + 0.5) / 2))
    # scaling every weight leaves it unchanged; equal weights = unweighted
    assert matching.smd(t, np.array([1.0, 2]), np.array([1.0, 0.5])) == pytest.approx(d_w)
    assert matching.smd(t, np.array([1.0, 2]), np.array([0.5, 0.5])) == pytest.approx(
        matching.smd(t, np.array([1.0, 2])))


def test_variance_ratio_when_the_controls_do_not_vary():
    """The variance ratio is s²_t / s²_c (Austin 2009, Stat Med 28:3083). Where the controls'
    variance is 0 the ratio has no finite value, and the balance table says so: +inf when the
    participants vary (1,2,3: s² = 1), never a finite number that would read as balanced or as
    a small imbalance; 1 when neither group varies (equal spread, nothing to rescale), never
    0/0 = nan. The controls' variance is 0 when they share one value, when there is a single
    control, and when one weight carries them all (Σw − Σw²/Σw = 0, column_moments). The SMD
    beside it keeps the same convention for the means: ±inf, 0 when they are equal."""
    t = np.array([1.0, 2, 3])
    assert matching.variance_ratio(t, np.array([5.0, 5, 5])) == np.inf
    assert matching.variance_ratio(t, np.array([4.0])) == np.inf
    assert matching.variance_ratio(t, np.array([4.0, 9.0]), np.array([1.0, 0.0])) == np.inf
    assert matching.variance_ratio(np.array([2.0, 2, 2]), np.array([5.0, 5])) == 1.0
    assert matching.variance_ratio(np.array([2.0]), np.array([2.0])) == 1.0
    assert matching.smd(np.array([2.0, 2, 2]), np.array([5.0, 5])) == -np.inf
    assert matching.smd(np.array([2.0, 2, 2]), np.array([2.0, 2])) == 0.0
    # the balance table's rows use the same rule, column by column
    x = pd.DataFrame({"varies": [1.0, 2, 3, 5, 5, 5], "constant": [2.0, 2, 2, 5, 5, 5]}, index=range(6))
    treated = np.array([True, True, True, False, False, False])
    members = pd.DataFrame({"set_id": [0, 0, 1, 1, 2, 2], "row_id": [0, 3, 1, 4, 2, 5],
                            "weight": [1.0] * 6, "treated": treated[[0, 3, 1, 4, 2, 5]]})
    bal = matching.balance_table(x, treated, members, 0.1).query("stage == 'after'").set_index("covariate")
    assert bal.loc["varies", "variance_ratio"] == np.inf and bal.loc["constant", "variance_ratio"] == 1.0


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-100, 100), min_size=3, max_size=20),
       st.lists(st.floats(-100, 100), min_size=3, max_size=20),
       st.floats(0.1, 10), st.floats(-50, 50))
def test_smd_invariant_to_affine_change(t, c, scale, shift):
    t, c = np.array(t), np.array(c)
    if np.std(t) + np.std(c) < 1e-3:
        return
    a = matching.smd(t, c)
    b = matching.smd(t * scale + shift, c * scale + shift)
    assert b == pytest.approx(a, rel=1e-6, abs=1e-9)
    assert matching.smd(c, t) == pytest.approx(-a, rel=1e-9, abs=1e-12)


def test_logistic_fit_matches_statsmodels():
    """Newton–Raphson ML logistic regression equals statsmodels Logit."""
    rng = generator(5, "logit-test")
    x = rng.normal(size=(500, 3))
    y = (rng.random(500) < 1 / (1 + np.exp(-(0.5 + x @ np.array([1.0, -0.5, 0.2]))))).astype(float)
    design = np.column_stack([np.ones(500), x])
    ours = matching.fit_logistic(design, y, ridge=0.0)
    ref = sm.Logit(y, design).fit(disp=0).params
    np.testing.assert_allclose(ours, ref, rtol=1e-6, atol=1e-8)


def test_logistic_fit_of_a_rare_outcome_with_skewed_covariates_matches_statsmodels():
    """The evaluation's regime: a few hundred participants among tens of thousands of
    candidate rows, with count covariates (log1p, heavy-tailed). The fit starts from the intercept-only model and halves steps that lower the likelihood;
    it must land where statsmodels' Newton does, and more rows than one block of the
    weighted X'WX (16,384) must give the same answer."""
    rng = generator(5, "logit-rare")
    n = 40_000
    x = np.column_stack([np.log1p(rng.negative_binomial(1, 0.2, n)), rng.normal(size=n),
                         np.log1p(rng.poisson(0.3, n))])
    eta = -6.5 + x @ np.array([0.8, -0.4, 1.2])
    y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    assert 50 < y.sum() < 400
    design = np.column_stack([np.ones(n), (x - x.mean(axis=0)) / x.std(axis=0)])
    ours = matching.fit_logistic(design, y, ridge=0.0)
    ref = sm.Logit(y, design).fit(disp=0, method="newton", tol=1e-12, maxiter=100).params
    np.testing.assert_allclose(ours, ref, rtol=1e-6, atol=1e-6)


def _sets():
    # one treated (row 0) with candidates 1..4 in set 0; one treated (row 5) with 6..7 in set 5
    set_id = np.array([0, 0, 0, 0, 0, 5, 5, 5])
    row_id = np.arange(8)
    person = np.array(["t1", "a", "b", "c", "d", "t2", "a", "e"])
    treated = np.array([1, 0, 0, 0, 0, 1, 0, 0], bool)
    logit = np.array([1.0, 1.3, 0.7, 2.0, 1.05, 0.5, 0.52, 0.9])
    return set_id, row_id, person, treated, logit, np.full(8, "")


def test_nearest_neighbour_with_replacement_ties_and_caliper():
    set_id, row_id, person, treated, logit, exact = _sets()
    m = matching.nearest_neighbours(set_id, row_id, person, treated, logit, exact, 2, 0.31, True)
    # set 0: distances d .05, then a .3 and b .3 tied → person a; c is outside the caliper
    assert m[m.set_id == 0].row_id.tolist() == [0, 1, 4]
    assert m[m.set_id == 0].weight.tolist() == [1.0, 0.5, 0.5]
    # set 5: a (.02) then e (.4 > caliper) → a only, weight 1
    assert m[m.set_id == 5].row_id.tolist() == [5, 6]


def test_nearest_neighbour_without_replacement_uses_each_person_once():
    set_id, row_id, person, treated, logit, exact = _sets()
    m = matching.nearest_neighbours(set_id, row_id, person, treated, logit, exact, 1, 0.5, False)
    # hardest first: t1 (logit 1.0) takes d; t2 takes a (row 6)
    assert m[~m.treated].row_id.tolist() == [4, 6]
    m2 = matching.nearest_neighbours(set_id, row_id, person, treated,
                                     np.array([1.0, 1.3, 0.7, 2.0, 1.5, 0.5, 0.52, 0.9]),
                                     exact, 1, 0.5, False)
    # now t1 takes a (0.3); t2 cannot reuse person a → e is outside 0.5? |0.9-0.5| = .4 → e
    assert m2[~m2.treated].row_id.tolist() == [1, 7]


@pytest.mark.parametrize("replacement", [True, False])
def test_text_codes_give_the_same_matches_as_person_ids(replacement):
    """Integer codes (computed once, reused across attempts) keep the IDs' text order as the
    tie-break: "p10" sorts before "p9", as the IDs themselves do."""
    rng = generator(7)
    n = 400
    set_id = np.repeat(np.arange(0, n, 20), 20)
    person = np.array([f"p{i}" for i in rng.integers(0, 60, n)])
    treated = np.arange(n) % 20 == 0
    logit = np.round(rng.normal(size=n), 1)  # coarse, so that ties are common
    exact = np.full(n, "")
    codes = matching.text_codes(person)
    assert matching.text_codes(np.array(["p9", "p10", "p9"])).tolist() == [1, 0, 1]
    by_id = matching.nearest_neighbours(set_id, np.arange(n), person, treated, logit, exact, 2, 0.3, replacement)
    by_code = matching.nearest_neighbours(set_id, np.arange(n), codes, treated, logit, exact, 2, 0.3, replacement)
    assert len(by_id) > 20
    pd.testing.assert_frame_equal(by_id, by_code)


def test_exact_matching_restricts_candidates():
    set_id, row_id, person, treated, logit, _ = _sets()
    exact = np.array(["F", "F", "M", "M", "M", "M", "F", "M"])
    m = matching.nearest_neighbours(set_id, row_id, person, treated, logit, exact, 1, 5.0, True)
    assert m[~m.treated].row_id.tolist() == [1, 7]


def test_balance_table_before_after():
    x = pd.DataFrame({"v": [1.0, 3.0, 0.0, 1.0, 3.0]}, index=pd.Index([0, 1, 2, 3, 4], name="row_id"))
    treated = np.array([True, True, False, False, False])
    members = pd.DataFrame({"set_id": [0, 0, 1, 1], "row_id": [0, 3, 1, 4],
                            "weight": [1.0, 1.0, 1.0, 1.0], "treated": [True, False, True, False]})
    bal = matching.balance_table(x, treated, members, 0.1)
    after = bal[bal.stage == "after"].iloc[0]
    assert after["smd"] == 0.0 and not after["imbalanced"]
    before = bal[bal.stage == "before"].iloc[0]
    # Austin (2009) eq. 1 by hand: treated 1, 3 (mean 2, var 2); pool 0, 1, 3 (mean 4/3,
    # var 7/3): (2 − 4/3) / sqrt((2 + 7/3) / 2) = 0.45291
    assert before["smd"] == pytest.approx((2 - 4 / 3) / np.sqrt((2 + 7 / 3) / 2))
    assert before["smd"] == pytest.approx(0.452911, abs=1e-6)
    assert before["imbalanced"]


def test_a_tie_goes_to_the_first_person_id_then_row_and_the_caliper_is_inclusive():
    """A test review found the tie above broken the same way by row order and person order, so
    swapping the two keys passed, and no candidate sat on the caliper, so '<' for '<=' passed.
    Here row 1 is person b and row 2 person a, 0.3 away each: person a (row 2) is taken. With
    binary-exact logits a candidate exactly one caliper away (1.0 to 1.25, caliper 0.25) is in."""
    set_id, row_id, person, treated, logit, exact = _sets()
    person = person.copy()
    person[1], person[2] = "b", "a"
    m = matching.nearest_neighbours(set_id, row_id, person, treated, logit, exact, 2, 0.31, True)
    assert m[m.set_id == 0].row_id.tolist() == [0, 2, 4]
    edge = matching.nearest_neighbours(np.zeros(3, int), np.arange(3), np.array(["t", "x", "y"]),
                                       np.array([True, False, False]), np.array([1.0, 1.25, 1.25 + 2**-20]),
                                       np.full(3, ""), 2, 0.25, True)
    assert edge.row_id.tolist() == [0, 1]
