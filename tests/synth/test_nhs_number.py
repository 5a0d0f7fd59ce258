"""NHS number Modulus 11 check digit.

Source: NHS Data Model and Dictionary, "NHS Number" (NHS Digital): weights 10 to 2 on the
first nine digits; check = 11 - (sum mod 11); 11 -> 0; 10 -> the number is invalid.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carecase.core.random import generator
from carecase.synth.nhs_number import (
    break_check_digit,
    check_digit,
    check_digits,
    format_nhs,
    generate_nhs_numbers,
    nhs_number_is_valid,
    nhs_numbers_valid,
)


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        # 9*10+4*9+3*8+4*7+7*6+6*5+5*4+9*3+1*2 = 299; 299 mod 11 = 2; 11-2 = 9
        ("943 476 5919", True),
        ("9434765919", True),
        ("9434765918", False),
        # NHS Digital's documented example: 4*10+1*8+2*6+3*5+2*4+1*3+3*2 = 92; 92 mod 11 = 4 -> 7
        ("401 023 2137", True),
        ("401-023-2137", True),
        ("4010232136", False),
        # 1*10+6*2 = 22; 22 mod 11 = 0 -> 11 -> check digit 0
        ("1000000060", True),
        ("1000000061", False),
        # 123456789: sum 210, mod 11 = 1, 11-1 = 10 -> no valid number exists
        ("1234567890", False),
        ("1234567891", False),
        ("943476591", False),  # nine digits
        ("94347659190", False),  # eleven digits
        ("94347659A9", False),
        ("", False),
        (None, False),
    ],
)
def test_known_answers(value: str | None, valid: bool) -> None:
    assert nhs_number_is_valid(value) is valid


def test_check_digit_known_answers() -> None:
    assert check_digit("943476591") == 9
    assert check_digit("401023213") == 7
    assert check_digit("100000006") == 0
    assert check_digit("123456789") is None


def test_vectorised_matches_known_answers() -> None:
    numbers = np.array([9434765919, 9434765918, 4010232137, 1000000060, 1234567890], dtype=np.int64)
    assert nhs_numbers_valid(numbers).tolist() == [True, False, True, True, False]
    assert check_digits(np.array([943476591, 123456789])).tolist() == [9, -1]


@settings(deadline=None)
@given(st.integers(min_value=0, max_value=999_999_999))
def test_exactly_one_check_digit_or_none(stem: int) -> None:
    text = f"{stem:09d}"
    valid = [d for d in range(10) if nhs_number_is_valid(text + str(d))]
    expected = check_digit(text)
    assert valid == ([] if expected is None else [expected])
    assert int(check_digits(np.array([stem]))[0]) == (-1 if expected is None else expected)


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=1, max_value=3000), st.integers(min_value=0, max_value=2**31))
def test_generated_numbers_are_valid_distinct_and_synthetic(count: int, seed: int) -> None:
    numbers = generate_nhs_numbers(generator(seed, "test"), count)
    assert numbers.size == count
    assert np.unique(numbers).size == count
    assert nhs_numbers_valid(numbers).all()
    assert (numbers // 10**7 == 999).all()  # NHS Digital's test range
    texts = format_nhs(numbers).to_pylist()
    assert all(nhs_number_is_valid(t) for t in texts)
    broken = break_check_digit(generator(seed, "break"), numbers)
    assert not nhs_numbers_valid(broken).any()
    assert ((broken // 10) == (numbers // 10)).all()


def test_spaced_format() -> None:
    assert format_nhs(np.array([9434765919]), "spaced").to_pylist() == ["943 476 5919"]
    assert format_nhs(np.array([4010232137])).to_pylist() == ["4010232137"]


def test_large_populations_use_the_wider_range(monkeypatch: pytest.MonkeyPatch) -> None:
    import carecase.synth.nhs_number as mod

    monkeypatch.setattr(mod, "WIDE_RANGE_FROM", 1000)
    numbers = generate_nhs_numbers(generator(1, "big"), 20_000)
    assert np.unique(numbers).size == numbers.size
    assert nhs_numbers_valid(numbers).all()
    assert (numbers // 10**8 == 99).all()
