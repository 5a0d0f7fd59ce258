"""Keys of the evaluate stage's tidy tables, for the evaluation section: one row per
(window, key_type, key, measure) where key_type is service / agency / total and measure is
events / units / cost (per person per year). Post windows in their natural order and in
words; picking a measure."""

from __future__ import annotations

import re

import pandas as pd

from carecase.evaluate.config import window_key, window_months
from carecase.report.loaders import pick
from carecase.report.sections.common import in_a_list

# the columns the evaluate stage writes (out/evaluate/naive, matched, rate_ratios, rtm, …)
KEYS = ("window", "key_type", "key", "measure")
MONEY = "cost"  # the measure in £ (the others are events and units)


def is_money(measure: object) -> bool:
    return str(measure).lower() == MONEY


def only_measure(df: pd.DataFrame, keep: str) -> pd.DataFrame:
    """Rows whose measure is ``keep`` (all rows when there is no measure column or none
    would be left)."""
    m = pick(df, "measure")
    if m is None:
        return df
    sub = df[df[m].astype(str).str.lower() == keep]
    return sub if len(sub) else df


def window_label(w: object) -> str:
    """A post window in words: post_0_12 (months [0, 12) from the index date) is "first 12
    months after joining", post_3_12 "months 4–12 after joining". "months 0–12 after" read
    as thirteen months to a board."""
    months = window_months(w)
    if months is None:
        return str(w)
    start, end = months
    if start == 0:
        return "first month after joining" if end == 1 else f"first {end} months after joining"
    return f"month {end} after joining" if end == start + 1 else f"months {start + 1}–{end} after joining"


def plain_windows(text: object) -> str:
    """Every window code in ``text`` (a CBA input's label or source: "evaluated effect
    (post_0_12)") in words, as :func:`window_label` writes it."""
    return re.sub(r"\bpost_\d+_\d+\b", lambda m: window_label(m.group(0)), str(text))


def windows_in_words(labels: list[str]) -> str:
    """Window labels joined for a sentence: "the first 8, 11 and 12 months after joining"
    when all are first-N-months windows, else each :func:`in_a_sentence`, joined with "and"."""
    firsts = [re.fullmatch(r"first (\d+) months after joining", x) for x in labels]
    if len(labels) > 1 and all(firsts):
        n = [m.group(1) for m in firsts if m]
        return f"the first {in_a_list(n)} months after joining"
    return in_a_list([in_a_sentence(x) for x in labels])


def in_a_sentence(label: str) -> str:
    """A window label inside a sentence: "for the first 12 months after joining"."""
    return f"the {label}" if label.startswith("first ") else label


def window_order(windows: list[str]) -> list[str]:
    """Windows in natural order (post_0_8 before post_0_12)."""
    return sorted(set(windows), key=window_key)
