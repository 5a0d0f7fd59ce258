"""A small seeded synthetic area with planted programme effects and regression to the mean.

Each person has a persistent level of need (gamma) and transient crises (a monthly Markov
chain: a crisis starts with probability ``p_start`` and ends with ``p_end``) that multiply
their daily rate of A&E attendances, emergency admissions and police arrests (and, less,
GP appointments). Referral happens at crisis peaks: in a month whose previous three months
held at least ``referral_threshold`` crisis-sensitive events. So participants are referred
when they are at their worst, and their use falls afterwards even with no effect at all —
regression to the mean. From the programme start the rates are multiplied by ``EFFECTS``.

The truth returned is, per post window and service, the planted rate ratio and the effect
on the treated in events per person-year: ``(effect - 1) × counterfactual rate`` over the
observed days of the treated, from the simulation's own expected rates.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from carecase.core.dates import add_months_py
from carecase.core.random import generator

START = dt.date(2019, 1, 1)
END = dt.date(2023, 12, 31)
#: service -> (monthly base rate, crisis multiplier, planted effect, unit cost £, kind)
SERVICES: dict[str, tuple[float, float, float, float, str]] = {
    "AE_ATTEND": (0.12, 6.0, 0.70, 250.0, "point"),
    "NEL_ADMIT": (0.03, 6.0, 0.75, 600.0, "spell"),
    "GP_APPT": (0.40, 4.0, 1.25, 40.0, "point"),
    "POL_CUSTODY": (0.04, 6.0, 0.80, 500.0, "point"),
}
AGENCY = {
    "AE_ATTEND": ("NHS", "Acute Trust", "Physical health"),
    "NEL_ADMIT": ("NHS", "Acute Trust", "Physical health"),
    "GP_APPT": ("NHS", "Primary Care", "Physical health"),
    "POL_CUSTODY": ("Police", "Police", "Crime and justice"),
}


@dataclass
class Area:
    people: pd.DataFrame
    events: pd.DataFrame  # costed_events shape
    programme: pd.DataFrame
    outcome_scores: pd.DataFrame
    truth: dict[tuple[str, str], dict[str, float]]
    period_end: dt.date


def make_area(
    n: int = 1500,
    seed: int = 1,
    p_start: float = 0.04,
    p_end: float = 0.4,
    referral_threshold: int = 3,
    referral_prob: float = 0.25,
    post_windows: tuple[tuple[int, int], ...] = ((0, 12),),
    effects: dict[str, float] | None = None,
) -> Area:
    rng = generator(seed, "evaluate-fixture")
    days = pd.date_range(START, END, freq="D")
    n_days = len(days)
    month_of_day = ((days.year - START.year) * 12 + days.month - 1).to_numpy()
    n_months = int(month_of_day.max()) + 1
    level = rng.gamma(0.8, 1.25, n)
    decile = rng.integers(1, 11, n)
    level = level * (1.0 + 0.05 * (10 - decile))
    # crises: monthly Markov chain (a loop over months, vectorised over people)
    crisis = np.zeros((n, n_months), dtype=bool)
    state = rng.random(n) < p_start / (p_start + p_end)
    for m in range(n_months):
        u = rng.random(n)
        state = np.where(state, u >= p_end, u < p_start)
        crisis[:, m] = state
    names = list(SERVICES)
    eff = {s: SERVICES[s][2] for s in names} if effects is None else effects
    # registration, death
    reg_from_idx = np.where(rng.random(n) < 0.1, rng.integers(0, n_days, n), -4000)
    leave = rng.random(n) < 0.05
    reg_to_idx = np.where(leave, rng.integers(0, n_days, n), 10**6)
    death = rng.random(n) < 0.03
    death_idx = np.where(death, rng.integers(0, n_days, n), 10**6)
    alive_reg = ((np.arange(n_days)[None, :] >= reg_from_idx[:, None])
                 & (np.arange(n_days)[None, :] <= np.minimum(reg_to_idx, death_idx)[:, None]))
    daily_cf = {s: level[:, None] * SERVICES[s][0] * 12 / 365.25
                * np.where(crisis[:, month_of_day], SERVICES[s][1], 1.0) * alive_reg for s in names}
    counts0 = {s: rng.poisson(daily_cf[s]) for s in names}
    # referral at crisis peaks, decided on the observed (no-effect) activity of the last 3 months
    bounds = np.flatnonzero(np.r_[True, month_of_day[1:] != month_of_day[:-1]])
    sens = sum(np.add.reduceat(counts0[s], bounds, axis=1)
               for s in ("AE_ATTEND", "NEL_ADMIT", "POL_CUSTODY"))
    last3 = np.zeros_like(sens)
    last3[:, 3:] = sens[:, :-3] + sens[:, 1:-2] + sens[:, 2:-1]
    months_ok = np.zeros(n_months, dtype=bool)
    months_ok[18:42] = True
    want = (last3 >= referral_threshold) & months_ok[None, :] & (rng.random(sens.shape) < referral_prob)
    ref_month = np.where(want.any(axis=1), want.argmax(axis=1), -1)
    treated = ref_month >= 0
    start_day_in_month = rng.integers(0, 14, n)
    month_first_day = bounds
    start_idx = np.where(treated, month_first_day[np.maximum(ref_month, 0)] + start_day_in_month, n_days)
    after = np.arange(n_days)[None, :] >= start_idx[:, None]
    rows = []
    expected_cf: dict[str, np.ndarray] = {}
    for s in names:  # four services: a loop over services, vectorised over person-days
        rate0, cmult, _, unit_cost, kind = SERVICES[s]
        expected_cf[s] = daily_cf[s]
        if eff[s] <= 1.0:  # thinning keeps each event with probability eff
            counts = rng.binomial(counts0[s], np.where(after, eff[s], 1.0))
        else:  # extra events at rate (eff - 1) x the counterfactual rate
            counts = counts0[s] + rng.poisson(np.where(after, (eff[s] - 1.0) * daily_cf[s], 0.0))
        pi, di = np.nonzero(counts)
        k = counts[pi, di]
        pi, di = np.repeat(pi, k), np.repeat(di, k)
        start = days.to_numpy()[di].astype("datetime64[D]")
        if kind == "spell":
            los = 1 + rng.poisson(3.0, len(pi))
            end = start + los.astype("timedelta64[D]")
            units = los.astype(float)
        else:
            end = np.full(len(pi), np.datetime64("NaT"), dtype="datetime64[D]")
            units = np.ones(len(pi))
        l1, l2, need = AGENCY[s]
        rows.append(pd.DataFrame({
            "person_id": pd.Series([f"P{i:05d}" for i in pi], dtype=object),
            "agency_l1": l1, "agency_l2": l2, "service_code": s, "area_of_need": need,
            "kind": kind, "start_date": start, "end_date": end, "quantity": 1.0,
            "unit": "x", "source": "synthetic", "batch_id": "b1", "source_row": np.arange(len(pi)) + 1,
            "unit_cost_code": s, "units": units, "unit_cost": unit_cost,
            "cost": units * unit_cost, "value_type": "economic", "cashable": False,
        }))
    events = pd.concat(rows, ignore_index=True).sort_values(
        ["person_id", "start_date", "service_code"], kind="stable").reset_index(drop=True)
    day0 = np.datetime64(START, "D")
    pid = np.array([f"P{i:05d}" for i in range(n)], dtype=object)
    age = rng.integers(18, 90, n)
    people = pd.DataFrame({
        "person_id": pid,
        "sex": np.where(rng.random(n) < 0.5, "F", "M"),
        "birth_date": [dt.date(2019 - int(a), 1 + int(m), 1) for a, m in zip(age, rng.integers(0, 12, n), strict=False)],
        "deprivation_decile": decile.astype("int64"),
        "locality": np.where(rng.random(n) < 0.5, "North", "South"),
        "registered_from": day0 + reg_from_idx.astype("timedelta64[D]"),
        "registered_to": np.where(leave, day0 + reg_to_idx.astype("timedelta64[D]"), np.datetime64("NaT")),
        "date_of_death": np.where(death, day0 + death_idx.astype("timedelta64[D]"), np.datetime64("NaT")),
        "in_population": True,
    })
    for c in ("registered_from", "registered_to", "date_of_death"):
        people[c] = pd.to_datetime(people[c]).dt.date
    t_idx = np.nonzero(treated)[0]
    starts = day0 + start_idx[t_idx].astype("timedelta64[D]")
    programme = pd.DataFrame({"person_id": pid[t_idx], "start_date": pd.to_datetime(starts).date,
                              "end_date": pd.to_datetime(starts + np.timedelta64(180, "D")).date})
    truth: dict[tuple[str, str], dict[str, float]] = {}
    for a, b in post_windows:
        lo = np.array([(add_months_py(d, a) - START).days for d in programme.start_date])
        hi = np.array([(add_months_py(d, b) - START).days for d in programme.start_date])
        mask = (np.arange(n_days)[None, :] >= lo[:, None]) & (np.arange(n_days)[None, :] < np.minimum(hi, n_days)[:, None])
        observed = mask & alive_reg[t_idx]
        years = observed.sum() / 365.25
        for s in names:
            cf = (expected_cf[s][t_idx] * mask).sum() / years
            truth[(f"post_{a}_{b}", s)] = {"rate_ratio": eff[s], "events_ppy": (eff[s] - 1.0) * cf,
                                           "counterfactual_ppy": cf}
    scores = _swemwbs_scores(pid[t_idx], programme.start_date.to_numpy(), seed)
    return Area(people, events, programme, scores, truth, END)


def _swemwbs_scores(pids: np.ndarray, starts: np.ndarray, seed: int) -> pd.DataFrame:
    """Seven SWEMWBS items (1–5) at baseline and follow-up; follow-up one point higher on
    average per item, capped to the scale."""
    rng = generator(seed, "evaluate-fixture", "scores")
    base = rng.integers(1, 5, (len(pids), 7))
    follow = np.clip(base + rng.integers(0, 3, base.shape), 1, 5)
    frames = []
    for label, items, offset in (("baseline", base, 0), ("follow_up", follow, 120)):
        for j in range(7):
            frames.append(pd.DataFrame({
                "person_id": pids, "instrument": "SWEMWBS", "assessment": label,
                "assessment_date": [d + dt.timedelta(days=offset) for d in starts],
                "domain": f"item{j + 1}", "score": items[:, j].astype(float),
            }))
    return pd.concat(frames, ignore_index=True)


def evaluate_area(root, area: Area) -> dict:
    """Run the evaluation stage on the project at ``root`` (its carecase.yaml written) with
    the area's people, costed events and programme written to its store; its summary."""
    from carecase.core.project import Project
    from carecase.evaluate.stage import run

    project = Project.open(root)
    try:
        for name, frame in (("people", area.people), ("costed_events", area.events), ("programme", area.programme)):
            project.engine.write(name, frame)
        return run(project)
    finally:
        project.close()
