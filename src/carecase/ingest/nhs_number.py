"""NHS numbers: normalisation and the Modulus 11 check digit, vectorised over Arrow arrays.

The check (NHS Digital, "NHS Number" data dictionary / NHS Number standard ISB 0149):
multiply the first nine digits by the weights 10, 9, ..., 2, sum, take the remainder
modulo 11 and subtract it from 11. A result of 11 means a check digit of 0; a result of 10
means the number is invalid; otherwise the result must equal the tenth digit.

Every number of ten identical digits (0000000000, 1111111111, ..., 9999999999) passes the
check (the weights sum to 54, and 54·d ≡ −d mod 11, so the check digit is d itself), and
such numbers are the placeholders systems write for an unknown patient. They are never a
person's number, and linking on one would make every record carrying it one person:
:func:`nhs_number_placeholder` finds them, and ingest rejects them with the invalid numbers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: Characters removed before checking: ASCII whitespace, no-break space and dashes.
SEPARATORS = r"[ \t\n\r\f\v\x{00A0}-]+"
WEIGHTS = np.arange(10, 1, -1, dtype=np.int64)  # 10, 9, ..., 2 for digits 1..9


def _as_string_array(values: pa.Array | pa.ChunkedArray | Sequence[str | None]) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not isinstance(values, pa.Array):
        values = pa.array(list(values), type=pa.string())
    return values.cast(pa.string())


def normalise_nhs_number(values: pa.Array | pa.ChunkedArray | Sequence[str | None]) -> pa.Array:
    """Strip spaces and dashes (``'943 476 5919'`` → ``'9434765919'``); nothing else changes,
    so a value with letters stays invalid. Blank becomes null."""
    arr = _as_string_array(values)
    needs = pc.any(pc.match_substring_regex(arr, pattern=SEPARATORS)).as_py()
    out = pc.replace_substring_regex(arr, pattern=SEPARATORS, replacement="") if needs else arr
    return pc.if_else(pc.equal(out, ""), pa.scalar(None, pa.string()), out)


def nhs_number_valid(values: pa.Array | pa.ChunkedArray | Sequence[str | None]) -> np.ndarray:
    """True where the value (after :func:`normalise_nhs_number`) is ten ASCII digits whose
    tenth digit is the Modulus 11 check digit of the first nine. Null/blank → False."""
    return _valid(normalise_nhs_number(values))


def _valid(norm: pa.Array | pa.ChunkedArray) -> np.ndarray:
    shape = pc.fill_null(pc.match_substring_regex(norm, pattern=r"^[0-9]{10}$"), False)
    shape_np = shape.to_numpy(zero_copy_only=False).astype(bool)
    valid = np.zeros(len(norm), dtype=bool)
    if not shape_np.any():
        return valid
    good = pc.filter(norm, shape)
    digits = np.stack(
        [
            pc.cast(pc.utf8_slice_codeunits(good, i, i + 1), pa.int64()).to_numpy()
            for i in range(10)
        ],
        axis=1,
    )
    check = 11 - (digits[:, :9] @ WEIGHTS) % 11
    check = np.where(check == 11, 0, check)
    ok = (check != 10) & (check == digits[:, 9])
    valid[np.flatnonzero(shape_np)] = ok
    return valid


def nhs_number_placeholder(values: pa.Array | pa.ChunkedArray | Sequence[str | None]) -> np.ndarray:
    """True where the value (after :func:`normalise_nhs_number`) is ten identical digits: it
    passes the Modulus 11 check but is a placeholder for an unknown number, never issued."""
    return _placeholder(normalise_nhs_number(values))


def nhs_number_usable(values: pa.Array | pa.ChunkedArray | Sequence[str | None]) -> np.ndarray:
    """True where the value (normalised once) passes the Modulus 11 check and is not a
    placeholder: :func:`nhs_number_valid` and not :func:`nhs_number_placeholder`."""
    return usable_normalised(normalise_nhs_number(values))


def usable_normalised(norm: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """:func:`nhs_number_usable` of numbers already normalised (:func:`normalise_nhs_number`),
    for a caller that keeps the normalised column: not normalised again."""
    return _valid(norm) & ~_placeholder(norm)


def _placeholder(norm: pa.Array | pa.ChunkedArray) -> np.ndarray:
    same = pc.match_substring_regex(norm, pattern=r"^(?:0{10}|1{10}|2{10}|3{10}|4{10}|5{10}|6{10}|7{10}|8{10}|9{10})$")
    return pc.fill_null(same, False).to_numpy(zero_copy_only=False).astype(bool)
