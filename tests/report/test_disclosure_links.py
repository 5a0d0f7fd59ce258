"""A figure hidden in a shared report cannot be worked out from other figures of the same
report: charts, related rows (all = cohort + rest), tables that share figures (a source's
linked records = its accepted rows), shares and p-values of hidden counts, £ a month of a
suppressed event count.

Each test builds the fixture project, plants a small number where the relation would give it
back, and checks the shared content model (rounding_base 1 where rounding would blur it, so
that a shown count is the exact count). ``recoverable`` is the reader's side: every shown cell
and every published relation as a linear equation; a hidden cell is recoverable when it is a
linear combination of them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from carecase.core.project import Project
from carecase.report.content import Report, Table
from carecase.report.stage import project_report

from .report_fixture_outputs import write_project


def _report(tmp_path: Path, plant: Callable[[Path], None] | None = None, mode: str = "shared",
            rounding_base: int | None = None) -> Report:
    root = write_project(tmp_path / "p", mode=mode)
    if plant is not None:
        plant(root / "out")
    proj = Project.open(root)
    if rounding_base is not None:
        proj.config.report.suppression.rounding_base = rounding_base
    return project_report(proj)


def _table(report: Report, tid: str) -> Table:
    return next(t for t in report.tables() if t.id == tid)


def _chart_rows(report: Report, cid: str) -> list[dict[str, Any]]:
    return next(c for c in report.charts() if c.id == cid).spec["data"]["values"]


def _write(df: pd.DataFrame, path: Path) -> None:
    df.to_parquet(path, index=False)


def determined(unknowns: list[str], relations: list[dict[str, float]], target: dict[str, float]) -> bool:
    """Whether Σ target coefficient × unknown follows from the relations. Each relation is
    Σ coefficient × variable = a constant, written over its unknown variables only (the shown
    values are moved to the constant side, so they are left out)."""
    eqs = [[r.get(u, 0.0) for u in unknowns] for r in relations if any(u in r for u in unknowns)]
    if not eqs:
        return False
    a = np.array(eqs, dtype=float)
    e = np.array([[target.get(u, 0.0) for u in unknowns]], dtype=float)
    return bool(np.linalg.matrix_rank(np.vstack([a, e])) == np.linalg.matrix_rank(a))


def recoverable(unknowns: list[str], relations: list[dict[str, float]]) -> set[str]:
    """The hidden cells a reader can work out exactly from the shown ones and the relations."""
    return {u for u in unknowns if determined(unknowns, relations, {u: 1.0})}


# ------------------------------------------------------------------ 1. cost by year and agency


def _plant_year_agency(out: Path) -> None:
    """NHS: an Acute Trust (many people), a Mental Health Trust of 5 people (hidden in the
    cost-by-agency table) and an Ambulance Trust of 20 (hidden there as its complement);
    Police: 32 people (shown), of whom 4 in 2022 (a small year part) and 30 in 2023."""
    agency = pd.DataFrame({"agency_l1": ["NHS", "NHS", "NHS", "Police"],
                           "agency_l2": ["Acute Trust", "Ambulance Trust", "Mental Health Trust", "Police"],
                           "cost": [900_000.0, 11_000.0, 61_234.56, 52_000.0], "people": [300, 20, 5, 32]})
    _write(agency.assign(fiscal_cost=agency["cost"], economic_cost=0.0, activity=10.0,
                         share_of_cost=agency["cost"] / agency["cost"].sum()),
           out / "audit" / "cost_by_agency.parquet")
    rows = [(2022, "NHS", "Acute Trust", 400_000.0, 150), (2023, "NHS", "Acute Trust", 500_000.0, 160),
            (2022, "NHS", "Ambulance Trust", 5_000.0, 10), (2023, "NHS", "Ambulance Trust", 6_000.0, 12),
            (2022, "NHS", "Mental Health Trust", 30_000.0, 3), (2023, "NHS", "Mental Health Trust", 31_234.56, 4),
            (2022, "Police", "Police", 7_111.11, 4), (2023, "Police", "Police", 44_888.89, 30)]
    _write(pd.DataFrame({"financial_year": [r[0] for r in rows], "year_label": [f"{r[0]}/{r[0] % 100 + 1}" for r in rows],
                         "agency_l1": [r[1] for r in rows], "agency_l2": [r[2] for r in rows],
                         "cost": [r[3] for r in rows], "fiscal_cost": [r[3] for r in rows], "economic_cost": 0.0,
                         "people": [r[4] for r in rows]}), out / "audit" / "cost_by_year_agency.parquet")


def test_year_agency_chart_leaves_out_hidden_parts(tmp_path: Path) -> None:
    """The chart is built from disclosed parts: the parts of the agencies that the
    cost-by-agency table hides are left out (else the NHS years would add up to a total
    that, less the shown NHS rows, gives the hidden Mental Health Trust cost back), Police
    2022 (4 people) is left out, and so is Police 2023 (Police's total is shown: 2023 would
    give 2022 back)."""
    report = _report(tmp_path, _plant_year_agency)
    agency = _table(report, "audit-agency")
    hidden = {agency.rows[i]["agency_l2"] for i in range(len(agency.rows)) if (i, "cost") in agency.hidden}
    assert hidden == {"Mental Health Trust", "Ambulance Trust"}
    bars = {(r["year"], r["agency"]): r["cost"] for r in _chart_rows(report, "chart-audit-year-agency")}
    assert bars == {("2022/23", "NHS"): 400_000.0, ("2023/24", "NHS"): 500_000.0}
    chart = next(c for c in report.charts() if c.id == "chart-audit-year-agency")
    assert "left out" in chart.description
    # the reader's side: each bar, each shown agency cost and the grand total (published in
    # the cohort table and the audit headline) are equations over the year parts
    parts = ["acute22", "acute23", "amb22", "amb23", "mh22", "mh23", "pol22", "pol23"]
    relations = [{"acute22": 1}, {"acute23": 1}, {"acute22": 1, "acute23": 1}, {"pol22": 1, "pol23": 1},
                 dict.fromkeys(parts, 1.0)]
    assert not recoverable(parts, relations) & {"amb22", "amb23", "mh22", "mh23", "pol22", "pol23"}
    assert not determined(parts, relations, {"mh22": 1, "mh23": 1})  # nor the Mental Health Trust's total
    assert not determined(parts, relations, {"amb22": 1, "amb23": 1})


def test_year_agency_chart_internal_is_unsuppressed(tmp_path: Path) -> None:
    report = _report(tmp_path, _plant_year_agency, mode="internal")
    bars = {(r["year"], r["agency"]): r["cost"] for r in _chart_rows(report, "chart-audit-year-agency")}
    assert bars[("2022/23", "Police")] == pytest.approx(7_111.11)
    assert bars[("2023/24", "NHS")] == pytest.approx(537_234.56)


# ------------------------------------------------------------------ 2. cohort vs population


def _plant_cohort(out: Path) -> None:
    _write(pd.DataFrame({"group": ["all", "cohort", "rest of population"], "people": [90, 6, 84],
                         "people_with_cost": [89, 6, 83], "cost": [316_336.6, 55_245.32, 261_091.28],
                         "cost_per_person": [3514.85, 9207.55, 3108.23]}),
           out / "audit" / "cohort_vs_population.parquet")


def test_cohort_hidden_with_its_complement(tmp_path: Path) -> None:
    """'all' = cohort + rest: a hidden cohort hides the rest of the population too, so
    all − rest does not give the cohort's people or cost back."""
    t = _table(_report(tmp_path, _plant_cohort, rounding_base=1), "audit-cohort")
    for key in ("people", "people_with_cost", "cost", "cost_per_person"):
        assert (1, key) in t.hidden and (2, key) in t.hidden, key
        assert (0, key) not in t.hidden, key
    assert t.shown[0]["people"] == 90
    assert t.relations == [(0, 1, 2)]


# ------------------------------------------------------------------ 3. concentration


def _plant_concentration(out: Path) -> None:
    _write(pd.DataFrame({"measure": ["top 1%", "top 5%", "top 10%", "gini"], "people": [1, 5, 9, 90],
                         "cost": [26_684.14, 84_804.49, 128_245.41, 316_336.6],
                         "value": [0.0844, 0.2681, 0.4054, 0.61]}), out / "audit" / "concentration.parquet")


def test_concentration_share_hidden_with_its_count(tmp_path: Path) -> None:
    """share × the published total spend = the group's cost: hidden with its people."""
    t = _table(_report(tmp_path, _plant_concentration), "audit-concentration")
    share = next(c for c in t.columns if c.key == "share_of_cost")
    assert share.from_count == "people"
    assert {(0, "share_of_cost"), (1, "share_of_cost"), (0, "cost"), (1, "cost")} <= t.hidden
    assert t.shown[2]["share_of_cost"] == pytest.approx(0.4054)


# ------------------------------------------------------------------ 4. case studies


def _plant_cases(out: Path) -> None:
    rows = [("Case A", "Crime and justice", "before", 154.63, np.nan, True),  # suppressed at source
            ("Case A", "Crime and justice", "after", 0.0, 0.0, False),
            ("Case A", "Housing", "before", 480.0, 3.0, False),  # 3 nights: small, not flagged
            ("Case A", "Housing", "after", 1200.0, 12.0, False),
            ("Case B", "Physical health", "before", 94.17, 9.0, False),
            ("Case B", "Physical health", "after", 40.0, 8.0, False)]
    _write(pd.DataFrame({"case": [r[0] for r in rows], "area_of_need": [r[1] for r in rows],
                         "period": [r[2] for r in rows], "months": 12.0,
                         "mean_cost_per_month": [r[3] for r in rows], "events": [r[4] for r in rows],
                         "events_suppressed": [r[5] for r in rows]}), out / "evaluate" / "case_studies.parquet")


def test_case_study_pounds_hidden_with_a_suppressed_count(tmp_path: Path) -> None:
    """£ a month × months ÷ unit cost = events: hidden (with the change) when the count is
    suppressed by the evaluation or is 1..threshold, in the table and in the charts."""
    report = _report(tmp_path, _plant_cases)
    t = _table(report, "case-studies-table")
    at = {(r["case"], r["area_of_need"]): i for i, r in enumerate(t.rows)}
    crime, housing, phys = at[("Case A", "Crime and justice")], at[("Case A", "Housing")], \
        at[("Case B", "Physical health")]
    assert {(crime, "pre"), (crime, "change"), (housing, "pre"), (housing, "change")} <= t.hidden
    assert t.cell(crime, "post") == (0.0, False) and t.cell(housing, "post") == (1200.0, False)
    assert not {(phys, k) for k in ("pre", "post", "change")} & t.hidden
    values = [(r["area_of_need"], r["period"], r["gbp"]) for r in _chart_rows(report, "chart-case-case-a")]
    assert ("Crime and justice", "before", 154.63) not in values and ("Housing", "before", 480.0) not in values
    assert ("Housing", "after", 1200.0) in values
    internal = _table(_report(tmp_path / "i", _plant_cases, mode="internal"), "case-studies-table")
    assert not internal.hidden and internal.cell(housing, "pre") == (480.0, False)


# ------------------------------------------------------------------ 5. participants


def test_match_counts_protected_within_their_relations(tmp_path: Path) -> None:
    """participants = eligible + excluded, eligible = matched + unmatched: the 2 unmatched
    and the 4 excluded cannot be read off by subtraction (the complement is in the same
    relation, not an unrelated row)."""
    t = _table(_report(tmp_path, rounding_base=1), "evaluation-match-counts")
    names = [r["item"] for r in t.rows]
    unknown = [names[i] for i in range(len(names)) if (i, "n") in t.hidden]
    assert {"treated unmatched", "excluded no full pre period"} <= set(unknown)
    rel = [{"participants": 1, "treated eligible": -1, "excluded no full pre period": -1},
           {"treated eligible": 1, "treated matched": -1, "treated unmatched": -1},
           {"candidate control rows": 1, "control rows matched": -1, "candidate rows discarded": -1}]
    assert not recoverable(unknown, rel)
    assert not t.protect_columns and len(t.relations) == 3
    for group in t.relations:
        assert sum((i, "n") in t.hidden for i in group) != 1, [names[i] for i in group]


# ------------------------------------------------------------------ 6. sources and linkage


def _plant_gp_source(out: Path) -> None:
    """A source whose 4 quarantined rows are hidden (and its accepted rows as their complement)
    while all its 931 records were linked by NHS number: 935 − 931 = 4 unless protected."""
    path = out / "ingest" / "summary.json"
    ingest = json.loads(path.read_text())
    ingest["sources"]["gp"] = {"rows_read": 935, "rows_accepted": 931, "rows_quarantined": 4,
                               "rows_out_of_scope": 0, "quarantined_by_rule": {"impossible_date": 4},
                               "files": [{"status": "new"}]}
    path.write_text(json.dumps(ingest))
    path = out / "link" / "summary.json"
    link = json.loads(path.read_text())
    link["records_by_method"]["gp"] = {"nhs_number": 931}
    link["records_by_method_total"]["nhs_number"] += 931
    path.write_text(json.dumps(link))


def test_source_counts_not_given_back_by_linkage_table(tmp_path: Path) -> None:
    """Rows read/accepted/quarantined by source and records by source and method are
    protected together: no hidden count follows from every shown count, the row relation
    (read = accepted + quarantined + out of scope), linked records = accepted rows and the
    method totals."""
    report = _report(tmp_path, _plant_gp_source, rounding_base=1)
    src, meth, per = (_table(report, k) for k in ("data-sources", "data-linkage", "data-linkage-sources"))
    gp = next(i for i, r in enumerate(src.rows) if r["source"] == "gp")
    assert (gp, "rows_quarantined") in src.hidden and (gp, "rows_accepted") in src.hidden
    gp_link = next(i for i, r in enumerate(per.rows) if r["source"] == "gp")
    assert (gp_link, "nhs_number") in per.hidden
    cells = {}
    for t in (src, meth, per):
        for i in range(len(t.rows)):
            for c in t.columns:
                if c.count:
                    cells[f"{t.id}:{i}:{c.key}"] = (t, i, c.key)
    unknown = [k for k, (t, i, key) in cells.items() if (i, key) in t.hidden]
    rel: list[dict[str, float]] = []
    for i in range(len(src.rows)):
        rel.append({f"data-sources:{i}:rows_read": 1, f"data-sources:{i}:rows_accepted": -1,
                    f"data-sources:{i}:rows_quarantined": -1, f"data-sources:{i}:rows_out_of_scope": -1})
    methods = [c.key for c in per.columns if c.count]
    at = {r["source"]: i for i, r in enumerate(src.rows)}
    for i, r in enumerate(per.rows):
        rel.append({**{f"data-linkage-sources:{i}:{m}": 1 for m in methods},
                    f"data-sources:{at[r['source']]}:rows_accepted": -1})
    mat = {r["method"]: i for i, r in enumerate(meth.rows)}
    for m in methods:
        rel.append({**{f"data-linkage-sources:{i}:{m}": 1 for i in range(len(per.rows))},
                    f"data-linkage:{mat[m]}:records": -1})
    for t in (src, meth, per):  # totals shown
        for c in t.columns:
            if c.count and t.totals and t.totals.get(c.key) is not None:
                rel.append({f"{t.id}:{i}:{c.key}": 1 for i in range(len(t.rows))})
    assert not recoverable(unknown, rel)


# ------------------------------------------------------------------ 7. outcomes


def _plant_outcomes(out: Path) -> None:
    _write(pd.DataFrame({"instrument": ["SWEMWBS"] * 3, "measure": ["total"] * 3,
                         "from_assessment": ["baseline"] * 3, "to_assessment": ["6m", "12m", "18m"],
                         "n": [20, 20, 5], "mean_from": [19.234, 19.25, 19.0], "mean_to": [22.174, 21.0, 23.0],
                         "mean_change": [2.94, 1.75, 4.0], "sd_change": [3.14159, 2.0, 2.0],
                         "ci_low": [1.47, 0.81, 1.5], "ci_high": [4.41, 2.69, 6.5],
                         "t_p": [0.042134, 0.0031, 0.01], "wilcoxon_p": [0.000123, 0.0625, 0.0625],
                         "improved": [12, 15, 5], "no_change": [8, 3, 0], "worse": [0, 2, 0]}),
           out / "evaluate" / "outcomes.parquet")


def test_outcome_statistics_rounded_and_hidden_with_counts(tmp_path: Path) -> None:
    """Shared: means to 1 decimal, p to 2 significant figures or '<0.001'; a row's
    statistics are hidden with its n, and its p-values with any hidden improved / no change /
    worse count (an exact signed-rank p gives the number of non-zero changes back)."""
    t = _table(_report(tmp_path, _plant_outcomes), "evaluation-outcomes")
    six, twelve, eighteen = range(3)
    assert t.cell(six, "mean_from") == (19.2, False) and t.cell(six, "sd_change") == (3.1, False)
    assert t.cell(six, "t_p") == (0.042, False) and t.cell(six, "wilcoxon_p") == ("<0.001", False)
    assert (twelve, "no_change") in t.hidden and (twelve, "worse") in t.hidden
    assert (twelve, "t_p") in t.hidden and (twelve, "wilcoxon_p") in t.hidden
    assert t.cell(twelve, "mean_change") == (1.8, False)
    stats = ("mean_from", "mean_to", "mean_change", "sd_change", "ci_low", "ci_high", "t_p", "wilcoxon_p")
    assert (eighteen, "n") in t.hidden and all((eighteen, k) in t.hidden for k in stats)
    internal = _table(_report(tmp_path / "i", _plant_outcomes, mode="internal"), "evaluation-outcomes")
    assert internal.cell(twelve, "wilcoxon_p") == (0.0625, False)
    assert internal.cell(six, "mean_from") == (19.234, False)


# ------------------------------------------------------------------ 8. identifiers


def test_top_n_person_ids_only_in_internal_reports(tmp_path: Path) -> None:
    """Pseudonymous ids are identifier columns: never in a shared report; the internal
    top-N table keeps its declared person_id."""
    def plant(out: Path) -> None:
        top = pd.read_parquet(out / "audit" / "top_n.parquet")
        _write(top.assign(row_id=range(len(top)), pseudo_id=[f"X{i}" for i in range(len(top))]),
               out / "audit" / "top_n.parquet")

    shared = _table(_report(tmp_path, plant), "audit-top-n")
    assert not {"person_id", "row_id", "pseudo_id", "nhs_number"} & {c.key for c in shared.columns}
    internal = _table(_report(tmp_path / "i", plant, mode="internal"), "audit-top-n")
    keys = {c.key for c in internal.columns}
    assert "person_id" in keys and not {"row_id", "pseudo_id", "nhs_number"} & keys
