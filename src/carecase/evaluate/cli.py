"""``carecase evaluate PROJECT``: naive and matched estimates side by side."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:  # pandas is imported by the command, not by `carecase --help`
    import pandas as pd

console = Console()


def _fmt(v: float | None, digits: int = 2) -> str:
    return "–" if v is None or math.isnan(v) else f"{v:+,.{digits}f}"


def comparison_table(matched: pd.DataFrame, naive: pd.DataFrame, measure: str, window: str) -> Table:
    keys = ["window", "key_type", "key", "measure"]
    m = matched[(matched["measure"] == measure) & (matched["window"] == window)]
    n = naive[(naive["measure"] == measure) & (naive["window"] == window)]
    j = m.merge(n[keys + ["change_ppy", "ci_low", "ci_high"]], on=keys, suffixes=("", "_naive"))
    table = Table(title=f"{measure} per person per year, {window}: naive vs matched",
                  box=box.SIMPLE_HEAD)
    labels = ["all services" if kt == "total" else str(k) for kt, k in zip(j["key_type"], j["key"], strict=True)]
    codes = [x for x, kt in zip(labels, j["key_type"], strict=True) if kt == "service"]
    d = 0 if measure == "cost" else 2  # whole £ a person-year: the pence are noise; 7 wide fits 80 columns
    table.add_column("service / agency", min_width=min(max(map(len, codes), default=12), 16), max_width=16)
    for col in ("naive change", "naive 95% CI", "matched DiD", "matched 95% CI",
                "MDE", "control change"):  # folds, never cut to "+5,094.…" at 80 columns
        table.add_column(col, justify="right", overflow="fold", max_width=7 if console.width < 110 else None)
    previous = None
    for label, r in zip(labels, j.itertuples(index=False), strict=True):
        if previous is not None and r.key_type != previous:
            table.add_section()
        previous = r.key_type
        table.add_row(
            label, _fmt(r.change_ppy, d),
            f"{_fmt(r.ci_low_naive, d)} to {_fmt(r.ci_high_naive, d)}", _fmt(r.effect_ppy, d),
            f"{_fmt(r.ci_low, d)} to {_fmt(r.ci_high, d)}", _fmt(r.mde_ppy, d).lstrip("+"),
            _fmt(r.control_post_ppy - r.control_pre_ppy, d),
        )
    return table


def populations_line(counts: dict[str, int], naive_matched: pd.DataFrame | None, measure: str,
                     windows: list[str], where: str) -> str | None:
    """Whom the tables' columns cover, where some participants were left unmatched: the naive
    columns all N participants, the matched DiD the M matched (the table has no room for an
    eighth column at 80 characters), with the matched participants' own naive change of all
    services per window, which is the like-for-like figure (None when every participant was
    matched)."""
    n_all, n_matched = int(counts.get("treated_eligible", 0)), int(counts.get("treated_matched", 0))
    if n_all <= n_matched:
        return None
    from carecase.core.text import signed_money

    line = (f"The naive columns are all {n_all:,} participants; the matched DiD is the {n_matched:,} matched "
            f"participants' (the {n_all - n_matched:,} left unmatched had no control close enough, "
            "matching.caliper).")
    own = []
    if naive_matched is not None and len(naive_matched):
        t = naive_matched[(naive_matched["key_type"] == "total") & (naive_matched["measure"] == measure)]
        by_window = dict(zip(t["window"], t["change_ppy"], strict=True))
        own = [f"{w} {signed_money(float(by_window[w])) if measure == 'cost' else _fmt(float(by_window[w]))}"
               for w in windows if w in by_window]
    what = "The matched participants' own naive change"
    if own:
        return f"{line} {what}, all services: {', '.join(own)} ({where})."
    return f"{line} {what} is in {where}."


def outcomes_table(out: pd.DataFrame) -> Table:
    """Outcome measures: change from the first to the last assessment, with the paired t-test's
    p (the Wilcoxon test is in outcomes.csv)."""
    first = out.iloc[0]
    table = Table(title=f"Outcome measures, {first.from_assessment} → {first.to_assessment}", box=box.SIMPLE_HEAD)
    for col in ("measure", "n", "before", "after", "change", "p (t)", "better/same/worse"):
        table.add_column(col, justify="left" if col == "measure" else "right", overflow="fold")
    for r in out.itertuples(index=False):
        table.add_row(f"{r.instrument} {r.measure}", f"{r.n:,}", _num(r.mean_from), _num(r.mean_to),
                      _fmt(r.mean_change), _num(r.t_p, 3), f"{r.improved}/{r.no_change}/{r.worse}")
    return table


def _num(v: float | None, digits: int = 2) -> str:
    return "–" if v is None or math.isnan(v) else f"{v:,.{digits}f}"


def register(app: typer.Typer) -> None:
    @app.command("evaluate")
    def evaluate_cmd(
        project: Annotated[Path, typer.Argument(help="Project folder (holding carecase.yaml).")],
        measure: Annotated[str, typer.Option(
            help="What the printed tables show: events, units or cost. The files, the headline and the "
                 "report keep every measure (effects.json, matched.csv).")] = "cost",
    ) -> None:
        """Naive before/after and matched difference-in-differences, side by side.

        Where participants were left unmatched, a line after the tables says that the naive columns are all participants and the matched DiD the matched ones, with the matched participants' own naive change (out/evaluate/naive_matched.csv). A failed run leaves no outputs (the previous run's are removed; summary.json says why), and the report refuses to run until one succeeds."""  # noqa: E501 - one line: the help keeps line breaks
        import pandas as pd

        from carecase.cli import run_stage
        from carecase.core.errors import ConfigError
        from carecase.evaluate.config import window_key
        from carecase.evaluate.stage import STAGE, run

        if measure not in ("events", "units", "cost"):
            raise ConfigError(f"--measure {measure!r}: use events, units or cost.")
        summary, out = run_stage(project, run)
        if summary.get("skipped"):
            console.print(summary["headline"], soft_wrap=True)
            return
        folder = out / STAGE
        matched = pd.read_parquet(folder / "matched.parquet")
        naive = pd.read_parquet(folder / "naive.parquet")
        windows = sorted(matched["window"].unique(), key=window_key)
        for window in windows:
            console.print(comparison_table(matched, naive, measure, window))
        own_path = folder / "naive_matched.parquet"
        line = populations_line(summary.get("match_counts") or {},
                                pd.read_parquet(own_path) if own_path.exists() else None, measure, windows,
                                str(folder / "naive_matched.csv"))
        if line:
            console.print(line, soft_wrap=True)
        outcomes_path = folder / "outcomes.parquet"
        if outcomes_path.exists():
            out = pd.read_parquet(outcomes_path)
            if len(out):
                console.print(outcomes_table(out))
        console.print("MDE: the smallest effect these data would show as significant "
                      "(5% two-sided, evaluation.power); smaller true effects may be missed.")
        console.print(summary["headline"])
        for line in summary.get("warnings") or []:
            console.print(f"[yellow]warning:[/yellow] {line}", soft_wrap=True)
        console.print(f"Tables and effects.json are in [bold]{folder}[/bold]")
