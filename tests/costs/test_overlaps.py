"""Overlapping stays of one service for one person are reported, not silently costed twice
unseen (a review found the demo's costliest person in three mental-health wards at once:
238 bed days charged where the calendar had 181, 9.4% of the audit total across the area)."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from carecase.core.engine import connect_duckdb
from carecase.costs.overlaps import overlap_warning, overlapping_stays

D = dt.date


def test_overlaps_are_counted_by_service_and_open_ended_stays_run_on():
    engine = connect_duckdb()
    try:
        events = engine.memtable(pa.table({
            "source": ["s"] * 7, "batch_id": ["b1"] * 7, "source_row": [1, 2, 3, 4, 5, 6, 7],
            "person_id": ["P1", "P1", "P1", "P2", "P2", "P3", "P3"],
            "service_code": ["MH", "MH", "MH", "TA", "TA", "MH", "AE"],
            "kind": ["spell", "spell", "spell", "spell", "spell", "spell", "point"],
            "start_date": [D(2024, 1, 1), D(2024, 1, 5), D(2024, 1, 20), D(2024, 3, 1), D(2024, 3, 30),
                           D(2024, 1, 1), D(2024, 1, 2)],
            "end_date": [D(2024, 1, 11), D(2024, 1, 8), D(2024, 1, 25), None, D(2024, 4, 10),
                         D(2024, 1, 11), None],
        }))
        found = overlapping_stays(engine, events, D(2024, 4, 1))
        # events written by other means, without the staged row: the same answer
        assert overlapping_stays(engine, events.drop("source", "batch_id", "source_row"), D(2024, 4, 1)) == found
    finally:
        engine.close()
    # P1: a and b share 3 days (5–7 Jan), c overlaps neither; P2: the open-ended d runs to the
    # period's end (1 Apr, exclusive) and shares 30–31 Mar with e; P3 has one stay; AE is a point
    assert found == {"people": 2, "pairs": 2, "days": 5.0,
                     "by_service": {"MH": {"people": 1, "pairs": 1, "days": 3.0},
                                    "TA": {"people": 1, "pairs": 1, "days": 2.0}}}
    text = overlap_warning(found)[0]
    assert text.startswith("2 people have overlapping stays of one service (2 pairs, 5 days counted more than once")
    assert overlap_warning({"people": 0, "pairs": 0, "days": 0.0, "by_service": {}}) == []
