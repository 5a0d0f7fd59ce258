"""The link stage: ``run(project)`` links every staged record to one person and writes
``record_links``, ``people``, ``events``, ``programme`` and ``outcome_scores`` (see
docs/architecture.md), the clerical-review file and the linkage report under ``out/link/``.
Afterwards ``staging_identity`` and the working tables (which hold names, dates of birth and
postcodes) are erased unless ``privacy.keep_linkage_staging`` is true: the store is rewritten
without them, so that their bytes leave its file too (:meth:`Engine.erase`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from carecase.core.digest import file_sha256
from carecase.core.engine import Engine
from carecase.core.errors import LinkError
from carecase.core.project import Project
from carecase.core.services import BY_CODE, Catalogue, catalogue
from carecase.link import discordance, match_rates, outputs, quality
from carecase.link.clerical import REVIEW_FILE, check_decisions, load_decisions, review_table
from carecase.link.deterministic import lookup_table_name
from carecase.link.linkage import (
    BEST,
    CANDIDATE_PROFILES,
    CANDIDATES,
    PAIRS,
    REFERENCE,
    SCORE_FLOOR,
    WORK_TABLES,
    link,
)
from carecase.link.nicknames import forms_for
from carecase.link.residual import METHOD as UNREGISTERED

STAGE = "link"
# Small inputs stored under plain names (on Spark, Engine.memtable's '_mem_' Parquet file
# is a hidden file that Spark will not read).
DECISIONS_TABLE = "link_input_decisions"
TRUTH_TABLE = "link_input_truth"
STEPS = 6
SORT_KEYS: dict[str, list[str]] = {
    "record_links": ["record_id"],
    "people": ["person_id"],
    "events": ["person_id", "source", "batch_id", "source_row"],
    "programme": ["person_id", "start_date", "end_date"],
    "outcome_scores": ["person_id", "instrument", "assessment", "assessment_date", "domain",
                       "score"],
}


def lookup_names(project: Project) -> dict[str, str]:
    """staging source name → lookup name, for every ingest feed whose ids name a lookup
    (event sources, and the population/programme/outcome registers, named as ingest names
    them in staging_identity.source)."""
    from carecase.ingest.feeds import feeds_from_config

    return {f.name: f.ids.lookup for f in feeds_from_config(project.config)
            if f.ids is not None and f.ids.lookup}


def source_lookups(project: Project) -> dict[str, ir.Table]:
    """source name → its lookup table (``lookup_<name>``, written by ingest)."""
    engine = project.engine
    found: dict[str, ir.Table] = {}
    for source, name in sorted(lookup_names(project).items()):
        table = lookup_table_name(name)
        if not engine.has_table(table):
            raise LinkError(
                f"Source '{source}' uses lookup '{name}' but table '{table}' is not in the "
                "store. Run `carecase ingest PROJECT` first."
            )
        found[source] = engine.table(table)
    return found


def write_files(project: Project, expr: ir.Table, name: str) -> pa.Table:
    """Write ``expr`` as ``name``.parquet and ``name``.csv (already sorted by the caller)."""
    return project.write_arrow(STAGE, name, project.engine.to_arrow(expr))


def _optional(engine: Engine, name: str) -> ir.Table | None:
    return engine.table(name) if engine.has_table(name) else None


def _scalar(expr: Any) -> Any:
    return expr.to_pyarrow().as_py()


def _nicknames_file(project: Project, name: str | None) -> Path | None:
    if name is None:
        return None
    path = project.path(name)
    if not path.is_file():
        raise LinkError(f"{path}: linkage.nicknames names a file that does not exist. Point it at a CSV "
                        "with the header name,short_form, or remove the setting to use the built-in list.")
    return path


def run(project: Project, progress: Any = None) -> dict[str, Any]:
    cfg = project.config.linkage
    engine = project.engine
    folder = project.stage_dir(STAGE)
    task = progress.add_task("link", total=STEPS) if progress is not None else None

    def step(description: str) -> None:
        if progress is not None:
            progress.update(task, advance=1, description=f"link: {description}")

    if not engine.has_table("staging_identity"):
        raise LinkError(
            "Table 'staging_identity' is not in the store: it was dropped after an earlier "
            "linkage (privacy.keep_linkage_staging is false) or ingest has not run. Run "
            "`carecase ingest PROJECT` and then `carecase link PROJECT`."
        )
    identity = engine.table("staging_identity")
    staged = _optional(engine, "events_staged")
    if int(_scalar(identity.count())) == 0 and staged is not None and int(_scalar(staged.count())):
        raise LinkError(
            "staging_identity is empty but events_staged is not, so the store is inconsistent "
            "(ingest re-stages every file after a linkage that dropped the identities; here they "
            "were removed some other way). Delete the store "
            f"({project.config.engine.database}) and run `carecase run PROJECT` again; set "
            "privacy.keep_linkage_staging: true to be able to re-link without re-ingesting."
        )
    forms = forms_for(_nicknames_file(project, cfg.nicknames))
    decisions = None
    n_decided = n_applied = 0
    if cfg.clerical_decisions:
        arrow = load_decisions(project.path(cfg.clerical_decisions))
        n_decided = arrow.num_rows
        decisions = engine.write(DECISIONS_TABLE, arrow)
    outcome = link(engine, identity, source_lookups(project), cfg, decisions, forms)
    if decisions is not None and cfg.clerical_decisions:
        n_applied, not_applied = check_decisions(
            project.path(cfg.clerical_decisions), decisions, engine.table(outcome.pairs),
            residual_pairs=engine.table(outcome.residual_pairs) if outcome.residual_pairs else None)
        outcome.warnings += not_applied
    step("records linked")

    links = engine.table("record_links")
    keep = project.config.privacy.keep_linkage_staging
    records = identity.select("record_id", "source", "batch_id", "source_row")
    files = engine.table("ingest_files") if engine.has_table("ingest_files") else None
    review = review_table(
        engine.table(BEST), engine.table(CANDIDATES), engine.table(REFERENCE),
        engine.table(CANDIDATE_PROFILES), with_identity=keep, records=records, files=files,
        residual=engine.table(outcome.residual_review) if outcome.residual_review else None,
    )
    review_arrow = engine.to_arrow(review)
    pacsv.write_csv(review_arrow, folder / REVIEW_FILE)
    # records whose NHS number may be someone else's: counted, and listed for review
    discordant = engine.to_arrow(discordance.review_table(engine.table(outcome.discordance), links, records, files))
    pacsv.write_csv(discordant, folder / discordance.REVIEW_FILE)
    nhs_discordance = discordance.summary(engine.table(outcome.discordance), discordant.to_pylist(),
                                          cfg.unlink_discordant, str(folder / discordance.REVIEW_FILE))
    step("clerical review written")

    tables = _person_tables(engine, links, identity, catalogue(project.config))
    step("person tables built")

    report = _report(project, engine, links, identity)
    step("report built")

    files = {}
    for name, keys in SORT_KEYS.items():
        sorted_expr = engine.table(name).order_by(keys)
        write_files(project, sorted_expr, name)
        files[name] = str(folder / f"{name}.parquet")
    step("files written")
    # the costs stage records this, so the audit and the evaluation can tell whether the
    # events they read (through the costed_events view) are the ones that were costed
    events_digest = file_sha256(folder / "events.parquet")
    # and the area of need it gave each service, so that a later edit of a declared
    # service's area_of_need is caught before the costs and the audit use the old one
    labels = outputs.needs_by_service(engine.table("events"))

    inputs = [DECISIONS_TABLE, TRUTH_TABLE]
    if keep:
        for t in [PAIRS, BEST, *inputs]:
            engine.drop(t)
    else:
        # identities must leave the store file, not only its catalogue (docs/privacy.md)
        engine.erase(["staging_identity", *WORK_TABLES, *inputs])
    step("staging dropped" if not keep else "staging kept")

    by_method = report["records_by_method_total"]
    total = sum(by_method.values())
    linked = total - by_method.get("unlinked", 0) - by_method.get(UNREGISTERED, 0)
    summary: dict[str, Any] = {
        **report,
        "records": total,
        "people": tables["people"],
        "events": tables["events"],
        "events_digest": events_digest,
        "service_labels": labels,
        "clerical_review": {"pairs": review_arrow.num_rows, "file": str(folder / REVIEW_FILE),
                            "with_identity": keep, "decisions": n_decided,
                            "decisions_applied": n_applied,
                            "decisions_not_applied": n_decided - n_applied},
        "nhs_discordance": nhs_discordance,
        # which short forms of given names the model knew (link.nicknames): a count, no names
        "nicknames": {"list": cfg.nicknames or "built-in", "short_forms": len(forms)},
        "model": _model_summary(outcome.model),
        "notes": outcome.notes,
        "warnings": outcome.warnings,
        "unregistered": outcome.unregistered,
        "staging_dropped": not keep,
        "files": files,
    }
    share = linked / total if total else 0.0
    summary["headline"] = (
        f"{total:,} records → {tables['people']:,} people; {share:.1%} linked to a person "
        f"with an NHS number{lowest_source(report.get('records_by_method') or {}, share)}; "
        f"{review_arrow.num_rows:,} pair(s) for clerical review"
    )
    project.write_json(STAGE, "summary.json", summary)
    return summary


def lowest_source(by_source: dict[str, dict[str, int]], overall: float, gap: float = 0.05) -> str:
    """'; lowest: police 43.2%' when a source's share of records linked to a person with an
    NHS number is more than ``gap`` below the overall share (which a large source hides: a
    95.7% headline had police at 43%), with the share linked to people off the register where
    any were ('(28.0% people off the register)'); '' otherwise."""
    shares = {src: 1 - (m.get("unlinked", 0) + m.get(UNREGISTERED, 0)) / n
              for src, m in by_source.items() if (n := sum(m.values()))}
    if not shares:
        return ""
    src = min(sorted(shares), key=lambda k: shares[k])
    if shares[src] >= overall - gap:
        return ""
    off = by_source[src].get(UNREGISTERED, 0) / sum(by_source[src].values())
    # a source of people the register does not know (temporary accommodation) is not a failure to link
    return f"; lowest: {src} {shares[src]:.1%}" + (f" ({off:.1%} people off the register)" if off else "")


def _person_tables(engine: Engine, links: ir.Table, identity: ir.Table,
                   services: Catalogue = BY_CODE) -> dict[str, int]:
    pop = _optional(engine, "population_staged")
    engine.write("people", outputs.people(links, identity, pop).order_by("person_id"))
    counts = {"people": int(_scalar(engine.table("people").count()))}
    staged_events = _optional(engine, "events_staged")
    if staged_events is None:
        raise LinkError("Table 'events_staged' is not in the store. Run `carecase ingest PROJECT`.")
    ev = outputs.events(links, staged_events, services)
    outputs.check_all_linked(ev, "events_staged")
    engine.write("events", ev.order_by(SORT_KEYS["events"]))
    counts["events"] = int(_scalar(engine.table("events").count()))
    for name, staged, cols in (
        ("programme", "programme_staged", outputs.PROGRAMME_COLUMNS),
        ("outcome_scores", "outcomes_staged", outputs.OUTCOME_COLUMNS),
    ):
        table = _optional(engine, staged)
        if table is None:
            engine.write(name, _empty(name))
            continue
        expr = outputs.attach_person(links, table, cols)
        outputs.check_all_linked(expr, staged)
        engine.write(name, expr.distinct().order_by(SORT_KEYS[name]))
    return counts


def _empty(name: str) -> pa.Table:
    schemas = {
        "programme": pa.schema([("person_id", pa.string()), ("start_date", pa.date32()),
                                ("end_date", pa.date32())]),
        "outcome_scores": pa.schema([
            ("person_id", pa.string()), ("instrument", pa.string()), ("assessment", pa.string()),
            ("assessment_date", pa.date32()), ("domain", pa.string()), ("score", pa.float64())]),
    }
    return schemas[name].empty_table()


def _report(project: Project, engine: Engine, links: ir.Table, identity: ir.Table) -> dict[str, Any]:
    by_method = write_files(project, quality.records_by_method(links, identity), "records_by_method")
    pairs = engine.table(PAIRS)
    best = engine.table(BEST)
    hist = quality.weight_histogram(pairs, "all_scored_pairs").union(
        quality.weight_histogram(best, "best_match_per_profile")
    ).order_by(["population", "bin_lower"])
    hist_arrow = write_files(project, hist, "match_weight_histogram")
    per_source: dict[str, dict[str, int]] = {}
    totals: dict[str, int] = {}
    for row in by_method.to_pylist():
        per_source.setdefault(row["source"], {})[row["method"]] = int(row["records"])
        totals[row["method"]] = totals.get(row["method"], 0) + int(row["records"])
    report: dict[str, Any] = {
        "records_by_method": per_source,
        "records_by_method_total": totals,
        "match_weight_histogram": hist_arrow.to_pylist(),
        "match_weight_histogram_note": (
            f"all_scored_pairs: candidate pairs scoring at least {SCORE_FLOOR} (lower scores "
            "are not kept); best_match_per_profile: each candidate profile's best pair"
        ),
        "truth": None,
        "truth_by_source": None,
        **_match_rates(project, engine, links, identity),
    }
    cfg = project.config.linkage
    if cfg.truth:
        truth = _truth_by_record(
            engine.write(TRUTH_TABLE, _read_truth(project.path(cfg.truth))), identity
        )
        no_nhs = quality.sources_without_nhs(identity)
        scoped = links.inner_join(identity.select("record_id", "source"), "record_id")
        scoped = scoped.semi_join(no_nhs, "source")
        report["truth"] = {
            "sources_without_nhs_numbers": quality.evaluate_against_truth(scoped, truth),
            "all_records": quality.evaluate_against_truth(links, truth),
        }
        report["truth_by_source"] = quality.evaluate_by_source(links, truth, identity)
    return report


def _match_rates(project: Project, engine: Engine, links: ir.Table,
                 identity: ir.Table) -> dict[str, Any]:
    """out/link/match_rates (source × group × level) and the levels linked more than
    ``match_rates.GAP`` less often than their source (docs/linkage.md)."""
    groups = match_rates.record_groups(
        links, identity, _optional(engine, "events_staged"), _optional(engine, "population_staged"),
        project.config.project.period_start)
    rows = write_files(project, match_rates.match_rates(groups), "match_rates").to_pylist()
    return {
        "match_rates": rows,
        "match_rate_gaps": match_rates.gaps(rows),
        "match_rate_note": (
            f"age at the record's own date (an event's start), else at period_start; deprivation "
            f"decile of the record's own postcode where the population register holds it with one "
            f"decile; a level is flagged when linked more than {match_rates.GAP * 100:.0f} percentage points less "
            f"often than its source, with at least {match_rates.MIN_RECORDS} records"
        ),
    }


def _read_truth(path: Path) -> pa.Table:
    """(record_id, true_person), or (source, source_row, true_person) from a file keyed by
    source and row (as carecase.synth writes truth/true_links.parquet with person_key)."""
    if not path.exists():
        raise LinkError(f"{path}: linkage.truth names a file that does not exist.")
    table = pq.read_table(path) if path.suffix == ".parquet" else pacsv.read_csv(path)
    names = set(table.column_names)
    if {"record_id", "true_person"} <= names:
        return table.select(["record_id", "true_person"]).cast(
            pa.schema([("record_id", pa.string()), ("true_person", pa.string())]))
    if {"source", "source_row", "person_key"} <= names:
        out = table.select(["source", "source_row", "person_key"])
        return pa.table({
            "source": out["source"].cast(pa.string()),
            "source_row": out["source_row"].cast(pa.int64()),
            "true_person": out["person_key"].cast(pa.string()),
        })
    raise LinkError(f"{path}: a truth file needs columns record_id and true_person (or source, "
                    "source_row and person_key).")


def _truth_by_record(truth: ir.Table, identity: ir.Table) -> ir.Table:
    if "record_id" in truth.columns:
        return truth
    ident = identity.select("record_id", i_source=identity.source, i_row=identity.source_row)
    j = truth.inner_join(ident, [truth.source == ident.i_source,
                                 truth.source_row == ident.i_row])
    return j.select("record_id", "true_person")


def _model_summary(model: dict[str, Any] | None) -> dict[str, Any] | None:
    """λ and m/u per comparison level (no data values)."""
    if not model:
        return None
    levels = {}
    for comp in model.get("comparisons", []):
        name = comp.get("output_column_name")
        levels[name] = [
            {"label": lv.get("label_for_charts"), "m": lv.get("m_probability"),
             "u": lv.get("u_probability"), "m_fixed": bool(lv.get("fix_m_probability")),
             "u_fixed": bool(lv.get("fix_u_probability"))}
            for lv in comp.get("comparison_levels", []) if not lv.get("is_null_level")
        ]
    return {"probability_two_random_records_match":
            model.get("probability_two_random_records_match"), "comparisons": levels,
            "u_sample": model.get("carecase_u_sample")}
