"""Splitting costs into months, quarters and years: edges, additivity, order invariance."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carecase.audit.periods import label_periods, person_month
from carecase.audit.tables import cost_by_person_period
from carecase.core.engine import connect_duckdb
from carecase.core.random import generator

D = dt.date
ENG = connect_duckdb()


def costed_of(rows: list[tuple], transfer: list[bool] | None = None) -> pa.Table:
    """rows: (person, kind, start, end_exclusive, cost, value_type); ``transfer`` per row
    (default none)."""
    n = len(rows)
    return pa.table({
        "person_id": [r[0] for r in rows], "agency_l1": ["LA"] * n, "agency_l2": ["ASC"] * n,
        "service_code": ["ASC_RESIDENTIAL"] * n, "area_of_need": ["Social care"] * n,
        "kind": [r[1] for r in rows], "value_type": [r[5] for r in rows],
        "transfer": transfer if transfer is not None else [False] * n,
        "start_date": pa.array([r[2] for r in rows], pa.date32()),
        "cost_end_date": pa.array([r[3] for r in rows], pa.date32()),
        "days": pa.array([max((r[3] - r[2]).days, 1) for r in rows], pa.int64()),
        "units": [1.0] * n, "cost": [float(r[4]) for r in rows],
    })


def months(rows: list[tuple], start: dt.date, end: dt.date) -> pd.DataFrame:
    t = ENG.write("_costed", costed_of(rows))
    pm = person_month(t, start, end, ["fiscal", "economic"])
    return pm.order_by(["person_id", "month"]).to_pyarrow().to_pandas()


def test_transfers_are_never_added() -> None:
    """Benefit payments are transfers (HM Treasury Green Book): never added to a person's cost.
    A test review removed the exclusion and every audit test passed, as no fixture had one:
    £200 of care beside a £50 benefit payment in the same month costs £200."""
    rows = [("P1", "point", D(2024, 1, 5), D(2024, 1, 6), 200, "fiscal"),
            ("P1", "point", D(2024, 1, 9), D(2024, 1, 10), 50, "fiscal")]
    t = ENG.write("_costed", costed_of(rows, transfer=[False, True]))
    got = person_month(t, D(2023, 4, 1), D(2025, 4, 1), ["fiscal", "economic"]).to_pyarrow().to_pandas()
    assert got["cost"].tolist() == pytest.approx([200.0])


def test_spell_split_across_months() -> None:
    """A placement 20 Jan - 10 Feb (21 days, £2,100): 12 days (£1,200) in January, 9 (£900)
    in February (costs/proration.py: share = overlap days / span)."""
    got = months([("P1", "package", D(2024, 1, 20), D(2024, 2, 10), 2100, "fiscal")], D(2023, 4, 1), D(2025, 4, 1))
    assert got["cost"].tolist() == pytest.approx([1200.0, 900.0])
    assert got["month"].tolist() == [2024 * 12, 2024 * 12 + 1]


def test_window_edges_clip() -> None:
    """Audit window 1 Feb - 1 Mar: only February's 9 days count; a point event on the window
    end is outside; one on the window start is inside."""
    got = months([
        ("P1", "package", D(2024, 1, 20), D(2024, 2, 10), 2100, "fiscal"),
        ("P2", "point", D(2024, 3, 1), D(2024, 3, 2), 50, "fiscal"),
        ("P3", "point", D(2024, 2, 1), D(2024, 2, 2), 70, "fiscal"),
    ], D(2024, 2, 1), D(2024, 3, 1))
    assert dict(zip(got.person_id, got.cost, strict=True)) == pytest.approx({"P1": 900.0, "P3": 70.0})


def test_missing_labels_form_their_own_line_and_are_kept() -> None:
    """An event with no area of need (service not in the catalogue) is grouped, not dropped:
    service lines match null labels to null labels."""
    rows = [("P1", "point", D(2024, 1, 5), D(2024, 1, 6), 200, "fiscal"),
            ("P1", "point", D(2024, 1, 9), D(2024, 1, 10), 50, "fiscal")]
    t = costed_of(rows).set_column(4, "area_of_need", pa.array(["Social care", None]))
    got = person_month(ENG.write("_costed_nulls", t), D(2024, 1, 1), D(2024, 2, 1), ["fiscal"])
    got = got.order_by("cost").to_pyarrow().to_pandas()
    assert got["cost"].tolist() == [50.0, 200.0]
    assert got["area_of_need"].isna().tolist() == [True, False]


def test_fiscal_economic_columns() -> None:
    got = months([("P1", "point", D(2024, 1, 5), D(2024, 1, 6), 200, "fiscal"),
                  ("P1", "point", D(2024, 1, 5), D(2024, 1, 6), 100, "economic")], D(2024, 1, 1), D(2024, 2, 1))
    r = got.iloc[0]
    assert (r.cost, r.fiscal_cost, r.economic_cost, r.activity) == (300.0, 200.0, 100.0, 1.0)


def test_other_value_types_count_in_cost_only() -> None:
    """With social values chosen too, cost is fiscal + economic + social; the fiscal and
    economic columns stay their own (cost is added from the parts, so it must include every
    chosen type), and a type not chosen counts nowhere."""
    rows = [("P1", "point", D(2024, 1, 5), D(2024, 1, 6), 200, "fiscal"),
            ("P1", "point", D(2024, 1, 5), D(2024, 1, 6), 100, "economic"),
            ("P1", "point", D(2024, 1, 5), D(2024, 1, 6), 40, "social")]
    t = ENG.write("_costed_social", costed_of(rows))
    r = person_month(t, D(2024, 1, 1), D(2024, 2, 1), ["fiscal", "economic", "social"]).to_pyarrow().to_pandas().iloc[0]
    assert (r.cost, r.fiscal_cost, r.economic_cost, r.activity) == (340.0, 200.0, 100.0, 1.0)
    r = person_month(t, D(2024, 1, 1), D(2024, 2, 1), ["fiscal", "social"]).to_pyarrow().to_pandas().iloc[0]
    assert (r.cost, r.fiscal_cost, r.economic_cost) == (240.0, 200.0, 0.0)


event = st.tuples(st.integers(0, 3), st.sampled_from(["point", "package", "spell"]),
                  st.integers(0, 800), st.integers(1, 400), st.floats(0, 1e5))


@settings(deadline=None, max_examples=10)
@given(st.lists(event, min_size=1, max_size=12), st.integers(0, 2**31 - 1))
def test_partitions_sum_to_total_and_order_invariant(evs: list[tuple], seed: int) -> None:
    base = D(2022, 1, 1)
    rows = [(f"P{p}", k, base + dt.timedelta(days=s),
             base + dt.timedelta(days=s + (n if k != "point" else 1)), c, "fiscal") for p, k, s, n, c in evs]
    start, end = D(2021, 1, 1), D(2026, 1, 1)  # covers every event: totals are whole costs
    t = ENG.write("_costed", costed_of(rows))
    pm = ENG.write("_pm", person_month(t, start, end, ["fiscal"]))
    total = sum(r[4] for r in rows)
    for grain in ("month", "quarter", "year"):
        g = cost_by_person_period(pm, grain).to_pyarrow().to_pandas()
        assert g["cost"].sum() == pytest.approx(total, rel=1e-9, abs=1e-6)
        assert (g["cost"] >= 0).all()
    perm = generator(seed, "order").permutation(len(rows))
    t2 = ENG.write("_costed2", costed_of([rows[i] for i in perm]))
    a = pm.order_by(["person_id", "month"]).to_pyarrow().to_pandas()
    b = person_month(t2, start, end, ["fiscal"]).order_by(["person_id", "month"]).to_pyarrow().to_pandas()
    pd.testing.assert_frame_equal(a[["person_id", "month"]], b[["person_id", "month"]])
    assert a["cost"].to_numpy() == pytest.approx(b["cost"].to_numpy())


def test_financial_quarter_labels() -> None:
    t = ENG.write("_m", pa.table({"month": [2024 * 12 + 2, 2024 * 12 + 3, 2024 * 12 + 11]}))
    q = label_periods(t, "quarter").order_by("month").to_pyarrow().to_pandas()
    assert q["period"].tolist() == ["2023/24 Q4", "2024/25 Q1", "2024/25 Q3"]
    y = label_periods(t, "year").order_by("month").to_pyarrow().to_pandas()
    assert y["period"].tolist() == ["2023/24", "2024/25", "2024/25"]


def test_a_count_over_a_week_is_split_by_its_days_and_a_point_is_not() -> None:
    """A weekly count (ingest's event.covers: week) from 29 January, £700: 3 days (£300) in
    January and 4 (£400) in February; a point event stays whole in its month."""
    got = months([("P1", "count", D(2024, 1, 29), D(2024, 2, 5), 700, "fiscal"),
                  ("P2", "point", D(2024, 1, 31), D(2024, 2, 1), 50, "fiscal")], D(2023, 4, 1), D(2025, 4, 1))
    assert got["person_id"].tolist() == ["P1", "P1", "P2"]
    assert got["cost"].tolist() == pytest.approx([300.0, 400.0, 50.0])
