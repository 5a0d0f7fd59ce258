"""Person-time ends on the last registered day and on the period end, both inclusive."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from carecase.core.engine import connect_duckdb
from carecase.evaluate.windows import window_summaries

D = dt.date


@pytest.fixture()
def engine():
    e = connect_duckdb(None)
    e.write("people", pd.DataFrame({
        "person_id": ["r1", "r2"], "registered_from": [D(2020, 1, 1), D(2020, 1, 1)],
        "registered_to": [D(2020, 1, 10), None], "date_of_death": [None, None],
    }).astype({"registered_to": "datetime64[s]", "date_of_death": "datetime64[s]",
               "registered_from": "datetime64[s]"}))
    e.write("events", pd.DataFrame({
        "person_id": ["r1", "r1", "r2", "r2"],
        "agency_l1": "NHS", "agency_l2": "Acute Trust", "area_of_need": "Physical health",
        "service_code": ["AE_ATTEND"] * 4, "kind": ["point"] * 4,
        "start_date": pd.to_datetime(["2020-01-10", "2020-01-11", "2020-01-15", "2020-01-16"]),
        "end_date": pd.to_datetime([None] * 4), "quantity": [1.0] * 4,
    }))
    yield e
    e.close()


def test_registered_to_and_period_end_are_inclusive(engine):
    """windows.py: the observed span is cut at the day *after* registered_to and after the
    period end. r1 is registered to 10 Jan: 10 days of January observed, its 10 Jan attendance
    counted, 11 Jan not; with the period ending 15 Jan, r2 has 15 days and its 15 Jan
    attendance counts, 16 Jan does not."""
    w = pd.DataFrame({"row_id": [1, 2], "person_id": ["r1", "r2"], "window": ["jan", "jan"],
                      "w_start": pd.to_datetime(["2020-01-01", "2020-01-01"]),
                      "w_end": pd.to_datetime(["2020-02-01", "2020-02-01"]), "censor": pd.NaT})
    amounts, pt = window_summaries(engine, w, engine.table("events"), engine.table("people"),
                                   D(2020, 1, 15), keys=("service_code",))
    assert pt.set_index("row_id")["days"].to_dict() == {1: 10.0, 2: 15.0}
    assert amounts.set_index("row_id")["events"].to_dict() == {1: 1.0, 2: 1.0}
