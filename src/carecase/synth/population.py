"""The people of the synthetic area: identity, demographics, registration and latent need.

Days are int32 days since 1970-01-01 throughout the generator; -1 means "none".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from carecase.core.random import generator
from carecase.synth import names, params
from carecase.synth.nhs_number import generate_nhs_numbers

EPOCH = dt.date(1970, 1, 1)
NONE = -1


def to_day(d: dt.date) -> int:
    return (d - EPOCH).days


@dataclass
class Period:
    start: dt.date
    months: int
    month_starts: np.ndarray  # months + 1 boundaries, as days

    @property
    def first_day(self) -> int:
        return int(self.month_starts[0])

    @property
    def end_day(self) -> int:
        """Exclusive end (the day after the period's last day)."""
        return int(self.month_starts[-1])

    @property
    def last_date(self) -> dt.date:
        return EPOCH + dt.timedelta(days=self.end_day - 1)

    def month_of(self, days: np.ndarray) -> np.ndarray:
        """Month index within the period of days inside it."""
        lookup = np.repeat(np.arange(self.months, dtype=np.int32), np.diff(self.month_starts))
        return lookup[np.asarray(days, dtype=np.int64) - self.first_day]


def make_period(start: dt.date, years: int) -> Period:
    months = years * 12
    firsts = [dt.date(start.year + (start.month - 1 + k) // 12, (start.month - 1 + k) % 12 + 1, 1)
              for k in range(months + 1)]
    starts = np.array([to_day(d) for d in firsts], dtype=np.int32)
    return Period(start, months, starts)


@dataclass
class People:
    nhs: np.ndarray  # int64
    male: np.ndarray  # bool
    dob: np.ndarray  # day
    age: np.ndarray  # years at period start (float)
    given: np.ndarray  # index into names.GIVEN_FEMALE / GIVEN_MALE by sex
    family: np.ndarray  # index into names.FAMILY
    locality: np.ndarray  # index into names.LOCALITIES
    district: np.ndarray
    sector: np.ndarray
    unit: np.ndarray  # two-letter inward unit, as an index into INWARD_LETTERS**2
    decile: np.ndarray
    reg_from: np.ndarray  # day
    reg_to: np.ndarray  # day or NONE (exclusive end of registration)
    death: np.ndarray  # day or NONE
    z: np.ndarray  # complexity
    need: np.ndarray  # people × need groups, mean 1 per group

    def __len__(self) -> int:
        return int(self.nhs.size)

    @property
    def active_from(self) -> np.ndarray:
        return self.reg_from

    def active_to(self, period: Period) -> np.ndarray:
        """Exclusive end of the person's time in the area within the period."""
        end = np.full(len(self), period.end_day, dtype=np.int32)
        end = np.where(self.reg_to != NONE, np.minimum(end, self.reg_to), end)
        return np.where(self.death != NONE, np.minimum(end, self.death + 1), end).astype(np.int32)


def make_people(seed: int, count: int, period: Period, complexity_shift: float = 0.0) -> People:
    """``count`` people; ``complexity_shift`` is added to every person's complexity z (the
    people off the register, ``synth.unregistered``, are shifted up)."""
    rng = generator(seed, "synth", "people")
    n = count
    nhs = generate_nhs_numbers(generator(seed, "synth", "nhs_numbers"), n)
    male = rng.random(n) < 0.49
    age = 18.0 + 77.0 * rng.beta(1.3, 1.9, size=n)
    dob = (period.first_day - np.floor(age * 365.25)).astype(np.int32)
    given = np.where(
        male,
        rng.integers(0, len(names.GIVEN_MALE), n),
        rng.integers(0, len(names.GIVEN_FEMALE), n),
    ).astype(np.int32)
    # family names follow a Zipf-like frequency, as in a real register
    weights = 1.0 / np.arange(1, len(names.FAMILY) + 1) ** 0.7
    family = rng.choice(len(names.FAMILY), size=n, p=weights / weights.sum()).astype(np.int32)
    locality = rng.integers(0, len(names.LOCALITIES), n).astype(np.int32)
    districts = np.array([loc[1] for loc in names.LOCALITIES])
    district = districts[locality, rng.integers(0, 2, n)].astype(np.int32)
    sector = rng.integers(1, 10, n).astype(np.int32)
    unit = rng.integers(0, len(names.INWARD_LETTERS) ** 2, n).astype(np.int32)
    typical = np.array([loc[2] for loc in names.LOCALITIES])
    decile = np.clip(typical[locality] + rng.integers(-2, 3, n), 1, 10).astype(np.int32)

    z = rng.standard_normal(n) + 0.12 * (5.5 - decile) + complexity_shift
    span = period.end_day - period.first_day
    joined_late = rng.random(n) < 0.07
    earliest = np.maximum(dob + 16 * 365, to_day(dt.date(1985, 1, 1)))
    reg_from = np.where(
        joined_late,
        period.first_day + rng.integers(1, max(2, span - 180), n),
        earliest + np.floor(rng.random(n) * np.maximum(period.first_day - earliest, 1)),
    ).astype(np.int32)
    leaves = rng.random(n) < 0.06
    since = np.maximum(reg_from, period.first_day)  # people who leave do so within the period
    reg_to = np.where(
        leaves, since + 1 + np.floor(rng.random(n) * np.maximum(period.end_day - since - 1, 1)), NONE
    ).astype(np.int32)
    yearly_death = np.clip(0.0004 * np.exp(0.09 * (age - 50)), 0, 0.25)
    dies = rng.random(n) < 1 - (1 - yearly_death) ** (span / 365.25)
    first_possible = np.maximum(reg_from, period.first_day)
    death = np.where(
        dies & (reg_to == NONE) & (first_possible < period.end_day - 1),
        first_possible + np.floor(rng.random(n) * np.maximum(period.end_day - 1 - first_possible, 1)),
        NONE,
    ).astype(np.int32)

    groups = params.NEED_GROUPS
    loading = np.array([params.NEED_LOADING[g] for g in groups])
    own = rng.standard_normal((n, len(groups)))
    log_need = z[:, None] * loading[None, :] + params.NEED_SPREAD * own
    log_need -= (loading**2 + params.NEED_SPREAD**2)[None, :] / 2.0
    return People(
        nhs=nhs, male=male, dob=dob, age=age, given=given, family=family, locality=locality,
        district=district, sector=sector, unit=unit, decile=decile, reg_from=reg_from,
        reg_to=reg_to, death=death, z=z, need=np.exp(log_need).astype(np.float64),
    )
