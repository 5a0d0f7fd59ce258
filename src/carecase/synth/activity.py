"""Service use: Poisson events over each person's time in the area.

A person's time is cut into segments: their usual time (multiplier 1) and their crisis
months (an extra intensity ** power − 1), each split at their programme start date so that
the planted effect multiplies the rate from that date on. Counts are Poisson(rate × days)
per segment and event days are uniform within it: the sum over segments is exactly a
Poisson process whose monthly counts are Poisson(monthly rate). All vectorised over segments.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from carecase.core.random import generator
from carecase.synth import params
from carecase.synth.dynamics import Crises, Programme, crisis_months
from carecase.synth.population import NONE, People, Period

DAYS_PER_YEAR = 365.25


@dataclass
class Segments:
    person: np.ndarray  # int32
    lo: np.ndarray  # first day, int32
    hi: np.ndarray  # exclusive end day, int32
    severity: np.ndarray  # 0 for usual time, else the crisis intensity that month
    post: np.ndarray  # bool: on or after the person's programme start

    @property
    def days(self) -> np.ndarray:
        return (self.hi - self.lo).astype(np.float64)


@dataclass
class ServiceEvents:
    code: str
    person: np.ndarray  # int32, sorted by (person, day)
    day: np.ndarray  # int32
    end: np.ndarray | None = None  # int32 exclusive end day, NONE when still open
    quantity: np.ndarray | None = None  # float64 amount per week (packages) or count


def build_segments(people: People, period: Period, crises: Crises, programme: Programme) -> Segments:
    a = np.maximum(people.reg_from, period.first_day).astype(np.int32)
    b = people.active_to(period)
    base = np.nonzero(a < b)[0].astype(np.int32)
    cp, cm, intensity = crisis_months(crises)
    c_lo = np.maximum(period.month_starts[cm], a[cp])
    c_hi = np.minimum(period.month_starts[cm + 1], b[cp])
    c_ok = c_lo < c_hi
    person = np.concatenate([base, cp[c_ok]])
    lo = np.concatenate([a[base], c_lo[c_ok]]).astype(np.int32)
    hi = np.concatenate([b[base], c_hi[c_ok]]).astype(np.int32)
    severity = np.concatenate([np.zeros(base.size), intensity[c_ok]])
    # split at programme start
    start = np.full(len(people), np.iinfo(np.int32).max, dtype=np.int64)
    start[programme.person] = programme.start_day
    t = start[person]
    cut = (lo < t) & (t < hi)
    person = np.concatenate([person, person[cut]])
    new_lo = np.concatenate([lo, t[cut]]).astype(np.int32)
    new_hi = np.concatenate([np.where(cut, t, hi), hi[cut]]).astype(np.int32)
    severity = np.concatenate([severity, severity[cut]])
    post = new_lo >= start[person]
    return Segments(person, new_lo, new_hi, severity, post)


def person_rate(people: People, sp: params.ServiceParams) -> np.ndarray:
    """Events per day for each person at their usual (non-crisis) level."""
    g = params.NEED_GROUPS.index(sp.group)
    age_factor = np.exp(np.clip(sp.age_slope * (people.age - sp.age_centre), -4.0, 3.0))
    sex_factor = np.where(people.male, sp.male_ratio, 1.0)
    return sp.annual_rate / DAYS_PER_YEAR * people.need[:, g] * age_factor * sex_factor


def segment_rate(segments: Segments, rate: np.ndarray, power: float, effect: float) -> np.ndarray:
    """Events per day in each segment (crisis segments carry only the extra over usual)."""
    crisis = segments.severity > 0
    mult = np.ones(segments.severity.size)
    mult[crisis] = segments.severity[crisis] ** power - 1.0
    return rate[segments.person] * mult * np.where(segments.post, effect, 1.0)


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """Distinct values in ascending order (a sort, faster than np.unique's hashing here)."""
    v = np.sort(values)
    if v.size == 0:
        return v
    return v[np.concatenate([[True], v[1:] != v[:-1]])]


def draw_days(
    rng: np.random.Generator, segments: Segments, per_day: np.ndarray, one_per_day: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Poisson event days; with ``one_per_day``, at most one event per person per day (repeat
    draws dropped: rare, and a second same-day event would read as a duplicate record)."""
    counts = rng.poisson(per_day * segments.days)
    idx = np.repeat(np.arange(counts.size), counts)
    day = segments.lo[idx] + np.floor(rng.random(idx.size) * segments.days[idx]).astype(np.int32)
    person = segments.person[idx]
    if not one_per_day:
        return person, day
    key = sorted_unique(person.astype(np.int64) * 100_000 + day)
    return (key // 100_000).astype(np.int32), (key % 100_000).astype(np.int32)


def service_events(
    seed: int, people: People, period: Period, segments: Segments, sp: params.ServiceParams,
    *, share: float = 1.0, effect: float | None = None, stream: str | None = None,
    eligible: np.ndarray | None = None,
) -> ServiceEvents:
    rng = generator(seed, "synth", "events", stream or sp.code)
    rate = person_rate(people, sp) * share
    if eligible is not None:
        rate = np.where(eligible, rate, 0.0)
    per_day = segment_rate(segments, rate, sp.crisis_power, sp.effect if effect is None else effect)
    person, day = draw_days(rng, segments, per_day, one_per_day=sp.code != "GP_APPT")
    ev = ServiceEvents(sp.code, person, day)
    if sp.length_shape is not None:
        assert sp.length_scale is not None
        length = np.maximum(1, np.round(rng.gamma(sp.length_shape, sp.length_scale, day.size)))
        end = (day + length).astype(np.int32)
        stop = people.active_to(period)[person]
        end = np.minimum(end, np.maximum(stop, day + 1))
        ev.end = np.where(end >= period.end_day, NONE, end).astype(np.int32)
        if sp.code == "ASC_HOMECARE":
            hours = rng.gamma(params.HOMECARE_HOURS_SHAPE, params.HOMECARE_HOURS_SCALE, day.size)
            ev.quantity = np.maximum(0.5, np.round(hours * 2) / 2)
        elif sp.code == "ASC_RESIDENTIAL":
            ev.quantity = np.ones(day.size)
    return ev


def monthly_counts(ev: ServiceEvents, period: Period) -> ServiceEvents:
    """Aggregate point events to one row per person per month (count kind), dated the 1st."""
    month = period.month_of(ev.day)
    key = np.sort(ev.person.astype(np.int64) * 10_000 + month)
    keys = sorted_unique(key)
    edges = np.searchsorted(key, keys, side="left")
    counts = np.diff(np.append(edges, key.size))
    person = (keys // 10_000).astype(np.int32)
    first = period.month_starts[(keys % 10_000).astype(np.int64)].astype(np.int32)
    return ServiceEvents(ev.code, person, first, quantity=counts.astype(np.float64))


def mean_units_per_event(sp: params.ServiceParams) -> float:
    """Expected units per event before truncation at the period end (see truth.json)."""
    if sp.length_shape is None:
        return 1.0
    days = sp.length_shape * (sp.length_scale or 0.0)
    if sp.code == "ASC_HOMECARE":
        return params.HOMECARE_HOURS_SHAPE * params.HOMECARE_HOURS_SCALE * days / 7.0
    if sp.code in ("ASC_RESIDENTIAL", "DA_TREATMENT"):
        return days / 7.0
    return days
