"""What a board must read before the figures: a source whose rows were mostly quarantined
(its service use is missing from every total), files the last ingest removed, matched groups left unbalanced, intervals
resting on few clusters, a post window running past the data. The CLI printed these; the report's executive summary did not, so a
shared report read "£861 (95% CI £135 to £1,683)" with no word that matching had failed.
No counts: a shared report may not print them (a count of rows or clusters can be small)."""

from __future__ import annotations

from typing import Any

from carecase.evaluate.config import WINDOW_COVERAGE_MIN
from carecase.ingest.summary import MOSTLY_QUARANTINED
from carecase.report.loaders import get
from carecase.report.sections.common import Context
from carecase.report.sections.windows import in_a_sentence, window_label, window_order


def rests_on(ctx: Context, users: bool = False) -> str:
    """What an estimate hidden for its own sake rests on, as every "why hidden" sentence puts
    it: "1–7 people" (``users``: "or users of the service"), and where a dominance rule is on,
    ", or almost wholly on one or two people's use"."""
    cfg = ctx.config.suppression
    text = f"1–{cfg.threshold} people" + (" or users of the service" if users else "")
    return text + (", or almost wholly on one or two people's use" if cfg.dominance.rule != "none" else "")


def removed_files(summary: Any) -> str | None:
    """A line naming the files the last ingest removed (no longer matched or configured: an
    agency that stopped sending one), whose rows every figure now leaves out; None when it
    removed none. Paths and sources only, no counts of rows."""
    items = get(summary, "removed", default=[]) or []
    named = [f"{r.get('path')} ({r.get('source')})" for r in items if isinstance(r, dict)]
    if not named:
        return None
    files = "1 file" if len(named) == 1 else f"{len(named)} files"
    listed = named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"
    return (f"The last ingest removed {files} no longer received or configured, so every figure in this "
            f"report leaves out their records: {listed}. If an agency still sends one, put the extract back "
            "and run carecase again.")


#: The stages a data project's report is built on, and what each gives it.
CORE_STAGES = {"ingest": "no data", "link": "no people", "costs": "no costs", "audit": "no cost audit"}


def unrun_caveat(ctx: Context) -> list[str]:
    """A line naming the core stages that have not run in a project that reads extracts: a
    new user's report of a project where nothing had run had ten sections, and said only
    'Not run: the matched evaluation'."""
    if not ctx.data_configured:
        return []
    missing = [s for s in CORE_STAGES if ctx.outs.json(s, "summary.json") is None]
    if not missing:
        return []
    names = missing[0] if len(missing) == 1 else f"{', '.join(missing[:-1])} and {missing[-1]}"
    lacks = ", ".join(CORE_STAGES[s] for s in missing)
    return [f"This report is incomplete: {names} {'has' if len(missing) == 1 else 'have'} not run in this "
            f"project, so it has {lacks} behind its figures. Run `carecase run PROJECT`, which runs every stage "
            "in order."]


def uncosted_caveat(ctx: Context) -> list[str]:
    """A line where some events could not be costed (``costs/summary.json`` →
    ``events_unmapped``): the costs leave them out. A share rounded to a whole per cent (or
    "under 1%"), never a count."""
    costs = ctx.outs.json("costs", "summary.json") or {}
    unmapped, events = _int(costs, "events_unmapped"), _int(costs, "events")
    if unmapped <= 0 or events <= 0:
        return []
    share = unmapped / events
    part = "under 1%" if share < 0.01 else f"{share:.0%}"
    return [f"Some service events ({part} of them) could not be costed (no unit cost of the value types "
            "used), so every cost in this report leaves them out; out/costs/unmapped_events.csv lists "
            "them by service and reason."]


def data_caveats(ctx: Context) -> list[str]:
    """One line per source whose rows were mostly (or all) quarantined, one naming the files
    the last ingest removed, and one where events could not be costed."""
    summary = ctx.outs.json("ingest", "summary.json") or {}
    out = unrun_caveat(ctx) + ([gone] if (gone := removed_files(summary)) else [])
    out += uncosted_caveat(ctx)
    for name, src in sorted((get(summary, "sources", default={}) or {}).items()):
        # rows in scope, as ingest counts them (codes left out with unmapped: ignore are not bad)
        rows = _int(src, "rows_read") - _int(src, "rows_blank") - _int(src, "rows_out_of_scope")
        quarantined = _int(src, "rows_quarantined")
        if rows <= 0 or quarantined < MOSTLY_QUARANTINED * rows:
            continue
        if _int(src, "rows_accepted") == 0:
            out.append(f"Every row of the {name} extract was quarantined (failed validation), so its records "
                       "are missing from every figure in this report.")
        else:
            out.append(f"Most rows of the {name} extract were quarantined (failed validation), so its records "
                       "are largely missing from every figure in this report.")
    return out


def balance_caveat(ctx: Context) -> list[str]:
    """The matched groups' balance, where matching left a covariate unbalanced."""
    matching = get(ctx.outs.json("evaluate", "summary.json") or {}, "matching", default={}) or {}
    if get(matching, "balanced") is not False:
        return []
    return ["After matching, the participants and the comparison group still differ on at least one of the "
            "characteristics they were matched on (a standardised mean difference of 0.1 or more): the "
            "matched estimate may carry that difference as well as the programme's effect. The balance "
            "table in the Evaluation section shows which, where it can be shown."]


def window_caveat(ctx: Context) -> list[str]:
    """One line per post window that runs past the data (``evaluate/summary.json`` →
    ``window_coverage``: on average less than ``WINDOW_COVERAGE_MIN`` of it within the data for
    the matched participants), without the stage's counts or its range (the largest share is
    one person's, and gives back when they joined)."""
    summary = ctx.outs.json("evaluate", "summary.json") or {}
    coverage = get(summary, "window_coverage", default={}) or {}
    end = get(get(summary, "matching", default={}) or {}, "period_end")
    out = []
    for window in window_order([str(w) for w in coverage] if isinstance(coverage, dict) else []):
        share = get(coverage[window], "share")
        if not isinstance(share, int | float) or share >= WINDOW_COVERAGE_MIN:
            continue
        when = f"the data end on {end}, so " if end else ""
        out.append(f"The matched estimate for {in_a_sentence(window_label(window))} rests on part of that window: "
                   f"{when}on average only {share:.0%} of it lies within the data for the matched participants. "
                   "It describes the earliest joiners and the window's early months more than the whole window.")
    return out


def _int(src: Any, key: str) -> int:
    v = get(src, key, default=0)
    return int(v) if isinstance(v, int | float) else 0
