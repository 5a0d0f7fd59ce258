"""``carecase cba MODEL.yaml|PROJECT``: run a cost-benefit model and show who pays, who benefits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from carecase.cba.config import MAX_DRAWS, MIN_DRAWS
from carecase.cba.formatting import money, payback_text, ratio_text, year_heading


def discounting_text(model: dict[str, Any]) -> str:
    """The schedule, and the outcomes on the Green Book health schedule (results.json ``model``)."""
    text = str(model.get("discounting", ""))
    health = model.get("health_outcomes") or []
    if health:
        text += f"; health schedule (1.5% years 0–30, then declining): {', '.join(map(str, health))}"
    return text


def print_results(results: dict[str, Any], console: Console) -> None:
    h = results["headline"]
    t = Table(title=f"CBA: {results['model']['name']}")
    t.add_column("measure")
    t.add_column("value", justify="right", overflow="fold")
    rows = [("Net present value", money(h["npv"])), ("Benefit-cost ratio", ratio_text(h["bcr"])),
            ("Financial ROI (fiscal)", ratio_text(h["roi_fiscal"])),
            ("Cashable ROI", ratio_text(h["roi_cashable"])),
            ("Public-value return", ratio_text(h["roi_public_value"])),
            ("Payback year", payback_text(h)),
            ("Net present budget impact", money(h["net_present_budget_impact"])),
            ("PV costs", money(h["pv_costs"])), ("PV public-value benefits", money(h["pv_public_value"]))]
    if results.get("p_npv_positive") is not None:
        p = results["npv_draws"]["percentiles"]
        rows += [("P(NPV > 0)", f"{results['p_npv_positive']:.1%}"),
                 ("NPV 5th–95th percentile", f"{money(p['p5'])} to {money(p['p95'])}")]
    rows += break_even_rows(results.get("break_even") or {})
    rows.append(("Discounting", discounting_text(results["model"])))
    for r in rows:
        t.add_row(*r)
    console.print(t)
    console.print(who_pays_table(results))


def break_even_rows(be: dict[str, Any]) -> list[tuple[str, str]]:
    """Break-even per participant-year beside the model's own (results.json ``break_even``):
    as measured where the outcomes share their adjustments, else after them."""
    rows = []
    measured = be.get("benefit_measured_per_participant_year")
    key, own, how = (("benefit_measured_per_participant_year", "estimated_measured_per_participant_year",
                      "as measured") if measured is not None else
                     ("benefit_per_participant_year", "estimated_per_participant_year", "after adjustments"))
    if be.get(key) is not None:
        model = f"; the model's {money(be[own])}" if be.get(own) is not None else ""
        # a year of benefit to a successful participant (results.json's S), not an entrant's year
        rows.append(("Break-even benefit per participant-year of benefit",
                     f"{money(be[key])} {how}{model} (a year of benefit to a successful participant)"))
    if be.get("cost_per_participant_year") is not None:
        cost = be.get("cost_break_even_per_participant_year")
        rows += [("Cost per participant engaged a year",  # results.json's E: people engaged each year
                  money(be["cost_per_participant_year"])),
                 ("Break-even cost per participant engaged a year",
                  money(cost) if cost is not None else "none (benefits ≤ 0)")]
    return rows


#: more years than this and the who-pays table lists years down the page, agencies across
WIDE_YEARS = 8


def who_pays_table(results: dict[str, Any]) -> Table:
    """Net £ by agency and year (undiscounted) with each agency's net PV: agencies as rows,
    or, for a long appraisal (31 years once folded every figure in two), years as rows."""
    title = "Who pays, who benefits (net £ by year, undiscounted; total discounted)"
    m = Table(title=title)
    years, matrix = results["model"]["years"], results["matrix"]
    first = results["model"].get("first_financial_year")  # '2025/26 (y0)' where the model names it
    net_pv = [money(results["agency_net"][a]["net_pv"]) for a in matrix]
    if len(years) <= WIDE_YEARS:
        m.add_column("agency", no_wrap=True)
        for y in years:
            m.add_column(year_heading(y, first, short=True), justify="right", overflow="fold")
        m.add_column("net PV", justify="right", overflow="fold")
        for (agency, row), pv in zip(matrix.items(), net_pv, strict=True):
            m.add_row(agency, *[money(v) for v in row], pv)
        return m
    m.add_column("year", no_wrap=True)
    for agency in matrix:
        m.add_column(agency, justify="right", overflow="fold")
    for k, y in enumerate(years):
        m.add_row(year_heading(y, first, short=True), *[money(row[k]) for row in matrix.values()])
    m.add_row("net PV", *net_pv, style="bold")
    return m


def register(app: typer.Typer) -> None:
    @app.command("cba")
    def cba_command(
        source: Annotated[Path, typer.Argument(help="A CBA model YAML, or a project folder.")],
        json_out: Annotated[Path | None, typer.Option("--json", help="Write every output here.")] = None,
        xlsx_out: Annotated[Path | None, typer.Option("--xlsx", help="Write the calculation workbook (every step as Excel formulas) here.")] = None,
        tables_out: Annotated[Path | None, typer.Option(
            "--tables", help="Write the result tables here as CSV and Parquet, as a project's out/cba/ "
            "holds them (cba_matrix: who pays and who benefits, by agency and year; costs, benefits, "
            "break-even, assumptions, tornado), with the workbook model.xlsx.")] = None,
        draws: Annotated[int | None, typer.Option(
            min=MIN_DRAWS, max=MAX_DRAWS,
            help=f"Monte Carlo draws, {MIN_DRAWS:,}–{MAX_DRAWS:,} (default: the model's "
            "monte_carlo.draws; for a project, cba.draws).")] = None,
    ) -> None:
        """Cost-benefit analysis: NPV, ratios, payback, break-even, who pays / who benefits, uncertainty.

        Given a project folder, runs its CBA stage and writes out/cba/ (as `carecase run --only cba`); given a model YAML, prints the results (and writes only what --json / --xlsx / --tables ask for).

        A model file's unit_cost codes are valued from carecase's shipped unit-cost library, uprated to the model's price_base_year with the GDP deflator; a project folder uses its own library (cba.unit_costs)."""  # noqa: E501 - one line: the help keeps line breaks
        from carecase.cba.load import load_yaml_model
        from carecase.cba.results import analyse
        from carecase.cba.unit_costs import BUILTIN
        from carecase.cba.workbook import write_workbook
        from carecase.core.errors import CBAError

        console = Console()
        if not console.is_terminal:
            console = Console(width=200)
        if source.is_dir() or source.name == "carecase.yaml":
            # a project: the CBA stage itself (out/cba/, read by the report), as `carecase run`
            from carecase.cba.stage import run as run_stage
            from carecase.core.project import Project

            project = Project.open(source)
            try:
                if project.config.cba.model is None and project.config.cba.inline is None:
                    raise CBAError(f"{project.root}/carecase.yaml has no cba.model or cba.inline: add "
                                   "`cba: {model: cba_model.yaml}` or `cba: {inline: {...}}` (docs/cba.md).")
                if draws is not None:
                    project.config.cba.draws = draws
                from carecase.core.runlock import run_lock

                with run_lock(project.root), console.status("Running the cost-benefit model…"):
                    summary = run_stage(project)
                results = project.read_json("cba", "results.json")
            finally:
                project.close()
            if results is not None:
                print_results(results, console)
            console.print(summary["headline"], highlight=False, soft_wrap=True)
            for line in summary.get("notes") or []:
                console.print(f"[yellow]Note:[/yellow] {line}", soft_wrap=True)
            console.print(f"Wrote {project.root / 'out' / 'cba'}")
            if results is None:  # skipped: nothing to write to --json or --xlsx
                return
        else:
            lookup = BUILTIN
            model = load_yaml_model(source, lookup)
            with console.status("Running the cost-benefit model…"):
                results = analyse(model, lookup, draws=draws)
            print_results(results, console)
        if json_out is not None:
            json_out.parent.mkdir(parents=True, exist_ok=True)
            json_out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
            console.print(f"Wrote {json_out}")
        if xlsx_out is not None:
            write_workbook(results, xlsx_out)
            console.print(f"Wrote {xlsx_out}")
        if tables_out is not None:  # pasteable into a board paper: who pays, who benefits, when
            from carecase.cba.stage import write_outputs

            tables_out.mkdir(parents=True, exist_ok=True)
            write_outputs(results, tables_out)
            console.print(f"Wrote the tables to {tables_out}")
