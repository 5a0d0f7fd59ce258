"""The evaluation section's main table: the naive before/after change beside the matched
difference-in-differences, per person per year (£ measures; out/evaluate/naive and matched),
disclosed, and the chart rows drawn from what it shows."""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from carecase.evaluate.config import window_months
from carecase.report.config import DominanceConfig
from carecase.report.content import Column, Table, is_missing
from carecase.report.loaders import pick
from carecase.report.sections.common import Context, clean_value
from carecase.report.sections.participants import few
from carecase.report.sections.window_spans import hide_derivable_windows
from carecase.report.sections.windows import (
    KEYS,
    MONEY,
    is_money,
    only_measure,
    window_label,
    window_order,
)
from carecase.report.suppression import dominated, secondary_lines

# the estimates of a row resting on the matched people, and on the naive estimate's participants
MATCHED_ESTIMATES = ("effect_matched", "ci_low_matched", "ci_high_matched", "mde_matched")
NAIVE_ESTIMATES = ("effect_naive", "ci_low_naive", "ci_high_naive")


#: the groups and periods whose rates a row publishes, as the prefixes of the evaluation's
#: largest-people share columns (carecase.evaluate.shares.share_columns); ``step_``: the
#: figures a window's published change gives with other windows' (the change over the months
#: it adds to a shorter one, the difference of two windows' rates: carecase.evaluate.derived)
NAIVE_SHARES = ("pre_", "post_", "change_", "step_")
#: the naive table's shares of the change of the participants left unmatched, which the naive
#: change of all participants beside the matched participants' gives
#: (carecase.evaluate.shares.unmatched_change_columns)
UNMATCHED_SHARES = ("unmatched_change_",)
MATCHED_SHARES = ("treated_pre_", "treated_post_", "treated_change_", "treated_step_", "control_pre_",
                  "control_post_", "control_change_", "control_step_")


def dominated_rows(df: pd.DataFrame, prefixes: tuple[str, ...], rule: DominanceConfig | None) -> np.ndarray:
    """Rows of an evaluation table (naive or matched) a dominance rule hides: one or two
    people's use makes up almost all of a group's amount in a period whose rate the row
    publishes (:func:`carecase.report.suppression.dominated` on the stored shares). None, or
    tables written before the shares: no row."""
    out = np.zeros(len(df), dtype=bool)
    if rule is None or rule.rule == "none":
        return out
    for prefix in prefixes:
        first, second = pick(df, f"{prefix}largest_share"), pick(df, f"{prefix}second_share")
        if first is None or second is None:
            continue
        s1 = pd.to_numeric(df[first], errors="coerce").to_numpy(float)
        s2 = pd.to_numeric(df[second], errors="coerce").to_numpy(float)
        out |= dominated(np.where(np.isnan(s1), np.nan, 1.0), s1, s2, rule)
    return out


def _flag(v: object) -> bool:
    """A dominance flag after the outer merge: True only for a true boolean (a row missing
    from one table has NaN there)."""
    return isinstance(v, bool | np.bool_) and bool(v)


def _standard(df: pd.DataFrame | None, effect: str, n: str, users: str = "users",
              shares: tuple[str, ...] = (), rule: DominanceConfig | None = None) -> pd.DataFrame | None:
    if df is None:
        return None
    cols = {"effect": pick(df, effect), "ci_low": pick(df, "ci_low"), "ci_high": pick(df, "ci_high"), "n": pick(df, n),
            "mde": pick(df, "mde_ppy"), "users": pick(df, users), "cusers": pick(df, "control_users")}
    if cols["effect"] is None:
        return None
    out = pd.DataFrame(index=df.index)
    for key in (*KEYS, "parent"):
        c = pick(df, key)
        if c is not None:
            out[key] = df[c].fillna("").astype(str)
    for k, c in cols.items():
        out[k] = pd.to_numeric(df[c], errors="coerce") if c is not None else float("nan")
    # a row's own rates and changes, and the figures the windows give together (step_
    # shares): a row hidden for the latter alone gets its complements after the others
    # (side_by_side)
    own = dominated_rows(df, tuple(p for p in shares if not p.endswith("step_")), rule)
    steps = dominated_rows(df, tuple(p for p in shares if p.endswith("step_")), rule)
    out["dominated"] = own | steps
    out["dominated_by_step"] = steps & ~own
    return out


def side_by_side(naive: pd.DataFrame | None, matched: pd.DataFrame | None, threshold: int | None = None,
                 comparison: float | None = None, keep: Collection[tuple[str, str, str]] = (),
                 dominance: DominanceConfig | None = None) -> Table | None:
    """The naive/matched table (£ measures). With ``threshold`` (shared reports) the
    estimates resting on 1..threshold people are withheld: a row's matched DiD, interval and
    minimum detectable effect when its matched participants (or the matched comparison
    group's people, ``comparison``) are that few, or the users of its service or agency among
    either (``treated_users``, ``control_users``: a mean change times the participants is
    the users' own use); its naive change and interval when the naive estimate's
    participants, or its users among them, are that few. ``keep``: (window label, level,
    key) of rows to choose last as complements (:func:`kept_rows`). ``dominance`` (shared
    reports): the estimates whose rates one or two people's use makes up almost all of are
    withheld as well (:func:`dominated_rows`)."""
    # events and units are in the rate ratios
    naive = only_measure(naive, MONEY) if naive is not None else None
    matched = only_measure(matched, MONEY) if matched is not None else None
    n = _standard(naive, "change_ppy", "n", shares=NAIVE_SHARES, rule=dominance)
    m = _standard(matched, "effect_ppy", "n_sets", "treated_users", shares=MATCHED_SHARES, rule=dominance)
    if n is None or m is None:
        return None
    keys = [k for k in KEYS if k in n.columns and k in m.columns]
    if not keys:
        return None
    both = n.merge(m, on=keys, how="outer", suffixes=("_naive", "_matched"))
    if "parent" in n.columns or "parent" in m.columns:  # the row this one adds up into
        both["parent"] = both.get("parent_matched", both.get("parent_naive"))
    if "window" in keys:
        order = {w: i for i, w in enumerate(window_order(both["window"].tolist()))}
        both = both.assign(_w=both["window"].map(order)).sort_values(["_w", *keys[1:]], kind="mergesort")
    else:
        both = both.sort_values(keys, kind="mergesort")
    labels = {"window": "Window", "key_type": "Level", "key": "Service / agency", "measure": "Measure"}
    cols = [Column(k, labels[k]) for k in keys] + [
        Column("n_matched", "Matched participants", "count", count=True),
        Column("effect_naive", "Naive change", "num"), Column("ci_low_naive", "Naive 95% low", "num"),
        Column("ci_high_naive", "Naive 95% high", "num"),
        Column("effect_matched", "Matched DiD", "num"), Column("ci_low_matched", "Matched 95% low", "num"),
        Column("ci_high_matched", "Matched 95% high", "num"),
        Column("mde_matched", "Matched minimum detectable effect", "num")]
    rows = []
    withheld: set[tuple[int, str]] = set()
    by_step: set[tuple[int, str]] = set()  # hidden only for a figure the windows give together
    by_span: set[tuple[int, str]] = set()  # hidden as other windows of the row would give a hidden one
    records = both.to_dict("records")
    for i, r in enumerate(records):
        row = {c.key: clean_value(r.get(c.key)) for c in cols}
        if "window" in row:
            row["window"] = window_label(row["window"])
        rows.append(row)
        if threshold is None:
            continue
        for side, people, group in (
                ("matched", (r.get("n_matched"), comparison, r.get("users_matched"), r.get("cusers_matched")),
                 MATCHED_ESTIMATES),
                ("naive", (r.get("n_naive"), r.get("users_naive")), NAIVE_ESTIMATES)):
            rests_on_few = any(few(v, threshold) for v in people)
            if rests_on_few or _flag(r.get(f"dominated_{side}")):
                steps_only = not rests_on_few and _flag(r.get(f"dominated_by_step_{side}"))
                (by_step if steps_only else withheld).update((i, k) for k in group)
    if threshold is not None:  # a hidden row must not come back as a total less the rows shown
        lines = sum_lines([_line_key(r) for r in records])
        users_of: dict[tuple[str, ...], list] = {
            MATCHED_ESTIMATES: [_fewest(r.get("users_matched"), r.get("cusers_matched")) for r in records],
            NAIVE_ESTIMATES: [r.get("users_naive") for r in records]}
        labelled = [_line_key({**r, "window": window_label(r["window"])} if "window" in r else r) for r in records]
        flags = kept_rows(labelled, set(keep)) if keep else None
        # Complements in two rounds. First for the rows hidden in their own right, which hide
        # the same rows in every window (inputs chosen last everywhere); then for the rows a
        # window hides for a figure it gives with another (only the window carrying it). In
        # one round a window with such rows could need no complement where the others do,
        # and the complement it shows (the whole-system total) less a neighbouring window's
        # figure for the same row would give the others' protected estimate back.
        for group in (MATCHED_ESTIMATES, NAIVE_ESTIMATES):
            withheld |= protect_sums(withheld, group, [r.get(group[0]) for r in rows], lines, flags,
                                     users_of[group], threshold)
        withheld |= by_step
        for group in (MATCHED_ESTIMATES, NAIVE_ESTIMATES):
            withheld |= protect_sums(withheld, group, [r.get(group[0]) for r in rows], lines, flags,
                                     users_of[group], threshold)
        # then until neither adds a cell: no hidden window of a row follows from its windows
        # shown (0–4 and 4–8 give 0–8), and each window newly hidden gets its complements
        months = [window_months(r.get("window")) for r in records]
        while True:
            size = len(withheld)
            for group in (MATCHED_ESTIMATES, NAIVE_ESTIMATES):
                spans = hide_derivable_windows(withheld, group, rows, months)
                by_span |= spans - withheld
                withheld |= spans
                withheld |= protect_sums(withheld, group, [r.get(group[0]) for r in rows], lines, flags,
                                         users_of[group], threshold)
            if len(withheld) == size:
                break
    note = ("Negative values are reductions. Naive: the participants' own change. "
            "Matched: their change minus the matched comparison group's change. Minimum detectable effect "
            "(Bloom 1995): the smallest true effect these numbers would show as significant at 5% "
            "with the configured power (80% unless set); a smaller effect may be real but unseen. "
            "Measure 'cost' is £.")
    if withheld:
        note += (f" Shared report: estimates resting on 1–{threshold} people (participants, the matched "
                 "comparison group, or the people in either who used that service or agency) are hidden.")
        if any(_flag(r.get("dominated_naive")) or _flag(r.get("dominated_matched")) for r in records):
            note += (" So are estimates whose rates or changes one or two people's use makes up almost all of, "
                     "whatever the number of people (a dominance rule), and a window's estimates where a figure "
                     "its change gives with another window's (the change over the months it adds to a shorter "
                     "window, or the difference between the two) is such a change.")
        if by_span:
            note += (" Where a window's months are those of other windows added up or taken away (months 0–8 "
                     "as 0–4 and 4–8), a row hidden in one window is hidden in as many more as it takes for "
                     "the windows shown not to give it back.")
    # the matched-participants column is the same people on every row, not a sum: only
    # small numbers (and figures hidden elsewhere) are hidden, no complement down the column
    return Table("evaluation-effects", "Naive before/after and matched difference-in-differences, per person per year",
                 cols, rows, note=note, protect_columns=False, withheld=withheld)


def _fewest(*counts: object) -> float:
    """The smallest of a row's people counts (NaN when any is missing: unknown)."""
    values = [float(c) if not is_missing(c) else np.nan for c in counts]  # type: ignore[arg-type]
    return float("nan") if any(np.isnan(v) for v in values) else min(values)


def _line_key(r: dict) -> tuple[str, str, str, str]:
    """(window and measure, level, service or agency, the row it adds up into)."""
    return (f"{r.get('window')}|{r.get('measure')}", str(r.get("key_type")), str(r.get("key")),
            "" if is_missing(r.get("parent")) else str(r.get("parent")))


def sum_lines(meta: list[tuple[str, str, str, str]]) -> list[list[int]]:
    """Indices of rows that add up, within each window (and measure): each agency with the
    services whose events are all that agency's (``parent``, from carecase evaluate), the
    total with the agencies, and the total with the services. The estimates are differences
    of rates over the same person-time, so they add up the same way."""
    by_window: dict[str, list[int]] = {}
    for i, m in enumerate(meta):
        by_window.setdefault(m[0], []).append(i)
    lines: list[list[int]] = []
    for idx in by_window.values():
        total = [i for i in idx if meta[i][1] == "total"]
        agencies = [i for i in idx if meta[i][1] == "agency"]
        services = [i for i in idx if meta[i][1] == "service"]
        for a in agencies:
            parts = [i for i in services if meta[i][3] == meta[a][2]]
            if parts:
                lines.append([a, *parts])
        for parts in (agencies, services):
            if total and parts:
                lines.append([total[0], *parts])
    return lines


def protect_sums(withheld: set[tuple[int, str]], group: tuple[str, ...], values: list, lines: list[list[int]],
                 keep: list[bool] | None = None, people: list | None = None,
                 threshold: int = 0) -> set[tuple[int, str]]:
    """Cells of ``group`` to withhold besides ``withheld`` so that no line of rows that add up
    (:func:`sum_lines`) has exactly one row's estimates hidden: else the total less the rows
    shown gives it back (one resident's residential care, as Adult Social Care less home care).
    The complement is the line's first visible part in row order, whatever its value
    (:func:`suppression.secondary_lines` ``by="order"``): chosen by value, its size would be
    known from the rule, and with the pair's sum so would the hidden estimate's. Rows flagged
    in ``keep`` are chosen last. ``people`` (each row's people for this group's estimates): a
    line whose sum is shown must also hide a row resting on more than ``threshold`` people,
    else its hidden rows' sum, published by subtraction, may rest on a few (a disclosure
    review had adult social care and mental health together, 4 to 7 participants, from the
    total less the agencies shown; :func:`suppression.secondary_lines`)."""
    n = len(values)
    mask = np.array([(i, group[0]) in withheld for i in range(n)], dtype=bool)
    v = np.array([float(x) if not is_missing(x) else np.nan for x in values], dtype=float)
    counts = None if people is None else np.array(
        [float(x) if not is_missing(x) else np.nan for x in people], dtype=float)
    hidden = secondary_lines(v, mask, lines, by="order", keep=None if keep is None else np.array(keep, dtype=bool),
                             people=counts, threshold=threshold)
    return {(int(i), k) for i in np.flatnonzero(hidden & ~mask) for k in group}


def kept_rows(meta: list[tuple[str, str, str, str]], keep: set[tuple[str, str, str]]) -> list[bool]:
    """Which rows (:func:`_line_key` tuples) to hide last: those whose (window, level, key)
    is in ``keep``, and each agency whose services in the table are all kept (hiding it
    would hide one of them as its complement)."""
    flags = [(m[0].split("|", 1)[0], m[1], m[2]) in keep for m in meta]
    for i, m in enumerate(meta):
        if m[1] == "agency":
            parts = [j for j, p in enumerate(meta) if p[0] == m[0] and p[1] == "service" and p[3] == m[2]]
            flags[i] = flags[i] or (bool(parts) and all(flags[j] for j in parts))
    return flags


def withhold_rows_adding_up(t: Table, frame: pd.DataFrame, group: tuple[str, ...],
                            keep: Collection[tuple[str, str, str]] = (), threshold: int | None = None,
                            people: tuple[str, ...] = ("treated_users", "control_users")) -> None:
    """As :func:`protect_sums` for a table built from ``frame`` (windows labelled in the
    table), its rows found by window, level and key; the ``parent`` column is the frame's.
    ``keep``: (window label, level, key) of rows to choose last as complements. With
    ``threshold``, each row rests on the fewest of the frame's ``people`` columns (the
    participants and comparison people who used it), and a line whose sum is shown hides a
    row resting on more than that (:func:`protect_sums`)."""
    records = frame.to_dict("records")

    def key(r: dict) -> tuple[str, str, str]:
        return str(r.get("window")), str(r.get("key_type")), str(r.get("key"))

    labelled = {(window_label(r.get("window")), str(r.get("key_type")), str(r.get("key"))): r for r in records}
    parent = {k: r.get("parent") for k, r in labelled.items()} if pick(frame, "parent") else {}
    keyed = [{**r, "parent": parent.get(key(r))} for r in t.rows]
    meta = [_line_key(r) for r in keyed]
    lines = sum_lines(meta)
    columns = [c for c in (pick(frame, p) for p in people) if c is not None]
    counts = [_fewest(*(labelled.get(key(r), {}).get(c) for c in columns)) for r in t.rows] \
        if threshold is not None and columns else None
    t.withheld |= protect_sums(t.withheld, group, [r.get(group[0]) for r in t.rows], lines,
                               kept_rows(meta, set(keep)) if keep else None, counts, threshold or 0)


def effect_chart_rows(table: Table) -> list[dict]:
    """Chart rows (£ measures, the longest window) from the table's disclosed rows: an
    estimate the table hides is not drawn."""
    rows = table.shown if table.shown else table.rows
    keys = {c.key for c in table.columns}
    windows = [str(r["window"]) for r in table.rows] if "window" in keys else []
    last = windows[-1] if windows else None  # rows are in window order
    chart_rows: list[dict] = []
    for r in rows:
        if "measure" in keys and not is_money(r["measure"]):
            continue
        if last is not None and r["window"] != last:
            continue
        label = str(r.get("key", "")) if r.get("key_type") != "total" else "all services"
        for method in ("naive", "matched"):
            if r.get(f"effect_{method}") is None:
                continue
            chart_rows.append({"label": label, "level": r.get("key_type", ""), "window": r.get("window", ""),
                               "method": method, "effect": r[f"effect_{method}"],
                               "low": r[f"ci_low_{method}"], "high": r[f"ci_high_{method}"]})
    return chart_rows


def few_user_keys(ctx: Context, measure: str = MONEY) -> set[tuple[str, str, str]]:
    """Shared reports: the (window label, key_type, key) whose matched estimates rest on
    1..threshold users of that service or agency among the matched participants or
    comparison people (any measure), or whose ``measure`` rows' rates one or two people's use
    makes up almost all of (:func:`dominated_rows`: £ for the tables of £, events for the
    rate ratios). Empty in internal reports, or when the tables predate the user counts.
    (The naive estimates' users are read by :func:`side_by_side`.) Worked out once per
    report and measure: every row's "why hidden" asks."""
    memo = f"few_user_keys:{measure}"
    if memo not in ctx.memo:
        ctx.memo[memo] = _few_user_keys(ctx, measure)
    return set(ctx.memo[memo])


def _few_user_keys(ctx: Context, measure: str) -> set[tuple[str, str, str]]:
    df = ctx.outs.table("evaluate", "matched")
    if ctx.mode == "internal" or df is None or any(pick(df, k) is None for k in ("window", "key_type", "key")):
        return set()
    threshold = ctx.config.suppression.threshold
    present = [c for c in (pick(df, "treated_users"), pick(df, "control_users")) if c is not None]
    w, kt, k = pick(df, "window"), pick(df, "key_type"), pick(df, "key")
    heavy = dominated_rows(df, MATCHED_SHARES, ctx.config.suppression.dominance)
    mcol = pick(df, "measure")
    if mcol is not None:
        heavy &= (df[mcol].astype(str) == measure).to_numpy()
    return {(window_label(r[w]), str(r[kt]), str(r[k])) for r, h in zip(df.to_dict("records"), heavy.tolist(), strict=True)
            if h or any(few(r[c], threshold) for c in present)}


def withhold_few_users(t: Table, few_keys: set[tuple[str, str, str]], columns: tuple[str, ...]) -> None:
    """Withhold ``columns`` in the rows of ``t`` (windows labelled) whose window, level and
    service or agency rest on few users (:func:`few_user_keys`)."""
    present = [k for k in columns if any(c.key == k for c in t.columns)]
    for i, r in enumerate(t.rows):
        if (str(r.get("window")), str(r.get("key_type")), str(r.get("key"))) in few_keys:
            t.withheld |= {(i, k) for k in present}
