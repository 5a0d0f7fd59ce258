"""Why a quantity or score is not a number, where the value's shape says so: thousands
separators (``1,200``), a decimal comma (``7,5``), a currency sign (``£12``) or an accounting
negative in brackets (``(5)``), as spreadsheets format numbers. Each was quarantined as
"not a number" alone. None is read: ``1,200`` is 1.2 in a semicolon-delimited file written
where the comma is the decimal mark, so carecase never guesses which."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_NUM = r"[0-9]+(\.[0-9]+)?"
_THOUSANDS = r"-?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?"

#: (shape of the trimmed value, what it is and the fix), tried in order
SHAPES: tuple[tuple[str, str], ...] = (
    (rf"^-?[£$€]\s*(-?{_NUM}|{_THOUSANDS})$",
     ": it has a currency sign, and a quantity counts units (hours, nights, appointments), not money; map the "
     "column that counts them, or export this one as plain numbers"),
    (rf"^{_THOUSANDS}$",
     ": it has thousands separators, which carecase does not read (1,200 is 1.2 where the comma is the decimal "
     "mark); export the column without them (in Excel, a Number format with 'Use 1000 Separator' unticked)"),
    (r"^-?[0-9]+,[0-9]+$",
     ": it has a decimal comma; export the column with a decimal point (7.5, not 7,5)"),
    (rf"^\(\s*({_NUM}|{_THOUSANDS})\s*\)$",
     ": it is in brackets, as an accounting format writes a negative number; export the column as plain numbers"),
)


def explain(values: pa.Array | pa.ChunkedArray, unparseable: np.ndarray) -> list[tuple[np.ndarray, str]]:
    """For the ``unparseable`` values, (rows, what is wrong and the fix) of each shape found."""
    if not unparseable.any():
        return []
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    text = pc.fill_null(pc.utf8_trim_whitespace(values.cast(pa.string())), "")
    return [(unparseable & pc.match_substring_regex(text, shape).to_numpy(zero_copy_only=False).astype(bool), why)
            for shape, why in SHAPES]
