"""The role-specific part of validating a batch: events, population, programme, outcomes
and lookups. Each builder checks its rules (in a fixed order) and returns the store rows."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from carecase.core.services import Catalogue
from carecase.ingest import number_hints
from carecase.ingest.dates import BLANK, OK, UNPARSEABLE
from carecase.ingest.ignored import TABLE as IGNORED_TABLE
from carecase.ingest.ignored import count_codes
from carecase.ingest.nhs_number import normalise_nhs_number, usable_normalised
from carecase.ingest.normalise import normalise_local_id
from carecase.ingest.pseudonymise import pseudonymise
from carecase.ingest.rules import repeated
from carecase.ingest.validate import (
    Batch,
    Identity,
    StagedBatch,
    accepted_rows,
    check_identity,
    fail_nhs_numbers,
    finish,
    finish_with_identity,
    flag_duplicates,
    parse_date_fields,
    record_ids,
    timestamp,
)

NUMBER = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"
#: Plausible maximum quantity per row by unit, used when event.max_quantity is not set.
DEFAULT_MAX_QUANTITY: dict[str, float] = {
    "attendance": 50, "appointment": 100, "incident": 50, "application": 10, "arrest": 20,
    "hour": 168,  # home care hours per week: there are 168 hours in a week
    "week": 7,  # placements per week
}
FALLBACK_MAX_QUANTITY = 1000.0


def parse_numbers(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Finite decimal numbers (surrounding whitespace ignored) → (float64 values, status)."""
    arr = pc.utf8_trim_whitespace(pc.fill_null(values.cast(pa.string()), ""))
    blank = pc.equal(arr, "").to_numpy(zero_copy_only=False).astype(bool)
    shaped = pc.match_substring_regex(arr, pattern=NUMBER).to_numpy(zero_copy_only=False).astype(bool)
    nums = pc.cast(pc.if_else(pa.array(shaped), arr, "0"), pa.float64()).to_numpy(zero_copy_only=False)
    ok = shaped & np.isfinite(nums)
    status = np.where(blank, BLANK, np.where(ok, OK, UNPARSEABLE)).astype(np.int8)
    return np.where(ok, nums, np.nan), status


def fail_numbers(b: Batch, values: pa.Array, unparseable: np.ndarray, column: str) -> None:
    """Quarantine the ``unparseable`` numbers, saying where a spreadsheet's number format is
    the cause (thousands separators, a decimal comma, a currency sign, brackets)."""
    for rows, why in number_hints.explain(values, unparseable):
        b.tracker.fail(rows, "unparseable_number", column, why=why)
    b.tracker.fail(unparseable, "unparseable_number", column, why="")


def _days(arr: pa.Array) -> np.ndarray:
    """date32 → int days (nulls as a sentinel far in the past)."""
    return pc.fill_null(arr.cast(pa.int32()), -(2**31) + 1).to_numpy(zero_copy_only=False).astype(np.int64)


def _valid(arr: pa.Array) -> np.ndarray:
    return pc.is_valid(arr).to_numpy(zero_copy_only=False).astype(bool)


def _const(value: object, n: int, typ: pa.DataType) -> pa.Array:
    return pa.repeat(pa.scalar(value, typ), n)


def _person_key(b: Batch, ident: Identity) -> tuple[dict[str, pa.Array], list[str]]:
    """Every identity field as a key column (the same set for every source, so rows of
    different sources can match), and the names of those the source maps (for messages)."""
    ids = b.feed.ids
    assert ids is not None
    cols = {"nhs": ident.nhs, "local_id": ident.local, "given": ident.given, "family": ident.family,
            "dob": ident.dob, "sex": ident.sex, "postcode": ident.postcode}
    mapped = {"nhs": ids.nhs_number, "local_id": ids.local_id, "given": ids.given_name or ids.full_name,
              "family": ids.family_name or ids.full_name, "dob": ids.dob, "sex": ids.sex, "postcode": ids.postcode}
    return cols, [k for k in cols if mapped[k]]


def _label(names: list[str]) -> str:
    return "(" + ", ".join(names) + ")"


def count_span(start: pa.Array, covers: str) -> tuple[pa.Array, pa.Array]:
    """The days a count covers, ``[start, end)``: the 7 days from its date (``week``), or the
    calendar month holding it (``month``: from the 1st to the next month's 1st)."""
    days = _days(start).astype("datetime64[D]")  # a null's sentinel day is masked below
    if covers == "week":
        first, nxt = days, days + np.timedelta64(7, "D")
    else:
        month = days.astype("datetime64[M]")
        first, nxt = month.astype("datetime64[D]"), (month + 1).astype("datetime64[D]")
    mask = ~_valid(start)
    return (pa.array(first, pa.date32(), mask=mask), pa.array(nxt, pa.date32(), mask=mask))


def stage_events(b: Batch) -> StagedBatch:
    s, ev, n = b.feed.spec, b.feed.spec.event, b.n
    ignored: pa.Table | None = None
    # 1. service mapping: ignored codes are out of scope, never checked further
    if ev.service.code:
        codes = _const(ev.service.code, n, pa.string())
    else:
        raw_code = pc.utf8_trim_whitespace(b.col(ev.service.column))
        keys = sorted(ev.service.map)
        idx = pc.index_in(raw_code, value_set=pa.array(keys, pa.string()))
        codes = pc.take(pa.array([ev.service.map[k] for k in keys], pa.string()), idx)
        unmapped = ~_valid(codes)
        if ev.service.unmapped == "ignore":
            b.out_of_scope |= unmapped
            b.tracker.exclude(unmapped)
            ignored = count_codes(raw_code, unmapped, s.name, b.ctx.file, b.ctx.batch_id)
        else:
            key = f"{b.feed.key}.event.service.map"
            # 'ta' against a map holding 'TA': say so (codes match exactly, case included)
            lower: dict[str, list[str]] = {}
            for k in keys:
                lower.setdefault(k.lower(), []).append(k)
            folded = sorted(k for k, v in lower.items() if len(v) == 1)
            other_case = unmapped & _valid(pc.index_in(pc.utf8_lower(raw_code), value_set=pa.array(folded, pa.string())))
            b.tracker.fail(other_case, "unmapped_service", ev.service.column, key=key,
                           why=" as written, but is there in another case (codes match exactly, case included)")
            b.tracker.fail(unmapped, "unmapped_service", ev.service.column, key=key, why="")
    # 2. identifiers, 3. dates
    parse_date_fields(b, only={"dob"})
    ident = check_identity(b)
    parse_date_fields(b, skip={"dob"})
    start = b.dates["start"]
    end = pa.nulls(n, pa.date32())
    if ev.kind == "count" and ev.covers != "day":
        start, end = count_span(start, ev.covers)
    if ev.kind in ("spell", "package"):
        end = b.dates.get("end", end)
        blank_end = pc.equal(pc.utf8_trim_whitespace(b.col(ev.end.column)), "").to_numpy(zero_copy_only=False)
        if ev.open_ended == "quarantine":
            b.tracker.fail(blank_end, "missing_end", ev.end.column, key=f"{b.feed.key}.event.open_ended")
        else:
            ongoing = pa.scalar(period_end_exclusive(b.ctx.period_end), pa.date32())
            end = pc.if_else(pa.array(blank_end), ongoing, end)
        b.tracker.fail(_valid(end) & _valid(start) & (_days(end) < _days(start)), "end_before_start", ev.end.column)
    # 4. quantity
    services = b.feed.services
    listed = sorted(services)
    units = pc.take(pa.array([services[c].unit for c in listed], pa.string()),
                    pc.index_in(codes, value_set=pa.array(listed, pa.string())))
    quantity = np.where(np.full(n, ev.kind == "spell"), np.nan, 1.0)
    if ev.quantity and ev.kind != "spell":
        qty, status = parse_numbers(b.col(ev.quantity))
        if ev.kind == "point":
            qty = np.where(status == BLANK, 1.0, qty)
        else:  # a package: a blank is one placement a week where the service is counted in
            # weeks (residential care, in one extract with home care's hours); else required
            per_week = pc.equal(units, "week").fill_null(False).to_numpy(zero_copy_only=False)
            qty = np.where((status == BLANK) & per_week, 1.0, qty)
            b.tracker.fail((status == BLANK) & ~per_week, "missing_value", ev.quantity)
        fail_numbers(b, b.col(ev.quantity), status == UNPARSEABLE, ev.quantity)
        b.tracker.fail(qty < 0, "negative_quantity", ev.quantity)
        if ev.max_quantity is not None:
            limit = np.full(n, float(ev.max_quantity))
        else:
            limit = _default_limits(codes, services)
        too_big = qty > limit
        if too_big.any():
            for lim in np.unique(limit[too_big]):
                b.tracker.fail(too_big & (limit == lim), "absurd_quantity", ev.quantity,
                               limit=f"{lim:g}", key=f"{b.feed.key}.event.max_quantity")
        quantity = qty
    # 5. project period: [start, max(end, start + 1 day)) must overlap the period
    s_days, e_days = _days(start), _days(end)
    eff_end = np.where(_valid(end), np.maximum(e_days, s_days + 1), s_days + 1)
    p0 = (b.ctx.period_start - dt.date(1970, 1, 1)).days
    p1 = (b.ctx.period_end - dt.date(1970, 1, 1)).days
    outside = _valid(start) & ((s_days > p1) | (eff_end <= p0))
    b.tracker.fail(outside, "outside_period", ev.start.column, period=f"{b.ctx.period_start} to {b.ctx.period_end}")
    # 6. duplicates: the key is every mapped value, the start and end with their time of day
    person, mapped = _person_key(b, ident)
    end_ts = timestamp(b, "end") if "end" in b.dates else pa.nulls(n, pa.int64())
    end_ts = pc.if_else(pc.is_valid(end_ts), end_ts, pc.multiply(end.cast(pa.int32()).cast(pa.int64()), 86400))
    qty_key = pa.array(quantity, pa.float64(), mask=np.isnan(quantity))
    # a count over a week or month is keyed by the days it covers: two rows of one month
    # (dated the 1st and the 15th) are one month counted twice
    start_ts = (pc.multiply(start.cast(pa.int32()).cast(pa.int64()), 86400)
                if ev.kind == "count" and ev.covers != "day" else timestamp(b, "start"))
    key_columns = {**person, "service": codes, "start": start_ts, "end": end_ts, "quantity": qty_key}
    flag_duplicates(b, key_columns, (s.agency.level1, s.agency.level2, ev.kind),
                    _label([*mapped, "service", "start", *(["end"] if ev.kind in ("spell", "package") else []),
                            *(["quantity"] if ev.quantity and ev.kind != "spell" else [])]))
    acc = accepted_rows(b)
    rid, source_row, accepted = acc.record_id, acc.source_row, acc.rows
    events = pa.table({
        "record_id": rid, "source": repeated(s.name, n), "batch_id": repeated(b.ctx.batch_id, n),
        "source_row": source_row, "agency_l1": repeated(s.agency.level1, n),
        "agency_l2": repeated(s.agency.level2, n), "service_code": codes,
        "kind": repeated(ev.kind, n), "start_date": start, "end_date": end,
        "quantity": pa.array(quantity, pa.float64(), mask=np.isnan(quantity)), "unit": units,
    }).filter(accepted)
    staged = finish_with_identity(b, "events_staged", events, ident, acc)
    if ignored is None:
        return staged
    return dataclasses.replace(staged, tables={**staged.tables, IGNORED_TABLE: ignored})


def _default_limits(codes: pa.Array, services: Catalogue) -> np.ndarray:
    """The plausible maximum quantity for each row's service unit (``services``: the
    project's catalogue)."""
    keys = sorted(services)
    limits = pa.array([float(DEFAULT_MAX_QUANTITY.get(services[c].unit, FALLBACK_MAX_QUANTITY)) for c in keys])
    picked = pc.take(limits, pc.index_in(codes, value_set=pa.array(keys, pa.string())))
    return pc.fill_null(picked, FALLBACK_MAX_QUANTITY).to_numpy(zero_copy_only=False)


def period_end_exclusive(period_end: dt.date) -> dt.date:
    """An open-ended spell or package runs to the end of the period: ``[start, period_end + 1)``."""
    return period_end + dt.timedelta(days=1)


def stage_population(b: Batch) -> StagedBatch:
    s, n = b.feed.spec, b.n
    parse_date_fields(b, only={"dob"})
    ident = check_identity(b)
    parse_date_fields(b, skip={"dob"})
    decile = pa.nulls(n, pa.int64())
    if s.deprivation_decile:
        nums, status = parse_numbers(b.col(s.deprivation_decile))
        bad = (status == UNPARSEABLE) | ((status == OK) & ~((nums >= 1) & (nums <= 10) & (nums == np.floor(nums))))
        b.tracker.fail(bad, "invalid_decile", s.deprivation_decile)
        good = (status == OK) & ~bad
        decile = pa.array(np.where(good, nums, 0).astype(np.int64), pa.int64(), mask=~good)
    locality = pa.nulls(n, pa.string())
    if s.locality:
        loc = pc.utf8_trim_whitespace(b.col(s.locality))
        locality = pc.if_else(pc.equal(loc, ""), pa.scalar(None, pa.string()), loc)
    reg_from = b.dates.get("registered_from", pa.nulls(n, pa.date32()))
    reg_to = b.dates.get("registered_to", pa.nulls(n, pa.date32()))
    if s.registered_to is not None:
        b.tracker.fail(_valid(reg_from) & _valid(reg_to) & (_days(reg_to) < _days(reg_from)), "end_before_start", s.registered_to.column)
    person, mapped = _person_key(b, ident)
    dod = b.dates.get("date_of_death", pa.nulls(n, pa.date32()))
    flag_duplicates(b, {**person, "deprivation_decile": decile, "locality": locality, "registered_from": reg_from,
                        "registered_to": reg_to, "date_of_death": dod},
                    label=_label([*mapped, *[k for k in ("deprivation_decile", "locality") if getattr(s, k)],
                                  *[k for k in ("registered_from", "registered_to", "date_of_death") if getattr(s, k)]]))
    acc = accepted_rows(b)
    rid, accepted = acc.record_id, acc.rows
    table = pa.table({
        "record_id": rid, "deprivation_decile": decile, "locality": locality, "registered_from": reg_from,
        "registered_to": reg_to, "date_of_death": b.dates.get("date_of_death", pa.nulls(n, pa.date32())),
    }).filter(accepted)
    return finish_with_identity(b, "population_staged", table, ident, acc)


def stage_programme(b: Batch) -> StagedBatch:
    s, n = b.feed.spec, b.n
    parse_date_fields(b, only={"dob"})
    ident = check_identity(b)
    parse_date_fields(b, skip={"dob"})
    start = b.dates["start"]
    end = b.dates.get("end", pa.nulls(n, pa.date32()))
    if s.end is not None:
        b.tracker.fail(_valid(start) & _valid(end) & (_days(end) < _days(start)), "end_before_start", s.end.column)
    person, mapped = _person_key(b, ident)
    flag_duplicates(b, {**person, "start": start}, label=_label([*mapped, "start"]))
    acc = accepted_rows(b)
    rid, accepted = acc.record_id, acc.rows
    table = pa.table({"record_id": rid, "start_date": start, "end_date": end}).filter(accepted)
    return finish_with_identity(b, "programme_staged", table, ident, acc)


def stage_outcomes(b: Batch) -> StagedBatch:
    s, n = b.feed.spec, b.n
    parse_date_fields(b, only={"dob"})
    ident = check_identity(b)
    parse_date_fields(b, skip={"dob"})
    assessment = pc.utf8_trim_whitespace(b.col(s.assessment))
    b.tracker.fail(pc.equal(assessment, "").to_numpy(zero_copy_only=False), "missing_value", s.assessment)
    scores: dict[str, np.ndarray] = {}
    for domain in sorted(s.domains):
        nums, status = parse_numbers(b.col(s.domains[domain]))
        fail_numbers(b, b.col(s.domains[domain]), status == UNPARSEABLE, s.domains[domain])
        scores[domain] = nums
    if b.feed.scale is not None:  # after every domain's number check: first rule per row
        low, high, key = b.feed.scale
        for domain in sorted(s.domains):
            b.tracker.fail((scores[domain] < low) | (scores[domain] > high), "score_out_of_range",
                           s.domains[domain], scale=f"{low:g}-{high:g}", key=key)
    if b.feed.assessments is not None and b.feed.scale is not None:  # the instrument is declared
        # after the scores' checks (a bad score at any point is named as such): the evaluation
        # reads only the instrument's assessment points, and dropped a row at another one there
        # without a word
        known = pc.fill_null(pc.is_in(assessment, value_set=pa.array(list(b.feed.assessments), pa.string())), False)
        b.tracker.fail(pc.invert(known).to_numpy(zero_copy_only=False), "unknown_assessment", s.assessment,
                       points=", ".join(b.feed.assessments), key=b.feed.scale[2])
    person, mapped = _person_key(b, ident)
    score_keys = {f"score_{d}": pa.array(v, pa.float64(), mask=np.isnan(v)) for d, v in scores.items()}
    flag_duplicates(b, {**person, "assessment": assessment, "date": b.dates["date"], **score_keys}, (s.instrument,),
                    _label([*mapped, "assessment", "date", *scores]))
    acc = accepted_rows(b)
    rid, accepted = acc.record_id, acc.rows
    parts = [
        pa.table({
            "record_id": rid, "instrument": _const(s.instrument, n, pa.string()), "assessment": assessment,
            "assessment_date": b.dates["date"], "domain": _const(domain, n, pa.string()),
            "score": pa.array(vals, pa.float64(), mask=np.isnan(vals)),
        }).filter(accepted)
        for domain, vals in scores.items()
    ]
    table = pa.concat_tables(parts).sort_by([("record_id", "ascending"), ("domain", "ascending")])
    return finish_with_identity(b, "outcomes_staged", table, ident, acc)


def stage_lookup(b: Batch) -> StagedBatch:
    s, n = b.feed.spec, b.n
    local = normalise_local_id(b.col(s.local_id))
    b.tracker.fail(~_valid(local), "blank_identifier", s.local_id)
    raw_nhs = b.col(s.nhs_number)
    nhs = normalise_nhs_number(raw_nhs)
    valid = usable_normalised(nhs)
    fail_nhs_numbers(b, raw_nhs, ~valid, s.nhs_number)
    flag_duplicates(b, {})  # a repeated pair is harmless: lookup_<name> holds distinct pairs
    accepted_np = b.tracker.open
    accepted = pa.array(accepted_np)
    _, source_row = record_ids(b)
    table = pa.table({
        "lookup": _const(b.feed.name.removeprefix("lookup_"), n, pa.string()),
        "batch_id": _const(b.ctx.batch_id, n, pa.string()), "source_row": source_row,
        "file_line": pa.nulls(n, pa.int64()) if b.lines is None else pa.array(b.lines, pa.int64()),
        "local_pseudo": local, "nhs_pseudo": nhs,
    }).filter(accepted)
    table = table.set_column(4, "local_pseudo", pseudonymise(table.column("local_pseudo"), b.ctx.key))
    table = table.set_column(5, "nhs_pseudo", pseudonymise(table.column("nhs_pseudo"), b.ctx.key))
    return finish(b, {"ingest_lookup_rows": table}, accepted_np)


BUILDERS = {"events": stage_events, "population": stage_population, "programme": stage_programme,
            "outcomes": stage_outcomes, "lookup": stage_lookup}
