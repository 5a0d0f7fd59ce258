"""The pinned versions that must agree really do.

ibis-framework 12.0 fails with sqlglot >= 30.18 (DuckDB ``create_table`` parser errors; upstream
ibis issues #12124 and #12101); carecase pins sqlglot 27.x. These tests fail loudly if a fresh
install resolves to an incompatible set.
"""

from __future__ import annotations

import datetime as dt
from importlib.metadata import version

import ibis
import pyarrow as pa

from carecase.core.engine import connect_duckdb


def _major_minor(v: str) -> tuple[int, int]:
    major, minor, *_ = v.split(".")
    return int(major), int(minor)


def test_sqlglot_is_a_version_ibis_12_works_with():
    assert version("ibis-framework").startswith("12."), version("ibis-framework")
    assert _major_minor(version("sqlglot")) < (30, 18), version("sqlglot")


def test_pins_in_constraints_match_what_is_installed():
    from pathlib import Path

    constraints = Path(__file__).resolve().parents[2] / "requirements" / "constraints.txt"
    pins = dict(
        line.strip().split("==", 1)
        for line in constraints.read_text().splitlines()
        if "==" in line and not line.startswith("#")
    )
    for package in ("ibis-framework", "sqlglot", "duckdb", "splink", "pyspark", "pandas", "numpy"):
        assert version(package) == pins[package], package


def test_duckdb_create_table_and_date_sql_compile_under_the_pins():
    engine = connect_duckdb()
    t = engine.write(
        "pins_check",
        pa.table({"d": [dt.date(2024, 1, 31), dt.date(2024, 2, 1)], "n": [1, 2]}),
    )
    expr = t.mutate(days=t.d.delta(ibis.date(2024, 1, 1), unit="day")).order_by("d")
    assert engine.to_arrow(expr).column("days").to_pylist() == [30, 31]
    assert "CREATE" not in ibis.to_sql(expr).upper()
