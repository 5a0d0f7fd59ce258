"""``carecase ingest PROJECT [--strict]``."""

from __future__ import annotations

import os
import subprocess
import sys

from .helpers import TEST_KEY, event_source, make_project

CLI = [sys.executable, "-c", "from carecase.cli import main; main()"]
CSV = "nhs,mrn,code,date\n9434765919,A,AE,05/01/2024\n9434765918,B,AE,05/01/2024\n"


def _carecase(*args: str, cwd, key: str | None = TEST_KEY, columns: int = 200) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": str(columns), "NO_COLOR": "1"}
    env.pop("CARECASE_KEY", None)
    if key:
        env["CARECASE_KEY"] = key
    return subprocess.run([*CLI, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_cli_ingest_table_strict_and_missing_key(tmp_path) -> None:
    p = make_project(tmp_path / "proj", {"sources": [event_source()]}, {"ae.csv": CSV})
    p.close()
    ok = _carecase("ingest", str(p.root), cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "acute" in ok.stdout and "nhs_number_invalid 1" in ok.stdout
    assert "2 rows read, 1 accepted, 1 quarantined" in ok.stdout
    # at 80 columns the reasons are still whole (a table column cut them to "quaran…")
    narrow = _carecase("ingest", str(p.root), cwd=tmp_path, columns=80)
    assert narrow.returncode == 0 and "quarantined by rule: nhs_number_invalid 1" in narrow.stdout
    strict = _carecase("ingest", str(p.root), "--strict", cwd=tmp_path)
    assert strict.returncode == 1 and "--strict: 1 row(s) were quarantined" in strict.stderr
    assert "Traceback" not in strict.stderr
    nokey = _carecase("ingest", str(p.root), cwd=tmp_path, key=None)
    assert nokey.returncode == 1 and "CARECASE_KEY" in nokey.stderr


def test_cli_prints_repeats_blank_rows_and_renames(tmp_path) -> None:
    src = event_source(path="x/*.csv")
    crlf = (CSV + "\n").replace("\n", "\r\n")  # a re-saved copy with a blank line at the end
    p = make_project(tmp_path / "proj", {"sources": [src]}, {"x/a.csv": CSV, "x/b.csv": crlf})
    p.close()
    out = _carecase("ingest", str(p.root), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    text = " ".join(out.stdout.split())
    assert "duplicate_other_file 1" in text and "blank" in text
    assert "warning: x/b.csv (acute): 1 of its rows repeat rows already read from x/a.csv" in text
    assert "5 rows read, 1 accepted, 3 quarantined, 0 out of scope, 1 blank" in text
    (p.root / "x" / "a.csv").rename(p.root / "x" / "0.csv")
    out = _carecase("ingest", str(p.root), cwd=tmp_path)
    assert "renamed from x/a.csv" in " ".join(out.stdout.split())


def test_narrow_terminal_folds_file_names_and_statuses_never_cuts_them(tmp_path) -> None:
    """A new user at 80 columns saw 'extracts/…' and 'reprocess…' in the ingest tables."""
    src = event_source(path="extracts/acute_trust_emergency_department_2024.csv")
    p = make_project(tmp_path / "proj", {"sources": [src]}, {"extracts/acute_trust_emergency_department_2024.csv": CSV})
    p.close()
    out = _carecase("ingest", str(p.root), cwd=tmp_path, columns=80)
    assert out.returncode == 0, out.stderr
    assert "…" not in out.stdout
