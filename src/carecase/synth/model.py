"""The whole synthetic area in memory: people, crises, programme and every service's events."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from carecase.core.errors import SynthError
from carecase.synth import params
from carecase.synth.activity import (
    Segments,
    ServiceEvents,
    build_segments,
    monthly_counts,
    service_events,
)
from carecase.synth.dynamics import Crises, Programme, refer_at_peaks, simulate_crises
from carecase.synth.identity import TYPO_RATES
from carecase.synth.population import People, Period, make_people, make_period
from carecase.synth.unregistered import Unregistered, simulate_unregistered


@dataclass
class Area:
    seed: int
    period: Period
    people: People
    crises: Crises
    programme: Programme
    segments: Segments
    events: dict[str, ServiceEvents] = field(default_factory=dict)
    # activity present in extracts but outside the catalogue (mapped to 'ignore')
    out_of_scope: dict[str, ServiceEvents] = field(default_factory=dict)
    derived: dict[str, Any] = field(default_factory=dict, repr=False)  # computed once, reused
    # people off the population register (synth.unregistered), or None
    unregistered: Unregistered | None = None
    # how often each agency records an identifier wrongly (synth --identity-noise scales them)
    typo_rates: dict[str, float] = field(default_factory=lambda: dict(TYPO_RATES))


def check_arguments(people: int, start: dt.date, years: int) -> None:
    if people < 50:
        raise SynthError(f"people = {people}: the generator needs at least 50 people.")
    if people > 5_000_000:
        raise SynthError(f"people = {people:,}: at most 5,000,000 people are supported.")
    if not 3 <= years <= 20:
        raise SynthError(
            f"years = {years}: use 3 to 20 years (the programme needs 12 months before and "
            "13 after each start)."
        )
    if start.day != 1:
        raise SynthError(f"start = {start.isoformat()}: the period must start on the 1st of a month.")


def simulate(seed: int, people: int, start: dt.date = dt.date(2019, 4, 1), years: int = 5,
             unregistered: float = params.UNREGISTERED_SHARE) -> Area:
    """The area: ``people`` on the population register and ``round(unregistered × people)``
    off it (``synth.unregistered``)."""
    check_arguments(people, start, years)
    if not 0 <= unregistered <= 0.5:
        raise SynthError(f"unregistered = {unregistered}: use a share from 0 to 0.5 of the registered people.")
    period = make_period(start, years)
    folk = make_people(seed, people, period)
    crises = simulate_crises(seed, folk, period)
    programme = refer_at_peaks(seed, folk, period, crises)
    segments = build_segments(folk, period, crises, programme)
    area = Area(seed, period, folk, crises, programme, segments)
    for sp in params.SERVICE_PARAMS:
        ev = service_events(seed, folk, period, segments, sp)
        area.events[sp.code] = monthly_counts(ev, period) if sp.code == "GP_APPT" else ev
    amb = params.BY_CODE["AMBULANCE"]
    area.out_of_scope["AMBULANCE"] = service_events(
        seed, folk, period, segments, amb, share=params.AMBULANCE_NOT_CONVEYED_SHARE,
        effect=1.0, stream="ambulance_not_conveyed",
    )
    el = params.BY_CODE["EL_ADMIT"]
    women = (~folk.male) & (folk.age < 45)
    share = params.MATERNITY_RATE_WOMEN_18_45 / el.annual_rate
    maternity = params.ServiceParams(
        "MATERNITY", "physical", el.annual_rate, 0.0, 0.0, 30, 1.0, 1.0, 1.5, 1.5
    )
    area.out_of_scope["MATERNITY"] = service_events(
        seed, folk, period, segments, maternity, share=share, effect=1.0, stream="maternity",
        eligible=women,
    )
    area.unregistered = simulate_unregistered(seed, people, unregistered, period)
    return area
