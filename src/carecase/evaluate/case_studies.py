"""Economic case studies: for a few participants (the highest pre-period cost, ties by
person), mean £ per month by area of need in the months before and after joining.

Output is pseudonymous (``case`` = "Case A", "Case B"…; no person_id or dates) and event
counts of 1 to ``suppress_below - 1`` are suppressed (NaN with ``events_suppressed``), and
so is that row's £ a month: with the months shown and a service's published unit cost it
would give the count back (£232.58 × 11.99 months ÷ £929.70 an arrest = 3 arrests). Months
are observed months: a window is cut at registration, death and the project period, so a
"before" window that reaches back before the data starts counts only the months with data.

``events`` counts the events *overlapping* the observed window (:func:`overlapping_events`),
not only those starting in it: a spell or package that began before the window and runs into
it puts £ in the window, and £ × months ÷ the unit cost gives its bed days, nights or weeks
back, so it counts (one spell = 1) and the suppression rule applies to its £ as to any other.
"""

from __future__ import annotations

import datetime as dt
import string
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from carecase.core.engine import Engine
from carecase.core.errors import EvaluationError
from carecase.core.exact import exact_sum
from carecase.costs.proration import event_span_days
from carecase.evaluate.cohort import NAT
from carecase.evaluate.config import CaseStudyConfig
from carecase.evaluate.windows import (
    observed_windows,
    prepare_events,
    window_summaries,
    window_table,
)

COLUMNS = ["case", "area_of_need", "period", "months", "mean_cost_per_month", "events",
           "events_suppressed", "chosen_by"]
_TYPES = {"case": "string", "area_of_need": "string", "period": "string", "months": "float64",
          "mean_cost_per_month": "float64", "events": "float64", "events_suppressed": "bool",
          "chosen_by": "string"}


def no_cases() -> pd.DataFrame:
    """The case-study table with no rows but its columns' types (as ``outcomes.no_outcomes``)."""
    return pd.DataFrame({c: pd.Series(dtype=_TYPES[c]) for c in COLUMNS})


# how the cases were chosen (the report says which)
NAMED, HIGHEST_COST = "named in evaluation.case_studies.people", "highest cost before joining"


def suppress_counts(counts: pd.Series, below: int) -> tuple[pd.Series, pd.Series]:
    """Counts 1..below-1 → NaN (flagged); 0 and ≥ below are kept."""
    small = (counts >= 1) & (counts < below)
    return counts.where(~small), small


def overlapping_events(engine: Engine, windows: pd.DataFrame, events: ir.Table, people: ir.Table,
                       period: tuple[dt.date, dt.date]) -> pd.DataFrame:
    """Events per (row_id, window, area_of_need) that overlap the observed window (cut as in
    :func:`carecase.evaluate.windows.observed_windows`): point and count rows count their
    quantity (a count over a month whole, as a spell), spells and packages 1, whether they start inside the window or before it and run into it.
    Only an event's activity row counts (as in the window summaries)."""
    w = engine.memtable(window_table(windows), name="_evaluate_case_overlap")
    obs = observed_windows(w, people, period[1], period[0])
    o = obs.filter(obs.days > 0).select(opid=obs.person_id, row_id=obs.row_id, window=obs.window,
                                        obs_start=obs.obs_start, obs_end=obs.obs_end)
    ev = prepare_events(events)
    ev = ev.mutate(ev_end=ev.start_date + ibis.interval(days=1) * event_span_days(ev))
    j = ev.filter(ev.counted).join(
        o, [ev.person_id == o.opid, ev.start_date < o.obs_end, ev.ev_end > o.obs_start])
    # a count over a week or month (ingest's event.covers) overlapping the window counts whole,
    # as a spell running into it does: a fraction of one (0.45 of an appointment, rounded to 0)
    # would show its £ beside no events, and the £ give back the count and the start day
    n = ibis.ifelse(j.kind.isin(["point", "count"]), j.quantity.coalesce(1.0), ibis.literal(1.0))
    j = j.mutate(_n=n)
    agg = j.group_by(["row_id", "window", "area_of_need"]).aggregate(events=exact_sum(j._n))
    out = engine.to_pandas(agg.order_by(["row_id", "window", "area_of_need"]))
    engine.drop("_evaluate_case_overlap")
    return out.assign(area_of_need=out["area_of_need"].astype(str), events=out["events"].astype("float64"))


def named_rows(treated: pd.DataFrame, people: list[str]) -> list[int]:
    """The participants' rows (their first start) in the order named; an id that is not a
    participant is an error naming it."""
    first = treated.sort_values("row_id").drop_duplicates("person_id").set_index("person_id")["row_id"]
    unknown = [p for p in people if p not in first.index]
    if unknown:
        raise EvaluationError(
            f"evaluation.case_studies.people: {', '.join(map(repr, unknown[:5]))} "
            f"{'is' if len(unknown) == 1 else 'are'} not an eligible programme participant's person_id. "
            "Use the pseudonymous ids in out/link/people (or the internal report).")
    return [int(first[p]) for p in dict.fromkeys(people)]


def case_studies(engine: Engine, events: Any, treated: pd.DataFrame, cfg: CaseStudyConfig,
                 period: tuple[dt.date, dt.date], suppress: bool = True) -> pd.DataFrame:
    """Case-study rows for the ``cfg.count`` participants with the highest cost before;
    ``period`` is the project's (first, last) day of data."""
    if (cfg.count == 0 and not cfg.people) or treated.empty:
        return no_cases()
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
    if cfg.people:
        chosen = named_rows(t, cfg.people)
    else:
        pre_cost = amounts[amounts["window"] == "before"].groupby("row_id")["cost"].sum()
        ranked = pre_cost.reset_index().sort_values(["cost", "row_id"], ascending=[False, True], kind="stable")
        chosen = ranked["row_id"].head(cfg.count).tolist()
    if not chosen:
        return no_cases()
    label = {r: f"Case {string.ascii_uppercase[i]}" for i, r in enumerate(chosen)}
    a = amounts[amounts["row_id"].isin(chosen)]
    needs = sorted(a["area_of_need"].astype(str).unique())
    grid = pd.MultiIndex.from_product([chosen, ["before", "after"], needs],
                                      names=["row_id", "window", "area_of_need"]).to_frame(index=False)
    overlap = overlapping_events(engine, windows[windows["row_id"].isin(chosen)], events, people, period)
    g = grid.merge(a.assign(area_of_need=a["area_of_need"].astype(str)).drop(columns="events"),
                   on=["row_id", "window", "area_of_need"], how="left")
    g = g.merge(overlap, on=["row_id", "window", "area_of_need"], how="left").fillna(
        {"cost": 0.0, "events": 0.0})
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
        "chosen_by": NAMED if cfg.people else HIGHEST_COST,
    })
    order = {"before": 0, "after": 1}
    return out.assign(_p=out["period"].map(order)).sort_values(
        ["case", "area_of_need", "_p"], kind="stable").drop(columns="_p").reset_index(drop=True)
