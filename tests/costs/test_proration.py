"""costs/proration.py on DuckDB: window edges, partial weeks, partition additivity."""

from __future__ import annotations

import datetime as dt

import ibis
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carecase.core.engine import connect_duckdb
from carecase.costs.proration import event_span_days, overlap_share

CON = connect_duckdb()


def shares(starts: list[dt.date], ends: list[dt.date | None], ws: dt.date, we: dt.date) -> list[float]:
    t = CON.memtable(pa.table({"i": list(range(len(starts))), "start_date": pa.array(starts, pa.date32()),
                               "end_date": pa.array(ends, pa.date32())}), name="_prorate")
    out = t.select("i", share=overlap_share(t, ibis.date(ws), ibis.date(we))).order_by("i").to_pyarrow()
    return out["share"].to_pylist()


D = dt.date


def test_window_edges() -> None:
    """Half-open intervals: a spell [30 Jan, 3 Feb) has 4 days, 2 of them in February; a point
    event on the window start is inside, one on the window end is outside."""
    got = shares(
        [D(2024, 1, 30), D(2024, 2, 1), D(2024, 3, 1), D(2024, 2, 10)],
        [D(2024, 2, 3), None, None, D(2024, 2, 10)],
        D(2024, 2, 1), D(2024, 3, 1),
    )
    assert got == [0.5, 1.0, 0.0, 1.0]


def test_partial_week() -> None:
    """A 10-day placement split at day 3: 3/10 and 7/10 of its cost (10/7 weeks)."""
    a = shares([D(2024, 1, 1)], [D(2024, 1, 11)], D(2023, 1, 1), D(2024, 1, 4))
    b = shares([D(2024, 1, 1)], [D(2024, 1, 11)], D(2024, 1, 4), D(2025, 1, 1))
    assert a == [pytest.approx(0.3)] and b == [pytest.approx(0.7)]


def test_span_days() -> None:
    t = CON.memtable(pa.table({"start_date": pa.array([D(2024, 1, 1)] * 3, pa.date32()),
                               "end_date": pa.array([None, D(2024, 1, 1), D(2024, 1, 8)], pa.date32())}),
                     name="_span")
    assert t.select(d=event_span_days(t)).to_pyarrow()["d"].to_pylist() == [1, 1, 7]


@settings(deadline=None, max_examples=40)
@given(
    st.lists(st.tuples(st.integers(0, 700), st.integers(0, 200)), min_size=1, max_size=8),
    st.lists(st.integers(1, 900), min_size=0, max_size=6, unique=True),
)
def test_any_partition_sums_to_one(events: list[tuple[int, int]], cuts: list[int]) -> None:
    base = D(2022, 1, 1)
    starts = [base + dt.timedelta(days=s) for s, _ in events]
    ends = [base + dt.timedelta(days=s + n) if n else None for s, n in events]
    bounds = [base - dt.timedelta(days=1), *sorted(base + dt.timedelta(days=c) for c in cuts),
              base + dt.timedelta(days=1200)]
    t = CON.memtable(pa.table({"i": list(range(len(starts))), "start_date": pa.array(starts, pa.date32()),
                               "end_date": pa.array(ends, pa.date32())}), name="_events")
    w = CON.memtable(pa.table({"ws": pa.array(bounds[:-1], pa.date32()), "we": pa.array(bounds[1:], pa.date32())}),
                     name="_windows")
    j = t.cross_join(w)
    j = j.mutate(share=overlap_share(j, j.ws, j.we))
    got = j.to_pyarrow().to_pandas()
    assert got["share"].between(0.0, 1.0).all()
    total = got.groupby("i")["share"].sum().sort_index().tolist()
    assert total == [pytest.approx(1.0)] * len(events)
