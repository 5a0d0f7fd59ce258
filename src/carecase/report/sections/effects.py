"""The evaluation section's main table: the naive before/after change beside the matched
difference-in-differences, per person per year (£ measures; out/evaluate/naive and matched),
disclosed, and the chart rows drawn from what it shows."""

from __future__ import annotations

import pandas as pd

from carecase.report.content import Column, Table, is_missing
from carecase.report.loaders import pick
from carecase.report.sections.common import Context, clean_value
from carecase.report.sections.participants import few, match_count
from carecase.report.sections.windows import (
    KEYS,
    MONEY,
    is_money,
    only_measure,
    window_label,
    window_order,
)

# the estimates of a row resting on the matched people, and on the naive estimate's participants
MATCHED_ESTIMATES = ("effect_matched", "ci_low_matched", "ci_high_matched", "mde_matched")
NAIVE_ESTIMATES = ("effect_naive", "ci_low_naive", "ci_high_naive")


def _standard(df: pd.DataFrame | None, effect: str, n: str, users: str = "users") -> pd.DataFrame | None:
    if df is None:
        return None
    cols = {"effect": pick(df, effect), "ci_low": pick(df, "ci_low"), "ci_high": pick(df, "ci_high"), "n": pick(df, n),
            "mde": pick(df, "mde_ppy"), "users": pick(df, users), "cusers": pick(df, "control_users")}
    if cols["effect"] is None:
        return None
    out = pd.DataFrame(index=df.index)
    for key in KEYS:
        c = pick(df, key)
        if c is not None:
            out[key] = df[c].astype(str)
    for k, c in cols.items():
        out[k] = pd.to_numeric(df[c], errors="coerce") if c is not None else float("nan")
    return out


def side_by_side(naive: pd.DataFrame | None, matched: pd.DataFrame | None, threshold: int | None = None,
                 comparison: float | None = None) -> Table | None:
    """The naive/matched table (£ measures). With ``threshold`` (shared reports) the
    estimates resting on 1..threshold people are withheld: a row's matched DiD, interval and
    minimum detectable effect when its matched participants (or the matched comparison
    group's people, ``comparison``) are that few, or the users of its service or agency among
    either (``treated_users``, ``control_users``: a mean change times the participants is
    the users' own use); its naive change and interval when the naive estimate's
    participants, or its users among them, are that few."""
    # events and units are in the rate ratios
    naive = only_measure(naive, MONEY) if naive is not None else None
    matched = only_measure(matched, MONEY) if matched is not None else None
    n, m = _standard(naive, "change_ppy", "n"), _standard(matched, "effect_ppy", "n_sets", "treated_users")
    if n is None or m is None:
        return None
    keys = [k for k in KEYS if k in n.columns and k in m.columns]
    if not keys:
        return None
    both = n.merge(m, on=keys, how="outer", suffixes=("_naive", "_matched"))
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
    for i, r in enumerate(both.to_dict("records")):
        row = {c.key: clean_value(r.get(c.key)) for c in cols}
        if "window" in row:
            row["window"] = window_label(row["window"])
        rows.append(row)
        if threshold is not None:
            if any(few(v, threshold) for v in (r.get("n_matched"), comparison, r.get("users_matched"),
                                                  r.get("cusers_matched"))):
                withheld |= {(i, k) for k in MATCHED_ESTIMATES}
            if few(r.get("n_naive"), threshold) or few(r.get("users_naive"), threshold):
                withheld |= {(i, k) for k in NAIVE_ESTIMATES}
    note = ("Negative values are reductions. Naive: the participants' own change. "
            "Matched: their change minus the matched comparison group's change. Minimum detectable effect "
            "(Bloom 1995): the smallest true effect these numbers would show as significant at 5% "
            "with the configured power (80% unless set); a smaller effect may be real but unseen. "
            "Measure 'cost' is £.")
    if withheld:
        note += (f" Shared report: estimates resting on 1–{threshold} people (participants, the matched "
                 "comparison group, or the people in either who used that service or agency) are hidden.")
    # the matched-participants column is the same people on every row, not a sum: only
    # small numbers (and figures hidden elsewhere) are hidden, no complement down the column
    return Table("evaluation-effects", "Naive before/after and matched difference-in-differences, per person per year",
                 cols, rows, note=note, protect_columns=False, withheld=withheld)


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


def effects_table(ctx: Context, counts: Table | None) -> Table | None:
    """The naive/matched table, disclosed. Shared reports hide the estimates resting on
    1..threshold people, and the matched participants wherever the participants-and-
    comparison table hides the number matched (the same figure)."""
    naive, matched = ctx.outs.table("evaluate", "naive"), ctx.outs.table("evaluate", "matched")
    shared = ctx.mode != "internal"
    comparison, _ = match_count(counts, "control people matched")
    table = side_by_side(naive, matched, ctx.config.suppression.threshold if shared else None,
                         None if is_missing(comparison) else float(comparison))  # type: ignore[arg-type]
    if table is None:
        return None
    _, matched_hidden = match_count(counts, "treated matched")
    if shared and matched_hidden:
        table.withheld |= {(i, "n_matched") for i in range(len(table.rows))}
    ctx.shown(table)
    return table


def few_user_keys(ctx: Context) -> tuple[set[tuple[str, str, str]], set[tuple[str, str, str]]]:
    """Shared reports: the (window label, key_type, key) whose matched estimates, and whose
    naive estimates, rest on 1..threshold users of that service or agency (any measure).
    Empty in internal reports, or when the tables predate the user counts."""
    if ctx.mode == "internal":
        return set(), set()
    threshold = ctx.config.suppression.threshold

    def keys(df: pd.DataFrame | None, columns: tuple[str, ...]) -> set[tuple[str, str, str]]:
        if df is None or any(pick(df, k) is None for k in ("window", "key_type", "key")):
            return set()
        present = [pick(df, c) for c in columns if pick(df, c) is not None]
        out = set()
        for r in df.to_dict("records"):
            if any(few(r[c], threshold) for c in present):
                out.add((window_label(r[pick(df, "window")]), str(r[pick(df, "key_type")]), str(r[pick(df, "key")])))
        return out

    return (keys(ctx.outs.table("evaluate", "matched"), ("treated_users", "control_users")),
            keys(ctx.outs.table("evaluate", "naive"), ("users",)))


def withhold_few_users(t: Table, few_keys: set[tuple[str, str, str]], columns: tuple[str, ...]) -> None:
    """Withhold ``columns`` in the rows of ``t`` (windows labelled) whose window, level and
    service or agency rest on few users (:func:`few_user_keys`)."""
    present = [k for k in columns if any(c.key == k for c in t.columns)]
    for i, r in enumerate(t.rows):
        if (str(r.get("window")), str(r.get("key_type")), str(r.get("key"))) in few_keys:
            t.withheld |= {(i, k) for k in present}
