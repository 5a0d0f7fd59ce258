"""Content model pieces: formatting, defensive loaders, identifier columns, logic model,
configuration, chart specs (rendered by vl-convert, i.e. valid Vega-Lite)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
import vl_convert
from hypothesis import given
from hypothesis import strategies as st

from carecase.core.config import validate_config
from carecase.core.errors import ConfigError, ReportError
from carecase.core.project import Project
from carecase.report.config import LogicModel, Outcome, ReportConfig
from carecase.report.content import format_value
from carecase.report.loaders import StageOutputs, pick, records
from carecase.report.sections.common import F, frame_table, is_identifier_column
from carecase.report.sections.logic import logic_svg
from carecase.report.stage import project_report
from carecase.report.xlsx import sheet_name

from .report_fixture_outputs import write_project


@pytest.mark.parametrize(("value", "fmt", "text"), [
    (1234567.4, "gbp", "£1,234,567"), (-105000.25, "gbp", "−£105,000"), (8298.9711, "gbp2", "£8,298.97"),
    (0.87, "pct", "87.0%"), (1.8444, "ratio", "1.84"), (0.0004, "p", "<0.001"), (None, "gbp", "–"),
    (float("nan"), "count", "–"), (1205, "count", "1,205"), ("year 3", "text", "year 3"),
])
def test_format_known_answers(value: object, fmt: str, text: str) -> None:
    """£8,298.97 a week: the published complex-needs audit figure (£863,092 over 104 weeks)."""
    assert format_value(value, fmt) == text


def test_records_accepts_each_matrix_shape() -> None:
    want = [{"row": "NHS", "col": "1", "value": 5.0}, {"row": "NHS", "col": "2", "value": 6.0}]
    assert records({"NHS": {"1": 5.0, "2": 6.0}}) == want
    assert records({"rows": ["NHS"], "columns": ["1", "2"], "values": [[5.0, 6.0]]}) == want
    assert records(want) == want
    assert records(None) == [] and records("x") == []


def test_pick_is_case_insensitive_and_ordered() -> None:
    df = pd.DataFrame({"Total_Cost": [1], "cost": [2]})
    assert pick(df, "cost_gbp", "total_cost", "cost") == "Total_Cost"
    assert pick(df, "nope") is None and pick(None, "cost") is None


@pytest.mark.parametrize("name", ["nhs_number", "NHS_Number", "given_name", "family_name", "dob", "postcode",
                                  "client_name", "address_line_1", "record_id", "local_pseudo",
                                  # pseudonymous and record-level identifiers
                                  "person_id", "PersonID", "row_id", "pseudo_id", "set_id", "patient_id",
                                  "client_id", "id", "nhs_pseudo", "pseudonym", "uprn", "hospital_number"])
def test_identifier_columns_are_recognised(name: str) -> None:
    assert is_identifier_column(name)


@pytest.mark.parametrize("name", ["name", "agency_l1", "service_name", "cost", "area_of_need", "amount_paid",
                                  "valid", "mid_point", "key", "rr_ci_low", "e_value_ci", "identity"])
def test_ordinary_columns_are_kept(name: str) -> None:
    assert not is_identifier_column(name)


def test_frame_table_drops_pseudonymous_ids_unless_kept() -> None:
    """person_id, row_id, pseudo_id… never reach a table inferred from a frame; the top-N
    table of an internal report keeps its declared person_id (keep_ids)."""
    df = pd.DataFrame({"rank": [1], "person_id": ["Pab12"], "row_id": [3], "pseudo_id": ["x9"],
                       "record_id": ["r1"], "nhs_number": ["9434765919"], "cost": [10.0]})
    t = frame_table("t", "t", df, [F("rank", "Rank", "int"), F("person_id", "Person", "text")], extra=True)
    assert [c.key for c in t.columns] == ["rank", "cost"]
    t = frame_table("t", "t", df, [F("rank", "Rank", "int"), F("person_id", "Person", "text")], extra=True,
                    keep_ids=("person_id",))
    assert [c.key for c in t.columns] == ["rank", "person_id", "cost"]


def test_frame_table_drops_identifiers_and_infers_counts() -> None:
    df = pd.DataFrame({"area": ["a", "b"], "people": [3, 50], "cost": [1.0, 2.0], "nhs_number": ["x", "y"]})
    t = frame_table("t", "t", df, [F("area", "Area")], extra=True)
    keys = {c.key: c for c in t.columns}
    assert "nhs_number" not in keys and keys["people"].count and keys["cost"].fmt == "gbp"


def test_corrupt_stage_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "audit").mkdir()
    (tmp_path / "audit" / "top_n.parquet").write_text("not parquet")
    with pytest.raises(ReportError, match="top_n.parquet.*carecase audit"):
        StageOutputs(tmp_path).table("audit", "top_n")


def test_logic_model_svg_lists_everything_and_is_stable() -> None:
    model = LogicModel(inputs=["Money"], activities=["Outreach & support"], outputs=["Plans"],
                       outcomes=[Outcome(name="Fewer crises", indicator="A&E per person-year")],
                       impacts=["Lower cost"])
    svg = logic_svg(model)
    assert svg == logic_svg(model) and svg.startswith("<svg")
    for text in ("Money", "Outreach &amp; support", "Plans", "Fewer crises", "Indicator: A&amp;E per",
                 "Lower cost", "Outcomes", "Impacts"):
        assert text in svg
    assert svg.count("marker-end") == 4


def test_no_logic_model_by_default_and_config_validation() -> None:
    """No made-up theory of change: the default is empty, and the section says none was given
    (a generic model used to be printed as "declared in the configuration")."""
    from carecase.report.sections import logic

    cfg = ReportConfig()
    assert not (cfg.logic_model.inputs or cfg.logic_model.outcomes or cfg.logic_model.impacts)
    sec = logic.build(SimpleNamespace(config=cfg))  # type: ignore[arg-type]
    assert [type(b).__name__ for b in sec.blocks] == ["Note"] and "No logic model" in sec.blocks[0].text
    assert cfg.suppression.threshold == 7 and cfg.suppression.rounding_base == 5
    base = {"project": {"name": "x", "period_start": "2022-01-01", "period_end": "2022-12-31"}}
    with pytest.raises(ConfigError, match=r"report.suppression.threshhold: unknown key. Did you mean 'threshold'"):
        validate_config({**base, "report": {"suppression": {"threshhold": 5}}})
    with pytest.raises(ConfigError, match=r"report.suppression.rounding_base = 0"):
        validate_config({**base, "report": {"suppression": {"rounding_base": 0}}})
    with pytest.raises(ConfigError, match="formats lists a format twice"):
        validate_config({**base, "report": {"formats": ["html", "html"]}})


@given(st.lists(st.text(min_size=0, max_size=40), min_size=1, max_size=30))
def test_sheet_names_are_valid_and_unique(titles: list[str]) -> None:
    used: set[str] = {"summary"}
    names = [sheet_name(t, used) for t in titles]
    assert len({n.lower() for n in names}) == len(names)
    for n in names:
        assert 0 < len(n) <= 31 and not set(n) & set("[]:*?/\\") and n.lower() != "summary"


def test_every_chart_spec_is_valid_vega_lite(tmp_path: Path) -> None:
    """vl-convert compiles and renders each spec (so Vega-Lite accepted it) with marks drawn."""
    report = project_report(Project.open(write_project(tmp_path / "p")))
    assert len(report.charts()) >= 12
    for chart in report.charts():
        svg = vl_convert.vegalite_to_svg(chart.spec)
        assert svg.count("<path") + svg.count("<rect") > 3, chart.id


def test_chart_data_from_counts_is_disclosed(tmp_path: Path) -> None:
    """A chart never shows a count its (shared) table suppresses."""
    report = project_report(Project.open(write_project(tmp_path / "p")))
    chart = next(c for c in report.charts() if c.id == "chart-data-linkage")
    by_method = {r["method"]: r["records"] for r in chart.spec["data"]["values"]}
    assert by_method["clerical"] is None and by_method["nhs_number"] == 2900


def test_non_finite_values_render_as_missing(tmp_path: Path) -> None:
    """An undefined ratio (±inf, NaN) is a dash in HTML and a blank cell in Excel, never an error."""
    import openpyxl

    from carecase.report.content import Column, Report, Section, Table
    from carecase.report.xlsx import render_xlsx

    assert format_value(float("inf"), "ratio") == "–" and format_value(-float("inf"), "gbp") == "–"
    t = Table("t", "t", [Column("a", "A", "ratio")], [{"a": float("inf")}, {"a": 2.0}])
    path = render_xlsx(Report("r", "", "internal", [Section("s", "S", [t])]), tmp_path / "r.xlsx")
    values = [r[0] for r in openpyxl.load_workbook(path)["T"].iter_rows(values_only=True)]
    assert values[-2:] == [None, 2.0]


def test_linkage_model_notes_are_shown_in_the_data_section(tmp_path: Path) -> None:
    """A level fixed in training (a small area, or a typo the data never shows) changes how
    records are scored; the linkage summary's notes are shown in the report's Data section."""
    import json

    from carecase.report.content import Note

    root = write_project(tmp_path / "p")
    path = root / "out" / "link" / "summary.json"
    summary = json.loads(path.read_text())
    note = ("given_name 'All other comparisons': no true match in training showed this level, so its m "
            "probability is fixed at 0.0098, the Jeffreys estimate for none of 50 candidate profiles")
    path.write_text(json.dumps({**summary, "notes": [note, "no probabilistic linkage: no NHS-identified records"]}))
    report = project_report(Project.open(root))  # shared: the note without its figures
    data = next(s for s in report.sections if s.id == "data")
    texts = [b.text for b in data.blocks if isinstance(b, Note)]
    assert not any("0.0098" in t or "50 candidate" in t for t in texts)  # ½ ÷ (n + 1) gives n back
    assert any("m probabilities were fixed at the Jeffreys estimate" in t for t in texts)
    assert any("no probabilistic linkage" in t for t in texts)
    internal = project_report(Project.open(root), mode="internal")
    data = next(s for s in internal.sections if s.id == "data")
    assert any(isinstance(b, Note) and note in b.text for b in data.blocks)


def test_the_data_section_names_the_inputs_by_role(tmp_path: Path) -> None:
    """'8 agency extract(s) were read' counted the population and programme registers, the
    ID lookups and the outcome readings as agency extracts."""
    import json

    from carecase.report.content import Paragraph

    root = write_project(tmp_path / "p")
    path = root / "out" / "ingest" / "summary.json"
    summary = json.loads(path.read_text())
    acute = summary["sources"]["acute"]
    summary["sources"].update({name: {**acute, "role": role} for name, role in [
        ("population", "population"), ("programme", "programme"), ("lookup_asc", "lookup"),
        ("lookup_housing", "lookup"), ("outcomes_star", "outcomes")]})
    path.write_text(json.dumps(summary))
    data = next(s for s in project_report(Project.open(root)).sections if s.id == "data")
    text = " ".join(b.text for b in data.blocks if isinstance(b, Paragraph))
    assert ("Data were read, validated and pseudonymised from 3 agency activity sources, the population register, "
            "the programme register, 2 ID lookups and 1 outcome measure.") in text
    assert "agency extract" not in text


def test_linkage_warnings_in_the_data_section(tmp_path: Path) -> None:
    """The link stage's warnings (say, names missing from the population register) are in
    the internal report's Data section; a shared report says there are some (their text can
    name counts of people)."""
    import json

    from carecase.report.content import Note

    warning = "only 11 of the 49 people with an NHS number have a name on any record"
    for mode in ("internal", "shared"):
        root = write_project(tmp_path / mode, mode=mode)
        path = root / "out" / "link" / "summary.json"
        path.write_text(json.dumps({**json.loads(path.read_text()), "warnings": [warning]}))
        data = next(s for s in project_report(Project.open(root)).sections if s.id == "data")
        notes = [b.text for b in data.blocks if isinstance(b, Note)]
        if mode == "internal":
            assert any(warning in n for n in notes)
        else:
            assert not any(warning in n for n in notes) and any("raised 1 warning(s)" in n for n in notes)


def test_a_value_that_rounds_to_zero_has_no_minus_sign() -> None:
    """A new user read the demo's 'Cashable ROI −0.00' (−0.000089) as a loss."""
    from carecase.report.content import format_value

    assert format_value(-8.9e-05, "ratio") == "0.00"
    assert format_value(-0.004, "gbp") == "£0" and format_value(-0.0001, "pct") == "0.0%"
    assert format_value(-0.6, "gbp") == "−£1" and format_value(-0.01, "ratio") == "−0.01"
    assert format_value(-12.345, "gbp2") == "−£12.35" and format_value(-0.0012, "num") == "−0.0012"


def test_window_labels_count_the_months_a_board_reads() -> None:
    """post_0_12 covers months 0 to 11 from the index date: 'months 0–12 after' read as 13."""
    from carecase.report.sections.windows import in_a_sentence, window_label

    assert window_label("post_0_12") == "first 12 months after joining"
    assert window_label("post_0_1") == "first month after joining"
    assert window_label("post_3_12") == "months 4–12 after joining"
    assert window_label("post_11_12") == "month 12 after joining"
    assert window_label("custom") == "custom"
    assert in_a_sentence(window_label("post_0_8")) == "the first 8 months after joining"
    assert in_a_sentence(window_label("post_3_12")) == "months 4–12 after joining"
