"""The evaluation in one call: ``evaluate_project(engine, config) -> EvaluationResult``.

Reading the results: every ``*_ppy`` column is per person per year (summed amount / summed
observed person-years) in the ``measure``'s units — ``events`` (attendances, admissions…),
``units`` (bed days, hours…; service rows only) or ``cost`` (£ at the price year). In
``matched`` the DiD ``effect_ppy`` compares with a true absolute effect on the treated;
``ratio_of_ratios`` (bootstrap) and ``rate_ratios.rate_ratio`` (Poisson GLM or negative
binomial, column ``model``) compare with a multiplicative rate ratio. Rows are keyed by
window, key_type (service/agency/total), key and measure (and model for rate ratios).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from carecase.core.blas import on_one_blas_thread
from carecase.core.dates import add_months_py, month_index
from carecase.core.engine import Engine
from carecase.core.errors import EvaluationError
from carecase.core.random import generator
from carecase.core.services import BY_CODE, Catalogue
from carecase.evaluate import cohort
from carecase.evaluate.adjust import bias_corrected
from carecase.evaluate.case_studies import case_studies
from carecase.evaluate.clusters import shared_person_clusters
from carecase.evaluate.config import EvaluationConfig
from carecase.evaluate.costing import fiscal_shares, measured_units, service_costing
from carecase.evaluate.effects import effects_payload
from carecase.evaluate.estimates import matched_did, naive
from carecase.evaluate.match_search import match
from carecase.evaluate.outcomes import outcome_changes
from carecase.evaluate.panel import Panel, build_panel, parents
from carecase.evaluate.ratemodels import rate_ratios
from carecase.evaluate.shares import unmatched_change_columns
from carecase.evaluate.trajectory import monthly
from carecase.evaluate.windows import window_coverage, window_summaries


@dataclass
class EvaluationResult:
    matched: pd.DataFrame
    naive: pd.DataFrame
    rate_ratios: pd.DataFrame
    balance: pd.DataFrame
    rtm: pd.DataFrame
    match_counts: pd.DataFrame
    outcomes: pd.DataFrame
    case_studies: pd.DataFrame
    matched_sets: pd.DataFrame
    # the naive before/after of the matched participants alone: a shared report shows it in
    # place of the naive of all participants where those left unmatched are 1..threshold
    # (the two naive figures, or the naive and the matched participants' own change, would
    # give those few people's use by subtraction)
    naive_matched: pd.DataFrame
    effects: dict[str, Any]
    meta: dict[str, Any] = field(default_factory=dict)
    panel: Panel | None = None  # outcome amounts of treated + matched rows (for re-analysis)
    # the participants not evaluated, by reason (a key of cohort.EXCLUSIONS): pseudonymous
    # person_ids, for finding their rows in the programme register; never in a summary
    excluded: dict[str, list[str]] = field(default_factory=dict)
    # month by month around the index date, participants and matched controls
    # (evaluate.trajectory: each month's rates and its difference-in-differences)
    trajectory: pd.DataFrame | None = None

    def estimate(self, service: str, window: str, measure: str = "events",
                 rate_model: str | None = None) -> dict[str, float]:
        """Matched, naive and rate-ratio numbers for one service in one window; the rate
        ratio from ``rate_model`` (default: the first of ``evaluation.rate_models``)."""
        model = rate_model or self.meta.get("rate_model", "poisson")

        def pick(frame: pd.DataFrame, by_model: bool = False) -> pd.Series:
            f = frame[(frame["key_type"] == "service") & (frame["key"] == service)
                      & (frame["window"] == window) & (frame["measure"] == measure)]
            if by_model:
                f = f[f["model"] == model]
            if len(f) != 1:
                raise EvaluationError(f"No estimate for service {service!r}, window {window!r}, "
                                      f"measure {measure!r} (rate model {model!r}).")
            return f.iloc[0]
        m, n = pick(self.matched), pick(self.naive)
        out = {"effect_ppy": m["effect_ppy"], "ci_low": m["ci_low"], "ci_high": m["ci_high"],
               "naive_ppy": n["change_ppy"], "ratio_of_ratios": m["ratio_of_ratios"]}
        if measure != "cost":
            r = pick(self.rate_ratios, by_model=True)
            out.update(rate_ratio=r["rate_ratio"], rr_ci_low=r["rr_ci_low"], rr_ci_high=r["rr_ci_high"],
                       e_value=r["e_value"], e_value_ci=r["e_value_ci"], alpha=r["alpha"])
        return {k: float(v) for k, v in out.items()}


def _events_table(engine: Engine) -> Any:
    for name in ("costed_events", "events"):
        if engine.has_table(name):
            return engine.table(name)
    raise EvaluationError("Neither 'costed_events' nor 'events' is in the store. Run "
                          "`carecase run PROJECT --only ingest,link,costs` first.")


def no_one_eligible(excluded: pd.DataFrame, config: EvaluationConfig,
                    period_start: dt.date, period_end: dt.date) -> str:
    """Why no participant could be evaluated: the counts by reason (``cohort.risk_sets``'
    ``excluded``), and the first date a full pre-period allows. A user whose programme
    started in the data's first year was told only to check the register's dates."""

    counts = dict(zip(excluded["reason"], excluded["people"], strict=True))
    parts = [f"{counts[k]:,} {what}" for k, what in cohort.EXCLUSIONS.items() if counts.get(k)]
    earliest = add_months_py(period_start, config.pre_months)
    why = f" ({'; '.join(parts)})" if parts else ""
    return (f"No programme participant is eligible at their start date{why}. With the data from "
            f"{period_start} to {period_end} and evaluation.pre_months = {config.pre_months}, a "
            f"participant needs a start date from {earliest} (a full pre-period inside the data) up to "
            f"{period_end}. Check the programme register's start dates, project.period_start and "
            "evaluation.pre_months, and evaluation.eligibility.")


def _period(events: Any, engine: Engine) -> tuple[dt.date, dt.date]:
    agg = engine.to_pandas(events.aggregate(lo=events.start_date.min(), hi=events.start_date.max()))
    if agg.empty or pd.isna(agg["lo"].iloc[0]):
        raise EvaluationError("The events table is empty: nothing to evaluate.")
    return pd.Timestamp(agg["lo"].iloc[0]).date(), pd.Timestamp(agg["hi"].iloc[0]).date()


@on_one_blas_thread  # the same bits on any machine (core/blas.py)
def evaluate_project(
    engine: Engine,
    config: EvaluationConfig,
    price_year: int | None = None,
    period: tuple[dt.date, dt.date] | None = None,
    suppress_small: bool = True,
    catalogue: Catalogue = BY_CODE,
) -> EvaluationResult:
    """Run the whole evaluation on the tables in ``engine`` (people, costed_events or events,
    programme, optional outcome_scores). ``period`` defaults to the span of event dates;
    ``catalogue`` is the project's service catalogue (``carecase.core.services.catalogue``:
    built-ins and declared services), which says each service's kind, agency and unit."""
    events = _events_table(engine)
    people = engine.to_pandas(engine.table("people"))
    programme = engine.to_pandas(engine.table("programme"))
    period_start, period_end = period or _period(events, engine)
    present = sorted(engine.to_pandas(events.select("service_code").distinct())["service_code"].astype(str))
    unknown = sorted(set(config.services) - set(present))
    if unknown:  # else a misspelt code would be reported as a precise zero effect
        raise EvaluationError(
            f"evaluation.services lists {', '.join(map(repr, unknown))}, which no event has. "
            f"Service codes in the events: {', '.join(present)}. Correct the code or remove it.")
    services = sorted(config.services) or present
    starts = cohort.first_starts(programme)
    once = events.filter(events.activity_row) if "activity_row" in events.columns else events  # one row per event
    activity = engine.to_pandas(
        once.group_by(person_id=once.person_id, month=month_index(once.start_date.cast("date")))
        .aggregate(events=once.count()).order_by(["person_id", "month"]))
    rows, excluded = cohort.risk_sets(people, starts, config, period_start, period_end, activity)
    n_treated = int(rows["treated"].sum())
    if n_treated == 0:
        raise EvaluationError(no_one_eligible(excluded, config, period_start, period_end))
    fw = cohort.feature_windows(rows, config.pre_months, config.matching.history_months)
    f_amounts, _ = window_summaries(engine, fw, events, engine.table("people"), period_end,
                                    period_start=period_start,
                                    keys=("service_code",))
    members, balance, meta, x_match = match(rows, people, f_amounts, config, services, catalogue)
    person_of = rows.set_index("row_id")["person_id"]
    members["cluster"] = shared_person_clusters(
        members["set_id"].to_numpy(), person_of.loc[members["row_id"].to_numpy()].to_numpy())
    treated_rows = rows.loc[rows["treated"], "row_id"].to_numpy()
    keep = np.union1d(treated_rows, members["row_id"].to_numpy())
    out_rows = rows[rows["row_id"].isin(keep)]
    out_windows = cohort.outcome_windows(out_rows, config)
    amounts, person_time = window_summaries(
        engine, out_windows, events, engine.table("people"), period_end, period_start=period_start)
    windows = ["pre", *[f"post_{a}_{b}" for a, b in config.post_windows]]
    panel = build_panel(amounts, person_time, services, windows, keep)
    draws, seed = config.bootstrap_draws, config.seed
    persons = person_of.loc[panel.row_ids].to_numpy()  # people, for counting users
    naive_t = naive(panel, treated_rows, draws, generator(seed, "evaluate", "naive-bootstrap"), persons)
    did_panel = bias_corrected(panel, members, x_match) if config.bias_correction else panel
    correlations: dict[str, pd.DataFrame] = {}
    matched_t, rtm = matched_did(did_panel, members, draws, generator(seed, "evaluate", "did-bootstrap"),
                                 power=config.power, correlations=correlations, persons=persons,
                                 observed=panel)
    matched_treated = members.loc[members["treated"].to_numpy(bool), "row_id"].to_numpy()
    naive_m = naive(panel, np.unique(matched_treated), draws,
                    generator(seed, "evaluate", "naive-matched-bootstrap"), persons)
    naive_m["estimate"] = "naive before/after (matched participants only)"
    naive_t = naive_t.assign(**unmatched_change_columns(panel, treated_rows, matched_treated, persons))
    rr = rate_ratios(panel, members, config.rate_models)
    month_rows = cohort.month_windows(out_rows, config)
    m_amounts, m_time = window_summaries(engine, month_rows, events, engine.table("people"),
                                         period_end, period_start=period_start, name="_evaluate_months")
    month_panel = build_panel(m_amounts, m_time, services, list(cohort.month_spec(config.pre_months,
                                                                                 config.post_windows)), keep)
    months = monthly(month_panel, members, config.pre_months, draws,
                     generator(seed, "evaluate", "trajectory-bootstrap"), persons)
    counts = _match_counts(rows, members, excluded, starts)
    outcome_notes: list[str] = []
    outcomes = outcome_changes(engine, config.instruments, outcome_notes)
    cases = case_studies(engine, events, rows[rows["treated"]], config.case_studies,
                         (period_start, period_end), suppress=suppress_small)
    meta.update(n_treated=n_treated, n_clusters=int(members["cluster"].nunique()),
                # how much of each post window the data cover for the matched participants
                window_coverage=window_coverage(out_windows, np.unique(matched_treated), period_end),
                services=services, rate_model=config.rate_models[0], period_start=str(period_start),
                period_end=str(period_end), price_year=price_year,
                n_candidate_rows=int((~rows["treated"]).sum()), outcome_notes=outcome_notes,
                # how each instrument's total is scored and which way is better (the report says so)
                instruments={i.name: {"scoring": i.scoring, "assessments": list(i.assessments),
                                      "higher_is_better": None if i.scoring == "eq5d" else i.higher_is_better}
                             for i in config.instruments},
                # the settings the report's method text names (it reads outputs, not the config)
                k=config.matching.k, replacement=config.matching.replacement, pre_months=config.pre_months,
                covariates=list(config.matching.covariates), exact=list(config.matching.exact),
                history_months=config.matching.history_months, spell_measure=config.matching.spell_measure,
                balance_tolerance=config.matching.balance_tolerance)
    parent = parents(amounts, services)
    naive_t, matched_t, rtm, naive_m = (with_parent(t, parent) for t in (naive_t, matched_t, rtm, naive_m))
    costing = service_costing(engine, events)
    effects = effects_payload(matched_t, naive_t, rr, meta, config, correlations, fiscal_shares(costing),
                              measured_units(costing, catalogue), catalogue)
    return EvaluationResult(matched_t, naive_t, rr, balance, rtm, counts, outcomes, cases,
                            matched_sets_table(members, rows), naive_m, effects, meta, panel,
                            excluded={r: list(ids) for r, ids in zip(excluded["reason"], excluded["person_ids"],
                                                                   strict=True) if len(ids)},
                            trajectory=with_parent(months, parent))


def matched_sets_table(members: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """The matched sample, one row per member of a matched set, for re-analysis and audit
    (as MatchIt's ``match.data``): set_id, cluster (sets sharing a person, resampled together),
    role (participant / control), person_id (pseudonymous), index_date (the participant's
    start, shared by its controls), weight (controls 1/k in the set, entropy-balanced where
    calibrated) and row_id (the risk-set row)."""
    r = rows.set_index("row_id")
    ids = members["row_id"].to_numpy()
    out = pd.DataFrame({
        "set_id": members["set_id"].astype("int64").to_numpy(),
        "cluster": members["cluster"].astype("int64").to_numpy(),
        "role": np.where(members["treated"].to_numpy(bool), "participant", "control"),
        "person_id": r.loc[ids, "person_id"].astype(str).to_numpy(),
        "index_date": pd.to_datetime(r.loc[ids, "index_date"].to_numpy()).date,
        "weight": members["weight"].astype(float).to_numpy(),
        "row_id": ids.astype("int64"),
    })
    return out.sort_values(["set_id", "role", "person_id", "row_id"], ascending=[True, False, True, True],
                           kind="stable").reset_index(drop=True)


def with_parent(frame: pd.DataFrame, parent: dict[tuple[str, str], str]) -> pd.DataFrame:
    """``frame`` with a ``parent`` column (:func:`carecase.evaluate.panel.parents`)."""
    keys = zip(frame["key_type"].astype(str), frame["key"].astype(str), strict=True)
    return frame.assign(parent=[parent.get(k, "") for k in keys])


def _match_counts(rows: pd.DataFrame, members: pd.DataFrame, excluded: pd.DataFrame,
                  starts: pd.DataFrame) -> pd.DataFrame:
    t = rows[rows["treated"]]
    matched_t = members.loc[members["treated"], "row_id"].nunique()
    controls = members[~members["treated"]]
    used = controls["row_id"].nunique()
    candidate_rows = int((~rows["treated"]).sum())
    data = [
        ("participants", len(starts)),
        ("treated_eligible", len(t)),
        ("treated_matched", int(matched_t)),
        ("treated_unmatched", int(len(t) - matched_t)),
        ("candidate_control_rows", candidate_rows),
        ("control_rows_matched", int(used)),
        ("control_people_matched", int(rows.loc[rows["row_id"].isin(controls["row_id"]), "person_id"].nunique())),
        ("candidate_rows_discarded", int(candidate_rows - used)),
    ]
    data += [(f"excluded_{r}", int(n)) for r, n in zip(excluded["reason"], excluded["people"], strict=True)]
    return pd.DataFrame(data, columns=["count", "value"])
