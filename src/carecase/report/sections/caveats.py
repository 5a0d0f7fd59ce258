"""What a board must read before the figures: a source whose rows were mostly quarantined
(its service use is missing from every total), matched groups left unbalanced, intervals
resting on few clusters. The CLI printed these; the report's executive summary did not, so a
shared report read "£861 (95% CI £135 to £1,683)" with no word that matching had failed.
No counts: a shared report may not print them (a count of rows or clusters can be small)."""

from __future__ import annotations

from typing import Any

from carecase.ingest.summary import MOSTLY_QUARANTINED
from carecase.report.loaders import get
from carecase.report.sections.common import Context


def rests_on(ctx: Context, users: bool = False) -> str:
    """What an estimate hidden for its own sake rests on, as every "why hidden" sentence puts
    it: "1–7 people" (``users``: "or users of the service"), and where a dominance rule is on,
    ", or almost wholly on one or two people's use"."""
    cfg = ctx.config.suppression
    text = f"1–{cfg.threshold} people" + (" or users of the service" if users else "")
    return text + (", or almost wholly on one or two people's use" if cfg.dominance.rule != "none" else "")


def data_caveats(ctx: Context) -> list[str]:
    """One line per source whose rows were mostly (or all) quarantined."""
    summary = ctx.outs.json("ingest", "summary.json") or {}
    out = []
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


def _int(src: Any, key: str) -> int:
    v = get(src, key, default=0)
    return int(v) if isinstance(v, int | float) else 0
