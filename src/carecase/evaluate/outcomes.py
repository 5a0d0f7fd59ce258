"""Outcome measures: change per domain and total between the first and last configured
assessment points, with paired tests and the distribution of change (improved / no change /
worse, in the instrument's direction of improvement)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from carecase.core.engine import Engine
from carecase.core.errors import EvaluationError
from carecase.evaluate import scoring
from carecase.evaluate.config import InstrumentConfig
from carecase.evaluate.estimates import paired_tests

COLUMNS = ["instrument", "measure", "from_assessment", "to_assessment", "n", "mean_from",
           "mean_to", "mean_change", "sd_change", "t_stat", "t_p", "wilcoxon_stat",
           "wilcoxon_p", "improved", "no_change", "worse"]
_TEXT, _COUNTS = COLUMNS[:4], ("n", "improved", "no_change", "worse")


def no_outcomes() -> pd.DataFrame:
    """The outcomes table with no rows but its columns' types (an untyped empty frame was
    written with every column as text, and the report's rounding of means then failed)."""
    return pd.DataFrame({c: pd.Series(dtype="string" if c in _TEXT else "int64" if c in _COUNTS else "float64")
                         for c in COLUMNS})


def instrument_totals(wide: pd.DataFrame, inst: InstrumentConfig) -> pd.Series | None:
    """Total score per row of ``wide`` (columns = domains) by the instrument's scoring."""
    cols = sorted(wide.columns, key=lambda c: (len(str(c)), str(c)))  # item1 < item2 < item10
    if inst.scoring == "none":
        return None
    if inst.scoring == "sum":
        return wide[cols].sum(axis=1, min_count=len(cols))
    if inst.scoring == "wemwbs":
        return pd.Series(scoring.wemwbs_total(wide[cols].to_numpy(float)), index=wide.index)
    if inst.scoring == "swemwbs":
        raw = scoring.swemwbs_raw(wide[cols].to_numpy(float))
        return pd.Series(scoring.swemwbs_metric(raw), index=wide.index)
    vs = scoring.load_value_set(inst.value_set or "")
    return pd.Series(scoring.eq5d_index(wide[cols], vs), index=wide.index)


def change_summary(before: np.ndarray, after: np.ndarray, higher_is_better: bool) -> dict[str, float]:
    d = after - before
    better = d > 0 if higher_is_better else d < 0
    worse = d < 0 if higher_is_better else d > 0
    return {
        "n": int(len(d)), "mean_from": float(np.mean(before)) if len(d) else np.nan,
        "mean_to": float(np.mean(after)) if len(d) else np.nan,
        "mean_change": float(np.mean(d)) if len(d) else np.nan,
        "sd_change": float(np.std(d, ddof=1)) if len(d) > 1 else np.nan,
        **paired_tests(before, after),
        "improved": int(better.sum()), "no_change": int((d == 0).sum()), "worse": int(worse.sum()),
    }


def _listed(values: pd.Series) -> str:
    return ", ".join(repr(v) for v in sorted(values.dropna().astype(str).unique())) or "none"


def earliest_reading(s: pd.DataFrame, instrument: str, notes: list[str] | None = None) -> pd.DataFrame:
    """One reading per person, assessment and domain, all from one sitting: the earliest
    assessment date of that person and point (undated readings only where none is dated), then
    the order stored — for a person and point with a repeat reading only: items read on two
    days without a repeat are one sitting, kept whole. Two readings at one assessment point
    were averaged, which made a SWEMWBS item 3.5 (refused as "not a whole number") and an EQ-5D level fall between two levels; and
    taking each item's earliest reading on its own mixed two sittings into one total (a partial
    sitting's item beside a later sitting's others). An earliest sitting without every item
    gives no total, as any reading with an item missing does (counted by :func:`left_out`).
    Each person with repeat readings is counted in ``notes``."""
    keys = ["person_id", "assessment", "domain"]
    dup = s.duplicated(keys, keep=False)
    if not dup.any():
        return s
    people = s.loc[dup, ["person_id", "assessment"]].drop_duplicates()
    if "assessment_date" in s.columns:
        dated = pd.to_datetime(s["assessment_date"])
        first = dated.groupby([s["person_id"], s["assessment"]]).transform("min")
        # only where a person has a repeat reading at that point: one reading an item over two
        # days is one sitting, whoever else repeated one
        repeated = pd.MultiIndex.from_frame(s[["person_id", "assessment"]]).isin(
            pd.MultiIndex.from_frame(people))
        s = s[~repeated | dated.eq(first) | first.isna()]  # the earliest sitting; undated only where none is
    kept = s.sort_values(keys, kind="stable").drop_duplicates(keys, keep="first")
    if notes is not None:
        by_point = people.groupby("assessment").size()
        n = len(people.person_id.unique())
        notes.append(f"{instrument}: {n:,} {'person has' if n == 1 else 'people have'} two or more readings at one "
                     "assessment point (" + ", ".join(f"{a} {n:,}" for a, n in by_point.items())
                     + "); the earliest sitting of each was used, all its items from that sitting. Keep one "
                     "reading per assessment, or give repeat readings their own assessment names.")
    return kept


def unknown_points(s: pd.DataFrame, inst: InstrumentConfig, notes: list[str] | None) -> None:
    """Count in ``notes`` the readings of ``inst`` (``s``: its scores) at assessment points its
    ``assessments`` do not list, which are not used: they were dropped without a word. Ingest
    quarantines such rows (``unknown_assessment``); this catches scores it did not check
    (tables written by hand, or assessments changed since ingest ran)."""
    if notes is None or s.empty:
        return
    points = s["assessment"].astype("string")
    odd = s[~points.isin(inst.assessments).fillna(False).to_numpy(bool)]
    if odd.empty:
        return
    readings = len(odd[["person_id", "assessment"]].drop_duplicates())
    labels = _listed(odd["assessment"])
    notes.append(f"{inst.name}: {readings:,} reading{'s' if readings != 1 else ''} (person and assessment point) at "
                 f"{labels}, not among the instrument's assessments ({', '.join(inst.assessments)}), "
                 f"{'were' if readings != 1 else 'was'} not used. Add the label to the instrument's assessments "
                 "in evaluation.instruments (in order), or correct the data.")


def _people(n: int) -> str:
    return f"{n:,} {'person' if n == 1 else 'people'}"


def left_out(s: pd.DataFrame, total: pd.Series | None, inst: InstrumentConfig, a0: str, a1: str,
             notes: list[str] | None) -> None:
    """Count in ``notes`` the people with a reading (any score) at ``a0`` or ``a1`` who are not
    in the change in total (or, with no total, in the change at all): a reading at one point
    only (lost to follow-up, or no baseline), or readings at both with an item missing at one
    of them, so no total. They were left out of ``n`` without a word."""
    if notes is None:
        return
    read = s[s["score"].notna()]
    p0 = set(read.loc[read["assessment"] == a0, "person_id"])
    p1 = set(read.loc[read["assessment"] == a1, "person_id"])
    everyone, both = p0 | p1, p0 & p1
    parts = [f"{len(p0 - p1):,} {'has' if len(p0 - p1) == 1 else 'have'} no reading at {a1}"] if p0 - p1 else []
    if p1 - p0:
        parts.append(f"{len(p1 - p0):,} {'has' if len(p1 - p0) == 1 else 'have'} no reading at {a0}")
    no_total: set[object] = set()
    if total is not None:
        tv = total.unstack("assessment")
        complete = set(tv[[a0, a1]].dropna().index) if a0 in tv.columns and a1 in tv.columns else set()
        no_total = both - complete
        if no_total:
            unit = "dimension" if inst.scoring == "eq5d" else "item"
            parts.append(f"{len(no_total):,} {'has' if len(no_total) == 1 else 'have'} {'an' if unit == 'item' else 'a'} "
                         f"{unit} missing at one of them, so no total (a total is not scored from incomplete "
                         f"{unit}s: none is imputed)")
    if not parts:
        return
    out = len(everyone) - len(both) + len(no_total)
    notes.append(f"{inst.name}: {out:,} of the {_people(len(everyone))} with a reading at {a0} or {a1} "
                 f"{'is' if out == 1 else 'are'} not in the change{' in total' if total is not None else ''}: "
                 + "; ".join(parts) + ". Each domain's n counts the people with that domain at both points.")


def instrument_changes(scores: pd.DataFrame, inst: InstrumentConfig,
                       notes: list[str] | None = None) -> pd.DataFrame:
    """Change per domain and in total for one instrument. EQ-5D's direction is the
    instrument's own: a lower level of a dimension is better, a higher index is better."""
    s = scores[scores["instrument"] == inst.name]
    if s.empty:
        raise EvaluationError(
            f"evaluation.instruments names {inst.name!r}, but outcome_scores has no scores for it "
            f"(instruments found: {_listed(scores['instrument'])}). Correct the name; or, if the source "
            "has its rows, ingest quarantined them (out/ingest/quarantine.csv says why: a score outside "
            "the instrument's scale_min/scale_max, say, such as a 0-100 EQ-5D VAS column read as a 1-5 "
            "item; declare that column as an instrument of its own).")
    if inst.domains:
        s = s[s["domain"].isin(inst.domains)]
    unknown_points(s, inst, notes)
    a0, a1 = inst.assessments[0], inst.assessments[-1]
    missing = [a for a in (a0, a1) if not (s["assessment"] == a).any()]
    if missing:
        raise EvaluationError(
            f"Instrument {inst.name!r}: no scores at assessment {', '.join(map(repr, missing))} "
            f"(assessments found: {_listed(s['assessment'])}). Set the instrument's assessments "
            "to the names in outcome_scores.")
    s = s[s["assessment"].isin([a0, a1])]
    sc = pd.to_numeric(s["score"], errors="coerce")
    if ((sc < inst.scale_min) | (sc > inst.scale_max)).any():
        raise EvaluationError(
            f"outcome_scores: instrument {inst.name!r} has scores outside "
            f"[{inst.scale_min}, {inst.scale_max}]; fix the data or the instrument's scale_min/max.")
    s = earliest_reading(s.assign(score=sc), inst.name, notes)
    wide = s.pivot_table(index=["person_id", "assessment"], columns="domain", values="score", aggfunc="first")
    rows = []
    measures = {str(c): wide[c] for c in sorted(wide.columns, key=str)}
    total = instrument_totals(wide, inst)
    if total is not None:
        measures["total"] = total
    left_out(s, total, inst, a0, a1, notes)
    for name, series in measures.items():
        pv = series.unstack("assessment")
        if a0 not in pv.columns or a1 not in pv.columns:
            continue
        pv = pv[[a0, a1]].dropna().sort_index()
        better_up = inst.higher_is_better if inst.scoring != "eq5d" else name == "total"
        res = change_summary(pv[a0].to_numpy(float), pv[a1].to_numpy(float), better_up)
        rows.append({"instrument": inst.name, "measure": name, "from_assessment": a0,
                     "to_assessment": a1, **res})
    return pd.DataFrame(rows, columns=COLUMNS)


def outcome_changes(engine: Engine, instruments: list[InstrumentConfig],
                    notes: list[str] | None = None) -> pd.DataFrame:
    if not instruments or not engine.has_table("outcome_scores"):
        return no_outcomes()
    scores = engine.to_pandas(engine.table("outcome_scores"))
    frames = [instrument_changes(scores, inst, notes) for inst in instruments]
    frames = [f for f in frames if len(f)]
    if not frames:
        return no_outcomes()
    return pd.concat(frames, ignore_index=True).sort_values(["instrument", "measure"], kind="stable")
