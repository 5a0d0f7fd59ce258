"""Quarantined rows name the line (CSV) or sheet row (XLSX) a user sees beside source_row,
which counts data rows only: blank rows, rows skipped above the header and quoted cells that
span lines made the two differ."""

from __future__ import annotations

import csv
import io

import duckdb
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from carecase.core.project import Project
from carecase.ingest import lines as lines_mod
from carecase.ingest.stage import run

from .helpers import event_source, table


def _quarantine(p) -> list[tuple[int, int | None, str, str]]:
    return [(q["source_row"], q["file_line"], q["rule"], q["value"])
            for q in table(p, "quarantine", ["source", "source_row"])]


def _accounting(s: dict) -> None:
    for src in s["sources"].values():
        assert src["rows_read"] == (src["rows_accepted"] + src["rows_quarantined"] + src["rows_out_of_scope"]
                                    + src["rows_blank"])


@pytest.fixture(params=["bytes", "csv module"])
def reader(request, monkeypatch):
    """Each CSV test runs twice: lines found from the bytes, and by the csv module."""
    if request.param == "csv module":
        monkeypatch.setattr(lines_mod, "_from_bytes", lambda *a, **k: None)
    return request.param


CSV = ("Extract from the trust, run 2024\n"            # 1: skipped (skip_rows: 1)
       "nhs,mrn,code,date\n"                           # 2: header
       "9434765919,A,AE,05/01/2024\n"                  # 3: row 1
       "\n"                                            # 4: blank
       '9434765919,"B\n'                               # 5: row 2 starts (a cell over two lines)
       'C",AE,32/01/2024\n'                            # 6
       "4010232137,D,AE,06/01/2024\n"                  # 7: row 3
       " , ,,\n"                                       # 8: blank
       "4010232137,E,AE,31/02/2024\n"                  # 9: row 4
       "9434765919,A,AE,05/01/2024\n")                 # 10: row 5, a copy of row 1


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_csv_quarantine_names_the_line(project_factory, reader, newline) -> None:
    src = event_source(format={"type": "csv", "skip_rows": 1})
    p = project_factory({"sources": [src]}, {"ae.csv": CSV.replace("\n", newline).encode()})
    s = run(p)
    _accounting(s)
    assert s["totals"]["rows_blank"] == 2 and s["totals"]["rows_read"] == 7
    assert _quarantine(p) == [(2, 5, "impossible_date", "32/01/2024"), (4, 9, "impossible_date", "31/02/2024"),
                              (5, 10, "duplicate_row", "same as row 1 (line 3)")]
    rows = list(csv.reader(io.StringIO((p.out / "ingest" / "quarantine.csv").read_text())))
    assert rows[0][:6] == ["source", "batch_id", "file", "source_row", "file_line", "column"]
    assert [r[3:7] for r in rows[1:]] == [["2", "5", "date", "32/01/2024"], ["4", "9", "date", "31/02/2024"],
                                          ["5", "10", "(row)", "same as row 1 (line 3)"]]


def test_a_store_without_file_lines_is_staged_again(project_factory) -> None:
    """A store written before quarantine rows had a file_line: every file is read again, and
    the outputs of a second run are the same bytes."""
    p = project_factory({"sources": [event_source(format={"type": "csv", "skip_rows": 1})]}, {"ae.csv": CSV})
    first = run(p)
    p.close()
    con = duckdb.connect(str(p.root / "carecase.duckdb"))
    con.execute("ALTER TABLE quarantine DROP COLUMN file_line")
    con.close()
    p = Project.open(p.root)
    try:
        s = run(p)
        assert s["sources"]["acute"]["files"][0]["status"] == "new" and s["totals"] == first["totals"]
        assert [q[1] for q in _quarantine(p)] == [5, 9, 10]
        out = {f.name: f.read_bytes() for f in (p.out / "ingest").iterdir() if f.name != "summary.json"}
        assert run(p)["sources"]["acute"]["files"][0]["status"] == "unchanged"
        assert {f.name: f.read_bytes() for f in (p.out / "ingest").iterdir() if f.name != "summary.json"} == out
    finally:
        p.close()


def test_xlsx_quarantine_names_the_sheet_row(project_factory, tmp_path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["A&E attendances"])                            # sheet row 1: skipped
    ws.append(["nhs", "mrn", "code", "date"])                 # 2: header
    ws.append(["9434765919", "A", "AE", "05/01/2024"])        # 3: row 1
    ws.append([None, None, None, None])                       # 4: blank
    ws.append(["9434765919", "B", "AE", "32/01/2024"])        # 5: row 2
    ws.append([" ", None, "", None])                          # 6: blank
    ws.append(["9434765919", "A", "AE", "05/01/2024"])        # 7: row 3, a copy of row 1
    wb.save(tmp_path / "ae.xlsx")
    src = event_source(path="ae.xlsx", format={"type": "xlsx", "skip_rows": 1})
    p = project_factory({"sources": [src]}, {"ae.xlsx": (tmp_path / "ae.xlsx").read_bytes()})
    s = run(p)
    _accounting(s)
    assert _quarantine(p) == [(2, 5, "impossible_date", "32/01/2024"),
                              (3, 7, "duplicate_row", "same as row 1 (sheet row 3)")]


def test_parquet_has_no_lines(project_factory, tmp_path) -> None:
    pq.write_table(pa.table({"nhs": ["9434765919", "", "9434765919"], "mrn": ["A", "", "A"],
                             "code": ["AE", "", "AE"], "date": ["05/01/2024", "", "05/01/2024"]}),
                   tmp_path / "ae.parquet")
    src = event_source(path="ae.parquet", format={"type": "parquet"})
    p = project_factory({"sources": [src]}, {"ae.parquet": (tmp_path / "ae.parquet").read_bytes()})
    run(p)
    assert _quarantine(p) == [(2, None, "duplicate_row", "same as row 1")]


def test_repeats_of_another_file_name_its_line(project_factory) -> None:
    a = "nhs,mrn,code,date\n\n9434765919,A,AE,05/01/2024\n"
    b = "note\nnhs,mrn,code,date\n4010232137,B,AE,06/01/2024\n9434765919,A,AE,05/01/2024\n"
    srcs = [event_source("one", "a.csv"), event_source("two", "b.csv", format={"type": "csv", "skip_rows": 1})]
    p = project_factory({"sources": srcs}, {"a.csv": a, "b.csv": b})
    s = run(p)
    _accounting(s)
    assert _quarantine(p) == [(2, 4, "duplicate_other_file", "same as one: a.csv row 1 (line 3)")]


def test_a_repeat_follows_the_earlier_row_when_it_moves_down(project_factory) -> None:
    """The earlier file re-saved with a line above its row: the row is still row 1, but the
    repeat's value named its old line until the later file was staged again."""
    row = "9434765919,A,AE,05/01/2024\n"
    p = project_factory({"sources": [event_source(path="x/*.csv")]},
                        {"x/a.csv": "nhs,mrn,code,date\n" + row, "x/b.csv": "nhs,mrn,code,date\n" + row})
    run(p)
    assert _quarantine(p) == [(1, 2, "duplicate_other_file", "same as x/a.csv row 1 (line 2)")]
    (p.root / "x" / "a.csv").write_text("nhs,mrn,code,date\n\n" + row)
    s = run(p)
    _accounting(s)
    assert {f["path"]: f["status"] for f in s["sources"]["acute"]["files"]} == {"x/a.csv": "replaced",
                                                                               "x/b.csv": "reprocessed"}
    assert _quarantine(p) == [(1, 2, "duplicate_other_file", "same as x/a.csv row 1 (line 3)")]
    assert {f["status"] for f in run(p)["sources"]["acute"]["files"]} == {"unchanged"}


def test_lookup_conflicts_name_the_lines(project_factory) -> None:
    src = event_source("housing", "hou.csv", ids={"nhs_number": None, "local_id": "ref", "lookup": "hou"},
                       agency={"level1": "Local Authority", "level2": "Housing"},
                       event={"service": {"code": "HOU_HOMELESS_APP"}})
    lk = {"name": "hou", "path": "lk.csv", "format": {"type": "csv"}, "local_id": "ref", "nhs_number": "nhs"}
    files = {"hou.csv": "ref,date\nh1,05/01/2024\n", "lk.csv": "ref,nhs\nh1,9434765919\n\nh1,4010232137\n"}
    s = run(project_factory({"sources": [src], "lookups": [lk]}, files))
    assert "(lk.csv row 1 (line 2), lk.csv row 2 (line 4))" in s["warnings"][0]
