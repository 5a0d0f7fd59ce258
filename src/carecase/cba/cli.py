"""``carecase cba MODEL.yaml|PROJECT``: run a cost-benefit model and show who pays, who benefits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table


def _money(x: float | None) -> str:
    return "n/a" if x is None else (f"-£{-x:,.0f}" if x < 0 else f"£{x:,.0f}")


def _ratio(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2f}"


def print_results(results: dict[str, Any], console: Console) -> None:
    h = results["headline"]
    t = Table(title=f"CBA: {results['model']['name']}")
    t.add_column("measure")
    t.add_column("value", justify="right")
    rows = [("Net present value", _money(h["npv"])), ("Benefit-cost ratio", _ratio(h["bcr"])),
            ("Financial ROI (cashable)", _ratio(h["roi_financial"])),
            ("Public-value return", _ratio(h["roi_public_value"])),
            ("Payback year", str(h["payback_year"])),
            ("Net present budget impact", _money(h["net_present_budget_impact"])),
            ("PV costs", _money(h["pv_costs"])), ("PV public-value benefits", _money(h["pv_public_value"]))]
    if results.get("p_npv_positive") is not None:
        p = results["npv_draws"]["percentiles"]
        rows += [("P(NPV > 0)", f"{results['p_npv_positive']:.1%}"),
                 ("NPV 5th–95th percentile", f"{_money(p['p5'])} to {_money(p['p95'])}")]
    for r in rows:
        t.add_row(*r)
    console.print(t)
    m = Table(title="Who pays, who benefits (net £ by year, undiscounted; total discounted)")
    m.add_column("agency", no_wrap=True)
    years = results["model"]["years"]
    for y in years:
        m.add_column(f"y{y}", justify="right")
    m.add_column("net PV", justify="right")
    for agency, row in results["matrix"].items():
        m.add_row(agency, *[_money(v) for v in row], _money(results["agency_net"][agency]["net_pv"]))
    console.print(m)


def register(app: typer.Typer) -> None:
    @app.command("cba")
    def cba_command(
        source: Annotated[Path, typer.Argument(help="A CBA model YAML, or a project folder.")],
        json_out: Annotated[Path | None, typer.Option("--json", help="Write every output here.")] = None,
        xlsx_out: Annotated[Path | None, typer.Option("--xlsx", help="Write the audit workbook here.")] = None,
        draws: Annotated[int | None, typer.Option(help="Monte Carlo draws (default: the model's).")] = None,
        library: Annotated[bool, typer.Option(
            help="Value unit_cost codes from carecase's unit-cost library at the model's "
            "price_base_year (else the shipped library at its published price years).")] = True,
    ) -> None:
        """Cost-benefit analysis: NPV, ratios, payback, who pays / who benefits, uncertainty."""
        from carecase.cba.library_lookup import library_lookup
        from carecase.cba.load import model_from_dict, read_model_yaml
        from carecase.cba.results import analyse
        from carecase.cba.unit_costs import BUILTIN
        from carecase.cba.workbook import write_workbook
        from carecase.core.errors import CBAError

        console = Console()
        if not console.is_terminal:
            console = Console(width=200)
        if source.is_dir() or source.name == "carecase.yaml":
            from carecase.cba.stage import project_model
            from carecase.core.project import Project

            project = Project.open(source)
            found = project_model(project)
            if found is None:
                raise CBAError(f"{project.root}/carecase.yaml has no cba.model or cba.inline.")
            model, lookup = found
            draws = draws or project.config.cba.draws
        else:
            data = read_model_yaml(source)
            year = data.get("price_base_year") if isinstance(data, dict) else None
            lookup = library_lookup(year) if isinstance(year, int) and library else BUILTIN
            model = model_from_dict(data, source=str(source), lookup=lookup)
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
