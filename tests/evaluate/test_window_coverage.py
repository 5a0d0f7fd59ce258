"""A post window that runs past the data is named in a warning (evaluate.windows.window_coverage,
evaluate.stage.window_warnings). A project with post_windows [[0, 12], [12, 24]], data to
2025-03-31 and starts from 2023-06 to 2024-03 reported "post_12_24: +£257 per person-year"
with no caveat, though its participants had on average 0.43 of that window inside the data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from carecase.evaluate import cohort
from carecase.evaluate.config import EvaluationConfig
from carecase.evaluate.stage import window_warnings
from carecase.evaluate.windows import window_coverage

from .synthetic import evaluate_area, make_area


def test_the_share_of_each_window_within_the_data() -> None:
    """Starts on 2023-06-01, 2023-10-01 and 2024-03-01, data to 2025-03-31: months 12-24 lie
    304, 182 and 31 of 365 days within the data; the first 12 months wholly."""
    rows = pd.DataFrame({"row_id": [1, 2, 3, 4], "person_id": ["a", "b", "c", "d"],
                         "index_date": pd.to_datetime(["2023-06-01", "2023-10-01", "2024-03-01", "2024-03-01"]),
                         "censor": pd.NaT})
    cfg = EvaluationConfig.model_validate({"post_windows": [[0, 12], [12, 24]]})
    cover = window_coverage(cohort.outcome_windows(rows, cfg), [1, 2, 3], dt.date(2025, 3, 31))
    assert set(cover) == {"post_0_12", "post_12_24"}  # not the pre-period; row 4 is not matched
    assert cover["post_0_12"] == {"share": 1.0, "low": 1.0, "high": 1.0, "n": 3}
    late = cover["post_12_24"]
    assert late["share"] == pytest.approx((304 + 182 + 31) / 3 / 365)
    assert (late["low"], late["high"], late["n"]) == (pytest.approx(31 / 365), pytest.approx(304 / 365), 3)
    (line,) = window_warnings(cover, "2025-03-31")
    assert line.startswith("post_12_24 runs past the data: the data end on 2025-03-31, so on average only 47% of "
                           "this window lies within them for the 3 matched participants (from 8% to 83% each).")
    assert "earliest joiners" in line and "evaluation.post_windows" in line
    # a window starting after the data's end counts as 0, not as a negative share
    after = window_coverage(cohort.outcome_windows(rows, cfg), [3], dt.date(2024, 6, 30))
    assert after["post_12_24"]["share"] == 0.0
    assert window_warnings({"post_0_12": {"share": 0.9, "low": 0.8, "high": 1.0, "n": 5}}, "2025-03-31") == []


YAML = """\
version: 1
project:
  name: Window past the data
  period_start: 2019-01-01
  period_end: 2023-06-30
evaluation:
  pre_months: 12
  post_windows: [[0, 12], [12, 24]]
  bootstrap_draws: 100
"""


def test_the_stage_warns_of_a_window_past_the_data(tmp_path: Path) -> None:
    (tmp_path / "carecase.yaml").write_text(YAML)
    summary = evaluate_area(tmp_path, make_area(450, 5, referral_prob=0.08, post_windows=((0, 12),)))
    cover = summary["window_coverage"]
    assert cover["post_12_24"]["share"] < 0.9 <= cover["post_0_12"]["share"]
    lines = [w for w in summary["warnings"] if "runs past the data" in w]
    assert len(lines) == 1 and lines[0].startswith("post_12_24 runs past the data: the data end on 2023-06-30")
    assert f"only {cover['post_12_24']['share']:.0%} of post_12_24 within the data (see warnings)" \
        in summary["headline"]
    assert "window_coverage" not in summary["matching"]
