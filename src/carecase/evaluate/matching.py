"""Propensity score, nearest-neighbour matching within a caliper, and covariate balance.

- Propensity: logistic regression on standardised covariates, by our own Newton fit
  (``fit_logistic``: it agrees with statsmodels' ``Logit`` and takes a third of its time on
  the evaluation's designs, benchmarks/bench_evaluate.py).
- Matching: for each treated row, the k nearest candidates *of its own risk set* on the
  logit propensity score, within ``caliper × SD(logit PS)`` (Austin 2011, Pharm Stat
  10:150 recommends 0.2), optionally with identical exact-match keys. Ties are broken by
  person_id then row_id. Without replacement, treated rows are served hardest first
  (highest PS) and a control person is used at most once.
- Balance (Austin 2009, Stat Med 28:3083): standardised mean difference
  ``(mean_t - mean_c) / sqrt((var_t + var_c) / 2)`` with weighted control moments, and the
  variance ratio ``var_t / var_c``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from carecase.core.errors import EvaluationError


def fit_logistic(design: np.ndarray, y: np.ndarray, ridge: float = 1e-6,
                 max_iter: int = 100, tol: float = 1e-10) -> np.ndarray:
    """Maximum-likelihood logistic regression by Newton–Raphson (iteratively reweighted
    least squares; McCullagh & Nelder 1989, §4.4), with a negligible ridge on the slopes so
    that separated data still converge. Returns the coefficients.

    When the first column is the intercept, it starts at the logit of the mean outcome (the
    intercept-only fit), and a step that lowers the penalised log-likelihood is halved, so
    that a rare outcome (a few hundred participants among a million candidate rows) takes
    about ten steps instead of seventeen from zero."""
    n, p = design.shape
    beta = np.zeros(p)
    ybar = float(np.mean(y)) if n else 0.0
    if n and 0.0 < ybar < 1.0 and np.all(design[:, 0] == 1.0):
        beta[0] = np.log(ybar / (1.0 - ybar))
    penalty = np.full(p, ridge * n)
    penalty[0] = 0.0

    def loglik(b: np.ndarray) -> float:
        eta = design @ b
        return float(np.sum(y * eta - np.logaddexp(0.0, eta)) - 0.5 * np.sum(penalty * b * b))

    current = loglik(beta)
    for _ in range(max_iter):
        eta = np.clip(design @ beta, -30, 30)
        mu = 1.0 / (1.0 + np.exp(-eta))
        grad = design.T @ (y - mu) - penalty * beta
        hess = _weighted_gram(design, np.sqrt(mu * (1.0 - mu))) + np.diag(penalty)
        step = np.linalg.solve(hess + 1e-12 * np.eye(p), grad)
        for _halving in range(30):
            trial = loglik(beta + step)
            if trial >= current - 1e-12 * abs(current):
                break
            step = step / 2.0
        current = trial
        beta = beta + step
        if np.max(np.abs(step)) < tol:
            break
    return beta


def _weighted_gram(x: np.ndarray, root_w: np.ndarray, block: int = 16_384) -> np.ndarray:
    """X'WX with W = diag(root_w²), summed over blocks of rows: each block's X·√W stays in
    cache, where one product over a million rows would first write a copy of X (4x slower)."""
    gram = np.zeros((x.shape[1], x.shape[1]))
    buffer = np.empty((min(block, len(x)), x.shape[1]))
    for lo in range(0, len(x), block):
        part = buffer[: min(block, len(x) - lo)]
        np.multiply(x[lo:lo + block], root_w[lo:lo + block, None], out=part)
        gram += part.T @ part
    return gram


def standardise(x: pd.DataFrame | np.ndarray) -> np.ndarray:
    """Columns centred and scaled to unit SD; constant columns dropped."""
    return standardise_columns(x)[0]


def standardise_columns(x: pd.DataFrame | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`standardise`, with the mask of the columns kept (those that vary). Each column
    is scaled on its own, so the columns of a subset of ``x`` standardised are the same
    columns of the whole standardised, to the last bit."""
    values = np.asarray(x, dtype=float)
    sd = values.std(axis=0)
    keep = sd > 1e-12
    kept = values[:, keep]
    kept -= kept.mean(axis=0)  # in place: ``kept`` is already a copy
    kept /= sd[keep]
    return kept, keep


def logit_propensity(x: pd.DataFrame, treated: np.ndarray) -> np.ndarray:
    """Logit of the fitted propensity score for every row of ``x``."""
    return logit_from_standardised(standardise(x), treated)


def logit_from_standardised(z: np.ndarray, treated: np.ndarray) -> np.ndarray:
    """:func:`logit_propensity` from covariates already standardised (:func:`standardise`)."""
    if treated.sum() == 0 or (~treated).sum() == 0:
        raise EvaluationError(
            "Propensity model needs treated and candidate controls; found "
            f"{int(treated.sum())} treated and {int((~treated).sum())} candidates. Check the "
            "programme register and evaluation.eligibility."
        )
    design = np.column_stack([np.ones(len(z)), z])
    return design @ fit_logistic(design, treated.astype(float))


def text_codes(values: np.ndarray) -> np.ndarray:
    """An integer per row, equal for equal values and ordered as the values are as text
    (person IDs, exact-match keys)."""
    return np.unique(np.asarray(values).astype(str), return_inverse=True)[1].astype(np.int64)


def nearest_neighbours(
    set_id: np.ndarray,
    row_id: np.ndarray,
    person: np.ndarray,
    treated: np.ndarray,
    logit: np.ndarray,
    exact: np.ndarray,
    k: int,
    caliper: float,
    replacement: bool,
    metric: np.ndarray | None = None,
) -> pd.DataFrame:
    """Matched sets: columns set_id, row_id, treated, weight (controls 1/n in the set).

    ``person`` holds person IDs, ties broken by their text order, or integer codes (such as
    :func:`text_codes`, cheaper when matching the same rows repeatedly), ties broken by
    their order. ``caliper`` is absolute on the logit scale (multiply the SD beforehand). Treated rows
    without any control in the caliper are left out (counted as unmatched by the caller).
    With ``metric`` (rows × p covariates, standardised and weighted), candidates inside the
    caliper are ranked by Euclidean distance on it instead — covariate-distance matching
    within propensity calipers (Rubin & Thomas 2000, JASA 95:573).
    """
    order = np.lexsort((row_id, set_id))
    set_s, row_s, treat_s = set_id[order], row_id[order], treated[order]
    logit_s, exact_s = logit[order], exact[order]
    person = np.asarray(person)
    person_s = (person if np.issubdtype(person.dtype, np.integer) else text_codes(person))[order]
    # ``used`` marks people already serving as a control (without replacement)
    used = np.zeros(int(person_s.max()) + 1 if len(person_s) else 0, dtype=bool)
    white_s = metric[order] if metric is not None else None
    bounds = np.flatnonzero(np.r_[True, set_s[1:] != set_s[:-1], True])
    groups = {int(set_s[bounds[i]]): (bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1)}
    t_idx = np.flatnonzero(treat_s)
    if not replacement:  # hardest first: highest propensity, then row_id
        t_idx = t_idx[np.lexsort((row_s[t_idx], -logit_s[t_idx]))]
    out_set, out_row, out_w = [], [], []
    for ti in t_idx:  # one pass per treated row (a few hundred), vectorised over candidates
        lo, hi = groups[int(set_s[ti])]
        cand = np.arange(lo, hi)
        cand = cand[~treat_s[cand] & (exact_s[cand] == exact_s[ti])]
        dist = np.abs(logit_s[cand] - logit_s[ti])
        inside = dist <= caliper
        if not replacement:
            inside &= ~used[person_s[cand]]
        cand, dist = cand[inside], dist[inside]
        if not len(cand):
            continue
        if white_s is not None:
            dist = np.sqrt(((white_s[cand] - white_s[ti]) ** 2).sum(axis=1))
        pick = cand[np.lexsort((row_s[cand], person_s[cand], dist))][:k]
        if not replacement:
            used[person_s[pick]] = True
        out_set += [set_s[ti]] * (len(pick) + 1)
        out_row += [row_s[ti], *row_s[pick].tolist()]
        out_w += [1.0] + [1.0 / len(pick)] * len(pick)
    frame = pd.DataFrame({
        "set_id": np.asarray(out_set, dtype="int64"),
        "row_id": np.asarray(out_row, dtype="int64"),
        "weight": np.asarray(out_w, dtype=float),
    })
    frame["treated"] = frame["set_id"] == frame["row_id"]
    return frame.sort_values(["set_id", "treated", "row_id"], ascending=[True, False, True],
                             kind="stable").reset_index(drop=True)


def column_moments(x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted mean and (reliability-weighted, unbiased) variance of each column of ``x``
    (rows × columns); equal weights give the ordinary sample mean and ``ddof=1`` variance."""
    x = np.asarray(x, float).reshape(len(w), -1)
    w = np.asarray(w, float)
    sw = w.sum()
    mean = w @ x / sw
    denom = sw - (w**2).sum() / sw
    if denom <= 0:
        return mean, np.zeros(x.shape[1])
    dev = x - mean
    dev *= dev  # squared in place: one rows × columns temporary, not two
    return mean, w @ dev / denom


def pooled_sd(v_t: np.ndarray, v_c: np.ndarray) -> np.ndarray:
    """The standard deviation an SMD divides by: √((s²_t + s²_c) / 2) (Austin 2009, eq. 1)."""
    return np.sqrt((v_t + v_c) / 2.0)


def _smd_vr(m_t: np.ndarray, v_t: np.ndarray, m_c: np.ndarray, v_c: np.ndarray,
            ) -> tuple[np.ndarray, np.ndarray]:
    """Standardised mean differences and variance ratios from the groups' moments."""
    pooled = pooled_sd(v_t, v_c)
    diff = m_t - m_c
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(pooled > 0, diff / pooled, np.where(diff == 0, 0.0, np.sign(diff) * np.inf))
        vr = np.where(v_c > 0, v_t / v_c, np.where(v_t == 0, 1.0, np.inf))
    return s, vr


def smd(x_t: np.ndarray, x_c: np.ndarray, w_c: np.ndarray | None = None) -> float:
    """Standardised mean difference (Austin 2009, eq. 1; binary variables give eq. 2 when
    the variance is p(1-p) — here the sample variance is used for both)."""
    w_c = np.ones(len(x_c)) if w_c is None else w_c
    m_t, v_t = column_moments(np.asarray(x_t, float)[:, None], np.ones(len(x_t)))
    m_c, v_c = column_moments(np.asarray(x_c, float)[:, None], w_c)
    return float(_smd_vr(m_t, v_t, m_c, v_c)[0][0])


def variance_ratio(x_t: np.ndarray, x_c: np.ndarray, w_c: np.ndarray | None = None) -> float:
    w_c = np.ones(len(x_c)) if w_c is None else w_c
    m_t, v_t = column_moments(np.asarray(x_t, float)[:, None], np.ones(len(x_t)))
    m_c, v_c = column_moments(np.asarray(x_c, float)[:, None], w_c)
    return float(_smd_vr(m_t, v_t, m_c, v_c)[1][0])


def _balance_rows(stage: str, names: list[str], xt: np.ndarray, xc: np.ndarray, wc: np.ndarray,
                  threshold: float) -> pd.DataFrame:
    if len(xt) == 0 or len(xc) == 0:
        return pd.DataFrame()
    m_t, v_t = column_moments(xt, np.ones(len(xt)))
    m_c, v_c = column_moments(xc, wc)
    s, vr = _smd_vr(m_t, v_t, m_c, v_c)
    return pd.DataFrame({
        "covariate": names, "stage": stage, "mean_treated": m_t, "mean_control": m_c,
        "smd": s, "variance_ratio": vr, "imbalanced": np.abs(s) >= threshold,
        "n_treated": len(xt), "n_control": len(xc),
        # a 0/1 covariate: its SMD and variance ratio are functions of the group sizes and
        # how many have it (the report needs to know, docs/report.md)
        "binary": _zero_one(xt) & _zero_one(xc),
    })


def _zero_one(x: np.ndarray) -> np.ndarray:
    """Per column: does every row hold 0 or 1?"""
    x = np.asarray(x, float).reshape(len(x), -1)
    return np.all((x == 0) | (x == 1), axis=0)


def balance_before(x: pd.DataFrame, treated: np.ndarray, threshold: float) -> pd.DataFrame:
    """Balance before matching: treated vs every candidate (the same for every attempt)."""
    values = x.to_numpy(float)
    c = values[~treated]
    return _balance_rows("before", list(x.columns), values[treated], c, np.ones(len(c)), threshold)


def balance_table(
    x: pd.DataFrame,
    treated: np.ndarray,
    matched: pd.DataFrame,
    threshold: float,
    before: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Balance before (treated vs every candidate; ``before`` when already computed) and
    after matching (matched treated vs weighted matched controls) for each covariate in
    ``x`` (indexed by row_id)."""
    if before is None:
        before = balance_before(x, treated, threshold)
    mt = matched[matched["treated"]]
    mc = matched[~matched["treated"]]
    xt = x.loc[mt["row_id"].to_numpy()].to_numpy(float)
    xc = x.loc[mc["row_id"].to_numpy()].to_numpy(float)
    after = _balance_rows("after", list(x.columns), xt, xc, mc["weight"].to_numpy(float), threshold)
    return (pd.concat([f for f in (after, before) if len(f)], ignore_index=True)
            .sort_values(["stage", "covariate"], kind="stable").reset_index(drop=True))
