"""An event source whose extract stops early is a warning, judged by its own rate."""

from __future__ import annotations

import datetime as dt
import math

import pyarrow as pa
import pytest

from carecase.core.engine import connect_duckdb
from carecase.ingest.coverage import early_stops, gap_chance

START, END = dt.date(2023, 4, 1), dt.date(2024, 3, 31)  # 366 days


def test_gap_chance_is_the_poisson_chance_of_no_event() -> None:
    """Under a Poisson process of rate λ a day, P(no event in g days) = exp(−λg) (Ross,
    Introduction to Probability Models, 12th ed., §5.3: the time to the first event is
    exponential): 366 events in 366 days, none in 5 days, e⁻⁵ = 0.006738."""
    assert gap_chance(366, 366, 5) == pytest.approx(math.exp(-5), rel=1e-12)
    assert round(gap_chance(366, 366, 5), 6) == 0.006738
    assert gap_chance(10, 366, 0) == 1.0


def _staged(rows: list[tuple[str, dt.date, dt.date | None]]) -> pa.Table:
    return pa.table({"source": [r[0] for r in rows],
                     "start_date": pa.array([r[1] for r in rows], pa.date32()),
                     "end_date": pa.array([r[2] for r in rows], pa.date32())})


def test_a_dense_source_stopping_early_is_warned_of_a_sparse_or_open_one_is_not() -> None:
    """ae: an attendance a day until 31 January (60 days short: e^-60); housing: six
    applications in the year, the last on 10 September (203 days short: e^(-6 × 203 / 366) =
    0.036, not unlikely); care: one package started in May, open (ingest ends it the day after the
    period), so it runs to the end; spells: one a fortnight, ending with a spell from 1 to
    25 March (6 days short, under a month)."""
    days = (dt.date(2024, 1, 31) - START).days + 1
    rows = [("ae", START + dt.timedelta(days=i), None) for i in range(days)]
    rows += [("housing", dt.date(2023, m, 10), None) for m in (4, 5, 6, 7, 8, 9)]
    rows += [("care", dt.date(2023, 5, 1), END + dt.timedelta(days=1))]
    rows += [("spells", START + dt.timedelta(days=14 * i), START + dt.timedelta(days=14 * i + 3)) for i in range(25)]
    rows += [("spells", dt.date(2024, 3, 1), dt.date(2024, 3, 25))]
    engine = connect_duckdb()
    engine.write("events_staged", _staged(rows))
    keys = [("ae", "ingest.sources[0]"), ("housing", "ingest.sources[1]"), ("care", "ingest.sources[2]"),
            ("spells", "ingest.sources[3]")]
    (only,) = early_stops(engine, keys, START, END)
    assert only.startswith("ae (ingest.sources[0]): its events stop on 2024-01-31, 60 days before "
                           "project.period_end (2024-03-31)")
    assert "306 events in 366 days" in only and "end project.period_end" in only
    assert early_stops(engine, [], START, END) == []
