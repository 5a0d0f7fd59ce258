"""``carecase report PROJECT [--internal]``: HTML, Excel and PDF from the stage outputs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn


def register(app: typer.Typer) -> None:
    @app.command("report")
    def report_cmd(
        project: Annotated[Path, typer.Argument(help="Project folder (holding carecase.yaml).")],
        internal: Annotated[bool, typer.Option(
            "--internal", help="Unsuppressed internal report, labelled INTERNAL – NOT FOR SHARING, "
                               "written to out/report/internal/ (the shared report is left as it is).")] = False,
    ) -> None:
        """Write out/report/report.html, report.xlsx and report.pdf: small numbers suppressed (report.mode: shared, the default); unsuppressed under out/report/internal/ with --internal or report.mode: internal."""  # noqa: E501 - one line: the help keeps line breaks
        from carecase.core.project import Project
        from carecase.core.runlock import run_lock
        from carecase.report.stage import run

        console = Console()
        proj = Project.open(project)
        try:
            with run_lock(proj.root), Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(),
                          TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                          console=console) as progress:
                summary = run(proj, progress=progress, internal=internal or None)
        finally:
            proj.close()
        console.print(summary["headline"], highlight=False, soft_wrap=True)
        for name, path in sorted(summary["files"].items()):
            console.print(f"  {name}: [bold]{path}[/bold]", highlight=False, soft_wrap=True)
        for line in summary.get("warnings") or []:
            console.print(f"[yellow]warning:[/yellow] {line}", highlight=False, soft_wrap=True)
