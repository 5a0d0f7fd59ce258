"""The PDF's dates come from the project, not the clock: the same inputs print the same bytes."""

from __future__ import annotations

import datetime as dt

from carecase.report.pdf import stamp_pdf_dates

CHROMIUM_INFO = (b"1 0 obj\n<</Creator (Chromium)\n/Producer (Skia/PDF m120)\n"
                 b"/CreationDate (D:20261123153920+00'00')\n/ModDate (D:20261123153844+00'00')>>\nendobj\n")


def test_both_dates_are_replaced_in_place() -> None:
    got = stamp_pdf_dates(CHROMIUM_INFO, dt.date(2024, 3, 31))
    assert b"/CreationDate (D:20240331000000+00'00')" in got
    assert b"/ModDate (D:20240331000000+00'00')" in got
    assert len(got) == len(CHROMIUM_INFO)  # the xref table's byte offsets still hold
    assert stamp_pdf_dates(got, dt.date(2024, 3, 31)) == got


def test_two_prints_at_different_times_become_identical() -> None:
    other = CHROMIUM_INFO.replace(b"153920", b"101010").replace(b"153844", b"090909")
    when = dt.date(2025, 3, 31)
    assert stamp_pdf_dates(CHROMIUM_INFO, when) == stamp_pdf_dates(other, when)


def test_a_date_of_another_form_is_left_alone() -> None:
    odd = b"/CreationDate (D:20261123153920Z)"  # shorter: replacing it would move later bytes
    assert stamp_pdf_dates(odd, dt.date(2024, 3, 31)) == odd
