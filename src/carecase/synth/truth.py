"""Ground truth for tests (``truth/``): planted effects, broken-row counts and true links.

Nothing in the pipeline reads these files; tests use them to check that ingest finds every
planted broken row, that linkage recovers the true people and that evaluation recovers the
planted effects.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from carecase.synth import params
from carecase.synth.activity import (
    DAYS_PER_YEAR,
    Segments,
    mean_units_per_event,
    person_rate,
    segment_rate,
)
from carecase.synth.broken import KINDS
from carecase.synth.extract import Extract
from carecase.synth.model import Area
from carecase.synth.population import NONE

DAYS_PER_MONTH = 30.4375


def window_key(window: tuple[int, int]) -> str:
    return f"{window[0]}-{window[1]}"


def participant_segments(area: Area) -> Segments:
    seg = area.segments
    keep = np.zeros(len(area.people), dtype=bool)
    keep[area.programme.person] = True
    k = keep[seg.person]
    return Segments(seg.person[k], seg.lo[k], seg.hi[k], seg.severity[k], seg.post[k])


def _participant_rates(area: Area) -> tuple[Segments, dict[str, np.ndarray]]:
    """Participants' segments and each service's counterfactual rate per day in them."""
    if "participant_rates" not in area.derived:
        seg = participant_segments(area)
        rates = {sp.code: segment_rate(seg, person_rate(area.people, sp), sp.crisis_power, 1.0)
                 for sp in params.SERVICE_PARAMS}
        area.derived["participant_rates"] = (seg, rates)
    return area.derived["participant_rates"]


def _window_overlap(area: Area, window: tuple[int, int]) -> tuple[Segments, dict[str, np.ndarray], np.ndarray]:
    """Participants' segments, each service's counterfactual rate per day in them, and each
    segment's days inside ``window`` (months from its person's start date, 30.4375-day months)."""
    prog = area.programme
    start = np.full(len(area.people), NONE, dtype=np.int64)
    start[prog.person] = prog.start_day
    seg, rates = _participant_rates(area)
    t = start[seg.person]
    lo_w = t + int(round(window[0] * DAYS_PER_MONTH))
    hi_w = t + int(round(window[1] * DAYS_PER_MONTH))
    return seg, rates, np.clip(np.minimum(seg.hi, hi_w) - np.maximum(seg.lo, lo_w), 0, None)


def expected_counts(area: Area, window: tuple[int, int]) -> tuple[dict[str, float], float]:
    """Participants' expected events per service in ``window`` (months from each start date,
    30.4375-day months) WITHOUT the programme, and their person-days in the area there."""
    seg, rates, overlap = _window_overlap(area, window)
    exposure = float(overlap[seg.severity == 0].sum())
    counts = {code: float((per_day * overlap).sum()) for code, per_day in rates.items()}
    return counts, exposure


def participant_counterfactuals(area: Area, windows: tuple[tuple[int, int], ...]) -> pa.Table:
    """:func:`expected_counts` person by person: for each participant (``person_key``, 1-based
    as in true_links) and post window (``window``, ``"0-8"``), their person-days in the area
    there (``days``) and each service's expected events without the programme (a column per
    service code). Summed over every participant they give ``truth.json``'s counterfactual
    rates; summed over a subset, the truth for those people alone: the matched participants,
    whom a caliper-matched estimate describes (:func:`planted_effects_among`)."""
    people = np.sort(area.programme.person)
    parts = []
    for window in windows:
        seg, rates, overlap = _window_overlap(area, window)
        slot = np.searchsorted(people, seg.person)  # every segment here is a participant's
        cols: dict[str, Any] = {
            "person_key": pa.array((people + 1).astype(np.int32)),
            "window": pa.array([window_key(window)] * people.size),
            "days": pa.array(np.bincount(slot, weights=np.where(seg.severity == 0, overlap, 0),
                                         minlength=people.size).astype(np.float64)),
        }
        for code, per_day in sorted(rates.items()):
            cols[code] = pa.array(np.bincount(slot, weights=per_day * overlap, minlength=people.size))
        parts.append(pa.table(cols))
    return pa.concat_tables(parts)


def expected_rates(area: Area, window: tuple[int, int]) -> dict[str, float]:
    """Counterfactual events per person-year for participants in ``window``."""
    counts, exposure = expected_counts(area, window)
    return {k: (v / exposure * DAYS_PER_YEAR if exposure else 0.0) for k, v in counts.items()}


def generator_unit(sp: params.ServiceParams) -> str:
    """What the truth's units of ``sp`` are (:func:`mean_units_per_event`): hours of home care,
    weeks of a placement or treatment, days of a stay, or the event itself. Not always the
    evaluation's units, which are the costing basis's: an admission costed per episode counts
    episodes, a treatment costed per year counts years; compare events across the two."""
    if sp.length_shape is None:
        return "event"
    if sp.code == "ASC_HOMECARE":
        return "hour"
    return "week" if sp.code in ("ASC_RESIDENTIAL", "DA_TREATMENT") else "day"


def effects_truth(area: Area, windows: tuple[tuple[int, int], ...]) -> dict[str, Any]:
    cf = {window_key(w): expected_rates(area, w) for w in windows}
    pre = expected_rates(area, (-12, 0))
    out: dict[str, Any] = {}
    for sp in params.SERVICE_PARAMS:
        units = mean_units_per_event(sp)
        per_window = {}
        for key, rates in cf.items():
            change = (sp.effect - 1.0) * rates[sp.code]
            per_window[key] = {
                "counterfactual_events_per_person_year": round(rates[sp.code], 6),
                "change_events_per_person_year": round(change, 6),
                "change_units_per_person_year": round(change * units, 6),
            }
        out[sp.code] = {
            "rate_ratio": sp.effect,
            "pre_12_months_events_per_person_year": round(pre[sp.code], 6),
            "mean_units_per_event": round(units, 6),
            "generator_unit": generator_unit(sp),
            "windows": per_window,
        }
    return out


def planted_effects(truth: dict[str, Any]) -> Iterator[tuple[str, str, float]]:
    """From a ``truth.json``: (service, evaluation window name such as ``post_0_8``, true change
    in events per person-year) for every service with a planted effect (rate ratio ≠ 1)."""
    for code, eff in sorted(truth["effects"].items()):
        if eff["rate_ratio"] == 1.0:
            continue
        for window, w in sorted(eff["windows"].items()):
            start, end = window.split("-")
            yield code, f"post_{start}_{end}", w["change_events_per_person_year"]


def planted_effects_among(truth: dict[str, Any], counterfactuals: Any,
                          person_keys: Any) -> Iterator[tuple[str, str, float]]:
    """:func:`planted_effects` for the participants ``person_keys`` alone (1-based, as in
    true_links): (rate ratio − 1) × their counterfactual events per person-year in each
    window, from ``truth/participant_counterfactuals.parquet`` (``counterfactuals``, a
    DataFrame). An estimate that leaves some participants out (caliper matching drops those
    with no comparable control, the heaviest users) estimates the effect on the rest; this is
    that effect. Every participant gives :func:`planted_effects`'s figures."""
    mine = counterfactuals[counterfactuals["person_key"].isin(set(int(k) for k in person_keys))]
    sums = mine.groupby("window").sum(numeric_only=True)
    for code, eff in sorted(truth["effects"].items()):
        if eff["rate_ratio"] == 1.0:
            continue
        for window in sorted(eff["windows"]):
            start, end = window.split("-")
            days = float(sums.loc[window, "days"]) if window in sums.index else 0.0
            rate = float(sums.loc[window, code]) / days * DAYS_PER_YEAR if days else 0.0
            yield code, f"post_{start}_{end}", (eff["rate_ratio"] - 1.0) * rate


def true_links(extracts: list[Extract]) -> pa.Table:
    parts = []
    for e in extracts:
        n = e.table.num_rows
        if e.person.size != n:
            continue  # lookups describe IDs, not people's records
        codes = e.kind.astype(np.int8) - 1
        parts.append(pa.table({
            "source": pa.DictionaryArray.from_arrays(np.zeros(n, dtype=np.int8), pa.array([e.name])),
            "source_row": pa.array(np.arange(1, n + 1, dtype=np.int32)),
            "person_key": pa.array(e.person.astype(np.int32) + 1),
            "broken_kind": pa.DictionaryArray.from_arrays(
                pa.array(np.maximum(codes, 0), mask=codes < 0), pa.array(KINDS)),
        }))
    parts.sort(key=lambda t: t.column("source")[0].as_py() if t.num_rows else "")
    return pa.concat_tables(parts, promote_options="permissive").unify_dictionaries().combine_chunks()


def unregistered_truth(area: Area, extracts: list[Extract]) -> dict[str, Any]:
    """The people off the population register (``synth.unregistered``): how many there are,
    how many have a row in some extract, their rows per source, and their person_key range
    (above the registered people's, with no register row)."""
    u = area.unregistered
    first = len(area.people)
    rows = {e.name: int((e.person >= first).sum()) for e in extracts if e.person.size == e.table.num_rows}
    seen = np.unique(np.concatenate([e.person[e.person >= first] for e in extracts] or [np.zeros(0, np.int64)]))
    return {
        "people": 0 if u is None else len(u.people),
        "with_records": int(seen.size),
        "rows": {k: v for k, v in sorted(rows.items()) if v},
        "person_key_from": first + 1,
        "share": round((0 if u is None else len(u.people)) / first, 6),
        "note": "people off the population register: no NHS number on any record, no register row; "
        "their rows are appended after the registered people's in each name-only source",
    }


def write_truth(folder: Path, payload: dict[str, Any], links: pa.Table, counterfactuals: pa.Table) -> None:
    import json

    d = folder / "truth"
    d.mkdir(parents=True, exist_ok=True)
    (d / "truth.json").write_text(json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n")
    pq.write_table(links, d / "true_links.parquet", compression="zstd", compression_level=1)
    pq.write_table(counterfactuals, d / "participant_counterfactuals.parquet",
                   compression="zstd", compression_level=1)
    (d / "README.md").write_text(README)


README = """\
# Ground truth of this synthetic area (used only by tests)

- `truth.json`: the planted programme effect per service (`rate_ratio` multiplies a
  participant's rate from their start date on; per post window, the counterfactual
  events per person-year and the implied change in events and units per person per year,
  units counted before truncation at the period end, in the generator's unit named by
  `generator_unit`: days of a stay, weeks of a placement or treatment, hours of home care;
  not the evaluation's units where the costing basis differs, such as admissions costed per
  episode or treatment per year, so compare events), the broken rows planted per
  source and kind (ingest must quarantine exactly these), rows outside the catalogue per
  source (mapped to 'ignore'), typos planted in identity fields, the population size and
  the number of programme participants; `unregistered`: the people off the population
  register (no NHS number on any record), their rows per source and their first person_key.
- `true_links.parquet`: `source`, 1-based `source_row` (header = row 0) → `person_key`
  (the true person: 1-based person number; the same number in every source is the same
  person; a person_key above `truth.json`'s `people` is someone off the register, who has
  no register row), plus `broken_kind` where the row was broken on purpose.
- `wrong_nhs_numbers.parquet` (only when `--wrong-nhs` planted some): `source`, `source_row`,
  `person_key` (the row's true person) and `nhs_person_key` (the person whose NHS number
  it carries instead of its own); `truth.json`'s `wrong_nhs_numbers` counts them per source.
- `participant_counterfactuals.parquet`: per participant (`person_key`) and post window
  (`window`, months from their start date), their days in the area there (`days`) and each
  service's expected events without the programme (a column per service code). Summed over
  all participants they give `truth.json`'s counterfactual rates; summed over the matched
  participants, the effect a caliper-matched estimate describes (it leaves out the
  participants with no comparable control).

Nothing in the pipeline reads this folder.
"""
