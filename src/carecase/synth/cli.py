"""``carecase synth DIR``: write a synthetic area as a ready-to-run project."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from carecase.synth.params import UNREGISTERED_SHARE, WRONG_NHS_SHARE


def register(app: typer.Typer) -> None:
    @app.command("synth")
    def synth(
        folder: Annotated[Path, typer.Argument(help="Project folder to write (created if missing).")],
        people: Annotated[int, typer.Option(help="People in the synthetic area (50 to 5,000,000).")] = 4000,
        seed: Annotated[int, typer.Option(help="Random seed (same seed, same bytes).")] = 20240401,
        start: Annotated[str, typer.Option(help="First day of the period (YYYY-MM-01).")] = "2019-04-01",
        years: Annotated[int, typer.Option(
            help="Length of the period in years, 3 to 20 (a year before the programme and a "
            "year of follow-up are needed).")] = 5,
        formats: Annotated[str, typer.Option(help="realistic: CSV/XLSX/Parquet mix; fast: no XLSX.")] = "realistic",
        unregistered: Annotated[float, typer.Option(
            help="People off the population register (no NHS number: housing and police records "
            "only), as a share of --people (0 to 0.5).")] = UNREGISTERED_SHARE,
        wrong_nhs: Annotated[float, typer.Option(
            help="Share of the drug and alcohol treatment episodes with an NHS number that carry someone "
            "else's (0 to 0.5; listed in truth/wrong_nhs_numbers.parquet).")] = WRONG_NHS_SHARE,
        identity_noise: Annotated[float, typer.Option(
            help="Multiply the rates at which agencies record names, birth dates and postcodes "
            "wrongly (0 to 10; 1 is the usual; above 1, an area harder to link).")] = 1.0,
    ) -> None:
        """Synthesise a multi-agency area (extracts, programme files, carecase.yaml, truth/)."""
        from rich.table import Table

        from carecase.cli import console, make_progress
        from carecase.core.errors import SynthError
        from carecase.synth import generate

        try:
            first = dt.date.fromisoformat(start)
        except ValueError:
            raise SynthError(f"--start {start!r} is not a date; write it as YYYY-MM-DD, e.g. 2019-04-01.") from None
        with make_progress() as progress:
            result = generate(folder, people=people, seed=seed, start=first, years=years,
                              formats=formats, progress=progress, unregistered=unregistered,
                              wrong_nhs_share=wrong_nhs, identity_noise=identity_noise)
        table = Table(title=f"Synthetic area in {result.folder}")
        table.add_column("file")
        table.add_column("rows", justify="right")
        table.add_column("broken on purpose", justify="right")
        for name in sorted(result.rows):
            broken = sum(result.broken.get(name, {}).values())
            table.add_row(name, f"{result.rows[name]:,}", f"{broken:,}" if name in result.broken else "")
        console.print(table)
        console.print(result.headline)
        console.print(
            "The project reads its pseudonymisation key from ../demo.key (outside the folder); "
            f"write one there, then run [bold]carecase run {result.folder}[/bold]."
        )
