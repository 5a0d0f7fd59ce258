"""Validating one batch (one file of one feed): from a table of raw strings to the staged
rows, the identity rows and the quarantine, all as Arrow tables. Pure: no I/O, no store."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from carecase.core.errors import IngestError
from carecase.ingest.dates import (
    BLANK,
    IMPOSSIBLE,
    OK,
    UNPARSEABLE,
    AmbiguousDates,
    infer_date_format,
    parse_dates,
)
from carecase.ingest.feeds import DateField, Feed
from carecase.ingest.nhs_number import nhs_number_valid, normalise_nhs_number
from carecase.ingest.normalise import (
    normalise_local_id,
    normalise_name,
    normalise_postcode,
    normalise_sex,
    split_full_name,
)
from carecase.ingest.pseudonymise import pseudonymise
from carecase.ingest.rules import RuleTracker, later_duplicates, quarantine_table


@dataclass(frozen=True)
class BatchContext:
    file: str  # path relative to the project folder
    batch_id: str
    key: bytes
    period_start: dt.date
    period_end: dt.date
    today: dt.date


@dataclass
class Batch:
    """Working state while one batch is validated."""

    feed: Feed
    raw: pa.Table
    ctx: BatchContext
    tracker: RuleTracker
    out_of_scope: np.ndarray
    dates: dict[str, pa.Array] = field(default_factory=dict)
    date_formats: dict[str, str] = field(default_factory=dict)
    shown: dict[int, pa.Array] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return self.raw.num_rows

    def col(self, name: str) -> pa.Array:
        return self.raw.column(name).combine_chunks()


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
        raise IngestError(
            f"{b.ctx.file}: cannot tell the date format of column '{d.column}' ({d.name}): "
            f"{err.reason}. {example}To fix it, {suggest}."
        ) from None


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
        else:
            parsed = parse_dates(b.col(d.column), fmt, b.ctx.today)
            parsed_status = parsed.status
            b.dates[d.name] = parsed.dates
            b.date_formats[d.name] = fmt if d.format else f"{fmt} (inferred)"
        if d.required:
            b.tracker.fail(parsed_status == BLANK, "missing_value", d.column)
        show_fmt = repr(fmt) if fmt else "(none)"
        b.tracker.fail(parsed_status == UNPARSEABLE, "unparseable_date", d.column, format=show_fmt, key=d.key)
        b.tracker.fail(parsed_status == IMPOSSIBLE, "impossible_date", d.column)


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
        valid = nhs_number_valid(norm)  # normalising is idempotent
        present = pc.is_valid(norm).to_numpy(zero_copy_only=False)
        b.tracker.fail(present & ~valid, "nhs_number_invalid", ids.nhs_number)
        nhs = pc.if_else(pa.array(valid), norm, pa.scalar(None, pa.string()))
    local = normalise_local_id(b.col(ids.local_id)) if ids.local_id else _nulls(n)
    if ids.full_name:
        given, family = split_full_name(b.col(ids.full_name))
    else:
        given = normalise_name(b.col(ids.given_name)) if ids.given_name else _nulls(n)
        family = normalise_name(b.col(ids.family_name)) if ids.family_name else _nulls(n)
    dob = b.dates.get("dob", pa.nulls(n, pa.date32()))
    sex = normalise_sex(b.col(ids.sex), ids.sex_map) if ids.sex else pa.repeat(pa.scalar("U", pa.string()), n)
    postcode = normalise_postcode(b.col(ids.postcode)) if ids.postcode else _nulls(n)
    usable = (
        pc.is_valid(nhs).to_numpy(zero_copy_only=False)
        | pc.is_valid(local).to_numpy(zero_copy_only=False)
        | (pc.is_valid(family).to_numpy(zero_copy_only=False) & pc.is_valid(dob).to_numpy(zero_copy_only=False))
    )
    first_id = ids.nhs_number or ids.local_id or ids.full_name or ids.family_name or ""
    b.tracker.fail(~usable, "blank_identifier", first_id)
    return Identity(nhs, local, given, family, dob, sex, postcode)


def flag_duplicates(b: Batch, key_columns: dict[str, pa.Array]) -> None:
    """Exact duplicate rows, then same-key duplicates, among rows still accepted."""
    open_rows = np.flatnonzero(b.tracker.open & ~b.out_of_scope)
    if open_rows.size < 2:
        return
    take = pa.array(open_rows)
    order = open_rows + 1  # source_row
    raw = b.raw.take(take)
    dup, first = later_duplicates(raw, raw.column_names, order)
    _fail_dups(b, open_rows, dup, first, "duplicate_row", "(row)")
    if key_columns:
        still = b.tracker.open[open_rows]
        keys = pa.table({k: pc.take(v, take) for k, v in key_columns.items()}).filter(pa.array(still))
        rows = open_rows[still]
        dup, first = later_duplicates(keys, list(key_columns), rows + 1)
        _fail_dups(b, rows, dup, first, "duplicate_key", "(" + ", ".join(key_columns) + ")")


def _fail_dups(b: Batch, rows: np.ndarray, dup: np.ndarray, first: np.ndarray, rule: str, column: str) -> None:
    if not dup.any():
        return
    mask = np.zeros(b.n, bool)
    mask[rows[dup]] = True
    before = len(b.tracker.names)
    b.tracker.fail(mask, rule, column)
    if len(b.tracker.names) > before:
        shown = np.full(b.n, "", dtype=object)
        shown[rows[dup]] = [f"same as row {int(r)}" for r in first[dup]]
        b.shown[before] = pa.array(shown, pa.string())


def identity_table(b: Batch, ident: Identity, accepted: pa.Array, record_id: pa.Array, source_row: pa.Array) -> pa.Table:
    key = b.ctx.key
    t = pa.table(
        {
            "record_id": record_id,
            "source": pa.repeat(pa.scalar(b.feed.name, pa.string()), b.n),
            "batch_id": pa.repeat(pa.scalar(b.ctx.batch_id, pa.string()), b.n),
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
    t = t.set_column(4, "nhs_pseudo", pseudonymise(t.column("nhs_pseudo"), key))
    return t.set_column(5, "local_pseudo", pseudonymise(t.column("local_pseudo"), key))


def finish(b: Batch, tables: dict[str, pa.Table], accepted: np.ndarray) -> StagedBatch:
    source_row = np.arange(1, b.n + 1, dtype=np.int64)
    quarantine = quarantine_table(
        b.tracker, b.raw, source_row, b.feed.identifier_columns(), b.shown, b.feed.name, b.ctx.batch_id, b.ctx.file
    )
    quarantined = int((b.tracker.rule >= 0).sum())
    out_of_scope = int(b.out_of_scope.sum())
    n_accepted = int(accepted.sum())
    if n_accepted + quarantined + out_of_scope != b.n or quarantine.num_rows != quarantined:
        raise IngestError(
            f"{b.ctx.file}: row accounting failed (read {b.n}, accepted {n_accepted}, quarantined "
            f"{quarantined}, out of scope {out_of_scope}). This is a carecase bug; please report it."
        )
    return StagedBatch(b.n, n_accepted, quarantined, out_of_scope, tables, quarantine, dict(b.date_formats))


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
