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


def test_structure_ids_are_renumbered_in_their_own_order() -> None:
    """A tagged PDF's element ids come from Chromium's count of DOM nodes, which the charts'
    drawing moved from run to run (node00000117 on one, node00000119 on the next: the e2e
    byte-identity test failed on report.pdf alone). Renumbered by rank, two prints that differ
    only there are the same bytes, of the same length, the ids still in order."""
    from carecase.report.pdf import stable_node_ids

    def printed(offset: int) -> bytes:
        a, b = 117 + offset, 245 + 2 * offset
        return (b"/ID (node%08d)>> /Names [(node%08d) 3 0 R (node%08d) 4 0 R] /ID (node%08d)" % (a, a, b, b))

    one, other = stable_node_ids(printed(0)), stable_node_ids(printed(2))
    assert one == other == (b"/ID (node00000001)>> /Names [(node00000001) 3 0 R (node00000002) 4 0 R] "
                            b"/ID (node00000002)")
    assert len(one) == len(printed(0))
    assert stable_node_ids(b"%PDF-1.4 no tags") == b"%PDF-1.4 no tags"
