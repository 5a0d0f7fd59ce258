"""Inverse-probability-of-censoring weights (IPCW) for matched controls whose follow-up is
cut at their own programme start (``matching.ipcw``).

Risk-set matching follows a control until they start the programme themselves. Those who
start are, just before it, in the crisis that gets them referred, so the controls still
followed after month m are not like those who were: censoring is informative. IPCW
(Robins & Finkelstein 2000; Hernán & Robins, *Causal Inference: What If*, ch. 12 and 17;
Cain et al. 2010 for target trial emulation) weights each control's person-time in month
m by the inverse of the probability of having stayed uncensored until month m, given their
recent use, so that the controls followed stand for those who were not.

- A pooled logistic regression on the matched controls' person-months of the post period
  (each control row once; months with observed days): the outcome is starting the
  programme in that month (observation lost from the next month), the covariates are
  ``log1p`` of the events in the month before and in the three months before, per area of
  need, and months since the index date (linear and squared).
- Stabilised: the numerator is the same model with months since the index date alone.
  The weight of month m is ``prod_{j<m} (1 - h_num_j) / prod_{j<m} (1 - h_j)``; a month
  with observed days was entered uncensored, so the product stops before it.
- Truncated at the 99th percentile of the weights of the observed person-months.

The weights multiply the matching weights of the controls' post-period amounts and days
(a copy of the panel, as :mod:`carecase.evaluate.adjust` does), which the
difference-in-differences and the rate models then use. They are fitted once, not in each
bootstrap resample. Loss of follow-up for any other reason (death, moving away, the end of
the data) is not modelled: it is treated as non-informative, as before.
"""

from __future__ import annotations

import datetime as dt

import ibis.expr.types as ir
import numpy as np
import pandas as pd

from carecase.core.engine import Engine
from carecase.evaluate.cohort import month_windows
from carecase.evaluate.matching import fit_logistic
from carecase.evaluate.panel import Panel, build_panel
from carecase.evaluate.windows import window_summaries

LAGS = 3  # months before each month whose use predicts starting the programme
TRUNCATE = 0.99  # quantile of the weights they are cut at


def month_name(m: int) -> str:
    return f"m{m}"


def _design(frame: pd.DataFrame, covariates: list[str]) -> np.ndarray:
    t = frame["month"].to_numpy(float)
    return np.column_stack([np.ones(len(frame)), t, t * t, *(frame[c].to_numpy(float) for c in covariates)])


def _hazard(frame: pd.DataFrame, covariates: list[str]) -> np.ndarray:
    """Fitted monthly probabilities of censoring (pooled logistic) for every row of
    ``frame``, fitted on its rows ``at_risk``; zero when no one at risk is censored."""
    risk = frame["at_risk"].to_numpy(bool)
    y = frame["event"].to_numpy(float)
    if not risk.any() or y[risk].sum() == 0:
        return np.zeros(len(frame))
    x = _design(frame, covariates)
    beta = fit_logistic(x[risk], y[risk])
    return 1.0 / (1.0 + np.exp(-np.clip(x @ beta, -30, 30)))


def cumulative_weights(frame: pd.DataFrame, h: np.ndarray, h_num: np.ndarray) -> np.ndarray:
    """``prod_{j<m} (1 - h_num_j) / (1 - h_j)`` per row of ``frame`` (row_id, month), the
    product over the same row's earlier months (the frame holds every month from 0)."""
    order = np.lexsort((frame["month"].to_numpy(), frame["row_id"].to_numpy()))
    ratio = np.log1p(-np.clip(h_num, 0, 1 - 1e-12)) - np.log1p(-np.clip(h, 0, 1 - 1e-12))
    r = pd.Series(ratio[order])
    rows = pd.Series(frame["row_id"].to_numpy()[order])
    before = r.groupby(rows).cumsum() - r  # the months before this one
    out = np.empty(len(frame))
    out[order] = np.exp(before.to_numpy())
    return out


def censoring_weights(frame: pd.DataFrame, covariates: list[str], truncate: float = TRUNCATE,
                      stabilise: bool = True) -> np.ndarray:
    """IPC weights for each row of ``frame`` (one row per control row_id and ``month`` from
    0, every month present): columns ``at_risk`` (observed days in the month), ``event``
    (censored by their own start in the month: not observed from the next) and
    ``covariates``. Months not at risk get weight 1 (they have no person-time)."""
    h = _hazard(frame, covariates)
    h_num = _hazard(frame, []) if stabilise else np.zeros(len(frame))
    w = cumulative_weights(frame, h, h_num)
    risk = frame["at_risk"].to_numpy(bool)
    if truncate < 1 and risk.any():
        w = np.minimum(w, np.quantile(w[risk], truncate))
    return np.where(risk, w, 1.0)


def person_months(windows: pd.DataFrame, person_time: pd.DataFrame, by_area: pd.DataFrame,
                  months: int) -> tuple[pd.DataFrame, list[str]]:
    """The censoring model's frame from monthly windows (``windows``: row_id, window
    ``m{-LAGS}`` .. ``m{months-1}``, w_end, censor), their observed days (``person_time``:
    row_id, window, days) and events per area of need (``by_area``: row_id, window,
    area_of_need, events). Returns the frame (row_id, month 0..months-1, at_risk, event,
    ``last1_*``, ``last3_*``) and the covariate names."""
    w = windows.merge(person_time, on=["row_id", "window"], how="left")
    w["month"] = w["window"].str[1:].astype(int)
    w["days"] = w["days"].fillna(0.0)
    areas = sorted(by_area["area_of_need"].astype(str).unique())
    ev = by_area.assign(area_of_need=by_area["area_of_need"].astype(str)).pivot_table(
        index=["row_id", "window"], columns="area_of_need", values="events", aggfunc="sum", fill_value=0.0)
    ev = ev.reindex(columns=areas, fill_value=0.0)
    wide = w[["row_id", "window", "month"]].merge(ev, left_on=["row_id", "window"], right_index=True, how="left")
    wide = wide.fillna(dict.fromkeys(areas, 0.0)).sort_values(["row_id", "month"], kind="stable")
    g = wide.groupby("row_id", sort=False)[areas]
    last1 = g.shift(1)
    last3 = last1 + g.shift(2) + g.shift(3)
    frame = w[["row_id", "month", "days", "w_end", "censor"]].sort_values(["row_id", "month"], kind="stable")
    covs: list[str] = []
    for a in areas:
        frame[f"last1_{a}"] = np.log1p(last1[a].to_numpy(float))
        frame[f"last3_{a}"] = np.log1p(last3[a].to_numpy(float))
        covs += [f"last1_{a}", f"last3_{a}"]
    frame = frame[(frame["month"] >= 0) & (frame["month"] < months)].reset_index(drop=True)
    censor = pd.to_datetime(frame["censor"])
    frame["at_risk"] = frame["days"].to_numpy(float) > 0
    frame["event"] = (frame["at_risk"] & censor.notna() & (censor <= pd.to_datetime(frame["w_end"]))).astype(float)
    frame[covs] = frame[covs].fillna(0.0)
    return frame.drop(columns=["w_end", "censor"]), covs


def _aligned(month_panel: Panel, panel: Panel) -> np.ndarray:
    """``month_panel.amount`` with its columns in ``panel``'s order (missing ones zero)."""
    key = [tuple(r) for r in panel.columns.itertuples(index=False, name=None)]
    pos = {tuple(r): i for i, r in enumerate(month_panel.columns.itertuples(index=False, name=None))}
    out = np.zeros((*month_panel.amount.shape[:2], len(key)))
    for j, k in enumerate(key):
        if k in pos:
            out[:, :, j] = month_panel.amount[:, :, pos[k]]
    return out


def weighted_panel(panel: Panel, month_panel: Panel, weights: np.ndarray,
                   post_windows: list[tuple[int, int]]) -> Panel:
    """A copy of ``panel`` whose rows in ``month_panel`` (control rows, windows ``m0`` ..)
    have each post window's amounts and days rebuilt as the sum over its months of the
    monthly amounts and days times ``weights`` (rows of ``month_panel`` × months). With
    weights of 1 this gives the panel back (an event counts in the month where it
    starts, a spell or count is split by days, as in the windows)."""
    amount, days = panel.amount.copy(), panel.days.copy()
    pos = panel.position(month_panel.row_ids)
    monthly = _aligned(month_panel, panel) * weights[:, :, None]
    monthly_days = month_panel.days * weights
    for i, (a, b) in enumerate(post_windows):
        amount[pos, i + 1] = monthly[:, a:b].sum(axis=1)
        days[pos, i + 1] = monthly_days[:, a:b].sum(axis=1)
    return Panel(panel.row_ids, panel.windows, panel.columns, amount, days)


def ipcw_panel(engine: Engine, panel: Panel, members: pd.DataFrame, rows: pd.DataFrame, events: ir.Table,
               people: ir.Table, period_end: dt.date, period_start: dt.date | None, services: list[str],
               post_windows: list[tuple[int, int]]) -> tuple[Panel, dict[str, float]]:
    """``panel`` with the matched controls' post-period amounts and days IPC-weighted
    (:func:`weighted_panel`), and a summary of the weights for the stage's meta."""
    months = max(b for _, b in post_windows)
    ctrl = rows[rows["row_id"].isin(members.loc[~members["treated"].to_numpy(bool), "row_id"])]
    if ctrl.empty:
        return panel, {}
    spec = {month_name(m): (m, m + 1) for m in range(-LAGS, months)}
    windows = month_windows(ctrl, spec)
    amounts, person_time = window_summaries(engine, windows, events, people, period_end,
                                            name="_evaluate_ipcw_months", period_start=period_start)
    by_area = amounts.groupby(["row_id", "window", "area_of_need"], as_index=False)["events"].sum()
    frame, covs = person_months(windows[["row_id", "window", "w_end", "censor"]], person_time, by_area, months)
    w = censoring_weights(frame, covs)
    names = [month_name(m) for m in range(months)]
    month_panel = build_panel(amounts, person_time, services, names, ctrl["row_id"].to_numpy())
    grid = np.ones((len(month_panel.row_ids), months))
    grid[month_panel.position(frame["row_id"].to_numpy()), frame["month"].to_numpy()] = w
    risk = frame["at_risk"].to_numpy(bool)
    meta = {"censored": int(frame["event"].sum()), "person_months": int(risk.sum()),
            "weight_min": float(w[risk].min()) if risk.any() else 1.0,
            "weight_max": float(w[risk].max()) if risk.any() else 1.0,
            "weight_mean": float(w[risk].mean()) if risk.any() else 1.0}
    return weighted_panel(panel, month_panel, grid, post_windows), meta
