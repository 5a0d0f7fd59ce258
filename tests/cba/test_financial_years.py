"""Years named as financial years (a board reads budgets by financial year, April to March):
``first_financial_year`` is the start year of the financial year that year 0 is (2025 =
2025/26), and every year shown also names its financial year. Labels only: without the
setting every output is as before; with it no figure changes.

The label is written as the project writes price years: docs/cba.md ("financial year (start
year: 2024 = 2024/25)") and docs/engines.md (``fiscal_year_label``: 2023/24), a slash and the
end year's last two digits, so the year that starts in 1999 is 1999/00 (HM Treasury's PESA
tables write 1999-00; the project's slash is kept)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from carecase.cba import stage
from carecase.cba.formatting import financial_year, payback_words, year_heading
from carecase.cba.load import model_from_dict
from carecase.cba.results import analyse
from carecase.core.errors import CBAError, ConfigError
from carecase.core.project import Project

from .helpers import simple_model

LABELS = ("financial_year", "first_financial_year", "financial_years", "payback_financial_year")


@pytest.mark.parametrize(("year", "first", "label"), [
    (0, 2024, "2024/25"),   # docs/cba.md: 2024 = 2024/25
    (0, 2025, "2025/26"),
    (3, 2025, "2028/29"),   # year 3 of a programme whose year 0 is 2025/26
    (0, 1999, "1999/00"),   # the century turns: two digits, 00
    (1, 1998, "1999/00"),
    (0, 2099, "2099/00"),
    (2, 2099, "2101/02"),   # a label past the setting's range: the period may run beyond 2100
    (0, 2009, "2009/10"),
])
def test_a_year_is_labelled_as_the_financial_year_it_falls_in(year: int, first: int, label: str) -> None:
    assert financial_year(year, first) == label


def test_headings_and_payback_words_name_the_financial_year_only_when_set() -> None:
    assert financial_year(3, None) is None
    assert year_heading(3, None) == "Year 3" and year_heading(3, None, short=True) == "y3"
    assert year_heading(3, 2025) == "2028/29 (year 3)"
    assert year_heading(3, 2025, short=True) == "2028/29 (y3)"
    assert payback_words(3, None) == "year 3"
    assert payback_words(3, 2025) == "year 3, 2028/29"
    assert payback_words("not within the period", 2025) == "not within the period"
    assert payback_words(None, 2025) == "not within the period"


@pytest.mark.parametrize("year", [1989, 2101, "soon"])
def test_a_first_financial_year_outside_1990_to_2100_is_refused(year: Any) -> None:
    with pytest.raises(CBAError, match="first_financial_year"):
        model_from_dict(simple_model(first_financial_year=year))


def test_the_setting_is_optional_and_takes_the_range_ends() -> None:
    assert model_from_dict(simple_model()).first_financial_year is None
    assert model_from_dict(simple_model(first_financial_year=1990)).first_financial_year == 1990
    assert model_from_dict(simple_model(first_financial_year=2100)).first_financial_year == 2100


def _keys(obj: Any) -> set[str]:
    if isinstance(obj, dict):
        return set(obj) | {k for v in obj.values() for k in _keys(v)}
    if isinstance(obj, list):
        return {k for v in obj for k in _keys(v)}
    return set()


def _strip(obj: Any) -> Any:
    """``obj`` without the label keys, and an input's ' (2025/26)' after its year taken out."""
    if isinstance(obj, dict):
        return {k: _strip(v) for k, v in obj.items() if k not in LABELS}
    if isinstance(obj, list):
        return [_strip(v) for v in obj]
    if isinstance(obj, str):
        return re.sub(r"(year \d+) \(\d{4}/\d{2}\)", r"\1", obj)
    return obj


def test_results_carry_the_financial_year_beside_each_year() -> None:
    """The simple model (−100 in year 0, 30 a year in years 1–5 at 3.5%) pays back in year 4:
    cumulative −100 + 30 × (0.9662 + 0.9335 + 0.9019 + 0.8714) = −9.82 after year 3,
    +15.44 after year 4. With year 0 = 2025/26 that is 2029/30."""
    r = analyse(model_from_dict(simple_model(first_financial_year=2025)), draws=50)
    assert r["model"]["first_financial_year"] == 2025
    assert r["model"]["financial_years"] == ["2025/26", "2026/27", "2027/28", "2028/29", "2029/30", "2030/31"]
    assert r["headline"]["payback_year"] == 4 and r["headline"]["payback_financial_year"] == "2029/30"
    for key in ("matrix_rows", "costs", "benefits", "discount_factors"):
        assert r[key] and all(row["financial_year"] == financial_year(row["year"], 2025) for row in r[key]), key
    # the year stays, a number: the label is beside it, not instead of it
    assert [row["year"] for row in r["matrix_rows"]] == list(range(6))
    # labels only: every figure as without the setting
    plain = analyse(model_from_dict(simple_model()), draws=50)
    assert _strip(r) == plain
    assert not _keys(plain) & set(LABELS)  # without the setting, no label key at all


def test_no_payback_financial_year_when_it_does_not_pay_back() -> None:
    m = simple_model(first_financial_year=2025)
    m["costs"][0]["amount"] = 1000
    h = analyse(model_from_dict(m), uncertainty=False)["headline"]
    assert h["payback_year"] == "not within the period" and "payback_financial_year" not in h


def test_the_stage_headline_names_the_payback_financial_year() -> None:
    h = {"npv": 15.44, "bcr": 1.15, "payback_year": 4}
    assert stage.headline_text({"headline": h}) == "NPV £15, BCR 1.15, payback 4"
    assert stage.headline_text({"headline": {**h, "payback_financial_year": "2029/30"}}) == \
        "NPV £15, BCR 1.15, payback 4 (2029/30)"


def _project(tmp_path: Path, cba: dict[str, Any]) -> Path:
    cfg = {"project": {"name": "t", "period_start": "2023-04-01", "period_end": "2024-03-31"},
           "cba": cba}
    (tmp_path / "carecase.yaml").write_text(yaml.safe_dump(cfg))
    return tmp_path


def test_a_project_takes_the_models_setting_or_its_own(tmp_path: Path) -> None:
    """In carecase.yaml the model (cba.inline or cba.model) may name it, or cba.first_financial_year
    may (a model file shared by projects starting in different years); there is no default."""
    def built(cba: dict[str, Any], where: Path) -> int | None:
        found = stage.project_model(Project.open(_project(where, cba)))
        assert found is not None
        return found[0].first_financial_year

    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir(), (tmp_path / "c").mkdir(), (tmp_path / "d").mkdir()
    assert built({"inline": simple_model()}, tmp_path / "a") is None
    assert built({"inline": simple_model(first_financial_year=2025)}, tmp_path / "b") == 2025
    assert built({"inline": simple_model(), "first_financial_year": 2026}, tmp_path / "c") == 2026
    (tmp_path / "d" / "m.yaml").write_text(yaml.safe_dump(simple_model()))
    assert built({"model": "m.yaml", "first_financial_year": 2026}, tmp_path / "d") == 2026


def test_a_project_whose_model_names_another_year_is_refused(tmp_path: Path) -> None:
    root = _project(tmp_path, {"inline": simple_model(first_financial_year=2025), "first_financial_year": 2026})
    with pytest.raises(CBAError, match=r"first_financial_year = 2025, but carecase.yaml's "
                                       r"cba.first_financial_year = 2026"):
        stage.project_model(Project.open(root))
    same = _project(tmp_path, {"inline": simple_model(first_financial_year=2026), "first_financial_year": 2026})
    assert stage.project_model(Project.open(same)) is not None


def test_the_project_setting_is_checked_like_the_models(tmp_path: Path) -> None:
    root = _project(tmp_path, {"inline": simple_model(), "first_financial_year": 2101})
    with pytest.raises(ConfigError, match=r"cba.first_financial_year \(line 2\) = 2101: Input should be less "
                                         r"than or equal to 2100"):
        Project.open(root)


def test_the_stage_writes_the_labels_in_a_project(tmp_path: Path) -> None:
    import json

    import pandas as pd

    root = _project(tmp_path, {"inline": simple_model(), "first_financial_year": 2025, "draws": 50})
    summary = stage.run(Project.open(root))
    assert summary["headline"].endswith("payback 4 (2029/30), P(NPV>0) 100%")
    out = root / "out" / "cba"
    r = json.loads((out / "results.json").read_text())
    assert r["model"]["first_financial_year"] == 2025
    matrix = pd.read_csv(out / "cba_matrix.csv")
    assert list(matrix["year"]) == list(range(6))
    assert list(matrix["financial_year"]) == r["model"]["financial_years"]


def test_carecase_cba_prints_the_financial_years() -> None:
    """`carecase cba`'s tables: the who-pays columns (or, for a long appraisal, rows) and the
    payback year name the financial year where the model names year 0's; else as before."""
    from rich.console import Console

    from carecase.cba.cli import print_results, who_pays_table

    from .helpers import health_model

    def printed(results: dict[str, Any], table: bool = False) -> str:
        console = Console(width=240, record=True)
        if table:
            console.print(who_pays_table(results))
        else:
            print_results(results, console)
        return console.export_text()

    labelled = printed(analyse(model_from_dict(simple_model(first_financial_year=2025)), draws=50))
    assert "2025/26 (y0)" in labelled and "2030/31 (y5)" in labelled
    assert any("Payback year" in line and "4 (2029/30)" in line for line in labelled.splitlines())
    plain = printed(analyse(model_from_dict(simple_model()), draws=50))
    assert "2025/26" not in plain and " y0 " in plain
    assert any("Payback year" in line and line.rstrip(" │").endswith(" 4") for line in plain.splitlines())
    long = printed(analyse(model_from_dict({**health_model(), "first_financial_year": 2025}), draws=50), table=True)
    rows = [line for line in long.splitlines() if line.startswith("│ 20")]
    assert len(rows) == 31 and rows[0].startswith("│ 2025/26 (y0)") and rows[30].startswith("│ 2055/56 (y30)")


def test_the_inputs_of_a_year_name_its_financial_year_only_when_set() -> None:
    """The assumptions register, the tornado and the switching values label a cohort's need
    and its rates by year; with first_financial_year they name the financial year too."""
    from carecase.cba.inputs import numeric_inputs

    def labels(**over: Any) -> list[str]:
        m = simple_model(**over)
        m["cohorts"] = [{"name": "c", "need": {0: 10, 2: 5}, "engagement_rate": {0: 1, 1: 0.5},
                         "success_rate": 1}]
        return [s.label for s in numeric_inputs(model_from_dict(m)) if s.path.startswith("cohorts")]

    assert labels() == ["c: in need, year 0", "c: in need, year 2", "c: engagement rate from year 0",
                        "c: engagement rate from year 1", "c: success rate"]
    assert labels(first_financial_year=2025) == [
        "c: in need, year 0 (2025/26)", "c: in need, year 2 (2027/28)", "c: engagement rate from year 0 (2025/26)",
        "c: engagement rate from year 1 (2026/27)", "c: success rate"]
