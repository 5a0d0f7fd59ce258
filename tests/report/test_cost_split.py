"""The fiscal / economic split is not shown in shared reports. Economic cost comes from a few
services (adult social care's self-funded third), so every economic figure is those
services' cost for the row's people: on a 300-person demo the all-people row's economic
cost × 3 gave back adult social care's hidden agency total (and by difference the other
hidden agency's, and its bed days); the cohort's and top group's gave back the care costs of
2 or 3 people, which have no count to suppress. Internal reports keep the split."""

from __future__ import annotations

from pathlib import Path

from carecase.core.project import Project
from carecase.report.stage import project_report

from .report_fixture_outputs import write_project

SPLIT = {"fiscal_cost", "economic_cost"}


def _columns(tmp_path: Path, mode: str) -> dict[str, set[str]]:
    report = project_report(Project.open(write_project(tmp_path / mode, mode=mode)))
    return {t.id: {c.key for c in t.columns} for t in report.tables() if t.id.startswith("audit")}


def test_shared_audit_tables_show_total_cost_only(tmp_path: Path) -> None:
    shared = _columns(tmp_path, "shared")
    assert {"audit-agency", "audit-cohort", "audit-need", "audit-service"} <= set(shared)
    for tid, keys in shared.items():
        assert not keys & SPLIT, tid
    assert "cost" in shared["audit-agency"] and "cost" in shared["audit-cohort"]
    internal = _columns(tmp_path, "internal")
    assert SPLIT <= internal["audit-agency"] and SPLIT <= internal["audit-service"]


def test_the_shared_headline_rounds_the_people_as_the_tables_do() -> None:
    """'across 4,002 people' beside a cohort table rounding everyone to 4,000: an exact total
    beside rounded parts narrows them. The shared headline says 'about 4,000'."""
    from carecase.report.sections.audit import shared_headline

    summary = {"total_cost": 20526798.8, "people": 4002}
    assert shared_headline(summary, None, None, None, 5) == "£20,526,799 across about 4,000 people"
    assert shared_headline(summary, None, None, None) == "£20,526,799 across 4,002 people"
    assert shared_headline({**summary, "people": 4000}, None, None, None, 5) == "£20,526,799 across 4,000 people"
