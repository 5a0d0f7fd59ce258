"""Wrong NHS numbers: a record carrying another person's valid NHS number (picked from the
wrong patient in a PAS search, or a family member's), planted so that linkage's demographic
discordance check (``carecase.link.discordance``) can be tested against the truth.

``plant(extract, ...)`` replaces the NHS number of a share of an extract's clean rows that
carry one by someone else's: half the time (where there is one) another person with the same
family name (a family member), otherwise anyone else. The row keeps its own names, date of
birth, sex and postcode and its true person in ``true_links``; ``Extract.wrong_nhs`` records
whose number it now carries (the person index, -1 for a row with its own). A row with a
duplicate planted after it is left alone (the duplicate must stay an exact copy), as are
broken rows. Drawn from a random stream of its own, so the share 0 (the default) leaves the
extract byte for byte as before and any share leaves every other row as it was.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from carecase.core.errors import SynthError
from carecase.core.random import generator
from carecase.synth.broken import kind_code
from carecase.synth.extract import Extract
from carecase.synth.nhs_number import format_nhs
from carecase.synth.population import People

FAMILY_SHARE = 0.5  # of the wrong numbers, a family member's (same family name) where there is one


def check_share(share: float) -> None:
    if not 0 <= share <= 0.5:
        raise SynthError(f"wrong_nhs = {share}: use a share from 0 to 0.5 of the rows with an NHS number.")


def plant(extract: Extract, column: str, people: People, seed: int, share: float) -> Extract:
    """``extract`` with ``share`` of its eligible rows carrying someone else's NHS number in
    ``column`` (a plain ten-digit string column)."""
    check_share(share)
    n = extract.table.num_rows
    extract.wrong_nhs = np.full(n, -1, dtype=np.int64)
    if share == 0 or n == 0:
        return extract
    rng = generator(seed, "synth", "wrong_nhs", extract.name)
    nhs = extract.table.column(column).combine_chunks()
    dup_next = np.zeros(n, dtype=bool)
    dup_next[:-1] = extract.kind[1:] == kind_code("duplicate_row")
    registered = extract.person < len(people)
    eligible = np.flatnonzero((extract.kind == 0) & pc.is_valid(nhs).to_numpy(zero_copy_only=False)
                              & ~dup_next & registered)
    rows = eligible[rng.random(eligible.size) < share]
    if rows.size == 0:
        return extract
    own = extract.person[rows]
    family = people.family
    other = (own + 1 + rng.integers(0, len(people) - 1, rows.size)) % len(people)  # anyone else
    by_family = np.argsort(family, kind="stable")
    first = np.searchsorted(family[by_family], family[own], side="left")
    count = np.searchsorted(family[by_family], family[own], side="right") - first
    pick = by_family[first + np.floor(rng.random(rows.size) * count).astype(np.int64)]
    relative = (rng.random(rows.size) < FAMILY_SHARE) & (count > 1) & (pick != own)
    other = np.where(relative, pick, other)
    extract.wrong_nhs[rows] = other
    values = np.asarray(nhs.to_pylist(), dtype=object)
    values[rows] = np.asarray(format_nhs(people.nhs[other]).to_pylist(), dtype=object)
    i = extract.table.column_names.index(column)
    extract.table = extract.table.set_column(i, column, pa.array(values.tolist(), pa.string()))
    return extract


def truth_rows(extracts: list[Extract]) -> pa.Table:
    """(source, source_row, person_key, nhs_person_key) of every planted row: the row's true
    person and the person whose NHS number it carries (1-based, as in true_links)."""
    parts = []
    for e in extracts:
        if e.wrong_nhs is None:
            continue
        rows = np.flatnonzero(e.wrong_nhs >= 0)
        parts.append(pa.table({
            "source": pa.array([e.name] * rows.size, pa.string()),
            "source_row": pa.array(rows + 1, pa.int32()),
            "person_key": pa.array(e.person[rows].astype(np.int32) + 1),
            "nhs_person_key": pa.array(e.wrong_nhs[rows].astype(np.int32) + 1),
        }))
    schema = pa.schema([("source", pa.string()), ("source_row", pa.int32()), ("person_key", pa.int32()),
                        ("nhs_person_key", pa.int32())])
    return pa.concat_tables(parts) if parts else schema.empty_table()
