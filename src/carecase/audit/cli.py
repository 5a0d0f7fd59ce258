"""``carecase audit PROJECT``: the whole-system cost audit."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

console = Console()


def audit(project: Annotated[Path, typer.Argument(help="Project folder (holding carecase.yaml).")]) -> None:
    """Whole-system cost per person, period, agency, service and need; top-N; concentration."""
    import pandas as pd

    from carecase.audit.stage import run
    from carecase.cli import run_stage

    summary, out = run_stage(project, run)
    agency = pd.read_parquet(out / "audit" / "cost_by_agency.parquet")
    console.print(summary["headline"])
    for line in summary.get("notes") or []:
        console.print(f"[yellow]Note:[/yellow] {line}", soft_wrap=True)
    table = Table(title="Cost by agency")
    for col in ("agency", "service area", "cost", "share", "people"):
        table.add_column(col, overflow="fold")  # a number folds at 80 columns, never cut short
    for r in agency.sort_values("cost", ascending=False, kind="stable").itertuples(index=False):
        table.add_row(str(r.agency_l1), str(r.agency_l2), f"£{r.cost:,.0f}", f"{r.share_of_cost:.1%}", f"{r.people:,}")
    console.print(table)
    console.print(f"Tables are in {out / 'audit'}")


def register(app: typer.Typer) -> None:
    app.command("audit")(audit)
