"""Month by month around the index date: the participants' use and their matched comparison
group's, and the difference-in-differences of each month against the pre-period.

The evaluation's headline compares a pre-period with post windows. Evaluators of integrated
care also show the months themselves (the Health Foundation's Improvement Analytics Unit
plots each month's emergency admissions for the participants and their matched controls):
the crisis before referral, how far the comparison group's use falls too (regression to the
mean), whether the two groups moved together before the programme and when an effect starts.

Each month ``m`` is ``[index date + m months, index date + m + 1 months)`` in calendar months
(``carecase.core.dates.add_months_py``; ``cohort.month_spec``), from ``-pre_months`` to the end of the longest post
window; the months tile the pre-period and every post window exactly, so the months' rates
pooled by person-time are the window rates of the ``rtm`` and ``matched`` tables. A month's
rate is per person-year, as every ``*_ppy`` figure (``treated_ppy``: Σ amount ÷ Σ observed
days × 365.25 over the matched participants; ``control_ppy``: the same over the matched
controls, each with its matching weight), cut for censoring as the windows are.
``difference_ppy`` is (treated − control) in the month less (treated − control) over the
whole pre-period: zero on average before joining when the groups are balanced, and each
month's effect after it; ``ci_low``/``ci_high`` its 95% interval by the same cluster
bootstrap over matched sets as the windows' (an event-study plot's data).

Every column the windows have is here (services' events, units and £, agencies', the
total), with the users behind each month's figure and the shares of the largest and second
person, the inputs of the report's disclosure rules (docs/report.md).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from carecase.evaluate.cohort import MONTH_PREFIX
from carecase.evaluate.estimates import MIN_CLUSTERS, people_using, percentile_ci, tidy_frame
from carecase.evaluate.panel import (
    DAYS_PER_YEAR,
    Panel,
    cluster_sums,
    rates,
    resample_counts,
    set_sums,
)
from carecase.evaluate.shares import largest_shares

COLUMNS = ("month", "key_type", "key", "measure", "treated_ppy", "control_ppy", "difference_ppy",
           "ci_low", "ci_high", "treated_person_years", "control_person_years", "treated_users",
           "control_users", "treated_largest_share", "treated_second_share", "control_largest_share",
           "control_second_share")


def _users(panel: Panel, row_ids: np.ndarray, persons: np.ndarray | None) -> np.ndarray:
    """Distinct people among ``row_ids`` with a non-zero amount in each month: (months, columns)."""
    pos = panel.position(np.unique(row_ids))
    return people_using(panel.amount[pos] != 0, pos, persons)


def monthly(panel: Panel, members: pd.DataFrame, pre_months: int, draws: int, rng: np.random.Generator,
            persons: np.ndarray | None = None, min_clusters: int = MIN_CLUSTERS) -> pd.DataFrame:
    """The trajectory table (:data:`COLUMNS`, a row per month and panel column, months in
    order) from a panel whose windows are the months of :func:`month_spec` and the matched
    sets ``members`` (set_id, row_id, treated, weight, cluster)."""
    months = np.array([int(w.removeprefix(MONTH_PREFIX)) for w in panel.windows])
    if not len(months) or np.any(np.diff(months) != 1):
        raise ValueError("the panel's windows must be consecutive months (cohort.month_spec)")
    pre = months < 0
    ta, td, ca, cd = set_sums(panel, members)
    rt, rc = rates(ta.sum(0), td.sum(0)), rates(ca.sum(0), cd.sum(0))
    pre_t = rates(ta.sum(0)[pre].sum(0, keepdims=True), td.sum(0)[pre].sum(0, keepdims=True))
    pre_c = rates(ca.sum(0)[pre].sum(0, keepdims=True), cd.sum(0)[pre].sum(0, keepdims=True))
    diff = (rt - rc) - (pre_t - pre_c)
    ka, kd, kca, kcd = cluster_sums(members, ta, td, ca, cd)
    if len(ka) >= min_clusters:
        counts = resample_counts(len(ka), draws, rng)
        bta, btd = np.tensordot(counts, ka, axes=1), counts @ kd
        bca, bcd = np.tensordot(counts, kca, axes=1), counts @ kcd
        bpre_t = rates(bta[:, pre].sum(1, keepdims=True), btd[:, pre].sum(1, keepdims=True))
        bpre_c = rates(bca[:, pre].sum(1, keepdims=True), bcd[:, pre].sum(1, keepdims=True))
        boot = (rates(bta, btd) - rates(bca, bcd)) - (bpre_t - bpre_c)
        lo, hi = percentile_ci(boot)
    else:  # nothing to resample: no interval, not a zero-width one
        lo = hi = np.full(diff.shape, np.nan)
    is_t = members["treated"].to_numpy(bool)
    row = members["row_id"].to_numpy()
    weight = members["weight"].to_numpy(float)
    t_large, t_second = largest_shares(panel, row[is_t], persons)
    c_large, c_second = largest_shares(panel, row[~is_t], persons, weight[~is_t])
    values = {
        "treated_ppy": rt, "control_ppy": rc, "difference_ppy": diff, "ci_low": lo, "ci_high": hi,
        "treated_person_years": np.broadcast_to((td.sum(0) / DAYS_PER_YEAR)[:, None], rt.shape),
        "control_person_years": np.broadcast_to((cd.sum(0) / DAYS_PER_YEAR)[:, None], rt.shape),
        "treated_users": _users(panel, row[is_t], persons),
        "control_users": _users(panel, row[~is_t], persons),
        "treated_largest_share": t_large, "treated_second_share": t_second,
        "control_largest_share": c_large, "control_second_share": c_second,
    }
    out = tidy_frame(panel, [int(m) for m in months], values, label="month")
    out["treated_users"] = out["treated_users"].astype("int64")
    out["control_users"] = out["control_users"].astype("int64")
    return out[list(COLUMNS)]
