"""People of the area who are not on the population register.

They have no GP registration, so no record of theirs carries an NHS number and none is on
the register: often rough sleepers and people in temporary accommodation, central to a
complex-needs cohort. There are ``round(share × people)`` of them (``params.UNREGISTERED_SHARE``
by default, 3%), simulated like everyone else (complexity, crises, Poisson service use) from
a seed stream of their own, with complexity shifted up by
``params.UNREGISTERED_COMPLEXITY_SHIFT``, and they use only the name-only services
(``params.UNREGISTERED_SERVICES``: homelessness applications, temporary accommodation, police
custody). Their rows carry the usual identity typos and are appended after the registered
people's rows of each extract, from a random stream of their own, so the registered people's
rows (their order, noise and planted broken rows) are the same whatever the share. No broken
row is planted among them. Their person numbers follow the registered people's (truth:
``person_key`` above ``people``, with no register row). They are never programme participants
(the programme register lists NHS numbers).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from carecase.core.random import generator
from carecase.synth import params
from carecase.synth.activity import ServiceEvents, build_segments, service_events
from carecase.synth.broken import kind_code
from carecase.synth.dynamics import Programme, simulate_crises
from carecase.synth.extract import Extract
from carecase.synth.population import People, Period, make_people


@dataclass
class Unregistered:
    people: People  # their own arrays; person i here is person offset + i of the area
    offset: int  # the number of registered people
    events: dict[str, ServiceEvents]  # person indices local to ``people``


def _no_programme() -> Programme:
    none = np.zeros(0, dtype=np.int32)
    return Programme(none, none, none, none, none, none)


def unregistered_count(people: int, share: float) -> int:
    return int(round(people * share))


def simulate_unregistered(seed: int, registered: int, share: float, period: Period) -> Unregistered | None:
    """The people off the register of an area of ``registered`` people, or None when
    ``share`` leaves none."""
    count = unregistered_count(registered, share)
    if count <= 0:
        return None
    useed = int(generator(seed, "synth", "unregistered").integers(0, 2**31 - 1))
    folk = make_people(useed, count, period, complexity_shift=params.UNREGISTERED_COMPLEXITY_SHIFT)
    crises = simulate_crises(useed, folk, period)
    segments = build_segments(folk, period, crises, _no_programme())
    events = {code: service_events(useed, folk, period, segments, params.BY_CODE[code])
              for code in params.UNREGISTERED_SERVICES}
    return Unregistered(folk, registered, events)


def with_unregistered(
    main: Extract, unregistered: Unregistered | None, code: str, seed: int, stream: str,
    build: Callable[[np.random.Generator, People, ServiceEvents, int], Extract],
) -> Extract:
    """``main`` (the registered people's rows) with the rows of the people off the register
    appended: ``build(rng, people, events, first_ref)`` makes their part (``first_ref``: the
    number of reference numbers ``main`` used, so theirs continue the sequence)."""
    if unregistered is None or unregistered.events[code].person.size == 0:
        return main
    rng = generator(seed, "synth", "extract", stream, "unregistered")
    first_ref = int((main.kind != kind_code("duplicate_row")).sum())
    extra = build(rng, unregistered.people, unregistered.events[code], first_ref)
    typos = {k: main.typos.get(k, 0) + extra.typos.get(k, 0) for k in main.typos.keys() | extra.typos.keys()}
    broken = {k: main.broken.get(k, 0) + extra.broken.get(k, 0) for k in main.broken.keys() | extra.broken.keys()}
    main.table = pa.concat_tables([main.table, extra.table.cast(main.table.schema)])
    main.person = np.concatenate([main.person, extra.person + unregistered.offset]).astype(main.person.dtype)
    main.kind = np.concatenate([main.kind, extra.kind]).astype(main.kind.dtype)
    main.typos = dict(sorted(typos.items()))
    main.broken = dict(sorted(broken.items()))
    return main
