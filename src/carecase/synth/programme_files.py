"""The complex-needs programme's own files: its register and outcome-measure readings on a
generic 'Complex Needs Outcome Scale' (10 domains scored 1-10; not a licensed scale)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from carecase.core.random import generator
from carecase.synth import params
from carecase.synth.extract import Extract
from carecase.synth.formatting import date_strings
from carecase.synth.model import Area
from carecase.synth.nhs_number import format_nhs


def register(area: Area) -> Extract:
    prog = area.programme
    o = np.lexsort((prog.person, prog.start_day))
    person = prog.person[o]
    table = pa.table({
        "NHS Number": format_nhs(area.people.nhs[person]),
        "Referral Date": date_strings(prog.referral_day[o], "%d/%m/%Y"),
        "Start Date": date_strings(prog.start_day[o], "%d/%m/%Y"),
        "Discharge Date": date_strings(prog.end_day[o], "%d/%m/%Y"),
        "Key Worker": pa.array([f"KW{(k % 12) + 1:02d}" for k in range(o.size)], pa.string()),
    })
    entry = {
        "ids": {"nhs_number": "NHS Number"},
        "start": {"column": "Start Date", "format": "%d/%m/%Y"},
        "end": {"column": "Discharge Date", "format": "%d/%m/%Y"},
    }
    return Extract("programme", "programme/register", "csv", table, person,
                   np.zeros(o.size, dtype=np.int8), entry=entry)


def outcomes(area: Area, seed: int) -> tuple[Extract, dict[str, dict[str, float]]]:
    """Readings at baseline, 8 and 11 months; returns the extract and the true mean change."""
    rng = generator(seed, "synth", "outcomes")
    prog = area.programme
    n = prog.person.size
    domains = params.OUTCOME_DOMAINS
    level = rng.normal(params.OUTCOME_BASELINE_MEAN, 1.0, (n, 1)) + rng.normal(0, 0.8, (n, len(domains)))
    gain = rng.normal(1.0, 0.3, (n, 1))  # how much each person benefits
    rows_person, rows_point, rows_day, rows_scores = [], [], [], []
    for point, months in params.OUTCOME_ASSESSMENT_MONTHS.items():
        present = rng.random(n) >= params.OUTCOME_MISSING_SHARE[point]
        day = prog.start_day + np.round(months * 30.4375).astype(np.int32) + rng.integers(0, 14, n)
        day = np.minimum(day, area.period.end_day - 1)
        true = level + params.OUTCOME_TRUE_CHANGE[point] * gain
        scores = np.clip(np.round(true + rng.normal(0, 0.7, true.shape)), 1, 10).astype(np.int64)
        keep = np.nonzero(present)[0]
        rows_person.append(prog.person[keep])
        rows_point.append(np.full(keep.size, point))
        rows_day.append(day[keep])
        rows_scores.append(scores[keep])
    person = np.concatenate(rows_person)
    points = np.concatenate(rows_point)
    day = np.concatenate(rows_day)
    scores = np.concatenate(rows_scores)
    o = np.lexsort((person, day))
    columns: dict[str, pa.Array] = {
        "NHS Number": format_nhs(area.people.nhs[person[o]]),
        "Assessment": pa.array(points[o]),
        "Assessment Date": date_strings(day[o], "%d/%m/%Y"),
    }
    for k, d in enumerate(domains):
        columns[d] = pa.array(scores[o, k])
    entry = {
        "instrument": params.OUTCOME_INSTRUMENT,
        "ids": {"nhs_number": "NHS Number"},
        "date": {"column": "Assessment Date", "format": "%d/%m/%Y"},
        "assessment": "Assessment",
        "domains": {d: d for d in domains},
    }
    extract = Extract("outcomes", "programme/outcomes", "csv", pa.table(columns), person[o],
                      np.zeros(o.size, dtype=np.int8), entry=entry)
    truth = {
        point: {"mean_change_from_baseline_per_domain": params.OUTCOME_TRUE_CHANGE[point],
                "missing_share": params.OUTCOME_MISSING_SHARE[point]}
        for point in params.OUTCOME_ASSESSMENT_MONTHS
    }
    return extract, truth
