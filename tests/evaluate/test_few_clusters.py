"""With every matched set joined to the others through a shared control there is one
cluster: the cluster bootstrap resamples it whole, so every draw equals the estimate and the
"95% CI" had no width (a small project printed −£4,421 (95% CI −£4,421 to −£4,421) and the
CBA then reported P(NPV > 0) = 100%). The interval, SE and MDE are now not estimated, and
the stage says why."""

from __future__ import annotations

import numpy as np
import pandas as pd

from carecase.core.random import generator
from carecase.evaluate.estimates import matched_did
from carecase.evaluate.panel import Panel


def _panel() -> Panel:
    """Treated rows 1, 2 and 3; control rows 4 and 5 (both used twice or more)."""
    rng = np.random.default_rng(3)
    amount = rng.integers(0, 5, size=(5, 2, 1)).astype(float)
    cols = pd.DataFrame({"key_type": ["total"], "key": ["all"], "measure": ["cost"]})
    return Panel(np.arange(1, 6), ("pre", "post_0_12"), cols, amount, np.full((5, 2), 365.25))


def _members(clusters: list[int]) -> pd.DataFrame:
    return pd.DataFrame({"set_id": [1, 1, 2, 2, 3, 3], "row_id": [1, 4, 2, 4, 3, 5],
                         "treated": [True, False] * 3, "weight": [1.0] * 6,
                         "cluster": np.repeat(clusters, 2)})


def test_one_cluster_gives_no_interval_not_a_zero_width_one() -> None:
    m, _ = matched_did(_panel(), _members([1, 1, 1]), 200, generator(1, "t"))
    row = m.iloc[0]
    assert np.isfinite(row["effect_ppy"]) and row["n_clusters"] == 1
    for col in ("ci_low", "ci_high", "se", "mde_ppy", "ratio_ci_low", "ratio_ci_high"):
        assert np.isnan(row[col]), col


def test_two_clusters_are_resampled() -> None:
    m, _ = matched_did(_panel(), _members([1, 1, 3]), 200, generator(1, "t"))
    row = m.iloc[0]
    assert row["n_clusters"] == 2 and row["ci_low"] < row["ci_high"] and row["se"] > 0


def test_the_stage_warns_about_one_or_few_clusters() -> None:
    from types import SimpleNamespace

    from carecase.evaluate.stage import cluster_warnings, headline

    m, _ = matched_did(_panel(), _members([1, 1, 1]), 50, generator(1, "t"))
    m["window"] = "post_0_12"
    naive = m.rename(columns={"effect_ppy": "change_ppy"})
    one = SimpleNamespace(matched=m, naive=naive, meta={"n_clusters": 1, "balanced": True})
    assert "not estimable" in cluster_warnings(one)[0] and "3 matched sets" in cluster_warnings(one)[0]
    assert "95% CI not estimable: 1 cluster" in headline(one)
    few = SimpleNamespace(matched=m, naive=naive, meta={"n_clusters": 12})
    assert "12 independent clusters" in cluster_warnings(few)[0]
    assert cluster_warnings(SimpleNamespace(matched=m, naive=naive, meta={"n_clusters": 20})) == []


def test_an_eq5d_value_set_is_read_from_the_project_folder(tmp_path) -> None:
    """value_set: eq5d_vs.csv was read from the shell's working directory, so `carecase run
    PROJECT` from elsewhere (or the web app) stopped, or read another file of that name."""
    from carecase.core.project import Project
    from carecase.evaluate.stage import with_project_paths

    (tmp_path / "carecase.yaml").write_text(
        "project:\n  name: t\n  period_start: 2022-04-01\n  period_end: 2024-03-31\n"
        "evaluation:\n  instruments:\n"
        "    - {name: EQ5D, domains: [mo, sc, ua, pd, ad], scale_min: 1, scale_max: 5, scoring: eq5d,\n"
        "       value_set: sets/eq5d_vs.csv}\n"
        "    - {name: SWEMWBS, domains: [a, b, c, d, e, f, g], scale_min: 1, scale_max: 5}\n"
        "ingest:\n  outcomes:\n" + "".join(
            f"    - {{instrument: {name}, path: o.csv, format: {{type: csv}}, ids: {{nhs_number: nhs}},\n"
            "       date: {column: d, format: '%Y-%m-%d'}, assessment: a, domains: {a: a}}\n"
            for name in ("EQ5D", "SWEMWBS")))
    ev = with_project_paths(Project.open(tmp_path))
    assert ev.instruments[0].value_set == str(tmp_path / "sets" / "eq5d_vs.csv")
    assert ev.instruments[1].value_set is None
