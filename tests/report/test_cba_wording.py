"""The words around the CBA's figures say what was computed (an independent health-economics
review of the demo's report recomputed every figure and read the words beside them)."""

from __future__ import annotations

import json
from pathlib import Path

from carecase.report.sections.cba import NO_TRANSFER_NOTE, undiscounted_note


def _report(tmp_path: Path, transfer: bool):  # noqa: ANN202
    from carecase.core.project import Project
    from carecase.report.stage import project_report

    from .report_fixture_outputs import write_project

    root = write_project(tmp_path / "p")
    path = root / "out/cba/results.json"
    results = json.loads(path.read_text())
    results["benefits"] = [{"transfer": False, "value_type": "fiscal"}] + (
        [{"transfer": True, "value_type": "fiscal"}] if transfer else [])
    path.write_text(json.dumps(results))
    return results, project_report(Project.open(root))


def test_the_undiscounted_year_table_does_not_say_it_adds_up_to_the_npv(tmp_path: Path) -> None:
    """The demo's who-pays table (net £ by agency and year, undiscounted) carried 'The agencies'
    positions add up to the NPV': its totals add up to −£1,251,134, the NPV is −£1,173,253
    (each year after year 0 discounted at 3.5%). Only the present-value table adds up to it."""
    results, report = _report(tmp_path, transfer=False)
    tables = {t.id: t for t in report.tables()}
    years = tables["cba-matrix"]
    undiscounted = sum(sum(v) for v in results["matrix"].values())
    npv_of_agencies = sum(a["net_pv"] for a in results["agency_net"].values())
    assert abs(undiscounted - npv_of_agencies) > 1.0  # the fixture, like the demo: the two differ
    assert "add up to the NPV" not in years.note.replace("not add up to the NPV", "")
    assert "Undiscounted" in years.note and "not add up to the NPV" in years.note
    assert tables["cba-agency-net"].note == NO_TRANSFER_NOTE  # present values: they do add up


def test_the_undiscounted_note_names_transfers_where_there_are_any() -> None:
    with_transfer = undiscounted_note({"benefits": [{"transfer": True}]})
    assert "transfers" in with_transfer and "not add up to the NPV" in with_transfer
    assert "transfers" in undiscounted_note({})  # benefit rows not there: the cautious note
    assert "transfers" not in undiscounted_note({"benefits": [{"transfer": False}]})
