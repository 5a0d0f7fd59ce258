"""The carecase command line: a thin layer over the public API.

Every stage adds its own commands from ``carecase.<stage>.cli.register(app)``; this module
adds ``init``, ``schema``, ``run`` and ``demo``. Errors print one clear message and exit
non-zero; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from carecase.core.errors import CarecaseError, file_problem, interrupted

app = typer.Typer(
    name="carecase",
    help="Whole-system cost audits, counterfactual evaluation and multi-agency cost-benefit "
    "analysis for health, social care and housing partnerships.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=False)
err_console = Console(stderr=True)
_STATE: dict[str, Any] = {"debug": False}


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    _STATE["debug"] = debug


def make_progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def run_stage(folder: Path, run_fn: Any, **kwargs: Any) -> tuple[dict[str, Any], Path]:
    """Open a project, run one stage's ``run(project, progress, **kwargs)`` with a progress
    bar and close the project: the stage commands all go through here."""
    from carecase.core.project import Project
    from carecase.core.runlock import run_lock

    proj = Project.open(folder)
    try:
        with run_lock(proj.root), make_progress() as progress:
            summary = run_fn(proj, progress=progress, **kwargs)
    finally:
        proj.close()
    return summary, proj.out


@app.command()
def init(
    folder: Annotated[Path, typer.Argument(help="Folder for the new project.")],
    force: Annotated[bool, typer.Option(help="Overwrite an existing carecase.yaml.")] = False,
) -> None:
    """Create a project folder with a fully commented carecase.yaml."""
    from carecase.core.template import write_template

    path = write_template(folder, force=force)
    console.print(f"Wrote {path}. Edit it, then run [bold]carecase run {folder}[/bold].")


@app.command()
def schema(
    markdown: Annotated[bool, typer.Option(help="Print the configuration reference as Markdown.")] = False,
) -> None:
    """Print the JSON Schema of carecase.yaml (or the Markdown reference)."""
    from carecase.core.config import json_schema
    from carecase.core.schema_doc import schema_markdown

    if markdown:
        sys.stdout.write(schema_markdown())
    else:
        sys.stdout.write(json.dumps(json_schema(), indent=2, sort_keys=True) + "\n")


@app.command()
def run(
    project: Annotated[Path, typer.Argument(help="Project folder (holding carecase.yaml).")],
    only: Annotated[list[str] | None, typer.Option(
        help="Run only these stages (repeat the option, or give a comma-separated list); "
        "an unknown name is an error.")] = None,
    new_key: Annotated[bool, typer.Option("--new-key", help="Let ingest re-pseudonymise every extract under a "
                                          "key other than the one the store was built with (see `carecase "
                                          "ingest --help`); without it such a key is refused.")] = False,
) -> None:
    """Run every stage in order: ingest, link, costs, audit, evaluate, cba, report."""
    from carecase.core.project import Project
    from carecase.pipeline import run_all

    proj = Project.open(project)
    try:
        with make_progress() as progress:
            results = run_all(proj, progress=progress, only=only, new_key=new_key)
    finally:
        proj.close()
    print_summaries(results)
    console.print(f"Results are in [bold]{proj.out}[/bold]")


@app.command()
def demo(
    folder: Annotated[Path, typer.Argument(help="Folder for the demo (git-ignored 'demo/'): the project goes into FOLDER/area "
                                           "(open it with `carecase web FOLDER/area`), its key into FOLDER/demo.key.")] = Path("demo"),
    people: Annotated[int, typer.Option(help="People in the synthetic area (50 to 5,000,000).")] = 4000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 20240401,
) -> None:
    """Synthesise an area, run the whole pipeline on it and print where the results are."""
    from carecase.demo import run_demo

    results, out = run_demo(folder, people=people, seed=seed, console=console, progress_factory=make_progress)
    print_summaries(results)
    console.print(f"\nDemo results are in [bold]{out}[/bold]")
    for name, path in sorted(results.get("report", {}).get("files", {}).items()):
        console.print(f"  {name}: {path}")


def print_summaries(results: dict[str, Any]) -> None:
    table = Table(title="carecase run", show_lines=False)
    table.add_column("stage")
    table.add_column("summary")
    for stage, summary in results.items():
        text = (summary or {}).get("headline") if isinstance(summary, dict) else None
        table.add_row(stage, str(text or "done"))
    console.print(table)
    from carecase.pipeline import caveats

    for stage, summary in results.items():  # what a stage asks the reader to check
        for line in caveats(summary):
            console.print(f"[yellow]{stage}:[/yellow] {line}", soft_wrap=True)


_STAGE_CLIS = ("synth", "ingest", "link", "costs", "audit", "evaluate", "cba", "report", "web")


def _register_stage_commands() -> None:
    for stage in _STAGE_CLIS:
        try:
            mod = importlib.import_module(f"carecase.{stage}.cli")
        except ModuleNotFoundError as err:
            if err.name == f"carecase.{stage}.cli":
                continue
            raise
        mod.register(app)


_register_stage_commands()


def main() -> None:
    try:
        # Without standalone mode Typer *returns* the code of a `typer.Exit` raised in a
        # command, and turns Ctrl-C (KeyboardInterrupt) into a returned 130: both used to
        # end in exit status 0, so an interrupted `carecase run` looked like a finished one.
        # DuckDB turns a Ctrl-C during a query into an error of its own, which a stage may
        # wrap in another ("the model could not be trained"): see `interrupted`.
        code = app(standalone_mode=False)
        if isinstance(code, int) and not isinstance(code, bool) and code:
            if code == 130:
                _say_interrupted()
            sys.exit(code)
    except CarecaseError as err:
        if _STATE["debug"]:
            raise
        if interrupted(err):
            _say_interrupted()
            sys.exit(130)
        err_console.print(Text.assemble(("error: ", "bold red"), str(err)), highlight=False)
        sys.exit(err.exit_code)
    except (typer.Exit, SystemExit) as ex:
        code = getattr(ex, "exit_code", getattr(ex, "code", 0))
        sys.exit(code or 0)
    except typer.Abort:
        err_console.print("aborted")
        sys.exit(130)
    except Exception as err:  # usage errors (typer carries its own copy of click's exceptions)
        import click

        if isinstance(err, click.ClickException | typer.TyperException) and hasattr(err, "show"):
            err.show()
            sys.exit(getattr(err, "exit_code", 2))
        if _STATE["debug"]:
            raise
        if interrupted(err):
            _say_interrupted()
            sys.exit(130)
        if (problem := file_problem(err)) is not None:
            err_console.print(Text.assemble(("error: ", "bold red"), problem), highlight=False)
            sys.exit(1)
        err_console.print(
            Text.assemble(
                ("unexpected error: ", "bold red"),
                f"{type(err).__name__}: {err}\nRun again with --debug for the traceback, and report it.",
            )
        )
        sys.exit(1)


def _say_interrupted() -> None:
    err_console.print(Text.assemble(
        ("interrupted: ", "bold red"),
        "the stage that was running did not finish. Run the same command again: each stage "
        "redoes its work, and the report refuses outputs that no longer match."), highlight=False)

