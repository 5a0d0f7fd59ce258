"""Date formatting and broken-row planting: properties."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from carecase.core.random import generator
from carecase.synth.broken import Layout, kind_code, plant, planted_count
from carecase.synth.formatting import date_strings, impossible_dates, render, year_of
from carecase.synth.population import EPOCH, NONE

FORMATS = ["%d/%m/%Y", "%Y-%m-%d", "%d-%b-%Y", "%Y%m%d", "%d.%m.%Y", "%d/%m/%Y %H:%M", "%Y-%m-%dT%H:%M:%S"]


@settings(deadline=None)
@given(st.lists(st.one_of(st.just(NONE), st.integers(-20_000, 30_000)), min_size=1, max_size=50),
       st.sampled_from(FORMATS[:5]))
def test_date_strings_match_strftime(days: list[int], fmt: str) -> None:
    got = date_strings(np.array(days), fmt).to_pylist()
    want = [None if d == NONE else (EPOCH + dt.timedelta(days=d)).strftime(fmt) for d in days]
    assert got == want


@settings(deadline=None)
@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)),
       st.integers(0, 23), st.integers(0, 59), st.sampled_from(FORMATS))
def test_render_matches_strftime_for_real_dates(d: dt.date, hour: int, minute: int, fmt: str) -> None:
    stamp = dt.datetime(d.year, d.month, d.day, hour, minute)
    assert render(fmt, d.year, d.month, d.day, hour, minute) == stamp.strftime(fmt)


@settings(deadline=None, max_examples=50)
@given(st.integers(1990, 2030), st.sampled_from(FORMATS))
def test_impossible_dates_never_parse(year: int, fmt: str) -> None:
    for text in impossible_dates(generator(year, "t"), np.array([year] * 5), fmt):
        try:
            dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
        raise AssertionError(f"{text!r} parsed with {fmt!r}")


def test_year_of() -> None:
    days = np.array([(dt.date(2021, 2, 28) - EPOCH).days, (dt.date(1969, 12, 31) - EPOCH).days])
    assert year_of(days).tolist() == [2021, 1969]


@settings(max_examples=40, deadline=None)
@given(st.integers(5, 400), st.integers(0, 10_000))
def test_planting_is_disjoint_and_counted(rows: int, seed: int) -> None:
    rng = generator(seed, "plant")
    first = 18_000
    start = first + 30 + rng.integers(0, 1000, rows)
    end = np.where(rng.random(rows) < 0.2, NONE, start + rng.integers(1, 30, rows))
    nhs = 9_434_765_919 + np.zeros(rows, dtype=np.int64)
    table = pa.table({
        "ref": pa.array([f"R{i:05d}" for i in range(rows)]),
        "nhs": pa.array(["9434765919"] * rows),
        "start": date_strings(start, "%d/%m/%Y"),
        "end": date_strings(end, "%d/%m/%Y"),
        "qty": pa.array(rng.integers(1, 9, rows).astype(np.float64)),
    })
    layout = Layout("start", "%d/%m/%Y", ("nhs",), end_column="end", end_format="%d/%m/%Y",
                    nhs_column="nhs", quantity_column="qty",
                    kinds=("impossible_date", "end_before_start", "blank_identifier", "duplicate_row",
                           "nhs_number_invalid", "negative_quantity"))
    person = np.arange(rows, dtype=np.int32)
    out = plant(rng, table, person, layout, start, end, nhs, first)
    k = planted_count(rows)
    assert out.table.num_rows == rows + out.counts["duplicate_row"]
    assert out.person.size == out.table.num_rows
    for kind, count in out.counts.items():
        assert count <= k
        assert int((out.kind == kind_code(kind)).sum()) == count
    df = out.table.to_pandas()
    assert int(df.duplicated().sum()) == out.counts["duplicate_row"]
    assert int((df["qty"] < 0).sum()) == out.counts["negative_quantity"]
    assert int(df["nhs"].isna().sum()) == out.counts["blank_identifier"]
    # every row keeps its true person; duplicates sit right after their original
    dup = np.nonzero(out.kind == kind_code("duplicate_row"))[0]
    assert (out.person[dup] == out.person[dup - 1]).all()
