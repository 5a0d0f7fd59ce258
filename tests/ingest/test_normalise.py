"""Normalisation before hashing and linkage (carecase rules; postcode format per the Royal
Mail PAF programmers' guide: the inward code is always digit-letter-letter, the last three
characters, separated from the outward code by one space)."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from carecase.ingest.normalise import (
    normalise_local_id,
    normalise_name,
    normalise_postcode,
    normalise_sex,
    split_full_name,
)


def test_names() -> None:
    values = ["  Zoë  O'Brien-Smith ", "josé", "ANNE\tmarie", "!!", None, "Łukasz Żółć"]
    assert normalise_name(pa.array(values)).to_pylist() == [
        "ZOE OBRIEN SMITH", "JOSE", "ANNE MARIE", None, None, "ŁUKASZ ZOŁC",
    ]


def test_full_name_split_last_token_is_family() -> None:
    given_, family = split_full_name(pa.array(["Anna Maria Smith", "Smith", "", None, " mary  o'neil "]))
    assert given_.to_pylist() == ["ANNA MARIA", None, None, None, "MARY"]
    assert family.to_pylist() == ["SMITH", "SMITH", None, None, "ONEIL"]


def test_postcodes() -> None:
    values = ["sw1a 1aa", "M1 1AE", "b338th", " ec1a1bb ", "XX", "", None, "SW1A 1AAA"]
    assert normalise_postcode(pa.array(values)).to_pylist() == [
        "SW1A 1AA", "M1 1AE", "B33 8TH", "EC1A 1BB", None, None, None, None,
    ]


def test_local_ids_and_sex() -> None:
    assert normalise_local_id(pa.array([" ab1 ", "", None, "x-9"])).to_pylist() == ["AB1", None, None, "X-9"]
    assert normalise_sex(pa.array(["m", "Female", "x", None, "2"]), {}).to_pylist() == ["M", "F", "U", "U", "F"]
    assert normalise_sex(pa.array(["1", "2", "9"]), {"1": "F", "2": "M"}).to_pylist() == ["F", "M", "U"]


@settings(deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=20)), max_size=20))
def test_name_normalisation_is_idempotent_and_clean(values: list[str | None]) -> None:
    once = normalise_name(pa.array(values, pa.string()))
    assert normalise_name(once).to_pylist() == once.to_pylist()
    for v in once.to_pylist():
        if v is not None:
            assert v == v.strip() and "  " not in v and v == v.upper()


@settings(deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=10)), max_size=20))
def test_postcode_normalisation_is_idempotent(values: list[str | None]) -> None:
    once = normalise_postcode(pa.array(values, pa.string()))
    assert normalise_postcode(once).to_pylist() == once.to_pylist()
