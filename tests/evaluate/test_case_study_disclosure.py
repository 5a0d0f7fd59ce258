"""Case studies: a spell or package that began before a window and runs into it counts as an
event of that window, so the small-count rule hides its £ a month (£ × months ÷ the unit cost
would give its bed days back)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from carecase.core.engine import Engine, connect_duckdb
from carecase.evaluate.case_studies import case_studies, overlapping_events
from carecase.evaluate.config import CaseStudyConfig

D = dt.date
PERIOD = (D(2019, 1, 1), D(2022, 12, 31))
INDEX = D(2021, 1, 1)  # before window 2020-01-01..2020-12-31, after 2021-01-01..2021-12-31


def _event(service: str, need: str, kind: str, start: str, end: str | None, qty: float,
           cost: float) -> dict[str, object]:
    return {"person_id": "p1", "agency_l1": "NHS", "agency_l2": "Trust", "area_of_need": need,
            "service_code": service, "kind": kind, "start_date": pd.Timestamp(start),
            "end_date": pd.Timestamp(end) if end else pd.NaT, "quantity": qty, "units": qty,
            "cost": cost, "transfer": False, "activity_row": True, "value_type": "fiscal"}


@pytest.fixture()
def engine() -> Engine:
    e = connect_duckdb(None)
    e.write("people", pd.DataFrame({
        "person_id": ["p1"], "registered_from": pd.to_datetime(["2015-01-01"]),
        "registered_to": pd.to_datetime([None]), "date_of_death": pd.to_datetime([None])}))
    e.write("costed_events", pd.DataFrame([
        # a mental-health stay of 20 bed days crossing the index date: 10 before, 10 after
        _event("MH_INPATIENT", "Mental health", "spell", "2020-12-22", "2021-01-11", 20.0, 20 * 576.59),
        # a care package that began before the before window and ends in it
        _event("ASC_HOMECARE", "Social care", "package", "2019-11-01", "2020-02-01", 10.0, 9200.0),
        # a point event the day before the after window: it does not run into it
        _event("AE_ATTEND", "Physical health", "point", "2020-12-31", None, 1.0, 300.0),
    ]))
    yield e
    e.close()


def _cases(engine: Engine, suppress: bool) -> pd.DataFrame:
    treated = pd.DataFrame({"row_id": [1], "person_id": ["p1"], "index_date": [pd.Timestamp(INDEX)]})
    out = case_studies(engine, engine.table("costed_events"), treated, CaseStudyConfig(count=1),
                       PERIOD, suppress=suppress)
    return out.set_index(["area_of_need", "period"])


def test_a_spell_running_into_a_window_counts_as_an_event_of_it(engine: Engine) -> None:
    """The stay that began before the index date is one event of the after window (and of the
    before window, where it starts); the package that began before the before window is one
    event of it; the point event the day before the after window is not in it."""
    out = _cases(engine, suppress=False)
    assert out.loc[("Mental health", "before"), "events"] == 1
    assert out.loc[("Mental health", "after"), "events"] == 1
    assert out.loc[("Social care", "before"), "events"] == 1
    assert out.loc[("Social care", "after"), "events"] == 0
    assert out.loc[("Physical health", "after"), "events"] == 0
    # the £ is unchanged (10 of the 20 bed days fall in the after window), and as published it
    # gives them back: £ a month × months ÷ £576.59 a bed day = 10
    after = out.loc[("Mental health", "after")]
    assert round(after["mean_cost_per_month"] * after["months"] / 576.59, 2) == 10.0


def test_the_pounds_of_a_spell_begun_before_the_window_are_suppressed(engine: Engine) -> None:
    """Shared output: 1 event is below 8, so the after window's £ a month is blanked and
    flagged; without the overlap count it was shown with 0 events, and £ × months ÷ £576.59
    gave the 10 bed days back."""
    out = _cases(engine, suppress=True)
    for key in (("Mental health", "after"), ("Mental health", "before"), ("Social care", "before")):
        assert bool(out.loc[key, "events_suppressed"]), key
        assert pd.isna(out.loc[key, "mean_cost_per_month"]), key
    # nothing in the window: 0 events, £0, shown
    assert out.loc[("Social care", "after"), "mean_cost_per_month"] == 0.0
    assert not bool(out.loc[("Social care", "after"), "events_suppressed"])


def test_no_shown_pound_rests_on_zero_events(engine: Engine) -> None:
    """Every £ a month the evaluation shows is £0 or rests on a count it also shows (≥ 8).
    With the fixture alone no £ was shown, so the check held of nothing (a mutation review
    suppressed every count and it passed): 8 A&E attendances after joining are shown, £ and
    count, and the 1-event stays are not."""
    events = engine.to_pandas(engine.table("costed_events"))
    extra = pd.DataFrame([_event("AE_ATTEND", "Physical health", "point", f"2021-0{m}-10", None, 1.0, 300.0)
                          for m in range(2, 10)])
    engine.write("costed_events", pd.concat([events, extra], ignore_index=True))
    out = _cases(engine, suppress=True)
    shown = out[out["mean_cost_per_month"].notna() & (out["mean_cost_per_month"] != 0)]
    assert shown.index.tolist() == [("Physical health", "after")]
    assert shown["events"].tolist() == [8] and not bool(shown["events_suppressed"].iloc[0])
    assert (shown["events"] >= 8).all()


def test_overlapping_events_counts_quantities_and_spells(engine: Engine) -> None:
    windows = pd.DataFrame({
        "row_id": [1, 1], "person_id": ["p1", "p1"], "window": ["dec", "jan"],
        "w_start": pd.to_datetime(["2020-12-01", "2021-01-01"]),
        "w_end": pd.to_datetime(["2021-01-01", "2021-02-01"]), "censor": pd.NaT})
    got = overlapping_events(engine, windows, engine.table("costed_events"), engine.table("people"), PERIOD)
    assert got.to_dict("records") == [
        {"row_id": 1, "window": "dec", "area_of_need": "Mental health", "events": 1.0},
        {"row_id": 1, "window": "dec", "area_of_need": "Physical health", "events": 1.0},
        {"row_id": 1, "window": "jan", "area_of_need": "Mental health", "events": 1.0},
    ]
    assert not engine.has_table("_evaluate_case_overlap")


def test_case_studies_of_named_participants(engine: Engine) -> None:
    """evaluation.case_studies.people names the participants to write up (the issue's "for
    chosen people"); the rows say how the cases were chosen, and an id that is not a
    participant is an error naming it."""
    from carecase.core.errors import EvaluationError
    from carecase.evaluate.case_studies import HIGHEST_COST, NAMED

    treated = pd.DataFrame({"row_id": [1], "person_id": ["p1"], "index_date": [pd.Timestamp(INDEX)]})
    named = case_studies(engine, engine.table("costed_events"), treated, CaseStudyConfig(people=["p1"]),
                         PERIOD, suppress=False)
    assert set(named["case"]) == {"Case A"} and set(named["chosen_by"]) == {NAMED}
    assert set(_cases(engine, suppress=False)["chosen_by"]) == {HIGHEST_COST}
    with pytest.raises(EvaluationError, match="'p9' is not an eligible programme participant"):
        case_studies(engine, engine.table("costed_events"), treated, CaseStudyConfig(people=["p1", "p9"]),
                     PERIOD)


def test_a_count_over_a_week_running_into_a_window_counts_whole(engine: Engine) -> None:
    """A weekly count (ingest's event.covers: week) of 2 appointments over 29 December to 5
    January counts 2 in each window it overlaps, as a spell does, so the after window's £ is
    suppressed: counted by its share (4/7 of 2, rounded to 1, or for a later start 0) its £
    was shown beside no events and gave the count and the participant's start day back (a
    code reviewer's finding)."""
    engine.write("counted", pd.DataFrame([
        {**_event("GP_APPT", "Primary care", "count", "2020-12-29", "2021-01-05", 2.0, 84.0)}]))
    treated = pd.DataFrame({"row_id": [1], "person_id": ["p1"], "index_date": [pd.Timestamp(INDEX)]})
    def cases(suppress: bool) -> pd.DataFrame:
        return case_studies(engine, engine.table("counted"), treated, CaseStudyConfig(count=1), PERIOD,
                            suppress=suppress).set_index(["area_of_need", "period"])

    full, out = cases(False), cases(True)
    for period in ("before", "after"):
        assert full.loc[("Primary care", period), "events"] == 2
        assert bool(out.loc[("Primary care", period), "events_suppressed"])
        assert pd.isna(out.loc[("Primary care", period), "mean_cost_per_month"])
