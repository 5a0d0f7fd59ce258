"""The codes of rows an event source ignores (``unmapped: ignore``): counted per file in
``ingest_ignored_codes``, listed per source in the summary, kept for unchanged files,
replaced with the file, and never shown when they look like identifiers."""

from __future__ import annotations

import pyarrow as pa
import yaml
from typer.testing import CliRunner

from carecase.cli import app
from carecase.core.project import Project
from carecase.ingest.ignored import BLANK_CODE, WITHHELD_CODE, describe, shown_codes
from carecase.ingest.stage import run

from .helpers import event_source, table

SRC = event_source(event={"service": {"column": "code", "map": {"STC": "AE_ATTEND"}, "unmapped": "ignore"}})
CSV = ("nhs,mrn,code,date\n"
       "9434765919,A,STC,05/01/2024\n"
       "9434765919,A,stc,06/01/2024\n"
       "9434765919,A, stc ,07/01/2024\n"
       "9434765919,A,XYZ,08/01/2024\n")


def _codes(summary: dict) -> dict:
    return summary["sources"]["acute"]["ignored_codes"]


def test_ignored_codes_listed_kept_and_replaced(project_factory) -> None:
    p = project_factory({"sources": [SRC]}, {"ae.csv": CSV})
    s = run(p)
    src = s["sources"]["acute"]
    assert (src["rows_read"], src["rows_accepted"], src["rows_out_of_scope"]) == (4, 1, 3)
    # trimmed, exact: 'stc' twice (one with spaces around it), most rows first
    assert _codes(s) == {"codes": [{"code": "stc", "rows": 2}, {"code": "XYZ", "rows": 1}],
                         "other_codes": 0, "other_rows": 0}
    batch = src["files"][0]["batch_id"]
    assert table(p, "ingest_ignored_codes", ["code"]) == [
        {"source": "acute", "path": "ae.csv", "batch_id": batch, "code": "XYZ", "rows": 1},
        {"source": "acute", "path": "ae.csv", "batch_id": batch, "code": "stc", "rows": 2},
    ]
    # unchanged: not staged again, the codes still listed
    again = run(p)
    assert again["sources"]["acute"]["files"][0]["status"] == "unchanged"
    assert _codes(again) == _codes(s)
    # replaced: the old batch's codes go with it
    (p.root / "ae.csv").write_text("nhs,mrn,code,date\n9434765919,A,ABC,05/01/2024\n9434765919,A,STC,06/01/2024\n")
    new = run(p)
    assert new["sources"]["acute"]["files"][0]["status"] == "replaced"
    assert _codes(new)["codes"] == [{"code": "ABC", "rows": 1}]
    assert [r["code"] for r in table(p, "ingest_ignored_codes")] == ["ABC"]
    # the source no longer configured: its codes go with its files
    p.close()
    cfg = yaml.safe_load((p.root / "carecase.yaml").read_text())
    cfg["ingest"]["sources"] = [event_source(name="other", path="o.csv")]
    (p.root / "carecase.yaml").write_text(yaml.safe_dump(cfg))
    (p.root / "o.csv").write_text("nhs,mrn,code,date\n9434765919,A,AE,05/01/2024\n")
    q = Project.open(p.root)
    try:
        gone = run(q)
        assert "ignored_codes" not in gone["sources"]["other"]
        assert table(q, "ingest_ignored_codes") == []
    finally:
        q.close()


def test_identifier_like_codes_are_withheld_and_long_codes_cut(project_factory) -> None:
    long = "A" * 40
    csv = ("nhs,mrn,code,date\n"
           "9434765919,A,9434765919,05/01/2024\n"
           "9434765919,A,943 476 5927,06/01/2024\n"
           f"9434765919,A,{long},07/01/2024\n"
           "9434765919,A,,08/01/2024\n")
    p = project_factory({"sources": [SRC]}, {"ae.csv": csv})
    s = run(p)
    codes = _codes(s)["codes"]
    assert codes == [{"code": WITHHELD_CODE, "rows": 2}, {"code": BLANK_CODE, "rows": 1},
                     {"code": "A" * 29 + "…", "rows": 1}]
    stored = " ".join(r["code"] for r in table(p, "ingest_ignored_codes"))
    assert "9434765919" not in stored and "5927" not in stored and long not in stored
    assert "9434765919" not in repr(s["sources"]["acute"]["ignored_codes"])


def test_top_codes_and_the_rest_counted(project_factory) -> None:
    rows = "".join(f"9434765919,A,C{i:02d},{1 + i % 28:02d}/01/2024\n" for i in range(25) for _ in range(1 + i % 3))
    p = project_factory({"sources": [SRC]}, {"ae.csv": "nhs,mrn,code,date\n" + rows})
    ign = _codes(run(p))
    assert len(ign["codes"]) == 20
    assert [c["rows"] for c in ign["codes"]] == sorted((c["rows"] for c in ign["codes"]), reverse=True)
    assert ign["codes"][:2] == [{"code": "C02", "rows": 3}, {"code": "C05", "rows": 3}]
    total = sum(1 + i % 3 for i in range(25))
    assert ign["other_codes"] == 5 and sum(c["rows"] for c in ign["codes"]) + ign["other_rows"] == total
    assert describe(ign).endswith(f"(and 5 other codes, {ign['other_rows']} rows)")


def test_shown_codes() -> None:
    got = shown_codes(pa.array(["STC", " stc ", None, "", "0123456789", "123-456-7890", "01/02/1980",
                                "a@b.org", "[bold]x[/bold]", "a\tb", "é" * 31]))
    assert got.to_pylist() == ["STC", "stc", BLANK_CODE, BLANK_CODE, WITHHELD_CODE, WITHHELD_CODE, WITHHELD_CODE,
                               WITHHELD_CODE, "[bold]x[/bold]", "a?b", "é" * 29 + "…"]
    assert all(len(c) <= 30 for c in got.to_pylist() if c != WITHHELD_CODE)


def test_cli_lists_ignored_codes(project_factory) -> None:
    p = project_factory({"sources": [SRC]}, {"ae.csv": CSV})
    root = p.root
    p.close()
    res = CliRunner().invoke(app, ["ingest", str(root)], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "acute: codes ignored (unmapped: ignore; not in ingest.sources[0].event.service.map" in text
    assert "'stc' 2, 'XYZ' 1" in text


def test_store_of_an_older_carecase_records_codes_of_unchanged_files(project_factory, monkeypatch) -> None:
    """A store written before ``ingest_ignored_codes`` existed (older rules, no table):
    every file is staged again once, so an unchanged file's codes are listed."""
    from carecase.ingest import stage as ingest_stage

    p = project_factory({"sources": [SRC]}, {"ae.csv": CSV})
    current = ingest_stage.RULES_VERSION
    monkeypatch.setattr(ingest_stage, "RULES_VERSION", 2)
    run(p)
    p.engine.drop("ingest_ignored_codes")
    monkeypatch.setattr(ingest_stage, "RULES_VERSION", current)
    s = run(p)
    assert s["sources"]["acute"]["files"][0]["status"] == "reprocessed"
    assert _codes(s)["codes"] == [{"code": "stc", "rows": 2}, {"code": "XYZ", "rows": 1}]


def test_mapped_by_siblings_only_on_the_same_file_sheet_and_column() -> None:
    """Codes another source maps are taken by it only where it reads the same rows: the same
    path, sheet and code column; a map key recorded otherwise (withheld) is never matched."""
    from carecase.ingest.config import SourceConfig
    from carecase.ingest.ignored import mapped_by_siblings

    def src(name: str, codes: dict[str, str], **over) -> SourceConfig:
        return SourceConfig.model_validate(event_source(
            name=name, path="urgent.xlsx", format={"type": "xlsx", "sheet": over.pop("sheet", "A")},
            event={"service": {"column": over.pop("column", "code"), "map": codes,
                               "unmapped": over.pop("unmapped", "ignore")}}))

    sources = [src("acute", {"AE": "AE_ATTEND"}), src("amb", {"AMB": "AMBULANCE", "0123456789": "AMBULANCE"}),
               src("other_sheet", {"OS": "AE_ATTEND"}, sheet="B"), src("other_col", {"OC": "AE_ATTEND"}, column="x"),
               src("strict", {"ST": "AE_ATTEND"}, unmapped="quarantine")]
    files = [(s.name, "urgent.xlsx") for s in sources] + [("acute", "more.xlsx")]
    assert mapped_by_siblings(sources, files) == {
        ("acute", "urgent.xlsx"): {"AMB": ["amb"], "ST": ["strict"]},
        ("amb", "urgent.xlsx"): {"AE": ["acute"], "ST": ["strict"]},
    }
