"""Validating one batch (one file of one feed): from a table of raw strings to the staged
rows, the identity rows and the quarantine, all as Arrow tables. Pure: no I/O, no store."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from carecase.core.errors import IngestError
from carecase.ingest import date_hints, sex_codes
from carecase.ingest.dates import (
    BLANK,
    IMPOSSIBLE,
    OK,
    UNPARSEABLE,
    AmbiguousDates,
    format_example,
    infer_date_format,
    parse_dates,
)
from carecase.ingest.feeds import DateField, Feed
from carecase.ingest.nhs_number import (
    nhs_number_placeholder,
    normalise_nhs_number,
    usable_normalised,
)
from carecase.ingest.normalise import (
    normalise_local_id,
    normalise_name,
    normalise_postcode,
    normalise_sex,
    split_full_name,
)
from carecase.ingest.pseudonymise import pseudonymise
from carecase.ingest.rules import (
    ROW_KEYS_SCHEMA,
    RuleTracker,
    later_duplicates,
    line_suffix,
    quarantine_table,
    repeated,
    row_names,
)

#: Finds, for a batch's row keys (source_row, h1, h2, r1, r2), the rows that repeat a row of
#: an earlier file: a table (source_row, dup_source, dup_path, dup_row, dup_line, dup_type:
#: the earlier row's line in its file and that file's type). Set by the stage.
Repeats = Callable[[pa.Table], pa.Table]


@dataclass(frozen=True)
class BatchContext:
    file: str  # path relative to the project folder
    batch_id: str
    key: bytes
    period_start: dt.date
    period_end: dt.date
    today: dt.date


@dataclass(frozen=True)
class DateRead:
    """How a date field's format read one file's values: ``filled`` values (not blank),
    ``unread`` of them not in its shape (unparseable), and, where the format was given and
    did not read at least half of them (a wrong setting, not bad rows), ``misread``: what is
    wrong, and ``fix``: the fix for the whole column, naming formats only, never a value."""

    column: str
    filled: int
    unread: int
    misread: str | None = None
    fix: str | None = None


@dataclass
class Batch:
    """Working state while one batch is validated."""

    feed: Feed
    raw: pa.Table
    ctx: BatchContext
    tracker: RuleTracker
    out_of_scope: np.ndarray
    dates: dict[str, pa.Array] = field(default_factory=dict)
    times: dict[str, np.ndarray] = field(default_factory=dict)  # time of day in seconds
    date_formats: dict[str, str] = field(default_factory=dict)
    date_reads: dict[str, DateRead] = field(default_factory=dict)
    shown: dict[int, pa.Array] = field(default_factory=dict)
    repeats: Repeats | None = None
    row_keys: pa.Table | None = None
    unmapped_sex: np.ndarray | None = None  # rows whose sex code ids.sex_map does not cover
    lines: np.ndarray | None = None  # each row's line (sheet row) in its file; None: Parquet

    @property
    def n(self) -> int:
        return self.raw.num_rows

    @property
    def file_type(self) -> str:
        return self.feed.format.type

    def col(self, name: str) -> pa.Array:
        return self.raw.column(name).combine_chunks()

    def fail_showing(self, mask: np.ndarray, rule: str, column: str, shown: Callable[[], pa.Array],
                     **hint_args: object) -> None:
        """``tracker.fail``, with the text the quarantine shows for the rows instead of their
        value (``shown()``, one string per row), computed and kept only when the rule was
        recorded: kept regardless, it would go to the next rule recorded, whose index it takes."""
        before = len(self.tracker.names)
        self.tracker.fail(mask, rule, column, **hint_args)
        if len(self.tracker.names) > before:
            self.shown[before] = shown()


@dataclass(frozen=True)
class StagedBatch:
    """What one file contributes to the store."""

    rows_read: int
    rows_accepted: int
    rows_quarantined: int
    rows_out_of_scope: int
    tables: dict[str, pa.Table]  # store table name → rows for this batch
    quarantine: pa.Table
    date_formats: dict[str, str]
    date_reads: dict[str, DateRead] = field(default_factory=dict)  # by date field, as date_formats


def _infer_or_fail(b: Batch, d: DateField) -> str | None:
    try:
        return infer_date_format(b.col(d.column), b.ctx.today)
    except AmbiguousDates as err:
        if err.formats:
            example = "Dates such as 03/04/2024 could mean 3 April or 4 March. "
            suggest = f"set {d.key}: '%d/%m/%Y' (day first, usual in the UK) or '%m/%d/%Y'"
            if not any("/" in f for f in err.formats):
                suggest = f"set {d.key} to one of {', '.join(repr(f) for f in err.formats)}"
        else:
            example, suggest = "", f"set {d.key} to the strptime format the file uses, e.g. '%d/%m/%Y'"
            if cause := date_hints.column_cause(b.col(d.column), b.ctx.today, d.key):
                raise IngestError(f"{b.ctx.file}: cannot tell the date format of column '{d.column}' ({d.name}): "
                                  f"{cause}") from None
        raise IngestError(
            f"{b.ctx.file}: cannot tell the date format of column '{d.column}' ({d.name}): "
            f"{err.reason}. {example}To fix it, {suggest}."
        ) from None


def _in_the_future(values: pa.Array | pa.ChunkedArray, fmt: str, impossible: np.ndarray) -> np.ndarray:
    """Which of the ``impossible`` dates are real dates after today (read again, the few of
    them, with no upper limit), so that the quarantine says which reason applies."""
    out = np.zeros(len(impossible), dtype=bool)
    idx = np.flatnonzero(impossible)
    if idx.size:
        again = parse_dates(pc.take(values, pa.array(idx)), fmt, dt.date(9999, 12, 31))
        out[idx[again.status == OK]] = True
    return out


def _seen_format(values: pa.Array | pa.ChunkedArray, unparseable: np.ndarray, filled: np.ndarray,
                 today: dt.date) -> tuple[np.ndarray, str, str | None]:
    """Where most of a column's dates do not match the configured format, the one format
    they do match, for the hint ("; these values look like '%d/%m/%Y' (e.g. 31/01/2024)"):
    a wrong format setting quarantined a whole file with only "does not match" to go on.
    Only the format is named, never a value (dates of birth are identifiers). Returns the
    rows that format reads (the hint is theirs alone: an Excel serial number beside them is
    not read by it), the hint and the format; no rows, '' and None when few fail, or no single
    format reads them."""
    none = np.zeros(len(unparseable), dtype=bool)
    if not _mostly(unparseable, filled):
        return none, "", None
    try:
        fmt = infer_date_format(pc.filter(values, pa.array(unparseable)), today)
    except AmbiguousDates:
        return none, "", None
    if not fmt:
        return none, "", None
    return (unparseable & (parse_dates(values, fmt, today).status == OK),
            f"; these values look like {fmt!r} (e.g. {format_example(fmt)})", fmt)


def _mostly(unparseable: np.ndarray, filled: np.ndarray) -> bool:
    """Whether at least half of a column's filled values are unparseable: its format, not
    its rows, is wrong."""
    return bool(unparseable.any()) and unparseable.sum() >= 0.5 * max(int(filled.sum()), 1)


def _misread(d: DateField, show_fmt: str, seen: str, looks: str | None, values: pa.Array | pa.ChunkedArray,
             today: dt.date) -> tuple[str, str]:
    """For a date field whose format did not read most of a file's values, what is wrong and
    the fix for the column as a whole (set the format its values look like), for the message
    of a source quarantined whole or mostly: a row is quarantined for its first problem only,
    so a second wrong date column never shows in the quarantine. Formats only, never a value."""
    if looks:
        return f"do not match the date format {show_fmt}{seen}.", f"Fix: set {d.key}: {looks!r}."
    if cause := date_hints.column_cause_parts(values, today, d.key):
        return f"do not match the date format {show_fmt}: {cause[0]}.", cause[1]
    return f"do not match the date format {show_fmt}.", f"Fix: set {d.key} to the format the file uses."


#: a time of day after a date: 14:30 or 14:30:05 (the directives each reads)
_TIMES = ((r"\s+\d{1,2}:\d{2}:\d{2}$", " %H:%M:%S"), (r"\s+\d{1,2}:\d{2}$", " %H:%M"))


def _with_a_time(values: pa.Array | pa.ChunkedArray, unparseable: np.ndarray, fmt: str,
                 today: dt.date) -> list[tuple[np.ndarray, str]]:
    """The ``unparseable`` values that are a date in ``fmt`` followed by a time of day
    ("05/05/2023 14:30" read with '%d/%m/%Y'), each with the format that reads them: a new
    user's rows were quarantined with only "does not match" to go on. Empty when ``fmt``
    has a time already."""
    idx = np.flatnonzero(unparseable)
    if not idx.size or "%H" in fmt:
        return []
    text = pc.utf8_trim_whitespace(pc.take(values, pa.array(idx)).cast(pa.string()))
    out = []
    for pattern, directive in _TIMES:
        has = pc.fill_null(pc.match_substring_regex(text, pattern), False).to_numpy(zero_copy_only=False).astype(bool)
        if has.any():
            dates = pc.replace_substring_regex(text, pattern, "")
            ok = has & (parse_dates(dates, fmt, today).status == OK)
            mask = np.zeros(len(unparseable), bool)
            mask[idx[ok]] = True
            if mask.any():
                out.append((mask, fmt + directive))
    return out


def parse_date_fields(b: Batch, only: set[str] | None = None, skip: set[str] | None = None) -> None:
    """Parse date fields (all, ``only`` these or all but ``skip``); quarantine
    blank-required, unparseable and impossible dates."""
    for d in b.feed.date_fields():
        if (only is not None and d.name not in only) or (skip and d.name in skip):
            continue
        fmt = d.format or _infer_or_fail(b, d)
        if fmt is None:  # the column is blank throughout
            parsed_status = np.full(b.n, BLANK, np.int8)
            b.dates[d.name] = pa.nulls(b.n, pa.date32())
            b.times[d.name] = np.zeros(b.n, np.int64)
        else:
            parsed = parse_dates(b.col(d.column), fmt, b.ctx.today)
            parsed_status = parsed.status
            b.dates[d.name] = parsed.dates
            b.times[d.name] = parsed.seconds
            b.date_formats[d.name] = fmt if d.format else f"{fmt} (inferred)"
        if d.required:
            b.tracker.fail(parsed_status == BLANK, "missing_value", d.column)
        show_fmt = f"{fmt!r} (e.g. {format_example(fmt)})" if fmt else "(none)"
        unparseable = parsed_status == UNPARSEABLE
        values, fix = b.col(d.column), f"correct the value, or set {d.key} to the format the file uses"
        if fmt:
            for timed, with_time in _with_a_time(values, unparseable, fmt, b.ctx.today):
                b.tracker.fail(timed, "unparseable_date", d.column, format=show_fmt, fix=fix,
                               seen=f"; the value has a time of day after the date: {with_time!r} reads it")
        filled = parsed_status != BLANK
        if fmt:
            b.date_reads[d.name] = DateRead(d.column, int(filled.sum()), int(unparseable.sum()))
        if d.format:
            reads, seen, looks = _seen_format(values, unparseable, filled, b.ctx.today)
            b.tracker.fail(reads, "unparseable_date", d.column, format=show_fmt, fix=fix, seen=seen)
            if _mostly(unparseable, filled):
                wrong, fix_all = _misread(d, show_fmt, seen, looks, values, b.ctx.today)
                b.date_reads[d.name] = dataclasses.replace(b.date_reads[d.name], misread=wrong, fix=fix_all)
        for rows, cause, fix_it in date_hints.explain(values, unparseable, b.ctx.today, d.key):
            b.tracker.fail(rows, "unparseable_date", d.column, format=show_fmt, fix=fix_it, seen=cause)
        b.tracker.fail(unparseable, "unparseable_date", d.column, format=show_fmt, fix=fix, seen="")
        impossible = parsed_status == IMPOSSIBLE
        future = _in_the_future(b.col(d.column), fmt, impossible) if fmt else impossible & False
        b.tracker.fail(future, "impossible_date", d.column, why=f"in the future (after {b.ctx.today})")
        b.tracker.fail(impossible & ~future, "impossible_date", d.column,
                       why="not a real calendar date, or before 1900")


#: a number as Excel shows a long one in scientific notation (9.43477E+09), digits lost
_SCIENTIFIC = r"^\s*\d(\.\d+)?[eE]\+?\d+\s*$"
EXCEL_SCIENTIFIC = (": it is in the scientific notation Excel shows a long number in (such as 9.43477E+09), "
                    "which has lost its last digits; format the column as text in Excel and export it again")


PLACEHOLDER = (": ten identical digits pass the Modulus 11 check but are a placeholder for an unknown "
               "number, never a person's (linked on, every record carrying it would be one person)")


def fail_nhs_numbers(b: Batch, raw: pa.Array | pa.ChunkedArray, bad: np.ndarray, column: str) -> None:
    """Quarantine the ``bad`` NHS numbers, saying so where Excel's scientific notation has
    lost their digits (a generic 'not a valid NHS number' left a new user guessing) and where
    the number is a placeholder of ten identical digits."""
    sci = pc.fill_null(pc.match_substring_regex(raw.cast(pa.string()), _SCIENTIFIC), False)
    b.tracker.fail(bad & sci.to_numpy(zero_copy_only=False).astype(bool), "nhs_number_invalid", column,
                   why=EXCEL_SCIENTIFIC)
    b.tracker.fail(bad & nhs_number_placeholder(raw), "nhs_number_invalid", column, why=PLACEHOLDER)
    b.tracker.fail(bad, "nhs_number_invalid", column, why="")


@dataclass(frozen=True)
class Identity:
    nhs: pa.Array  # normalised, null unless valid
    local: pa.Array
    given: pa.Array
    family: pa.Array
    dob: pa.Array
    sex: pa.Array
    postcode: pa.Array


def _nulls(n: int) -> pa.Array:
    return pa.nulls(n, pa.string())


def check_identity(b: Batch) -> Identity:
    """Normalise identifiers and quarantine invalid NHS numbers and rows with none usable.
    Date fields (the date of birth among them) must already be parsed."""
    ids = b.feed.ids
    assert ids is not None
    n = b.n
    nhs = _nulls(n)
    if ids.nhs_number:
        raw = b.col(ids.nhs_number)
        norm = normalise_nhs_number(raw)
        valid = usable_normalised(norm)
        present = pc.is_valid(norm).to_numpy(zero_copy_only=False)
        fail_nhs_numbers(b, raw, present & ~valid, ids.nhs_number)
        nhs = pc.if_else(pa.array(valid), norm, pa.scalar(None, pa.string()))
    local = normalise_local_id(b.col(ids.local_id)) if ids.local_id else _nulls(n)
    if ids.full_name:
        given, family = split_full_name(b.col(ids.full_name))
    else:
        given = normalise_name(b.col(ids.given_name)) if ids.given_name else _nulls(n)
        family = normalise_name(b.col(ids.family_name)) if ids.family_name else _nulls(n)
    dob = b.dates.get("dob", pa.nulls(n, pa.date32()))
    sex = normalise_sex(b.col(ids.sex), ids.sex_map) if ids.sex else pa.repeat(pa.scalar("U", pa.string()), n)
    if ids.sex:
        b.unmapped_sex = sex_codes.unmapped_mask(b.col(ids.sex), ids.sex_map)
    postcode = normalise_postcode(b.col(ids.postcode)) if ids.postcode else _nulls(n)
    usable = (
        pc.is_valid(nhs).to_numpy(zero_copy_only=False)
        | pc.is_valid(local).to_numpy(zero_copy_only=False)
        | (pc.is_valid(family).to_numpy(zero_copy_only=False) & pc.is_valid(dob).to_numpy(zero_copy_only=False))
    )
    first_id = ids.nhs_number or ids.local_id or ids.full_name or ids.family_name or ""
    b.tracker.fail(~usable, "blank_identifier", first_id)
    return Identity(nhs, local, given, family, dob, sex, postcode)


def timestamp(b: Batch, name: str) -> pa.Array:
    """A parsed date field with its time of day (seconds; 0 when the format has none), as
    one key column: two events on the same day at different times are different events."""
    days = b.dates[name].cast(pa.int32()).cast(pa.int64())
    return pc.add(pc.multiply(days, 86400), pa.array(b.times.get(name, np.zeros(b.n, np.int64))))


def record_key(b: Batch) -> pa.Array | None:
    """The row's own identifier (``record_id`` of an event source), trimmed and upper-cased,
    null where blank; None when the source declares none."""
    column = getattr(b.feed.spec, "record_id", None)
    return normalise_local_id(b.col(column)) if column else None


def flag_duplicates(b: Batch, key_columns: dict[str, pa.Array], constants: tuple[str, ...] = (), label: str = "") -> None:
    """Among rows still accepted: exact copies of an earlier row (``duplicate_row``); then
    repeats of an earlier row of the file (``duplicate_key``): the same record ID where the
    source declares ``record_id``, else the same value in every ``key_columns`` (every mapped
    value of the row); then repeats of a row of an earlier file of the same target table
    (``duplicate_other_file``, through ``b.repeats``). ``constants`` (agency, instrument...)
    join the key across files; ``label`` names the key columns the source maps (messages).
    Leaves the row keys of the rows still accepted in ``b.row_keys``."""
    open_rows = np.flatnonzero(b.tracker.open & ~b.out_of_scope)
    rec = record_key(b)
    if open_rows.size >= 2:
        take = pa.array(open_rows)
        raw = b.raw.take(take)
        dup, first = later_duplicates(raw, raw.column_names, open_rows + 1)
        _fail_dups(b, open_rows, dup, first, "duplicate_row", "(row)")
        still = b.tracker.open[open_rows]
        rows = open_rows[still]
        if rec is not None:
            has_rec = pc.is_valid(pc.take(rec, pa.array(rows))).to_numpy(zero_copy_only=False).astype(bool)
            with_rec = rows[has_rec]
            ids = pa.table({"record_id": pc.take(rec, pa.array(with_rec))})
            dup, first = later_duplicates(ids, ["record_id"], with_rec + 1)
            _fail_dups(b, with_rec, dup, first, "duplicate_key", b.feed.spec.record_id, same="same record ID as row")
            rows = rows[~has_rec]  # a blank record ID: compared on every mapped value
        if key_columns and rows.size >= 2:
            keys = pa.table({k: pc.take(v, pa.array(rows)) for k, v in key_columns.items()})
            dup, first = later_duplicates(keys, list(key_columns), rows + 1)
            _fail_dups(b, rows, dup, first, "duplicate_key", label or "(" + ", ".join(key_columns) + ")")
    if not key_columns:
        return  # no row keys: the rows are not compared with other files (lookups)
    rows = np.flatnonzero(b.tracker.open & ~b.out_of_scope)
    b.row_keys = _row_keys(b, rows, key_columns, constants, rec)
    if b.repeats is None or rows.size == 0:
        return
    found = b.repeats(b.row_keys.select(["source_row", "h1", "h2", "r1", "r2"]))
    if found.num_rows == 0:
        return
    found = found.sort_by([("source_row", "ascending")])
    idx = found.column("source_row").to_numpy() - 1
    mask = np.zeros(b.n, bool)
    mask[idx] = True

    def same_as() -> pa.Array:
        same_source = pc.equal(found.column("dup_source"), b.feed.name)
        where = pc.if_else(same_source, found.column("dup_path"),
                           pc.binary_join_element_wise(found.column("dup_source"), found.column("dup_path"), ": "))
        text = pc.binary_join_element_wise("same as ", where, " row ", found.column("dup_row").cast(pa.string()),
                                           line_suffix(found.column("dup_line").combine_chunks(),
                                                       found.column("dup_type").combine_chunks()), "")
        shown = np.full(b.n, "", dtype=object)
        shown[idx] = text.to_numpy(zero_copy_only=False)
        return pa.array(shown, pa.string())

    b.fail_showing(mask, "duplicate_other_file", "(row)", same_as)
    # the applied state, compared with what the store implies on every later run
    at = pc.index_in(b.row_keys.column("source_row"), value_set=found.column("source_row"))
    for name in ("dup_source", "dup_path", "dup_row", "dup_line"):
        col = pc.take(found.column(name), at)
        b.row_keys = b.row_keys.set_column(b.row_keys.schema.get_field_index(name), name, col)


def _hash_key(key: bytes, label: str) -> str:
    """A SipHash key derived from the project key for pandas.util.hash_array, which takes 16
    characters and encodes them as UTF-8, needing 16 bytes: each of the HMAC's first 16 bytes
    kept to its low 7 bits (one byte of UTF-8 each), so the key carries 112 bits. The first 16
    characters of the hex digest, used before ``RULES_VERSION`` 10, carried only 64: one
    known row and its stored hash were enough to search every key (2^64 SipHash calls)."""
    digest = hmac.new(key, f"carecase-row-key:{label}".encode(), "sha256").digest()
    return "".join(chr(b & 0x7F) for b in digest[:16])


#: Rows hashed at once: the joined text goes through a Python object array, so a bounded
#: chunk keeps its memory small (about 0.2 GB) whatever the file's size; the hashes are the same.
HASH_CHUNK = 1_000_000


def row_hashes(columns: list[pa.Array], prefix: str, key: bytes, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Two keyed 64-bit hashes (SipHash under keys derived from the project key, so the
    store never holds a value that could be reversed to an identifier) of each row of
    ``columns`` (nulls distinct from empty text), written after ``prefix``."""
    h1, h2 = np.empty(n, np.int64), np.empty(n, np.int64)
    k1, k2 = _hash_key(key, "1"), _hash_key(key, "2")
    for lo in range(0, n, HASH_CHUNK):
        m = min(n, lo + HASH_CHUNK) - lo
        parts: list[pa.Array | pa.Scalar] = [pa.scalar(prefix)]
        parts += [pc.fill_null(pc.cast(c.slice(lo, m), pa.string()), "\x00") for c in columns]
        joined = (pc.binary_join_element_wise(*parts, pa.repeat(pa.scalar("\x1f"), m)) if len(parts) > 1
                  else pa.repeat(pa.scalar(prefix), m))
        values = np.asarray(joined.to_numpy(zero_copy_only=False), dtype=object)
        h1[lo:lo + m] = pd.util.hash_array(values, hash_key=k1, categorize=False).view(np.int64)
        h2[lo:lo + m] = pd.util.hash_array(values, hash_key=k2, categorize=False).view(np.int64)
    return h1, h2


def _row_keys(b: Batch, rows: np.ndarray, key_columns: dict[str, pa.Array], constants: tuple[str, ...],
              rec: pa.Array | None) -> pa.Table:
    m = rows.size
    take = pa.array(rows)
    h1, h2 = row_hashes([pc.take(key_columns[k], take) for k in key_columns],
                        "\x1e".join((b.feed.role, *constants, *key_columns)), b.ctx.key, m)
    r1 = r2 = pa.nulls(m, pa.int64())
    if rec is not None:
        ids = pc.take(rec, take)
        valid = pc.is_valid(ids)
        a, c = row_hashes([ids], "record_id", b.ctx.key, m)
        none = pa.scalar(None, pa.int64())
        r1, r2 = pc.if_else(valid, pa.array(a), none), pc.if_else(valid, pa.array(c), none)
    const = {"grp": b.feed.role, "source": b.feed.name, "path": b.ctx.file, "batch_id": b.ctx.batch_id}
    cols = {k: repeated(v, m) for k, v in const.items()}
    lines = pa.nulls(m, pa.int64()) if b.lines is None else pa.array(b.lines[rows], pa.int64())
    t = pa.table({**cols, "source_row": pa.array(rows + 1, pa.int64()), "file_line": lines, "h1": pa.array(h1, pa.int64()),
                  "h2": pa.array(h2, pa.int64()), "r1": r1, "r2": r2,
                  "dup_source": pa.nulls(m, pa.string()), "dup_path": pa.nulls(m, pa.string()),
                  "dup_row": pa.nulls(m, pa.int64()), "dup_line": pa.nulls(m, pa.int64())})
    return t  # ROW_KEYS_SCHEMA, with the constant text columns dictionary-encoded


def _fail_dups(b: Batch, rows: np.ndarray, dup: np.ndarray, first: np.ndarray, rule: str, column: str,
               same: str = "same as row") -> None:
    if not dup.any():
        return
    mask = np.zeros(b.n, bool)
    mask[rows[dup]] = True

    def first_rows() -> pa.Array:
        firsts = first[dup]
        names = row_names(f"{same} ", firsts, None if b.lines is None else b.lines[firsts - 1], b.file_type)
        at = np.full(b.n, -1, np.int64)
        at[rows[dup]] = np.arange(firsts.size)
        return pc.fill_null(pc.take(names, pa.array(at, mask=at < 0)), "")

    b.fail_showing(mask, rule, column, first_rows)


def identity_table(b: Batch, ident: Identity, accepted: pa.Array, record_id: pa.Array, source_row: pa.Array) -> pa.Table:
    key = b.ctx.key
    t = pa.table(
        {
            "record_id": record_id,
            "source": repeated(b.feed.name, b.n),
            "batch_id": repeated(b.ctx.batch_id, b.n),
            "source_row": source_row,
            "nhs_pseudo": ident.nhs,
            "local_pseudo": ident.local,
            "given_name": ident.given,
            "family_name": ident.family,
            "dob": ident.dob,
            "sex": ident.sex,
            "postcode": ident.postcode,
        }
    ).filter(accepted)
    t = t.set_column(4, "nhs_pseudo", pseudonymise(t.column("nhs_pseudo"), key, dictionary=True))
    t = t.set_column(5, "local_pseudo", pseudonymise(t.column("local_pseudo"), key, dictionary=True))
    return with_identity_key(t, key)


#: The staged identity values that name a candidate profile in linkage (link.profiles):
#: the source where a local ID scopes it, the local pseudonym, names, date of birth, sex, postcode.
IDENTITY_KEY_COLUMNS = ("local_pseudo", "given_name", "family_name", "dob", "sex", "postcode")


def with_identity_key(t: pa.Table, key: bytes) -> pa.Table:
    """``t`` (staged identities) with ``identity_h1`` and ``identity_h2``: two keyed 64-bit
    hashes (SipHash under keys derived from the project key, as the row keys) of the values
    that name a candidate profile. Linkage names an unlinked person and a clerical pair by
    them, so both stay the same when an extract is refreshed; keyed, so that nobody without
    the key can test a guessed name, date of birth and postcode against a person_id (an
    unkeyed SHA-256 of them could be)."""
    local = t.column("local_pseudo")
    scope = pc.if_else(pc.is_valid(local), t.column("source"), pa.scalar(None, pa.string()))
    h1, h2 = row_hashes([scope, *(t.column(c) for c in IDENTITY_KEY_COLUMNS)], "carecase-identity", key, t.num_rows)
    return t.append_column("identity_h1", pa.array(h1, pa.int64())).append_column(
        "identity_h2", pa.array(h2, pa.int64()))


def finish(b: Batch, tables: dict[str, pa.Table], accepted: np.ndarray) -> StagedBatch:
    source_row = np.arange(1, b.n + 1, dtype=np.int64)
    quarantine = quarantine_table(
        b.tracker, b.raw, source_row, b.feed.identifier_columns(), b.shown, b.feed.name, b.ctx.batch_id, b.ctx.file,
        b.lines,
    )
    quarantined = int((b.tracker.rule >= 0).sum())
    out_of_scope = int(b.out_of_scope.sum())
    n_accepted = int(accepted.sum())
    if n_accepted + quarantined + out_of_scope != b.n or quarantine.num_rows != quarantined:
        raise IngestError(
            f"{b.ctx.file}: row accounting failed (read {b.n}, accepted {n_accepted}, quarantined "
            f"{quarantined}, out of scope {out_of_scope}). This is a carecase bug; please report it."
        )
    keys = b.row_keys if b.row_keys is not None else ROW_KEYS_SCHEMA.empty_table()
    tables = {**tables, "ingest_row_keys": keys}
    if b.unmapped_sex is not None and b.feed.ids is not None and b.feed.ids.sex:
        tables[sex_codes.TABLE] = sex_codes.count(b.col(b.feed.ids.sex), b.unmapped_sex & accepted, b.feed.name,
                                                  b.ctx.file, b.ctx.batch_id)
    return StagedBatch(b.n, n_accepted, quarantined, out_of_scope, tables, quarantine, dict(b.date_formats),
                       dict(b.date_reads))


@dataclass(frozen=True)
class Accepted:
    """The rows of a batch that pass every rule and lie in scope, with their record ids."""

    mask: np.ndarray
    rows: pa.Array
    record_id: pa.Array
    source_row: pa.Array


def accepted_rows(b: Batch) -> Accepted:
    mask = b.tracker.open & ~b.out_of_scope
    rid, source_row = record_ids(b)
    return Accepted(mask, pa.array(mask), rid, source_row)


def finish_with_identity(b: Batch, name: str, table: pa.Table, ident: Identity, acc: Accepted) -> StagedBatch:
    """Finish a batch whose accepted rows also stage their identities for linkage."""
    identity = identity_table(b, ident, acc.rows, acc.record_id, acc.source_row)
    return finish(b, {name: table, "staging_identity": identity}, acc.mask)


def record_ids(b: Batch) -> tuple[pa.Array, pa.Array]:
    source_row = pa.array(np.arange(1, b.n + 1, dtype=np.int64))
    prefix = f"{b.feed.name}:{b.ctx.batch_id}:"
    rid = pc.binary_join_element_wise(pa.scalar(prefix), source_row.cast(pa.string()), "")
    return rid, source_row


__all__ = ["Batch", "BatchContext", "StagedBatch", "OK", "check_identity", "parse_date_fields", "flag_duplicates", "finish"]
