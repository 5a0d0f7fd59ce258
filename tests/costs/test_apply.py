"""Costing events: bases, value-type splits, unmapped reporting, properties."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carecase.core.engine import connect_duckdb
from carecase.core.random import generator
from carecase.costs.apply import cost_events
from carecase.costs.config import CostsConfig
from carecase.costs.library import load_library
from carecase.costs.stage import map_frame
from carecase.costs.synthetic import synthetic_events

D = dt.date
PERIOD_END = D(2024, 3, 31)
LIB = load_library(2023)
FISCAL_ECONOMIC = LIB[LIB.value_type.isin(["fiscal", "economic"])][
    ["code", "value_type", "value", "cashable", "transfer"]].reset_index(drop=True)
UC = LIB.set_index(["code", "value_type"])["value"]


ENG = connect_duckdb()


def run(events: pa.Table, cfg: CostsConfig | None = None,
        closed_sources: tuple[str, ...] = ()) -> tuple[pd.DataFrame, pd.DataFrame]:
    eng = ENG
    ev = eng.write("events", events)
    uc = eng.write("uc", FISCAL_ECONOMIC)
    sm = eng.write("sm", map_frame(cfg or CostsConfig()))
    costed, unmapped = cost_events(ev, uc, sm, PERIOD_END, closed_sources)
    return costed.to_pyarrow().to_pandas(), unmapped.to_pyarrow().to_pandas()


def events_of(rows: list[tuple]) -> pa.Table:
    """rows: (person, service, kind, start, end, quantity)."""
    n = len(rows)
    return pa.table({
        "person_id": [r[0] for r in rows], "agency_l1": ["X"] * n, "agency_l2": ["Y"] * n,
        "service_code": [r[1] for r in rows], "area_of_need": ["Z"] * n, "kind": [r[2] for r in rows],
        "start_date": pa.array([r[3] for r in rows], pa.date32()),
        "end_date": pa.array([r[4] for r in rows], pa.date32()),
        "quantity": pa.array([r[5] for r in rows], pa.float64()),
        "unit": ["u"] * n, "source": ["s"] * n, "batch_id": ["b"] * n,
        "source_row": pa.array(range(1, n + 1), pa.int64()),
    })


def test_bases_known_answers() -> None:
    """Bases (costs/mapping.py): residential 10 days at 1 a week = 10/7 weeks of SS7.0 (fiscal
    two-thirds and economic one-third, GMCA UCD v1.4); home care 14 days at 10 h/week = 20
    hours of SS11.2; a 5-night mental-health stay = 5 bed days; 3 GP consultations; a
    non-elective spell = 1 episode; 73 days of drug treatment = 0.2 of the annual cost."""
    ev = events_of([
        ("P1", "ASC_RESIDENTIAL", "package", D(2023, 5, 1), D(2023, 5, 11), 1.0),
        ("P1", "ASC_HOMECARE", "package", D(2023, 5, 1), D(2023, 5, 15), 10.0),
        ("P2", "MH_INPATIENT", "spell", D(2023, 6, 1), D(2023, 6, 6), None),
        ("P2", "GP_APPT", "count", D(2023, 6, 1), None, 3.0),
        ("P3", "NEL_ADMIT", "spell", D(2023, 7, 1), D(2023, 7, 9), None),
        ("P3", "DA_TREATMENT", "spell", D(2023, 1, 1), D(2023, 3, 15), None),
    ])
    c, u = run(ev)
    assert u.empty
    got = c.set_index(["service_code", "value_type"])
    assert got.loc[("ASC_RESIDENTIAL", "fiscal"), "units"] == pytest.approx(10 / 7)
    assert got.loc[("ASC_RESIDENTIAL", "fiscal"), "cost"] == pytest.approx(10 / 7 * UC["SS7.0", "fiscal"])
    assert got.loc[("ASC_RESIDENTIAL", "economic"), "cost"] == pytest.approx(
        got.loc[("ASC_RESIDENTIAL", "fiscal"), "cost"] / 2)
    assert got.loc[("ASC_HOMECARE", "fiscal"), "units"] == pytest.approx(20)
    assert got.loc[("MH_INPATIENT", "fiscal"), "units"] == 5
    assert got.loc[("GP_APPT", "fiscal"), "cost"] == pytest.approx(3 * UC["HE20.2", "fiscal"])
    assert got.loc[("NEL_ADMIT", "fiscal"), "cost"] == pytest.approx(UC["HE7.0.2", "fiscal"])
    assert got.loc[("DA_TREATMENT", "fiscal"), "units"] == pytest.approx(73 / 365)
    assert len(c) == 8  # two value types for the two care packages


def test_open_ended_package_runs_to_period_end() -> None:
    ev = events_of([("P1", "ASC_RESIDENTIAL", "package", D(2024, 3, 25), None, 1.0)])
    c, _ = run(ev)
    row = c[c.value_type == "fiscal"].iloc[0]
    assert row.days == 7 and bool(row.open_ended) and row.cost_end_date == D(2024, 4, 1)


def test_ingest_open_ended_convention_is_flagged() -> None:
    """Ingest stores a blank end date as period_end + 1 (ingest.fields.period_end_exclusive),
    never as null: such spells and packages are open-ended, costed as before, and flagged;
    ends on other days are not. In a source whose blank ends ingest quarantines, that day is
    a real end."""
    from carecase.ingest.fields import period_end_exclusive

    stop = period_end_exclusive(PERIOD_END)
    assert stop == D(2024, 4, 1)
    ev = events_of([
        ("P1", "HOU_TEMP_ACCOM", "spell", D(2024, 3, 1), stop, None),
        ("P1", "ASC_RESIDENTIAL", "package", D(2024, 3, 25), stop, 1.0),
        ("P2", "HOU_TEMP_ACCOM", "spell", D(2024, 3, 1), D(2024, 3, 31), None),
        ("P2", "HOU_TEMP_ACCOM", "spell", D(2024, 3, 1), D(2024, 4, 2), None),
        ("P3", "AE_ATTEND", "point", D(2024, 3, 31), None, None),
    ])
    c, _ = run(ev)
    fiscal = c[c.value_type == "fiscal"].sort_values("source_row")
    assert fiscal.open_ended.tolist() == [True, True, False, False, False]
    assert fiscal.days.tolist() == [31, 7, 30, 32, 1]
    ev = ev.set_column(ev.schema.get_field_index("source"), "source", pa.array(["closed", "s", "s", "s", "s"]))
    c, _ = run(ev, closed_sources=("closed",))
    assert c[c.value_type == "fiscal"].sort_values("source_row").open_ended.tolist() == [False, True, False, False, False]


def test_period_share_is_the_audit_split() -> None:
    """period_share: the days of [start_date, cost_end_date) inside the window over days, so
    cost × share is what the audit's months add up to for that window."""
    from carecase.audit.periods import person_month
    from carecase.costs.apply import period_share

    ev = events_of([
        ("P1", "HOU_TEMP_ACCOM", "spell", D(2020, 1, 1), D(2022, 4, 11), None),  # 10 of 831 nights inside
        ("P1", "ASC_HOMECARE", "package", D(2024, 3, 25), None, 10.0),  # open-ended, inside
        ("P2", "MH_INPATIENT", "spell", D(2024, 3, 30), D(2024, 4, 5), None),  # 2 of 6 inside (recorded end after)
        ("P2", "AE_ATTEND", "point", D(2022, 3, 31), None, None),  # the day before: outside
        ("P3", "GP_APPT", "count", D(2022, 4, 1), None, 2.0),  # first day: inside
    ])
    ENG.write("events", ev)
    uc, sm = ENG.write("uc", FISCAL_ECONOMIC), ENG.write("sm", map_frame(CostsConfig()))
    costed, _ = cost_events(ENG.table("events"), uc, sm, PERIOD_END)
    ce = ENG.write("ce", costed)
    start, end = D(2022, 4, 1), D(2024, 4, 1)
    got = ce.mutate(share=period_share(ce, start, end)).to_pyarrow().to_pandas()
    share = got[got.activity_row].sort_values("source_row").share.tolist()
    assert share == pytest.approx([10 / 831, 1.0, 2 / 6, 0.0, 1.0])
    inside = float((got.cost * got.share).sum())
    audit = person_month(ce, start, end, ["fiscal", "economic"]).to_pyarrow().to_pandas()
    assert inside == pytest.approx(float(audit.cost.sum()), rel=1e-12)


def test_every_event_costed_or_reported_unmapped() -> None:
    ev = events_of([
        ("P1", "AE_ATTEND", "point", D(2023, 5, 1), None, None),
        ("P1", "AE_ATTEND", "point", D(2023, 5, 2), None, -1.0),
        ("P1", "MH_INPATIENT", "spell", D(2023, 5, 9), D(2023, 5, 1), None),
        ("P2", "NOT_A_SERVICE", "point", D(2023, 5, 1), None, None),
        ("P2", "NOT_A_SERVICE", "point", D(2023, 5, 3), None, None),
        ("P2", "ASC_HOMECARE", "package", D(2023, 5, 1), D(2023, 6, 1), None),
    ])
    c, u = run(ev)
    assert c["source_row"].tolist() == [1]
    got = {(r.service_code, r.reason): r.events for r in u.itertuples()}
    assert got[("NOT_A_SERVICE", "no unit cost mapped to this service code (set costs.service_costs)")] == 2
    assert got[("AE_ATTEND", "negative quantity")] == 1
    assert got[("MH_INPATIENT", "end_date before start_date")] == 1
    assert got[("ASC_HOMECARE", "package without quantity per week")] == 1
    assert c["source_row"].nunique() + u["events"].sum() == 6


def test_service_cost_override_and_missing_code() -> None:
    cfg = CostsConfig(service_costs={"AE_ATTEND": "HE4.0", "GP_APPT": "NOPE1"}, service_basis={"AE_ATTEND": "per_unit"})
    ev = events_of([("P1", "AE_ATTEND", "point", D(2023, 5, 1), None, 2.0),
                    ("P1", "GP_APPT", "point", D(2023, 5, 1), None, None)])
    c, u = run(ev, cfg)
    assert c.cost.tolist() == [pytest.approx(2 * UC["HE4.0", "fiscal"])]
    assert u.reason.tolist() == ["mapped unit-cost code has no value of the chosen value types in the library"]


SYN = synthetic_events(400, 60, 3)
SYN_COSTED, _ = run(SYN)


def test_synthetic_costs_non_negative_and_complete() -> None:
    assert (SYN_COSTED.cost >= 0).all() and SYN_COSTED.cost.notna().all()
    assert SYN_COSTED.source_row.nunique() == SYN.num_rows


@settings(deadline=None, max_examples=6)
@given(st.integers(0, 2**31 - 1))
def test_invariant_to_event_order(seed: int) -> None:
    perm = generator(seed, "perm").permutation(SYN.num_rows)
    shuffled, _ = run(SYN.take(pa.array(perm)))
    key = ["source_row", "value_type"]
    a = SYN_COSTED.sort_values(key).reset_index(drop=True)
    b = shuffled.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


@settings(deadline=None, max_examples=8)
@given(st.lists(st.tuples(st.integers(0, 400), st.integers(0, 120), st.floats(0, 40)), min_size=1, max_size=6))
def test_costs_non_negative(rows: list[tuple[int, int, float]]) -> None:
    base = D(2022, 4, 1)
    ev = events_of([
        (f"P{i}", svc, kind, base + dt.timedelta(days=s), base + dt.timedelta(days=s + n), q)
        for i, (s, n, q) in enumerate(rows)
        for svc, kind in (("ASC_HOMECARE", "package"), ("HOU_TEMP_ACCOM", "spell"))
    ])
    c, u = run(ev)
    assert u.empty
    assert np.all(c.cost.to_numpy() >= 0) and np.all(c.units.to_numpy() >= 0)


def test_headline_and_constituent_cannot_both_cost_events() -> None:
    """GMCA UCD: indented constituents belong to the headline above; count one level only."""
    from carecase.core.errors import CostError
    from carecase.costs.stage import check_no_double_count

    check_no_double_count(map_frame(CostsConfig()), LIB)
    cfg = CostsConfig(service_costs={"AE_ATTEND": "HE3.0"})  # AMBULANCE uses HE3.0.2, its constituent
    with pytest.raises(CostError, match="counts the same cost twice"):
        check_no_double_count(map_frame(cfg), LIB)


def test_exactly_one_activity_row_per_event() -> None:
    """An event costed as fiscal + economic (SS7.0 residential care: two-thirds council,
    one-third self-funders, GMCA UCD v1.4) yields two rows; exactly one — the fiscal row —
    carries the event's activity, so counting events or units from activity rows counts it
    once. Single-value-type events have their one row marked."""
    costed, _ = run(events_of([
        ("p1", "ASC_RESIDENTIAL", "package", D(2023, 5, 1), D(2023, 5, 15), 1.0),
        ("p1", "AE_ATTEND", "point", D(2023, 6, 1), None, 1.0),
        ("p2", "ASC_HOMECARE", "package", D(2023, 7, 1), D(2023, 7, 29), 10.0),
    ]))
    per_event = costed.groupby("source_row")["activity_row"].agg(["sum", "size"])
    assert per_event["sum"].tolist() == [1, 1, 1]
    assert per_event["size"].tolist() == [2, 1, 2]
    assert set(costed.loc[costed.activity_row, "value_type"]) == {"fiscal"}


@settings(deadline=None, max_examples=8)
@given(st.integers(0, 2**31 - 1))
def test_activity_rows_count_each_event_once(seed: int) -> None:
    events = synthetic_events(300, 40, seed, D(2022, 4, 1), D(2024, 4, 1))
    costed, unmapped = run(events)
    counted = costed.groupby(["source", "batch_id", "source_row"])["activity_row"].sum()
    assert (counted == 1).all()
    assert len(counted) == events.num_rows - int(unmapped["events"].sum() if len(unmapped) else 0)


def test_a_count_over_a_month_spans_its_days_and_keeps_its_quantity() -> None:
    """A monthly GP count (ingest's event.covers: month, written 1 March to 1 April) of 3
    appointments: 3 units at the GP consultation's unit cost, over the month's 31 days
    (cost_end_date 1 April), so that the audit and the evaluation split it by days; a count
    of one day is one day."""
    costed, _ = run(events_of([("P1", "GP_APPT", "count", D(2023, 3, 1), D(2023, 4, 1), 3.0),
                               ("P2", "GP_APPT", "count", D(2023, 3, 1), None, 3.0)]))
    by = costed[costed["activity_row"]].set_index("person_id")
    assert by.loc["P1", "days"] == 31 and by.loc["P1", "cost_end_date"] == D(2023, 4, 1)
    assert by.loc["P2", "days"] == 1 and by.loc["P2", "cost_end_date"] == D(2023, 3, 2)
    assert by.loc["P1", "units"] == by.loc["P2", "units"] == 3.0
    assert by.loc["P1", "cost"] == pytest.approx(3 * by.loc["P1", "unit_cost"])
