"""The evaluation's month-by-month chart (report.sections.trajectory): shown in a shared
report only when every month rests on more than the threshold's people with use in both
groups, no month is dominated, and the whole-system figures of the windows are shown too;
always in the internal report."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from carecase.core.project import Project
from carecase.report.content import Note
from carecase.report.stage import project_report

from .report_fixture_outputs import write_project

MONTHS = range(-12, 12)


def _report(tmp_path: Path, *, mode: str = "shared", few_month: int | None = None,
            dominated_month: int | None = None, matched_users: int = 60):
    root = write_project(tmp_path / "p", mode=mode)
    d = root / "out" / "evaluate"
    matched = pd.read_parquet(d / "matched.parquet")
    matched["treated_users"] = matched["control_users"] = matched_users
    matched.to_parquet(d / "matched.parquet", index=False)
    rows = []
    for key_type, key, measure in (("total", "all", "cost"), ("service", "AE_ATTEND", "events")):
        for m in MONTHS:
            rows.append({
                "month": m, "key_type": key_type, "key": key, "measure": measure,
                "treated_ppy": 3000.0 + 100 * (m < 0) * (m + 12), "control_ppy": 2900.0 + 90 * (m < 0) * (m + 12),
                "difference_ppy": -50.0 if m >= 0 else 0.0, "ci_low": -400.0, "ci_high": 300.0,
                "treated_person_years": 9.5, "control_person_years": 9.4,
                "treated_users": 3 if m == few_month else 60, "control_users": 55,
                "treated_largest_share": 0.9 if m == dominated_month else 0.1,
                "treated_second_share": 0.09 if m == dominated_month else 0.06,
                "control_largest_share": 0.1, "control_second_share": 0.06, "parent": ""})
    pd.DataFrame(rows).to_parquet(d / "trajectory.parquet", index=False)
    return project_report(Project.open(root))


def _evaluation(report):
    return next(s for s in report.sections if s.id == "evaluation")


def test_the_shared_report_shows_the_months_of_the_whole_system_cost(tmp_path):
    report = _report(tmp_path)
    chart = next(c for c in report.charts() if c.id == "chart-evaluation-trajectory")
    assert chart.table == "evaluation-trajectory"
    table = next(t for t in report.tables() if t.id == "evaluation-trajectory")
    assert [r["month"] for r in table.rows] == list(MONTHS)  # the total £ only, months in order
    assert len(chart.spec["data"]["values"]) == 2 * len(MONTHS)
    assert {v["group"] for v in chart.spec["data"]["values"]} == {"participants", "comparison group"}
    effect = next(c for c in report.charts() if c.id == "chart-evaluation-trajectory-effect")
    assert effect.table == "evaluation-trajectory"
    assert [v["difference"] for v in effect.spec["data"]["values"]] == [0.0] * 12 + [-50.0] * 12
    assert {(v["low"], v["high"]) for v in effect.spec["data"]["values"]} == {(-400.0, 300.0)}


def test_a_month_resting_on_few_people_withholds_the_chart(tmp_path):
    section = _evaluation(_report(tmp_path, few_month=4))
    assert not any(getattr(b, "id", "").startswith(("chart-evaluation-trajectory", "evaluation-trajectory"))
                   for b in section.blocks)
    note = next(b for b in section.blocks if isinstance(b, Note) and "month-by-month" in b.text)
    assert "1–7 people" in note.text and "internal report" in note.text


def test_a_dominated_month_withholds_the_chart(tmp_path):
    section = _evaluation(_report(tmp_path, dominated_month=-3))
    note = next(b for b in section.blocks if isinstance(b, Note) and "month-by-month" in b.text)
    assert "one or two people" in note.text


def test_a_hidden_window_total_withholds_the_chart(tmp_path):
    """The months pooled give a window's rate: shown beside a window total the report hides,
    they would give it back."""
    section = _evaluation(_report(tmp_path, matched_users=5))
    note = next(b for b in section.blocks if isinstance(b, Note) and "month-by-month" in b.text)
    assert "whole-system figure is hidden" in note.text


def test_the_internal_report_shows_the_months_whatever_they_rest_on(tmp_path):
    report = _report(tmp_path, mode="internal", few_month=4, dominated_month=-3)
    assert any(c.id == "chart-evaluation-trajectory" for c in report.charts())


def _hidden_total_report(tmp_path: Path, how: str):
    """The report when the effects table hides a whole-system £ row though the matched table's
    own whole-system rows pass: ``step`` (the naive total's months 8–12, from the two windows,
    one person's) or ``complement`` (a service's figures rest on 3 people, so another row
    that adds up with it is hidden too)."""
    root = write_project(tmp_path / "p", mode="shared")
    d = root / "out" / "evaluate"
    for name in ("naive", "naive_matched") if how == "step" else ():
        naive = pd.read_parquet(d / f"{name}.parquet")
        total = (naive["key_type"] == "total") & (naive["measure"] == "cost")
        naive.loc[total, "step_largest_share"] = 0.95
        naive.loc[total, "step_second_share"] = 0.04
        naive.to_parquet(d / f"{name}.parquet", index=False)
    matched = pd.read_parquet(d / "matched.parquet")
    matched["treated_users"] = matched["control_users"] = 60
    if how == "complement":
        matched.loc[matched["key"] == "AE_ATTEND", ["treated_users", "control_users"]] = 3
    matched.to_parquet(d / "matched.parquet", index=False)
    rows = [{"month": m, "key_type": "total", "key": "all", "measure": "cost", "treated_ppy": 3000.0,
             "control_ppy": 2900.0, "difference_ppy": -50.0, "ci_low": -400.0, "ci_high": 300.0,
             "treated_person_years": 9.5, "control_person_years": 9.4, "treated_users": 60,
             "control_users": 55, "treated_largest_share": 0.1, "treated_second_share": 0.06,
             "control_largest_share": 0.1, "control_second_share": 0.06, "parent": ""} for m in MONTHS]
    pd.DataFrame(rows).to_parquet(d / "trajectory.parquet", index=False)
    return project_report(Project.open(root))


def test_a_total_the_effects_table_hides_withholds_the_months(tmp_path):
    """Disclosure review: on the demo the shared report hid every window's whole-system row
    (as complements) yet showed the months, whose person-time-weighted means are the windows'
    rates: the participants' hidden 8-month change came back to within £1, and with the other
    agencies' shown rows subtracted, adult social care's hidden 8-month change, one person's
    use in months 8–12. Here the naive total's months 8–12 are one person's (a step figure),
    so the effects table hides the total, and the months are withheld too."""
    report = _hidden_total_report(tmp_path, "step")
    effects = next(t for t in report.tables() if t.id == "evaluation-effects")
    assert any(effects.rows[i]["key_type"] == "total" for i, _ in effects.hidden)
    assert not any(t.id == "evaluation-trajectory" for t in report.tables())
    note = next(b for b in _evaluation(report).blocks if isinstance(b, Note) and "month-by-month" in b.text)
    assert "whole-system figure is hidden" in note.text


def test_months_stay_when_only_services_are_hidden(tmp_path):
    """A service resting on 3 people hides it and other services as complements, not the
    total: the months give back nothing the tables hide, so they are shown."""
    report = _hidden_total_report(tmp_path, "complement")
    effects = next(t for t in report.tables() if t.id == "evaluation-effects")
    assert effects.hidden and not any(effects.rows[i]["key_type"] == "total" for i, _ in effects.hidden)
    assert any(t.id == "evaluation-trajectory" for t in report.tables())
