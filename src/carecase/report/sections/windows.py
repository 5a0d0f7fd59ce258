"""Keys of the evaluate stage's tidy tables, for the evaluation section: one row per
(window, key_type, key, measure) where key_type is service / agency / total and measure is
events / units / cost (per person per year). Post windows in their natural order and in
words; picking a measure."""

from __future__ import annotations

import re

import pandas as pd

from carecase.evaluate.config import window_key
from carecase.report.loaders import pick

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
    m = re.fullmatch(r"post_(\d+)_(\d+)", str(w))
    return f"months {m.group(1)}–{m.group(2)} after" if m else str(w)


def window_order(windows: list[str]) -> list[str]:
    """Windows in natural order (post_0_8 before post_0_12)."""
    return sorted(set(windows), key=window_key)
