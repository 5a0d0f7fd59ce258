"""A figure hidden in a shared report cannot be worked out from other figures of the same
report: charts, related rows (all = cohort + rest), tables that share figures (a source's
linked records = its accepted rows), shares and p-values of hidden counts, £ a month of a
suppressed event count, single people's costs (the top-N people, the Lorenz curve) and
estimates resting on a few matched people (effects, rate ratios, the CBA built on them).

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
from carecase.report.content import Chart, KeyFigures, Note, Paragraph, Report, Table, format_value
from carecase.report.stage import project_report, run

from .report_fixture_outputs import write_project


def _report(tmp_path: Path, plant: Callable[[Path], None] | None = None, mode: str = "shared",
            rounding_base: int | None = None, top_n: int | None = None, share_cases: bool = False) -> Report:
    root = write_project(tmp_path / "p", mode=mode)
    if plant is not None:
        plant(root / "out")
    proj = Project.open(root)
    proj.config.report.share_case_studies = share_cases
    if rounding_base is not None:
        proj.config.report.suppression.rounding_base = rounding_base
    if top_n is not None:
        proj.config.report.top_n = top_n
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


def test_year_agency_chart_leaves_out_a_dominated_part(tmp_path: Path) -> None:
    """A year's part that one person's cost makes up almost all of (the Acute Trust's
    £500,000 in 2023, £480,000 of it one person's) is left out like a small one, and so is
    its complement (2022: the Acute Trust's total is published)."""
    def plant(out: Path) -> None:
        _plant_year_agency(out)
        path = out / "audit" / "cost_by_year_agency.parquet"
        ya = pd.read_parquet(path)
        heavy = (ya["agency_l2"] == "Acute Trust") & (ya["financial_year"] == 2023)
        _write(ya.assign(largest_person_cost=np.where(heavy, 480_000.0, ya["cost"] / ya["people"] * 2),
                         second_person_cost=np.where(heavy, 1_000.0, ya["cost"] / ya["people"])), path)

    bars = {(r["year"], r["agency"]) for r in _chart_rows(_report(tmp_path, plant), "chart-audit-year-agency")}
    assert ("2023/24", "NHS") not in bars and ("2022/23", "NHS") not in bars
    internal = _chart_rows(_report(tmp_path / "i", plant, mode="internal"), "chart-audit-year-agency")
    assert {(r["year"], r["agency"]) for r in internal} >= {("2023/24", "NHS"), ("2022/23", "NHS")}


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


def test_a_cohort_one_person_dominates_is_hidden_with_its_complement(tmp_path: Path) -> None:
    """A cohort of 30 whose £ is 95% one person's residential placement: hidden as a small
    cohort is, with the rest of the population ('all' stays); spread, it is shown."""
    def plant(largest: float) -> Callable[[Path], None]:
        def go(out: Path) -> None:
            _write(pd.DataFrame({"group": ["all", "cohort", "rest of population"], "people": [900, 30, 870],
                                 "people_with_cost": [880, 30, 850], "cost": [3_000_000.0, 500_000.0, 2_500_000.0],
                                 "cost_per_person": [3333.33, 16666.67, 2873.56],
                                 "largest_person_cost": [largest, largest, 60_000.0],
                                 "second_person_cost": [10_000.0, 10_000.0, 50_000.0]}),
                   out / "audit" / "cohort_vs_population.parquet")
        return go

    t = _table(_report(tmp_path / "d", plant(475_000.0), rounding_base=1), "audit-cohort")
    for key in ("people", "cost", "cost_per_person"):
        assert (1, key) in t.hidden and (2, key) in t.hidden and (0, key) not in t.hidden, key
    assert "dominance rule" in t.note
    spread = _table(_report(tmp_path / "s", plant(40_000.0), rounding_base=1), "audit-cohort")
    assert not spread.hidden
    assert not {"largest_person_cost", "second_person_cost"} & {c.key for c in t.columns}


# ------------------------------------------------------------------ 2b. cost by agency / area of need / service / locality

# (service, agency_l1, agency_l2, area_of_need, people, events, cost): the 250-person demo's
# Housing (17 + 3 people: Housing less homeless applications gave temporary accommodation's
# £ back), a single-service Police, two Acute Trust services and a 5-person mental-health stay
SERVICES = [("AE_ATTEND", "NHS", "Acute Trust", "Physical health", 151, 365, 55_950.22),
            ("NEL_ADMIT", "NHS", "Acute Trust", "Physical health", 56, 86, 179_757.49),
            ("MH_INPATIENT", "NHS", "Mental Health Trust", "Mental health", 5, 9, 28_252.86),
            ("GP_APPT", "NHS", "Primary Care", "Physical health", 245, 4448, 229_114.49),
            ("HOU_HOMELESS_APP", "Local Authority", "Housing", "Housing", 17, 18, 9_705.28),
            ("HOU_TEMP_ACCOM", "Local Authority", "Housing", "Housing", 3, 182, 4_016.84),
            ("POL_CUSTODY", "Police", "Police", "Crime and justice", 18, 28, 26_031.53)]
LOCALITIES = [("Southmoor", "temporary accommodation", 1, 640.05), ("Westcombe", "temporary accommodation", 2, 3_376.79)]


def _plant_cost_tables(out: Path) -> None:
    sv = pd.DataFrame(SERVICES, columns=["service_code", "agency_l1", "agency_l2", "area_of_need", "people", "events",
                                         "cost"])
    money = {"fiscal_cost": sv["cost"], "economic_cost": 0.0, "activity": sv["events"].astype(float),
             "share_of_cost": sv["cost"] / sv["cost"].sum()}
    _write(sv.assign(**money), out / "audit" / "cost_by_service.parquet")
    for keys, name in ((["agency_l1", "agency_l2"], "cost_by_agency"), (["area_of_need"], "cost_by_need")):
        g = sv.assign(**money).groupby(keys, as_index=False)[["cost", "fiscal_cost", "economic_cost", "activity",
                                                               "share_of_cost", "events"]].sum()
        # distinct people: a part with one service has its people, else at least the largest
        g["people"] = sv.groupby(keys)["people"].max().to_numpy() + (sv.groupby(keys).size().to_numpy() > 1) * 2
        _write(g if name == "cost_by_agency" else g.drop(columns="events"), out / "audit" / f"{name}.parquet")
    loc = pd.DataFrame(LOCALITIES, columns=["locality", "demand", "people", "cost"])
    _write(loc.assign(fiscal_cost=loc["cost"], economic_cost=0.0, activity=[29.0, 153.0],
                      cost_per_person=loc["cost"] / loc["people"]), out / "audit" / "locality_demand.parquet")


def _plant_dominated_custody(out: Path) -> None:
    """The cost tables above with the two largest people's cost in each row (the audit
    writes them): GP appointments' £229,114.49 for 245 people is £200,000 of one person and
    £25,000 of another, so the second could estimate the first's within 3%; every other row
    is spread."""
    _plant_cost_tables(out)
    for name in ("cost_by_service", "cost_by_agency", "cost_by_need", "locality_demand"):
        path = out / "audit" / f"{name}.parquet"
        df = pd.read_parquet(path)
        spread = df["cost"] / df["people"].clip(lower=1)
        big = pd.Series(1.5 * spread, index=df.index)
        second = pd.Series(1.2 * spread, index=df.index)
        one = df["people"] == 1
        big[one], second[one] = df["cost"][one], 0.0
        gp = df["service_code"] == "GP_APPT" if "service_code" in df else pd.Series(False, index=df.index)
        big[gp], second[gp] = 200_000.0, 25_000.0
        _write(df.assign(largest_person_cost=big, second_person_cost=second), path)


@pytest.mark.parametrize("plant", [_plant_cost_tables, _plant_dominated_custody], ids=["counts", "dominance"])
def test_cost_tables_do_not_give_each_other_back(tmp_path: Path, plant: Callable[[Path], None]) -> None:
    """Every service is one agency part's and one area of need's, and a kind of demand's
    localities add up to its service: the £ (and events, activity) of an agency or area of
    need is the sum of its services', and the people of one with a single service are that
    service's. With every shown cell, those relations, each table's shown totals and the total
    spend (published in the cohort table and the headline) as equations, no hidden £ or
    events is recoverable, and no people count is shown in one table and hidden in another.
    With the dominance rule, a cost one person makes up almost all of (GP appointments, 245
    people) is hidden as a small number is, with complements so that no table gives it back."""
    report = _report(tmp_path, plant, rounding_base=1)
    ag, nd, sv, lc = (_table(report, k) for k in ("audit-agency", "audit-need", "audit-service", "audit-locality"))
    code = {r["service_code"]: i for i, r in enumerate(sv.rows)}
    assert (code["HOU_TEMP_ACCOM"], "cost") in sv.hidden and (code["MH_INPATIENT"], "cost") in sv.hidden
    housing = next(i for i, r in enumerate(ag.rows) if r["agency_l2"] == "Housing")
    # Housing − homeless applications would give temporary accommodation's £ back: one is hidden
    assert (code["HOU_HOMELESS_APP"], "cost") in sv.hidden or (housing, "cost") in ag.hidden
    dominance = plant is _plant_dominated_custody
    assert ((code["GP_APPT"], "cost") in sv.hidden) == dominance
    primary = next(i for i, r in enumerate(ag.rows) if r["agency_l2"] == "Primary Care")  # its one service
    assert ((primary, "cost") in ag.hidden) == dominance
    assert ("dominance rule" in sv.note) == dominance
    for t in report.tables():
        assert not {"largest_person_cost", "second_person_cost"} & {c.key for c in t.columns}, t.id
    tables = (ag, nd, sv, lc)
    for key in ("cost", "activity", "events"):
        cell = {t.id: [f"{t.id}:{i}" for i in range(len(t.rows))] for t in tables}
        unknown = [f"{t.id}:{i}" for t in tables for i in range(len(t.rows)) if (i, key) in t.hidden]
        if not any(c.key == key for c in lc.columns):
            unknown = [u for u in unknown if not u.startswith("audit-locality")]
        rel: list[dict[str, float]] = []
        for t, names in ((ag, ("agency_l1", "agency_l2")), (nd, ("area_of_need",))):
            if not any(c.key == key for c in t.columns):
                continue
            for i, r in enumerate(t.rows):
                rel.append({cell[t.id][i]: 1.0, **{cell[sv.id][j]: -1.0 for j, s in enumerate(sv.rows)
                                                   if all(s[k] == r[k] for k in names)}})
        if any(c.key == key for c in lc.columns):
            rel.append({**dict.fromkeys(cell[lc.id], 1.0), cell[sv.id][code["HOU_TEMP_ACCOM"]]: -1.0})
        rel.append(dict.fromkeys(cell[sv.id], 1.0))  # the total spend
        for t in tables:  # totals shown
            if t.totals and t.totals.get(key) is not None:
                rel.append(dict.fromkeys(cell[t.id], 1.0))
        assert unknown or key == "events", key  # events of 9 or more are shown
        assert not recoverable(unknown, rel), key
    for t, names in ((ag, ("agency_l1", "agency_l2")), (nd, ("area_of_need",))):
        for i, r in enumerate(t.rows):
            parts = [j for j, s in enumerate(sv.rows) if all(s[k] == r[k] for k in names)]
            if len(parts) == 1:
                assert ((i, "people") in t.hidden) == ((parts[0], "people") in sv.hidden), r
    internal = _report(tmp_path / "i", plant, mode="internal")
    assert not _table(internal, "audit-service").hidden
    for t in internal.tables():
        assert not {"largest_person_cost", "second_person_cost"} & {c.key for c in t.columns}, t.id


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
    suppressed by the evaluation or is 1..threshold, in the table and in the charts (a shared
    report with report.share_case_studies, the people having consented)."""
    report = _report(tmp_path, _plant_cases, share_cases=True)
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
    assert not t.protect_columns and len(t.relations) == 4  # 3 that add up; treated ~ control rows matched
    for group in t.relations:
        assert sum((i, "n") in t.hidden for i in group) != 1, [names[i] for i in group]


# ------------------------------------------------------------------ 6. sources and linkage


def _plant_gp_source(out: Path) -> None:
    """A source whose 4 quarantined rows are hidden (and, since accepted rows are published by
    the audit too, its rows read as their complement) while all its 931 records were linked
    by NHS number: 935 − 931 = 4 unless protected."""
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



def _data_relations(src: Table, per: Table, tables: tuple[Table, ...]
                    ) -> tuple[list[str], list[dict[str, float]], list[str], dict[str, int]]:
    """The hidden count cells of ``tables`` and the Data section's relations a reader can
    use: each source's rows read = accepted + quarantined + out of scope, and its records by
    method adding up to its accepted rows; with the method columns and each source's row."""
    cells = {f"{t.id}:{i}:{c.key}": (t, i, c.key) for t in tables for i in range(len(t.rows))
             for c in t.columns if c.count}
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
    return unknown, rel, methods, at


def test_source_counts_not_given_back_by_linkage_table(tmp_path: Path) -> None:
    """Rows read/accepted/quarantined by source and records by source and method are
    protected together: no hidden count follows from every shown count, the row relation
    (read = accepted + quarantined + out of scope), linked records = accepted rows and the
    method totals."""
    report = _report(tmp_path, _plant_gp_source, rounding_base=1)
    src, meth, per = (_table(report, k) for k in ("data-sources", "data-linkage", "data-linkage-sources"))
    gp = next(i for i, r in enumerate(src.rows) if r["source"] == "gp")
    # accepted rows are published again by the audit (a point service's activity, or its £ ÷
    # its unit cost; a disclosure review worked 357 back, and with it 3 quarantined rows), so
    # the complement is the rows read: with accepted shown, nothing hidden follows
    assert (gp, "rows_quarantined") in src.hidden and (gp, "rows_read") in src.hidden
    assert (gp, "rows_accepted") not in src.hidden
    gp_link = next(i for i, r in enumerate(per.rows) if r["source"] == "gp")
    assert (gp_link, "nhs_number") not in per.hidden  # the accepted rows, shown
    unknown, rel, methods, at = _data_relations(src, per, (src, meth, per))
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
    assert t.cell(six, "mean_from") == ("19.2", False) and t.cell(six, "sd_change") == ("3.1", False)
    assert t.cell(six, "t_p") == (0.042, False) and t.cell(six, "wilcoxon_p") == ("<0.001", False)
    assert (twelve, "no_change") in t.hidden and (twelve, "worse") in t.hidden
    assert (twelve, "t_p") in t.hidden and (twelve, "wilcoxon_p") in t.hidden
    assert t.cell(twelve, "mean_change") == ("1.8", False)
    stats = ("mean_from", "mean_to", "mean_change", "sd_change", "ci_low", "ci_high", "t_p", "wilcoxon_p")
    assert (eighteen, "n") in t.hidden and all((eighteen, k) in t.hidden for k in stats)
    internal = _table(_report(tmp_path / "i", _plant_outcomes, mode="internal"), "evaluation-outcomes")
    assert internal.cell(twelve, "wilcoxon_p") == (0.0625, False)
    assert internal.cell(six, "mean_from") == (19.234, False)


# ------------------------------------------------------------------ 8. identifiers


def test_top_n_person_ids_only_in_internal_reports(tmp_path: Path) -> None:
    """Pseudonymous ids are identifier columns: never in a shared report (which has no
    per-person table at all); the internal top-N table keeps its declared person_id."""
    def plant(out: Path) -> None:
        top = pd.read_parquet(out / "audit" / "top_n.parquet")
        _write(top.assign(row_id=range(len(top)), pseudo_id=[f"X{i}" for i in range(len(top))]),
               out / "audit" / "top_n.parquet")

    shared = _report(tmp_path, plant)
    audit = next(s for s in shared.sections if s.id == "audit")
    for t in audit.tables():
        assert not {"person_id", "row_id", "pseudo_id", "nhs_number"} & {c.key for c in t.columns}, t.id
    assert not any(t.id == "audit-top-n" for t in shared.tables())
    internal = _table(_report(tmp_path / "i", plant, mode="internal"), "audit-top-n")
    keys = {c.key for c in internal.columns}
    assert "person_id" in keys and not {"row_id", "pseudo_id", "nhs_number"} & keys


# ------------------------------------------------------------------ 9. the highest-cost people

WEEKS = 104.0
# a published complex-needs audit's arithmetic: ten people costing £863,092.88 over two years
# (104 weeks) cost £8,298.97 a week
TOP_TEN = np.array([131_205.43, 112_870.19, 98_311.07, 90_004.62, 84_577.35, 77_950.88, 72_616.24,
                    68_113.59, 64_020.77, 63_422.74])


def _population(size: int, seed: int, top: np.ndarray | None = None) -> np.ndarray:
    """Per-person costs over the period, highest first (zeros included, as the audit ranks
    the whole population); ``top`` replaces the highest costs."""
    rng = np.random.default_rng(seed)
    x = np.round(rng.lognormal(7.5, 1.2, size) * (rng.random(size) > 0.1), 2)
    if top is not None:
        x = np.concatenate([top, np.minimum(x[: size - len(top)], float(top.min()) - 1.0)])
    return np.sort(x)[::-1]


def _plant_population(costs: np.ndarray, top_rows: int = 12) -> Callable[[Path], None]:
    """out/audit top_n, concentration, lorenz and summary as the audit stage writes them for
    a population with these per-person costs (carecase.audit.concentration's functions)."""
    from carecase.audit.concentration import gini, lorenz, top_share

    x = np.sort(np.asarray(costs, dtype=float))[::-1]

    def plant(out: Path) -> None:
        d = out / "audit"
        rank = np.arange(1, top_rows + 1)
        top = x[:top_rows]
        _write(pd.DataFrame({"rank": rank, "person_id": [f"P{i:016x}" for i in rank * 7919], "cost": top,
                             "fiscal_cost": top, "economic_cost": 0.0, "cost_per_week": top / WEEKS,
                             "weeks": WEEKS}), d / "top_n.parquet")
        rows = []
        for label, frac in (("top 1%", 0.01), ("top 5%", 0.05), ("top 10%", 0.10)):
            k, c, share = top_share(x, frac)
            rows.append({"measure": label, "people": k, "cost": c, "value": share})
        rows.append({"measure": "gini", "people": x.size, "cost": float(x.sum()), "value": gini(x)})
        _write(pd.DataFrame(rows), d / "concentration.parquet")
        pop, share = lorenz(x, 101)
        _write(pd.DataFrame({"population_share": pop, "cost_share": share}), d / "lorenz.parquet")
        top10 = float(x[:10].sum())
        summary = {"headline": f"£{x.sum():,.0f} across {x.size:,} people, 2022-01-01 to 2023-12-30; top 10 cost "
                               f"£{top10 / WEEKS:,.2f} a week; top 10% of people account for "
                               f"{rows[2]['value']:.0%} of cost (Gini {gini(x):.2f})",
                   "total_cost": float(x.sum()), "people": int(x.size), "gini": gini(x),
                   "window": {"start": "2022-01-01", "end_inclusive": "2023-12-30", "weeks": WEEKS},
                   "top_n": {"n": 10, "cost": round(top10, 2), "cost_per_week": round(top10 / WEEKS, 2)}}
        (d / "summary.json").write_text(json.dumps(summary))

    return plant


def _ranked_relations(report: Report, size: int, lorenz: bool) -> list[dict[str, float]]:
    """What a reader of the shared report knows about the ranked costs x1 ≥ x2 ≥ … ≥ x{size}
    (the total spend is published): a row per rank (cost), every "top k" group shown (the
    concentration table's groups, the top-N group) and, with ``lorenz``, every Lorenz point
    (the bottom share p of people holds the cost of the bottom ⌊p·size⌋ people plus the
    interpolated part of the next one)."""
    xs = [f"x{i}" for i in range(1, size + 1)]
    rel: list[dict[str, float]] = [dict.fromkeys(xs, 1.0)]

    def top(k: int) -> dict[str, float]:
        return dict.fromkeys(xs[:k], 1.0)

    for t in report.tables():
        keys = {c.key for c in t.columns}
        for i, r in enumerate(t.rows):
            shown = [m for m in ("cost", "cost_per_week", "share_of_cost", "cost_per_person")
                     if m in keys and (i, m) not in t.hidden and t.shown[i].get(m) is not None]
            if "rank" in keys and shown:
                rel.append({f"x{int(r['rank'])}": 1.0})
            elif t.id in ("audit-concentration", "audit-top-n-group") and shown:
                rel.append(top(int(r["people"])))
    if lorenz:
        chart = next((c for c in report.charts() if c.id == "chart-audit-lorenz"), None)
        for v in chart.spec["data"]["values"] if chart else []:
            if v["line"] != "actual":
                continue
            # shared points are at whole people, their shares shown to 0.1%: the reader, who
            # knows the size, rounds back to the whole number; internal points are exact
            # (the attacker is given the whole number exactly)
            at = v["people_share"] * size
            m, f = round(at), 0.0
            if abs(at - m) > 0.0005 * size + 1e-9:  # not a whole person: an interpolated point
                m = int(np.floor(at + 1e-9))
                f = at - m
            eq = dict.fromkeys(xs[size - m:], 1.0)
            if f > 1e-9:
                eq[xs[size - m - 1]] = f
            rel.append(eq)
    return rel


def _file_texts(root: Path) -> tuple[str, list[float]]:
    """The shared HTML's text and every number of the workbook."""
    import openpyxl

    proj = Project.open(root)
    proj.config.report.formats = ["html", "xlsx"]
    files = run(proj)["files"]
    wb = openpyxl.load_workbook(files["xlsx"], data_only=True)
    numbers = [float(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row
               if isinstance(v, int | float) and not isinstance(v, bool)]
    return Path(files["html"]).read_text(encoding="utf-8"), numbers


def test_top_n_shown_as_a_group_not_per_person(tmp_path: Path) -> None:
    """Shared: the ten highest-cost people are one group (their cost, cost per person, cost
    per week for the group, share of all spend), never a row per person: no single person's
    cost is in the content model, the HTML or the workbook, and none can be worked out from
    the group, the concentration table and the Lorenz curve. Internal: a row per person."""
    costs = _population(4000, 11, TOP_TEN)
    plant = _plant_population(costs)
    report = _report(tmp_path, plant)
    assert not [t.id for t in report.tables() if "rank" in {c.key for c in t.columns}]
    group = _table(report, "audit-top-n-group")
    row = group.shown[0]
    assert row["people"] == 10 and row["cost"] == pytest.approx(863_092.88)
    assert row["cost_per_week"] == pytest.approx(8_298.97, abs=0.005)  # £863,092.88 ÷ 104 weeks
    assert row["cost_per_person"] == pytest.approx(86_309.288)
    assert row["share_of_cost"] == pytest.approx(863_092.88 / costs.sum())
    headline = next(b.text for s in report.sections if s.id == "audit" for b in s.blocks if isinstance(b, Paragraph))
    assert "the 10 highest-cost people together cost £8,298.97 a week (£829.90 each on average)" in headline
    # the reader's side: every "top k" figure and Lorenz point, 4000 unknowns would be slow;
    # the top 40 people (the top 1%) are the whole question, the rest is one lump
    rel = _ranked_relations(report, costs.size, lorenz=True)
    lump = [f"x{i}" for i in range(41, costs.size + 1)]
    rel = [{**{k: v for k, v in r.items() if k not in lump}, **({"rest": r[lump[0]]} if lump[0] in r else {})}
           for r in rel if all(r.get(k, 0.0) == r.get(lump[0], 0.0) for k in lump)]
    assert not recoverable([f"x{i}" for i in range(1, 41)] + ["rest"], rel) & {f"x{i}" for i in range(1, 41)}
    html, numbers = _file_texts(tmp_path / "p")
    for c in costs[:12]:
        assert format_value(c, "gbp") not in html and format_value(c / WEEKS, "gbp2") not in html, c
        assert repr(float(c)) not in html
        assert not any(abs(v - c) < 0.005 or abs(v - c / WEEKS) < 0.005 for v in numbers), c
    assert "£863,093" in html and "£8,298.97" in html
    internal = _table(_report(tmp_path / "i", plant, mode="internal"), "audit-top-n")
    assert [r["cost"] for r in internal.rows] == pytest.approx(list(TOP_TEN))
    assert len({r["person_id"] for r in internal.rows}) == 10


def test_top_n_group_hidden_when_it_would_give_people_back(tmp_path: Path) -> None:
    """90 people: the top 1% is one person, whose cost the concentration table hides (and the
    top 5%, 5 people). The old per-rank table gave it back as rank 1; a group of the top 10
    would give back the 10th person's cost less the shown top 10% (9 people), and a group of
    5 is itself small: neither is shown, and no single cost nor the hidden top groups can be
    worked out from the shared tables."""
    costs = _population(90, 5)
    plant = _plant_population(costs)
    for top_n in (10, 5):
        report = _report(tmp_path / str(top_n), plant, top_n=top_n)
        xs = [f"x{i}" for i in range(1, 91)]
        rel = _ranked_relations(report, 90, lorenz=False)
        assert not recoverable(xs, rel)
        assert not determined(xs, rel, {"x1": 1.0})  # the top 1%
        assert not determined(xs, rel, dict.fromkeys(xs[:5], 1.0))  # the top 5%
        conc = _table(report, "audit-concentration")
        assert {(0, "cost"), (1, "cost")} <= conc.hidden and (2, "cost") not in conc.hidden
        assert not any(t.id in ("audit-top-n", "audit-top-n-group") for t in report.tables())
        notes = [b.text for s in report.sections for b in s.blocks if isinstance(b, Note)]
        assert any(f"The {top_n} highest-cost people are not shown" in n for n in notes)
        text = " ".join(b.text for s in report.sections for b in s.blocks if isinstance(b, Paragraph))
        assert f"£{costs[:10].sum() / WEEKS:,.2f}" not in text  # the stage's headline names the top 10
    internal = _report(tmp_path / "i", plant, mode="internal")
    assert _table(internal, "audit-top-n-group").rows[0]["cost"] == pytest.approx(costs[:10].sum())
    assert _table(internal, "audit-top-n").rows[0]["cost"] == pytest.approx(costs[0])


# ------------------------------------------------------------------ 10. the Lorenz curve


def test_lorenz_points_do_not_give_back_single_people(tmp_path: Path) -> None:
    """The stage's curve has up to 101 points, at whole numbers of people: with 90 people one
    a person, so two neighbouring points give a person's cost (the last two, the hidden top
    1%). Shared: only steps of more than threshold people, none at a group the concentration
    table hides; no single cost and no hidden top group follows from them with the
    concentration table. With 4,000 or 4,002 people (steps of 40) every point is kept;
    internal reports keep them all."""
    costs = _population(90, 5)
    plant = _plant_population(costs)
    report = _report(tmp_path, plant)
    xs = [f"x{i}" for i in range(1, 91)]
    rel = _ranked_relations(report, 90, lorenz=True)
    assert not recoverable(xs, rel)
    assert not determined(xs, rel, {"x1": 1.0}) and not determined(xs, rel, dict.fromkeys(xs[:5], 1.0))
    points = [v for v in _chart_rows(report, "chart-audit-lorenz") if v["line"] == "actual"]
    # at whole people, shown to 0.1% (a share at full precision gave the exact population
    # back, which the report shows rounded: a disclosure reviewer's finding)
    assert all(round(v["people_share"], 3) == v["people_share"] for v in points)
    people = [round(v["people_share"] * 90) for v in points]
    assert all(abs(v["people_share"] * 90 - p) < 0.05 for v, p in zip(points, people, strict=True))
    assert people[0] == 0 and people[-1] == 90
    assert all(b - a > 7 for a, b in zip(people, people[1:], strict=False))
    assert 89 not in people and 85 not in people  # the hidden top 1% and top 5%
    chart = next(c for c in report.charts() if c.id == "chart-audit-lorenz")
    assert "whole numbers of people" in chart.description
    internal = _report(tmp_path / "i", plant, mode="internal")
    assert len([v for v in _chart_rows(internal, "chart-audit-lorenz") if v["line"] == "actual"]) == 91
    # 4,002 (the demo, where 1% is not a whole person): the stage's points are at whole people
    # (0, 40, 80, …); the three whose top group is 1 person from the top 1%, 5% and 10% (41,
    # 201 and 401 people) are dropped, not the whole curve (it had 3 points)
    for n, kept in ((4000, 101), (4002, 98)):
        large = _report(tmp_path / f"l{n}", _plant_population(_population(n, 11, TOP_TEN)))
        assert len([v for v in _chart_rows(large, "chart-audit-lorenz") if v["line"] == "actual"]) == kept


def test_lorenz_not_drawn_without_the_population_size(tmp_path: Path) -> None:
    def plant(out: Path) -> None:
        _plant_population(_population(90, 5))(out)
        conc = pd.read_parquet(out / "audit" / "concentration.parquet")
        _write(conc[conc["measure"] != "gini"], out / "audit" / "concentration.parquet")
        summary = json.loads((out / "audit" / "summary.json").read_text())
        del summary["people"]
        (out / "audit" / "summary.json").write_text(json.dumps(summary))

    report = _report(tmp_path, plant)
    assert not any(c.id == "chart-audit-lorenz" for c in report.charts())
    notes = [b.text for s in report.sections for b in s.blocks if isinstance(b, Note)]
    assert any("Lorenz curve is not shown" in n for n in notes)


# ------------------------------------------------------------------ 11. evaluation estimates


EVALUATED_INPUT = {"path": "outcomes[1].values[0].amount", "central": -868.125, "confidence_grade": 2,
                   "value": "normal(mean=-868.125, sd=312.4)"}


def _plant_few_matched(n_sets: dict[str, int], control_people: int = 230, naive_n: int = 118,
                       counts: dict[str, int] | None = None, cba_window: str | None = None) -> Callable[[Path], None]:
    """Matched participants per window (n_sets), the naive estimate's participants and the
    matched comparison group's people (match counts); with ``cba_window`` the CBA takes an
    evaluated effect of that window (carecase.cba.from_evaluation's label and source)."""
    def plant(out: Path) -> None:
        if cba_window is not None:
            path = out / "cba" / "results.json"
            res = json.loads(path.read_text())
            res["assumptions"].append({
                **EVALUATED_INPUT, "label": f"NEL_ADMIT: evaluated effect ({cba_window}): £ per unit to NHS (fiscal)",
                "source": f"carecase evaluate effects.json, window {cba_window}, matched comparison; "
                          "95% CI £255.81 to £1480.44"})
            path.write_text(json.dumps(res))
        d = out / "evaluate"
        matched = pd.read_parquet(d / "matched.parquet")
        _write(matched.assign(n_sets=matched["window"].map(n_sets)), d / "matched.parquet")
        naive = pd.read_parquet(d / "naive.parquet")
        _write(naive.assign(n=naive_n), d / "naive.parquet")
        mc = {"participants": 124, "treated_eligible": 120, "treated_matched": max(n_sets.values()),
              "treated_unmatched": 120 - max(n_sets.values()), "candidate_control_rows": 3000,
              "control_rows_matched": 236, "control_people_matched": control_people,
              "candidate_rows_discarded": 2764, "excluded_no_full_pre_period": 4, **(counts or {})}
        _write(pd.DataFrame({"count": list(mc), "value": list(mc.values())}), d / "match_counts.parquet")

    return plant


def _effect_values(root: Path) -> list[float]:
    return [float(v) for c in ("effect_ppy", "ci_low", "ci_high")
            for v in pd.read_parquet(root / "out/evaluate/matched.parquet").query("measure == 'cost'")[c]]


def test_effects_hidden_when_they_rest_on_few_matched_participants(tmp_path: Path) -> None:
    """3 matched participants (and 6 naive participants, 2 comparison people), as in the
    90-person demo: the table used to hide the 3 but print every effect estimated on them.
    Shared: no effect, interval, rate ratio or participants' change is shown — the tables
    become notes, the charts go, and the executive summary gives no headline effect.
    Internal: all shown."""
    plant = _plant_few_matched({"post_0_8": 3, "post_0_12": 3}, control_people=2, naive_n=6,
                               counts={"participants": 6, "treated_eligible": 6, "treated_unmatched": 3,
                                       "control_rows_matched": 3, "excluded_no_full_pre_period": 0},
                               cba_window="post_0_12")
    report = _report(tmp_path, plant)
    ids = {t.id for t in report.tables()} | {c.id for c in report.charts()}
    assert not ids & {"evaluation-effects", "chart-evaluation-effects", "evaluation-rate-ratios",
                      "evaluation-rtm", "chart-evaluation-rtm"}
    notes = [b.text for s in report.sections for b in s.blocks if isinstance(b, Note)]
    assert any("estimated effects are not shown" in n for n in notes)
    assert any("rate ratios are not shown" in n for n in notes)
    summary = next(s for s in report.sections if s.id == "summary")
    assert not any("Headline effect" in b.text for b in summary.blocks if isinstance(b, Paragraph))
    # the cost-benefit model takes the effect as an input: the register would print it with its
    # interval, and NPV, agency positions, tornado and switching values all follow from it
    cba = next(s for s in report.sections if s.id == "cba")
    assert not [b for s in (summary, cba) for b in s.blocks if isinstance(b, KeyFigures | Table | Chart)]
    register = _table(report, "assumptions-register")
    row = next(i for i, r in enumerate(register.rows) if "evaluated effect" in r["name"])
    assert {(row, "value"), (row, "central"), (row, "source")} <= register.hidden
    html, _ = _file_texts(tmp_path / "p")
    for v in _effect_values(tmp_path / "p"):
        assert format_value(v, "gbp") not in html and format_value(v, "num") not in html, v
    assert "868.1" not in html and "1480.44" not in html and "412,346" not in html  # input, CI, NPV
    # the balance table's 'after' means would be averages of those few people's covariates
    assert not ids & {"evaluation-balance", "chart-evaluation-balance"}
    assert any("covariate balance is not shown" in n for n in notes)
    internal = _report(tmp_path / "i", plant, mode="internal")
    assert "evaluation-balance" in {t.id for t in internal.tables()}
    t = _table(internal, "evaluation-effects")
    assert all(r["effect_matched"] is not None and r["n_matched"] == 3 for r in t.rows)
    assert _table(internal, "evaluation-rate-ratios").rows[0]["rate_ratio"] == 0.8
    assert any(isinstance(b, KeyFigures) for s in internal.sections if s.id == "cba" for b in s.blocks)


def test_effects_hidden_per_window_and_with_a_small_comparison_group(tmp_path: Path) -> None:
    """A window whose matched estimate rests on 5 people hides its matched estimates (the
    naive change, on 118 participants, stays) and its rate ratios; the chart (that window)
    draws the naive estimates only, and the summary gives the other window's figure and says
    why this one's is missing. A comparison
    group of 4 people hides every matched estimate."""
    report = _report(tmp_path, _plant_few_matched({"post_0_8": 118, "post_0_12": 5}, cba_window="post_0_8"))
    t = _table(report, "evaluation-effects")
    for i, r in enumerate(t.rows):
        late = r["window"] == "first 12 months after joining"
        for k in ("n_matched", "effect_matched", "ci_low_matched", "ci_high_matched"):
            assert ((i, k) in t.hidden) == late, (r["window"], k)
        assert (i, "effect_naive") not in t.hidden and t.shown[i]["effect_naive"] is not None
    assert {r["method"] for r in _chart_rows(report, "chart-evaluation-effects")} == {"naive"}
    rr = _table(report, "evaluation-rate-ratios")
    for i, r in enumerate(rr.rows):
        assert ((i, "rate_ratio") in rr.hidden) == (r["window"] == "first 12 months after joining")
    summary = next(s for s in report.sections if s.id == "summary")
    text = " ".join(b.text for b in summary.blocks if isinstance(b, Paragraph))
    assert "first 8 months after joining:" in text and "first 12 months after joining:" not in text
    assert "The headline effect for the first 12 months after joining is not shown in a shared report: it rests on 1–7 people, or almost wholly on one or two people's use." in text
    # the CBA takes the 118 people's window: shown
    assert any(isinstance(b, KeyFigures) for s in report.sections if s.id == "cba" for b in s.blocks)
    register = _table(report, "assumptions-register")
    assert not register.hidden
    report = _report(tmp_path / "w", _plant_few_matched({"post_0_8": 118, "post_0_12": 5}, cba_window="post_0_12"))
    assert not any(isinstance(b, KeyFigures) for s in report.sections if s.id in ("summary", "cba") for b in s.blocks)
    report = _report(tmp_path / "c", _plant_few_matched({"post_0_8": 118, "post_0_12": 118}, control_people=4))
    t = _table(report, "evaluation-effects")
    assert all((i, "effect_matched") in t.hidden and (i, "effect_naive") not in t.hidden for i in range(len(t.rows)))


def test_matched_participants_hidden_with_the_match_counts(tmp_path: Path) -> None:
    """eligible = matched + unmatched: with 5 unmatched hidden, the participants table hides
    the 115 matched as their complement; the effects table's "Matched participants" is the
    same figure, so it is hidden too (else 120 − 115 = 5). The estimates rest on 115 people
    and stay."""
    plant = _plant_few_matched({"post_0_8": 115, "post_0_12": 115},
                               counts={"participants": 120, "excluded_no_full_pre_period": 0})
    report = _report(tmp_path, plant, rounding_base=1)
    counts = _table(report, "evaluation-match-counts")
    names = [r["item"] for r in counts.rows]
    unknown = [names[i] for i in range(len(names)) if (i, "n") in counts.hidden]
    assert {"treated matched", "treated unmatched"} <= set(unknown)
    t = _table(report, "evaluation-effects")
    assert all((i, "n_matched") in t.hidden for i in range(len(t.rows)))
    assert all(t.shown[i]["effect_matched"] is not None for i in range(len(t.rows)))
    rel = [{"participants": 1, "treated eligible": -1, "excluded no full pre period": -1},
           {"treated eligible": 1, "treated matched": -1, "treated unmatched": -1},
           {"candidate control rows": 1, "control rows matched": -1, "candidate rows discarded": -1}]
    assert not recoverable(unknown, [{k: v for k, v in r.items() if k in unknown} for r in rel])
    # the balance after matching would give the 115 back (a binary covariate's SMD and
    # variance ratio are functions of the number matched): before only, in table and chart
    bal = _table(report, "evaluation-balance")
    assert {c.key for c in bal.columns} >= {"smd_before"} and not {"smd_after", "vr_after"} & {c.key for c in bal.columns}
    love = _chart_rows(report, "chart-evaluation-balance")
    assert love and {r["stage"] for r in love} == {"before"}
    internal = _report(tmp_path / "i", plant, rounding_base=1, mode="internal")
    assert "smd_after" in {c.key for c in _table(internal, "evaluation-balance").columns}


def test_balance_after_matching_shown_when_it_cannot_give_the_number_matched_back(tmp_path: Path) -> None:
    """As above (115 matched hidden as the complement of 5 unmatched), but the balance table
    marks its 0/1 covariates (carecase evaluate writes `binary`), and sex_female's SMD and
    variance ratio after matching (60 of 115 participants, 58 of 115 controls) fit every
    number matched a reader cannot exclude: the balance after matching is shown."""
    from carecase.report.sections.balance_disclosure import feasible_matched

    base = _plant_few_matched({"post_0_8": 115, "post_0_12": 115},
                              counts={"participants": 120, "excluded_no_full_pre_period": 0})

    def plant(out: Path) -> None:
        base(out)
        path = out / "evaluate" / "balance.parquet"
        bal = pd.read_parquet(path)
        n, a, b = 115, 60, 58
        p_t, p_c = a / n, b / n
        v_t, v_c = p_t * (1 - p_t) * n / (n - 1), p_c * (1 - p_c) * n / (n - 1)
        smd, vr = (p_t - p_c) / np.sqrt((v_t + v_c) / 2), v_t / v_c
        assert len(feasible_matched([(round(smd, 2), round(vr, 2))], range(111, 122))) >= 3
        after = (bal["stage"] == "after") & (bal["covariate"] == "sex_female")
        bal.loc[after, ["smd", "variance_ratio"]] = [smd, vr]
        bal["binary"] = bal["covariate"] == "sex_female"
        bal.loc[bal["stage"] == "after", ["n_treated", "n_control"]] = [n, n]
        _write(bal, path)

    report = _report(tmp_path, plant, rounding_base=1)
    assert {"smd_after", "vr_after"} <= {c.key for c in _table(report, "evaluation-balance").columns}


def test_events_hidden_as_a_complement_take_their_pounds_and_activity_with_them(tmp_path: Path) -> None:
    """Mental-health stays: 5 events of 3 people, hidden. The people's complement is the
    smallest other people count (custody, 8 people, 60 events), the events' the smallest other
    events count (homelessness applications, 9 events of 9 people), whose people, £ and
    activity stayed shown: a point service's activity is its events, and its £ its events ×
    the unit cost the Unit costs section publishes, so the hidden complement came straight
    back. Now a row whose events are hidden has its people hidden, and so its £."""
    rows = [("AE_ATTEND", "NHS", "Acute Trust", "Physical health", 151, 365, 55_950.22),
            ("MH_INPATIENT", "NHS", "Mental Health Trust", "Mental health", 3, 5, 28_252.86),
            ("GP_APPT", "NHS", "Primary Care", "Physical health", 245, 4448, 229_114.49),
            ("HOU_HOMELESS_APP", "Local Authority", "Housing", "Housing", 9, 9, 4_852.80),
            ("POL_CUSTODY", "Police", "Police", "Crime and justice", 8, 60, 55_781.14)]

    def plant(out: Path) -> None:
        sv = pd.DataFrame(rows, columns=["service_code", "agency_l1", "agency_l2", "area_of_need", "people",
                                         "events", "cost"])
        money = {"fiscal_cost": sv["cost"], "economic_cost": 0.0, "activity": sv["events"].astype(float),
                 "share_of_cost": sv["cost"] / sv["cost"].sum()}
        _write(sv.assign(**money), out / "audit" / "cost_by_service.parquet")
        for keys, name in ((["agency_l1", "agency_l2"], "cost_by_agency"), (["area_of_need"], "cost_by_need")):
            g = sv.assign(**money).groupby(keys, as_index=False)[["cost", "fiscal_cost", "economic_cost",
                                                                   "share_of_cost", "events"]].sum()
            g["people"] = sv.groupby(keys)["people"].max().to_numpy() + (sv.groupby(keys).size().to_numpy() > 1) * 2
            _write(g if name == "cost_by_agency" else g.drop(columns="events"), out / "audit" / f"{name}.parquet")

    report = _report(tmp_path, plant, rounding_base=1)
    sv = _table(report, "audit-service")
    events_hidden = [i for i in range(len(sv.rows)) if (i, "events") in sv.hidden]
    assert len(events_hidden) >= 2
    for i in events_hidden:
        assert {(i, "people"), (i, "cost"), (i, "activity")} <= sv.hidden, sv.rows[i]["service_code"]
    # and the other way (a code review): a £ hidden with its people while its events showed
    # was events × the unit cost (an A&E complement's 900 events)
    for t in (sv, _table(report, "audit-agency")):
        for i in range(len(t.rows)):
            assert ((i, "people") in t.hidden) == ((i, "events") in t.hidden), (t.id, t.rows[i])


def test_outcome_note_names_intervals_only_where_shown(tmp_path: Path) -> None:
    """The demo's outcomes have no interval columns: the shared note said 'Means, SDs and
    intervals are shown to 1 decimal' beside a table with no interval."""
    def plant(out: Path) -> None:
        _plant_outcomes(out)
        path = out / "evaluate" / "outcomes.parquet"
        _write(pd.read_parquet(path).drop(columns=["ci_low", "ci_high"]), path)

    without = _table(_report(tmp_path, plant), "evaluation-outcomes")
    assert "Means and SDs are shown to 1 decimal" in without.note and "intervals" not in without.note
    with_ci = _table(_report(tmp_path / "ci", _plant_outcomes), "evaluation-outcomes")
    assert "Means, SDs and intervals are shown to 1 decimal" in with_ci.note


# ------------------------------------------------------------------ 6b. match rates by group


def _plant_match_rates(out: Path) -> None:
    """Housing's 1,483 records (1,456 linked, 27 unlinked) by sex and by age band, with small
    cells (3 of unknown sex, 5 unlinked women, 2 unlinked aged 0-17); women flagged."""
    path = out / "link" / "summary.json"
    link = json.loads(path.read_text())

    def row(group: str, level: str, records: int, linked: int) -> dict[str, Any]:
        return {"source": "housing", "group": group, "level": level, "records": records, "linked": linked,
                "unlinked": records - linked, "linked_share": linked / records, "nhs_number": 0, "lookup": 0,
                "probabilistic": linked, "clerical": 0}
    link["match_rates"] = [
        row("all", "all", 1483, 1456),
        row("sex", "F", 700, 695), row("sex", "M", 780, 759), row("sex", "not known", 3, 2),
        row("age_band", "0-17", 40, 38), row("age_band", "18-24", 600, 590), row("age_band", "25-34", 843, 828),
    ]
    link["match_rate_gaps"] = [{"source": "housing", "group": "sex", "level": "not known", "records": 3,
                                "linked_share": 2 / 3, "source_linked_share": 1456 / 1483, "gap": 0.3}]
    path.write_text(json.dumps(link))


def test_match_rates_by_group_not_given_back_by_the_other_linkage_tables(tmp_path: Path) -> None:
    """Records, linked and unlinked by source and group are protected with their rows
    (records = linked + unlinked), each group's levels (they add up to the source's row) and
    the source's figures in the other Data tables (accepted rows, records by method)."""
    report = _report(tmp_path, _plant_match_rates, rounding_base=1)
    src, per, rates = (_table(report, k) for k in ("data-sources", "data-linkage-sources", "data-linkage-groups"))
    assert {r["source"] for r in rates.rows} == {"housing"}
    unknown_sex = next(i for i, r in enumerate(rates.rows) if r["level"] == "not known")
    assert (unknown_sex, "records") in rates.hidden and (unknown_sex, "linked_share") in rates.hidden
    women = next(i for i, r in enumerate(rates.rows) if r["level"] == "F")
    assert (women, "unlinked") in rates.hidden and (women, "linked_share") in rates.hidden
    unknown, rel, methods, at = _data_relations(src, per, (src, per, rates))
    h = next(i for i, r in enumerate(per.rows) if r["source"] == "housing")
    g = "data-linkage-groups"
    for i in range(len(rates.rows)):
        rel.append({f"{g}:{i}:records": 1, f"{g}:{i}:linked": -1, f"{g}:{i}:unlinked": -1})
    for group in rates.relations:
        for k in ("records", "linked", "unlinked"):
            rel.append({f"{g}:{group[0]}:{k}": 1, **{f"{g}:{i}:{k}": -1 for i in group[1:]}})
    total = next(i for i, r in enumerate(rates.rows) if r["level"] == "")
    rel.append({f"{g}:{total}:records": 1, f"data-sources:{at['housing']}:rows_accepted": -1})
    rel.append({f"{g}:{total}:unlinked": 1, f"data-linkage-sources:{h}:unlinked": -1})
    rel.append({f"{g}:{total}:linked": 1, **{f"data-linkage-sources:{h}:{m}": -1 for m in methods if m != "unlinked"}})
    for t in (src, per):
        for c in t.columns:
            if c.count and t.totals and t.totals.get(c.key) is not None:
                rel.append({f"{t.id}:{i}:{c.key}": 1 for i in range(len(t.rows))})
    assert unknown and not recoverable(unknown, rel)
    text = " ".join(b.text for s in report.sections for b in s.blocks if isinstance(b, Paragraph))
    assert "Possible source of bias" in text and "housing: sex not known" in text
    assert "67%" not in text  # shared: the group is named, its rate (of 3 records) is not


def test_match_rates_internal_report_gives_the_rates(tmp_path: Path) -> None:
    report = _report(tmp_path, _plant_match_rates, mode="internal")
    text = " ".join(b.text for s in report.sections for b in s.blocks if isinstance(b, Paragraph))
    assert "housing: sex not known (67% linked against 98%)" in text
