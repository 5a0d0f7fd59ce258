"""Quantities formatted by a spreadsheet ('1,200', '7,5', '£12', '(5)') were quarantined as
'not a number' alone; the hint now names the formatting and the fix. None is read as a
number (1,200 is 1.2 where the comma is the decimal mark)."""

from __future__ import annotations

from carecase.ingest.stage import run

from .helpers import event_source, table

HOMECARE = {"kind": "package", "service": {"code": "ASC_HOMECARE"}, "quantity": "hours",
            "start": {"column": "start", "format": "%d/%m/%Y"}, "end": {"column": "end", "format": "%d/%m/%Y"}}


def test_spreadsheet_number_formats_are_named_in_the_hint(project_factory) -> None:
    src = event_source(name="homecare", path="hc.csv", ids={"nhs_number": None, "local_id": "ref"},
                       event=HOMECARE, agency={"level1": "Local Authority", "level2": "Adult Social Care"})
    rows = ["7", '"1,200.5"', '"7,5"', "£12", " (5) ", "seven", "1e1"]
    csv = "ref,start,end,hours\n" + "".join(f"C{i},05/01/2024,01/02/2024,{v}\n" for i, v in enumerate(rows))
    p = project_factory({"sources": [src], "all_quarantined": "warn"}, {"hc.csv": csv})
    s = run(p)["sources"]["homecare"]
    assert (s["rows_read"], s["rows_accepted"], s["rows_quarantined"]) == (7, 2, 5)
    q = {r["source_row"]: r for r in table(p, "quarantine")}
    assert {r["rule"] for r in q.values()} == {"unparseable_number"}
    assert "thousands separators" in q[2]["hint"] and "decimal comma" in q[3]["hint"]
    assert "currency sign" in q[4]["hint"] and "in brackets" in q[5]["hint"]
    assert q[6]["hint"] == "not a number; correct the value at source"
    assert sorted(r["quantity"] for r in table(p, "events_staged")) == [7.0, 10.0]
