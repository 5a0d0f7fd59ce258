"""Realistic fake stage outputs (out/ingest, out/link, out/costs … out/cba) for the report tests.

The shapes follow docs/architecture.md and the stage briefs; a few identifier columns
(names, NHS numbers) are planted in audit/evaluate tables, and a pseudonymisation key in the
environment, so the tests can prove none reaches any report file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from carecase.core.random import generator
from carecase.costs.library import UPRATED_COLUMNS
from carecase.report.freshness import DOMINANCE_TABLES

PLANTED_NAMES = ("Gwendolyn Ashcroft-Pryce", "Tobias Quennell", "Ffion Llewellyn-Barr")
PLANTED_NHS = ("9434765919", "4010232137", "9990001234")
PLANTED_KEY = "fixture-pseudonymisation-key-7Qx2v"
PLANTED = (*PLANTED_NAMES, *PLANTED_NHS, PLANTED_KEY)

AGENCIES = ("NHS", "Local Authority", "Police", "DWP")
NEEDS = ("Physical health", "Mental health", "Social care", "Housing", "Crime and justice",
         "Substance misuse")
SERVICES = ("AE_ATTEND", "NEL_ADMIT", "MH_INPATIENT", "HOU_TEMP_ACCOM", "POL_CUSTODY")


def _write(df: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path)
    df.to_csv(path.with_suffix(".csv"), index=False)


def _json(payload: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")


def write_ingest_link(out: Path) -> None:
    """Shapes as written by carecase.ingest.stage and carecase.link.stage."""
    def src(read: int, accepted: int, quarantined: int, rules: dict[str, int], status: str) -> dict[str, Any]:
        counts = {"rows_read": read, "rows_accepted": accepted, "rows_quarantined": quarantined,
                  "rows_out_of_scope": read - accepted - quarantined}
        return {**counts, "role": "events", "config_key": "ingest.sources[0]", "quarantined_by_rule": rules,
                "files": [{**counts, "batch_id": "a9d12d97c164", "path": "extracts/x.csv", "status": status,
                           "quarantined_by_rule": rules}]}
    _json({
        "headline": "3 file(s) from 3 source(s): 6,001 rows read, 5,960 accepted, 41 quarantined",
        "sources": {"acute": src(3001, 2980, 21, {"impossible_date": 15, "blank_identifier": 6}, "new"),
                    "asc": src(1500, 1497, 3, {"unknown_code": 3}, "new"),
                    "housing": src(1520, 1483, 17, {"impossible_date": 12, "negative_quantity": 5}, "unchanged")},
        "totals": {"rows_read": 6021, "rows_accepted": 5960, "rows_quarantined": 41, "rows_out_of_scope": 20},
    }, out / "ingest" / "summary.json")
    per_source = {"acute": {"nhs_number": 2900, "probabilistic": 76, "unlinked": 4},
                  "asc": {"lookup": 1490, "clerical": 4, "unlinked": 3},
                  "housing": {"probabilistic": 1456, "unlinked": 27}}
    totals: dict[str, int] = {}
    for methods in per_source.values():
        for m, n in methods.items():
            totals[m] = totals.get(m, 0) + n
    _json({
        "headline": "5,960 records → 1,204 people",
        "records_by_method": per_source, "records_by_method_total": totals,
        "truth": {"sources_without_nhs_numbers": {"precision": 0.991, "recall": 0.968, "f1": 0.979},
                  "all_records": {"precision": 0.998, "recall": 0.992, "f1": 0.995}},
    }, out / "link" / "summary.json")


def spread_largest(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with the two largest people's costs the audit writes for the dominance rule,
    spread so that no row is dominated (3 and 2 times the row's cost per person)."""
    each = (df["cost"] / df["people"].where(df["people"] > 0)).fillna(0.0)
    largest = np.minimum(df["cost"], 3 * each)
    return df.assign(largest_person_cost=largest, second_person_cost=np.minimum(df["cost"] - largest, 2 * each))


def write_audit(out: Path, rng: np.random.Generator) -> None:
    """Shapes as written by carecase.audit.stage (plus planted identifier columns; the
    agency and area-of-need tables' activity, which earlier audits wrote, the report drops)."""
    d = out / "audit"

    people = rng.integers(40, 900, len(AGENCIES))
    cost = np.round(rng.uniform(2e5, 4e6, len(AGENCIES)), 2)
    _write(pd.DataFrame({"agency_l1": list(AGENCIES), "agency_l2": ["Acute Trust", "Housing", "Police", "DWP"],
                         "cost": cost, "fiscal_cost": cost * 0.9, "economic_cost": cost * 0.1,
                         "activity": people * 7.5, "people": people, "share_of_cost": cost / cost.sum()}),
           d / "cost_by_agency.parquet")
    svc_cost = np.array([420000.0, 1350000.5, 98000.0, 260000.0, 210000.0])
    _write(pd.DataFrame({"service_code": list(SERVICES), "agency_l1": ["NHS", "NHS", "NHS", "Local Authority", "Police"],
                         "agency_l2": ["Acute Trust", "Acute Trust", "Mental Health Trust", "Housing", "Police"],
                         "area_of_need": ["Physical health", "Physical health", "Mental health", "Housing",
                                          "Crime and justice"],
                         "cost": svc_cost, "fiscal_cost": svc_cost, "economic_cost": 0.0,
                         "activity": [1900.0, 300.0, 6.0, 400.0, 380.0], "people": [640, 212, 5, 88, 130],
                         "share_of_cost": svc_cost / svc_cost.sum()}), d / "cost_by_service.parquet")
    need_cost = np.round(rng.uniform(1e5, 2e6, len(NEEDS)), 2)
    _write(pd.DataFrame({"area_of_need": list(NEEDS), "cost": need_cost, "fiscal_cost": need_cost,
                         "economic_cost": 0.0, "activity": 10.0, "people": [700, 180, 95, 120, 130, 3],
                         "share_of_cost": need_cost / need_cost.sum()}), d / "cost_by_need.parquet")
    rows = [{"financial_year": y, "year_label": f"{y}/{(y + 1) % 100:02d}", "agency_l1": a, "agency_l2": l2,
             "cost": float(np.round(rng.uniform(1e5, 1e6), 2)), "people": int(rng.integers(10, 400))}
            for y in (2022, 2023) for a in AGENCIES for l2 in ("main", "other")]
    _write(pd.DataFrame(rows), d / "cost_by_year_agency.parquet")
    _write(pd.DataFrame({"group": ["all", "cohort", "rest of population"], "people": [1204, 120, 1084],
                         "people_with_cost": [1180, 120, 1060], "cost": [5.5e6, 2.4e6, 3.1e6],
                         "cost_per_person": [4568.1, 20000.0, 2859.78],
                         "cost_per_person_year": [2284.05, 10000.0, 1429.89]}), d / "cohort_vs_population.parquet")
    n = 12
    cost = np.sort(np.round(rng.uniform(4e4, 2e5, n), 2))[::-1]
    _write(pd.DataFrame({
        "rank": np.arange(1, n + 1), "person_id": [f"P{i:016x}" for i in rng.integers(1, 2**60, n)],
        "cost": cost, "fiscal_cost": cost * 0.8, "economic_cost": cost * 0.2,
        "cost_per_week": np.round(cost / 104.0, 2), "weeks": np.full(n, 104.0),
        "given_name": [PLANTED_NAMES[i % 3].split()[0] for i in range(n)],
        "family_name": [PLANTED_NAMES[i % 3].split()[-1] for i in range(n)],
        "nhs_number": [PLANTED_NHS[i % 3] for i in range(n)],
    }), d / "top_n.parquet")
    _write(pd.DataFrame({"measure": ["top 1%", "top 5%", "top 10%", "gini"], "people": [12, 60, 120, 1204],
                         "cost": [1.0e6, 2.4e6, 3.3e6, 5.5e6], "value": [0.18, 0.44, 0.61, 0.62]}),
           d / "concentration.parquet")
    x = np.linspace(0, 1, 21)
    _write(pd.DataFrame({"population_share": x, "cost_share": x ** 3.2}), d / "lorenz.parquet")
    _write(pd.DataFrame({"locality": ["North", "North", "South", "South", "East"],
                         "demand": ["residential care", "temporary accommodation"] * 2 + ["residential care"],
                         "people": [14, 3, 22, 9, 0], "cost": [410000.0, 33000.0, 600000.0, 51000.0, 0.0],
                         "activity": [700.0, 90.0, 1000.0, 260.0, 0.0],
                         "postcode": ["ZZ1 1ZZ"] * 5}), d / "locality_demand.parquet")
    for name in DOMINANCE_TABLES:
        _write(spread_largest(pd.read_parquet(d / f"{name}.parquet")), d / f"{name}.parquet")
    top10 = float(cost[:10].sum())
    _json({"headline": f"£5,500,000 across 1,204 people, 2022-01-01 to 2023-12-30; top 10 cost £{top10 / 104.0:,.2f} "
                       "a week; top 10% of people account for 61% of cost (Gini 0.62)",
           "total_cost": 5.5e6, "fiscal_cost": 5.5e6, "economic_cost": 0.0, "people": 1204, "gini": 0.62,
           "window": {"start": "2022-01-01", "end_inclusive": "2023-12-30", "weeks": 104.0},
           "top_n": {"n": 10, "cost": round(top10, 2), "cost_per_week": round(top10 / 104.0, 2)}},
          d / "summary.json")


GMCA = " (via New Economy / GMCA Unit Cost Database v1.4, CC BY 4.0)"
# code, value type, description, unit, agency levels 1 and 2, source, base value and year,
# uprating factor (HM Treasury GDP deflator to 2024/25), provenance; SS7.0 is in the library
# but no service uses it, and the police custody cost is a local override
UNIT_COSTS = (
    ("CR7.0", "fiscal", "Criminal proceedings: Arrest - detained", "Per incident", "Police", None,
     "Testshire Police custody costing 2024/25", 850.0, 2024, 1.0, "override"),
    ("HE14.0.1", "fiscal", "Mental health inpatients - average cost per bed day, adults", "Per bed day", "NHS",
     "Clinical Commissioning Group", "National Schedule of Reference Costs 2011-12" + GMCA, 410.0, 2011,
     1.406314, "default"),
    ("HE4.0", "fiscal", "A&E attendance (all scenarios)", "Per incident", "NHS", "Clinical Commissioning Group",
     "National Schedule of Reference Costs 2011-12 (HRG codes VB01Z to VB11Z)" + GMCA, 109.0, 2011, 1.406314,
     "default"),
    ("HE7.0.2", "fiscal", "Hospital inpatients - average cost per episode, non-elective admissions",
     "Per episode", "NHS", "Clinical Commissioning Group",
     "Reference Cost Collection: National Schedule of Reference Costs - Year 2013-14" + GMCA, 1542.0, 2013,
     1.355515, "default"),
    ("HO4.0N", "fiscal", "Temporary accommodation - hostel, per night (weekly cost ÷ 7)", "Per night",
     "Local authority", None, "Research briefing: Immediate costs to government of loss of home (Shelter, "
     "2012)" + GMCA + "; carecase derivation from HO4.0", 15.35, 2010, 1.437819, "default"),
    ("SS7.0", "economic", "Residential care for older people - average gross weekly expenditure per person",
     "Per week", "Local Authority", "Social Services", "Personal Social Services: Expenditure and Unit Costs, "
     "England - 2013-14" + GMCA, 179.4, 2013, 1.355515, "default"),
    ("SS7.0", "fiscal", "Residential care for older people - average gross weekly expenditure per person",
     "Per week", "Local Authority", "Social Services", "Personal Social Services: Expenditure and Unit Costs, "
     "England - 2013-14" + GMCA, 358.8, 2013, 1.355515, "default"),
)
SERVICE_UNIT_COST = {"AE_ATTEND": ("HE4.0", "per_unit"), "NEL_ADMIT": ("HE7.0.2", "per_episode"),
                     "MH_INPATIENT": ("HE14.0.1", "per_day"), "HOU_TEMP_ACCOM": ("HO4.0N", "per_day"),
                     "POL_CUSTODY": ("CR7.0", "per_unit")}


def write_costs(out: Path) -> None:
    """Shapes as written by carecase.costs.stage: unit_costs (the library at the price year,
    ``UPRATED_COLUMNS``), cost_by_service (with its counts, which the report never shows) and
    summary.json (a subset: no events digest, so the report's freshness check passes)."""
    d = out / "costs"
    lib = pd.DataFrame([{
        "code": code, "description": desc, "unit": unit, "agency_l1": l1, "agency_l2": l2, "value_type": vt,
        "value": base * factor, "price_year": 2024, "source": source,
        "url": "https://www.greatermanchester-ca.gov.uk/", "licence": "CC BY 4.0", "rag": "G", "grade": 3,
        "transfer": False, "cashable": vt == "fiscal", "parent_code": None, "base_value": base,
        "base_price_year": year, "uprate_factor": factor, "index_name": "hmt_gdp", "index_approximate": True,
        "provenance": prov,
    } for code, vt, desc, unit, l1, l2, source, base, year, factor, prov in UNIT_COSTS])
    _write(lib[UPRATED_COLUMNS], d / "unit_costs.parquet")
    value = {code: base * factor for code, _, _, _, _, _, _, base, _, factor, _ in UNIT_COSTS}
    rows = [640, 212, 5, 88, 130]
    units = [640.0, 212.0, 61.0, 400.0, 130.0]
    _write(pd.DataFrame({
        "service_code": list(SERVICES), "unit_cost_code": [SERVICE_UNIT_COST[s][0] for s in SERVICES],
        "basis": [SERVICE_UNIT_COST[s][1] for s in SERVICES], "value_type": "fiscal", "transfer": False,
        "rows": rows, "units": units,
        "cost": [u * value[SERVICE_UNIT_COST[s][0]] for s, u in zip(SERVICES, units, strict=True)],
        "cost_outside_period": 0.0, "open_ended": [0, 3, 1, 2, 0]}), d / "cost_by_service.parquet")
    _json({"headline": "1,075 of 1,075 events costed at 2024/25 prices", "price_year": 2024,
           "library_rows": len(lib), "overridden_rows": 1, "index_approximate": True, "warnings": []},
          d / "summary.json")


WINDOWS = ("post_0_8", "post_0_12")
TRUTH_GBP = {"AE_ATTEND": -300.0, "NEL_ADMIT": -900.0, "MH_INPATIENT": -1200.0, "HOU_TEMP_ACCOM": -500.0}


def write_evaluate(out: Path, rng: np.random.Generator) -> None:
    """Shapes as written by carecase.evaluate (tidy: window × key_type × key × measure)."""
    d = out / "evaluate"
    keys = [("service", s) for s in TRUTH_GBP] + [("total", "all")]
    naive, matched, rr, rtm = [], [], [], []
    for w in WINDOWS:
        for key_type, key in keys:
            for measure in ("events", "cost"):
                true = (sum(TRUTH_GBP.values()) if key == "all" else TRUTH_GBP[key]) * (1 if measure == "cost" else 0.002)
                m = true + rng.normal(0, abs(true) * 0.05)
                nv = true * 2.1
                base = {"window": w, "key_type": key_type, "key": key, "measure": measure}
                naive.append({"estimate": "naive before/after (treated only)", **base, "pre_ppy": 3000.0,
                              "post_ppy": 3000.0 + nv, "change_ppy": nv, "ci_low": nv - abs(nv) * 0.3,
                              "ci_high": nv + abs(nv) * 0.3, "se": abs(nv) * 0.15, "t_stat": -4.0, "t_p": 0.001,
                              "wilcoxon_stat": 200.0, "wilcoxon_p": 0.0004, "mean_person_change": nv, "n": 118})
                matched.append({"estimate": "matched difference-in-differences", **base,
                                "treated_pre_ppy": 3000.0, "treated_post_ppy": 3000.0 + nv,
                                "control_pre_ppy": 2950.0, "control_post_ppy": 2950.0 + nv - m,
                                "effect_ppy": m, "ci_low": m - abs(m) * 0.6, "ci_high": m + abs(m) * 0.6,
                                "se": abs(m) * 0.3, "ratio_of_ratios": 0.8, "ratio_ci_low": 0.6,
                                "ratio_ci_high": 0.95, "n_sets": 118, "n_control_rows": 236})
                if measure == "events":
                    rr.append({**base, "model": "poisson", "rate_ratio": 0.8, "rr_ci_low": 0.66,
                               "rr_ci_high": 0.97, "rr_p": 0.02, "alpha": float("nan")})
                    rr.append({**base, "model": "negative_binomial", "rate_ratio": 0.82, "rr_ci_low": 0.67,
                               "rr_ci_high": 1.0, "rr_p": 0.05, "alpha": 1.3})
                rtm.append({**base, "treated_pre_ppy": 3000.0, "treated_post_ppy": 3000.0 + nv,
                            "treated_change_ppy": nv, "control_pre_ppy": 2950.0,
                            "control_post_ppy": 2950.0 + nv - m, "control_change_ppy": nv - m,
                            "share_of_naive_change_seen_in_controls": (nv - m) / nv})
    # each group's largest and second-largest person's share of its use (no row dominated)
    spread = {f"{period}_{rank}_share": share for period in ("pre", "post", "change", "step")
              for rank, share in (("largest", 0.1), ("second", 0.06))}
    groups = {f"{group}_{k}": v for group in ("treated", "control") for k, v in spread.items()}
    unmatched = {f"unmatched_change_{rank}_share": share for rank, share in (("largest", 0.1), ("second", 0.06))}
    _write(pd.DataFrame(naive).assign(**spread, **unmatched), d / "naive.parquet")
    # the matched participants' own naive (here the same figures: the naive's 118 are the matched)
    _write(pd.DataFrame(naive).assign(estimate="naive before/after (matched participants only)", **spread),
           d / "naive_matched.parquet")
    _write(pd.DataFrame(matched).assign(**groups), d / "matched.parquet")
    _write(pd.DataFrame(rr), d / "rate_ratios.parquet")
    _write(pd.DataFrame(rtm).assign(**groups), d / "rtm.parquet")
    covs = ["age", "deprivation_decile", "pre_cost", "pre_events_AE_ATTEND", "sex_female", "trend_cost"]
    bal = []
    for stage, lo, hi in (("after", 0.0, 0.09), ("before", 0.05, 0.6)):
        for c in covs:
            s = float(rng.uniform(lo, hi))
            bal.append({"covariate": c, "stage": stage, "mean_treated": 1.0, "mean_control": 1.0 - s,
                        "smd": s, "variance_ratio": float(rng.uniform(0.8, 1.3)), "imbalanced": abs(s) >= 0.1,
                        "n_treated": 118 if stage == "after" else 120, "n_control": 236 if stage == "after" else 3000})
    _write(pd.DataFrame(bal), d / "balance.parquet")
    _write(pd.DataFrame({"count": ["participants", "treated_eligible", "treated_matched", "treated_unmatched",
                                   "candidate_control_rows", "control_rows_matched", "candidate_rows_discarded",
                                   "excluded_no_full_pre_period"],
                         "value": [124, 120, 118, 2, 3000, 236, 2764, 4]}), d / "match_counts.parquet")
    _write(pd.DataFrame({"instrument": ["SWEMWBS", "SWEMWBS"], "measure": ["total", "total"],
                         "from_assessment": ["baseline", "baseline"], "to_assessment": ["6m", "12m"],
                         "n": [96, 5], "mean_from": [19.2, 19.0], "mean_to": [22.1, 23.0],
                         "mean_change": [2.9, 4.0], "sd_change": [3.1, 2.0], "t_stat": [9.1, 4.4],
                         "t_p": [0.0001, 0.01], "wilcoxon_stat": [300.0, 0.0], "wilcoxon_p": [0.0001, 0.06],
                         "improved": [70, 4], "no_change": [10, 1], "worse": [16, 0]}), d / "outcomes.parquet")
    cs = [{"case": f"Case {c}", "area_of_need": need, "period": period, "months": 12.0,
           "mean_cost_per_month": float(rng.uniform(200, 2500) if period == "before" else rng.uniform(50, 1500)),
           "events": float(rng.integers(8, 30)), "events_suppressed": False,
           "client_name": PLANTED_NAMES[i % 3]}
          for i, c in enumerate("ABC") for need in NEEDS[:4] for period in ("before", "after")]
    _write(pd.DataFrame(cs), d / "case_studies.parquet")
    _json({"windows": {w: {"services": {s: {"cost_ppy": {"effect": v}} for s, v in TRUTH_GBP.items()}}
                       for w in WINDOWS}}, d / "effects.json")
    _json({"headline": "Matched DiD: −£2.9k per person-year"}, d / "summary.json")


def write_cba(out: Path, rng: np.random.Generator) -> dict[str, Any]:
    """Shapes as written by carecase.cba.results.analyse (subset)."""
    years = list(range(0, 6))
    matrix = {a: [float(np.round(rng.normal(-2e4 if a == "Local Authority" else 3e4, 1e4), 2)) for _ in years]
              for a in AGENCIES}
    factors = [1.035 ** -y for y in years]
    cash = {a: np.cumsum(np.array(matrix[a]) * factors).round(2).tolist() for a in AGENCIES}
    agency_net = {a: {"net_pv": round(float(np.dot(matrix[a], factors)), 2), "costs_pv": 1000.0} for a in AGENCIES}
    edges = np.linspace(-2e5, 6e5, 17)
    weights = np.exp(-0.5 * ((edges[:-1] - 2e5) / 1.5e5) ** 2)
    counts = rng.multinomial(10000, weights / weights.sum())
    results = {
        "model": {"name": "Navigator programme (fixture)", "description": "Fixture model.", "appraisal_years": 6,
                  "price_base_year": 2024, "discounting": "standard", "agencies": list(AGENCIES), "years": years},
        "headline": {"npv": 412345.67, "bcr": 1.84, "roi_cashable": 0.42, "roi_fiscal": 0.61, "roi_public_value": 1.84,
                     "payback_year": 3, "net_present_budget_impact": -105000.25,
                     "pv_costs": 490000.0, "pv_public_value": 902345.67},
        "matrix": matrix,
        "agency_net": agency_net,
        "cashflow": {**cash, "total_public_value": np.sum([cash[a] for a in AGENCIES], axis=0).round(2).tolist()},
        "tornado": [{"path": "cohorts[0].success_rate", "label": "Engagement rate", "base": 0.6, "low": 0.45,
                     "high": 0.7, "npv_low": 150000.0, "npv_high": 640000.0, "basis": "p10/p90"},
                    {"path": "outcomes[0].deadweight", "label": "Deadweight", "base": 0.2, "low": 0.16,
                     "high": 0.24, "npv_low": 520000.0, "npv_high": 250000.0, "basis": "±20%"},
                    {"path": "costs[0].amount", "label": "Navigator cost", "base": 250000.0, "low": 200000.0,
                     "high": 300000.0, "npv_low": 480000.0, "npv_high": 330000.0, "basis": "±20%"}],
        "npv_draws": {"draws": 10000, "percentiles": {"p5": -40000.0, "p50": 405000.0, "p95": 820000.0},
                      "histogram": {"edges": edges.tolist(), "counts": counts.tolist()}},
        "p_npv_positive": 0.87,
        "switching_values": [{"path": "cohorts[0].success_rate", "label": "Engagement rate", "base": 0.6,
                              "value": 0.21, "status": "found"},
                             {"path": "costs[0].amount", "label": "Navigator cost", "base": 250000.0,
                              "value": None, "status": "none in range"}],
        # 50 participants a year for six years at 3.5%: S = E = 50 × 5.515052 = 275.7526
        "break_even": {"benefit_per_participant_year": 1776.96, "benefit_measured_per_participant_year": 1870.48,
                       "adjustment": 0.95, "estimated_per_participant_year": 3272.30,
                       "estimated_measured_per_participant_year": 3444.53, "participant_years": 300.0,
                       "participant_years_discounted": 275.7526, "cost_per_participant_year": 1776.96,
                       "cost_break_even_per_participant_year": 3272.30, "cost_status": "found",
                       "engaged_years_discounted": 275.7526, "pv_costs": 490000.0, "pv_public_value": 902345.67,
                       "basis": {"cohorts": ["participants"], "lag_years": 0, "duration_years": 1, "drop_off": 0.0,
                                 "profile": "the outcomes'", "discounting": "standard", "price_base_year": 2024},
                       "evaluated": {"window": "post_0_12", "services": ["AE_ATTEND", "GP_APPT"], "mean": 3400.0,
                                     "sd": 1122.46, "ci_low": 1200.0, "ci_high": 5600.0}},
        "benefit_split": {"avoided_demand_pv": 1150000.0, "intended_pv": -247654.33, "pv_public_value": 902345.67,
                          "pv_costs": 490000.0, "npv": 412345.67,
                          "intended_outcomes": ["GP_APPT: evaluated effect (post_0_12)"],
                          "outcomes": [{"outcome": 0, "name": "AE_ATTEND: evaluated effect (post_0_12)",
                                        "intended": False, "pv_public_value": 1150000.0},
                                       {"outcome": 1, "name": "GP_APPT: evaluated effect (post_0_12)",
                                        "intended": True, "pv_public_value": -247654.33}]},
        "scenarios": [{"name": "central", "description": "", "headline": {"npv": 412345.67, "bcr": 1.84}},
                      {"name": "pessimistic", "description": "Higher deadweight.",
                       "headline": {"npv": -30500.0, "bcr": 0.94}}],
        "assumptions": [
            {"path": "costs[0].amount", "label": "Navigator cost", "value": "250000", "central": 250000.0,
             "source": "Programme budget 2024/25", "confidence_grade": 1},
            {"path": "cohorts[0].success_rate", "label": "Engagement rate", "value": "beta(6, 4)",
             "central": 0.6, "source": "Pilot data", "confidence_grade": 3},
            {"path": "outcomes[0].deadweight", "label": "Deadweight", "value": "0.2", "central": 0.2,
             "source": "New Economy CBA guidance (2014)", "confidence_grade": None},
        ],
    }
    _json(results, out / "cba" / "results.json")
    return results


def write_project(root: Path, seed: int = 7,
                  stages: tuple[str, ...] = ("ingest", "costs", "audit", "evaluate", "cba"),
                  mode: str = "shared") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "carecase.yaml").write_text(
        "version: 1\nproject:\n  name: Fixture partnership\n  area: Testshire\n"
        "  period_start: 2022-01-01\n  period_end: 2023-12-31\n"
        f"report:\n  title: Fixture report\n  mode: {mode}\n"
        "  logic_model:\n    inputs: [Navigators]\n    activities: [Outreach]\n    outputs: [Support plans]\n"
        "    outcomes: [{name: Fewer crises, indicator: A&E attendances per person-year}]\n"
        "    impacts: [Lower reactive cost]\n"
    )
    out = root / "out"
    if "ingest" in stages:
        write_ingest_link(out)
    if "costs" in stages:
        write_costs(out)
    if "audit" in stages:
        write_audit(out, generator(seed, "audit"))
    if "evaluate" in stages:
        write_evaluate(out, generator(seed, "evaluate"))
    if "cba" in stages:
        write_cba(out, generator(seed, "cba"))
    return root
