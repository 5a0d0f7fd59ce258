"""``carecase evaluate``: run the evaluation on a project and write ``out/evaluate/``.

Tables (Parquet and CSV, sorted by their keys): naive, naive_matched (the naive before/after
of the matched participants alone), matched (DiD), rate_ratios, balance,
rtm, match_counts, outcomes, case_studies, matched_sets (who was matched to whom, by
pseudonymous person_id: internal, like every table here), trajectory (month by month around
the index date, participants and matched controls: evaluate.trajectory); plus ``effects.json`` (the CBA's
input) and ``summary.json``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from carecase.core.contracts import STORE_COLUMNS
from carecase.core.engine import Engine
from carecase.core.output import write_table
from carecase.core.project import Project
from carecase.core.services import catalogue
from carecase.core.text import signed_money
from carecase.costs.stage import check_costs_current, costs_stamp
from carecase.evaluate.api import EvaluationResult, evaluate_project
from carecase.evaluate.config import WINDOW_COVERAGE_MIN, EvaluationConfig, window_key
from carecase.evaluate.estimates import FEW_CLUSTERS, MIN_CLUSTERS

STAGE = "evaluate"
TABLE_KEYS: dict[str, list[str]] = {
    "naive": ["window", "key_type", "key", "measure"],
    "naive_matched": ["window", "key_type", "key", "measure"],
    "matched": ["window", "key_type", "key", "measure"],
    "rate_ratios": ["window", "key_type", "key", "measure", "model"],
    "balance": ["stage", "covariate"],
    "rtm": ["window", "key_type", "key", "measure"],
    "match_counts": [],
    "outcomes": ["instrument", "measure"],
    "case_studies": ["case", "area_of_need"],
    "matched_sets": ["set_id", "role", "person_id", "row_id"],
    "trajectory": ["month", "key_type", "key", "measure"],
}


def write_tables(project: Project, result: EvaluationResult) -> dict[str, str]:
    folder = project.stage_dir(STAGE)
    files = {}
    for name, keys in TABLE_KEYS.items():
        frame: pd.DataFrame = getattr(result, name).copy()
        for col in frame.columns:
            if frame[col].dtype == object:
                frame[col] = frame[col].astype("string")
        write_table(frame, folder, name, keys)
        files[name] = str(folder / f"{name}.parquet")
    return files


def headline(result: EvaluationResult) -> str:
    m = result.matched
    total = m[(m["key_type"] == "total") & (m["measure"] == "cost")]
    if total.empty:
        return f"{result.meta.get('n_treated', 0)} participants evaluated"
    row = total.loc[max(total.index, key=lambda i: window_key(total.at[i, "window"]))]
    naive_txt = _naive_text(result, str(row["window"]), int(row["n_sets"]))
    balance = "balanced" if result.meta.get("balanced") else "NOT balanced (see balance table)"
    if result.meta.get("calibrated"):
        balance += ", controls entropy-balanced"
        ess, rows = result.meta.get("control_ess"), result.meta.get("control_rows")
        if isinstance(ess, int | float) and isinstance(rows, int) and rows:
            balance += f" (their unequal weights count as {ess:,.0f} of {rows:,} controls)"
    if pd.isna(row["ci_low"]) or pd.isna(row["ci_high"]):
        ci = f"95% CI not estimable: {int(row['n_clusters'])} cluster of matched sets"
    else:
        ci = f"95% CI {signed_money(row['ci_low'])} to {signed_money(row['ci_high'])}"
    cover = (result.meta.get("window_coverage") or {}).get(str(row["window"])) or {}
    partial = (f"; only {cover['share']:.0%} of {row['window']} within the data (see warnings)"
               if cover.get("share", 1.0) < WINDOW_COVERAGE_MIN else "")
    return (f"{int(row['n_sets'])} matched participants, {row['window']}: "
            f"{signed_money(row['effect_ppy'])} per person-year ({ci}){naive_txt}; {balance}{partial}")


def window_warnings(coverage: dict[str, dict[str, float]], period_end: object) -> list[str]:
    """One line per post window of which the matched participants have, on average, less than
    :data:`~carecase.evaluate.config.WINDOW_COVERAGE_MIN` within the data (a window running
    past the project period's end): its estimate was reported like any other's, though it
    rests on the earliest joiners and on the window's early months."""
    out = []
    for window in sorted(coverage, key=window_key):
        c = coverage[window]
        if c.get("share", 1.0) >= WINDOW_COVERAGE_MIN:
            continue
        n = int(c.get("n", 0))
        out.append(
            f"{window} runs past the data: the data end on {period_end}, so on average only {c['share']:.0%} of "
            f"this window lies within them for the {n:,} matched participant{'s' if n != 1 else ''} (from "
            f"{c['low']:.0%} to {c['high']:.0%} each). Its estimate rests on the earliest joiners and on the "
            "window's early months (later joiners are seen in its first months only, or not at all), not on "
            "the whole window for everyone: read it as such, or leave the window out of "
            f"evaluation.post_windows until the data cover it (flagged under {WINDOW_COVERAGE_MIN:.0%}).")
    return out


def _total_cost(frame: pd.DataFrame | None, window: str) -> pd.Series | None:
    """The whole-system £ row of a naive table in ``window`` (None when absent)."""
    if frame is None or not len(frame):
        return None
    rows = frame[(frame["key_type"] == "total") & (frame["measure"] == "cost") & (frame["window"] == window)]
    return rows.iloc[0] if len(rows) else None


def _naive_text(result: EvaluationResult, window: str, n_matched: int) -> str:
    """"; naive -£1,516", and where some participants were left unmatched, whom each naive
    covers: "; naive -£1,516 (all 250 participants; -£1,046 for the 245 matched)". The
    matched DiD is of the matched participants alone, so the naive of all participants beside
    it is not like for like: the unmatched are the heaviest users, whose fall is largest."""
    all_row = _total_cost(result.naive, window)
    if all_row is None:
        return ""
    text = f"; naive {signed_money(all_row['change_ppy'])}"
    n_all = int(all_row["n"]) if "n" in all_row.index and pd.notna(all_row["n"]) \
        else int(result.meta.get("n_treated", 0))
    if n_all <= n_matched:
        return text
    own = _total_cost(getattr(result, "naive_matched", None), window)
    matched_txt = (f"; {signed_money(own['change_ppy'])} for the {n_matched:,} matched" if own is not None
                   else f"; the matched DiD is of the {n_matched:,} matched")
    return f"{text} (all {n_all:,} participants{matched_txt})"


def match_count_dict(result: EvaluationResult) -> dict[str, int]:
    """The match counts table (participants, matched, excluded by reason, ...) as count → value."""
    return dict(zip(result.match_counts["count"], result.match_counts["value"].astype(int), strict=True))


#: The programme register's feed (and source) name at ingest: its record ids start with it.
REGISTER_SOURCE = "programme"


def register_rows(engine: Engine, person_ids: list[str]) -> dict[str, list[int]]:
    """Where ``person_ids`` are in the programme register: file path → its data rows, numbered
    as the quarantine numbers them (``source_row``: 1-based, the header is row 0). Read from
    the store: ``record_links`` (record → person), ``programme_staged`` (the register's
    records, ``<source>:<batch_id>:<source_row>``) and ``ingest_files`` (batch → path); empty
    where a store lacks them (tables written by hand). Rows only: never an identifier."""
    needed = ("record_links", "programme_staged", "ingest_files")
    if not person_ids or not all(engine.has_table(t) for t in needed):
        return {}
    links, staged = engine.table("record_links"), engine.table("programme_staged")
    mine = links.filter(links.person_id.isin(sorted(set(person_ids)))).select("record_id")
    found = engine.to_arrow(mine.semi_join(staged, "record_id")).column("record_id").to_pylist()
    files = engine.table("ingest_files")
    register = engine.to_arrow(files.filter(files.source == REGISTER_SOURCE).select("batch_id", "path"))
    paths = {r["batch_id"]: r["path"] for r in register.to_pylist()}
    out: dict[str, list[int]] = {}
    for record in found:
        source, batch, row = str(record).split(":", 2)
        if source == REGISTER_SOURCE and batch in paths and row.isdigit():
            out.setdefault(paths[batch], []).append(int(row))
    return {path: sorted(set(rows)) for path, rows in sorted(out.items())}


def rows_text(by_file: dict[str, list[int]], shown: int = 10) -> str:
    """``programme/register.csv, rows 14, 27`` (files joined by '; '), the first ``shown``
    rows in all and how many more."""
    parts, left = [], shown
    total = sum(len(r) for r in by_file.values())
    for path, rows in by_file.items():
        if left <= 0:
            break
        some = rows[:left]
        left -= len(some)
        parts.append(f"{path}, row{'s' if len(some) > 1 else ''} {', '.join(map(str, some))}")
    more = f" and {total - shown:,} more" if total > shown else ""
    return "; ".join(parts) + more


def excluded_warnings(counts: dict[str, int], rows: dict[str, dict[str, list[int]]] | None = None) -> list[str]:
    """Participants the evaluation could not include, by reason, from the match counts
    (:func:`match_count_dict`): they were counted only in the match counts table, so 28
    matched of 32 in the register went unexplained. ``rows``: per reason, where they are in
    the programme register (:func:`register_rows`), so the analyst can find them ("1 of 13
    ... not in the population register" did not say which)."""
    from carecase.evaluate.cohort import EXCLUSIONS

    rows = rows or {}
    parts = [f"{counts[f'excluded_{k}']:,} {what}" + (f" (at {rows_text(rows[k])})" if rows.get(k) else "")
             for k, what in EXCLUSIONS.items() if counts.get(f"excluded_{k}")]
    if not parts:
        return []
    total = sum(counts.get(f"excluded_{k}", 0) for k in EXCLUSIONS)
    where = (" Rows are the programme register's data rows, numbered as in out/ingest/quarantine.csv "
             "(the header is row 0)." if any(rows.get(k) for k in EXCLUSIONS) else "")
    return [f"{total:,} of {counts.get('participants', 0):,} programme participants could not be evaluated: "
            + "; ".join(parts) + f". The matched estimate describes the others.{where}"]


def cluster_warnings(result: EvaluationResult) -> list[str]:
    """What the number of independent clusters means for the matched intervals."""
    n = int(result.meta.get("n_clusters", 0))
    sets = int(result.matched["n_sets"].max()) if len(result.matched) else 0
    if n < MIN_CLUSTERS:
        return [f"The matched intervals, standard errors and MDEs are not estimable: all {sets} matched "
                f"sets share people (risk-set matching reused controls), so they form {n} cluster and the "
                "cluster bootstrap has nothing to resample. Match without replacement "
                "(evaluation.matching.replacement: false) or with more participants."]
    if n < FEW_CLUSTERS:
        return [f"The matched intervals rest on {n} independent clusters of matched sets (sets sharing "
                f"a person resampled together); with fewer than {FEW_CLUSTERS} a cluster bootstrap's "
                "intervals are too narrow (Cameron & Miller 2015): read them as a lower bound on the "
                "uncertainty."]
    return []


def with_project_paths(project: Project) -> EvaluationConfig:
    """The evaluation settings with each instrument's ``value_set`` read relative to the
    project folder, as every other path in carecase.yaml (it was read from the shell's
    working directory: `carecase run` from elsewhere, or the web app, could not find it)."""
    ev = project.config.evaluation
    instruments = [i.model_copy(update={"value_set": str(project.path(i.value_set))}) if i.value_set else i
                   for i in ev.instruments]
    return ev.model_copy(update={"instruments": instruments})


#: what summary.json says while a run is under way, and after one that was killed before it
#: could say why (report.freshness refuses out/evaluate/ while it holds ``failed``)
UNFINISHED = "the evaluation did not finish (it was stopped before writing its results)"


#: why a project without a programme register is not evaluated (an audit-only project)
NO_REGISTER = ("no programme register is configured (ingest.programme), so there is no one to evaluate; "
               "add one to evaluate a programme (docs/evaluation.md)")


def skip(project: Project, why: str) -> dict[str, Any]:
    """Remove every output of an earlier run and leave a summary.json saying why the stage
    did nothing (``skipped``): unlike a failure, the report goes on without the evaluation
    (an audit-only project; a failed run made its report refuse until out/evaluate/ was
    deleted)."""
    return project.replace_outputs(STAGE, {"headline": f"skipped: {why}", "skipped": why})


def clear_outputs(project: Project, why: str) -> None:
    """Remove every output of an earlier run and leave a summary.json saying why there are
    none (``failed``): a later report or CBA must not read an earlier run's tables as this
    one's (after a failed run they stayed, and a report read them with nothing said)."""
    project.replace_outputs(STAGE, {"headline": f"failed: {why}", "failed": why})


def run(project: Project, progress: Any = None) -> dict[str, Any]:
    """Run the evaluation and write out/evaluate/. An earlier run's outputs are removed first,
    and a run that fails (or is stopped) leaves none, with a summary.json whose ``failed``
    says why: the report then refuses to run (report.freshness) rather than show stale
    results, and the CBA finds no effects.json."""
    if project.config.ingest.programme is None and not project.engine.has_table("programme"):
        return skip(project, NO_REGISTER)  # (a programme table written by hand is evaluated)
    clear_outputs(project, UNFINISHED)
    try:
        project.engine.check_columns(*STORE_COLUMNS)  # a store from an earlier carecase: say which stage to run
        return _run(project, progress)
    except BaseException as err:
        why = ("it was stopped (interrupted)" if isinstance(err, KeyboardInterrupt)
               else " ".join(str(err).split()) or type(err).__name__)
        clear_outputs(project, why)
        raise


def _run(project: Project, progress: Any = None) -> dict[str, Any]:
    task = progress.add_task("evaluate", total=3) if progress is not None else None
    cfg = project.config
    check_costs_current(project)
    result = evaluate_project(
        project.engine, with_project_paths(project), price_year=cfg.costs.price_year,
        period=(cfg.project.period_start, cfg.project.period_end),
        suppress_small=getattr(cfg.report, "mode", "shared") != "internal",
        catalogue=catalogue(cfg),
    )
    if progress is not None:
        progress.advance(task)
    files = write_tables(project, result)
    # the unit costs its £ were priced with: the CBA refuses effects priced with other ones
    costs = project.read_json("costs", "summary.json") or {}
    stamp = costs_stamp(project)  # the costed events it was made from (report.freshness)
    project.write_json(STAGE, "effects.json", {**result.effects, "costs_inputs_digest": costs.get("inputs_digest"),
                                                "costs_stamp": stamp})
    if progress is not None:
        progress.advance(task)
    counts = match_count_dict(result)
    summary = {
        "headline": headline(result),
        "match_counts": counts,
        "matching": {k: v for k, v in result.meta.items()
                     if k not in ("distance_weights", "outcome_notes", "window_coverage")},
        # per post window, the share of it within the data for the matched participants
        # (mean, lowest, highest, how many): the report's caveat reads it
        "window_coverage": result.meta.get("window_coverage", {}),
        "warnings": [*excluded_warnings(counts, {k: register_rows(project.engine, ids)
                                                 for k, ids in result.excluded.items()}),
                     *cluster_warnings(result),
                     *window_warnings(result.meta.get("window_coverage", {}), result.meta.get("period_end")),
                     *result.meta.get("outcome_notes", [])],
        "costs_stamp": stamp,
        "files": {**files, "effects": str(project.stage_dir(STAGE) / "effects.json")},
    }
    project.write_json(STAGE, "summary.json", summary)
    if progress is not None:
        progress.advance(task)
    return summary
