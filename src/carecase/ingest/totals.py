"""A totals row at the foot of an extract (``Total,,,15`` or ``Grand Total,01/04/2024,,15``, as
spreadsheets saved by hand often end): it is no one's record. It was quarantined for whatever
rule its blanks broke first, with a hint that did not say why (a ``Total`` in the NHS-number
column was "not a valid NHS number", withheld), or, with its dates filled in, staged as a
person called TOTAL with the file's summed quantity."""

from __future__ import annotations

from functools import partial

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from carecase.ingest.validate import Batch

#: Total, Totals, Grand total, Sub-total, Subtotal, Sub total, with a colon or not, any case
TOTAL_WORDS = r"(?i)^(grand\s+|sub[-\s]?)?totals?\s*:?$"


def _word(text: pa.Array) -> pa.Array:
    """The quarantine shows the word itself: a label, never an identifier."""
    return pc.fill_null(text, "").cast(pa.string())


def flag_total_rows(b: Batch) -> None:
    """Quarantine as ``total_row``, before any other rule, each row whose first column or an
    identifier column reads Total (or Grand total, Subtotal...), showing the word: it is a
    label, never an identifier, so it is not withheld."""
    if not b.n or not b.raw.num_columns:
        return
    ids = sorted(c for c in b.feed.identifier_columns() if c in b.raw.column_names)
    for column in dict.fromkeys([b.raw.column_names[0], *ids]):
        text = pc.utf8_trim_whitespace(b.col(column))
        hit = pc.fill_null(pc.match_substring_regex(text, TOTAL_WORDS), False).to_numpy(zero_copy_only=False)
        b.fail_showing(np.asarray(hit, dtype=bool), "total_row", column, partial(_word, text), where=repr(column))
