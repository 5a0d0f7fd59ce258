"""Who makes up each figure the evaluation publishes: the shares of a group's amount, of its
change, and of the figures several windows' changes give together held by its largest and
second-largest person (the inputs of the report's dominance rule, docs/report.md)."""

from __future__ import annotations

import numpy as np

from carecase.evaluate.derived import carriers, derived_periods, redundant_windows
from carecase.evaluate.panel import Panel

#: derived figures judged at once (bounds the memory of people × figures × columns)
CHUNK = 8

#: margins (remainder ÷ largest) this close are a tie, kept by the first figure in
#: derived_figures' order: several figures of a window can be wholly one or two people's
#: (margin 0), and which one showed was decided by rounding in the last digits of the amounts
MARGIN_TIE = 1e-9


def _by_person(panel: Panel, row_ids: np.ndarray, values: np.ndarray, persons: np.ndarray | None) -> np.ndarray:
    """``values`` (one per row of ``row_ids``, leading axis) added up per person; without
    ``persons``, per row (a row matched in two sets is still one contribution)."""
    if not len(values):
        return values
    if persons is None:
        _, who = np.unique(np.asarray(row_ids), return_inverse=True)
    else:
        pos = panel.position(np.asarray(row_ids))
        _, who = np.unique(np.asarray(persons)[pos].astype(str), return_inverse=True)
    acc = np.zeros((int(who.max()) + 1, *values.shape[1:]))
    np.add.at(acc, who, values)
    return acc


def _top_two(a: np.ndarray, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The largest and second-largest of non-negative ``a`` (people first) as shares of its
    sum over people; NaN where the sum is 0."""
    if not len(a):
        return np.full(shape, np.nan), np.full(shape, np.nan)
    top = -np.sort(-a, axis=0)[:2] if len(a) < 3 else -np.partition(-a, 1, axis=0)[:2]
    total = a.sum(axis=0)
    second = top[1] if len(top) > 1 else np.zeros(shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (np.where(total > 0, top[0] / total, np.nan), np.where(total > 0, second / total, np.nan))


def largest_shares(panel: Panel, row_ids: np.ndarray, persons: np.ndarray | None = None,
                   weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The shares of a group's amount held by its largest and second-largest person, per
    window (pre first) and column: two arrays (windows, columns), NaN where the group has no
    amount. ``row_ids`` may repeat (a control matched in two sets) and each row counts with
    its ``weight`` (a control's matching or calibration weight, as in the group's rate);
    ``persons`` (aligned with ``panel.row_ids``) adds a person's rows together. The report's
    dominance rule reads them: a rate one or two people's use makes up almost all of gives
    their use back (the rate × the group's person-time)."""
    pos = panel.position(np.asarray(row_ids))
    a = np.abs(panel.amount[pos])
    if weights is not None:
        a = a * np.asarray(weights, dtype=float)[:, None, None]
    return _top_two(_by_person(panel, row_ids, a, persons), panel.amount.shape[1:])


def largest_change_shares(panel: Panel, row_ids: np.ndarray, persons: np.ndarray | None = None,
                          weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The same for the group's change (post rate − pre rate, each over the group's
    person-time): each person's part of it is their post amount ÷ the group's post days less
    their pre amount ÷ its pre days, and the shares are of the parts' sizes (the handbook's
    advice for contributions of both signs: judge them by absolute value). Arrays (post
    windows, columns). A change that one person's new placement makes up almost all of, with
    little else moving, gives that placement back (the mean change × the participants) though
    both rates may pass. Where others' changes are large but cancel (the demo's adult social
    care: one resident's placement is 83% of the net change but 21% of all the movement), the
    part is not read from the change without the others' net, which is not published."""
    pos = panel.position(np.asarray(row_ids))
    w = np.ones(len(pos)) if weights is None else np.asarray(weights, dtype=float)
    a = panel.amount[pos] * w[:, None, None]
    days = (panel.days[pos] * w[:, None]).sum(axis=0)  # windows
    with np.errstate(divide="ignore", invalid="ignore"):
        per_day = np.where(days[None, :, None] > 0, a / days[None, :, None], 0.0)
    parts = np.abs(_by_person(panel, row_ids, per_day[:, 1:, :] - per_day[:, :1, :], persons))
    return _top_two(parts, (panel.amount.shape[1] - 1, panel.amount.shape[2]))


def derived_figures(windows: list[str], days: np.ndarray) -> list[tuple[np.ndarray, list[int]]]:
    """The figures a reader works out from the windows' changes (carecase.evaluate.derived):
    each as coefficients on every window's ``A_w − D_w · P / D_pre`` (``days``: the group's
    person-time per window, ``D_w``) and the windows that carry it (:func:`derived.carriers`):
    each period's change that is not a window's own, then the difference between every two
    periods' rates (windows included; periods without person-time left out)."""
    periods = derived_periods(windows)
    redundant = redundant_windows(windows)
    own = np.isclose(np.abs(periods).sum(axis=1), 1.0) & np.isclose(periods.max(axis=1, initial=0.0), 1.0)
    span = periods @ days
    out = [(c, carriers(c, windows, redundant)) for c in periods[~own]]
    live = np.flatnonzero(span > 0)
    for i, a in enumerate(live):
        for b in live[i + 1:]:
            diff = periods[a] / span[a] - periods[b] / span[b]
            out.append((diff, carriers(diff, windows, redundant)))
    return [(c, at) for c, at in out if at]


def largest_step_shares(panel: Panel, row_ids: np.ndarray, persons: np.ndarray | None = None,
                        weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`largest_change_shares` for the figures the post windows' changes give together
    (:func:`derived_figures`): the change over months one window adds to a shorter one inside
    it (0–11 and 0–12 months: month 12 alone), over the months overlapping windows share where
    others span them, and the difference between two windows' (or periods') rates, the
    pre-period gone. Each person's part is their own share of the figure (their amount less
    the period's person-time at their pre-period rate, or their rate difference), judged by
    size. A window carrying several figures has the one its two largest parts dominate most
    (the p% rule's margin, remainder ÷ largest, least); a window carrying none, NaN. Arrays
    (post windows, columns)."""
    post = list(panel.windows[1:])
    shape = (len(post), panel.amount.shape[2])
    first, second = np.full(shape, np.nan), np.full(shape, np.nan)
    margin = np.full(shape, np.inf)
    pos = panel.position(np.asarray(row_ids))
    w = np.ones(len(pos)) if weights is None else np.asarray(weights, dtype=float)
    a = panel.amount[pos] * w[:, None, None]
    days = (panel.days[pos] * w[:, None]).sum(axis=0)
    figures = derived_figures(post, days[1:])
    if not figures or not len(pos):
        return first, second
    pre_rate = a[:, 0, :] / days[0] if days[0] > 0 else np.zeros_like(a[:, 0, :])
    y = a[:, 1:, :] - days[1:][None, :, None] * pre_rate[:, None, :]  # rows × windows × columns
    for start in range(0, len(figures), CHUNK):
        block = figures[start:start + CHUNK]
        coef = np.array([c for c, _ in block])  # figures × windows
        parts = np.abs(_by_person(panel, row_ids, np.einsum("rwq,fw->rfq", y, coef), persons))
        f, s = _top_two(parts, (len(block), shape[1]))
        with np.errstate(divide="ignore", invalid="ignore"):
            m = np.where(f > 0, (1.0 - f - s) / f, np.inf)
        for k, (_, at) in enumerate(block):
            for b in at:
                worse = ~np.isnan(f[k]) & (np.isnan(first[b]) | (m[k] < margin[b] - MARGIN_TIE))
                first[b], second[b], margin[b] = (np.where(worse, f[k], first[b]), np.where(worse, s[k], second[b]),
                                                  np.where(worse, m[k], margin[b]))
    return first, second


def unmatched_change_columns(panel: Panel, treated_rows: np.ndarray, matched_rows: np.ndarray,
                             persons: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """:func:`largest_change_shares` of the participants left unmatched (``treated_rows`` not
    in ``matched_rows``), as columns of the naive table (window-major, as :func:`_frame`):
    ``unmatched_change_largest_share``, ``unmatched_change_second_share``, NaN where every
    participant was matched. The naive change of all participants × their person-time, less
    the matched participants' × theirs, is the unmatched participants' change × theirs: the
    report's dominance rule reads these where it publishes both."""
    rows = np.setdiff1d(np.unique(treated_rows), np.unique(matched_rows))
    shape = (len(panel.windows) - 1, panel.amount.shape[2])
    first, second = (largest_change_shares(panel, rows, persons) if len(rows)
                     else (np.full(shape, np.nan), np.full(shape, np.nan)))
    return {"unmatched_change_largest_share": first.reshape(-1), "unmatched_change_second_share": second.reshape(-1)}


def share_columns(prefix: str, shares: tuple[np.ndarray, np.ndarray], shape: tuple[int, ...],
                  change: tuple[np.ndarray, np.ndarray] | None = None,
                  step: tuple[np.ndarray, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """:func:`largest_shares` as frame columns for the pre-period (the same in every post
    window) and each post window: ``{prefix}pre_largest_share`` ... ``{prefix}post_second_share``;
    with ``change`` (:func:`largest_change_shares`), ``{prefix}change_largest_share`` and
    ``{prefix}change_second_share``; with ``step`` (:func:`largest_step_shares`),
    ``{prefix}step_largest_share`` and ``{prefix}step_second_share``."""
    first, second = shares
    out = {f"{prefix}pre_largest_share": np.broadcast_to(first[0], shape), f"{prefix}pre_second_share":
           np.broadcast_to(second[0], shape), f"{prefix}post_largest_share": first[1:],
           f"{prefix}post_second_share": second[1:]}
    if change is not None:
        out |= {f"{prefix}change_largest_share": change[0], f"{prefix}change_second_share": change[1]}
    if step is not None:
        out |= {f"{prefix}step_largest_share": step[0], f"{prefix}step_second_share": step[1]}
    return out
