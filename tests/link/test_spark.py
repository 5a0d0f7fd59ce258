"""The same linkage on the PySpark engine (Splink's Spark backend)."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from carecase.core.config import validate_config
from carecase.core.engine import Engine
from carecase.core.errors import UnsupportedOnEngine
from carecase.core.project import Project
from carecase.link.fabricate import fabricate
from carecase.link.model import splink_db_api
from carecase.link.stage import run


def test_unknown_engine_fails_loudly():
    with pytest.raises(UnsupportedOnEngine, match="duckdb or spark"):
        splink_db_api(Engine("sqlite", con=None))  # type: ignore[arg-type]


@pytest.mark.spark
@pytest.mark.slow
@pytest.mark.xdist_group("spark")  # one Spark session for every Spark test
def test_spark_links_like_duckdb(tmp_path: Path, config_for):
    fab = fabricate(150, seed=21)
    results = {}
    for backend in ("duckdb", "spark"):
        # fewer than its ~16,000 pairs: u from carecase's own sample, the same on both engines
        cfg = config_for(max_pairs_u=8_000)
        cfg["engine"] = {"backend": backend}
        folder = tmp_path / backend
        folder.mkdir()
        project = Project(folder, validate_config(cfg))
        try:
            for name, table in fab.tables.items():
                project.engine.write(name, table)
            pq.write_table(fab.truth, folder / "truth.parquet")
            summary = run(project)
        finally:
            project.close()
        links = pq.read_table(folder / "out" / "link" / "record_links.parquet").to_pandas()
        results[backend] = (summary, links.set_index("record_id"))
    (s_duck, duck), (s_spark, spark) = results["duckdb"], results["spark"]
    # the pairs for clerical review, off the register as well as on it, alike on both engines
    assert s_spark["clerical_review"]["pairs"] == s_duck["clerical_review"]["pairs"]
    assert s_spark["unregistered"]["pairs_for_review"] == s_duck["unregistered"]["pairs_for_review"]
    # u from every pair of carecase's sample of profiles (model.u_sample), chosen alike on
    # both engines; Splink's own sample is chosen by each engine's hash()
    u = {b: {(c, lv["label"]): lv["u"] for c, levels in r[0]["model"]["comparisons"].items() for lv in levels}
         for b, r in results.items()}
    assert results["spark"][0]["model"]["u_sample"] == results["duckdb"][0]["model"]["u_sample"]
    assert "md5" in results["duckdb"][0]["model"]["u_sample"]["rule"]
    assert u["spark"] == pytest.approx(u["duckdb"], rel=1e-12, abs=0)
    assert s_spark["truth"]["sources_without_nhs_numbers"]["precision"] >= 0.98
    assert s_spark["truth"]["sources_without_nhs_numbers"]["recall"] >= 0.95
    deterministic = duck.method.isin(["nhs_number", "lookup"])
    assert (duck[deterministic].person_id == spark[deterministic].person_id).all()
    assert (duck.person_id == spark.loc[duck.index].person_id).mean() >= 0.99
