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
    positions add up to the NPV': its totals added up to −£1,251,134, the NPV was −£1,173,253
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


# the demo's results.json "model" block (price_base_year 2024 = 2024/25; standard schedule)
GREEN_BOOK = [[0, 0.035], [31, 0.03], [76, 0.025], [126, 0.02], [201, 0.015], [301, 0.01]]
DEMO_MODEL = {"name": "Caxton complex-needs team", "price_base_year": 2024, "discounting": "standard",
              "discount_bands": GREEN_BOOK, "years": [0, 1, 2, 3, 4]}


def test_the_model_paragraph_gives_the_price_year_and_the_discount_rate() -> None:
    """The paragraph said 'prices at 2024, discounting: standard': a financial year read as a
    calendar one, and no rate. HM Treasury Green Book (2022) Table 8: 3.5% for years 0–30,
    3.0% for 31–75; year 0 is not discounted (DF(0) = 1)."""
    from carecase.report.sections.cba import _discount_text, _prices

    assert _prices(DEMO_MODEL) == "2024/25 prices"
    assert _prices({"price_base_year": 2009}) == "2009/10 prices"
    assert _discount_text(DEMO_MODEL) == ("discounted at 3.5% a year (year 0 is not discounted); "
                                          "HM Treasury Green Book, standard schedule")
    forty = {**DEMO_MODEL, "years": list(range(40))}  # years 0–39 reach the 3.0% band
    assert _discount_text(forty).startswith("discounted at 3.5% from year 1, 3% from year 31")
    custom = {"discounting": "custom", "discount_bands": [[0, 0.015]], "years": [0, 1, 2]}
    assert _discount_text(custom) == "discounted at 1.5% a year (year 0 is not discounted); custom schedule"
    assert _discount_text({"discounting": "standard"}) == "discounting: standard"  # an older results.json


def test_the_payback_tile_says_stays_not_first_touches() -> None:
    """payback_year is the first year from which the cumulative discounted net stays ≥ 0 to the
    end of the period (docs/cba.md), not the first year it reaches 0."""
    from carecase.report.sections.cba import headline_figures

    payback = next(f for f in headline_figures({"payback_year": 3}, None) if f.label == "Payback")
    assert payback.value == "year 3" and "stays ≥ 0 to the end of the period" in payback.detail
