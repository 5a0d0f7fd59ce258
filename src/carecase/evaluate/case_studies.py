"""Economic case studies: for a few participants (the highest pre-period cost, ties by
person), mean £ per month by area of need in the months before and after joining.

Output is pseudonymous (``case`` = "Case A", "Case B"…; no person_id or dates) and event
counts of 1 to ``suppress_below - 1`` are suppressed (NaN with ``events_suppressed``), and
so is that row's £ a month: with the months shown and a service's published unit cost it
would give the count back (£232.58 × 11.99 months ÷ £929.70 an arrest = 3 arrests). Months
are observed months: a window is cut at registration, death and the project period, so a
"before" window that reaches back before the data starts counts only the months with data.
"""

from __future__ import annotations

import datetime as dt
import string
from typing import Any

import numpy as np
import pandas as pd

from carecase.core.engine import Engine
from carecase.evaluate.cohort import NAT
from carecase.evaluate.config import CaseStudyConfig
from carecase.evaluate.windows import window_summaries

COLUMNS = ["case", "area_of_need", "period", "months", "mean_cost_per_month", "events",
           "events_suppressed"]


def suppress_counts(counts: pd.Series, below: int) -> tuple[pd.Series, pd.Series]:
    """Counts 1..below-1 → NaN (flagged); 0 and ≥ below are kept."""
    small = (counts >= 1) & (counts < below)
    return counts.where(~small), small


def case_studies(engine: Engine, events: Any, treated: pd.DataFrame, cfg: CaseStudyConfig,
                 period: tuple[dt.date, dt.date], suppress: bool = True) -> pd.DataFrame:
    """Case-study rows for the ``cfg.count`` participants with the highest cost before;
    ``period`` is the project's (first, last) day of data."""
    if cfg.count == 0 or treated.empty:
        return pd.DataFrame(columns=COLUMNS)
    from carecase.core.dates import add_months_py

    t = treated.sort_values("row_id").reset_index(drop=True)
    dates = [pd.Timestamp(d).date() for d in t["index_date"]]
    spec = {"before": (-cfg.window_months, 0), "after": (0, cfg.window_months)}
    windows = pd.concat([pd.DataFrame({
        "row_id": t["row_id"].to_numpy(), "person_id": t["person_id"].to_numpy(), "window": name,
        "w_start": np.array([add_months_py(d, a) for d in dates], dtype="datetime64[D]"),
        "w_end": np.array([add_months_py(d, b) for d in dates], dtype="datetime64[D]"),
        "censor": np.full(len(t), NAT)}) for name, (a, b) in spec.items()], ignore_index=True)
    people = engine.table("people")
    amounts, pt = window_summaries(engine, windows, events, people, period[1],
                                   keys=("area_of_need",), name="_evaluate_case_windows",
                                   period_start=period[0])
    pre_cost = amounts[amounts["window"] == "before"].groupby("row_id")["cost"].sum()
    ranked = pre_cost.reset_index().sort_values(["cost", "row_id"], ascending=[False, True], kind="stable")
    chosen = ranked["row_id"].head(cfg.count).tolist()
    if not chosen:
        return pd.DataFrame(columns=COLUMNS)
    label = {r: f"Case {string.ascii_uppercase[i]}" for i, r in enumerate(chosen)}
    a = amounts[amounts["row_id"].isin(chosen)]
    needs = sorted(a["area_of_need"].astype(str).unique())
    grid = pd.MultiIndex.from_product([chosen, ["before", "after"], needs],
                                      names=["row_id", "window", "area_of_need"]).to_frame(index=False)
    g = grid.merge(a.assign(area_of_need=a["area_of_need"].astype(str)),
                   on=["row_id", "window", "area_of_need"], how="left").fillna({"cost": 0.0, "events": 0.0})
    g = g.merge(pt, on=["row_id", "window"], how="left")
    g["months"] = g["days"] / (365.25 / 12)
    with np.errstate(divide="ignore", invalid="ignore"):
        g["mean_cost_per_month"] = np.where(g["months"] > 0, g["cost"] / g["months"], np.nan)
    counts = g["events"].round()
    if suppress:
        counts, flag = suppress_counts(counts, cfg.suppress_below)
    else:
        flag = pd.Series(False, index=g.index)
    out = pd.DataFrame({
        "case": g["row_id"].map(label), "area_of_need": g["area_of_need"],
        "period": g["window"], "months": g["months"].round(2),
        "mean_cost_per_month": g["mean_cost_per_month"].round(2).where(~flag),
        "events": counts, "events_suppressed": flag.astype(bool),
    })
    order = {"before": 0, "after": 1}
    return out.assign(_p=out["period"].map(order)).sort_values(
        ["case", "area_of_need", "_p"], kind="stable").drop(columns="_p").reset_index(drop=True)
