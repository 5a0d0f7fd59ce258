"""Whether the outputs under ``out/`` come from the same data, before a report joins them.

Each stage refuses to run on stale inputs (the audit and the evaluation check the costed
events, the CBA the evaluated effects), but a report reads whatever lies under ``out/``: right
after a new month's ingest it combined this month's ingest counts with last month's audit,
evaluation and CBA, with nothing said. The report therefore checks, from the records the
stages leave:

- the costed events are current (``costs.stage.check_costs_current``: the last ingest
  finished, link ran after it, costs after link, with today's unit-cost settings);
- the audit and the evaluation were made from those costed events (their ``costs_stamp``);
- the CBA used the evaluation's current ``effects.json`` (its ``effects_sha256``);
- the last evaluation did not fail (a failed or stopped ``carecase evaluate`` removes its
  outputs and leaves a summary.json whose ``failed`` says why)

and, for a shared report with a dominance rule, that the audit wrote each row's two largest
people's costs (:func:`dominance_inputs_missing`; an audit from before the rule did not).

Outputs written before these records existed carry none and are not judged.
"""

from __future__ import annotations

from carecase.core.digest import file_sha256
from carecase.core.errors import CarecaseError
from carecase.core.project import Project

#: the audit tables the dominance rule reads (each with the two largest people's costs)
DOMINANCE_TABLES = ("cost_by_agency", "cost_by_need", "cost_by_service", "cost_by_year_agency", "locality_demand",
                    "cohort_vs_population")


def _dominance_columns() -> list[tuple[str, str, tuple[str, ...]]]:
    """(stage, table, the columns the dominance rule reads there), from the report's own
    names: the audit's largest people (sections.audit.LARGEST) and the evaluation's shares
    (sections.effects NAIVE_SHARES, MATCHED_SHARES)."""
    from carecase.report.sections.audit import LARGEST
    from carecase.report.sections.effects import MATCHED_SHARES, NAIVE_SHARES, UNMATCHED_SHARES

    def shares(prefixes: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(f"{p}{rank}_share" for p in prefixes for rank in ("largest", "second"))

    return ([("audit", name, LARGEST) for name in DOMINANCE_TABLES]
            + [("evaluate", "naive", shares(NAIVE_SHARES + UNMATCHED_SHARES))]
            + [("evaluate", "naive_matched", shares(NAIVE_SHARES))]
            + [("evaluate", "matched", shares(MATCHED_SHARES))])


def dominance_inputs_missing(project: Project) -> str | None:
    """A line when an audit or evaluation table a shared report protects lacks the largest
    people's costs or shares of use (written by a stage from before the dominance rule): that
    report would publish a figure one person makes up almost all of, with nothing said."""
    import pyarrow.parquet as pq

    for stage, name, columns in _dominance_columns():
        path = project.out / stage / f"{name}.parquet"
        if not path.is_file():
            continue
        have = set(pq.read_schema(path).names)
        missing = [c for c in columns if c not in have]
        if missing:
            return (f"out/{stage}/{name}.parquet has no {missing[0]}, which report.suppression.dominance needs to "
                    "hide a figure one or two people make up almost all of (the stage was run by an earlier "
                    f"carecase); nothing was written. Run `carecase {stage} PROJECT`.")
    return None


def stale_outputs(project: Project) -> list[str]:
    """One line per stage whose outputs do not match the data now in force (empty when all do)."""
    from carecase.costs.stage import check_costs_current, costs_stamp

    problems: list[str] = []
    if project.read_json("costs", "summary.json"):
        try:
            check_costs_current(project)
        except CarecaseError as err:
            problems.append(f"costs: {err}")
    failed = (project.read_json("evaluate", "summary.json") or {}).get("failed")
    if failed:  # its outputs were removed: a report would drop the evaluation, or an older one's be read
        problems.append(f"evaluate: the last `carecase evaluate` failed ({str(failed).rstrip('.')}), so out/evaluate/ "
                        "holds no results; fix that and run `carecase evaluate PROJECT` (or delete out/evaluate/ to "
                        "report without the evaluation).")
    stamp = costs_stamp(project)
    for stage in ("audit", "evaluate"):
        made_from = (project.read_json(stage, "summary.json") or {}).get("costs_stamp")
        if made_from and stamp and made_from != stamp:
            problems.append(f"{stage}: out/{stage}/ was made from other costed events than those now in "
                            f"the store (ingest, link or costs has run since); run `carecase {stage} PROJECT`.")
    used = (project.read_json("cba", "summary.json") or {}).get("effects_sha256")
    link = project.config.cba.from_evaluation
    if used and link is not None:
        path = project.path(link.file)
        if not path.is_file() or file_sha256(path) != used:
            problems.append("cba: out/cba/ was made from an earlier evaluation's effects.json; run "
                            "`carecase cba PROJECT`.")
    return problems
