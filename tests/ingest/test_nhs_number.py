"""NHS number Modulus 11 check.

Source: NHS Digital, NHS Data Model and Dictionary, "NHS Number" - the check digit is
calculated by weighting the first nine digits 10 down to 2, summing, taking the remainder
mod 11 and subtracting from 11 (11 → 0; 10 → the number is invalid). 943 476 5919 is the
worked example used in NHS Digital's documentation.
"""

from __future__ import annotations

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from carecase.ingest.nhs_number import nhs_number_valid, normalise_nhs_number


def _check_digit(nine: str) -> int:
    total = sum(int(d) * w for d, w in zip(nine, range(10, 1, -1), strict=True))
    c = 11 - total % 11
    return 0 if c == 11 else c


def test_known_answers_from_nhs_digital() -> None:
    """9434765919 is NHS Digital's worked example: 9×10+4×9+3×8+4×7+7×6+6×5+5×4+9×3+1×2
    = 299; 299 mod 11 = 2; 11 − 2 = 9 = the tenth digit."""
    values = ["9434765919", "943 476 5919", "943-476-5919", "4010232137", "9434765918", "9434765910"]
    assert nhs_number_valid(values).tolist() == [True, True, True, True, False, False]


def test_check_result_10_is_always_invalid() -> None:
    """Nine digits whose check computes to 10 have no valid tenth digit (NHS Digital rule)."""
    nine = next(f"{i:09d}" for i in range(1000) if 11 - sum(int(d) * w for d, w in zip(f"{i:09d}", range(10, 1, -1), strict=True)) % 11 == 10)
    assert not nhs_number_valid([nine + str(d) for d in range(10)]).any()


def test_check_11_means_zero() -> None:
    """All-zero first nine digits sum to 0 → 11 − 0 = 11 → check digit 0."""
    assert nhs_number_valid(["0000000000", "0000000001"]).tolist() == [True, False]


def test_blank_junk_and_wrong_length_are_invalid() -> None:
    values = [None, "", "   ", "943476591", "94347659190", "94347659I9", "９４３４７６５９１９", "+9434765919"]
    assert not nhs_number_valid(values).any()


def test_normalise_strips_only_spaces_and_dashes() -> None:
    assert normalise_nhs_number(["943 476-5919", " ", "94x"]).to_pylist() == ["9434765919", None, "94x"]


@settings(deadline=None)
@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_correct_check_digit_is_valid(nine: str) -> None:
    c = _check_digit(nine)
    expected = c != 10
    digit = str(c % 10)
    assert nhs_number_valid(pa.array([nine + digit])).tolist() == [expected]


@settings(deadline=None)
@given(st.text(alphabet="0123456789", min_size=9, max_size=9), st.integers(0, 9), st.integers(1, 9))
def test_single_digit_errors_are_caught(nine: str, pos: int, delta: int) -> None:
    """Modulus 11 with distinct weights detects every single-digit substitution."""
    c = _check_digit(nine)
    if c == 10:
        return
    good = nine + str(c)
    bad = good[:pos] + str((int(good[pos]) + delta) % 10) + good[pos + 1:]
    assert nhs_number_valid([good, bad]).tolist() == [True, False]


@settings(deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=14), st.text(alphabet="0123456789 -\u00a0\u2003\x0b", max_size=14)), max_size=30))
def test_vectorised_matches_scalar_reference(values: list[str | None]) -> None:
    def ref(v: str | None) -> bool:
        if v is None:
            return False
        s = "".join(ch for ch in v if ch not in " \t\n\r\f\v\u00a0-")
        if len(s) != 10 or not all(ch in "0123456789" for ch in s):
            return False
        c = _check_digit(s[:9])
        return c != 10 and c == int(s[9])

    assert nhs_number_valid(values).tolist() == [ref(v) for v in values]


def test_placeholders_of_ten_identical_digits_pass_modulus_11_and_are_found() -> None:
    """The weights 10..2 sum to 54 ≡ 10 ≡ −1 (mod 11), so d repeated ten times has check digit
    d: 0000000000 and 9999999999, the usual 'unknown patient' fillers, pass the check."""
    from carecase.ingest.nhs_number import nhs_number_placeholder

    same = [str(d) * 10 for d in range(10)]
    assert nhs_number_valid(same).all()
    assert nhs_number_placeholder(same + ["999 999 9999", "9434765919", None, ""]).tolist() == [True] * 11 + [False] * 3


def test_a_placeholder_nhs_number_is_quarantined_not_linked(project_factory) -> None:
    """Rows of two different patients both carrying the A&E system's filler 0000000000 were
    staged with one NHS pseudonym, and linkage made them one person. Both are quarantined as
    nhs_number_invalid, with a hint naming the placeholder; a valid number is kept."""
    from carecase.ingest.stage import run

    from .helpers import event_source, table

    rows = ("nhs,mrn,code,date\n"
            "0000000000,M1,AE,05/05/2023\n"
            "000 000 0000,M2,AE,06/05/2023\n"
            "9434765919,M3,AE,07/05/2023\n")
    project = project_factory({"sources": [event_source()]}, {"ae.csv": rows})
    run(project)
    q = {r["source_row"]: (r["rule"], r["hint"]) for r in table(project, "quarantine")}
    assert sorted(q) == [1, 2]
    assert all(rule == "nhs_number_invalid" and "placeholder" in hint for rule, hint in q.values())
    assert [r["source_row"] for r in table(project, "staging_identity")] == [3]


@given(st.lists(st.one_of(st.none(), st.text(alphabet="0123456789 -", max_size=12),
                          st.sampled_from(["0000000000", "9999999999", "943 476 5919", "4010232137"])),
                max_size=30))
def test_usable_is_valid_and_not_a_placeholder(values: list[str | None]) -> None:
    """nhs_number_usable normalises once and agrees with the two checks it combines."""
    from carecase.ingest.nhs_number import nhs_number_placeholder, nhs_number_usable

    expected = nhs_number_valid(values) & ~nhs_number_placeholder(values)
    assert nhs_number_usable(values).tolist() == expected.tolist()
