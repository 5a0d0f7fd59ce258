"""Participants and comparison group for the evaluation section (out/evaluate/match_counts),
and the shared-report rules that follow from how many people an estimate rests on: an
estimate resting on 1..threshold people (participants, or the matched comparison group's
people) is hidden, and so are the rate ratios and regression-to-the-mean changes of a
window whose matched estimates rest on so few."""

from __future__ import annotations

import pandas as pd

from carecase.report.content import Column, Table, is_missing
from carecase.report.loaders import pick
from carecase.report.sections.common import Context, clean_value
from carecase.report.sections.windows import window_label

# out/evaluate/match_counts: rows that add up (the first is the sum of the others; a name
# ending in * stands for every row starting with it)
MATCH_RELATIONS = (
    ("participants", "treated_eligible", "excluded_*"),
    ("treated_eligible", "treated_matched", "treated_unmatched"),
    ("candidate_control_rows", "control_rows_matched", "candidate_rows_discarded"),
)
# rows that give each other back without adding up, protected as pairs (one is never shown
# beside the other hidden): with k:1 matching the control rows matched are k × the treated
# matched (fewer only when a control is reused), and the comparison group's people as many
# as those rows when no person gives two of them. So a hidden 'treated matched' (say as the
# complement of 4 unmatched) hides both, and 'candidate rows discarded' follows through its
# relation (candidate rows = matched + discarded).
MATCH_LINKS = (
    ("treated_matched", "control_rows_matched"),
    ("treated_matched", "control_people_matched"),
)


def match_relations(names: list[str]) -> list[tuple[int, ...]]:
    """Row groups of the match counts protected together (MATCH_RELATIONS, then
    MATCH_LINKS), by row index; a group is left out when one of its named rows is missing."""
    pos = {n: i for i, n in enumerate(names)}
    out = []
    for relation in MATCH_RELATIONS + MATCH_LINKS:
        rows: list[int] = []
        for name in relation:
            if name.endswith("*"):
                rows += [i for i, n in enumerate(names) if n.startswith(name[:-1])]
            elif name in pos:
                rows.append(pos[name])
            else:
                break
        else:
            out.append(tuple(rows))
    return out


def _match_counts(df: pd.DataFrame) -> Table:
    label, value = pick(df, "count"), pick(df, "value")  # out/evaluate/match_counts: count (what), value (how many)
    names = [str(r[label]) if label else "" for r in df.to_dict("records")]
    rows = [{"item": n.replace("_", " "), "n": clean_value(r[value]) if value else None}
            for n, r in zip(names, df.to_dict("records"), strict=True)]
    # the column is not a sum: only the rows that add up protect each other
    return Table("evaluation-match-counts", "Participants and comparison group",
                 [Column("item", ""), Column("n", "Number", "count", count=True)], rows,
                 note="Counts of people or person-index rows; small numbers suppressed in shared reports "
                      "(participants = eligible + excluded; eligible = matched + unmatched; candidate "
                      "comparison rows = matched + discarded; comparison rows and people matched are up "
                      "to k per participant matched, so they are hidden with it).",
                 protect_columns=False, relations=match_relations(names))


def match_counts_table(ctx: Context) -> Table | None:
    """The participants-and-comparison table, disclosed; None without out/evaluate/match_counts.
    Built once a report (the sections that read it share it; none changes it)."""
    if "match_counts" not in ctx.memo:
        counts = ctx.outs.table("evaluate", "match_counts")
        t = None if counts is None else _match_counts(counts)
        if t is not None:
            ctx.shown(t)
        ctx.memo["match_counts"] = t
    return ctx.memo["match_counts"]  # type: ignore[no-any-return]


def match_count(counts: Table | None, item: str) -> tuple[object, bool]:
    """(raw value, hidden?) of a row of the disclosed match-counts table."""
    if counts is None:
        return None, False
    for i, r in enumerate(counts.rows):
        if r.get("item") == item:
            return r.get("n"), (i, "n") in counts.hidden
    return None, False


def few(n: object, threshold: int) -> bool:
    """A number of people from 1 to ``threshold``: an estimate resting on them is hidden."""
    if is_missing(n) or isinstance(n, str):
        return False
    return 1 <= abs(float(n)) <= threshold  # type: ignore[arg-type]


def thin_windows(ctx: Context, matched: pd.DataFrame | None, counts: Table | None) -> set[str] | None:
    """Window labels whose matched estimates rest on 1..threshold people (participants, or
    the matched comparison group's people); None when every window does (or the windows are
    not known). Empty in internal reports."""
    if ctx.mode == "internal":
        return set()
    threshold = ctx.config.suppression.threshold
    treated, _ = match_count(counts, "treated matched")
    comparison, _ = match_count(counts, "control people matched")
    if few(comparison, threshold):
        return None
    if matched is None or pick(matched, "n_sets") is None:
        return None if few(treated, threshold) else set()
    w = pick(matched, "window")
    small = [few(v, threshold) for v in matched[pick(matched, "n_sets")]]
    if w is None:
        return None if any(small) else set()
    return {window_label(v) for v, s in zip(matched[w].astype(str), small, strict=True) if s}


def withhold_windows(t: Table, thin: set[str] | None, keys: tuple[str, ...]) -> None:
    """Withhold ``keys`` in the rows of ``t`` whose window is thin (every row when None)."""
    present = [k for k in keys if any(c.key == k for c in t.columns)]
    for i, r in enumerate(t.rows):
        if thin is None or str(r.get("window")) in thin:
            t.withheld |= {(i, k) for k in present}


def estimates_hidden(table: Table, keys: tuple[str, ...]) -> bool:
    """Every estimate of the table (``keys``) is hidden or missing after disclosure."""
    present = [k for k in keys if any(c.key == k for c in table.columns)]
    return bool(present) and all((i, k) in table.hidden or is_missing(r.get(k))
                                 for i, r in enumerate(table.shown) for k in present)
