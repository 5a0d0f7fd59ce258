"""The stages in order. ``carecase run`` calls each stage's ``run(project)`` in turn.

A stage is listed here when its subpackage exposes ``stage.run(project, progress=None)``
returning a summary dict (printed by the CLI, written under ``out/<stage>/``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from carecase.core.errors import ConfigError
from carecase.core.project import Project


@dataclass(frozen=True)
class Stage:
    name: str
    module: str
    description: str

    def runner(self) -> Callable[..., dict[str, Any]] | None:
        try:
            mod = importlib.import_module(self.module)
        except ModuleNotFoundError as err:
            if err.name == self.module:
                return None
            raise
        return getattr(mod, "run", None)


STAGES: tuple[Stage, ...] = (
    Stage("ingest", "carecase.ingest.stage", "read, validate, quarantine and pseudonymise extracts"),
    Stage("link", "carecase.link.stage", "link records to people across agencies"),
    Stage("costs", "carecase.costs.stage", "cost every event at the project price year"),
    Stage("audit", "carecase.audit.stage", "whole-system cost per person, agency, need and period"),
    Stage("evaluate", "carecase.evaluate.stage", "naive and matched before/after impact"),
    Stage("cba", "carecase.cba.stage", "who pays, who benefits, NPV, ROI and uncertainty"),
    Stage("report", "carecase.report.stage", "HTML, Excel and PDF report"),
)


def available_stages() -> list[Stage]:
    return [s for s in STAGES if s.runner() is not None]


def chosen_stages(only: list[str] | None) -> list[Stage]:
    """The stages to run, in pipeline order: all of them for ``None``, else those named
    (``["cba", "report"]`` or ``["cba,report"]``). A name that is not a stage, or an empty
    list, is an error listing the stages, so a typo never runs nothing and reports success."""
    stages = available_stages()
    if only is None:
        return stages
    names = [n.strip() for item in only for n in item.split(",") if n.strip()]
    known = [s.name for s in stages]
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        what = f"Unknown stage(s): {', '.join(map(repr, unknown))}." if unknown else "No stage named."
        raise ConfigError(f"{what} Stages: {', '.join(known)} (omit the list to run them all).")
    return [s for s in stages if s.name in names]


def run_all(project: Project, progress: Any = None, only: list[str] | None = None,
            new_key: bool = False) -> dict[str, Any]:
    """Run the chosen stages in order, holding the project's run lock
    (:func:`carecase.core.runlock.run_lock`: one run at a time, across processes).
    ``new_key``: ingest may re-pseudonymise under a key other than the store's
    (:func:`carecase.ingest.stage.run`)."""
    from carecase.core.runlock import run_lock

    results: dict[str, Any] = {}
    stages = chosen_stages(only)
    if new_key and "ingest" not in [s.name for s in stages]:
        raise ConfigError("--new-key re-pseudonymises at ingest, which the chosen stages leave out: "
                          "add ingest to them, or drop --new-key.")
    with run_lock(project.root):
        for stage in stages:
            run = stage.runner()
            assert run is not None
            extra = {"new_key": True} if new_key and stage.name == "ingest" else {}
            results[stage.name] = run(project, progress=progress, **extra)
    return results


def caveats(summary: Any) -> list[str]:
    """What a stage's summary asks the reader to check (its warnings, then its notes): the CLI
    prints them after the headlines and the web page shows them under each stage's row."""
    if not isinstance(summary, dict):
        return []
    return [str(x) for x in (*(summary.get("warnings") or []), *(summary.get("notes") or []))]
