"""The report stage: ``run(project)`` writes out/report/report.html, report.xlsx, report.pdf
and summary.json; an internal (unsuppressed) report goes to out/report/internal/ instead, so
that it never replaces the shared report in the folder docs/privacy.md says to share."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Literal

from carecase.core.errors import ReportError
from carecase.core.project import Project
from carecase.core.services import catalogue
from carecase.report.build import build_report
from carecase.report.content import Note, Report
from carecase.report.freshness import dominance_inputs_missing, stale_outputs
from carecase.report.html import render_html
from carecase.report.pdf import find_chromium, html_to_pdf
from carecase.report.xlsx import render_xlsx

INTERNAL_DIR = "internal"  # out/report/internal/: never shared
#: the report's files, report.<ext>
REPORT_FORMATS = ("html", "pdf", "xlsx")
#: the scratch folder's prefix, inside out/report/ (or internal/), while the files are written
WRITING = ".writing-"


def check_ids(report: Report) -> None:
    ids = [t.id for t in report.tables()] + [c.id for c in report.charts()] + [s.id for s in report.sections]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ReportError(f"report content has duplicate ids {dupes}; every table and chart needs its own id")


def cba_configured(project: Project) -> bool:
    """Whether carecase.yaml has a CBA model (the cba stage skips without one)."""
    return project.config.cba.model is not None or project.config.cba.inline is not None


def not_run_sections(report: Report) -> list[str]:
    """The sections with nothing but notes, one of them saying a stage's output is missing:
    a section that shows something (the executive summary's evaluation, beside its note that
    the CBA's figures are missing) was listed as not run."""
    return sorted(s.id for s in report.sections
                  if all(isinstance(b, Note) for b in s.blocks) and any(b.kind == "not_run" for b in s.blocks
                                                                         if isinstance(b, Note)))


def project_report(project: Project, mode: Literal["shared", "internal"] | None = None) -> Report:
    cfg = project.config
    period = f"{cfg.project.period_start.isoformat()} to {cfg.project.period_end.isoformat()}"
    report = build_report(project.out, cfg.report, cfg.project.name, cfg.project.area, period, mode,
                          services=catalogue(cfg), cba_configured=cba_configured(project),
                          data_configured=bool(cfg.ingest.sources or cfg.ingest.population))
    check_ids(report)
    return report


def run(project: Project, progress: Any = None, internal: bool | None = None) -> dict[str, Any]:
    """Build the report once and write each configured format; ``internal=True`` overrides
    ``report.mode`` for this run (unsuppressed, labelled). Refuses, writing nothing, when
    the stages' outputs come from different data (``report.freshness``)."""
    cfg = project.config.report
    mode: Literal["shared", "internal"] = "internal" if internal else cfg.mode
    formats = list(cfg.formats)
    task = progress.add_task("report", total=len(formats) + 1) if progress is not None else None

    def step() -> None:
        if progress is not None and task is not None:
            progress.advance(task)

    if mode == "shared" and cfg.suppression.dominance.rule != "none":
        missing = dominance_inputs_missing(project)
        if missing:
            raise ReportError(missing)
    stale = stale_outputs(project)
    if stale:
        raise ReportError(
            "The outputs under out/ are not all from the same data, so a report would mix them (for "
            "example this month's ingest with last month's evaluation); nothing was written.\n  - "
            + "\n  - ".join(stale) + "\nRun `carecase run PROJECT` to bring every stage up to date.")
    report = project_report(project, mode)
    step()
    out = project.stage_dir("report")
    if mode == "internal":
        out = out / INTERNAL_DIR
        out.mkdir(exist_ok=True)
    symbol = cfg.suppression.symbol
    warnings: list[str] = list(report.warnings)
    for stale_dir in out.glob(f"{WRITING}*"):  # a run killed while writing (kill -9) left it
        shutil.rmtree(stale_dir, ignore_errors=True)
    # every format is written beside the others in a scratch folder and moved into place only
    # when all are written: a failure part-way (a full disk, Chromium crashing) left this
    # run's HTML beside the last run's PDF and workbook; and a format not written this run
    # (PDF skipped: no Chromium; a format dropped from report.formats) is removed, not left
    # from an earlier run beside the new ones (the web app served such a PDF)
    scratch = Path(tempfile.mkdtemp(prefix=WRITING, dir=out))
    try:
        written: list[str] = []
        html_path = scratch / "report.html"
        if "html" in formats or "pdf" in formats:
            html_path.write_text(render_html(report, symbol), encoding="utf-8")
            if "html" in formats:
                written.append("html")
                step()
        if "xlsx" in formats:
            render_xlsx(report, scratch / "report.xlsx", symbol)
            written.append("xlsx")
            step()
        if "pdf" in formats:
            try:
                find_chromium(cfg.chromium)
            except ReportError as err:  # no browser on this machine: the other formats still stand
                warnings.append(f"PDF skipped: {err}")
            else:
                html_to_pdf(html_path, scratch / "report.pdf", report.label, cfg.chromium,
                            dated=project.config.project.period_end)
                written.append("pdf")
            step()
        for ext in REPORT_FORMATS:
            if ext in written:
                os.replace(scratch / f"report.{ext}", out / f"report.{ext}")
            else:
                (out / f"report.{ext}").unlink(missing_ok=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    files = {ext: str(out / f"report.{ext}") for ext in sorted(written)}
    not_run = not_run_sections(report)
    headline = (f"{mode} report: {len(report.sections)} sections, {len(report.tables())} tables, "
                f"{len(report.charts())} charts → {', '.join(sorted(files))}")
    if not_run:
        headline += f" (not run: {', '.join(not_run)})"
    if not cba_configured(project) and not (project.out / "cba" / "results.json").exists():
        headline += "; no CBA model configured (cba.model or cba.inline; docs/cba.md)"
    if any(w.startswith("PDF skipped") for w in warnings):
        headline += "; PDF skipped (no Chromium)"
    if report.warnings:
        headline += "; cost-benefit results withheld (see warnings)"
    summary = {"headline": headline, "files": files, "mode": mode, "warnings": warnings,
               "sections": [s.id for s in report.sections], "not_run": not_run,
               "tables": len(report.tables()), "charts": len(report.charts())}
    project.write_json("report", f"{INTERNAL_DIR}/summary.json" if mode == "internal" else "summary.json", summary)
    return summary
