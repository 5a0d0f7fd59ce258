"""``carecase ingest PROJECT [--strict]``: a thin layer over :func:`carecase.ingest.stage.run`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

console = Console()

NEW_KEY_HELP = (
    "Re-pseudonymise every extract under a key other than the one the store was built with "
    "(rotating the key). Without it such a key is refused: every pseudonym and person_id would "
    "change, and IDs in earlier outputs (reports, clerical review) would stop matching."
)


def register(app: typer.Typer) -> None:
    @app.command("ingest")
    def ingest(
        project: Annotated[Path, typer.Argument(help="Project folder (holding carecase.yaml).")],
        strict: Annotated[bool, typer.Option("--strict", help="Fail if any row is quarantined.")] = False,
        new_key: Annotated[bool, typer.Option("--new-key", help=NEW_KEY_HELP)] = False,
    ) -> None:
        """Read, validate, quarantine and pseudonymise every configured extract."""
        from carecase.cli import run_stage
        from carecase.ingest.stage import run

        summary, _ = run_stage(project, run, strict=strict, new_key=new_key)
        print_summary(summary)

    del ingest


def print_summary(summary: dict) -> None:
    from carecase.ingest.ignored import describe

    for name, src in sorted(summary["sources"].items()):
        table = Table(title=f"{name} ({src['role']}, {src['config_key']})")
        counts = ("read", "accepted", "quarantined", "out of scope", "blank")
        for col in ("file", "status", *counts):
            # fold, never cut: at 80 columns the file and status were cut short ("extracts/…")
            table.add_column(col, justify="right" if col in counts else "left", overflow="fold")
        by_rule = []  # under the table, whole: in a column a narrow terminal cut the reasons short
        for f in src["files"]:
            rules = ", ".join(f"{r} {n:,}" for r, n in f["quarantined_by_rule"].items())
            status = f"renamed from {f['renamed_from']}" if f.get("renamed_from") else f["status"]
            table.add_row(f["path"], status, f"{f['rows_read']:,}", f"{f['rows_accepted']:,}",
                          f"{f['rows_quarantined']:,}", f"{f['rows_out_of_scope']:,}", f"{f.get('rows_blank', 0):,}")
            if rules:
                by_rule.append(f"  {f['path']}: quarantined by rule: {rules}")
        console.print(table)
        for line in by_rule:
            console.print(line, highlight=False, markup=False, soft_wrap=True)
        ign = src.get("ignored_codes")
        if ign and ign["codes"]:
            console.print(f"{name}: codes ignored (unmapped: ignore; not in {src['config_key']}.event.service.map, "
                          f"which matches exactly): {describe(ign)}", highlight=False, markup=False)
    for r in summary.get("removed", []):
        console.print(f"removed {r['source']}: {r['path']} (no longer matched or configured; its {r['rows_read']:,} row(s) were removed)")
    for w in summary.get("warnings", []):
        console.print(f"[bold yellow]warning:[/bold yellow] {w}", highlight=False)
    console.print(summary["headline"])
