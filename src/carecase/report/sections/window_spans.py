"""A row's estimate hidden in one post window must not follow from the windows still showing
that row (secondary suppression across windows).

A window's change is a ratio of sums over months (carecase.evaluate.derived): with everyone
observed throughout, its person-time is the people × its length, so a reader with a row's
changes in several windows has every combination ``Σ c_w · length_w · x_w``, and with it the
change of any window whose months are such a combination. With post windows 0–4, 4–8 and
0–8 months, 8 × x₀₋₈ = 4 × x₀₋₄ + 4 × x₄₋₈: a service's 0–8 month DiD hidden because one
person makes it up comes back from its 0–4 and 4–8 figures. So wherever a row is hidden in a
window whose months (:func:`carecase.evaluate.derived.month_cover`) are in the span of the
windows still showing it (an exact rank test), more of its windows are hidden: the fewest
that leave no hidden window of the row in the span of those shown, and among as few, the
shortest (the later of equal ones), so that the longest window, the year a cost-benefit model
annualises, stays wherever it can (as :func:`carecase.evaluate.derived.carriers` chooses).
This covers every hidden cell, complements included: a complement worked out from its other
windows gives back, with its line's total, the row it protects. The default windows (0–8,
0–11, 0–12) are independent, so no hidden window is ever in the others' span and nothing
more is hidden.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations

import numpy as np
import pandas as pd

from carecase.evaluate.config import window_months
from carecase.evaluate.derived import month_cover, rank
from carecase.report.content import Table, is_missing
from carecase.report.loaders import pick
from carecase.report.sections.windows import window_label

Months = tuple[int, int]


def _derivable(cover: np.ndarray, target: int, shown: Sequence[int]) -> bool:
    """Whether row ``target`` of ``cover`` is a combination of rows ``shown``."""
    if not shown:
        return False
    return rank(cover[list(shown)]) == rank(cover[[*shown, target]])


def _preference(m: Months) -> tuple[int, int]:
    """The order in which windows are hidden: the shortest first, the later of equal ones."""
    return (m[1] - m[0], -m[0])


def windows_to_hide(months: Sequence[Months | None], hidden: Sequence[bool], shown: Sequence[bool]) -> list[int]:
    """Of one row's windows (``months``, None for a window of unknown months, which takes no
    part), those to hide besides ``hidden`` so that no hidden window's months are a
    combination of the windows ``shown`` (published: neither hidden nor missing) that stay:
    the fewest that do it, and among as few, those whose longest window is shortest (then the
    next longest…; the later of equal lengths). Empty where no hidden window is derivable."""
    known = [i for i, m in enumerate(months) if m is not None]
    if len(known) < 2 or not any(hidden[i] for i in known):
        return []
    cover = month_cover([months[i] for i in known])  # type: ignore[misc]
    at = {i: j for j, i in enumerate(known)}
    targets = [at[i] for i in known if hidden[i]]
    visible = [at[i] for i in known if shown[i] and not hidden[i]]
    if not any(_derivable(cover, t, visible) for t in targets):
        return []
    key = {at[i]: _preference(months[i]) for i in known}  # type: ignore[arg-type]
    for size in range(1, len(visible) + 1):
        options = sorted(combinations(visible, size), key=lambda xs: sorted((key[x] for x in xs), reverse=True))
        for extra in options:
            rest = [v for v in visible if v not in extra]
            if not any(_derivable(cover, t, rest) for t in (*targets, *extra)):
                return sorted(known[x] for x in extra)
    return []  # not reached: with every window hidden none is derivable


def hide_derivable_windows(withheld: set[tuple[int, str]], group: tuple[str, ...], rows: Sequence[Mapping],
                           months: Sequence[Months | None]) -> set[tuple[int, str]]:
    """Cells of ``group`` to withhold besides ``withheld`` so that no row (level, service or
    agency, measure) has a hidden window whose estimate follows from its windows shown
    (:func:`windows_to_hide`). ``months``: each row's window."""
    by_row: dict[tuple[str, str, str], list[int]] = {}
    for i, r in enumerate(rows):
        by_row.setdefault((str(r.get("key_type")), str(r.get("key")), str(r.get("measure"))), []).append(i)
    out: set[tuple[int, str]] = set()
    for idx in by_row.values():
        hidden = [(i, group[0]) in withheld for i in idx]
        shown = [not is_missing(rows[i].get(group[0])) for i in idx]
        for j in windows_to_hide([months[i] for i in idx], hidden, shown):
            out |= {(idx[j], k) for k in group}
    return out


def labelled_months(t: Table, frame: pd.DataFrame) -> list[Months | None]:
    """The months of each row's window in ``t`` (windows labelled), from ``frame``'s window
    names (the evaluate stage's ``post_s_e``)."""
    w = pick(frame, "window")
    names = [] if w is None else frame[w].astype(str).unique().tolist()
    by_label = {window_label(n): window_months(n) for n in names}
    return [by_label.get(str(r.get("window"))) for r in t.rows]
