"""A totals row at the foot of a hand-saved extract is no one's record. Before, one with its
dates filled in ('Grand Total,05/01/2024,01/02/2024,15') was staged as a person called GRAND
TOTAL with the file's summed hours, and one in the NHS-number column was quarantined as
'not a valid NHS number', its value withheld."""

from __future__ import annotations

from carecase.ingest.stage import run

from .helpers import event_source, table

HOMECARE = {"kind": "package", "service": {"code": "ASC_HOMECARE"}, "quantity": "hours",
            "start": {"column": "start", "format": "%d/%m/%Y"}, "end": {"column": "end", "format": "%d/%m/%Y"}}


def test_a_totals_row_is_quarantined_as_such_never_staged(project_factory) -> None:
    src = event_source(name="homecare", path="hc.csv", ids={"nhs_number": None, "local_id": "ref"}, event=HOMECARE,
                       agency={"level1": "Local Authority", "level2": "Adult Social Care"})
    csv = ("ref,start,end,hours\nC1,05/01/2024,01/02/2024,7\nC2,05/01/2024,01/02/2024,8\nC3,06/01/2024,,4\n"
           "\nTotal,,,19\n Grand total: ,05/01/2024,01/02/2024,19\nSub-Total,05/01/2024,01/02/2024,19\n")
    p = project_factory({"sources": [src]}, {"hc.csv": csv})
    s = run(p)["sources"]["homecare"]
    assert (s["rows_read"], s["rows_accepted"], s["rows_quarantined"], s["rows_blank"]) == (7, 3, 3, 1)
    assert s["rows_read"] == s["rows_accepted"] + s["rows_quarantined"] + s["rows_out_of_scope"] + s["rows_blank"]
    assert sorted(r["source_row"] for r in table(p, "events_staged")) == [1, 2, 3]
    q = table(p, "quarantine", ["source_row"])
    assert [(r["source_row"], r["file_line"], r["column"], r["value"], r["rule"]) for r in q] == [
        (4, 6, "ref", "Total", "total_row"), (5, 7, "ref", "Grand total:", "total_row"),
        (6, 8, "ref", "Sub-Total", "total_row")]
    assert q[0]["hint"].startswith("a totals row (its 'ref' reads Total or the like), not anyone's record")
    assert run(p)["sources"]["homecare"]["rows_accepted"] == 3  # unchanged on a re-run


def test_a_total_in_the_nhs_number_column_is_named_not_withheld(project_factory) -> None:
    csv = "nhs,mrn,code,date\n9434765919,M1,AE,05/01/2024\nTOTAL,,,1\n4010232137,TOTALS,AE,06/01/2024\n"
    p = project_factory({"sources": [event_source()]}, {"ae.csv": csv})
    run(p)
    q = table(p, "quarantine", ["source_row"])
    assert [(r["source_row"], r["column"], r["value"], r["rule"]) for r in q] == [
        (2, "nhs", "TOTAL", "total_row"), (3, "mrn", "TOTALS", "total_row")]
    assert [r["source_row"] for r in table(p, "events_staged")] == [1]
