"""Formatting days and times as each agency writes them, fast: every distinct date is
formatted once in Python and rows pick theirs with an Arrow ``take``."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from carecase.synth.population import EPOCH, NONE

MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def date_strings(days: np.ndarray, fmt: str) -> pa.Array:
    """Arrow strings for int days (NONE → null) in strftime ``fmt``."""
    d = np.asarray(days, dtype=np.int64)
    valid = d != NONE
    if not valid.any():
        return pa.nulls(d.size, pa.string())
    lo = int(d[valid].min())
    present = np.zeros(int(d[valid].max()) - lo + 1, dtype=bool)
    present[d[valid] - lo] = True  # O(n): the days are a small integer range
    distinct = np.nonzero(present)[0]
    table = pa.array([(EPOCH + dt.timedelta(days=int(k) + lo)).strftime(fmt) for k in distinct])
    position = np.zeros(present.size, dtype=np.int32)
    position[distinct] = np.arange(distinct.size, dtype=np.int32)
    idx = position[np.where(valid, d - lo, 0)]  # a gather, not a search
    return table.take(pa.array(idx, mask=~valid))


def time_strings(minutes: np.ndarray, fmt: str) -> pa.Array:
    """Arrow strings for minutes after midnight in a time ``fmt`` such as '%H:%M'."""
    base = dt.datetime(2000, 1, 1)
    table = pa.array([(base + dt.timedelta(minutes=k)).strftime(fmt) for k in range(1440)])
    return table.take(pa.array(np.asarray(minutes, dtype=np.int64)))


def datetime_strings(days: np.ndarray, minutes: np.ndarray, date_fmt: str, sep: str, time_fmt: str) -> pa.Array:
    import pyarrow.compute as pc

    return pc.binary_join_element_wise(date_strings(days, date_fmt), time_strings(minutes, time_fmt), sep)


def render(fmt: str, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> str:
    """``fmt`` filled with raw parts, without calendar checks (for impossible dates)."""
    parts = {
        "%d": f"{day:02d}", "%m": f"{month:02d}", "%Y": f"{year:04d}", "%y": f"{year % 100:02d}",
        "%b": MONTH_ABBR[month - 1], "%H": f"{hour:02d}", "%M": f"{minute:02d}", "%S": "00",
    }
    out = fmt
    for token, text in parts.items():
        out = out.replace(token, text)
    return out


# (month, day) pairs that no calendar has
IMPOSSIBLE_DAYS: tuple[tuple[int, int], ...] = ((2, 30), (2, 31), (4, 31), (6, 31), (9, 31), (11, 31))


def impossible_dates(rng: np.random.Generator, years: np.ndarray, fmt: str) -> list[str]:
    picks = rng.integers(0, len(IMPOSSIBLE_DAYS), len(years))
    hours = rng.integers(0, 24, len(years))
    minutes = rng.integers(0, 60, len(years))
    return [
        render(fmt, int(y), IMPOSSIBLE_DAYS[p][0], IMPOSSIBLE_DAYS[p][1], int(h), int(mi))
        for y, p, h, mi in zip(years.tolist(), picks.tolist(), hours.tolist(), minutes.tolist(), strict=True)
    ]


def year_of(days: np.ndarray) -> np.ndarray:
    return np.asarray(days, dtype="datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
