import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from carecase.cba import stage
from carecase.cli import app
from carecase.core.errors import CBAError
from carecase.core.project import Project

from .helpers import rich_model, simple_model
from .test_from_evaluation import EFFECTS

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "cba_example.yaml"


def _project(tmp_path: Path, cba: dict) -> Path:
    cfg = {"project": {"name": "t", "period_start": "2023-04-01", "period_end": "2024-03-31"},
           "cba": cba}
    (tmp_path / "carecase.yaml").write_text(yaml.safe_dump(cfg))
    return tmp_path


def test_stage_writes_results_tables_and_workbook(tmp_path: Path) -> None:
    model = rich_model()
    model["monte_carlo"]["draws"] = 300
    root = _project(tmp_path, {"inline": model})
    summary = stage.run(Project.open(root))
    assert summary["headline"].startswith("NPV £")
    out = root / "out" / "cba"
    r = json.loads((out / "results.json").read_text())
    for key in ("headline", "matrix", "agency_net", "cashflow", "tornado", "npv_draws",
                "p_npv_positive", "switching_values", "scenarios", "assumptions"):
        assert key in r
    for key in ("npv", "bcr", "roi_cashable", "roi_public_value", "payback_year",
                "net_present_budget_impact"):
        assert key in r["headline"]
    # not suppressed, and says so (docs/privacy.md: share out/report/ instead)
    assert r["disclosure"].startswith("internal: no small-number suppression")
    for name in stage.TABLES:
        assert (out / f"{name}.parquet").exists() and (out / f"{name}.csv").exists()
    costs = pd.read_parquet(out / "cba_costs.parquet")
    assert costs["adjusted"].sum() == pytest.approx(sum(x["adjusted"] for x in r["costs"]))
    assert (out / "model.xlsx").exists()
    first = (out / "results.json").read_bytes(), (out / "cba_matrix.csv").read_bytes()
    stage.run(Project.open(root))
    assert ((out / "results.json").read_bytes(), (out / "cba_matrix.csv").read_bytes()) == first


def test_stage_model_file_with_evaluation_outcomes(tmp_path: Path) -> None:
    model = simple_model()
    (tmp_path / "m.yaml").write_text(yaml.safe_dump(model))
    root = _project(tmp_path, {"model": "m.yaml", "draws": 200, "from_evaluation": {
        "cohort": "c", "window": "0-11", "services": ["AE_ATTEND"]}})
    with pytest.raises(CBAError, match="run `carecase evaluate` first"):
        stage.run(Project.open(root))
    (root / "out" / "evaluate").mkdir(parents=True)
    (root / "out" / "evaluate" / "effects.json").write_text(json.dumps(EFFECTS))
    stage.run(Project.open(root))
    r = json.loads((root / "out" / "cba" / "results.json").read_text())
    assert any(o["path"].startswith("outcomes[1].values[0]") for o in r["assumptions"])


def test_stage_skips_without_model(tmp_path: Path) -> None:
    assert stage.run(Project.open(_project(tmp_path, {})))["headline"].startswith("skipped")


def test_cli_on_example(tmp_path: Path) -> None:
    js, xl = tmp_path / "o.json", tmp_path / "o.xlsx"
    res = CliRunner().invoke(app, ["cba", str(EXAMPLE), "--json", str(js), "--xlsx", str(xl),
                                   "--draws", "500"])
    assert res.exit_code == 0, res.output
    assert "Net present value" in res.output and "Who pays" in res.output
    r = json.loads(js.read_text())
    assert r["npv_draws"]["draws"] == 500 and xl.exists()


def test_cli_writes_a_model_file_s_tables(tmp_path: Path) -> None:
    """--tables writes what a project's out/cba/ holds (who pays and who benefits by agency
    and year, pasteable into a board paper), for a model file run on its own."""
    import pandas as pd

    out = tmp_path / "tables"
    res = CliRunner().invoke(app, ["cba", str(EXAMPLE), "--tables", str(out), "--draws", "500"])
    assert res.exit_code == 0, res.output
    matrix = pd.read_csv(out / "cba_matrix.csv")
    assert {"agency", "year"} <= set(matrix.columns) and "Local Authority" in set(matrix["agency"])
    assert (out / "cba_break_even.csv").exists() and (out / "model.xlsx").exists()


def test_cli_on_project_folder(tmp_path: Path) -> None:
    shutil.copy(EXAMPLE, tmp_path / "cba.yaml")
    root = _project(tmp_path, {"model": "cba.yaml", "draws": 100})
    res = CliRunner().invoke(app, ["cba", str(root), "--draws", "200"])
    assert res.exit_code == 0, res.output
    assert "Local Authority" in res.output
    # a project folder runs the stage: out/cba/ is written for the report, as by `carecase run`
    written = json.loads((root / "out" / "cba" / "results.json").read_text())
    assert written["npv_draws"]["draws"] == 200 and (root / "out" / "cba" / "model.xlsx").exists()
    assert json.loads((root / "out" / "cba" / "summary.json").read_text())["headline"].startswith("NPV £")


def test_cli_bad_model_is_a_clear_error(tmp_path: Path) -> None:
    bad = simple_model()
    bad["costs"][0]["amount"] = -1
    p = tmp_path / "bad.yaml"
    p.write_text(yaml.safe_dump(bad))
    res = CliRunner().invoke(app, ["cba", str(p)])
    assert res.exit_code != 0
    assert isinstance(res.exception, CBAError) and "costs[0].amount = -1: this amount must be ≥ 0" in str(res.exception)


def test_evaluated_effects_are_uprated_with_the_projects_price_index(tmp_path: Path) -> None:
    """effects.json at 2023/24 prices, model at 2024/25: the CBA uprates with the project's
    costs.deflator (here a user index, 100 → 110), the index the costs stage uses too."""
    from .test_from_evaluation import EVALUATE_SHAPE

    (tmp_path / "index.csv").write_text("year,value,basis\n2022,95,financial\n2023,100,financial\n2024,110,financial\n")
    model = {**simple_model(), "price_base_year": 2024}
    (tmp_path / "m.yaml").write_text(yaml.safe_dump(model))
    cfg = {"project": {"name": "t", "period_start": "2023-04-01", "period_end": "2024-03-31"},
           "costs": {"price_year": 2024, "deflator": "index.csv"},
           "cba": {"model": "m.yaml", "draws": 100, "unit_costs": "builtin",
                   "from_evaluation": {"cohort": "c", "window": "0-11"}}}
    (tmp_path / "carecase.yaml").write_text(yaml.safe_dump(cfg))
    (tmp_path / "out" / "evaluate").mkdir(parents=True)
    (tmp_path / "out" / "evaluate" / "effects.json").write_text(json.dumps(EVALUATE_SHAPE))
    built = stage.project_model(Project.open(tmp_path))
    assert built is not None
    evaluated = [o for o in built[0].outcomes if o.name.startswith("NEL_ADMIT")]
    assert evaluated[0].values[0].amount.mean == pytest.approx(500.0 * 1.1)


@pytest.mark.parametrize("draws", ["1", "0", "-5", "1000001"])
def test_cli_draws_outside_the_allowed_range_refused(draws: str) -> None:
    """--draws 1 ran a one-draw Monte Carlo, 0 silently used the model's default and -5 failed
    with "unexpected error"; each is now refused before anything runs, naming --draws and its
    range (2–1,000,000, as monte_carlo.draws allows)."""
    res = CliRunner().invoke(app, ["cba", str(EXAMPLE), "--draws", draws])
    assert res.exit_code == 2, res.output
    assert "--draws" in res.output
    assert ("greater than or equal to 2" in res.output if int(draws) < 2
            else "less than or equal to 1000000" in res.output)


def test_analyse_refuses_bad_draws() -> None:
    from carecase.cba.load import model_from_dict
    from carecase.cba.results import analyse

    with pytest.raises(CBAError, match=r"draws = 0: Monte Carlo draws must lie in 2–1,000,000"):
        analyse(model_from_dict(simple_model()), draws=0)


def test_cli_values_codes_as_the_default_library_at_the_price_base(tmp_path: Path) -> None:
    """`carecase cba MODEL.yaml` values unit_cost codes from the shipped library uprated to
    price_base_year: the numbers of the project library loaded at that year (there is no
    --library switch: the two gave the same numbers)."""
    from carecase.cba.library_lookup import library_lookup
    from carecase.cba.load import load_yaml_model
    from carecase.cba.results import analyse

    js = tmp_path / "o.json"
    res = CliRunner().invoke(app, ["cba", str(EXAMPLE), "--json", str(js), "--draws", "50"])
    assert res.exit_code == 0, res.output
    lib = library_lookup(2024)
    want = analyse(load_yaml_model(EXAMPLE, lib), lib, uncertainty=False)
    got = json.loads(js.read_text())
    assert got["headline"]["npv"] == pytest.approx(want["headline"]["npv"], rel=1e-12)
    res = CliRunner().invoke(app, ["cba", str(EXAMPLE), "--no-library"])
    assert res.exit_code == 2


def test_money_is_written_one_way() -> None:
    """The stage's headline line and `carecase cba` write money alike: -£616,041."""
    from carecase.cba import cli
    from carecase.cba.formatting import money

    assert cli.money is money and stage.money is money
    assert money(-616041.2) == "-£616,041"
    assert money(1585092.2) == "£1,585,092" and money(-0.4) == "£0" and money(None) == "n/a"
    h = {"npv": -616041.2, "bcr": 0.0612, "payback_year": "not within the period"}
    assert stage.headline_text({"headline": h}) == \
        "NPV -£616,041, BCR 0.06, payback not within the period"
    from carecase.cba.formatting import ratio_text

    assert ratio_text(-0.004) == "0.00" and ratio_text(-0.0612) == "-0.06" and ratio_text(None) == "n/a"


def test_stage_model_without_price_base_year_takes_costs_price_year(tmp_path: Path) -> None:
    """In a project the library is loaded, and evaluated effects uprated, to costs.price_year;
    a model that gives no price_base_year is read at that year (so unit_cost outcomes are
    not refused for want of one)."""
    model = simple_model()
    model["outcomes"].append({"name": "work", "cohort": "c", "unit_cost": "E&E1.0",
                              "confidence_grade": 1})
    root = _project(tmp_path, {"inline": model, "draws": 100})
    built = stage.project_model(Project.open(root))
    assert built is not None and built[0].price_base_year == 2024


def test_a_price_base_year_the_projects_index_lacks_names_the_models_setting(tmp_path: Path) -> None:
    """price_base_year: 2025 in a project's model was refused by the price index's message
    'Set costs.price_year inside that range' (costs.price_year was 2024, inside it): the
    setting to change is the model's."""
    model = simple_model(price_base_year=2025)
    model["outcomes"].append({"name": "work", "cohort": "c", "unit_cost": "E&E1.0",
                              "confidence_grade": 1})
    root = _project(tmp_path, {"inline": model, "draws": 100})
    with pytest.raises(CBAError) as exc:
        stage.project_model(Project.open(root))
    msg = str(exc.value)
    assert "cba.inline: price_base_year = 2025: the project's price index (costs.deflator = 'hmt_gdp') " \
        "covers 1990–2024, so its unit costs cannot be priced at 2025/26" in msg
    assert "(the latest: 2024 for 2024/25), or leave it out to use costs.price_year (2024)" in msg
    assert "Set costs.price_year" not in msg


def test_stage_draws_evaluated_effects_jointly_and_carries_the_balance_caveat(tmp_path: Path) -> None:
    """The project's model gets effects.json's correlation as a correlations group over the
    evaluated outcomes, and an unbalanced evaluation is named in the headline line."""
    from .test_from_evaluation import CORRELATED

    (tmp_path / "m.yaml").write_text(yaml.safe_dump(simple_model()))
    root = _project(tmp_path, {"model": "m.yaml", "draws": 200, "from_evaluation": {
        "cohort": "c", "window": "0-11"}})
    (root / "out" / "evaluate").mkdir(parents=True)
    effects = {**CORRELATED, "balance": {"balanced": False, "max_abs_smd": 0.265}}
    (root / "out" / "evaluate" / "effects.json").write_text(json.dumps(effects))
    built = stage.project_model(Project.open(root))
    assert built is not None
    (group,) = built[0].correlations
    assert group.inputs == [f"outcomes[{i}].values[0].amount" for i in (1, 2, 3)]
    summary = stage.run(Project.open(root))
    assert "not balanced (largest |SMD| 0.27)" in summary["headline"]
    r = json.loads((root / "out" / "cba" / "results.json").read_text())
    assert r["evaluation_balance"] == {"balanced": False, "max_abs_smd": 0.265}


def test_a_project_whose_effects_all_rest_on_few_users_skips_the_cba(tmp_path: Path) -> None:
    """A 150-person demo stopped at the CBA: every evaluated effect rested on fewer than
    cba.from_evaluation.min_users users. The stage is skipped with a note (the pipeline goes
    on to the report), and an earlier run's outputs are removed, not shown as this run's."""
    effects = {"price_year": 2024, "windows": {"post_0_12": {"services": {
        "AE_ATTEND": {"agency_l1": "NHS", "cost_ppy": {"effect": -100.0, "ci_low": -200.0, "ci_high": 0.0,
                                                       "treated_users": 3, "control_users": 4}}}}}}
    model = rich_model()
    model["monte_carlo"]["draws"] = 100
    root = _project(tmp_path, {"inline": model})
    stage.run(Project.open(root))
    assert (root / "out" / "cba" / "results.json").exists()
    (root / "out" / "evaluate").mkdir(parents=True, exist_ok=True)
    (root / "out" / "evaluate" / "effects.json").write_text(json.dumps(effects))
    cohort = model["cohorts"][0]["name"]
    root = _project(tmp_path, {"inline": model, "from_evaluation": {"cohort": cohort, "min_users": 10}})
    summary = stage.run(Project.open(root))
    assert summary["headline"].startswith("skipped: no evaluated effect in window 'post_0_12'")
    assert "AE_ATTEND (3 participants, 4 comparison people)" in summary["notes"][0]
    assert sorted(p.name for p in (root / "out" / "cba").iterdir()) == ["summary.json"]
    res = CliRunner().invoke(app, ["cba", str(root)])
    assert res.exit_code == 0 and "skipped" in res.output


def test_an_agency_whose_effects_were_left_out_for_few_users_is_refused_saying_so(tmp_path: Path) -> None:
    """cashable.Police with police custody evaluated but used by fewer than min_users people:
    the error said Police 'pays nothing and benefits nothing', blaming the entry without
    saying that the evaluation's effect on police custody was left out, nor how to value it."""
    effects = {"price_year": 2024, "windows": {"post_0_12": {"services": {
        "AE_ATTEND": {"agency_l1": "NHS", "cost_ppy": {"effect": -100.0, "ci_low": -200.0, "ci_high": 0.0,
                                                       "treated_users": 40, "control_users": 38}},
        "POL_CUSTODY": {"agency_l1": "Police", "cost_ppy": {"effect": -50.0, "ci_low": -90.0, "ci_high": -10.0,
                                                            "treated_users": 7, "control_users": 2}}}}}}
    model = simple_model(cashable={"NHS": 0.2, "Police": 0.1})
    (tmp_path / "out" / "evaluate").mkdir(parents=True)
    (tmp_path / "out" / "evaluate" / "effects.json").write_text(json.dumps(effects))
    root = _project(tmp_path, {"inline": model, "from_evaluation": {"cohort": "c", "window": "post_0_12",
                                                                    "min_users": 5}})
    with pytest.raises(CBAError) as err:
        stage.run(Project.open(root))
    msg = " ".join(str(err.value).split())
    assert ("cashable.Police = 0.1: this agency pays nothing and benefits nothing: Police's evaluated effect "
            "(POL_CUSTODY) was left out by cba.from_evaluation.min_users = 5 (POL_CUSTODY: 7 participants / "
            "2 comparison people who used it), so the CBA values no benefit to Police. Either remove "
            "cashable.Police, or lower cba.from_evaluation.min_users to 2 to value it, knowing that") in msg
    assert "rests on 1–7 users (report.suppression.threshold)" in msg
    # with the entry removed, the CBA runs without Police
    root = _project(tmp_path, {"inline": simple_model(cashable={"NHS": 0.2}),
                               "from_evaluation": {"cohort": "c", "window": "post_0_12", "min_users": 5}})
    assert stage.run(Project.open(root))["headline"].startswith("NPV £")


def test_cli_names_the_outcomes_on_the_health_schedule(tmp_path: Path) -> None:
    """The console showed the NPV but not which outcomes were discounted at 1.5%."""
    import yaml

    from .helpers import health_model

    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(health_model()))
    res = CliRunner().invoke(app, ["cba", str(path), "--draws", "200"])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "health schedule (1.5% years 0–30, then declining): QALYs gained" in text.replace("│ ", "")
    path.write_text(yaml.safe_dump(health_model("standard")))
    res = CliRunner().invoke(app, ["cba", str(path), "--draws", "200"])
    assert "health schedule" not in res.output


def test_a_long_appraisal_lists_years_down_the_page() -> None:
    """31 years as columns folded every figure in two ('£1,' over '000'); beyond 8 years the
    who-pays table has a row a year and an agency a column, figures whole."""
    from rich.console import Console

    from carecase.cba.cli import who_pays_table
    from carecase.cba.load import model_from_dict
    from carecase.cba.results import analyse

    from .helpers import health_model, simple_model

    results = analyse(model_from_dict(health_model()), draws=200)
    console = Console(width=80, record=True)
    console.print(who_pays_table(results))
    text = console.export_text()
    lines = [line for line in text.splitlines() if line.startswith("│ y")]
    assert len(lines) == 31 and "£1,000" in lines[30] and "£500" in lines[30]
    assert "net PV" in text and "£24,016" in text
    short = analyse(model_from_dict(simple_model()), draws=200)
    console = Console(width=120, record=True)
    console.print(who_pays_table(short))
    text = console.export_text()
    assert "agency" in text and "y5" in text
