"""What a board member reads in the executive summary (found by a reader's review of the
demo's shared report): the headline intervals in words, what the programme costs when the
results are withheld, and why the naive figure is the matched participants' own."""

from __future__ import annotations

from pathlib import Path

from carecase.core.project import Project
from carecase.report.content import Paragraph
from carecase.report.sections.summary import verdict
from carecase.report.stage import project_report

from .report_fixture_outputs import write_project


def _row(lo: float, hi: float, mde: float | None = 1900.0, window: str = "first 12 months after joining") -> dict:
    return {"window": window, "effect_matched": (lo + hi) / 2, "ci_low_matched": lo, "ci_high_matched": hi,
            "mde_matched": mde}


def test_verdict_says_what_the_intervals_show() -> None:
    """'−£17 (95% CI −£1,290 to £1,267)' read as a saving; every interval spanning zero is
    no evidence either way, and the minimum detectable effect says how big an effect could
    have gone unseen."""
    both = verdict([_row(-1454, 1142, 2100), _row(-1290, 1267, 1900)])
    assert both.startswith("Every interval includes no change") and "£1,900" in both
    assert "not the same as showing there is none" in both
    clear = verdict([_row(-900, -100, window="first 8 months after joining"), _row(-1290, 1267)])
    assert clear == "The interval excludes no change for the first 8 months after joining."
    assert verdict([_row(-10, 10, None)]).endswith("there is none.")
    assert verdict([{"window": "w", "ci_low_matched": None, "ci_high_matched": 3}]) == ""


def test_the_summary_explains_the_matched_participants_naive(tmp_path: Path) -> None:
    """The fixture's 2 unmatched participants switch the naive to the matched participants'
    (docs/report.md); the summary says who is left out, and gives the verdict."""
    root = write_project(tmp_path / "p", mode="shared")
    report = project_report(Project.open(root))
    summary = next(s for s in report.sections if s.id == "summary")
    text = " ".join(b.text for b in summary.blocks if isinstance(b, Paragraph))
    assert "naive before/after of the matched participants" in text
    assert "a few participants had no comparable non-participant" in text
    internal = project_report(Project.open(write_project(tmp_path / "i", mode="internal")))
    text = " ".join(b.text for s in internal.sections if s.id == "summary" for b in s.blocks
                    if isinstance(b, Paragraph))
    assert "a few participants had no comparable non-participant" not in text and "naive before/after " in text


def test_the_naive_says_which_participants_it_covers(tmp_path: Path) -> None:
    """The matched DiD is of the matched participants alone, the naive of all of them: on the
    demo, -£1,516 for all 250 against -£1,046 for the 245 matched, a third of the naive-matched
    gap being the 5 dropped, not regression to the mean. The internal report gave "naive
    before/after" beside the matched figure with nothing said; it now names both populations
    and gives the matched participants' own naive; a shared report with many left unmatched
    (so showing the naive of all) says so without counts."""
    import pandas as pd

    from carecase.report.content import Table

    internal = write_project(tmp_path / "i", mode="internal")
    own = internal / "out" / "evaluate" / "naive_matched.parquet"
    nm = pd.read_parquet(own)
    nm["change_ppy"] = nm["change_ppy"] + 1000.0  # the matched participants' own naive, planted apart
    nm.to_parquet(own, index=False)
    report = project_report(Project.open(internal))
    summary = next(s for s in report.sections if s.id == "summary")
    text = " ".join(b.text for b in summary.blocks if isinstance(b, Paragraph))
    assert "naive before/after of all 120 participants −£6,090, of the 118 matched −£5,090" in text
    assert "the matched figures are of the 118 matched participants alone (the 2 left unmatched" in text
    effects = next(t for t in report.tables() if t.id == "evaluation-effects")
    assert isinstance(effects, Table)
    assert [c.label for c in effects.columns if c.key == "effect_naive"] == ["Naive change (all participants)"]
    assert "all 120 participants" in effects.note and "out/evaluate/naive_matched.csv" in effects.note

    shared = write_project(tmp_path / "s", mode="shared")
    counts = shared / "out" / "evaluate" / "match_counts.parquet"
    mc = pd.read_parquet(counts)
    mc["value"] = mc.apply(lambda r: {"treated_matched": 100, "treated_unmatched": 20}.get(r["count"], r["value"]),
                           axis=1)
    mc.to_parquet(counts, index=False)
    for name in ("matched",):
        path = shared / "out" / "evaluate" / f"{name}.parquet"
        df = pd.read_parquet(path)
        df["n_sets"] = 100
        df.to_parquet(path, index=False)
    report = project_report(Project.open(shared))
    summary = next(s for s in report.sections if s.id == "summary")
    text = " ".join(b.text for b in summary.blocks if isinstance(b, Paragraph))
    assert "naive before/after of all participants, matched or not" in text
    assert "including those left unmatched" in text and "120" not in text


def test_the_legend_says_a_star_is_not_always_small(tmp_path: Path) -> None:
    """'*' marked both a count of 1-7 and a figure hidden to protect one ('treated matched *',
    really 245): the legend said only the first."""
    report = project_report(Project.open(write_project(tmp_path / "p", mode="shared")))
    assert "a '*' does not mean the figure is small" in report.disclosure_note


def test_outcome_scores_say_they_have_no_comparison_group(tmp_path: Path) -> None:
    report = project_report(Project.open(write_project(tmp_path / "p", mode="shared")))
    table = next(t for t in report.tables() if t.id == "evaluation-outcomes")
    assert "with no comparison group" in table.note and "may overstate" in table.note


def test_the_audit_gives_its_price_year_and_the_costing_caveat(tmp_path: Path) -> None:
    """The audit's £ had no price year, and the costs stage's warning that overlapping stays
    are each costed in full (8,016 days on the demo) never reached the report's readers.
    A shared report gives the caveat without its counts of people."""
    import json

    for mode in ("shared", "internal"):
        root = write_project(tmp_path / mode, mode=mode)
        (root / "out" / "costs").mkdir(parents=True, exist_ok=True)
        (root / "out" / "costs" / "summary.json").write_text(json.dumps({
            "price_year": 2024, "overlapping_stays": {"people": 41, "pairs": 152, "days": 8016.0},
            "warnings": ["41 people have overlapping stays of one service (152 pairs, 8,016 days ...)"]}))
        report = project_report(Project.open(root))
        audit = next(s for s in report.sections if s.id == "audit")
        text = " ".join(getattr(b, "text", "") for b in audit.blocks)
        assert "All £ are at 2024/25 prices" in text
        assert ("41 people" in text) == (mode == "internal")
        assert "overlapping stays" in text


def test_activity_is_shown_per_service_never_added_across_units(tmp_path: Path) -> None:
    """A new user found 'Activity (units)' of an agency adding bed days, hours and
    attendances (45,214.00). Agencies and areas of need now show no activity; services
    show theirs, labelled as in each service's own unit."""
    report = project_report(Project.open(write_project(tmp_path / "p")))
    tables = {t.id: t for t in report.tables()}
    for tid in ("audit-agency", "audit-need"):
        assert not any(c.key == "activity" for c in tables[tid].columns), tid
    (col,) = [c for c in tables["audit-service"].columns if c.key == "activity"]
    assert "own unit" not in col.label  # a per-episode admission's activity is not bed days
    (unit,) = [c for c in tables["audit-service"].columns if c.key == "activity_unit"]
    # an audit from before activity_unit (this fixture's) says the unit is not recorded
    assert all("not recorded" in str(r["activity_unit"]) for r in tables["audit-service"].rows)


def test_each_service_names_the_unit_its_activity_counts(tmp_path: Path) -> None:
    """A finance reviewer read drug treatment's activity (152.93, costed per year) under
    'Activity (in the service's own unit: ... weeks…)' as weeks, and admissions costed per
    episode as bed days: the service table names each row's unit, from the audit."""
    import pandas as pd

    root = write_project(tmp_path / "p")
    path = root / "out" / "audit" / "cost_by_service.parquet"
    df = pd.read_parquet(path)
    df.assign(activity_unit=["unit-" + str(c) for c in df["service_code"]]).to_parquet(path)
    report = project_report(Project.open(root))
    table = next(t for t in report.tables() if t.id == "audit-service")
    assert [r["activity_unit"] for r in table.rows] == ["unit-" + str(r["service_code"]) for r in table.rows]


def test_entropy_balanced_zeros_say_the_weighting_made_them(tmp_path: Path) -> None:
    """'SMD after 0.00' on every row beside 'adequate when |SMD| < 0.1' read as perfect
    matching (a board reader); where the controls were entropy-balanced the balance table says
    the zeros show the weighting worked, and the method says how unequal the weights are."""
    import json

    root = write_project(tmp_path / "p", mode="internal")
    path = root / "out" / "evaluate" / "summary.json"
    summary = json.loads(path.read_text())
    summary["matching"] = {**summary.get("matching", {}), "calibrated": True, "control_rows": 200,
                           "control_ess": 81.0}
    path.write_text(json.dumps(summary))
    report = project_report(Project.open(root))
    balance = next(t for t in report.tables() if t.id == "evaluation-balance")
    assert "an SMD of 0.00 after shows that the weighting worked" in balance.note
    section = next(s for s in report.sections if s.id == "evaluation")
    text = " ".join(b.text for b in section.blocks if isinstance(b, Paragraph))
    assert "the controls count as about 40% of their number" in text
    # approximate balance (matching.balance_tolerance): the means are near, not equal
    summary["matching"]["balance_tolerance"] = 0.05
    path.write_text(json.dumps(summary))
    balance = next(t for t in project_report(Project.open(root)).tables() if t.id == "evaluation-balance")
    assert "is within 0.05 standard deviations of the participants': an SMD of about 0.05 or less" in balance.note
    assert "0.00" not in balance.note


def test_outcome_scores_say_how_each_total_is_scored_and_which_way_is_better(tmp_path: Path) -> None:
    """The table gave a 'total' row per instrument without saying what the total is (a sum, the
    SWEMWBS metric score from the Warwick conversion table, an EQ-5D index) or which way is
    better, though improved / worse follow it. The evaluate stage records each instrument's
    scoring; the note says it."""
    import json

    root = write_project(tmp_path / "p", mode="shared")
    path = root / "out" / "evaluate" / "summary.json"
    summary = json.loads(path.read_text())
    summary["matching"] = {**summary.get("matching", {}), "instruments": {
        "SWEMWBS": {"scoring": "swemwbs", "higher_is_better": True, "assessments": ["baseline", "6m", "12m"]}}}
    path.write_text(json.dumps(summary))
    table = next(t for t in project_report(Project.open(root)).tables() if t.id == "evaluation-outcomes")
    assert ("SWEMWBS: the total is the SWEMWBS metric score (7 items 1–5 summed, 7–35, converted with the "
            "Warwick Medical School conversion table; not scored with an item missing); higher is better; "
            "change from baseline to 12m (6m not used).") in table.note
    assert "paired t-test and the Wilcoxon signed-rank test" in table.note


def test_the_audit_says_its_cost_adds_what_people_pay_themselves(tmp_path: Path) -> None:
    """The demo's shared report put £2,945,690 under 'Local Authority – Adult Social Care'
    in Cost by agency, £981,897 of it the third of care that self-funders pay (the library's
    economic value), with no word of it: a council budget reader took it for the council's
    spend. The audit section says that cost adds economic to fiscal cost and names the
    services whose economic part sits under their provider's agency; figures only internally."""
    import json

    import pandas as pd

    for mode in ("shared", "internal"):
        root = write_project(tmp_path / mode, mode=mode)
        audit = root / "out" / "audit" / "summary.json"
        s = json.loads(audit.read_text())
        s.update(value_types=["economic", "fiscal"], fiscal_cost=4_500_000.0, economic_cost=1_000_000.0)
        audit.write_text(json.dumps(s))
        path = root / "out" / "costs" / "cost_by_service.parquet"
        by = pd.read_parquet(path)
        eco = by.iloc[[0]].assign(service_code="ASC_RESIDENTIAL", value_type="economic", cost=1_000_000.0)
        pd.concat([by, eco]).to_parquet(path)
        report = project_report(Project.open(root))
        section = next(s for s in report.sections if s.id == "audit")
        text = " ".join(getattr(b, "text", "") for b in section.blocks)
        assert "fiscal cost (what public bodies pay) plus economic cost" in text
        assert "(ASC_RESIDENTIAL) is shown under the agency that provides it" in text
        assert ("£1,000,000 economic" in text) == (mode == "internal")
    # none where the audit adds no economic cost (the fixture as written)
    report = project_report(Project.open(write_project(tmp_path / "none")))
    section = next(s for s in report.sections if s.id == "audit")
    assert "plus economic cost" not in " ".join(getattr(b, "text", "") for b in section.blocks)


def test_the_workbook_gives_the_gini_with_the_concentration_table(tmp_path: Path) -> None:
    """The HTML gave the Gini coefficient as a paragraph after 'Concentration of spend', which
    the workbook (tables only) left out: a reviewer checking the report's Excel sheets found
    no Gini. It is the concentration table's note, so its sheet carries it."""
    import openpyxl

    from carecase.report.xlsx import render_xlsx

    for mode in ("shared", "internal"):
        report = project_report(Project.open(write_project(tmp_path / mode, mode=mode)))
        table = next(t for t in report.tables() if t.id == "audit-concentration")
        assert table.note.startswith("Gini coefficient of cost per person: 0.62 ")
        section = next(s for s in report.sections if s.id == "audit")
        assert sum("Gini coefficient" in (getattr(b, "text", "") or "") for b in section.blocks) == 0  # not twice
        wb = openpyxl.load_workbook(render_xlsx(report, tmp_path / f"{mode}.xlsx"))
        cells = [str(v) for ws in wb for row in ws.iter_rows(values_only=True) for v in row if v]
        assert any(c.startswith("Gini coefficient of cost per person: 0.62") for c in cells)
