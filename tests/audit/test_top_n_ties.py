"""The audit's top-N people when totals tie at the cut: equal totals go in person_id order
(``top_n`` and ``top_n_from``, "Ties are broken by person_id"), so who is in the table and
their ranks are the same on every run and engine. Spec tests with inline tables, on DuckDB
and (marked) PySpark."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from carecase.audit.tables import top_n, top_n_from
from carecase.core.engine import connect_duckdb

from .point_events import ae_attendances

D = dt.date
START, END = D(2022, 4, 1), D(2024, 4, 1)  # 104 weeks

# P50 costs most; thirty people, P01 to P30, tie at £300, written out of order (P07, P14,
# P21, P28, P04, ...: 7i mod 31), three of whom fit under the cut at n = 4; P00, first by
# person_id, costs least and must not jump the tie. With n above the 32 people the ranks
# alone order the tie (a dozen tied rows came out in order even without the rank's own
# tie-break, on DuckDB; thirty do not)
TIED = [f"P{7 * i % 31:02d}" for i in range(1, 31)]
TOTALS = [("P50", 900.0), *((p, 300.0) for p in TIED), ("P00", 10.0)]
WANT_4 = ["P50", "P01", "P02", "P03"]
WANT_ALL = ["P50", *sorted(TIED), "P00"]


def _totals(engine):
    ids, cost = zip(*TOTALS, strict=True)
    return engine.write("totals_ties", pa.table({
        "person_id": list(ids), "cost": list(cost), "fiscal_cost": list(cost), "economic_cost": [0.0] * len(ids),
    }))


def _ranked(table) -> list[str]:
    df = table.to_pyarrow().to_pandas().sort_values("rank")
    assert df["rank"].tolist() == list(range(1, len(df) + 1))
    return df["person_id"].tolist()


def _check_top_n_from(engine) -> None:
    totals = _totals(engine)
    assert _ranked(top_n_from(totals, 4, START, END)) == WANT_4
    assert _ranked(top_n_from(totals, 40, START, END)) == WANT_ALL


def test_tied_totals_at_the_cut_go_in_person_id_order_duckdb() -> None:
    _check_top_n_from(connect_duckdb())


def test_top_n_from_costed_events_breaks_ties_by_person_id() -> None:
    """The same through ``top_n``: totals summed from events (P01's £300 is £200 + £100), cost
    per week over 104 weeks."""
    rows = [(p, c) for p, c in TOTALS if p != "P01"] + [("P01", 200.0), ("P01", 100.0)]
    eng = connect_duckdb()
    costed = eng.write("costed_ties", ae_attendances([p for p, _ in rows], [c for _, c in rows]))
    top = top_n(costed, 4, START, END)
    assert _ranked(top) == WANT_4
    df = top.to_pyarrow().to_pandas().sort_values("rank")
    assert df["cost"].tolist() == [900.0, 300.0, 300.0, 300.0]
    assert df["cost_per_week"].tolist() == pytest.approx([900 / 104, 300 / 104, 300 / 104, 300 / 104])


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_tied_totals_at_the_cut_go_in_person_id_order_spark() -> None:
    from carecase.core.engine import connect_spark

    _check_top_n_from(connect_spark())
