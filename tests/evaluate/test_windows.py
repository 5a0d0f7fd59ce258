"""Window summaries on the engine: proration, person-time and censoring."""

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
        "person_id": ["p1", "p2"], "registered_from": [D(2020, 1, 1), D(2020, 1, 1)],
        "registered_to": [None, None], "date_of_death": [None, D(2020, 1, 20)],
    }).astype({"registered_to": "datetime64[s]", "date_of_death": "datetime64[s]",
               "registered_from": "datetime64[s]"}))
    e.write("events", pd.DataFrame({
        "person_id": ["p1", "p1", "p1", "p2"],
        "agency_l1": "NHS", "agency_l2": "Acute Trust", "area_of_need": "Physical health",
        "service_code": ["NEL_ADMIT", "AE_ATTEND", "ASC_HOMECARE", "AE_ATTEND"],
        "kind": ["spell", "point", "package", "point"],
        "start_date": pd.to_datetime(["2020-01-28", "2020-02-03", "2020-01-01", "2020-01-25"]),
        "end_date": pd.to_datetime(["2020-02-07", None, "2020-03-01", None]),
        "quantity": [1.0, 2.0, 7.0, 1.0],
    }))
    yield e
    e.close()


def test_spell_split_and_person_time(engine):
    """A 10-night spell 28 Jan–7 Feb puts 4 nights in January and 6 in February
    (carecase.costs.proration); a point event counts its quantity; a package of 7 h/week
    over 60 days gives 60 h split 31/29."""
    w = pd.DataFrame({"row_id": [1, 2], "person_id": ["p1", "p1"], "window": ["jan", "feb"],
                      "w_start": pd.to_datetime(["2020-01-01", "2020-02-01"]),
                      "w_end": pd.to_datetime(["2020-02-01", "2020-03-01"]), "censor": pd.NaT})
    amounts, pt = window_summaries(engine, w, engine.table("events"), engine.table("people"),
                                   D(2020, 12, 31), keys=("service_code",))
    a = amounts.set_index(["window", "service_code"])
    assert a.loc[("jan", "NEL_ADMIT"), "units"] == pytest.approx(4.0)
    assert a.loc[("feb", "NEL_ADMIT"), "units"] == pytest.approx(6.0)
    assert a.loc[("jan", "NEL_ADMIT"), "events"] == 1 and a.loc[("feb", "NEL_ADMIT"), "events"] == 0
    assert a.loc[("feb", "AE_ATTEND"), "events"] == 2
    assert a.loc[("jan", "ASC_HOMECARE"), "units"] == pytest.approx(7 * 31 / 7)
    assert a.loc[("feb", "ASC_HOMECARE"), "units"] == pytest.approx(7 * 29 / 7)
    assert pt.set_index("window")["days"].to_dict() == {"jan": 31.0, "feb": 29.0}


def test_death_and_censor_cut_person_time(engine):
    w = pd.DataFrame({"row_id": [1, 2], "person_id": ["p2", "p1"], "window": ["post", "post"],
                      "w_start": pd.to_datetime(["2020-01-01", "2020-01-01"]),
                      "w_end": pd.to_datetime(["2020-03-01", "2020-03-01"]),
                      "censor": pd.to_datetime([None, "2020-02-01"])})
    amounts, pt = window_summaries(engine, w, engine.table("events"), engine.table("people"),
                                   D(2020, 12, 31), keys=("service_code",))
    days = pt.set_index("row_id")["days"].to_dict()
    assert days == {1: 20.0, 2: 31.0}  # died 20 Jan (alive that day); censored 1 Feb
    a = amounts.set_index(["row_id", "service_code"])
    assert a.loc[(2, "NEL_ADMIT"), "units"] == pytest.approx(4.0)  # February nights cut
    assert (2, "AE_ATTEND") not in a.index  # 3 Feb attendance is after the censor


def test_an_event_costed_in_two_value_types_is_counted_once(engine):
    """costed_events holds a row per event and value type (here a home-care package, fiscal
    £200 and economic £100): both rows add £, only the activity row adds events and units;
    a transfer row adds neither £ nor activity (as in the audit)."""
    base = {"person_id": "p1", "agency_l1": "Local Authority", "agency_l2": "Adult Social Care",
            "area_of_need": "Social care", "service_code": "ASC_HOMECARE", "kind": "package",
            "start_date": pd.Timestamp("2020-01-01"), "end_date": pd.Timestamp("2020-01-29"),
            "quantity": 10.0, "units": 40.0}
    engine.write("costed", pd.DataFrame([
        {**base, "value_type": "fiscal", "cost": 200.0, "transfer": False, "activity_row": True},
        {**base, "value_type": "economic", "cost": 100.0, "transfer": False, "activity_row": False},
        {**base, "value_type": "fiscal", "cost": 50.0, "transfer": True, "activity_row": False},
    ]))
    w = pd.DataFrame({"row_id": [1], "person_id": ["p1"], "window": ["jan"],
                      "w_start": pd.to_datetime(["2020-01-01"]), "w_end": pd.to_datetime(["2020-02-01"]),
                      "censor": pd.NaT})
    amounts, _ = window_summaries(engine, w, engine.table("costed"), engine.table("people"),
                                  D(2020, 12, 31), keys=("service_code",))
    row = amounts.set_index("service_code").loc["ASC_HOMECARE"]
    assert row["events"] == 1
    assert row["units"] == pytest.approx(40.0)
    assert row["cost"] == pytest.approx(300.0)


def test_days_before_the_data_starts_are_not_observed(engine):
    """A pre-period reaching back before the first day of data (possible with
    ``eligibility.require_full_pre: false``) observes only the days with data: a window
    1 Jan–1 Mar 2020 with data from 1 Feb has 29 days, not 60 (which would halve its rate)."""
    w = pd.DataFrame({"row_id": [1], "person_id": ["p1"], "window": ["pre"],
                      "w_start": pd.to_datetime(["2020-01-01"]), "w_end": pd.to_datetime(["2020-03-01"]),
                      "censor": pd.NaT})
    args = (engine, w, engine.table("events"), engine.table("people"), D(2020, 12, 31))
    _, whole = window_summaries(*args, keys=("service_code",))
    amounts, cut = window_summaries(*args, keys=("service_code",), period_start=D(2020, 2, 1))
    assert whole["days"].tolist() == [60.0]
    assert cut["days"].tolist() == [29.0]
    a = amounts.set_index("service_code")
    assert a.loc["NEL_ADMIT", "units"] == pytest.approx(6.0)  # January's 4 nights are before the data
    assert a.loc["AE_ATTEND", "events"] == 2


def test_a_monthly_count_is_spread_over_its_month(engine):
    """A monthly GP count (ingest's event.covers: month: 1 March to 1 April) of 31
    appointments, with a programme start on 16 March: 15 before and 16 after, events and
    units alike. A statistical reviewer found the whole month counted before the start (its
    row is dated the 1st), about half the start month's later appointments in the pre-period.
    A count of one day is whole where its day is."""
    engine.write("counts", pd.DataFrame({
        "person_id": ["p1", "p1"], "agency_l1": "NHS", "agency_l2": "Primary Care",
        "area_of_need": "Physical health", "service_code": ["GP_APPT", "GP_APPT"], "kind": ["count", "count"],
        "start_date": pd.to_datetime(["2020-03-01", "2020-03-20"]),
        "end_date": pd.to_datetime(["2020-04-01", None]), "quantity": [31.0, 5.0],
    }))
    w = pd.DataFrame({"row_id": [1, 2], "person_id": ["p1", "p1"], "window": ["pre", "post"],
                      "w_start": pd.to_datetime(["2020-02-01", "2020-03-16"]),
                      "w_end": pd.to_datetime(["2020-03-16", "2020-05-01"]), "censor": pd.NaT})
    amounts, _ = window_summaries(engine, w, engine.table("counts"), engine.table("people"),
                                  D(2020, 12, 31), keys=("service_code",))
    a = amounts.set_index("window")
    assert a.loc["pre", "events"] == pytest.approx(15.0) and a.loc["pre", "units"] == pytest.approx(15.0)
    assert a.loc["post", "events"] == pytest.approx(16.0 + 5.0) and a.loc["post", "units"] == pytest.approx(21.0)
