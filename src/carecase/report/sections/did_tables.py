"""The effects table (the naive before/after beside the matched difference-in-differences) and
the regression-to-the-mean table, disclosed together (read once per report).

The two tables are linked by arithmetic, so a shared report discloses them as one:

- A row's matched DiD is the matched participants' change less the comparison group's change,
  the two columns of the regression-to-the-mean table. A row hidden in either table is hidden
  in both, and each table's complements (so that no hidden row comes back as a total less the
  rows shown) are chosen again until neither hides anything more. Each table choosing its own
  complements let one give back what the other hid (Adult Social Care's DiD, resting on 7
  comparison people, as Ambulance's participants' less comparison change).
- The naive change of all participants times their number, less the matched participants'
  change times theirs, is the change of the participants left unmatched. Where those are
  1..threshold people (overall, or among the users of a service or agency), or one or two
  of them make up almost all of that change, the shared report's naive column is the matched
  participants' own naive before/after (``out/evaluate/naive_matched``), labelled so: the
  naive of all participants gave back five unmatched people's £122,712, and one person's
  elective admissions. That is judged in every window (:func:`did_rows`), not only the
  regression-to-the-mean table's: another window's DiD is the matched participants' change
  less a comparison change that can be 0 or small, and a 0–8 month naive beside it gave one
  unmatched person's placement within 5% (tests/report/test_change_dominance.py).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from typing import Any

import pandas as pd

from carecase.report.config import DominanceConfig
from carecase.report.content import Table, is_missing
from carecase.report.loaders import pick
from carecase.report.sections.cba_inputs import evaluated_rows
from carecase.report.sections.common import Context, F, frame_table
from carecase.report.sections.effects import (
    MATCHED_ESTIMATES,
    NAIVE_ESTIMATES,
    UNMATCHED_SHARES,
    dominated_rows,
    few_user_keys,
    side_by_side,
    withhold_few_users,
    withhold_rows_adding_up,
)
from carecase.report.sections.participants import few, match_count, thin_windows, withhold_windows
from carecase.report.sections.window_spans import hide_derivable_windows, labelled_months
from carecase.report.sections.windows import KEYS, MONEY, only_measure, window_label, window_order

RTM = [F("window", "Window", "text"), F("key_type", "Level", "text"), F("key", "Service / agency", "text"),
       F("measure", "Measure", "text"),
       F("treated_change_ppy", "Matched participants' change", "num"), F("control_change_ppy", "Comparison change", "num"),
       # the matched participants' change, not the naive one of all participants above it
       F("share_of_naive_change_seen_in_controls", "Comparison change as a share of the matched participants'", "pct")]
# the regression-to-the-mean changes are estimated on the matched people too
RTM_ESTIMATES = ("treated_change_ppy", "control_change_ppy", "share_of_naive_change_seen_in_controls")


def unmatched_few(naive: pd.DataFrame | None, matched: pd.DataFrame | None, unmatched: object,
                  threshold: int, shown: set[tuple[str, str, str]]) -> bool:
    """Whether the rows ``shown`` (window label, level, key: those the regression-to-the-mean
    table shows, and :func:`did_rows` in the other windows) would let the naive figures give
    back 1..threshold people left unmatched: the
    participants left unmatched overall (``unmatched``, from the match counts), or on one of
    those rows as participants (``n`` against ``n_sets``) or as users of its service or
    agency (``users`` against ``treated_users``)."""
    if not shown:
        return False
    if few(unmatched, threshold):
        return True
    if naive is None or matched is None:
        return False
    n, m = only_measure(naive, MONEY), only_measure(matched, MONEY)
    keys = [k for k in KEYS if pick(n, k) and pick(m, k)]
    if "window" not in keys:
        return False
    left = pd.DataFrame({k: n[pick(n, k)].astype(str).to_numpy() for k in keys})
    right = pd.DataFrame({k: m[pick(m, k)].astype(str).to_numpy() for k in keys})
    for col, frame, source in (("n", left, n), ("users", left, n), ("n_sets", right, m), ("treated_users", right, m)):
        c = pick(source, col)
        frame[col] = pd.to_numeric(source[c], errors="coerce").to_numpy() if c else float("nan")
    both = left.merge(right, on=keys, how="inner")
    both = both[[(window_label(r["window"]), r.get("key_type", "total"), r.get("key", "")) in shown
                 for r in both.to_dict("records")]]
    gaps = pd.concat([both["n"] - both["n_sets"], both["users"] - both["treated_users"]])
    return any(few(g, threshold) for g in gaps.tolist())


def unmatched_dominated(naive: pd.DataFrame | None, shown: set[tuple[str, str, str]],
                        rule: DominanceConfig | None) -> bool:
    """Whether, on a row ``shown`` (window label, level, key: as :func:`unmatched_few`), the
    change of the participants left unmatched, which the naive change of all participants
    beside the matched participants' change gives (each × its person-time), is one that one
    or two of them make up almost all of (the naive table's ``unmatched_change_`` shares,
    :func:`carecase.evaluate.shares.unmatched_change_columns`; a table without them: no)."""
    if naive is None or rule is None or not shown:
        return False
    n = only_measure(naive, MONEY)
    cols = [pick(n, k) for k in ("window", "key_type", "key")]
    if any(c is None for c in cols):
        return False
    flags = dominated_rows(n, UNMATCHED_SHARES, rule)
    keys = zip(*(n[c].astype(str).tolist() for c in cols), strict=True)  # type: ignore[index]
    return any(f and (window_label(w), kt, k) in shown for f, (w, kt, k) in zip(flags.tolist(), keys, strict=True))


def _key(r: dict[str, Any]) -> tuple[str, str, str]:
    return (str(r.get("window")), str(r.get("key_type")), str(r.get("key")))


def _rows_with(t: Table, keys: set[tuple[str, str, str]], columns: tuple[str, ...]) -> None:
    present = [k for k in columns if any(c.key == k for c in t.columns)]
    for i, r in enumerate(t.rows):
        if _key(r) in keys:
            t.withheld |= {(i, k) for k in present}


def _hidden_keys(t: Table, column: str) -> set[tuple[str, str, str]]:
    return {_key(r) for i, r in enumerate(t.rows) if (i, column) in t.withheld}


def disclose_together(effects: Table, matched: pd.DataFrame, rtm: Table, rtm_frame: pd.DataFrame,
                      keep: Collection[tuple[str, str, str]] = (), threshold: int | None = None) -> None:
    """Hide a row of either table in both and re-choose both tables' complements until
    neither changes (each pass only adds hidden cells, so it ends).

    The DiD is the participants' change less the comparison change; and the naive change is the
    participants' change itself wherever it is of the same people (the matched participants'
    naive, or no one left unmatched). A review found that a change resting on 3 people came
    back: the naive column hid it and one complement, the regression-to-the-mean table hid it
    and another, and the cells shown by the two together left it alone in its line. So the
    rows the naive column hides in the regression-to-the-mean table's window are hidden there
    (and in the DiD) too: the participants' changes unknown to a reader of both are then the
    naive column's hidden rows, which its own complements keep at 0 or 2 or more a line. The
    naive column need not hide the others' rows: with the participants' change known, the
    comparison change and the DiD stay two unknowns a row (conservative where the naive is of
    more people than the matched). ``keep``: rows chosen last as complements (the CBA's
    inputs, :func:`did_tables`).
    """
    rtm_keys = {_key(r) for r in rtm.rows}
    months = labelled_months(effects, matched)  # a row hidden in one window hidden in others
    while True:
        size = (len(effects.withheld), len(rtm.withheld))
        hidden = _hidden_keys(rtm, "treated_change_ppy") | _hidden_keys(rtm, "control_change_ppy") \
            | _hidden_keys(effects, "effect_matched") \
            | (_hidden_keys(effects, "effect_naive") & rtm_keys)
        _rows_with(effects, hidden, MATCHED_ESTIMATES)
        _rows_with(rtm, hidden, RTM_ESTIMATES)
        effects.withheld |= hide_derivable_windows(effects.withheld, MATCHED_ESTIMATES, effects.rows, months)
        withhold_rows_adding_up(effects, matched, MATCHED_ESTIMATES, keep, threshold)
        withhold_rows_adding_up(rtm, rtm_frame, RTM_ESTIMATES, keep, threshold)
        if (len(effects.withheld), len(rtm.withheld)) == size:
            return


def _rtm(ctx: Context, counts: Table | None) -> tuple[Table, pd.DataFrame] | None:
    """The regression-to-the-mean table (£, the longest window) with its own withholding
    (thin windows, few users), and the frame it was built from (windows labelled)."""
    rtm = ctx.outs.table("evaluate", "rtm")
    if rtm is None:
        return None
    rtm = only_measure(rtm, MONEY)
    wcol = pick(rtm, "window")
    if wcol and len(rtm):  # the longest window: the full series is in out/evaluate/rtm.csv
        rtm = rtm[rtm[wcol].astype(str) == window_order(rtm[wcol].astype(str).tolist())[-1]]
    if wcol:
        rtm = rtm.assign(**{wcol: rtm[wcol].map(window_label)})
    t = frame_table("evaluation-rtm", "Change in £ per person per year: participants and comparison group",
                    rtm, RTM, note="Longest post window; every window is in out/evaluate/rtm.csv. The share is "
                    "left blank where the two groups' use moved in opposite directions; over 100%, the comparison "
                    "group's use moved more than the participants' (the matched effect is then the other way).")
    withhold_windows(t, thin_windows(ctx, ctx.outs.table("evaluate", "matched"), counts), RTM_ESTIMATES)
    withhold_few_users(t, few_user_keys(ctx), RTM_ESTIMATES)
    return t, rtm


def _effects(ctx: Context, counts: Table | None, rtm_shown: set[tuple[str, str, str]],
             keep: Collection[tuple[str, str, str]] = ()) -> Table | None:
    """The naive/matched table with its own withholding; in a shared report where the rows
    whose matched participants' change a reader has (``rtm_shown``: the regression-to-the-mean
    table's, and :func:`did_rows`) would let the naive figures give back few unmatched
    participants (:func:`unmatched_few`) or one dominating them (:func:`unmatched_dominated`),
    the naive columns are the matched participants'."""
    all_naive, matched = ctx.outs.table("evaluate", "naive"), ctx.outs.table("evaluate", "matched")
    shared = ctx.mode != "internal"
    threshold = ctx.config.suppression.threshold
    unmatched, _ = match_count(counts, "treated unmatched")
    rule = ctx.config.suppression.dominance if shared else None
    few_left = shared and unmatched_few(all_naive, matched, unmatched, threshold, rtm_shown)
    of_matched = few_left or (shared and unmatched_dominated(all_naive, rtm_shown, rule))
    naive = ctx.outs.table("evaluate", "naive_matched") if of_matched else all_naive
    comparison, _ = match_count(counts, "control people matched")
    table = side_by_side(all_naive if naive is None else naive, matched, threshold if shared else None,
                         None if is_missing(comparison) else float(comparison),  # type: ignore[arg-type]
                         keep=keep, dominance=ctx.config.suppression.dominance if shared else None)
    if table is None:
        return None
    _, matched_hidden = match_count(counts, "treated matched")
    if shared and matched_hidden:
        table.withheld |= {(i, "n_matched") for i in range(len(table.rows))}
    if of_matched and naive is None:  # written before carecase wrote naive_matched: no naive to show
        table.withheld |= {(i, k) for i in range(len(table.rows)) for k in NAIVE_ESTIMATES}
        table.note += (f" Shared report: the naive figures are hidden, as 1–{threshold} participants were left "
                       "unmatched; re-run `carecase evaluate PROJECT` to show the matched participants' "
                       "own naive change instead.")
    elif of_matched:
        table.columns = [replace(c, label=f"{c.label} (matched participants)") if c.key in NAIVE_ESTIMATES
                         else c for c in table.columns]
        why = (f"1–{threshold} participants (or users of a service among them) were left unmatched" if few_left
               else "one or two of the participants left unmatched make up almost all of those participants' "
               "change (a dominance rule)")
        table.note += (f" Shared report: the naive columns are the matched participants' own before/after "
                       f"change, because {why}: with the naive change of all participants beside the "
                       "matched participants' change, the difference would give those few people's use. "
                       "The internal report has the naive change of all participants.")
    elif (populations := naive_populations(counts)) is not None:
        table.columns = [replace(c, label=f"{c.label} (all participants)") if c.key in NAIVE_ESTIMATES
                         else c for c in table.columns]
        table.note += " " + populations_note(ctx, populations)
    return table


def naive_populations(counts: Table | None) -> tuple[int, int] | None:
    """(participants, matched participants) from the match counts where some participants
    were left unmatched: the naive estimate is then of more people than the matched one, and
    not like for like with it (None when every participant was matched, or the counts are
    not known)."""
    def number(item: str) -> int | None:
        v, _ = match_count(counts, item)
        return int(v) if isinstance(v, int | float) and not is_missing(v) else None

    matched, unmatched, eligible = number("treated matched"), number("treated unmatched"), number("treated eligible")
    if matched is None:
        return None
    if unmatched is None:
        unmatched = None if eligible is None else eligible - matched
    return (matched + unmatched, matched) if unmatched is not None and unmatched > 0 else None


def populations_note(ctx: Context, populations: tuple[int, int]) -> str:
    """Whom the naive and the matched figures cover, where they differ: counts only in an
    internal report (a shared one may hide them)."""
    n_all, n_matched = populations
    why = ("had no comparable non-participant; such people are often the heaviest users, whose use falls "
           "most, so part of the gap between the naive and the matched figures is theirs, not regression to "
           "the mean")
    if ctx.mode == "internal":
        return (f"The naive figures are the change of all {n_all:,} participants; the matched figures are of the "
                f"{n_matched:,} matched participants alone (the {n_all - n_matched:,} left unmatched {why}). "
                "The matched participants' own naive change is the participants' change in the "
                "regression-to-the-mean table (every window: out/evaluate/naive_matched.csv).")
    return ("The naive figures are the change of all participants, including those left unmatched; the matched "
            f"figures are of the matched participants alone (those left unmatched {why}). The "
            "regression-to-the-mean table gives the matched participants' own change where it can be shown.")


def matched_naive_totals(ctx: Context) -> dict[str, float]:
    """Window label → the matched participants' own naive change in whole-system £ a
    person-year (out/evaluate/naive_matched; empty where it is missing)."""
    frame = ctx.outs.table("evaluate", "naive_matched")
    if frame is None:
        return {}
    cols = {k: pick(frame, k) for k in ("window", "key_type", "measure", "change_ppy")}
    if any(c is None for c in cols.values()):
        return {}
    rows = frame[(frame[cols["key_type"]].astype(str) == "total") & (frame[cols["measure"]].astype(str) == MONEY)]
    return {window_label(w): float(v) for w, v in zip(rows[cols["window"]], rows[cols["change_ppy"]], strict=True)
            if not is_missing(v)}


def _build(ctx: Context, counts: Table | None,
           keep: Collection[tuple[str, str, str]] = ()) -> tuple[Table | None, Table | None]:
    """(effects table, regression-to-the-mean table) with their withholding, disclosed
    together in a shared report; ``keep``: rows chosen last as complements."""
    built = _rtm(ctx, counts)
    rtm, frame = built if built is not None else (None, None)
    shown: set[tuple[str, str, str]] = set()
    matched = ctx.outs.table("evaluate", "matched")
    if ctx.mode != "internal":
        if rtm is not None and frame is not None:
            withhold_rows_adding_up(rtm, frame, RTM_ESTIMATES, keep, ctx.config.suppression.threshold)
            shown = {_key(r) for i, r in enumerate(rtm.rows) if (i, "treated_change_ppy") not in rtm.withheld
                     and (i, "control_change_ppy") not in rtm.withheld}
        rtm_windows = set() if frame is None or pick(frame, "window") is None \
            else set(frame[pick(frame, "window")].astype(str))
        thin = thin_windows(ctx, matched, counts)
        if thin is not None:  # the DiDs of thin windows, and of rows on few users, are hidden
            shown |= did_rows(matched, rtm_windows | thin) - few_user_keys(ctx)
    effects = _effects(ctx, counts, shown, keep)
    if ctx.mode != "internal" and effects is not None and rtm is not None and frame is not None \
            and matched is not None:
        disclose_together(effects, only_measure(matched, MONEY), rtm, frame, keep, ctx.config.suppression.threshold)
        if naive_of_matched(effects):
            show_participants_change(effects, rtm, frame, ctx.config.suppression.threshold)
    return effects, rtm


def did_rows(matched: pd.DataFrame | None, skip: Collection[str]) -> set[tuple[str, str, str]]:
    """(window label, level, key) of the matched table's £ rows in every window but ``skip``
    (window labels: the regression-to-the-mean table's, whose rows it shows or hides itself).

    Outside that table's window the matched participants' change is not printed, but a reader
    has it nearly: it is the DiD plus the comparison group's change, which is small beside one
    unmatched person's placement, and nothing at all where no comparison person used the
    service (the DiD is then the matched participants' change itself). The naive change of all
    participants beside it then gives the unmatched participants' change in that window as it
    does in the longest, so :func:`unmatched_few` and :func:`unmatched_dominated` judge these
    rows too (all but those whose DiD rests on few people, which :func:`_build` leaves out:
    whether the effects table hides others' as complements is not known yet)."""
    if matched is None:
        return set()
    m = only_measure(matched, MONEY)
    cols = [pick(m, k) for k in ("window", "key_type", "key")]
    if any(c is None for c in cols):
        return set()
    keys = zip(*(m[c].astype(str).tolist() for c in cols), strict=True)  # type: ignore[index]
    return {(window_label(w), kt, k) for w, kt, k in keys if window_label(w) not in skip}


def show_participants_change(effects: Table, rtm: Table, frame: pd.DataFrame, threshold: int | None = None) -> None:
    """Where the naive column is the matched participants' own change, a regression-to-the-mean
    row's participants' change is the same figure: show it wherever the naive column does (a
    review found it hidden in one table and printed in the other). Its comparison change and
    share stay hidden: with the participants' change known, the comparison change and the DiD
    remain two unknowns a row, which the hidden rows' sums do not separate. Undone if it left
    a line of the participants' changes with one hidden cell (a row with no naive figure)."""
    naive = {_key(r): r.get("effect_naive") for i, r in enumerate(effects.rows)
             if (i, "effect_naive") not in effects.withheld and not is_missing(r.get("effect_naive"))}
    before = set(rtm.withheld)
    for i, r in enumerate(rtm.rows):
        same = naive.get(_key(r))
        if same is not None and not is_missing(r.get("treated_change_ppy")) \
                and round(float(same), 2) == round(float(r["treated_change_ppy"]), 2):
            rtm.withheld.discard((i, "treated_change_ppy"))
    check = set(rtm.withheld)
    withhold_rows_adding_up(rtm, frame, ("treated_change_ppy",), threshold=threshold, people=("treated_users",))
    if rtm.withheld != check:  # a line was left with one hidden participants' change
        rtm.withheld = before


def _withheld_keys(table: Table | None) -> set[tuple[str, str, str]]:
    return set() if table is None else _hidden_keys(table, "effect_matched")


KEPT_NOTE = ("Shared report: to protect estimates resting on few people, other rows are hidden too; "
             "they are chosen from the rows the cost-benefit model does not use where that is enough, "
             "so that its results can be shown (here: {rows}).")


def did_tables(ctx: Context, counts: Table | None) -> tuple[Table | None, Table | None]:
    """(effects table, regression-to-the-mean table), disclosed (together in a shared report),
    built once per report.

    A shared report hides, besides the estimates resting on few people, complements: rows
    whose estimates would otherwise give those back from the rows that add up with them.
    Chosen in row order, a complement can be an effect the cost-benefit model takes as an
    input, and the report must then withhold the whole CBA (every result follows from its
    inputs). So where that happens, the tables are disclosed again with the CBA's inputs'
    services (and agencies made of them) chosen last in every window, so that a complement is
    a row the model does not use, or a total, and the same row in each window; that
    disclosure is used if it hides none of the CBA's inputs. Which rows are kept depends on
    the model's inputs (published in its register), never on the values."""
    if "did_tables" not in ctx.memo:
        effects, rtm = _build(ctx, counts)
        inputs = evaluated_rows(ctx.outs.json("cba", "results.json")) if ctx.mode != "internal" else set()
        if inputs & _withheld_keys(effects):
            # the inputs' services are kept last in every window, not only the CBA's: windows
            # overlap (the first 11 months are 11 of the first 12), so a complement hidden in
            # one window and shown in another came back nearly whole (a disclosure review put
            # homelessness applications' 12-month comparison change in for the hidden 11-month
            # one and had adult social care's DiD, on 7 comparison people, to within 6%)
            windows = {_key(r)[0] for r in effects.rows} if effects is not None else set()
            kept = {(w, level, key) for _, level, key in inputs for w in windows}
            kept_effects, kept_rtm = _build(ctx, counts, kept)
            if kept_effects is not None and not inputs & _withheld_keys(kept_effects):
                order = {w: i for i, w in enumerate(dict.fromkeys(_key(r)[0] for r in kept_effects.rows))}
                extra = sorted(_withheld_keys(kept_effects) - _withheld_keys(effects),
                               key=lambda k: (order.get(k[0], len(order)), k[1], k[2]))
                if extra:
                    kept_effects.note += " " + KEPT_NOTE.format(rows="; ".join(
                        f"{w}: {'all services' if level == 'total' else key}" for w, level, key in extra))
                effects, rtm = kept_effects, kept_rtm
        for t in (effects, rtm):
            if t is not None:
                ctx.shown(t)
        ctx.memo["did_tables"] = (effects, rtm)
    return ctx.memo["did_tables"]  # type: ignore[no-any-return]


def effects_table(ctx: Context, counts: Table | None) -> Table | None:
    """The naive/matched table, disclosed. Shared reports hide the estimates resting on
    1..threshold people, the matched participants wherever the participants-and-comparison
    table hides the number matched (the same figure), and whatever the regression-to-the-mean
    table hides (:func:`disclose_together`)."""
    return did_tables(ctx, counts)[0]


def rests_on_few(ctx: Context, counts: Table | None, key: tuple[str, str, str]) -> bool:
    """Whether the matched estimate of a row (window label, level, key) is hidden in a shared
    report because it rests on 1..threshold people itself (its window thin, or few users of
    its service or agency), not only as another's complement."""
    thin = thin_windows(ctx, ctx.outs.table("evaluate", "matched"), counts)
    return thin is None or key[0] in thin or key in few_user_keys(ctx)


def naive_of_matched(table: Table | None) -> bool:
    """Whether the table's naive columns are the matched participants' (a shared report)."""
    return table is not None and any(c.key == "effect_naive" and "matched participants" in c.label
                                     for c in table.columns)


def hidden_matched_keys(ctx: Context, counts: Table | None) -> set[tuple[str, str, str]]:
    """(window label, level, key) of the rows whose matched estimate the shared effects table
    hides, for few users or as a complement: a CBA input taken from one would put it back
    in the report."""
    table = effects_table(ctx, counts)
    if table is None or ctx.mode == "internal":
        return set()
    return {_key(r) for i, r in enumerate(table.rows) if (i, "effect_matched") in table.hidden}
