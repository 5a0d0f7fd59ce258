"""Evaluation speed: the whole ``evaluate_project`` on a synthetic area (4,000 people ×
5 years; quick: 1,500), window summaries on DuckDB vs a pandas merge-and-filter baseline,
the vectorised cluster bootstrap vs a Python-loop bootstrap baseline, the propensity model's
Newton fit vs statsmodels' Logit, the balance tables of
a matching search (before-matching rows once, column-wise) vs a per-covariate baseline that
recomputes them for every attempt, and the propensity covariates (bincount scatter) vs a
pandas ``pivot_table`` baseline. Each pair is run side by side and checked to agree."""

from __future__ import annotations

import datetime as dt
import json
import time

import numpy as np
import pandas as pd
import statsmodels.api as sm
from tests.evaluate.synthetic import START, make_area

from benchmarks.record import write_result
from carecase.core.engine import Engine, connect_duckdb
from carecase.core.random import generator
from carecase.evaluate import features, matching
from carecase.evaluate.api import _events_table, evaluate_project
from carecase.evaluate.cohort import feature_windows, first_starts, outcome_windows, risk_sets
from carecase.evaluate.config import EvaluationConfig
from carecase.evaluate.estimates import matched_did
from carecase.evaluate.panel import rates, set_sums
from carecase.evaluate.windows import window_summaries


def _pandas_window_events(windows: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """Baseline: merge every window with the person's events and count starts inside."""
    j = windows.merge(events[["person_id", "service_code", "start_date"]], on="person_id")
    start = j["start_date"].to_numpy().astype("datetime64[D]")
    inside = (start >= j["w_start"].to_numpy()) & (start < j["w_end"].to_numpy())
    return j[inside].groupby(["row_id", "window", "service_code"]).size().reset_index(name="events")


def _balance_per_covariate_baseline(x: pd.DataFrame, treated: np.ndarray,
                                    matched: pd.DataFrame) -> pd.DataFrame:
    """Baseline: SMD and variance ratio one covariate at a time, before and after."""
    rows = []
    values = x.to_numpy(float)
    mt, mc = matched[matched["treated"]], matched[~matched["treated"]]
    xt = x.loc[mt["row_id"].to_numpy()].to_numpy(float)
    xc = x.loc[mc["row_id"].to_numpy()].to_numpy(float)
    wc = mc["weight"].to_numpy(float)
    for j, name in enumerate(x.columns):
        for stage, a, b, w in (("before", values[treated, j], values[~treated, j], None),
                               ("after", xt[:, j], xc[:, j], wc)):
            rows.append({"covariate": name, "stage": stage, "smd": matching.smd(a, b, w),
                         "variance_ratio": matching.variance_ratio(a, b, w)})
    return pd.DataFrame(rows).sort_values(["stage", "covariate"], kind="stable").reset_index(drop=True)


def _pivot_covariates_baseline(amounts: pd.DataFrame, ids: np.ndarray, services: list[str]
                               ) -> dict[str, np.ndarray]:
    """Baseline: the per-service pre and last-3-month columns through a pandas pivot."""
    a = amounts[amounts["service_code"].isin(services)]
    wide = a.pivot_table(index="row_id", columns=["window", "service_code"],
                         values=["events", "units", "cost"], aggfunc="sum", fill_value=0.0)
    wide = wide.reindex(ids, fill_value=0.0)
    out = {}
    for window in ("pre", "last3"):
        for s in services:
            key = (features._measure(s), window, s)
            v = wide[key].to_numpy(float) if key in wide.columns else np.zeros(len(ids))
            out[f"{window}_{s}"] = np.log1p(v)
    return out


def _matching_inputs(engine: Engine, cfg: EvaluationConfig, period: tuple[dt.date, dt.date]
                     ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, list[str]]:
    events = _events_table(engine)
    people = engine.to_pandas(engine.table("people"))
    starts = first_starts(engine.to_pandas(engine.table("programme")))
    rows, _ = risk_sets(people, starts, cfg, period[0], period[1], None)
    amounts, _ = window_summaries(engine, feature_windows(rows, cfg.pre_months), events,
                                  engine.table("people"), period[1], keys=("service_code",))
    services = sorted(amounts["service_code"].astype(str).unique())
    return rows, people, amounts, services


def main(quick: bool = False) -> dict:
    n = 1500 if quick else 4000
    area = make_area(n, 7, referral_prob=0.03 if n >= 4000 else 0.06, post_windows=((0, 12),))
    engine = connect_duckdb(None)
    for name, frame in (("people", area.people), ("costed_events", area.events),
                        ("programme", area.programme)):
        engine.write(name, frame)
    cfg = EvaluationConfig(post_windows=[(0, 8), (0, 12)])
    t0 = time.perf_counter()
    result = evaluate_project(engine, cfg, 2024, period=(START, area.period_end))
    t_eval = time.perf_counter() - t0

    rows = pd.DataFrame({"row_id": np.arange(len(area.people)), "person_id": area.people["person_id"],
                         "index_date": np.datetime64("2021-06-15", "D"), "censor": np.datetime64("NaT", "D")})
    windows = outcome_windows(rows, cfg)
    t0 = time.perf_counter()
    window_summaries(engine, windows, engine.table("costed_events"), engine.table("people"),
                     area.period_end, keys=("service_code",))
    t_ibis = time.perf_counter() - t0
    t0 = time.perf_counter()
    _pandas_window_events(windows, area.events)
    t_pandas = time.perf_counter() - t0

    # bootstrap: vectorised (multinomial counts × set sums) vs a loop over draws
    members, panel, draws = result.matched_sets, result.panel, 1000
    t0 = time.perf_counter()
    matched_did(panel, members, draws, generator(1, "bench"))
    t_vec = time.perf_counter() - t0
    ta, td, ca, cd = set_sums(panel, members)
    rng = generator(1, "bench-loop")
    t0 = time.perf_counter()
    for _ in range(draws):
        pick = rng.integers(0, len(ta), len(ta))
        _ = rates(ta[pick].sum(0), td[pick].sum(0)) - rates(ca[pick].sum(0), cd[pick].sum(0))
    t_loop = time.perf_counter() - t0
    # balance tables over a matching search of 8 attempts (the demo area's search length)
    rows, people, amounts, services = _matching_inputs(engine, cfg, (START, area.period_end))
    x = features.covariates(rows, people, amounts, cfg.pre_months, services, [], features.RICH)
    treated = rows.set_index("row_id").loc[x.index, "treated"].to_numpy(bool)
    attempts = 8
    t0 = time.perf_counter()
    before = matching.balance_before(x, treated, 0.1)
    for _ in range(attempts):
        ours = matching.balance_table(x, treated, members, 0.1, before)
    t_balance = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(attempts):
        base = _balance_per_covariate_baseline(x, treated, members)
    t_balance_base = time.perf_counter() - t0
    np.testing.assert_allclose(ours["smd"], base["smd"], rtol=1e-9, atol=1e-12)

    # propensity covariates: scatter (ours: the rich level, the base level taken from it, as
    # in a search) vs pivot_table for each level
    ids = np.sort(rows["row_id"].to_numpy())
    t0 = time.perf_counter()
    cov = features.covariates(rows, people, amounts, cfg.pre_months, services, [], features.RICH)
    features.base_covariates(cov, services)
    t_cov = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in (features.BASE, features.RICH):
        piv = _pivot_covariates_baseline(amounts, ids, services)
    t_cov_base = time.perf_counter() - t0
    for name, v in piv.items():
        np.testing.assert_array_equal(cov[name].to_numpy(), v)
    # propensity model: our Newton fit vs statsmodels' Logit (Newton) on the same design
    design = np.column_stack([np.ones(len(x)), matching.standardise(x)])
    t0 = time.perf_counter()
    beta = matching.fit_logistic(design, treated.astype(float), ridge=0.0)
    t_logit = time.perf_counter() - t0
    t0 = time.perf_counter()
    ref = sm.Logit(treated.astype(float), design).fit(disp=0, method="newton", tol=1e-10, maxiter=100)
    t_logit_base = time.perf_counter() - t0
    np.testing.assert_allclose(design @ beta, design @ ref.params, rtol=1e-6, atol=1e-6)
    engine.close()
    out = {
        "people": n, "treated": int(result.meta["n_treated"]),
        "candidate_rows": int(result.meta["n_candidate_rows"]),
        "evaluate_project_s": round(t_eval, 2),
        "window_summaries_duckdb_s": round(t_ibis, 3),
        "window_events_pandas_baseline_s": round(t_pandas, 3),
        "bootstrap_vectorised_s": round(t_vec, 3), "bootstrap_loop_baseline_s": round(t_loop, 3),
        "balance_tables_8_attempts_s": round(t_balance, 3),
        "balance_per_covariate_baseline_s": round(t_balance_base, 3),
        "covariates_scatter_s": round(t_cov, 3),
        "covariates_pivot_baseline_s": round(t_cov_base, 3),
        "logistic_fit_s": round(t_logit, 3),
        "logistic_statsmodels_baseline_s": round(t_logit_base, 3),
        "balanced": bool(result.meta["balanced"]),
        "max_abs_smd": round(float(result.meta["max_abs_smd"]), 4),
    }
    write_result("evaluate", out)
    return out


if __name__ == "__main__":
    print(json.dumps(main(quick=False), indent=2, sort_keys=True))
