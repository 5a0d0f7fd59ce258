"""Break-even and avoided demand apart from intended increases, as a board reads them: in the
CBA section and the executive summary, in the Excel workbook, and withheld with the CBA's
other results where a shared report withholds them."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl

from carecase.core.project import Project
from carecase.report.content import Paragraph, Table
from carecase.report.sections.cba_break_even import (
    break_even_paragraph,
    break_even_table,
    split_blocks,
)
from carecase.report.stage import project_report
from carecase.report.xlsx import render_xlsx

from .report_fixture_outputs import write_project
from .test_few_users import _report

# the demo's break-even (seed 20240401): benefits below zero, an increase estimated
DEMO = {"model": {"years": [0, 1, 2, 3, 4], "price_base_year": 2024}, "p_npv_positive": 0.0,
        "break_even": {"benefit_per_participant_year": 5202.03, "benefit_measured_per_participant_year": 5559.01,
                       "adjustment": 0.95, "estimated_per_participant_year": -377.27,
                       "cost_per_participant_year": 5202.03, "cost_break_even_per_participant_year": None,
                       "evaluated": {"mean": -313.89, "ci_low": -1933.21, "ci_high": 1305.42}}}


def _text(report, sid: str) -> str:
    return " ".join(getattr(b, "text", "") for s in report.sections if s.id == sid for b in s.blocks)


def test_the_board_reads_break_even_beside_the_estimate_in_words() -> None:
    text = break_even_paragraph(DEMO).text  # type: ignore[union-attr]
    assert text.startswith("Break-even: to cover its costs over the 5-year appraisal period, 2024/25 prices")
    assert "save about £5,559 per participant per year, as savings are measured (the model counts that as £5,202 after" \
        in text
    assert ("For the services the model values, the evaluation estimated no saving but £314 more cost per "
            "participant per year (95% interval from £1,933 more cost to £1,305 saved): £5,873 a year short of "
            "break-even, and short of it even at the top of its interval") in text
    assert "The programme costs £5,202 per participant per year" in text and "no cost breaks even" in text
    # why £5,559 becomes £5,202 (a 6% cut where optimism bias is 5%), and why £5,202 is there twice
    assert "optimism bias counts each saving for less and each increase for more" in text
    assert "the same figure as break-even after the adjustments, as it must be" in text
    assert "break-even in 0.0% of the simulations: that is the chance NPV > 0" in text
    above = {**DEMO, "break_even": {**DEMO["break_even"], "evaluated": {"mean": 6000.0, "ci_low": 5000.0,
                                                                           "ci_high": 7000.0}}}
    assert ("The saving the evaluation estimated, for the services the model values, is £6,000 per participant "
            "per year (95% interval from £5,000 saved to £7,000 saved): £441 a year above break-even; break-even "
            "lies within its interval") in break_even_paragraph(above).text  # type: ignore[union-attr]
    assert break_even_paragraph({}) is None and break_even_table({}) is None and split_blocks({}) == []


def test_a_break_even_beyond_what_the_services_cost_before_is_said_to_be_out_of_reach() -> None:
    """A board member asked whether break-even was possible at all: the demo needs about £5,559
    a year from services that cost the participants less than that before they joined."""
    ev = {**DEMO["break_even"]["evaluated"], "break_even": 5559.01, "participants_cost_before": 3100.0,
          "pre_months": 12}
    text = break_even_paragraph({**DEMO, "break_even": {**DEMO["break_even"], "evaluated": ev}}).text  # type: ignore[union-attr]
    assert ("Break-even (£5,559 a year) is more than these services cost for the participants in the 12 months "
            "before they joined (£3,100 per person-year): even if they stopped using them altogether, the savings "
            "would not reach it.") in text
    within = {**ev, "participants_cost_before": 9000.0}
    assert "stopped using them" not in break_even_paragraph(  # type: ignore[union-attr]
        {**DEMO, "break_even": {**DEMO["break_even"], "evaluated": within}}).text


def test_what_the_evaluated_services_cost_before_is_summed_from_the_effects() -> None:
    from carecase.cba.break_even import cost_before

    effects = {"price_year": 2024, "windows": {"post_0_12": {"services": {
        "AE_ATTEND": {"cost_ppy": {"treated_pre": 257.33}}, "NEL_ADMIT": {"cost_ppy": {"treated_pre": 1000.0}},
        "GP_APPT": {"cost_ppy": {"treated_pre": 300.0}}}}}}
    ev = {"window": "post_0_12", "services": ["AE_ATTEND", "NEL_ADMIT"]}
    assert cost_before(effects, ev, 2024) == 1257.33
    assert cost_before(effects, ev, 2023) is None  # another price year: not uprated here
    assert cost_before(effects, {**ev, "services": ["AE_ATTEND", "MH_INPATIENT"]}, 2024) is None


def test_the_split_adds_up_to_the_npv() -> None:
    res = json.loads(json.dumps({"benefit_split": {
        "avoided_demand_pv": 1000.0, "intended_pv": -400.0, "pv_costs": 900.0, "npv": -300.0,
        "intended_outcomes": ["GP_APPT: evaluated effect (post_0_12)", "Tenancy kept"],
        "outcomes": [{"name": "AE_ATTEND: evaluated effect (post_0_12)", "intended": False},
                     {"name": "GP_APPT: evaluated effect (post_0_12)", "intended": True},
                     {"name": "Tenancy kept", "intended": True}]}}))
    para, table = split_blocks(res)
    assert isinstance(para, Paragraph) and isinstance(table, Table)
    assert "services the programme aims to use less of (A&E attendance) came to £1,000" in para.text
    assert "the changes it set out to make (GP appointment and Tenancy kept) to −£400 — a cost the programme " \
           "chose, not a failure" in para.text
    assert "£1,000 − £400 − £900 = NPV −£300" in para.text
    values = [r["pv"] for r in table.rows]
    assert sum(values[:-1]) == values[-1] == -300.0
    unmarked = {"benefit_split": {**res["benefit_split"], "intended_outcomes": []}}
    assert split_blocks(unmarked) == []  # nothing marked: nothing new to show


def test_shown_in_the_section_the_summary_and_the_workbook(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p")
    report = project_report(Project.open(root))
    cba, summary = _text(report, "cba"), _text(report, "summary")
    for text in (cba, summary):
        assert "Break-even: to cover its costs" in text and "£1,870 per participant per year" in text
        assert "£902,346 − £247,654" not in text  # the NPV's sum: avoided − intended − costs
        assert "£1,150,000 − £247,654 − £490,000 = NPV £412,346" in text
    ids = {t.id for t in report.tables()}
    assert {"cba-break-even", "cba-benefit-split"} <= ids
    path = render_xlsx(report, tmp_path / "r.xlsx")
    wb = openpyxl.load_workbook(path)
    sheets = {ws.title: ws for ws in wb.worksheets}
    assert "Cba break even" in sheets and "Cba benefit split" in sheets
    cells = [c for row in sheets["Cba break even"].iter_rows(values_only=True) for c in row]
    assert 1870.0 in cells and 1200.0 in cells  # as shown: whole £ in a shared report
    summary_cells = " ".join(str(c) for row in sheets["Summary"].iter_rows(values_only=True) for c in row if c)
    assert "Break-even: to cover its costs" in summary_cells


def test_withheld_with_the_cbas_other_results(tmp_path: Path) -> None:
    """A CBA input resting on few people withholds the NPV; break-even (PV costs ÷ the
    participant-years, beside the benefits) and the split would give the benefits back."""
    report = _report(tmp_path / "s", cba_input=True)
    for sid in ("summary", "cba"):
        text = _text(report, sid)
        assert "Break-even" not in text and "Avoided demand" not in text, sid
        assert "break-even" in text, sid  # the note on what is withheld names it
    assert not {"cba-break-even", "cba-benefit-split"} & {t.id for t in report.tables()}


def test_the_evaluated_saving_is_compared_with_its_own_break_even() -> None:
    """A model that values more than the evaluated services: NPV > 0, the whole model's
    measured break-even £36.84 is above the £10 evaluated, which needs only £6.84 with the
    model's other benefits as they are: the paragraph compares £10 with £6.84, above."""
    res = {"model": {"years": [0], "price_base_year": 2024},
           "break_even": {"benefit_per_participant_year": 35.0, "benefit_measured_per_participant_year": 36.84,
                          "adjustment": 0.95, "cost_per_participant_year": 35.0,
                          "evaluated": {"mean": 10.0, "ci_low": 5.0, "ci_high": 15.0, "break_even": 6.84}}}
    text = break_even_paragraph(res).text  # type: ignore[union-attr]
    assert ("save about £7 per participant per year, as savings are measured in the services the evaluation "
            "measured, with the model's other benefits as they are") in text
    assert "£3 a year above break-even" in text and "short" not in text
    measures = [r["measure"] for r in break_even_table(res).rows]  # type: ignore[union-attr]
    assert any(m.startswith("Break-even saving in the services the evaluation measured") for m in measures)


def test_break_even_names_the_evaluated_services_the_model_leaves_out() -> None:
    """The executive summary hides the whole-system effect and then gives 'the services the
    model values' £314: a board read it as the whole system, with adult social care left out."""
    left = {**DEMO, "evaluation_left_out": {"min_users": 10, "services": ["ASC_HOMECARE", "ASC_RESIDENTIAL"]}}
    text = break_even_paragraph(left).text  # type: ignore[union-attr]
    assert ("For the services the model values (all the evaluated services but Home care package and Residential "
            "care placement, which too few people used), the evaluation estimated no saving but £314 more cost") in text
    assert "For the services the model values, the evaluation" in break_even_paragraph(DEMO).text  # type: ignore[union-attr]


def test_the_summary_gives_the_outcome_scores_as_the_evaluation_shows_them(tmp_path: Path) -> None:
    """A board read the report without learning that the participants' outcome scores rose:
    the executive summary quotes each instrument's change in total from the disclosed table,
    never a figure it hides (the fixture's 12m row rests on 5 people)."""
    for mode, expected in (
            ("shared", "SWEMWBS total, baseline to 6m: mean change +2.9 (95 people, 70 improved; paired t-test p < 0.001)"),
            ("internal", "SWEMWBS total, baseline to 6m: mean change +2.90 (96 people, 70 improved; paired t-test "
                         "p = 0.0001)")):
        root = write_project(tmp_path / mode, mode=mode)
        project = Project.open(root)
        try:
            text = _text(project_report(project), "summary")
        finally:
            project.close()
        assert "Outcome measures (the participants' own change, with no comparison group" in text
        assert expected in text, text
        assert ("baseline to 12m" in text) == (mode == "internal")
