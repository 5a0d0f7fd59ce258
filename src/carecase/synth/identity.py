"""Identifiers as agencies record them: names, dates of birth and postcodes, with the
realistic errors that make probabilistic linkage necessary (transposed letters, nicknames,
day and month swapped, missing postcode, an old or new address)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from carecase.core.errors import SynthError
from carecase.synth import names
from carecase.synth.population import People

GIVEN: tuple[str, ...] = names.GIVEN_FEMALE + names.GIVEN_MALE
TYPO_RATES: dict[str, float] = {
    "given_transposed": 0.04,
    "given_nickname": 0.08,
    "family_transposed": 0.04,
    "dob_day_month_swapped": 0.02,
    "postcode_missing": 0.06,
    "postcode_moved": 0.10,
}
#: the largest ``identity_noise``: at 10 times, a record's postcode is never its current one
MAX_IDENTITY_NOISE = 10.0


def typo_rates(noise: float = 1.0) -> dict[str, float]:
    """:data:`TYPO_RATES` each multiplied by ``noise`` (``synth --identity-noise``; at most
    1): 0 for identifiers recorded without error, above 1 for an area harder to link."""
    if not 0 <= noise <= MAX_IDENTITY_NOISE:
        raise SynthError(f"identity_noise = {noise}: use a multiple of the usual error rates from 0 to "
                         f"{MAX_IDENTITY_NOISE:g} (1 is the usual).")
    return {k: min(1.0, r * noise) for k, r in TYPO_RATES.items()}


@dataclass
class Identity:
    given: pa.Array
    family: pa.Array
    dob: np.ndarray  # days
    postcode: pa.Array
    typos: dict[str, int]


@lru_cache(maxsize=2)
def _variants(words: tuple[str, ...]) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """All adjacent-letter transpositions of each word: flat strings, offsets and counts."""
    flat: list[str] = []
    offsets, counts = [], []
    for w in words:
        found = [w[:i] + w[i + 1] + w[i] + w[i + 2 :] for i in range(1, len(w) - 1) if w[i] != w[i + 1]]
        found = found or [w]
        offsets.append(len(flat))
        counts.append(len(found))
        flat.extend(found)
    return pa.array(flat), np.array(offsets), np.array(counts)


def person_given_index(people: People) -> np.ndarray:
    return np.where(people.male, people.given + len(names.GIVEN_FEMALE), people.given)


def postcode_strings(district: np.ndarray, sector: np.ndarray, unit: np.ndarray) -> pa.Array:
    letters = names.INWARD_LETTERS
    outward = pa.array([f"{names.POSTCODE_AREA}{k}" for k in range(100)]).take(pa.array(district))
    inward_table = pa.array([f"{s}{a}{b}" for s in range(10) for a in letters for b in letters])
    inward = inward_table.take(pa.array(sector * len(letters) ** 2 + unit))
    return pc.binary_join_element_wise(outward, inward, " ")


def random_postcodes(rng: np.random.Generator, size: int) -> pa.Array:
    districts = np.array([d for loc in names.LOCALITIES for d in loc[1]])
    return postcode_strings(
        districts[rng.integers(0, districts.size, size)],
        rng.integers(1, 10, size),
        rng.integers(0, len(names.INWARD_LETTERS) ** 2, size),
    )


def clean_identity(people: People, person: np.ndarray) -> Identity:
    given = pa.array(GIVEN).take(pa.array(person_given_index(people)[person]))
    family = pa.array(names.FAMILY).take(pa.array(people.family[person]))
    postcode = postcode_strings(people.district[person], people.sector[person], people.unit[person])
    return Identity(given, family, people.dob[person].copy(), postcode, {})


def recorded_identity(rng: np.random.Generator, people: People, person: np.ndarray,
                      rates: Mapping[str, float] = TYPO_RATES) -> Identity:
    """Identity fields as another agency records them, with typos at ``rates`` (one for
    each key of :data:`TYPO_RATES`)."""
    n = person.size
    ident = clean_identity(people, person)
    hit = {k: rng.random(n) < rates[k] for k in TYPO_RATES}
    gi = person_given_index(people)[person]

    flat, off, cnt = _variants(GIVEN)
    pick = off[gi] + np.floor(rng.random(n) * cnt[gi]).astype(np.int64)
    ident.given = pc.if_else(pa.array(hit["given_transposed"]), flat.take(pa.array(pick)), ident.given)
    nick = np.array([names.NICKNAMES.get(g, "") for g in GIVEN])
    has_nick = hit["given_nickname"] & (nick[gi] != "") & ~hit["given_transposed"]
    hit["given_nickname"] = has_nick
    ident.given = pc.if_else(pa.array(has_nick), pa.array(nick).take(pa.array(gi)), ident.given)

    fi = people.family[person]
    flat, off, cnt = _variants(names.FAMILY)
    pick = off[fi] + np.floor(rng.random(n) * cnt[fi]).astype(np.int64)
    ident.family = pc.if_else(pa.array(hit["family_transposed"]), flat.take(pa.array(pick)), ident.family)

    ymd = np.asarray(ident.dob, dtype="datetime64[D]")
    year = ymd.astype("datetime64[Y]")
    month = (ymd.astype("datetime64[M]") - year.astype("datetime64[M]")).astype(np.int64) + 1
    day = (ymd - ymd.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    swap = hit["dob_day_month_swapped"] & (day <= 12) & (day != month)
    hit["dob_day_month_swapped"] = swap
    swapped = (
        year.astype("datetime64[M]") + (day - 1).astype("timedelta64[M]")
    ).astype("datetime64[D]") + (month - 1).astype("timedelta64[D]")
    ident.dob = np.where(swap, swapped.astype(np.int64), ident.dob).astype(np.int32)

    moved = hit["postcode_moved"]
    ident.postcode = pc.if_else(pa.array(moved), random_postcodes(rng, n), ident.postcode)
    missing = hit["postcode_missing"] & ~moved
    hit["postcode_missing"] = missing
    ident.postcode = pc.if_else(pa.array(missing), pa.nulls(n, pa.string()), ident.postcode)
    ident.typos = {k: int(v.sum()) for k, v in hit.items()}
    return ident
