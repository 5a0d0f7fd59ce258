"""``carecase costs apply|show|import-gmca``: thin commands over carecase.costs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from typer.core import TyperGroup

console = Console()


class _CostsGroup(TyperGroup):
    """`carecase costs PROJECT` is `carecase costs apply PROJECT` (the costs stage, as every
    other stage is `carecase STAGE PROJECT`); anything else that is not a sub-command is an
    error naming them."""

    def resolve_command(self, ctx, args):  # type: ignore[no-untyped-def]  # click's signature
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            if Path(args[0]).is_dir() or Path(args[0]).name == "carecase.yaml":
                return "apply", self.commands["apply"], args
        return super().resolve_command(ctx, args)


costs_app = typer.Typer(help="Unit costs: cost every event (`carecase costs PROJECT` = `costs apply PROJECT`), "
                             "list the library, import the GMCA database.",
                        no_args_is_help=True, cls=_CostsGroup)


@costs_app.command("apply")
def apply_cmd(project: Annotated[Path, typer.Argument(help="Project folder (holding carecase.yaml).")]) -> None:
    """Cost every event at the project price year (writes costed_events, unmapped_events)."""
    from carecase.cli import run_stage
    from carecase.costs.stage import run
    from carecase.ingest.ignored import describe

    summary, _ = run_stage(project, run)
    console.print(summary["headline"])
    for warning in summary.get("warnings", []):
        console.print(f"[yellow]Warning:[/yellow] {warning}", soft_wrap=True)
    by_source = summary.get("ignored_at_ingest", {}).get("by_source", [])
    ignored = [r for r in by_source if r["rows_ignored"]]
    if ignored:
        table = Table(title="Extract rows ignored at ingest (unmapped: ignore) and costed by no source")
        for col in ("source", "code column", "rows ignored", "of rows read", "codes ignored (rows)",
                    "codes kept (map)"):
            table.add_column(col, overflow="fold")
        for r in ignored:
            # codes come from the extract: never read as Rich markup
            table.add_row(r["source"], r["column"], f"{r['rows_ignored']:,}", f"{r['rows_read']:,}",
                          Text(describe(r) if r.get("codes") else "(not recorded: run ingest again)"),
                          Text(", ".join(r["mapped_codes"])))
        console.print(table)
        console.print("Rows whose code is not in the source's map ("
                      + ", ".join(f"{r['config_key']}.map" for r in ignored)
                      + ") are left out of every cost; codes match exactly ('stc' is not 'STC'). Check the "
                      "codes in those columns and add any that belong to the map, or set unmapped: quarantine "
                      "to list each such row, with its code, in the ingest quarantine.")
    elsewhere = [r for r in by_source if r.get("codes_mapped_by_other_sources")]
    if elsewhere:
        # codes come from the extract: printed without markup
        console.print("Not counted above, as another source reading the same file maps them: "
                      + "; ".join(f"{r['source']} ignored "
                                  + ", ".join(f"{c['code']!r} {c['rows']:,} (mapped by {', '.join(c['sources'])})"
                                              for c in r["codes_mapped_by_other_sources"])
                                  for r in elsewhere) + ".",
                      markup=False, highlight=False, soft_wrap=True)


@costs_app.command("show")
def show_cmd(
    project: Annotated[Path | None, typer.Argument(help="Project folder; omit for the default library.")] = None,
    price_year: Annotated[int | None, typer.Option(help="Financial year to uprate to (default: project's).")] = None,
    code: Annotated[str | None, typer.Option(help="Show only codes starting with this.")] = None,
) -> None:
    """List the unit-cost library, uprated, with sources."""
    from carecase.core.dates import fiscal_year_label  # not at import: --help loads no engine
    from carecase.costs.library import load_library

    if project is not None:
        from carecase.core.project import Project
        from carecase.costs.stage import project_library

        proj = Project.open(project)
        cfg = proj.config.costs
        if price_year is not None:
            cfg = cfg.model_copy(update={"price_year": price_year})
        lib = project_library(cfg, proj)
        year = cfg.price_year
    else:
        year = price_year or 2024
        lib = load_library(year)
    if code:
        lib = lib[lib["code"].str.startswith(code)]
    table = Table(title=f"Unit costs at {fiscal_year_label(year)} prices")
    for col in ("code", "type", "description", "unit", "agency", "base", "value", "rag", "from"):
        table.add_column(col, overflow="fold")
    for r in lib.itertuples(index=False):
        table.add_row(
            str(r.code), str(r.value_type), str(r.description)[:60], str(r.unit), str(r.agency_l1),
            f"£{r.base_value:,.2f} ({r.base_price_year})", f"£{r.value:,.2f}", str(r.rag), str(r.provenance),
        )
    console.print(table)
    console.print("Default library: New Economy / GMCA Unit Cost Database v1.4, CC BY 4.0 "
                  "(each row cites its original source).")


@costs_app.command("import-gmca")
def import_gmca_cmd(
    workbook: Annotated[Path, typer.Argument(help="GMCA / New Economy Unit Cost Database .xlsx")],
    out: Annotated[Path, typer.Option(help="Library CSV to write.")] = Path("library.csv"),
) -> None:
    """Read every theme sheet of the GMCA Unit Cost Database into a carecase library CSV."""
    from carecase.costs.gmca import LIBRARY_COLUMNS, import_gmca

    df = import_gmca(workbook)
    df[[*LIBRARY_COLUMNS, "theme", "headline", "workbook_uprated"]].to_csv(out, index=False, lineterminator="\n")
    console.print(f"Wrote {len(df):,} values for {df['code'].nunique():,} cost codes to {out}.")


def register(app: typer.Typer) -> None:
    app.add_typer(costs_app, name="costs")
