"""NHS numbers: the Modulus 11 check digit, validation and a vectorised generator.

NHS Digital's algorithm (NHS Data Model and Dictionary, "NHS Number"): multiply each of the
first nine digits by a weight from 10 down to 2, sum, take the remainder mod 11 and subtract
it from 11. A result of 11 gives check digit 0; a result of 10 means the nine digits cannot
form a valid number. The tenth digit must equal the check digit.

Synthetic numbers are drawn from the 999 range that NHS Digital reserves for test data (and,
beyond 850,000 people, from the wider 99x range, which is not issued to patients), so they
are never a real person's number.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from carecase.core.errors import SynthError

WEIGHTS = np.arange(10, 1, -1, dtype=np.int64)  # 10, 9, ..., 2
TEST_PREFIX = 999
WIDE_RANGE_FROM = 850_000  # more people than this use the 99x range


def check_digit(first_nine: str) -> int | None:
    """The Modulus 11 check digit of nine digits, or None when no valid number exists."""
    digits = [int(c) for c in first_nine]
    if len(digits) != 9:
        raise ValueError("check_digit needs exactly nine digits")
    total = sum(d * w for d, w in zip(digits, WEIGHTS.tolist(), strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def nhs_number_is_valid(value: str | int | None) -> bool:
    """True when ``value`` (spaces and dashes allowed) is ten digits with a correct check digit."""
    if value is None:
        return False
    text = str(value).replace(" ", "").replace("-", "")
    if len(text) != 10 or not text.isdigit():
        return False
    expected = check_digit(text[:9])
    return expected is not None and expected == int(text[9])


def check_digits(first_nine: np.ndarray) -> np.ndarray:
    """Vectorised check digits for integers < 10**9; -1 where no valid number exists."""
    n = np.asarray(first_nine, dtype=np.int64)
    total = np.zeros(n.shape, dtype=np.int64)
    rest = n.copy()
    for w in range(2, 11):  # least significant digit has weight 2
        total += (rest % 10) * w
        rest //= 10
    check = 11 - total % 11
    check = np.where(check == 11, 0, check)
    return np.where(check == 10, -1, check)


def nhs_numbers_valid(numbers: np.ndarray) -> np.ndarray:
    """Vectorised validity of ten-digit NHS numbers held as int64."""
    n = np.asarray(numbers, dtype=np.int64)
    in_range = (n >= 0) & (n < 10**10)
    check = check_digits(n // 10)
    return in_range & (check >= 0) & (check == n % 10)


def generate_nhs_numbers(rng: np.random.Generator, count: int) -> np.ndarray:
    """``count`` distinct valid NHS numbers (int64) from the 999 test range, in random order."""
    if count <= WIDE_RANGE_FROM:
        prefix, space = TEST_PREFIX * 10**6, 10**6  # 999 + six digits
    else:  # 99 + seven digits: the 990-998 blocks are not issued to patients either
        prefix, space = 99 * 10**7, 10**7
    # about 1 in 11 nine-digit stems has no valid check digit
    if count > space * 0.85:
        raise SynthError(
            f"cannot make {count:,} distinct synthetic NHS numbers (at most "
            f"{int(space * 0.85):,}). Ask for fewer people."
        )
    draw = min(space, count + count // 8 + 64)  # enough that `count` have a check digit
    stems = prefix + rng.choice(space, size=draw, replace=False).astype(np.int64)
    checks = check_digits(stems)
    # 999999999 gives 9999999999, a placeholder ingest rejects (ten identical digits)
    keep = (checks >= 0) & (stems != 999_999_999)
    stems, checks = stems[keep], checks[keep]
    return stems[:count] * 10 + checks[:count]


def break_check_digit(rng: np.random.Generator, numbers: np.ndarray) -> np.ndarray:
    """Copies of valid numbers with a wrong last digit (so the Modulus 11 check fails)."""
    n = np.asarray(numbers, dtype=np.int64)
    shift = rng.integers(1, 10, size=n.shape)
    return (n // 10) * 10 + (n % 10 + shift) % 10


def format_nhs(numbers: np.ndarray, style: str = "plain") -> pa.Array:
    """Ten-digit strings (Arrow); style 'spaced' gives the printed '999 123 4567' form and
    'number' an int64 column (as systems that store the NHS number as a number export it)."""
    n = np.asarray(numbers, dtype=np.int64)
    if style == "number":
        return pa.array(n)
    if style == "plain":
        return pc.utf8_lpad(pc.cast(pa.array(n), pa.string()), 10, "0")
    if style == "spaced":
        parts = [
            pc.utf8_lpad(pc.cast(pa.array(part), pa.string()), width, "0")
            for part, width in ((n // 10**7, 3), ((n // 10**4) % 1000, 3), (n % 10**4, 4))
        ]
        return pc.binary_join_element_wise(*parts, " ")
    raise ValueError(f"unknown NHS number style {style!r}")
