"""Sources whose extract stops early: a refreshed extract that ends months before the period
(or before the other sources, after ``project.period_end`` was moved on) leaves the audit's
later months and the evaluation's windows after joining short of that agency's activity, and
nothing else says so.

Per event source, the latest day its staged events reach (a spell or package to its end; an
open one, which ingest ends the day after the period, to the period end) is compared with
``project.period_end``. Under a steady rate of n events over the period's T days, the chance
of none in the last g days is exp(−n g ÷ T); a gap of a month or more that is that unlikely
(below 1%) is a warning. A sparse source (a few events a year) may go months without one,
and is not warned of for that.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

import ibis

#: the chance of a gap this long under the source's own rate below which it is a warning
UNLIKELY = 0.01
#: a gap shorter than this is never a warning (monthly extracts, a count's month)
MIN_GAP_DAYS = 31


def gap_chance(events: int, period_days: int, gap_days: int) -> float:
    """exp(−events × gap ÷ period): the chance of no event in the last ``gap_days`` days of
    the period under a steady rate (a Poisson process)."""
    if period_days <= 0 or gap_days <= 0:
        return 1.0
    return math.exp(-events * gap_days / period_days)


def early_stops(engine: Any, sources: Sequence[tuple[str, str]], period_start: dt.date,
                period_end: dt.date) -> list[str]:
    """A warning for each event source (``sources``: (name, configuration key)) whose staged
    events stop unlikely early (module docstring), naming the source, its latest day, the gap
    and the fix."""
    if not sources or not engine.has_table("events_staged"):
        return []
    t = engine.table("events_staged")
    t = t.filter(t.source.isin([name for name, _ in sources]))
    end = ibis.least(t.end_date.coalesce(t.start_date), ibis.date(period_end))
    rows = t.group_by("source").aggregate(n=t.count(), latest=end.max()).to_pyarrow().to_pylist()
    period_days = (period_end - period_start).days + 1
    keys = dict(sources)
    out = []
    for r in sorted(rows, key=lambda r: r["source"]):
        latest = r["latest"]
        gap = (period_end - latest).days if latest is not None else 0
        if gap < MIN_GAP_DAYS or gap_chance(int(r["n"]), period_days, gap) >= UNLIKELY:
            continue
        out.append(
            f"{r['source']} ({keys[r['source']]}): its events stop on {latest:%Y-%m-%d}, {gap} days before "
            f"project.period_end ({period_end:%Y-%m-%d}); at its own rate ({int(r['n']):,} events in "
            f"{period_days:,} days) so long without one is unlikely (under {UNLIKELY:.0%}) unless the "
            "extract stops early, and the audit's later months and the evaluation's windows after "
            "joining would then count too little of this activity. Check the extract covers the whole "
            "period, or end project.period_end where every source's data ends."
        )
    return out
