"""Date parsing with explicit formats and unambiguous inference.

Calendar rules (Gregorian: 30 days hath September...; leap years every 4 years except
centuries not divisible by 400 - ISO 8601 / Python ``datetime`` proleptic Gregorian calendar).
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carecase.ingest.dates import (
    BLANK,
    IMPOSSIBLE,
    OK,
    UNPARSEABLE,
    AmbiguousDates,
    DateFormatError,
    format_pattern,
    infer_date_format,
    parse_dates,
)

TODAY = dt.date(2025, 6, 30)


def test_known_answers_day_first() -> None:
    values = ["05/01/2024", "5/1/2024", " 05/01/2024 ", "31/02/2024", "29/02/2024", "29/02/2023",
              "29/02/2000", "29/02/1900", "00/01/2024", "13/13/2024", "01/01/1899", "01/07/2025", "",
              None, "2024-01-05", "05/01/2024x"]
    p = parse_dates(pa.array(values), "%d/%m/%Y", TODAY)
    assert p.dates.to_pylist() == [
        dt.date(2024, 1, 5), dt.date(2024, 1, 5), dt.date(2024, 1, 5), None, dt.date(2024, 2, 29), None,
        dt.date(2000, 2, 29), None, None, None, None, None, None, None, None, None,
    ]
    assert p.status.tolist() == [OK, OK, OK, IMPOSSIBLE, OK, IMPOSSIBLE, OK, IMPOSSIBLE, IMPOSSIBLE,
                                 IMPOSSIBLE, IMPOSSIBLE, IMPOSSIBLE, BLANK, BLANK, UNPARSEABLE, UNPARSEABLE]


def test_times_month_names_and_bad_times() -> None:
    p = parse_dates(pa.array(["2024-03-01 23:59", "2024-03-01 24:00", "2024-03-01"]), "%Y-%m-%d %H:%M", TODAY)
    assert p.dates.to_pylist() == [dt.date(2024, 3, 1), None, None]
    assert p.status.tolist() == [OK, IMPOSSIBLE, UNPARSEABLE]
    p = parse_dates(pa.array(["5 Jan 2024", "5 jan 2024", "5 Foo 2024"]), "%d %b %Y", TODAY)
    assert p.dates.to_pylist() == [dt.date(2024, 1, 5), dt.date(2024, 1, 5), None]
    assert p.status.tolist() == [OK, OK, IMPOSSIBLE]


@pytest.mark.parametrize(
    ("fmt", "values", "expected"),
    [
        # compact formats: every numeric part must have its full width
        ("%Y%m%d", ["20240105", "202011", "2019112", "2024015", "20241", "202401050", " 20240105 "],
         [dt.date(2024, 1, 5), None, None, None, None, None, dt.date(2024, 1, 5)]),
        ("%d%m%Y", ["05012024", "5012024", "512024"], [dt.date(2024, 1, 5), None, None]),
        ("%Y%m%d%H%M", ["202401051430", "20240105143"], [dt.date(2024, 1, 5), None]),
        ("%Y%m%d %H:%M", ["20240105 9:05", "2024015 9:05"], [dt.date(2024, 1, 5), None]),
        # with separators one digit is still enough
        ("%d/%m/%Y", ["5/1/2024"], [dt.date(2024, 1, 5)]),
        ("%Y-%m-%d", ["2024-1-5"], [dt.date(2024, 1, 5)]),
    ],
)
def test_compact_formats_need_the_full_width(fmt: str, values: list[str], expected: list) -> None:
    p = parse_dates(pa.array(values), fmt, TODAY)
    assert p.dates.to_pylist() == expected
    assert p.status.tolist() == [OK if e else UNPARSEABLE for e in expected]


def test_time_of_day_is_returned_apart() -> None:
    p = parse_dates(pa.array(["02/04/2019 04:48", "02/04/2019 21:30", "x", "02/04/2019 24:00"]), "%d/%m/%Y %H:%M", TODAY)
    assert p.seconds.tolist() == [4 * 3600 + 48 * 60, 21 * 3600 + 30 * 60, 0, 0]
    assert parse_dates(pa.array(["02/04/2019"]), "%d/%m/%Y", TODAY).seconds.tolist() == [0]


@pytest.mark.parametrize("fmt", ["%y-%m-%d", "%d/%m", "%Y-%m-%d %Z", "%d/%m/%Y%", "%Y-%m %H:%M"])
def test_unsupported_formats_are_refused(fmt: str) -> None:
    with pytest.raises(DateFormatError):
        format_pattern(fmt)


FORMATS = ["%d/%m/%Y", "%m/%d/%Y", "%Y-%m-%d", "%d.%m.%Y", "%d %b %Y", "%d %B %Y", "%Y-%m-%dT%H:%M:%S", "%Y%m%d"]


@settings(deadline=None)
@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY), st.sampled_from(FORMATS))
def test_round_trip_with_python_strftime(d: dt.date, fmt: str) -> None:
    """Whatever Python's strftime writes, parse_dates reads back as the same date."""
    text = dt.datetime(d.year, d.month, d.day, 13, 5, 9).strftime(fmt)
    p = parse_dates(pa.array([text]), fmt, TODAY)
    assert p.dates.to_pylist() == [d]
    assert p.status.tolist() == [OK]


@settings(deadline=None)
@given(st.integers(1900, 2025), st.integers(1, 12), st.integers(1, 31))
def test_calendar_validity_matches_python(y: int, m: int, d: int) -> None:
    try:
        expected = dt.date(y, m, d)
        if expected > TODAY:
            expected = None
    except ValueError:
        expected = None
    p = parse_dates(pa.array([f"{d:02d}/{m:02d}/{y}"]), "%d/%m/%Y", TODAY)
    assert p.dates.to_pylist() == [expected]
    assert p.status.tolist() == [OK if expected else IMPOSSIBLE]


@settings(deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=20)), max_size=20), st.sampled_from(FORMATS))
def test_junk_never_raises_and_statuses_partition(values: list[str | None], fmt: str) -> None:
    p = parse_dates(pa.array(values, pa.string()), fmt, TODAY)
    assert len(p.dates) == len(values) == len(p.status)
    assert ((p.status == OK) == p.dates.is_valid().to_numpy(zero_copy_only=False)).all()


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["2024-01-05", "2024-02-01", ""], "%Y-%m-%d"),
        (["13/01/2024", "01/02/2024"], "%d/%m/%Y"),  # a first part > 12 and no second part > 12
        (["01/13/2024", "02/01/2024"], "%m/%d/%Y"),
        (["05/05/2024"], "%d/%m/%Y"),  # reads the same either way: no ambiguity in meaning
        (["2024-01-05 10:00:00"], "%Y-%m-%d %H:%M:%S"),
        (["5 Jan 2024"], "%d %b %Y"),
        (["13/01/2024", "31/02/2024"], "%d/%m/%Y"),  # an impossible date does not block inference
        (["", "  "], None),
    ],
)
def test_inference_when_unambiguous(values: list[str], expected: str | None) -> None:
    assert infer_date_format(pa.array(values), TODAY) == expected


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        (["01/02/2024", "03/04/2024"], "either"),
        (["13/01/2024", "01/13/2024"], "mix"),
        (["2024-01-05", "05/01/2024"], "mix"),
        (["hello", "world"], "no value"),
    ],
)
def test_inference_refuses_ambiguity(values: list[str], fragment: str) -> None:
    with pytest.raises(AmbiguousDates) as err:
        infer_date_format(pa.array(values), TODAY)
    assert fragment in err.value.reason
    for v in values:
        assert v not in err.value.reason



def test_a_month_only_format_reads_the_first_of_the_month() -> None:
    """Monthly counts (GP appointments, caseloads) are often dated 2024-03 or Mar 2024: such a
    format was refused ("needs a day"); it now reads the 1st of the month."""
    p = parse_dates(pa.array(["2024-03", "2019-12", "2024-13", ""]), "%Y-%m", TODAY)
    assert p.dates.to_pylist()[:2] == [dt.date(2024, 3, 1), dt.date(2019, 12, 1)]
    assert p.status.tolist() == [OK, OK, IMPOSSIBLE, BLANK]
    assert parse_dates(pa.array(["Mar 2024"]), "%b %Y", TODAY).dates.to_pylist() == [dt.date(2024, 3, 1)]
