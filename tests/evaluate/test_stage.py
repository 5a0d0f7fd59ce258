"""``run(project)`` writes every table (Parquet + CSV), effects.json and summary.json,
byte-identically on a re-run; the CLI prints naive and matched side by side."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from carecase.core.project import Project
from carecase.evaluate import cli as evaluate_cli
from carecase.evaluate.stage import TABLE_KEYS, run

from .synthetic import make_area

YAML = """\
version: 1
project:
  name: Evaluation test
  period_start: 2019-01-01
  period_end: 2023-12-31
evaluation:
  pre_months: 12
  post_windows: [[0, 12]]
  bootstrap_draws: 200
  instruments:
    - name: SWEMWBS
      scoring: swemwbs
ingest:  # not run here (the tables are written to the store), but the instrument needs readings
  outcomes:
    - {instrument: SWEMWBS, path: o.csv, format: {type: csv}, ids: {nhs_number: nhs},
       date: {column: d, format: '%Y-%m-%d'}, assessment: a, domains: {a: a}}
"""


@pytest.fixture(scope="module")
def project_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("evalproj")
    (root / "carecase.yaml").write_text(YAML)
    area = make_area(450, 5, referral_prob=0.08, post_windows=((0, 12),))
    proj = Project.open(root)
    for name, frame in (("people", area.people), ("costed_events", area.events),
                        ("programme", area.programme), ("outcome_scores", area.outcome_scores)):
        proj.engine.write(name, frame)
    proj.close()
    return root


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.suffix in (".csv", ".json")}


def test_run_writes_tables_and_is_deterministic(project_dir):
    proj = Project.open(project_dir)
    try:
        summary = run(proj)
        first = _snapshot(proj.out / "evaluate")
        run(proj)
        second = _snapshot(proj.out / "evaluate")
    finally:
        proj.close()
    assert "per person-year" in summary["headline"]
    for name in TABLE_KEYS:
        assert f"{name}.csv" in first
        assert (project_dir / "out" / "evaluate" / f"{name}.parquet").exists()
    assert first == second
    effects = json.loads(first["effects.json"])
    assert "post_0_12" in effects["windows"]
    matched = pd.read_parquet(project_dir / "out" / "evaluate" / "matched.parquet")
    assert {"effect_ppy", "ci_low", "ci_high", "key", "measure", "window"} <= set(matched.columns)
    # no person identifiers in any output but the matched sample, which exists to name them
    text = b"".join(v for k, v in first.items() if not k.startswith("matched_sets")).decode()
    assert "P00" not in text
    sets = pd.read_parquet(project_dir / "out" / "evaluate" / "matched_sets.parquet")
    assert list(sets.columns) == ["set_id", "cluster", "role", "person_id", "index_date", "weight", "row_id"]
    counts = pd.read_parquet(project_dir / "out" / "evaluate" / "match_counts.parquet").set_index("count")["value"]
    assert (sets["role"] == "participant").sum() == counts["treated_matched"]
    assert sets.loc[sets["role"] == "control", "row_id"].nunique() == counts["control_rows_matched"]
    # a control shares its participant's index date; a set's control weights sum to 1
    first_date = sets.groupby("set_id")["index_date"].nunique()
    assert (first_date == 1).all()
    control_weight = sets[sets["role"] == "control"].groupby("set_id")["weight"].sum()
    assert (sets["weight"] > 0).all()
    if not summary["matching"]["calibrated"]:  # else entropy balancing set the weights
        assert control_weight.to_numpy() == pytest.approx(1.0)
    # the controls' effective number (Kish): their count when the weights are equal
    w = sets.loc[sets["role"] == "control", "weight"].to_numpy()
    assert summary["matching"]["control_rows"] == len(w)
    assert summary["matching"]["control_ess"] == pytest.approx(w.sum() ** 2 / (w**2).sum(), abs=0.05)
    assert ("count as" in summary["headline"]) == summary["matching"]["calibrated"]
    # the settings the report's method text is written from (it reads outputs, not the config)
    assert {k: summary["matching"][k] for k in ("k", "replacement", "pre_months", "covariates", "exact",
                                                 "history_months", "spell_measure")} == \
        {"k": 1, "replacement": True, "pre_months": 12, "covariates": [], "exact": [], "history_months": 0,
         "spell_measure": "units"}


def test_calibrated_weights_meet_the_participants_means(project_dir, tmp_path):
    """What entropy balancing promises of the weights it writes (Hainmueller 2012, Political
    Analysis 20:25: the balance, normalising and non-negativity constraints of its
    reweighting problem; evaluate.calibrate keeps the base weights' total): every control's
    weight positive, the weighted control mean of each covariate equal to the matched
    participants' mean, and the total of the matching weights kept. With k = 2 those are 1/2 a control, 1 a set, so the
    control weights total the number of matched participants, not the number of control rows
    (about twice as many). The test above checks the sets' weights only when uncalibrated."""
    import shutil

    root = tmp_path / "calibrated"
    shutil.copytree(project_dir, root, ignore=shutil.ignore_patterns("out"))
    (root / "carecase.yaml").write_text(YAML.replace(
        "  bootstrap_draws: 200\n", "  bootstrap_draws: 50\n  matching: {calibrate: always, k: 2}\n"))
    proj = Project.open(root)
    try:
        summary = run(proj)
    finally:
        proj.close()
    assert summary["matching"]["calibrated"]
    out = root / "out" / "evaluate"
    sets = pd.read_parquet(out / "matched_sets.parquet")
    controls = sets[sets["role"] == "control"]
    participants = int((sets["role"] == "participant").sum())
    assert (controls["weight"] > 0).all()
    assert len(controls) > 1.5 * participants  # two controls to most sets: the totals differ
    assert controls["weight"].sum() == pytest.approx(participants, rel=1e-9)
    # the weights are not the matching weights left as they were
    assert controls["weight"].std() > 0.01
    after = pd.read_parquet(out / "balance.parquet").query("stage == 'after'")
    assert len(after) > 5
    assert (after["n_control"] == len(controls)).all() and (after["n_treated"] == participants).all()
    assert after["mean_control"].to_numpy() == pytest.approx(after["mean_treated"].to_numpy(), rel=1e-6, abs=1e-9)
    assert after["smd"].abs().max() < 1e-6


def test_a_failed_run_leaves_no_results_and_the_report_refuses(project_dir, tmp_path):
    """After a failed `carecase evaluate` the previous run's tables and effects.json stayed
    under out/evaluate/, so a later report (or CBA) read stale results with nothing said. A
    failed run now removes them and says why in summary.json, and the report refuses it; a
    run that succeeds writes them all again."""
    import shutil

    from carecase.core.errors import EvaluationError, ReportError
    from carecase.report.freshness import stale_outputs
    from carecase.report.stage import run as report_run

    root = tmp_path / "copy"
    shutil.copytree(project_dir, root)
    proj = Project.open(root)
    try:
        run(proj)  # a good run first: its outputs are what must not survive
        assert (root / "out" / "evaluate" / "effects.json").exists()
    finally:
        proj.close()
    (root / "carecase.yaml").write_text(YAML.replace("  bootstrap_draws: 200\n",
                                                     "  bootstrap_draws: 200\n  services: [AE_ATTENDANCE]\n"))
    proj = Project.open(root)
    try:
        with pytest.raises(EvaluationError, match="AE_ATTENDANCE"):
            run(proj)
        left = sorted(p.name for p in (root / "out" / "evaluate").iterdir())
        assert left == ["summary.json"]
        summary = json.loads((root / "out" / "evaluate" / "summary.json").read_text())
        assert summary["headline"].startswith("failed: evaluation.services lists 'AE_ATTENDANCE'")
        (problem,) = [p for p in stale_outputs(proj) if p.startswith("evaluate:")]
        assert problem.startswith("evaluate: the last `carecase evaluate` failed (evaluation.services lists")
        assert "run `carecase evaluate PROJECT`" in problem
        with pytest.raises(ReportError, match="the last `carecase evaluate` failed"):
            report_run(proj)
    finally:
        proj.close()
    (root / "carecase.yaml").write_text(YAML)
    proj = Project.open(root)
    try:
        run(proj)
        assert not [p for p in stale_outputs(proj) if p.startswith("evaluate:")]
        assert all((root / "out" / "evaluate" / f"{name}.parquet").exists() for name in TABLE_KEYS)
    finally:
        proj.close()


def test_a_stopped_run_says_so(tmp_path, monkeypatch):
    """Stopped part-way (Ctrl-C), a run leaves no tables it had begun to write beside an
    earlier summary, and says it did not finish."""
    from carecase.evaluate import stage

    (tmp_path / "carecase.yaml").write_text(YAML)
    folder = tmp_path / "out" / "evaluate"
    folder.mkdir(parents=True)
    (folder / "matched.parquet").write_bytes(b"an earlier run's")

    def stopped(project, progress=None):
        (folder / "naive.csv").write_text("half written")
        raise KeyboardInterrupt

    monkeypatch.setattr(stage, "_run", stopped)
    proj = Project.open(tmp_path)
    try:  # a programme to evaluate (without one the stage skips: tests/evaluate/test_skip.py)
        proj.engine.write("programme", pd.DataFrame({"person_id": ["P1"], "start_date": pd.to_datetime(["2021-01-01"]),
                                                     "end_date": pd.to_datetime([None])}))
        with pytest.raises(KeyboardInterrupt):
            stage.run(proj)
    finally:
        proj.close()
    assert sorted(p.name for p in folder.iterdir()) == ["summary.json"]
    assert json.loads((folder / "summary.json").read_text()) == {
        "failed": "it was stopped (interrupted)", "headline": "failed: it was stopped (interrupted)"}


def test_cli_prints_side_by_side(project_dir):
    app = typer.Typer()
    evaluate_cli.register(app)

    @app.command("noop")
    def _noop() -> None:  # a second command keeps typer in multi-command mode
        pass

    result = CliRunner().invoke(app, ["evaluate", str(project_dir), "--measure", "events"])
    assert result.exit_code == 0, result.output
    assert "naive" in result.output and "matched" in result.output
    assert "AE_ATTEND" in result.output
    # 5 of the area's 76 participants are left unmatched: the line says whom each column covers
    text = " ".join(result.output.split())
    assert "The naive columns are all 76 participants; the matched DiD is the 71 matched" in text
    assert "naive_matched.csv" in text


def test_headline_reports_the_longest_window_not_the_last_as_text():
    """Windows sort by months: post_0_8 < post_0_11 < post_0_12 (as text post_0_8 is last)."""
    from types import SimpleNamespace

    import pandas as pd

    from carecase.evaluate.config import window_key
    from carecase.evaluate.stage import headline

    windows = ["post_0_11", "post_0_12", "post_0_8"]
    assert sorted(windows, key=window_key) == ["post_0_8", "post_0_11", "post_0_12"]
    base = {"key_type": "total", "key": "all", "measure": "cost", "n_sets": 10}
    matched = pd.DataFrame([{**base, "window": w, "effect_ppy": e, "ci_low": e - 1, "ci_high": e + 1}
                            for w, e in zip(windows, [-11, -12, -8], strict=True)])
    naive = pd.DataFrame([{**base, "window": w, "change_ppy": 10 * e}
                          for w, e in zip(windows, [-11, -12, -8], strict=True)])
    text = headline(SimpleNamespace(matched=matched, naive=naive, meta={"balanced": True}))
    assert "post_0_12: -£12 per person-year (95% CI -£13 to -£11); naive -£120" in text


def test_the_headline_says_whom_each_naive_covers():
    """The matched DiD covers the matched participants only; the demo's headline set it beside
    the naive of all 250 (-£1,516) though the 245 matched participants' own naive was -£1,046:
    a third of the gap was the 5 heaviest users left unmatched. Both are given where some
    participants were left unmatched, and only the one where none were."""
    from types import SimpleNamespace

    import pandas as pd

    from carecase.evaluate.stage import headline

    base = {"window": "post_0_12", "key_type": "total", "key": "all", "measure": "cost"}
    matched = pd.DataFrame([{**base, "n_sets": 245, "effect_ppy": -17.0, "ci_low": -1290.0, "ci_high": 1267.0}])
    naive = pd.DataFrame([{**base, "n": 250, "change_ppy": -1515.9}])
    naive_matched = pd.DataFrame([{**base, "n": 245, "change_ppy": -1046.0}])
    result = SimpleNamespace(matched=matched, naive=naive, naive_matched=naive_matched,
                             meta={"balanced": True, "n_treated": 250})
    assert headline(result) == ("245 matched participants, post_0_12: -£17 per person-year (95% CI -£1,290 to "
                                "+£1,267); naive -£1,516 (all 250 participants; -£1,046 for the 245 matched); "
                                "balanced")
    everyone = SimpleNamespace(matched=matched, naive=naive.assign(n=245), naive_matched=naive_matched,
                               meta={"balanced": True, "n_treated": 245})
    assert "; naive -£1,516; balanced" in headline(everyone)


def test_the_cli_says_whom_the_naive_columns_cover():
    """The side-by-side table's naive columns are all participants, its matched DiD the matched
    ones: a line after the tables says so, with the matched participants' own naive (an eighth
    column would not fit 80 characters)."""
    import pandas as pd

    from carecase.evaluate.cli import populations_line

    own = pd.DataFrame([{"window": w, "key_type": "total", "key": "all", "measure": m, "change_ppy": v}
                        for w, m, v in (("post_0_8", "cost", -1043.03), ("post_0_12", "cost", -1046.0),
                                        ("post_0_12", "events", -1.448))])
    counts = {"treated_eligible": 250, "treated_matched": 245}
    line = populations_line(counts, own, "cost", ["post_0_8", "post_0_12"], "out/evaluate/naive_matched.csv")
    assert line == ("The naive columns are all 250 participants; the matched DiD is the 245 matched participants' "
                    "(the 5 left unmatched had no control close enough, matching.caliper). The matched "
                    "participants' own naive change, all services: post_0_8 -£1,043, post_0_12 -£1,046 "
                    "(out/evaluate/naive_matched.csv).")
    assert "post_0_12 -1.45 (" in populations_line(counts, own, "events", ["post_0_12"], "f")
    assert populations_line(counts, own, "units", ["post_0_12"], "f").endswith("own naive change is in f.")
    assert populations_line({"treated_eligible": 245, "treated_matched": 245}, own, "cost", ["post_0_12"], "f") is None
    comparison = evaluate_cli.comparison_table(
        pd.DataFrame([{"window": "post_0_12", "key_type": "total", "key": "all", "measure": "cost",
                       "effect_ppy": -17.0, "ci_low": -1290.0, "ci_high": 1267.0, "mde_ppy": 1900.0,
                       "control_pre_ppy": 3000.0, "control_post_ppy": 2000.0}]),
        pd.DataFrame([{"window": "post_0_12", "key_type": "total", "key": "all", "measure": "cost",
                       "change_ppy": -1516.0, "ci_low": -2000.0, "ci_high": -1000.0}]), "cost", "post_0_12")
    from rich.console import Console

    console = Console(width=80, record=True)
    console.print(comparison)
    assert max(len(x) for x in console.export_text().splitlines()) <= 80


def test_a_service_code_no_event_has_is_refused(small_area):
    """A misspelt code in evaluation.services is an error naming it, not an effect of 0 ± 0."""
    from carecase.core.errors import EvaluationError
    from carecase.evaluate.api import evaluate_project

    from .conftest import START, evaluation_config, load_area

    engine = load_area(small_area)
    try:
        with pytest.raises(EvaluationError, match=r"'AE_ATTENDANCE', which no event has.*AE_ATTEND"):
            evaluate_project(engine, evaluation_config(services=["AE_ATTEND", "AE_ATTENDANCE"]), 2024,
                             period=(START, small_area.period_end))
    finally:
        engine.close()


def test_the_cli_prints_the_outcome_measures() -> None:
    """`carecase evaluate` printed no outcome table (the walkthrough had to open outcomes.csv)."""
    import pandas as pd
    from rich.console import Console

    from carecase.evaluate.cli import outcomes_table

    out = pd.DataFrame([{"instrument": "SWEMWBS", "measure": "total", "from_assessment": "baseline",
                         "to_assessment": "12m", "n": 96, "mean_from": 19.2, "mean_to": 22.1, "mean_change": 2.9,
                         "t_p": 0.0001, "improved": 70, "no_change": 10, "worse": 16}])
    console = Console(width=100, record=True)
    console.print(outcomes_table(out))
    text = console.export_text()
    assert "baseline → 12m" in text and "SWEMWBS total" in text and "+2.90" in text and "70/10/16" in text
