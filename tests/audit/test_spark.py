"""The same costing and month split on PySpark give DuckDB's answer."""

from __future__ import annotations

import datetime as dt

import pytest

from carecase.audit.periods import person_month
from carecase.core.engine import connect_duckdb
from carecase.core.exact import exact_sum
from carecase.costs.apply import cost_events
from carecase.costs.config import CostsConfig
from carecase.costs.library import load_library
from carecase.costs.stage import map_frame
from carecase.costs.synthetic import synthetic_events

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]  # one Spark session


def _run(engine) -> tuple[float, int, dict]:
    lib = load_library(2023)
    uc = lib[lib.value_type.isin(["fiscal", "economic"])][["code", "value_type", "value", "cashable", "transfer"]]
    ev = engine.write("events", synthetic_events(500, 50, 5))
    u = engine.write("uc", uc.reset_index(drop=True))
    sm = engine.write("sm", map_frame(CostsConfig()))
    costed, unmapped = cost_events(ev, u, sm, dt.date(2024, 3, 31))
    ce = engine.write("costed_events", costed)
    pm = person_month(ce, dt.date(2022, 4, 1), dt.date(2024, 4, 1), ["fiscal", "economic"])
    total = engine.to_arrow(pm.aggregate(cost=exact_sum(pm.cost))).to_pylist()[0]["cost"]
    by_month = engine.to_arrow(pm.group_by("month").aggregate(cost=exact_sum(pm.cost)).order_by("month"))
    return total, int(ce.count().to_pyarrow().as_py()), by_month.to_pylist()


def test_spark_matches_duckdb() -> None:
    """The audit's exact sums of person-month costs, in total and by month, are the same
    float64s on both engines (tests/core/test_spark_parity.py shows the values that need the
    decimal grids: engine gap double_to_decimal_cast)."""
    from carecase.core.engine import connect_spark

    d = _run(connect_duckdb())
    s = _run(connect_spark())
    assert s[1] == d[1]
    assert s[0] == d[0] > 0
    assert s[2] == d[2] and len(d[2]) == 24


def _totals_and_digests(engine) -> tuple[tuple[float, float, int], bool]:
    from carecase.costs.stage import _batch_digests, cost_by_service

    lib = load_library(2023)
    uc = lib[lib.value_type.isin(["fiscal", "economic"])][["code", "value_type", "value", "cashable", "transfer"]]
    events = synthetic_events(500, 50, 6)
    ev = engine.write("events", events)
    staged = engine.write("events_staged_less", events.slice(1))
    u = engine.write("uc", uc.reset_index(drop=True))
    sm = engine.write("sm", map_frame(CostsConfig()))
    costed, _ = cost_events(ev, u, sm, dt.date(2024, 3, 31), ["src_housing"])
    ce = engine.write("costed_events", costed)
    bs = engine.to_arrow(cost_by_service(ce, dt.date(2022, 4, 1), dt.date(2024, 4, 1))).to_pylist()
    same = _batch_digests(ev) == _batch_digests(engine.write("events_staged", events))
    differs = _batch_digests(ev) != _batch_digests(staged)
    return sorted(bs, key=repr), same and differs


def test_spark_costs_totals_and_staged_digest_match_duckdb() -> None:
    """The costs stage's period totals (exact sums) and its events-versus-staged digest run on
    Spark (no XOR aggregate there) and give DuckDB's rows, float64 for float64."""
    from carecase.core.engine import connect_spark

    d, d_ok = _totals_and_digests(connect_duckdb())
    s, s_ok = _totals_and_digests(connect_spark())
    assert d_ok and s_ok
    assert len(d) > 0 and s == d


def _person_month_rows(engine, value_types: list[str]) -> list[tuple]:
    lib = load_library(2023)
    uc = lib[lib.value_type.isin(value_types)][["code", "value_type", "value", "cashable", "transfer"]]
    ev = engine.write("events", synthetic_events(500, 50, 7))
    u = engine.write("uc", uc.reset_index(drop=True))
    sm = engine.write("sm", map_frame(CostsConfig()))
    costed, _ = cost_events(ev, u, sm, dt.date(2024, 3, 31))
    ce = engine.write("costed_events", costed)
    pm = person_month(ce, dt.date(2022, 4, 1), dt.date(2024, 4, 1), value_types)
    rows = engine.to_arrow(pm).to_pylist()
    return sorted((tuple(r.values()) for r in rows), key=repr)


@pytest.mark.parametrize("value_types", [["fiscal", "economic"], ["fiscal", "economic", "social"]])
def test_person_month_costs_are_the_same_bytes_on_spark(value_types) -> None:
    """Each person-month's cost (fiscal + economic (+ others) added as DECIMALs) is exact on
    both engines: on Spark, adding two DECIMAL(38, 10) sums rounded the total to 9, then 8,
    decimal places (engine gap decimal_add_precision_loss), so the audit's £ totals differed
    from DuckDB's in their last digits."""
    from carecase.core.engine import connect_spark

    d = _person_month_rows(connect_duckdb(), value_types)
    s = _person_month_rows(connect_spark(), value_types)
    assert len(s) == len(d) > 0
    assert s == d
