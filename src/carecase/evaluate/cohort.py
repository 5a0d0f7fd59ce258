"""The treated cohort and calendar-time risk sets (per-person work, in pandas/numpy).

Index date = a participant's first programme start. At that date the eligible controls are
people who are in the population, alive and registered, registered for the whole
pre-period (and the pre-period lies inside the data period), within the age bounds and not
yet treated (never treated, or treated later — their later follow-up is censored at their
own start). Controls take the treated person's index date. Candidates are sampled (seeded)
per index month to ``matching.pool_size`` people so large areas stay fast.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from carecase.core.dates import add_months_py, month_index_py
from carecase.core.random import generator
from carecase.evaluate.config import EvaluationConfig, window_name

NAT = np.datetime64("NaT", "D")


def to_days(values: pd.Series) -> np.ndarray:
    """Dates (any pandas representation) as ``datetime64[D]`` (NaT for missing)."""
    return pd.to_datetime(values).to_numpy().astype("datetime64[D]")


def first_starts(programme: pd.DataFrame) -> pd.DataFrame:
    """One row per participant: their first programme start (the index date)."""
    p = programme.dropna(subset=["start_date"]).copy()
    p["index_date"] = to_days(p["start_date"])
    p = p.sort_values(["person_id", "index_date"], kind="stable")
    return p.drop_duplicates("person_id")[["person_id", "index_date"]].reset_index(drop=True)


#: Why a participant cannot be evaluated at their start (``risk_sets``' ``excluded``), in the
#: order they are tested; each is counted, and the evaluate stage says so in a warning.
EXCLUSIONS = {
    "not_in_people": "not among the linked people",
    "index_outside_period": "starting after the data's period",
    "not_in_population": "not in the population register (evaluation.eligibility.population_only)",
    "left_or_died_before_index": "deregistered or dead by their start",
    "pre_period_before_data": "starting too early for a full pre-period inside the data",
    "registered_after_pre_start": "registered after their pre-period began (evaluation.eligibility.require_full_pre)",
    "age_outside_limits": "outside the age limits (evaluation.eligibility.min_age, max_age)",
}


def ineligible(people: pd.DataFrame, when: np.datetime64, cfg: EvaluationConfig,
               period_start: dt.date) -> dict[str, np.ndarray]:
    """Per eligibility rule (the keys of ``EXCLUSIONS`` that depend on the person, in their
    order), a mask over ``people`` rows of those who fail it at date ``when``. The one
    statement of the rules: :func:`eligible_at` and :func:`why_not_eligible` read them."""
    day = pd.Timestamp(when).date()
    at = np.datetime64(day, "D")
    pre_start = np.datetime64(add_months_py(day, -cfg.pre_months), "D")
    e, n = cfg.eligibility, len(people)
    age = completed_years(people["birth_date"], when)
    return {
        "not_in_population": (np.full(n, e.population_only)
                              & ~people["in_population"].fillna(False).to_numpy(bool)),
        "left_or_died_before_index": (to_days(people["registered_to"]) < at) | (to_days(people["date_of_death"]) <= at),
        "pre_period_before_data": np.full(n, e.require_full_pre and pre_start < np.datetime64(period_start, "D")),
        "registered_after_pre_start": to_days(people["registered_from"]) > (pre_start if e.require_full_pre else at),
        "age_outside_limits": (age < e.min_age) | (age > e.max_age),
    }


def eligible_at(
    people: pd.DataFrame, when: np.datetime64, cfg: EvaluationConfig, period_start: dt.date
) -> np.ndarray:
    """Boolean mask over ``people`` rows: eligible for the comparison at date ``when``."""
    return ~np.logical_or.reduce(list(ineligible(people, when, cfg, period_start).values()))


def why_not_eligible(person: pd.DataFrame, when: np.datetime64, cfg: EvaluationConfig,
                     period_start: dt.date) -> str | None:
    """The first rule of :func:`ineligible` that the one-row frame ``person`` fails at
    ``when`` (a key of ``EXCLUSIONS``), or None when eligible."""
    return next((rule for rule, fails in ineligible(person, when, cfg, period_start).items() if fails[0]), None)


def completed_years(birth: pd.Series, when: np.datetime64) -> np.ndarray:
    """Age in completed years at ``when`` (the age limits' sense: 18 from the 18th birthday,
    64 until the 65th; born 29 February, a year completes on 1 March); NaN without a birth date."""
    born = pd.DatetimeIndex(to_days(birth))
    day = pd.Timestamp(when)
    not_yet = (born.month > day.month) | ((born.month == day.month) & (born.day > day.day))
    years = (day.year - born.year - not_yet.astype(int)).to_numpy(dtype=float)
    return np.where(born.isna(), np.nan, years)


def age_years(birth: pd.Series, when: np.datetime64 | np.ndarray) -> np.ndarray:
    """Age in fractional years (days / 365.25): the propensity model's covariate; NaN
    without a birth date (NaT's days as a float are −9.2e18, which matched as an age)."""
    days = np.asarray(when, dtype="datetime64[D]") - to_days(birth)
    return np.where(np.isnat(days), np.nan, days.astype("float64") / 365.25)


def risk_sets(
    people: pd.DataFrame,
    starts: pd.DataFrame,
    cfg: EvaluationConfig,
    period_start: dt.date,
    period_end: dt.date,
    activity: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Treated rows and candidate-control rows.

    Returns ``(rows, excluded)``: ``rows`` has row_id, set_id (the treated row it may serve),
    person_id, index_date, treated (bool), censor (a control's own later start, else NaT);
    ``excluded`` counts participants not eligible at their own index date, by reason
    (``people``), and lists them (``person_ids``, sorted) so that the stage can say where
    they are in the programme register.
    ``activity`` (person_id, month, events: events starting per calendar month index) steers
    the pool towards recently active people when the pool is capped.
    """
    people = people.sort_values("person_id", kind="stable").reset_index(drop=True)
    start_of = dict(zip(starts["person_id"], starts["index_date"], strict=True))
    own_start = np.array([start_of.get(p, NAT) for p in people["person_id"]], dtype="datetime64[D]")
    pos = {p: i for i, p in enumerate(people["person_id"])}
    treated_rows: list[tuple[str, np.datetime64]] = []
    reasons: dict[str, list[str]] = {k: [] for k in EXCLUSIONS}
    end = np.datetime64(period_end, "D")
    for person, day in zip(starts["person_id"], starts["index_date"], strict=True):
        i = pos.get(person)
        if i is None:
            reasons["not_in_people"].append(person)
        elif day > end:
            reasons["index_outside_period"].append(person)
        elif not eligible_at(people.iloc[[i]], day, cfg, period_start)[0]:
            reason = why_not_eligible(people.iloc[[i]], day, cfg, period_start)
            assert reason is not None, "why_not_eligible must name the rule eligible_at failed"
            reasons[reason].append(person)
        else:
            treated_rows.append((person, day))
    treated = pd.DataFrame(treated_rows, columns=["person_id", "index_date"])
    treated = treated.sort_values(["index_date", "person_id"], kind="stable").reset_index(drop=True)
    treated["row_id"] = np.arange(len(treated), dtype="int64")
    treated["set_id"] = treated["row_id"]
    treated["treated"] = True
    treated["censor"] = NAT
    frames = [treated]
    next_id = len(treated)
    months = treated["index_date"].map(lambda d: month_index_py(pd.Timestamp(d).date()))
    for month, group in treated.groupby(months, sort=True):
        first = np.datetime64(dt.date(int(month) // 12, int(month) % 12 + 1, 1), "D")
        pool = np.nonzero(eligible_at(people, first, cfg, period_start)
                          | eligible_at(people, group["index_date"].max(), cfg, period_start))[0]
        if len(pool) > cfg.matching.pool_size:
            recent = recent_activity(activity, people["person_id"], int(month))[pool]
            pool = sample_pool(pool, recent, cfg.matching.pool_size,
                               generator(cfg.seed, "evaluate", "pool", int(month)))
        sub = people.iloc[pool]
        for row_id, day in zip(group["row_id"], group["index_date"], strict=True):
            ok = eligible_at(sub, day, cfg, period_start)
            later = own_start[pool]
            ok &= np.isnat(later) | (later > day)
            chosen = pool[ok]
            n = len(chosen)
            frames.append(pd.DataFrame({
                "person_id": people["person_id"].to_numpy()[chosen],
                "index_date": np.full(n, day, dtype="datetime64[D]"),
                "row_id": np.arange(next_id, next_id + n, dtype="int64"),
                "set_id": np.full(n, row_id, dtype="int64"),
                "treated": False,
                "censor": own_start[chosen],
            }))
            next_id += n
    rows = pd.concat(frames, ignore_index=True)
    excluded = pd.DataFrame({"reason": list(reasons), "people": [len(v) for v in reasons.values()],
                             "person_ids": [sorted(map(str, v)) for v in reasons.values()]})
    return rows, excluded


def recent_activity(activity: pd.DataFrame | None, person_ids: pd.Series, month: int) -> np.ndarray:
    """Events per person (aligned with ``person_ids``) in the 3 calendar months before ``month``."""
    if activity is None or activity.empty:
        return np.zeros(len(person_ids))
    a = activity[(activity["month"] >= month - 3) & (activity["month"] < month)]
    totals = a.groupby("person_id")["events"].sum()
    return totals.reindex(person_ids.to_numpy()).fillna(0.0).to_numpy(float)


def sample_pool(pool: np.ndarray, recent: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """Half the most recently active (ties by a random key), half a random sample of the rest."""
    key = rng.random(len(pool))
    order = np.lexsort((key, -recent))
    top = order[: size // 2]
    rest = np.setdiff1d(np.arange(len(pool)), top)
    others = rng.choice(rest, size - len(top), replace=False)
    return np.sort(pool[np.r_[top, others]])


def feature_windows(rows: pd.DataFrame, pre_months: int, history_months: int = 0) -> pd.DataFrame:
    """Window rows for the propensity covariates: pre, last 3 months, last month and, when
    ``history_months`` > 0, ``hist``: the ``history_months`` before the pre-period."""
    spec = {"pre": (-pre_months, 0), "last3": (-3, 0), "last1": (-1, 0)}
    if history_months > 0:
        spec["hist"] = (-pre_months - history_months, -pre_months)
    return _windows(rows, spec, censor=False)


def outcome_windows(rows: pd.DataFrame, cfg: EvaluationConfig) -> pd.DataFrame:
    """Window rows for outcomes: the pre-period and each post window (controls censored)."""
    spec = {"pre": (-cfg.pre_months, 0)}
    spec.update({window_name(w): w for w in cfg.post_windows})
    return _windows(rows, spec, censor=cfg.matching.censor_controls)


#: a month's window name for the month-by-month trajectory: ``month_-12`` … ``month_11``
MONTH_PREFIX = "month_"


def month_spec(pre_months: int, post_windows: list[tuple[int, int]] | tuple[tuple[int, int], ...]
               ) -> dict[str, tuple[int, int]]:
    """Window name → (from, to) months from the index date, one per month from
    ``-pre_months`` to the end of the longest post window."""
    last = max((b for _, b in post_windows), default=0)
    return {f"{MONTH_PREFIX}{m}": (m, m + 1) for m in range(-pre_months, last)}


def month_windows(rows: pd.DataFrame, cfg: EvaluationConfig) -> pd.DataFrame:
    """Window rows for the month-by-month trajectory (``evaluate.trajectory``): each month from
    the pre-period's first to the longest post window's last (controls censored)."""
    return _windows(rows, month_spec(cfg.pre_months, cfg.post_windows), censor=cfg.matching.censor_controls)


def _windows(rows: pd.DataFrame, spec: dict[str, tuple[int, int]], censor: bool) -> pd.DataFrame:
    index = rows["index_date"].to_numpy().astype("datetime64[D]")
    unique, inverse = np.unique(index, return_inverse=True)
    dates = [pd.Timestamp(d).date() for d in unique]

    def shifted(months: int) -> np.ndarray:
        return np.array([add_months_py(d, months) for d in dates], dtype="datetime64[D]")[inverse]

    frames = []
    # the columns' own arrays: ``to_numpy`` would turn the Arrow-backed IDs into Python
    # strings, which the frame then turns back (seconds on a million rows)
    row_id, person_id = rows["row_id"].to_numpy(), rows["person_id"].array
    for name, (a, b) in spec.items():
        frames.append(pd.DataFrame({
            "row_id": row_id,
            "person_id": person_id,
            "window": name,
            "w_start": shifted(a),
            "w_end": shifted(b),
            "censor": rows["censor"].to_numpy() if censor else np.full(len(rows), NAT),
        }))
    return pd.concat(frames, ignore_index=True)
