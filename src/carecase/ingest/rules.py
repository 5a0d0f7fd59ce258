"""Validation rules: names, fix hints, and the per-row record of the first rule a row fails.

Each row is quarantined for the first rule it fails, in the order rules are checked, so the
quarantine has one row per quarantined source row and
``rows_read = rows_accepted + rows_quarantined + rows_out_of_scope`` always holds.

A quarantined row is named by ``source_row`` (its data row: the header is row 0, blank rows
are not counted) and ``file_line``, where its user finds it: the line of a CSV where the row
starts (every line counted from 1) or a workbook's sheet row; null for Parquet.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

WITHHELD = "<withheld>"
MAX_VALUE_CHARS = 80

RULES: dict[str, str] = {
    "total_row": "a totals row (its {where} reads Total or the like), not anyone's record; it is left out and counted here. Delete it from the extract, or leave it",
    "blank_identifier": "no usable identifier (NHS number, local ID, or name with date of birth); add one at source or remove the row",
    "nhs_number_invalid": "not a valid NHS number (10 digits passing the Modulus 11 check){why}; correct it at source, or leave it blank if unknown",
    "unparseable_date": "does not match the date format {format}{seen}; {fix}",
    "impossible_date": "{why}; correct it at source",
    "missing_value": "a required value is blank; fill it in at source",
    "end_before_start": "the end date is before the start date; correct the dates at source",
    "missing_end": "no end date and {key} is 'quarantine'; add the end date, or set it to 'period_end' to treat the row as ongoing",
    "unparseable_number": "not a number{why}; correct the value at source",
    "negative_quantity": "the quantity is negative; correct it at source",
    "absurd_quantity": "the quantity is above the plausible maximum {limit}; correct it at source, or raise {key} if it is genuine",
    "unknown_assessment": "the assessment point is not one of the instrument's ({points}: {key}.assessments), so the evaluation would not read it; add the label to {key}.assessments, in order, or correct the value at source",
    "score_out_of_range": "the score is outside the instrument's scale {scale} ({key}.scale_min/scale_max); correct it at source, or correct the scale",
    "invalid_decile": "a deprivation decile must be a whole number from 1 to 10; correct it at source",
    "unmapped_service": "the activity code is not in {key}{why}; add it to the map, or set unmapped: ignore to count such rows as out of scope",
    "outside_period": "the activity falls outside the project period {period}; this is expected for history in the extract - narrow the extract or widen project.period_start/period_end",
    "duplicate_row": "an exact copy of an earlier data row (the first copy is kept); remove the copy at source",
    "duplicate_key": "repeats an earlier row of the file: the same record ID, or (where the source declares no record_id) the same person, service, date and time, end and quantity (every mapped value); the first is kept. Remove or correct the repeat at source, or declare the source's record_id column if such rows are genuine",
    "duplicate_other_file": "the same record was already read from another file (the first copy, by source name, file path and row, is kept): a re-sent or re-saved extract, or one file named by two sources. A row with an earlier row's record ID but other values is a correction whose earlier values were kept: to apply it, replace the earlier file with the corrected one. Remove a file only when every row of it is a repeat (the ingest warning says so), or narrow the path so each extract is read once",
}


@dataclass
class RuleTracker:
    """First failing rule per row (``-1`` = none yet), with the column and a hint."""

    n: int
    rule: np.ndarray = field(init=False)
    column: np.ndarray = field(init=False)
    hint: np.ndarray = field(init=False)
    names: list[tuple[str, str, str]] = field(default_factory=list)  # (rule, column, hint)

    def __post_init__(self) -> None:
        self.rule = np.full(self.n, -1, dtype=np.int32)

    @property
    def open(self) -> np.ndarray:
        """Rows that have not failed a rule yet (and are not out of scope)."""
        return self.rule == -1

    def exclude(self, mask: np.ndarray) -> None:
        """Mark rows as out of scope (``-2``): counted, never checked or quarantined."""
        self.rule[np.asarray(mask, dtype=bool) & self.open] = -2

    def fail(self, mask: np.ndarray, rule: str, column: str, **hint_args: object) -> None:
        assert rule in RULES, rule
        hit = np.asarray(mask, dtype=bool) & self.open
        if not hit.any():
            return
        self.names.append((rule, column, RULES[rule].format(**hint_args)))
        self.rule[hit] = len(self.names) - 1


#: How a row's ``file_line`` reads in a message, by file type: (before, after) the number,
#: as other carecase messages name a CSV's lines ('row 1 (line 2)'). Parquet has no lines,
#: so its rows are named by ``source_row`` alone.
LINE_WORDS = {"csv": (" (line ", ")"), "xlsx": (" (sheet row ", ")")}


def line_suffix(lines: pa.Array | np.ndarray, file_type: str | pa.Array) -> pa.Array:
    """For each row, where its user finds it, by its file's type: ' (line 59)' for a CSV,
    ' (sheet row 59)' for a workbook, '' for Parquet or a null line (not known)."""
    lines = lines if isinstance(lines, pa.Array) else pa.array(lines, pa.int64())
    n = len(lines)
    types = pa.repeat(pa.scalar(file_type, pa.string()), n) if isinstance(file_type, str) else file_type
    text = lines.cast(pa.string())
    out = pa.repeat(pa.scalar("", pa.string()), n)
    for ftype, (before, after) in LINE_WORDS.items():
        hit = pc.fill_null(pc.and_(pc.equal(types, ftype), pc.is_valid(lines)), False)
        out = pc.if_else(hit, pc.binary_join_element_wise(pa.scalar(before), text, pa.scalar(after), ""), out)
    return out


def row_names(prefix: str, rows: np.ndarray, lines: np.ndarray | None, file_type: str) -> pa.Array:
    """``prefix`` and each data row with where its user finds it: 'same as row 57 (line 59)'
    for a CSV, 'same as row 57 (sheet row 59)' for a workbook, 'same as row 57' where no
    line is known (``lines`` None: Parquet)."""
    text = pc.binary_join_element_wise(pa.scalar(prefix), pa.array(rows, pa.int64()).cast(pa.string()), "")
    if lines is None:
        return text
    return pc.binary_join_element_wise(text, line_suffix(lines, file_type), "")


def row_name(row: int, line: int | None, file_type: str) -> str:
    """'row 57 (line 59)', 'row 57 (sheet row 59)', or 'row 57' (no line known)."""
    if line is None or file_type not in LINE_WORDS:
        return f"row {row}"
    before, after = LINE_WORDS[file_type]
    return f"row {row}{before}{line}{after}"


def repeated(value: str, n: int) -> pa.Array:
    """``value`` on each of ``n`` rows as a dictionary array: one byte a row, where a plain
    string array holds a copy of the text on every row (at 10M rows a path of 50 characters
    is 0.5 GB). The store keeps it as text (:func:`carecase.ingest.store.replace_batch`)."""
    return pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, np.int8)), pa.array([value], pa.string()))


def quarantine_table(
    tracker: RuleTracker,
    raw: pa.Table,
    source_row: np.ndarray,
    withheld_columns: set[str],
    values: dict[int, pa.Array],
    source: str,
    batch_id: str,
    file: str,
    file_line: np.ndarray | None = None,
) -> pa.Table:
    """The quarantine rows: the failing column's raw value (identifier values withheld;
    ``values`` overrides the shown value per failure index, e.g. 'same as row 3'), and each
    row's ``file_line`` (null where ``file_line`` is None: a Parquet file)."""
    parts = []
    for idx, (rule, column, hint) in enumerate(tracker.names):
        rows = np.flatnonzero(tracker.rule == idx)
        if rows.size == 0:
            continue
        take = pa.array(rows)
        if idx in values:
            shown = pc.take(values[idx], take)
        elif column in withheld_columns or column not in raw.column_names:
            shown = pa.repeat(pa.scalar(WITHHELD if column in withheld_columns else "", pa.string()), rows.size)
        else:
            shown = pc.utf8_slice_codeunits(pc.take(raw.column(column), take), 0, MAX_VALUE_CHARS)
            # a value that looks like an NHS number is withheld wherever it appears
            looks = pc.match_substring_regex(shown, pattern=r"[0-9]{3}[\s-]?[0-9]{3}[\s-]?[0-9]{4}")
            shown = pc.if_else(looks, WITHHELD, shown)
        parts.append(
            pa.table(
                {
                    "source": pa.repeat(pa.scalar(source, pa.string()), rows.size),
                    "batch_id": pa.repeat(pa.scalar(batch_id, pa.string()), rows.size),
                    "file": pa.repeat(pa.scalar(file, pa.string()), rows.size),
                    "source_row": pa.array(source_row[rows], pa.int64()),
                    "file_line": (pa.nulls(rows.size, pa.int64()) if file_line is None
                                  else pa.array(file_line[rows], pa.int64())),
                    "column": pa.repeat(pa.scalar(column, pa.string()), rows.size),
                    "value": shown.cast(pa.string()),
                    "rule": pa.repeat(pa.scalar(rule, pa.string()), rows.size),
                    "hint": pa.repeat(pa.scalar(hint, pa.string()), rows.size),
                }
            )
        )
    if not parts:
        return QUARANTINE_SCHEMA.empty_table()
    return pa.concat_tables(parts).sort_by([("source_row", "ascending")])


#: One row per row that passed every rule of its own file (before the check across files):
#: keyed hashes of its mapped values (h1, h2) and of its record ID (r1, r2; null when none),
#: and the earlier file's row it repeats (dup_*; null when none). ``grp`` is the target
#: table's role: rows repeat each other only within one. ``file_line``: the row's line in
#: its file (see :data:`QUARANTINE_SCHEMA`), so a repeat names the earlier row's line too
#: (``dup_line``; a re-saved earlier file whose rows moved down a line restages the repeats).
ROW_KEYS_SCHEMA = pa.schema(
    [
        ("grp", pa.string()), ("source", pa.string()), ("path", pa.string()), ("batch_id", pa.string()),
        ("source_row", pa.int64()), ("file_line", pa.int64()), ("h1", pa.int64()), ("h2", pa.int64()),
        ("r1", pa.int64()), ("r2", pa.int64()),
        ("dup_source", pa.string()), ("dup_path", pa.string()), ("dup_row", pa.int64()), ("dup_line", pa.int64()),
    ]
)

#: One row per quarantined row: ``source_row`` counts data rows (the header is row 0, blank
#: rows are not counted); ``file_line`` is where a user sees the row (a CSV's line where it
#: starts, every line counted from 1; a workbook's sheet row; null for Parquet).
QUARANTINE_SCHEMA = pa.schema(
    [
        ("source", pa.string()), ("batch_id", pa.string()), ("file", pa.string()),
        ("source_row", pa.int64()), ("file_line", pa.int64()), ("column", pa.string()), ("value", pa.string()),
        ("rule", pa.string()), ("hint", pa.string()),
    ]
)


def later_duplicates(table: pa.Table, keys: list[str], order: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each row: is it a repeat of an earlier row (by ``order``) with equal ``keys``
    (nulls equal), and the ``order`` value of the first row of its group."""
    n = table.num_rows
    if n == 0:
        return np.zeros(0, bool), np.zeros(0, np.int64)
    sort_keys = [(k, "ascending", "at_end") for k in keys]
    work = table.select(keys).append_column("__order", pa.array(order, pa.int64()))
    idx = pc.sort_indices(work, sort_keys=[*sort_keys, ("__order", "ascending", "at_end")]).to_numpy()
    srt = work.take(pa.array(idx))
    same_as_prev = np.ones(n, dtype=bool)
    same_as_prev[0] = False
    for k in keys:
        col = srt.column(k).combine_chunks()
        a, b = col.slice(1), col.slice(0, n - 1)
        eq = pc.fill_null(pc.equal(a, b), False)
        both_null = pc.and_(a.is_null(), b.is_null())
        same_as_prev[1:] &= pc.or_(eq, both_null).to_numpy(zero_copy_only=False)
    group_first = np.where(~same_as_prev, np.arange(n), 0)
    group_first = np.maximum.accumulate(group_first)
    sorted_order = np.asarray(order, dtype=np.int64)[idx]
    dup = np.zeros(n, bool)
    first = np.zeros(n, np.int64)
    dup[idx] = same_as_prev
    first[idx] = sorted_order[group_first]
    return dup, first
