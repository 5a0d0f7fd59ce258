"""Naive before/after and matched difference-in-differences, per person per year.

Rates are ratio estimators: summed amount / summed observed person-years of a group.

- Naive (treated only): ``post - pre``; 95% CI by the percentile bootstrap over treated
  people; per-person rate changes tested with the paired t-test (``scipy.stats.ttest_rel``)
  and the Wilcoxon signed-rank test (``scipy.stats.wilcoxon``, zero differences dropped
  before ranking: Wilcoxon's own rule and the default of scipy and R's ``wilcox.test``, pinned
  here; the test then rests on the people whose rate changed).
- Matched DiD: ``(post_T - pre_T) - (post_C - pre_C)`` with control amounts weighted
  (1/k within a set; a control reused with replacement counts once per set); 95% CI by the
  percentile cluster bootstrap over matched sets (Austin & Small 2014, Stat Med 33:4306),
  sets that share a person resampled together as one cluster (``evaluate.clusters``),
  vectorised as multinomial resampling counts × per-cluster sums. The bootstrap also gives the
  ratio-of-ratios ``(post_T/pre_T) / (post_C/pre_C)``.
- Regression to the mean: the comparison group's own pre→post change beside the treated's.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from carecase.evaluate.panel import (
    DAYS_PER_YEAR,
    Panel,
    cluster_sums,
    rates,
    resample_counts,
    set_sums,
)
from carecase.evaluate.power import minimum_detectable_effect
from carecase.evaluate.shares import (
    largest_change_shares,
    largest_shares,
    largest_step_shares,
    share_columns,
)

# A cluster bootstrap resamples clusters: with one (every matched set joined to the others
# through shared people) every resample is the sample, and the "interval" has no width. Below
# this many clusters the matched intervals, standard errors and MDEs are not estimated.
MIN_CLUSTERS = 2
# Below this many, intervals from resampling clusters are too narrow (Cameron & Miller 2015,
# J Hum Resour 50:317, section VI, "few clusters"): estimated, with a warning.
FEW_CLUSTERS = 20


def percentile_ci(draws: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap interval along axis 0 (NaN draws ignored)."""
    alpha = (1 - level) / 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanquantile(draws, alpha, axis=0), np.nanquantile(draws, 1 - alpha, axis=0)


def ratio_percentile_ci(draws: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of a ratio's bootstrap draws, infinite draws included (a resample
    with no control events after gives +inf), as the percentile bootstrap says (Efron &
    Tibshirani 1993, ch. 13): a limit is +inf when the quantile (numpy's linear interpolation
    between order statistics) takes any weight from an infinite draw, as it does on the raw
    draws. With 1,000 draws the 97.5% limit is +inf from 25 infinite draws on. Only undefined
    draws (0/0) are left out."""
    draws = np.asarray(draws, dtype=float)
    finite = np.where(np.isposinf(draws), np.nan, draws)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        top = np.nanmax(finite, axis=0)  # the largest finite draw of each column
    big = np.finfo(float).max / 4
    lo, hi = percentile_ci(np.where(np.isposinf(draws), big, draws), level)
    # interpolating between finite draws never passes the largest one: beyond it, the
    # quantile leaned on an infinite draw
    beyond_lo = np.isposinf(draws).any(axis=0) & ~(lo <= top)
    beyond_hi = np.isposinf(draws).any(axis=0) & ~(hi <= top)
    return np.where(beyond_lo, np.inf, lo), np.where(beyond_hi, np.inf, hi)


def bootstrap_mean_ci(x: np.ndarray, draws: int, rng: np.random.Generator,
                      level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap CI of a mean (same method as ``scipy.stats.bootstrap(...,
    method='percentile')``), vectorised with resampling counts."""
    x = np.asarray(x, float)
    means = resample_counts(len(x), draws, rng) @ x / len(x)
    lo, hi = percentile_ci(means, level)
    return float(lo), float(hi)


def users(panel: Panel, row_ids: np.ndarray, persons: np.ndarray | None = None) -> np.ndarray:
    """Distinct people among ``row_ids`` with any use (a non-zero amount) before or in each
    post window, per column: (post windows, columns). ``persons`` (aligned with
    ``panel.row_ids``) maps rows to people, so a control matched at two index dates counts
    once; without it each row is a person. An estimate resting on a few users gives their
    own use back (mean × participants), so the report withholds it (docs/report.md)."""
    row_ids = np.unique(row_ids)
    pos = panel.position(row_ids)
    a = panel.amount[pos]
    return people_using((a[:, :1, :] != 0) | (a[:, 1:, :] != 0), pos, persons)  # rows × post windows × columns


def people_using(used: np.ndarray, pos: np.ndarray, persons: np.ndarray | None) -> np.ndarray:
    """How many distinct people have ``used`` true (rows first: the panel rows at ``pos``),
    per cell of the other axes; ``persons`` (aligned with the panel's rows) maps rows to
    people, so a person's two rows count once; without it each row is a person."""
    if persons is None:
        return used.sum(axis=0)
    _, who = np.unique(np.asarray(persons)[pos].astype(str), return_inverse=True)
    per_person = np.zeros((int(who.max()) + 1 if who.size else 0, *used.shape[1:]), dtype=bool)
    np.logical_or.at(per_person, who, used)
    return per_person.sum(axis=0)


def tidy_frame(panel: Panel, windows: Sequence[str | int], values: dict[str, np.ndarray], label: str = "window") -> pd.DataFrame:
    """Tidy (window × column) frame from arrays shaped (windows, Q); the windows' names in the
    column ``label``."""
    parts = []
    for i, w in enumerate(windows):
        part = panel.columns.copy()
        part.insert(0, label, w)
        for name, arr in values.items():
            part[name] = arr[i]
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


#: differences whose sizes lie within this share of the largest |difference| of each other
#: rank as tied (and within it of zero as zero) in the signed-rank test
RANK_TOLERANCE = 1e-7


def significant(d: np.ndarray, tolerance: float = RANK_TOLERANCE) -> np.ndarray:
    """``d`` with sizes that are equal up to ``tolerance`` × its largest magnitude made equal
    (and those that near to zero made zero), signs kept: rates in £ are unit cost × rates in
    events, and each event's share is summed exactly at 10 decimal places
    (``core.exact``), so differences equal in exact arithmetic come out up to about 1e-9 of
    the largest apart. Rounding to a fixed number of digits still split such a pair wherever a
    rounding boundary fell between them: the demo's GP appointments gave £ a signed-rank p
    other than its events' (0.02826 against 0.02829; 0.02849 in exact arithmetic). Sizes are
    sorted and each run whose neighbours lie within the tolerance takes the run's smallest."""
    d = np.asarray(d, dtype=float)
    scale = float(np.max(np.abs(d))) if len(d) else 0.0
    if not np.isfinite(scale) or scale == 0.0:
        return d
    tol = tolerance * scale
    size = np.abs(d)
    order = np.argsort(size, kind="stable")
    s = size[order]
    starts = np.r_[True, np.diff(s) > tol]
    run = np.cumsum(starts) - 1
    rep = s[starts][run]
    rep[rep <= tol] = 0.0  # a run reaching down to zero is zero
    out = np.empty_like(d)
    out[order] = rep
    return np.sign(d) * out


def paired_tests(pre: np.ndarray, post: np.ndarray) -> dict[str, float]:
    """Paired t-test and Wilcoxon signed-rank on per-person rates (NaN when undefined)."""
    out = {"t_stat": np.nan, "t_p": np.nan, "wilcoxon_stat": np.nan, "wilcoxon_p": np.nan}
    d = significant(post - pre)
    if len(d) < 2:
        return out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if np.ptp(d) > 0:  # t undefined when every difference is the same (no spread)
            t = stats.ttest_rel(post, pre)
            out["t_stat"], out["t_p"] = float(t.statistic), float(t.pvalue)
        if np.any(d != 0):
            w = stats.wilcoxon(d, zero_method="wilcox")
            out["wilcoxon_stat"], out["wilcoxon_p"] = float(w.statistic), float(w.pvalue)
    return out


def naive(panel: Panel, treated_rows: np.ndarray, draws: int,
          rng: np.random.Generator, persons: np.ndarray | None = None) -> pd.DataFrame:
    pos = panel.position(np.sort(treated_rows))
    a, d = panel.amount[pos], panel.days[pos]
    post_w = list(panel.windows[1:])
    point = rates(a.sum(0), d.sum(0))
    counts = resample_counts(len(pos), draws, rng)
    ba = np.tensordot(counts, a, axes=1)
    bd = counts @ d
    boot = rates(ba, bd)
    change = point[1:] - point[0]
    lo, hi = percentile_ci(boot[:, 1:] - boot[:, :1])
    frame = tidy_frame(panel, post_w, {
        "pre_ppy": np.broadcast_to(point[0], change.shape), "post_ppy": point[1:],
        "change_ppy": change, "ci_low": lo, "ci_high": hi,
        "se": np.nanstd(boot[:, 1:] - boot[:, :1], axis=0, ddof=1),
        "users": users(panel, treated_rows, persons),
        **share_columns("", largest_shares(panel, np.sort(treated_rows), persons), change.shape,
                        largest_change_shares(panel, np.sort(treated_rows), persons),
                        largest_step_shares(panel, np.sort(treated_rows), persons)),
    })
    tests = []
    with np.errstate(divide="ignore", invalid="ignore"):
        per = a / d[..., None] * DAYS_PER_YEAR
    for i in range(len(post_w)):
        ok = (d[:, 0] > 0) & (d[:, i + 1] > 0)
        for q in range(panel.amount.shape[2]):
            pre_r, post_r = per[ok, 0, q], per[ok, i + 1, q]
            res = paired_tests(pre_r, post_r)
            res["mean_person_change"] = float(np.mean(post_r - pre_r)) if ok.any() else np.nan
            res["n"] = int(ok.sum())
            tests.append(res)
    frame = pd.concat([frame, pd.DataFrame(tests)], axis=1)
    frame.insert(0, "estimate", "naive before/after (treated only)")
    return frame


def cost_effect_correlation(boot: np.ndarray, panel: Panel, windows: list[str]) -> dict[str, pd.DataFrame]:
    """Per post window, the correlation matrix of the services' £ effects over the cluster
    bootstrap's draws (``boot``: draws × windows × columns), services in the panel's order.
    The effects share people (a heavy user moves several services at once), so the CBA draws
    them jointly with this matrix rather than independently. A service whose effect does not
    vary over the draws (no cost in either group) is left out."""
    cols = panel.columns
    pick = np.flatnonzero(((cols["key_type"] == "service") & (cols["measure"] == "cost")).to_numpy())
    out = {}
    for i, w in enumerate(windows):
        x = boot[:, i, pick]
        ok = np.all(np.isfinite(x), axis=0) & (np.nanstd(x, axis=0) > 0)
        names = cols["key"].to_numpy()[pick][ok].astype(str)
        corr = np.corrcoef(x[:, ok], rowvar=False).reshape(len(names), len(names))
        out[w] = pd.DataFrame(corr, index=names, columns=names)
    return out


def matched_did(panel: Panel, members: pd.DataFrame, draws: int, rng: np.random.Generator,
                power: float = 0.80, correlations: dict[str, pd.DataFrame] | None = None,
                persons: np.ndarray | None = None, observed: Panel | None = None,
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Matched DiD table and the regression-to-the-mean table.

    ``se`` is the bootstrap standard deviation of the effect; ``mde_ppy`` the minimum
    detectable effect at 5% two-sided and ``power`` (Bloom 1995), in the same units. Given a
    dict, ``correlations`` receives per post window the correlation of the services' £
    effects over the bootstrap draws (:func:`cost_effect_correlation`). ``treated_users`` and
    ``control_users``: distinct matched people with any use of the column before or in the
    window (:func:`users`), counted on ``observed`` (the panel before any bias correction,
    which changes the controls' amounts; default ``panel``)."""
    ta, td, ca, cd = set_sums(panel, members)
    post_w = list(panel.windows[1:])
    rt, rc = rates(ta.sum(0), td.sum(0)), rates(ca.sum(0), cd.sum(0))
    did = (rt[1:] - rt[0]) - (rc[1:] - rc[0])
    ka, kd, kca, kcd = cluster_sums(members, ta, td, ca, cd)
    counts = resample_counts(len(ka), draws, rng)
    bt = rates(np.tensordot(counts, ka, axes=1), counts @ kd)
    bc = rates(np.tensordot(counts, kca, axes=1), counts @ kcd)
    boot = (bt[:, 1:] - bt[:, :1]) - (bc[:, 1:] - bc[:, :1])
    lo, hi = percentile_ci(boot)
    if correlations is not None:
        correlations.update(cost_effect_correlation(boot, panel, post_w))
    with np.errstate(divide="ignore", invalid="ignore"):
        rr = (rt[1:] / rt[0]) / (rc[1:] / rc[0])
        brr = (bt[:, 1:] / bt[:, :1]) / (bc[:, 1:] / bc[:, :1])
    rr_lo, rr_hi = ratio_percentile_ci(brr)
    shape = did.shape
    se = np.nanstd(boot, axis=0, ddof=1)
    if len(ka) < MIN_CLUSTERS:  # nothing to resample: no interval, not a zero-width one
        lo, hi, se = (np.full(shape, np.nan) for _ in range(3))
        rr_lo, rr_hi = np.full(shape, np.nan), np.full(shape, np.nan)
    n_sets = len(ta)
    n_controls = int((~members["treated"]).sum())
    is_t = members["treated"].to_numpy(bool)
    row = members["row_id"].to_numpy()
    seen = panel if observed is None else observed
    group_users = {"treated_users": users(seen, row[is_t], persons),
                   "control_users": users(seen, row[~is_t], persons)}
    weight = members["weight"].to_numpy(float)
    group_users |= {**share_columns("treated_", largest_shares(seen, row[is_t], persons), did.shape,
                                    largest_change_shares(seen, row[is_t], persons),
                                    largest_step_shares(seen, row[is_t], persons)),
                    **share_columns("control_", largest_shares(seen, row[~is_t], persons, weight[~is_t]),
                                    did.shape, largest_change_shares(seen, row[~is_t], persons, weight[~is_t]),
                                    largest_step_shares(seen, row[~is_t], persons, weight[~is_t]))}
    matched = tidy_frame(panel, post_w, {
        "treated_pre_ppy": np.broadcast_to(rt[0], shape), "treated_post_ppy": rt[1:],
        "control_pre_ppy": np.broadcast_to(rc[0], shape), "control_post_ppy": rc[1:],
        "effect_ppy": did, "ci_low": lo, "ci_high": hi,
        "se": se, "mde_ppy": minimum_detectable_effect(se, power=power),
        "ratio_of_ratios": rr, "ratio_ci_low": rr_lo, "ratio_ci_high": rr_hi,
        **group_users,
    })
    matched.insert(0, "estimate", "matched difference-in-differences")
    matched["n_sets"] = n_sets
    matched["n_control_rows"] = n_controls
    matched["n_clusters"] = len(ka)
    with np.errstate(divide="ignore", invalid="ignore"):
        # a share only where both groups moved the same way: a comparison fall beside a
        # participants' rise read as "-348.7%" of it
        dt_, dc_ = rt[1:] - rt[0], rc[1:] - rc[0]
        share = np.where((dt_ != 0) & (np.sign(dt_) == np.sign(dc_)), dc_ / dt_, np.nan)
    rtm = tidy_frame(panel, post_w, {
        "treated_pre_ppy": np.broadcast_to(rt[0], shape), "treated_post_ppy": rt[1:],
        "treated_change_ppy": rt[1:] - rt[0],
        "control_pre_ppy": np.broadcast_to(rc[0], shape), "control_post_ppy": rc[1:],
        "control_change_ppy": rc[1:] - rc[0],
        "share_of_naive_change_seen_in_controls": share,
        **group_users,
    })
    return matched, rtm
