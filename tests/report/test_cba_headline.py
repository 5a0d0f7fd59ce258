"""What a board reads first about the CBA (found by a board member's reading of the demo's
shared report): what it costs and returns beside the ratios, whether the agencies' positions
add up to the NPV, and which evaluated effects the model leaves out."""

from __future__ import annotations

from carecase.report.sections.cba import (
    NO_TRANSFER_NOTE,
    TRANSFER_NOTE,
    headline_figures,
    left_out_paragraph,
    transfer_note,
    valued_types,
)
from carecase.report.sections.windows import plain_windows

# the demo's headline (out/cba/results.json)
DEMO = {"npv": -1089729.18, "bcr": 0.0038, "pv_costs": 1093918.77, "pv_public_value": 4189.59,
        "pv_fiscal": 4189.59, "pv_transfers": 0.0, "roi_fiscal": 0.0038, "roi_cashable": -0.0000891,
        "roi_public_value": 0.0038, "payback_year": "not within the period", "net_present_budget_impact": -766667.05}


def test_costs_and_benefits_come_first_and_public_value_says_what_it_counts() -> None:
    figs = headline_figures(DEMO, 0.0, {"fiscal"})
    assert [f.label for f in figs[:3]] == ["Costs", "Benefits", "Net present value"]
    assert figs[0].value == 1093918.77 and figs[1].value == 4189.59
    public = next(f for f in figs if f.label == "Public value ROI")
    assert "no economic or social benefit is valued" in public.detail
    budget = next(f for f in figs if f.label == "Net present budget impact")
    assert "in kind" in budget.detail
    for types in ({"fiscal", "social"}, None):  # social value valued, or the benefit rows unknown
        mixed = headline_figures({**DEMO, "pv_public_value": 9000.0}, None, types)
        assert next(f for f in mixed if f.label == "Public value ROI").detail == \
            "fiscal + economic + social benefits ÷ costs"
    # read from the benefit rows, transfers aside (a code review: comparing two PVs called a
    # model with no benefits, or one with fiscal transfers, fiscal-only or not)
    rows = [{"value_type": "fiscal", "transfer": False}, {"value_type": "fiscal", "transfer": True}]
    assert valued_types({"benefits": rows}) == {"fiscal"} and valued_types({}) is None


def test_the_agency_note_says_whether_positions_add_up_to_the_npv() -> None:
    """From the benefit rows: a transfer component at all (transfers that net to £0 in
    present value still move money between agencies)."""
    assert transfer_note({"benefits": [{"transfer": False}]}) == NO_TRANSFER_NOTE
    assert transfer_note({"benefits": [{"transfer": False}, {"transfer": True}]}) == TRANSFER_NOTE
    assert transfer_note({}) == TRANSFER_NOTE  # not known: the cautious note


def test_left_out_effects_are_named_without_their_counts() -> None:
    text = left_out_paragraph({"evaluation_left_out": {"services": ["ASC_HOMECARE", "ASC_RESIDENTIAL"],
                                                       "min_users": 10}}).text
    assert ("effects on Home care package (ASC_HOMECARE) and Residential care placement (ASC_RESIDENTIAL), "
            "which rest on fewer than 10 people") in text
    assert left_out_paragraph({"evaluation_left_out": {"services": [], "min_users": 10}}) is None
    assert left_out_paragraph({}) is None


def test_window_codes_in_cba_labels_read_as_words() -> None:
    assert plain_windows("AE_ATTEND: evaluated effect (post_0_12): £ per unit") == \
        "AE_ATTEND: evaluated effect (first 12 months after joining): £ per unit"
    assert plain_windows("window post_3_12, matched") == "window months 4–12 after joining, matched"
    assert plain_windows("no window here") == "no window here"


def test_summary_names_the_services_whose_use_changed_clearly(tmp_path) -> None:  # noqa: ANN001
    """From the rate ratios the Evaluation section shows (longest window, negative binomial,
    interval excluding 1); a hidden ratio is never named."""
    import pandas as pd

    from carecase.core.project import Project
    from carecase.report.stage import project_report

    from .report_fixture_outputs import write_project

    root = write_project(tmp_path / "p")
    path = root / "out/evaluate/rate_ratios.parquet"
    rr = pd.read_parquet(path)
    nb12 = (rr["model"] == "negative_binomial") & (rr["window"] == "post_0_12")
    rr.loc[nb12 & (rr["key"] == "NEL_ADMIT"), ["rate_ratio", "rr_ci_low", "rr_ci_high"]] = [1.4, 1.1, 1.8]
    rr.loc[nb12 & (rr["key"] == "MH_INPATIENT"), ["rate_ratio", "rr_ci_low", "rr_ci_high"]] = [0.3, 0.1, 0.7]
    rr.to_parquet(path, index=False)
    matched = root / "out/evaluate/matched.parquet"
    m = pd.read_parquet(matched)  # mental-health stays: 3 matched participants used them
    m = m.assign(treated_users=(m["key"] == "MH_INPATIENT").map({True: 3, False: 60}), control_users=60)
    m.to_parquet(matched, index=False)
    report = project_report(Project.open(root))
    text = " ".join(getattr(b, "text", "") for b in report.sections[0].blocks)
    assert "Service use that changed clearly" in text
    assert ": more (rate ratio 1.40, 95% CI 1.10–1.80)" in text  # its £ interval excludes no change
    # use changed clearly, its £ did not: said (a board read A&E's rate ratio 0.64 as a saving)
    nel = (m["key"] == "NEL_ADMIT") & (m["window"] == "post_0_12") & (m["measure"] == "cost")
    m.loc[nel, ["effect_ppy", "ci_low", "ci_high"]] = [120.0, -40.0, 280.0]
    m.to_parquet(matched, index=False)
    text = " ".join(getattr(b, "text", "") for b in project_report(Project.open(root)).sections[0].blocks)
    assert (": more (rate ratio 1.40, 95% CI 1.10–1.80; its £ change, £120 a person-year (95% CI −£40 to £280), "
            "includes no change)") in text
    assert "0.82" not in text  # the fixture's others: 0.82 (0.67–1.00) includes no change
    assert "0.30" not in text  # hidden: it rests on 3 people


def test_the_register_prints_an_evaluated_effect_to_the_pence_in_shared_reports(tmp_path) -> None:  # noqa: ANN001
    """The stage writes a distribution's parameters to 6 significant figures; the Evaluation
    section prints the same estimate to 2 decimals (a disclosure review: extra digits)."""
    from .test_few_users import _report

    def value(report) -> str:  # noqa: ANN001
        t = next(t for t in report.tables() if t.id == "assumptions-register")
        return next(r["value"] for r in t.shown if "evaluated effect" in str(r["name"]))

    shared = _report(tmp_path / "s", treated=30, control=30, naive=30, cba_input=True)
    assert value(shared) == "normal(mean=-868.12, sd=312.40)"  # -868.125 is stored just under it
    internal = _report(tmp_path / "i", treated=30, control=30, naive=30, cba_input=True, mode="internal")
    assert value(internal) == "normal(mean=-868.125, sd=312.4)"


def test_the_method_notes_explain_the_terms_a_board_meets(tmp_path) -> None:  # noqa: ANN001
    """A board member found DiD, person-year, SMD, MDE, E-value, deadweight and cashable used
    unexplained: the method notes open with a glossary of them, in shared and internal reports."""
    from carecase.core.project import Project
    from carecase.report.stage import project_report

    from .report_fixture_outputs import write_project

    report = project_report(Project.open(write_project(tmp_path / "p")))
    table = next(t for t in report.tables() if t.id == "glossary")
    terms = " ".join(str(r["term"]) for r in table.rows)
    for word in ("Person-year", "DiD", "MDE", "E-value", "SMD", "Deadweight", "Cashable", "Optimism bias", "*"):
        assert word in terms, word
    assert not table.hidden


def test_lists_and_windows_read_as_a_sentence() -> None:
    from carecase.report.sections.common import in_a_list
    from carecase.report.sections.windows import windows_in_words

    assert [in_a_list(w) for w in ([], ["a"], ["a", "b"], ["a", "b", "c"])] == ["", "a", "a and b", "a, b and c"]
    assert windows_in_words(["first 8 months after joining", "first 12 months after joining"]) == \
        "the first 8 and 12 months after joining"
    assert windows_in_words(["first 12 months after joining", "months 4–12 after joining"]) == \
        "the first 12 months after joining and months 4–12 after joining"


def test_benefits_below_zero_say_what_the_ratios_mean() -> None:
    """A board member read 'benefit-cost ratio −0.07' as a small return: where the benefits'
    present value is below zero a paragraph says the measured changes cost more than they
    saved, and that an intended increase counts as a cost."""
    from carecase.report.sections.cba import negative_benefits_note

    note = negative_benefits_note({"pv_public_value": -79_334.2, "bcr": -0.07})
    assert note is not None and note.text.startswith("The benefits are below zero (−£79,334 in present value)")
    assert "not a small return" in note.text and "counts here as a cost, not a failure" in note.text
    assert negative_benefits_note({"pv_public_value": 1.0}) is None and negative_benefits_note({}) is None
