"""Assemble the content model from the stage outputs (one place for section order)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from carecase.core.services import BY_CODE, Catalogue
from carecase.report.config import ReportConfig
from carecase.report.content import Report
from carecase.report.disclose import disclose_report
from carecase.report.loaders import StageOutputs
from carecase.report.sections import (
    audit,
    cba,
    data,
    evaluation,
    logic,
    registers,
    summary,
    unit_costs,
)
from carecase.report.sections.common import Context

BUILDERS = (
    summary.build,
    data.build,
    audit.build,
    evaluation.build,
    cba.build,
    logic.build,
    registers.case_studies,
    unit_costs.build,
    registers.assumptions,
    registers.methods,
)


def build_report(out: Path, config: ReportConfig, project_name: str = "", area: str = "",
                 period: str = "", mode: Literal["shared", "internal"] | None = None,
                 services: Catalogue = BY_CODE, cba_configured: bool = True,
                 data_configured: bool = False) -> Report:
    """The whole report for the outputs under ``out`` (a project's out/ folder), with
    disclosure control applied for ``mode`` (default: ``config.mode``); ``services``: the
    project's service catalogue (``carecase.core.services.catalogue``); ``cba_configured``:
    whether the project has a CBA model (``cba.model`` or ``cba.inline``); ``data_configured``:
    whether it reads extracts (``ingest``), so that stages that have not run are said first."""
    m = mode or config.mode
    ctx = Context(StageOutputs(Path(out)), config, m, project_name, services=services,
                  cba_configured=cba_configured, data_configured=data_configured)
    sections = [b(ctx) for b in BUILDERS]
    subtitle = " · ".join(p for p in (project_name, area, period) if p)
    warning = cba.withheld_warning(ctx, ctx.outs.json("cba", "results.json"))
    report = Report(title=config.title, subtitle=subtitle, mode=m, sections=sections,
                    warnings=[warning] if warning else [])
    return disclose_report(report, config.suppression)
