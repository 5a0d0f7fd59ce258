"""Evaluation speed: the whole ``evaluate_project`` on a synthetic area (4,000 people ×
5 years; quick: 1,500), window summaries on DuckDB vs a pandas merge-and-filter baseline,
and the vectorised cluster bootstrap vs a Python-loop bootstrap baseline."""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd
from tests.evaluate.synthetic import START, make_area

from benchmarks.record import write_result
from carecase.core.engine import connect_duckdb
from carecase.core.random import generator
from carecase.evaluate.api import evaluate_project
from carecase.evaluate.cohort import outcome_windows
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
    engine.close()
    out = {
        "people": n, "treated": int(result.meta["n_treated"]),
        "candidate_rows": int(result.meta["n_candidate_rows"]),
        "evaluate_project_s": round(t_eval, 2),
        "window_summaries_duckdb_s": round(t_ibis, 3),
        "window_events_pandas_baseline_s": round(t_pandas, 3),
        "bootstrap_vectorised_s": round(t_vec, 3), "bootstrap_loop_baseline_s": round(t_loop, 3),
        "balanced": bool(result.meta["balanced"]),
        "max_abs_smd": round(float(result.meta["max_abs_smd"]), 4),
    }
    write_result("evaluate", out)
    return out


if __name__ == "__main__":
    print(json.dumps(main(quick=False), indent=2, sort_keys=True))
