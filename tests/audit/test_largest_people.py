"""The two largest people's cost in each row of the audit's tables (the report's dominance
rule reads them): spec tests with inline tables, on DuckDB and (marked) PySpark."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from carecase.audit.tables import LARGEST, cost_by, with_largest_people
from carecase.core.engine import connect_duckdb

# (person, agency_l1, agency_l2, cost): person P1's two Housing months add up (£700 in all);
# P2 and P3 tie on Police (ties go to person_id: both figures are £50); a null agency_l2
# matches itself; the one-person row has no second person (0)
ROWS = [("P1", "Housing", "Temporary", 400.0), ("P1", "Housing", "Temporary", 300.0),
        ("P2", "Housing", "Temporary", 650.0), ("P3", "Housing", "Temporary", 20.0),
        ("P2", "Police", None, 50.0), ("P3", "Police", None, 50.0), ("P4", "Police", None, 10.0),
        ("P5", "Probation", "Probation", 99.0)]
WANT = {("Housing", "Temporary"): (1370.0, 3, 700.0, 650.0), ("Police", None): (110.0, 3, 50.0, 50.0),
        ("Probation", "Probation"): (99.0, 1, 99.0, 0.0)}


def _got(engine) -> dict[tuple, tuple]:
    df = pd.DataFrame(ROWS, columns=["person_id", "agency_l1", "agency_l2", "cost"])
    df = df.assign(fiscal_cost=df["cost"], economic_cost=0.0, activity=1.0)
    pm = engine.write("pm_largest", pa.Table.from_pandas(df, preserve_index=False))
    keys = ["agency_l1", "agency_l2"]
    out = with_largest_people(cost_by(pm, keys, activity=False), pm, keys).to_pyarrow().to_pandas()
    assert "activity" not in out.columns  # an agency's activity would add bed days to hours
    return {(r.agency_l1, None if pd.isna(r.agency_l2) else r.agency_l2):
            (r.cost, int(r.people), getattr(r, LARGEST[0]), getattr(r, LARGEST[1])) for r in out.itertuples()}


def test_two_largest_people_per_row_duckdb() -> None:
    assert _got(connect_duckdb()) == WANT


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_two_largest_people_per_row_spark() -> None:
    from carecase.core.engine import connect_spark

    assert _got(connect_spark()) == WANT
