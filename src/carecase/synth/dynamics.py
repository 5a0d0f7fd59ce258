"""Crises that come and go, and referrals to the complex-needs programme at their peaks.

A person's crisis state is a monthly on/off Markov chain whose onset odds rise with their
complexity; each crisis has a severity (rate multiplier) drawn at onset, reached at its last
month (crises escalate to a peak, then resolve). People referred at
a crisis peak fall back afterwards whether or not they are helped: regression to the mean.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from carecase.core.random import generator
from carecase.synth import params
from carecase.synth.population import NONE, People, Period


@dataclass
class Crises:
    person: np.ndarray  # int32
    first_month: np.ndarray  # int32, inclusive
    end_month: np.ndarray  # int32, exclusive
    severity: np.ndarray  # float64, ≥ 1


@dataclass
class Programme:
    person: np.ndarray  # int32, participants in person order
    start_day: np.ndarray  # int32
    end_day: np.ndarray  # int32 or NONE (still open)
    start_month: np.ndarray  # int32 (month index within the period)
    referral_day: np.ndarray  # int32: the day of the crisis peak when the person was referred
    referral_month: np.ndarray  # int32


def simulate_crises(seed: int, people: People, period: Period) -> Crises:
    rng = generator(seed, "synth", "crises")
    n, months = len(people), period.months
    p_on = 1.0 / (1.0 + np.exp(-(params.CRISIS_ONSET_INTERCEPT + params.CRISIS_ONSET_SLOPE * people.z)))
    # start from the chain's stationary distribution so the first months are not crisis-free
    stationary = p_on / (p_on + params.CRISIS_END_PROB)
    on = np.zeros((n, months + 2), dtype=bool)  # padded with off at both ends
    on[:, 1] = rng.random(n) < stationary
    for m in range(1, months):
        u = rng.random(n)
        on[:, m + 1] = np.where(on[:, m], u >= params.CRISIS_END_PROB, u < p_on)
    change = np.diff(on.astype(np.int8), axis=1)  # +1 at onset, -1 after the last month
    start_p, start_m = np.nonzero(change == 1)
    end_p, end_m = np.nonzero(change == -1)
    # np.nonzero is row-major, so the k-th onset pairs with the k-th end
    assert np.array_equal(start_p, end_p)
    severity = 1.0 + rng.gamma(params.CRISIS_SEVERITY_SHAPE, params.CRISIS_SEVERITY_SCALE, start_p.size)
    return Crises(
        person=start_p.astype(np.int32), first_month=start_m.astype(np.int32),
        end_month=end_m.astype(np.int32), severity=severity,
    )


def crisis_months(crises: Crises) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One row per person-month in crisis: (person, month, intensity). A crisis escalates
    linearly to its severity in its last month (the peak), then stops."""
    lengths = crises.end_month - crises.first_month
    starts = np.cumsum(lengths) - lengths
    step = np.arange(lengths.sum()) - np.repeat(starts, lengths)  # 0-based month within crisis
    person = np.repeat(crises.person, lengths)
    month = np.repeat(crises.first_month, lengths) + step
    length = np.repeat(lengths, lengths)
    intensity = 1.0 + (np.repeat(crises.severity, lengths) - 1.0) * (step + 1) / length
    return person.astype(np.int32), month.astype(np.int32), intensity


def target_participants(people: int) -> int:
    return max(1, int(round(people * params.PARTICIPANTS_PER_PERSON)))


def refer_at_peaks(seed: int, people: People, period: Period, crises: Crises) -> Programme:
    """Pick participants at crisis peaks: each crisis peak (its last, most intense month)
    inside the referral window has a weight severity ** power × (multiple-disadvantage need)
    ** power × an age preference; each person's candidate is their peak with the smallest
    U / weight (U uniform), and the ``target_participants`` people with the smallest values
    are referred then. They start on the programme 2 to 8 weeks later."""
    rng = generator(seed, "synth", "referrals")
    lo = params.PROGRAMME_MIN_PRE_MONTHS
    # last referral month, inclusive: the start (after the wait) still has its follow-up
    hi = period.months - params.PROGRAMME_MIN_POST_MONTHS - 3
    # eligible: registered throughout, alive throughout
    settled = (
        (people.reg_from <= period.first_day) & (people.reg_to == NONE) & (people.death == NONE)
    )
    cp, cm, cs = crisis_months(crises)
    keep = (cm >= lo) & (cm <= hi) & settled[cp]
    # referrals come at a crisis's peak: its last (most intense) month
    last = np.repeat(crises.end_month - 1, crises.end_month - crises.first_month)
    keep &= cm == last
    cp, cm, cs = cp[keep], cm[keep], cs[keep]
    # the programme is for multiple disadvantage: referral odds rise with housing, justice,
    # substance and mental-health need as well as with the crisis severity
    groups = [params.NEED_GROUPS.index(g) for g in params.REFERRAL_NEED_GROUPS]
    multiple = np.exp(np.log(people.need[:, groups]).mean(axis=1))
    younger = np.exp(params.REFERRAL_AGE_SLOPE * (people.age - params.REFERRAL_AGE_CENTRE))
    weight = cs**params.REFERRAL_SEVERITY_POWER * (multiple**params.REFERRAL_NEED_POWER * younger)[cp]
    # each person's candidate is the peak where U / weight is smallest (their most intense
    # crisis, with noise); the people with the smallest such values are referred there
    ratio = rng.random(cp.size) / weight
    order = np.lexsort((cm, ratio, cp))
    first = np.concatenate([[True], cp[order][1:] != cp[order][:-1]]) if order.size else order.astype(bool)
    best_person, best_month, best_ratio = cp[order][first], cm[order][first], ratio[order][first]
    want = min(target_participants(len(people)), best_person.size)
    chosen = np.sort(np.lexsort((best_person, best_ratio))[:want])
    person = best_person[chosen].astype(np.int32)
    month = best_month[chosen].astype(np.int32)
    length = period.month_starts[month + 1] - period.month_starts[month]
    referral_day = (period.month_starts[month] + np.floor(rng.random(person.size) * length)).astype(np.int32)
    wait = rng.integers(params.PROGRAMME_WAIT_DAYS[0], params.PROGRAMME_WAIT_DAYS[1] + 1, person.size)
    start_day = (referral_day + wait).astype(np.int32)
    # about 70% have left the programme by the extract date, after 6 to 18 months
    leaves = rng.random(person.size) < 0.7
    stay = np.floor(rng.uniform(180, 540, person.size)).astype(np.int32)
    end_day = np.where(leaves & (start_day + stay < period.end_day), start_day + stay, NONE)
    return Programme(person, start_day, end_day.astype(np.int32), period.month_of(start_day),
                     referral_day, month)
