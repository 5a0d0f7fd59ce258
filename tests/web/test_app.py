"""The web layer serves what the stages wrote, through the same Project API."""

from __future__ import annotations

import json
import threading

import pytest
from fastapi.testclient import TestClient

import carecase.web.app as web_app
from carecase.web.app import create_app


def local_client(app, **kwargs):
    """A client that talks to the app as a browser on this machine does (Host: 127.0.0.1)."""
    return TestClient(app, base_url="http://127.0.0.1:8000", **kwargs)

CONFIG = """
project:
  name: Web test area
  period_start: 2020-04-01
  period_end: 2023-03-31
"""


def make_project(tmp_path):
    (tmp_path / "carecase.yaml").write_text(CONFIG)
    audit = tmp_path / "out" / "audit"
    audit.mkdir(parents=True)
    (audit / "summary.json").write_text(json.dumps({"headline": "£1,234 across 3 people"}))
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"agency_l1": ["NHS", "Police"], "cost": [1000.0, 234.0]}),
                   audit / "cost_by_agency.parquet")
    return tmp_path


def test_index_lists_stages_and_headlines(tmp_path):
    client = local_client(create_app(make_project(tmp_path)))
    page = client.get("/")
    assert page.status_code == 200
    assert "Web test area" in page.text
    assert "£1,234 across 3 people" in page.text
    assert "not run" in page.text  # stages without results say so


def test_results_and_tables(tmp_path):
    client = local_client(create_app(make_project(tmp_path)))
    assert client.get("/api/results/audit").json()["headline"].startswith("£1,234")
    missing = client.get("/api/results/cba")
    assert missing.status_code == 404 and f"carecase run {tmp_path.resolve()} --only cba" in missing.json()["detail"]
    assert client.get("/api/results/nonsense").status_code == 404
    assert client.get("/api/tables/audit").json() == ["cost_by_agency"]
    rows = client.get("/api/tables/audit/cost_by_agency").json()
    assert rows == [{"agency_l1": "NHS", "cost": 1000.0}, {"agency_l1": "Police", "cost": 234.0}]
    assert client.get("/api/tables/audit/missing").status_code == 404
    report = client.get("/report")  # the fix names this project, not PROJECT
    assert report.status_code == 404 and f"carecase run {tmp_path.resolve()} --only report" in report.json()["detail"]


def test_damaged_outputs_give_a_message_not_a_traceback(tmp_path):
    """A damaged summary or table is a 500 whose message names the file and the re-run
    command; the index still lists the other stages."""
    root = make_project(tmp_path)
    (root / "out" / "audit" / "summary.json").write_text("{not json")
    (root / "out" / "audit" / "bad.parquet").write_bytes(b"PAR1 not a parquet file")
    client = local_client(create_app(root), raise_server_exceptions=False)
    page = client.get("/")
    assert page.status_code == 200 and "summary.json is damaged" in page.text and "not run" in page.text
    res = client.get("/api/results/audit")
    assert res.status_code == 500 and "summary.json is damaged" in res.json()["detail"]
    assert "--only audit" in res.json()["detail"]
    res = client.get("/api/tables/audit/bad")
    assert res.status_code == 500 and "bad.parquet is damaged" in res.json()["detail"]
    (root / "out" / "audit" / "summary.json").write_text('["valid JSON, not a summary"]')
    page = client.get("/")  # was a bare 500: list has no .get
    assert page.status_code == 200 and "summary.json is damaged (not a JSON object)" in page.text
    res = client.get("/api/results/audit")
    assert res.status_code == 500 and "--only audit" in res.json()["detail"]


def test_run_refuses_unknown_or_no_stages(tmp_path):
    client = local_client(create_app(make_project(tmp_path)), raise_server_exceptions=False)
    res = client.post("/api/run", json=["nosuchstage"])
    assert res.status_code == 400 and "Unknown stage(s): 'nosuchstage'" in res.json()["detail"]
    res = client.post("/api/run", json=[])
    assert res.status_code == 400 and "No stage named" in res.json()["detail"]


def test_a_second_run_while_one_is_going_is_refused_and_progress_is_shown(tmp_path, monkeypatch):
    """Two runs at once raced in the store (the second failed on 'Table staging_identity
    already exists' or overwrote the first's outputs half-way); now the second is a 409, and
    GET /api/run and the index say which step the running one is at."""
    started, release = threading.Event(), threading.Event()
    calls = []

    def fake_run_all(project, progress=None, only=None):
        calls.append(only)
        task = progress.add_task("link", total=6)
        progress.update(task, advance=1, description="link: staging")
        progress.advance(task)
        started.set()
        assert release.wait(10)
        return {"cba": {"headline": "done"}}

    monkeypatch.setattr(web_app, "run_all", fake_run_all)
    client = local_client(create_app(make_project(tmp_path)))
    assert client.get("/api/run").json() == {"running": False, "last": None}
    first = {}
    worker = threading.Thread(target=lambda: first.update(r=client.post("/api/run", json=["cba"])))
    worker.start()
    try:
        assert started.wait(10)
        second = client.post("/api/run", json=["cba"])
        assert second.status_code == 409 and "already in progress (cba" in second.json()["detail"]
        now = client.get("/api/run").json()
        assert now["running"] and now["stages"] == ["cba"]
        assert now["step"] == "link: staging" and now["completed"] == 2 and now["total"] == 6
        assert "A run is in progress" in client.get("/").text
    finally:
        release.set()
        worker.join(10)
    assert first["r"].status_code == 200 and first["r"].json() == {"cba": {"headline": "done"}}
    assert calls == [["cba"]]  # the refused run never started
    done = client.get("/api/run").json()
    assert not done["running"] and done["last"]["ok"] and done["last"]["stages"] == ["cba"]
    assert set(done) == {"running", "last"}  # no copy of `last` as an undocumented `last_run`
    assert client.post("/api/run", json=["cba"]).status_code == 200  # the lock was released


def test_run_while_another_process_holds_the_store_is_a_409(tmp_path, monkeypatch):
    import duckdb

    def locked(project, progress=None, only=None):
        raise duckdb.IOException('IO Error: Could not set lock on file "x/carecase.duckdb"')

    monkeypatch.setattr(web_app, "run_all", locked)
    client = local_client(create_app(make_project(tmp_path)), raise_server_exceptions=False)
    res = client.post("/api/run", json=["cba"])
    assert res.status_code == 409 and "in use by another carecase process" in res.json()["detail"]
    assert client.get("/api/run").json()["last"]["ok"] is False
    assert client.post("/api/run", json=["cba"]).status_code == 409  # not stuck: the lock is free


@pytest.mark.parametrize("headers", [{}, {"content-type": "text/plain"},
                                     {"content-type": "application/x-www-form-urlencoded"}])
def test_run_needs_a_json_content_type(tmp_path, monkeypatch, headers):
    """A cross-site page can POST a form, a text/plain body or a Blob with no type without a
    CORS preflight; only a JSON content type (which needs one) may start a run, whatever
    FastAPI version is installed."""
    monkeypatch.setattr(web_app, "run_all", lambda *a, **k: pytest.fail("a run started"))
    client = local_client(create_app(make_project(tmp_path)))
    res = client.post("/api/run", content=b'["cba"]', headers=headers)
    assert res.status_code == 415 and "application/json" in res.json()["detail"]


def test_run_body_is_bounded_and_checked(tmp_path, monkeypatch):
    monkeypatch.setattr(web_app, "run_all", lambda *a, **k: pytest.fail("a run started"))
    client = local_client(create_app(make_project(tmp_path)))
    res = client.post("/api/run", json=["x" * 200_000])
    assert res.status_code == 413 and len(res.text) < 500  # not echoed back
    for body in (b"{not json", b'{"a": 1}', b"[1, 2]"):
        res = client.post("/api/run", content=body, headers={"content-type": "application/json"})
        assert res.status_code == 400, body


def test_a_deeply_nested_body_is_a_400_not_a_500(tmp_path, monkeypatch):
    """30,000 nested brackets fit in 64 KiB and overflowed json.loads' recursion: a 500
    and a traceback in the terminal, not a message."""
    monkeypatch.setattr(web_app, "run_all", lambda *a, **k: pytest.fail("a run started"))
    client = local_client(create_app(make_project(tmp_path)), raise_server_exceptions=False)
    res = client.post("/api/run", content=b"[" * 30_000 + b"]" * 30_000,
                      headers={"content-type": "application/json"})
    assert res.status_code == 400 and "not valid JSON" in res.json()["detail"]


def test_requests_naming_another_host_are_refused(tmp_path):
    """A DNS-rebinding page (attacker.example resolving to 127.0.0.1) read row-level tables."""
    app = create_app(make_project(tmp_path))
    client = local_client(app)
    assert client.get("/api/tables/audit/cost_by_agency").status_code == 200
    for host in ("attacker.example:8000", "attacker.example", "127.0.0.1.attacker.example"):
        res = client.get("/api/tables/audit/cost_by_agency", headers={"host": host})
        assert res.status_code == 421, host
    for host in ("localhost:8000", "127.0.0.1", "[::1]:8000"):
        assert client.get("/", headers={"host": host}).status_code == 200, host
    named = TestClient(create_app(tmp_path, host="analysis01.council.local"),
                       base_url="http://analysis01.council.local:8000")
    assert named.get("/").status_code == 200
    anywhere = TestClient(create_app(tmp_path, host="0.0.0.0"), base_url="http://10.1.2.3:8000")
    assert anywhere.get("/").status_code == 200  # a wildcard bind: the token guards it


def test_token_is_required_when_set(tmp_path):
    """Every user of a shared server can reach 127.0.0.1: with a token only the analyst who
    started the app (and saw the printed URL) can read it."""
    client = local_client(create_app(make_project(tmp_path), token="s3cret-token"))
    for path in ("/", "/api/stages", "/api/tables/audit/cost_by_agency", "/report", "/openapi.json"):
        assert client.get(path).status_code == 401, path
    assert client.post("/api/run", json=["cba"]).status_code == 401
    assert client.get("/?token=wrong").status_code == 401
    assert client.get("/api/stages", headers={"authorization": "Bearer s3cret-token"}).status_code == 200
    first = client.get("/?token=s3cret-token", follow_redirects=False)
    # the cookie is set and the page opened without the token in its URL (the address bar, a
    # screen share, the browser's history)
    assert first.status_code == 303 and first.headers["location"] == "/"
    assert "samesite=strict" in first.headers["set-cookie"].lower()
    assert "httponly" in first.headers["set-cookie"].lower()
    assert first.headers["referrer-policy"] == "no-referrer"
    assert client.get("/").status_code == 200
    assert client.get("/api/tables/audit/cost_by_agency").status_code == 200  # the cookie


def test_nothing_the_app_serves_is_kept_in_the_browser_s_cache(tmp_path):
    """Row-level tables and unsuppressed summaries were served with no Cache-Control: a
    browser keeps such responses in its cache on disk, beyond the app's token."""
    root = make_project(tmp_path)
    (root / "out" / "report").mkdir()
    (root / "out" / "report" / "report.html").write_text("<html></html>")
    (root / "out" / "report" / "summary.json").write_text('{"mode": "shared"}')
    client = local_client(create_app(root))
    for path in ("/", "/api/tables/audit/cost_by_agency", "/api/results/audit", "/api/run", "/report"):
        res = client.get(path)
        assert res.status_code == 200 and res.headers.get("cache-control") == "no-store", path


def test_reading_does_not_create_out_and_no_cdn_docs(tmp_path):
    (tmp_path / "carecase.yaml").write_text(CONFIG)
    client = local_client(create_app(tmp_path))
    assert client.get("/").status_code == 200
    assert client.get("/api/tables/audit").json() == []
    assert client.get("/report").status_code == 404
    assert not (tmp_path / "out").exists()  # a read-only project folder still works
    assert client.get("/docs").status_code == 404  # Swagger UI's scripts come from a CDN
    assert client.get("/redoc").status_code == 404


def test_cli_refuses_a_remote_bind_and_prints_the_url(tmp_path, monkeypatch):
    import uvicorn
    from typer.testing import CliRunner

    from carecase.cli import app

    served = []
    monkeypatch.setattr(uvicorn, "run", lambda application, **kw: served.append(kw))
    root = make_project(tmp_path)
    res = CliRunner().invoke(app, ["web", str(root), "--host", "0.0.0.0"])
    assert res.exit_code != 0 and "--allow-remote" in str(res.exception or res.output)
    assert served == []
    res = CliRunner().invoke(app, ["web", str(root), "--port", "8123"])
    assert res.exit_code == 0, res.output
    assert "http://127.0.0.1:8123/?token=" in res.output
    assert served == [{"host": "127.0.0.1", "port": 8123, "log_level": "warning"}]
    res = CliRunner().invoke(app, ["web", str(root), "--host", "0.0.0.0", "--allow-remote"])
    assert res.exit_code == 0 and served[-1]["host"] == "0.0.0.0"
    # given the project's carecase.yaml (as Project.open allows), it names the project folder
    res = CliRunner().invoke(app, ["web", str(root / "carecase.yaml")])
    assert res.exit_code == 0 and f"serving {root.resolve()}\n" in res.output


def test_a_run_that_cannot_open_the_project_does_not_stay_running(tmp_path):
    root = make_project(tmp_path)
    client = local_client(create_app(root))
    (root / "carecase.yaml").write_text("project: [broken")
    res = client.post("/api/run", json=["cba"])
    assert res.status_code == 400
    assert client.get("/api/run").json()["running"] is False


def test_a_table_is_read_only_as_far_as_the_limit(tmp_path, monkeypatch):
    """`?limit=1` read the whole Parquet file (a 10M-row link/events) to return one row;
    now only its first batch is read, and the rows are the same."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    project = make_project(tmp_path)
    pq.write_table(pa.table({"n": list(range(5000))}), project / "out" / "audit" / "big.parquet",
                   row_group_size=1000)
    client = local_client(create_app(project))
    assert client.get("/api/tables/audit/big?limit=3").json() == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert client.get("/api/tables/audit/big?limit=0").json() == []
    assert len(client.get("/api/tables/audit/big?limit=4500").json()) == 4500
    monkeypatch.setattr(pq, "read_table", lambda *a, **k: pytest.fail("read the whole table"))
    assert client.get("/api/tables/audit/big?limit=2").json() == [{"n": 0}, {"n": 1}]


def test_a_run_while_a_terminal_run_holds_the_project_is_a_409_and_the_page_says_so(tmp_path):
    """A terminal `carecase run` holds the project's run lock: a web run (even of the CBA
    alone, which never opens the store) is refused with a 409, not run beside it. While the
    terminal run lasts the page says so; once it ends the page shows its results as current.
    (The refused request was recorded as a failed run, and the page kept saying 'the results
    below are from earlier runs' about the terminal run's fresh results.)"""
    from carecase.core.runlock import RunInProgress, run_lock

    root = make_project(tmp_path)
    client = local_client(create_app(root), raise_server_exceptions=False)
    with run_lock(root):
        res = client.post("/api/run", json=["cba"])
        with pytest.raises(RunInProgress, match="Another carecase run is in progress"):
            with run_lock(root):
                pass
        during = client.get("/").text
    assert res.status_code == 409 and "Another carecase run is in progress" in res.json()["detail"]
    assert "Another carecase run is in progress</strong> on this project" in during
    assert "id='run-all' disabled" in during  # the page's run buttons wait for it
    after = client.get("/").text
    assert "The last run failed" not in after and "Another carecase run is in progress" not in after
    assert "id='run-all'>" in after
    with run_lock(root):  # released: it can be taken again
        pass


def test_the_page_shows_each_stage_s_caveats(tmp_path):
    """The CLI prints each stage's warnings and notes after its table; the page showed the
    headline only (no word of too few clusters, or of effects left out of the CBA)."""
    root = make_project(tmp_path)
    (root / "out" / "audit" / "summary.json").write_text(json.dumps(
        {"headline": "£1,234", "warnings": ["read the <b>intervals</b> as a lower bound"], "notes": ["a note"]}))
    page = local_client(create_app(root)).get("/").text
    assert "read the &lt;b&gt;intervals&lt;/b&gt; as a lower bound" in page and "a note" in page


def test_a_configuration_broken_while_the_app_runs_is_shown_not_a_500(tmp_path):
    root = make_project(tmp_path)
    client = local_client(create_app(root), raise_server_exceptions=False)
    (root / "carecase.yaml").write_text(CONFIG.replace("period_end", "period_ned"))
    page = client.get("/")
    assert page.status_code == 200 and "carecase.yaml cannot be used" in page.text and "period_ned" in page.text
    # one problem a line, as the CLI prints them (HTML ran them together into one line)
    assert "<br>  - project.period_end" in page.text and "<br>  - project.period_ned" in page.text
    assert "id='run-all' disabled" in page.text  # runs are refused until it is corrected
    assert client.get("/api/results/audit").json()["headline"].startswith("£1,234")
    assert client.head("/").status_code == 200


def test_tables_keep_dates_as_dates(tmp_path):
    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    root = make_project(tmp_path)
    pq.write_table(pa.table({"birth": [dt.date(1978, 9, 1)], "ratio": [float("inf")]}),
                   root / "out" / "audit" / "dates.parquet")
    rows = local_client(create_app(root)).get("/api/tables/audit/dates").json()
    assert rows == [{"birth": "1978-09-01", "ratio": None}]


def test_a_negative_limit_is_refused(tmp_path):
    client = local_client(create_app(make_project(tmp_path)))
    assert client.get("/api/tables/audit/cost_by_agency?limit=-5").status_code == 422
    assert client.get("/api/tables/audit/cost_by_agency?limit=1").json() == [{"agency_l1": "NHS", "cost": 1000.0}]


def test_the_report_row_names_a_newer_internal_report(tmp_path):
    """A run with report.mode: internal writes out/report/internal/, never served here: the
    page showed the older shared report's headline as if it were the latest."""
    import os

    root = make_project(tmp_path)
    shared, internal = root / "out" / "report", root / "out" / "report" / "internal"
    internal.mkdir(parents=True)
    (shared / "summary.json").write_text(json.dumps({"headline": "shared report: 27 tables"}))
    (internal / "summary.json").write_text(json.dumps({"headline": "internal report: 28 tables"}))
    os.utime(shared / "summary.json", (1_000_000_000, 1_000_000_000))
    page = local_client(create_app(root)).get("/").text
    assert "shared report: 27 tables — newer: internal report: 28 tables in out/report/internal/" in page
    os.utime(shared / "summary.json", None)  # a shared report written since: no note
    assert "newer:" not in local_client(create_app(root)).get("/").text
    (shared / "summary.json").unlink()  # only ever internal: no "report linked above" to speak of
    page = local_client(create_app(root)).get("/").text
    assert "linked above" not in page and "Open the report" not in page
    assert "not run (no shared report); an internal one was written: internal report: 28 tables" in page
    assert "set report.mode: shared and run the report stage" in page


def test_the_shared_report_s_workbook_and_pdf_can_be_downloaded_never_the_internal_one(tmp_path):
    """The app served report.html alone: the shared Excel workbook and PDF the report stage
    writes beside it could not be had from the app. The internal report is never served."""
    root = make_project(tmp_path)
    shared, internal = root / "out" / "report", root / "out" / "report" / "internal"
    internal.mkdir(parents=True)
    for folder, text in ((shared, b"shared"), (internal, b"INTERNAL")):
        for ext in ("html", "xlsx", "pdf"):
            (folder / f"report.{ext}").write_bytes(text + b" " + ext.encode())
        (folder / "summary.json").write_text(json.dumps({"mode": "shared" if text == b"shared" else "internal"}))
    client = local_client(create_app(root))
    page = client.get("/").text
    assert "href='/report'" in page and "href='/report.xlsx'" in page and "href='/report.pdf'" in page
    xlsx = client.get("/report.xlsx")
    assert xlsx.status_code == 200 and xlsx.content == b"shared xlsx"
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert 'filename="report.xlsx"' in xlsx.headers["content-disposition"]
    pdf = client.get("/report.pdf")
    assert pdf.status_code == 200 and pdf.content == b"shared pdf" and pdf.headers["content-type"] == "application/pdf"
    assert client.head("/report.pdf").status_code == 200
    for path in ("/report.html", "/report.csv", "/report.internal", "/internal/report.pdf"):
        assert client.get(path).status_code == 404, path
    (shared / "report.pdf").unlink()
    assert client.get("/report.pdf").status_code == 404
    assert "href='/report.pdf'" not in client.get("/").text


def test_an_unexpected_error_in_a_run_says_what_and_where_the_traceback_is(tmp_path, monkeypatch):
    """The page said only 'internal error (ValueError)': neither what went wrong nor where to
    look (the CLI prints the message and how to get the traceback)."""
    def broken(project, progress=None, only=None):
        raise ValueError("cannot convert float NaN to integer")

    monkeypatch.setattr(web_app, "run_all", broken)
    client = local_client(create_app(make_project(tmp_path)), raise_server_exceptions=False)
    assert client.post("/api/run", json=["cba"]).status_code == 500
    page = client.get("/").text
    assert "The last run failed" in page and "ValueError: cannot convert float NaN to integer" in page
    assert "the terminal running `carecase web` shows the traceback" in page


def test_a_page_load_does_not_refuse_a_terminal_run_that_starts_meanwhile(tmp_path):
    """Each page load asks is_held, which takes the project's run lock for an instant: a
    `carecase run` starting in that instant was refused ('Another carecase run is in
    progress') with no run in progress. Pages loading without pause stand in for the app."""
    import subprocess
    import sys
    import time

    from carecase.core.runlock import RunInProgress, run_lock

    root = make_project(tmp_path)
    with run_lock(root):  # creates .carecase.lock
        pass
    poller = subprocess.Popen([sys.executable, "-c", (
        "import sys; from carecase.core.runlock import is_held\n"
        f"print('ready', flush=True)\nwhile True: is_held({str(root)!r})")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert poller.stdout is not None and poller.stdout.readline().strip() == "ready"
        time.sleep(0.2)
        refused = 0
        for _ in range(300):
            try:
                with run_lock(root):
                    pass
            except RunInProgress:
                refused += 1
    finally:
        poller.kill()
        poller.wait(10)
    assert refused == 0


def test_the_report_row_says_when_stages_ran_after_the_report(tmp_path):
    """A run of the CBA alone (from the page or a terminal) left the page linking the report
    built on the earlier CBA, with nothing said."""
    import os

    root = make_project(tmp_path)
    (root / "out" / "report").mkdir()
    (root / "out" / "report" / "summary.json").write_text(json.dumps({"headline": "shared report: 27 tables"}))
    (root / "out" / "report" / "report.html").write_text("<html></html>")
    os.utime(root / "out" / "audit" / "summary.json", (1_000_000_000, 1_000_000_000))
    page = local_client(create_app(root)).get("/").text
    assert "older than" not in page
    os.utime(root / "out" / "audit" / "summary.json", None)
    os.utime(root / "out" / "report" / "summary.json", (1_000_000_000, 1_000_000_000))
    page = local_client(create_app(root)).get("/").text
    assert "shared report: 27 tables — older than the audit results run since: run the report stage" in page


def test_null_or_an_empty_body_runs_every_stage_as_the_readme_says(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(web_app, "run_all", lambda project, progress=None, only=None: calls.append(only) or {})
    client = local_client(create_app(make_project(tmp_path)))
    for body in (b"null", b"", b"  "):
        assert client.post("/api/run", content=body, headers={"content-type": "application/json"}).status_code == 200
    assert calls == [None, None, None]


def test_a_run_stopped_by_a_file_it_cannot_write_names_the_file_and_the_fix(tmp_path, monkeypatch):
    """out/report not writable (or the disk full): the page said 'unexpected error ...
    report it', as for a carecase bug."""
    import errno

    def unwritable(project, progress=None, only=None):
        raise PermissionError(errno.EACCES, "Permission denied", "/p/out/report/report.pdf")

    monkeypatch.setattr(web_app, "run_all", unwritable)
    client = local_client(create_app(make_project(tmp_path)), raise_server_exceptions=False)
    res = client.post("/api/run", json=["report"])
    assert res.status_code == 400
    assert res.json()["detail"].startswith("could not write or read /p/out/report/report.pdf: Permission denied")
    last = client.get("/api/run").json()["last"]
    assert last["ok"] is False and "unexpected error" not in last["error"] and "ls -l" in last["error"]


def test_the_openapi_schema_gives_each_operation_its_own_id(tmp_path):
    """/openapi.json without FastAPI's duplicate-ID warning: a route of GET and HEAD gave both
    the same operation ID. HEAD is still answered."""
    import warnings

    client = local_client(create_app(make_project(tmp_path)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        schema = client.get("/openapi.json").json()
    ids = [op["operationId"] for ops in schema["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids)) and "/report.{ext}" in schema["paths"]
    assert client.head("/report").status_code in (200, 404)
