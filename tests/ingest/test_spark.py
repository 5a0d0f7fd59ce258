"""Ingest on the PySpark engine gives the same staged tables as on DuckDB."""

from __future__ import annotations

import pytest

from carecase.ingest.stage import run

from .helpers import event_source, make_project

pytestmark = [pytest.mark.spark, pytest.mark.slow, pytest.mark.xdist_group("spark")]

CSV = "nhs,mrn,code,date\n9434765919,A,AE,05/01/2024\n9434765918,B,AE,05/01/2024\n4010232137,C,AE,06/01/2024\n"
CSV2 = "nhs,mrn,code,date\n9434765919,A,AE,05/01/2024\n"


def _rows(p, name: str) -> list[dict]:
    return sorted(p.engine.table(name).to_pyarrow().to_pylist(), key=repr)


def _duck_and_spark(tmp_path, ingest: dict, files: dict):
    """The same project twice, the second on the Spark engine."""
    from carecase.core.project import Project

    duck = make_project(tmp_path / "duck", ingest, files)
    spark = make_project(tmp_path / "spark", ingest, files)
    cfg = (spark.root / "carecase.yaml").read_text() + "engine: {backend: spark, spark_warehouse: wh}\n"
    (spark.root / "carecase.yaml").write_text(cfg)
    spark.close()
    return duck, Project.open(spark.root)


def test_spark_matches_duckdb(tmp_path) -> None:
    """Also the codes ignored as unmapped (``unmapped: ignore``), kept for an unchanged file."""
    ingest = {"sources": [event_source(event={"service": {"column": "code", "map": {"AE": "AE_ATTEND"},
                                                          "unmapped": "ignore"}}),
                          event_source(name="other", path="o.csv", event={"service": {
                              "column": "code", "map": {"AE": "AE_ATTEND"}, "unmapped": "ignore"}})]}
    files = {"ae.csv": CSV + "9434765919,A,ae,07/01/2024\n", "o.csv": "nhs,mrn,code,date\n4010232137,C,AE,09/02/2024\n4010232137,C,XX,07/01/2024\n"}
    duck, spark = _duck_and_spark(tmp_path, ingest, files)
    try:
        for p in (duck, spark):
            run(p)
            (p.root / "ae.csv").write_text(CSV2 + "9434765919,A,XX,05/01/2024\n")
            s = run(p)
            assert s["sources"]["acute"]["files"][0]["status"] == "replaced"
            assert s["sources"]["other"]["files"][0]["status"] == "unchanged"
            assert s["sources"]["other"]["files"][0]["date_formats"] == {"start": "%d/%m/%Y"}
            assert [(n, s["sources"][n]["ignored_codes"]["codes"]) for n in ("acute", "other")] == [
                ("acute", [{"code": "XX", "rows": 1}]), ("other", [{"code": "XX", "rows": 1}])]
        for name in ("events_staged", "staging_identity", "quarantine", "ingest_files", "ingest_ignored_codes",
                     "ingest_date_formats"):
            assert _rows(spark, name) == _rows(duck, name), name
        assert len(_rows(spark, "ingest_ignored_codes")) == 2
        assert len(_rows(spark, "events_staged")) == 1 + 1
    finally:
        duck.close()
        spark.close()


def test_spark_repeats_and_renames_match_duckdb(tmp_path) -> None:
    """Repeats across files (a CRLF copy in a glob), then the first copy renamed and removed."""
    ingest = {"sources": [event_source(path="x/*.csv")]}
    files = {"x/a.csv": CSV, "x/b.csv": CSV.replace("\n", "\r\n")}
    duck, spark = _duck_and_spark(tmp_path, ingest, files)
    try:
        for p in (duck, spark):
            s = run(p)
            assert [f["rows_accepted"] for f in s["sources"]["acute"]["files"]] == [2, 0]
            (p.root / "x" / "a.csv").rename(p.root / "x" / "c.csv")  # now after b.csv: b keeps the rows
            s = run(p)
            assert {f["path"]: (f["status"], f["rows_accepted"]) for f in s["sources"]["acute"]["files"]} == {
                "x/b.csv": ("reprocessed", 2), "x/c.csv": ("renamed", 0)}
        for name in ("events_staged", "staging_identity", "quarantine", "ingest_files", "ingest_row_keys"):
            assert _rows(spark, name) == _rows(duck, name), name
        assert len(_rows(spark, "events_staged")) == 2
    finally:
        duck.close()
        spark.close()
