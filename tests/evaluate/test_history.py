"""``matching.history_months``: use before the pre-period as propensity covariates.

Spec test with inline tables. Three groups of 30 have the same pre-period use (1, 2 or 3 A&E
attendances on the same days), ages, sexes and deprivation deciles:

- participants, who joined on 1 July 2021 and have lasting need (the same use in the
  12 months before the pre-period and in the 12 months after joining: no effect);
- people with the same lasting need, never referred;
- people whose pre-period use was a one-off crisis (nothing before or after).

On the pre-period alone the last two groups are indistinguishable, so matched controls mix
them and the crisis group's fall after the index date shows up as a spurious rise for the
participants. Matching on the earlier history as well picks the lasting-need controls, and
the DiD is exactly the true effect, 0.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from carecase.core.engine import connect_duckdb
from carecase.evaluate.api import evaluate_project
from carecase.evaluate.cohort import feature_windows
from carecase.evaluate.config import EvaluationConfig

D = dt.date
INDEX = D(2021, 7, 1)
GROUP = 30
# days of the month (in Jan, Mar and May) holding a person's 1-3 attendances in a year
DAYS = (D(2000, 1, 10), D(2000, 3, 10), D(2000, 5, 10))


def _area() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    groups = ("participant", "lasting", "crisis")
    rows, events = [], []
    for group in groups:
        for i in range(GROUP):
            pid = f"{group[0].upper()}{i:03d}"
            k = 1 + i % 3
            rows.append({"person_id": pid, "sex": "FM"[i % 2], "birth_date": D(1980 + i % 10, 1, 1),
                         "deprivation_decile": 1 + i % 10, "registered_from": D(2018, 1, 1),
                         "registered_to": None, "date_of_death": None, "in_population": True})
            years = {"participant": (2020, 2021, 2022), "lasting": (2020, 2021, 2022),
                     "crisis": (2021,)}[group]
            for year in years:  # 2020: history window, 2021: pre-period, 2022: post window
                for day in DAYS[:k]:
                    events.append({"person_id": pid, "start_date": day.replace(year=year)})
    people = pd.DataFrame(rows)
    for c in ("registered_to", "date_of_death"):
        people[c] = pd.Series([None] * len(people), dtype="datetime64[s]")
    ev = pd.DataFrame(events)
    ev["start_date"] = pd.to_datetime(ev["start_date"])
    ev = ev.assign(end_date=pd.NaT, agency_l1="NHS", agency_l2="Acute Trust",
                   area_of_need="Physical health", service_code="AE_ATTEND", kind="point",
                   quantity=1.0, unit="attendance", source="spec", batch_id="b1",
                   source_row=np.arange(1, len(ev) + 1), unit_cost_code="AE_ATTEND", units=1.0,
                   unit_cost=250.0, value_type="economic", cashable=False)
    ev["cost"] = ev["units"] * ev["unit_cost"]
    programme = pd.DataFrame({"person_id": [f"P{i:03d}" for i in range(GROUP)],
                              "start_date": INDEX,
                              "end_date": pd.Series([None] * GROUP, dtype="datetime64[s]")})
    return people, ev, programme


def _evaluate(history_months: int):
    people, events, programme = _area()
    engine = connect_duckdb(None)
    try:
        engine.write("people", people)
        engine.write("costed_events", events)
        engine.write("programme", programme)
        cfg = EvaluationConfig.model_validate({
            "post_windows": [[0, 12]], "bootstrap_draws": 200,
            "matching": {"history_months": history_months, "calibrate": "never"}})
        return evaluate_project(engine, cfg, 2024, period=(D(2019, 1, 1), D(2023, 12, 31)))
    finally:
        engine.close()


def _effect(result) -> float:
    m = result.matched
    row = m[(m["key"] == "AE_ATTEND") & (m["measure"] == "events") & (m["window"] == "post_0_12")]
    return float(row["effect_ppy"].iloc[0])


def test_history_window_precedes_the_pre_period():
    rows = pd.DataFrame({"row_id": [1], "person_id": ["p"], "index_date": [pd.Timestamp(INDEX)],
                         "censor": [pd.NaT]})
    w = feature_windows(rows, 12, history_months=6).set_index("window")
    assert pd.Timestamp(w.loc["hist", "w_start"]) == pd.Timestamp("2020-01-01")
    assert pd.Timestamp(w.loc["hist", "w_end"]) == pd.Timestamp("2020-07-01")
    assert pd.Timestamp(w.loc["pre", "w_start"]) == pd.Timestamp("2020-07-01")
    assert "hist" not in set(feature_windows(rows, 12)["window"])


def test_matching_on_history_separates_lasting_need_from_a_one_off_crisis():
    without = _evaluate(0)
    assert not any(c.startswith("hist_") for c in without.balance["covariate"])
    # the crisis group's fall (1-3 attendances a year to none) leaks into the estimate
    assert _effect(without) > 1.0
    with_history = _evaluate(12)
    bal = with_history.balance
    assert {"hist_AE_ATTEND"} <= set(bal["covariate"])
    assert _effect(with_history) == pytest.approx(0.0, abs=1e-9)
    controls = with_history.matched_sets
    assert with_history.meta["balanced"]
    assert len(controls[controls["role"] == "control"]) == GROUP


def test_age_limits_use_completed_years():
    """An age limit is in completed years: 18 from the 18th birthday, 64 until the day before
    the 65th (days / 365.25 would make the first 17.998 and the second 64.5)."""
    import numpy as np
    import pandas as pd

    from carecase.evaluate.cohort import completed_years

    births = pd.Series(pd.to_datetime(["2005-01-01", "1958-07-01", "1958-01-02", "1958-01-01", "2000-02-29", None]))
    ages = completed_years(births, np.datetime64("2023-01-01"))
    assert ages[:5].tolist() == [18, 64, 64, 65, 22]
    assert np.isnan(ages[5])
    assert completed_years(births[4:5], np.datetime64("2023-02-28")).tolist() == [22]
    assert completed_years(births[4:5], np.datetime64("2023-03-01")).tolist() == [23]
