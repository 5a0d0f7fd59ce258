"""``carecase link PROJECT`` runs linkage; ``carecase link review PROJECT`` says where the
clerical-review file is and how to feed decisions back; ``carecase link nicknames [FILE]``
writes the built-in short forms of given names, a start for ``linkage.nicknames``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

console = Console()


def review_location(project_dir: Path) -> tuple[Path, int | None]:
    """The clerical-review file of a project and its number of pairs (None if not written)."""
    from carecase.core.project import Project
    from carecase.link.clerical import REVIEW_FILE

    proj = Project.open(project_dir)
    path = proj.root / "out" / "link" / REVIEW_FILE
    summary = proj.read_json("link", "summary.json") or {}
    pairs = (summary.get("clerical_review") or {}).get("pairs")
    return path, pairs if path.exists() else None


def register(app: typer.Typer) -> None:
    @app.command("link")
    def link_command(
        first: Annotated[str, typer.Argument(
            metavar="review|nicknames|PROJECT",
            help="Project folder; or 'review' then the folder; or 'nicknames' and optionally a file to write.")],
        second: Annotated[str | None, typer.Argument(show_default=False, hidden=True,
                                                     metavar="PROJECT")] = None,
    ) -> None:
        """Link records to people (deterministic, then probabilistic); `link review PROJECT` shows where the clerical-review file is; `link nicknames [FILE]` writes the built-in short forms of given names (CSV), to edit for linkage.nicknames."""  # noqa: E501 - one line: the help keeps line breaks
        if first == "nicknames" and not (Path(first) / "carecase.yaml").exists():
            _nicknames(None if second is None else Path(second))
            return
        if second is not None:
            if first != "review":
                raise typer.BadParameter(
                    f"unknown sub-command {first!r}; use `carecase link PROJECT` or "
                    "`carecase link review PROJECT`."
                )
            _review(Path(second))
            return
        if first == "review" and not (Path(first) / "carecase.yaml").exists():
            raise typer.BadParameter(
                "`carecase link review` needs the project folder: `carecase link review PROJECT`."
            )
        _run(Path(first))


def _run(folder: Path) -> None:
    from carecase.cli import run_stage
    from carecase.link.stage import run

    summary, out = run_stage(folder, run)
    console.print(summary["headline"])
    for warning in summary.get("warnings", []):
        console.print(f"[bold yellow]warning:[/bold yellow] {warning}", soft_wrap=True, highlight=False)
    for note in summary.get("notes", []):
        console.print(f"Note: {note}", soft_wrap=True)
    console.print(f"Linkage report: [bold]{out / 'link' / 'summary.json'}[/bold]")


def _nicknames(out: Path | None) -> None:
    from carecase.link.nicknames import SHORT_FORMS, built_in_csv

    text = built_in_csv()
    if out is None:
        typer.echo(text, nl=False)
        return
    if out.exists():
        raise typer.BadParameter(f"{out} exists; name a new file (carecase does not overwrite a list you may "
                                 "have edited).")
    out.write_text(text, encoding="utf-8")
    console.print(
        f"Wrote the built-in short forms of {len(SHORT_FORMS)} given names ({text.count(chr(10)) - 1} pairs) to "
        f"{out}. Edit it (keep the rows you want, add your region's own), then set linkage.nicknames: {out.resolve()} in "
        "carecase.yaml: the file replaces the built-in list.", soft_wrap=True, highlight=False)


def _review(folder: Path) -> None:
    path, pairs = review_location(folder)
    if pairs is None:
        console.print(f"No clerical-review file yet ({path}). Run `carecase link {folder}` first.",
                      soft_wrap=True)
        raise typer.Exit(1)
    console.print(f"Clerical review: [bold]{path}[/bold] ({pairs} pair(s)).", soft_wrap=True)
    console.print(
        "Fill in 'decision' (match / non-match), set linkage.clerical_decisions to the "
        f"reviewed file in carecase.yaml and run `carecase run {folder} --only ingest,link` "
        "(linkage needs the identities ingest stages, which each link run drops), then the "
        "later stages.", soft_wrap=True)
    console.print(
        "The file holds record ids and agreement levels only. To review with names and dates of "
        "birth, set privacy.keep_linkage_staging: true, re-run ingest and link, review, then set it "
        "back to false and run ingest and link once more: that link run erases the identities from the "
        "store (it drops them and rewrites the store file without them).",
        soft_wrap=True)
