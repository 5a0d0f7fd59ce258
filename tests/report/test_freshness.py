"""A report never joins outputs made from different data: after a new month's extract each
stage behind the change is named, and the CBA refuses last month's effects (found by a
review that re-ran carecase on refreshed extracts: the shared report mixed this month's
ingest with last month's audit, evaluation and CBA, and the CBA used stale effects)."""

from __future__ import annotations

import pytest

from carecase.core.errors import CarecaseError, ReportError
from carecase.core.project import Project
from carecase.pipeline import run_all


@pytest.fixture
def refreshed(tmp_path, monkeypatch):
    """A 300-person demo run end to end, then next month's A&E extract (three fewer rows)."""
    from carecase.demo import run_demo

    monkeypatch.delenv("CARECASE_KEY", raising=False)  # the demo's own key file, as a user has
    run_demo(tmp_path, people=300, seed=7)
    area = tmp_path / "area"
    extract = area / "extracts" / "ae_attendances.csv"
    lines = extract.read_text().splitlines(keepends=True)
    extract.write_text("".join(lines[:-3]))
    return area


def _stages(area, *names):
    project = Project.open(area)
    try:
        return run_all(project, only=list(names))
    finally:
        project.close()


def _report_problems(area) -> str:
    from carecase.report.stage import run

    project = Project.open(area)
    try:
        with pytest.raises(ReportError) as err:
            run(project)
    finally:
        project.close()
    return str(err.value)


def test_stale_stages_are_named_until_the_pipeline_has_caught_up(refreshed):
    area = refreshed
    _stages(area, "ingest")
    text = _report_problems(area)
    assert "not all from the same data" in text and "costs:" in text and "re-run `carecase link" in text
    _stages(area, "link", "costs", "audit")
    text = _report_problems(area)
    assert "evaluate: out/evaluate/ was made from other costed events" in text
    assert "audit:" not in text and "costs:" not in text
    project = Project.open(area)
    try:
        from carecase.cba.stage import run as cba_run

        with pytest.raises(CarecaseError, match="estimated from other events than the costed events now"):
            cba_run(project)
    finally:
        project.close()
    _stages(area, "evaluate")
    assert "cba: out/cba/ was made from an earlier evaluation's effects.json" in _report_problems(area)
    results = _stages(area, "cba", "report")
    assert results["report"]["files"]


def test_a_failed_evaluation_is_refused_not_read(tmp_path):
    """A failed `carecase evaluate` removes its outputs and says why in summary.json; the report
    names it rather than read an earlier run's tables or drop the evaluation in silence."""
    import json

    from carecase.report.freshness import stale_outputs

    from .report_fixture_outputs import write_project

    root = write_project(tmp_path / "p")
    assert not stale_outputs(Project.open(root))
    (root / "out" / "evaluate" / "summary.json").write_text(json.dumps(
        {"headline": "failed: evaluation.services lists 'AE_ATTENDANCE', which no event has.",
         "failed": "evaluation.services lists 'AE_ATTENDANCE', which no event has."}))
    project = Project.open(root)
    try:
        assert stale_outputs(project) == [
            "evaluate: the last `carecase evaluate` failed (evaluation.services lists 'AE_ATTENDANCE', which no "
            "event has), so out/evaluate/ holds no results; fix that and run `carecase evaluate PROJECT` (or delete "
            "out/evaluate/ to report without the evaluation)."]
    finally:
        project.close()
    assert "the last `carecase evaluate` failed" in _report_problems(root)
