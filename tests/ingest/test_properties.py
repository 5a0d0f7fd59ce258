"""Property tests: junk in any column of any source never crashes ingest and never loses a
row; re-ingest is a no-op; a changed file replaces its batch and never adds to it."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from carecase.core.config import validate_config
from carecase.core.project import Project
from carecase.ingest.feeds import feeds_from_config
from carecase.ingest.stage import run, validate_batch
from carecase.ingest.validate import BatchContext

from .helpers import PERIOD, make_project

DATES = {"%d/%m/%Y": "05/01/2024", "%Y-%m-%d": "2024-01-05"}
GOOD = ["9434765919", "4010232137", "05/01/2024", "2024-01-05", "AE", "A1", "3", "1.5", "Ann Lee", "M1 1AE", "M", ""]
junk = st.one_of(
    st.sampled_from(GOOD),
    st.text(max_size=12),
    st.text(alphabet="0123456789/-. ", max_size=12),
    st.sampled_from(["1e400", "-1e308", "99999999999999999999", "nan", "inf", "-0", "٣", "１２", "\u200b", "31/02/2024"]),
    st.integers(-(10**30), 10**30).map(str),
)

CONFIG: dict[str, Any] = {
    "project": {"name": "p", "period_start": PERIOD[0], "period_end": PERIOD[1]},
    "ingest": {
        "population": {"path": "pop.csv", "format": {"type": "csv"},
                       "ids": {"nhs_number": "a", "full_name": "b", "dob": "c", "dob_format": "%d/%m/%Y", "postcode": "d", "sex": "e"},
                       "deprivation_decile": "f", "locality": "g", "registered_from": {"column": "h", "format": "%Y-%m-%d"},
                       "registered_to": {"column": "c", "format": "%d/%m/%Y"}},
        "sources": [
            {"name": "pt", "path": "x.csv", "format": {"type": "csv"}, "agency": {"level1": "NHS", "level2": "Acute Trust"},
             "ids": {"nhs_number": "a", "local_id": "b"},
             "event": {"kind": "point", "service": {"column": "c", "map": {"AE": "AE_ATTEND", "3": "AE_ATTEND"}, "unmapped": "ignore"},
                       "start": {"column": "d", "format": "%d/%m/%Y"}, "quantity": "e"}},
            {"name": "sp", "path": "x.csv", "format": {"type": "csv"}, "agency": {"level1": "NHS", "level2": "Acute Trust"},
             "ids": {"local_id": "a", "family_name": "b", "dob": "c", "dob_format": "%Y-%m-%d"},
             "event": {"kind": "spell", "service": {"code": "NEL_ADMIT"}, "start": {"column": "d", "format": "%d/%m/%Y"},
                       "end": {"column": "e", "format": "%Y-%m-%d"}}},
            {"name": "pk", "path": "x.csv", "format": {"type": "csv"}, "agency": {"level1": "Local Authority", "level2": "Adult Social Care"},
             "ids": {"nhs_number": "h"},
             "event": {"kind": "package", "service": {"column": "a", "map": {"AE": "ASC_HOMECARE"}},
                       "start": {"column": "b", "format": "%d/%m/%Y"}, "end": {"column": "c", "format": "%d/%m/%Y"},
                       "quantity": "d", "open_ended": "quarantine"}},
            {"name": "ct", "path": "x.csv", "format": {"type": "csv"}, "agency": {"level1": "NHS", "level2": "Primary Care"},
             "ids": {"nhs_number": "a"},
             "event": {"kind": "count", "service": {"code": "GP_APPT"}, "start": {"column": "h", "format": "%Y-%m-%d"},
                       "quantity": "f", "max_quantity": 10}},
        ],
        "programme": {"path": "x.csv", "format": {"type": "csv"}, "ids": {"nhs_number": "a", "local_id": "b"},
                      "start": {"column": "c", "format": "%d/%m/%Y"}, "end": {"column": "d", "format": "%d/%m/%Y"}},
        "outcomes": [{"instrument": "star", "path": "x.csv", "format": {"type": "csv"}, "ids": {"local_id": "a"},
                      "date": {"column": "d", "format": "%d/%m/%Y"}, "assessment": "b", "domains": {"x": "e", "y": "f"}}],
        "lookups": [{"name": "lk", "path": "x.csv", "format": {"type": "csv"}, "local_id": "b", "nhs_number": "a"}],
    },
}
COLUMNS = list("abcdefgh")
FEEDS = feeds_from_config(validate_config(CONFIG))
rows_strategy = st.lists(st.fixed_dictionaries({c: junk for c in COLUMNS}), max_size=25)


def _table(rows: list[dict[str, str]]) -> pa.Table:
    return pa.table({c: pa.array([r[c] for r in rows], pa.string()) for c in COLUMNS})


@settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(rows_strategy, st.sampled_from(range(len(FEEDS))))
def test_junk_never_crashes_and_never_loses_a_row(rows: list[dict[str, str]], which: int) -> None:
    feed = FEEDS[which]
    ctx = BatchContext("x.csv", "abcdef012345", b"k" * 20, dt.date(2023, 4, 1), dt.date(2025, 3, 31), dt.date(2025, 6, 30))
    staged = validate_batch(feed, _table(rows), ctx)
    assert staged.rows_read == len(rows)
    assert staged.rows_accepted + staged.rows_quarantined + staged.rows_out_of_scope == len(rows)
    q_rows = staged.quarantine.column("source_row").to_pylist()
    assert len(q_rows) == len(set(q_rows)) == staged.rows_quarantined
    main = {"events": "events_staged", "population": "population_staged", "programme": "programme_staged",
            "outcomes": "staging_identity", "lookup": "ingest_lookup_rows"}[feed.role]
    t = staged.tables[main]
    staged_rows = t.column("source_row" if "source_row" in t.column_names else "record_id").to_pylist()
    assert len(staged_rows) == staged.rows_accepted
    if feed.role != "lookup":
        ident_rows = set(staged.tables["staging_identity"].column("source_row").to_pylist())
        assert ident_rows.isdisjoint(q_rows) and len(ident_rows) == staged.rows_accepted
    ids = feed.identifier_columns()
    for q in staged.quarantine.to_pylist():
        if q["column"] in ids:
            assert q["value"] == "<withheld>"
        assert not re.search(r"[0-9]{3}[ -]?[0-9]{3}[ -]?[0-9]{4}", q["value"])


def _csv(rows: list[dict[str, str]]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, quoting=csv.QUOTE_ALL, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def _counts(p: Project) -> dict[str, int]:
    return {t: p.engine.table(t).count().to_pyarrow().as_py() for t in
            ("events_staged", "staging_identity", "quarantine", "population_staged", "programme_staged",
             "outcomes_staged", "ingest_lookup_rows", "ingest_files")}


@settings(deadline=None, max_examples=4, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(rows_strategy, rows_strategy)
# Found by CI: a row accepted but out of the project period stages no identity, and an
# earlier rule mistook the empty identity table for one dropped by linkage.
@example(first=[dict.fromkeys(COLUMNS, "9434765919")], second=[])
def test_reingest_is_a_no_op_and_a_changed_file_replaces(first: list[dict[str, str]], second: list[dict[str, str]]) -> None:
    ing = CONFIG["ingest"]
    cfg = {"sources": [ing["sources"][0], ing["sources"][2]], "lookups": ing["lookups"],
           "population": {**ing["population"], "path": "x.csv"},
           "all_quarantined": "warn"}  # random rows can all be quarantined: the invariants hold either way
    tmp = Path(tempfile.mkdtemp(prefix="carecase-prop-"))
    try:
        p = make_project(tmp / "p", cfg, {"x.csv": _csv(first)})
        try:
            s1 = run(p)
            counts = _counts(p)
            s2 = run(p)
            assert _counts(p) == counts
            assert {f["status"] for src in s2["sources"].values() for f in src["files"]} == {"unchanged"}
            assert s2["totals"] == s1["totals"]
            (p.root / "x.csv").write_text(_csv(second))
            s3 = run(p)
            fresh = make_project(tmp / "fresh", cfg, {"x.csv": _csv(second)})
            try:
                s4 = run(fresh)
                assert _counts(p) == _counts(fresh)  # replacing gives exactly what a first ingest gives
                assert s3["totals"] == s4["totals"]
            finally:
                fresh.close()
            for src in s3["sources"].values():
                assert src["rows_read"] == len(second)
                assert src["rows_read"] == (src["rows_accepted"] + src["rows_quarantined"] + src["rows_out_of_scope"]
                                            + src["rows_blank"])
        finally:
            p.close()
    finally:
        shutil.rmtree(tmp)
