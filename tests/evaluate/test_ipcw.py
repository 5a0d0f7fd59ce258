"""``matching.ipcw``: inverse-probability-of-censoring weights for controls censored at their
own programme start (``evaluate.ipcw``).

Known answer, inline table (the weighting of Robins & Finkelstein 2000, Biometrics 56:779,
in the discrete-time form of Hernán & Robins, *Causal Inference: What If*, §12.2 and §17.3):
eight controls, four with a recent crisis (L = 1) and four without (L = 0). In month 0 two of
the four with L = 1 start the programme (and are censored from month 1), one of the four
with L = 0. In month 1 each L = 0 control has 1 event and each L = 1 control 5, so had nobody
been censored the month-1 rate would be (4 × 1 + 4 × 5) / 8 = 3. The controls still followed
give (3 × 1 + 2 × 5) / 5 = 2.6: too low, because crisis controls leave. With the censoring
model saturated in L, ĥ(L=0) = 1/4 and ĥ(L=1) = 1/2, the month-1 weights are 1/(1 − ĥ) =
4/3 and 2, and the weighted rate is (3 × 4/3 × 1 + 2 × 2 × 5) / (3 × 4/3 + 2 × 2) = 24 / 8 = 3.
Stabilised by the marginal hazard 3/8 the weights are (5/8)/(3/4) = 5/6 and (5/8)/(1/2) = 5/4,
and the weighted rate is still 3.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carecase.evaluate import ipcw
from carecase.evaluate.api import EvaluationResult, evaluate_project
from carecase.evaluate.ipcw import censoring_weights, cumulative_weights

from .conftest import evaluation_config, load_area
from .synthetic import START, Area

L = np.array([0, 0, 0, 0, 1, 1, 1, 1])
CENSORED = np.array([0, 0, 0, 1, 0, 0, 1, 1])  # starts the programme in month 0
MONTH1_EVENTS = np.where(L == 1, 5.0, 1.0)


def _frame() -> pd.DataFrame:
    """Two months per control: month 0 (everyone at risk) and month 1 (those not censored)."""
    n = len(L)
    return pd.DataFrame({
        "row_id": np.repeat(np.arange(n), 2), "month": np.tile([0, 1], n),
        "at_risk": np.column_stack([np.ones(n, bool), CENSORED == 0]).ravel(),
        "event": np.column_stack([CENSORED, np.zeros(n)]).ravel().astype(float),
        "crisis": np.repeat(L, 2).astype(float),
    })


@pytest.mark.parametrize(("stabilise", "expected"), [(False, {0: 4 / 3, 1: 2.0}), (True, {0: 5 / 6, 1: 5 / 4})])
def test_known_answer(stabilise: bool, expected: dict[int, float]) -> None:
    f = _frame()
    w = censoring_weights(f, ["crisis"], truncate=1.0, stabilise=stabilise)
    m1 = (f["month"] == 1).to_numpy()
    followed = m1 & f["at_risk"].to_numpy()
    np.testing.assert_allclose(w[followed], [expected[x] for x in L[CENSORED == 0]], rtol=1e-4)  # the fit's negligible ridge (matching.fit_logistic)
    np.testing.assert_allclose(w[~m1], 1.0)  # nobody is censored before month 0
    y = MONTH1_EVENTS[f.loc[followed, "row_id"].to_numpy()]
    assert np.sum(y) / followed.sum() == pytest.approx(2.6)  # unweighted: crisis controls left
    assert np.sum(w[followed] * y) / np.sum(w[followed]) == pytest.approx(3.0, rel=1e-4)


def test_cumulative_weights_multiply_the_months_before() -> None:
    f = pd.DataFrame({"row_id": [7, 7, 7, 3], "month": [2, 0, 1, 0]})
    h = np.array([0.5, 0.2, 0.5, 0.9])
    np.testing.assert_allclose(cumulative_weights(f, h, np.zeros(4)), [1 / (0.8 * 0.5), 1.0, 1 / 0.8, 1.0])


def test_truncated_at_the_quantile() -> None:
    f = _frame()
    w = censoring_weights(f, ["crisis"], truncate=0.5, stabilise=False)
    risk = f["at_risk"].to_numpy()
    assert w[risk].max() == pytest.approx(np.quantile(censoring_weights(f, ["crisis"], 1.0, False)[risk], 0.5))


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 12), months=st.integers(1, 6), seed=st.integers(0, 2**16))
def test_weights_are_one_when_nobody_is_censored(n: int, months: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    f = pd.DataFrame({"row_id": np.repeat(np.arange(n), months), "month": np.tile(np.arange(months), n),
                      "at_risk": rng.random(n * months) < 0.9, "event": 0.0,
                      "x": rng.poisson(2.0, n * months).astype(float)})
    np.testing.assert_array_equal(censoring_weights(f, ["x"]), 1.0)


def _matched(small_area: Area, **kw: object) -> EvaluationResult:
    engine = load_area(small_area)
    try:
        res = evaluate_project(engine, evaluation_config(**kw), 2024, period=(START, small_area.period_end))
    finally:
        engine.close()
    return res


def test_weights_of_one_give_the_default(small_area, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """The post windows rebuilt from the months (weights 1) are the windows themselves."""
    base = _matched(small_area)
    monkeypatch.setattr(ipcw, "censoring_weights", lambda frame, covs: np.ones(len(frame)))
    ones = _matched(small_area, matching={"ipcw": True})
    assert ones.meta["ipcw"]["censored"] > 0  # some controls start later: the test bites
    cols = ["control_post_ppy", "effect_ppy", "ci_low", "ci_high"]
    pd.testing.assert_frame_equal(ones.matched[cols], base.matched[cols], rtol=1e-9)
    pd.testing.assert_frame_equal(ones.rate_ratios, base.rate_ratios, rtol=1e-9)
    monkeypatch.undo()
    weighted = _matched(small_area, matching={"ipcw": True})
    assert weighted.meta["ipcw"]["weight_max"] > 1.0
    assert not np.allclose(weighted.matched["control_post_ppy"], base.matched["control_post_ppy"])
    assert (weighted.matched["treated_post_ppy"] == base.matched["treated_post_ppy"]).all()
