"""The evaluation stage on PySpark gives DuckDB's outputs byte for byte. It could not run on
Spark at all until the engine named its Parquet hand-over so that Hadoop reads it (a
temporary table named from '_' was a hidden file: 'Unable to infer schema for Parquet')."""

from __future__ import annotations

from pathlib import Path

import pytest

from .synthetic import evaluate_area, make_area

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]  # one Spark session

YAML = """\
version: 1
project:
  name: Evaluation on {backend}
  period_start: 2019-01-01
  period_end: 2023-12-31
engine:
  backend: {backend}
evaluation:
  pre_months: 12
  post_windows: [[0, 12]]
  bootstrap_draws: 200
"""


def _evaluate(root: Path, backend: str, area) -> tuple[dict, dict[str, bytes]]:
    root.mkdir(parents=True)
    (root / "carecase.yaml").write_text(YAML.format(backend=backend))
    summary = evaluate_area(root, area)
    files = {p.name: p.read_bytes() for p in sorted((root / "out" / "evaluate").iterdir()) if p.suffix == ".csv"}
    return summary, files


def test_the_evaluation_on_spark_is_duckdb_s(tmp_path: Path) -> None:
    area = make_area(450, 5, referral_prob=0.08, post_windows=((0, 12),))
    duck, duck_files = _evaluate(tmp_path / "duckdb", "duckdb", area)
    spark, spark_files = _evaluate(tmp_path / "spark", "spark", area)
    assert spark["headline"] == duck["headline"] and "matched participants" in duck["headline"]
    assert set(duck_files) >= {"matched.csv", "naive.csv", "balance.csv", "rate_ratios.csv", "case_studies.csv",
                               "trajectory.csv"}
    assert spark_files == duck_files
