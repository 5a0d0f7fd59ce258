"""Whether the outputs under ``out/`` come from the same data, before a report joins them.

Each stage refuses to run on stale inputs (the audit and the evaluation check the costed
events, the CBA the evaluated effects), but a report reads whatever lies under ``out/``: right
after a new month's ingest it combined this month's ingest counts with last month's audit,
evaluation and CBA, with nothing said. The report therefore checks, from the records the
stages leave:

- the costed events are current (``costs.stage.check_costs_current``: the last ingest
  finished, link ran after it, costs after link, with today's unit-cost settings);
- the audit and the evaluation were made from those costed events (their ``costs_stamp``);
- the CBA used the evaluation's current ``effects.json`` (its ``effects_sha256``).

Outputs written before these records existed carry none and are not judged.
"""

from __future__ import annotations

from carecase.core.digest import file_sha256
from carecase.core.errors import CarecaseError
from carecase.core.project import Project


def stale_outputs(project: Project) -> list[str]:
    """One line per stage whose outputs do not match the data now in force (empty when all do)."""
    from carecase.costs.stage import check_costs_current, costs_stamp

    problems: list[str] = []
    if project.read_json("costs", "summary.json"):
        try:
            check_costs_current(project)
        except CarecaseError as err:
            problems.append(f"costs: {err}")
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
