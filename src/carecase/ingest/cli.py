"""``carecase ingest PROJECT [--strict]``: a thin layer over :func:`carecase.ingest.stage.run`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

console = Console()


def register(app: typer.Typer) -> None:
    @app.command("ingest")
    def ingest(
        project: Annotated[Path, typer.Argument(help="Project folder (holding carecase.yaml).")],
        strict: Annotated[bool, typer.Option("--strict", help="Fail if any row is quarantined.")] = False,
    ) -> None:
        """Read, validate, quarantine and pseudonymise every configured extract."""
        from carecase.cli import run_stage
        from carecase.ingest.stage import run

        summary, _ = run_stage(project, run, strict=strict)
        print_summary(summary)

    del ingest


def print_summary(summary: dict) -> None:
    for name, src in sorted(summary["sources"].items()):
        table = Table(title=f"{name} ({src['role']}, {src['config_key']})")
        for col in ("file", "status", "read", "accepted", "quarantined", "out of scope", "quarantined by rule"):
            table.add_column(col, justify="right" if col in ("read", "accepted", "quarantined", "out of scope") else "left")
        for f in src["files"]:
            rules = ", ".join(f"{r} {n:,}" for r, n in f["quarantined_by_rule"].items())
            table.add_row(f["path"], f["status"], f"{f['rows_read']:,}", f"{f['rows_accepted']:,}",
                          f"{f['rows_quarantined']:,}", f"{f['rows_out_of_scope']:,}", rules)
        console.print(table)
    for r in summary.get("removed", []):
        console.print(f"removed {r['source']}: {r['path']} (no longer configured)")
    console.print(summary["headline"])
