"""`carecase web --allow-remote` serves the shared report alone: an app bound beyond the
analyst's machine served every stage's unsuppressed results, the row-level tables
(link/people…) and runs to anyone on the network with the token. `--remote-full-access`
restores everything, on purpose."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

import carecase.web.app as web_app
from carecase.web.app import create_app

from .test_app import local_client, make_project
from .test_security import write_report

TOKEN = "t0ken"
REFUSED = ("/api/tables/link", "/api/tables/link/people", "/api/tables/audit/cost_by_agency",
           "/api/results/audit", "/api/results/report", "/api/stages", "/api/run", "/openapi.json")


def remote_project(tmp_path):
    """A project whose out/ holds a row-level link table, an audit summary with a small
    count, and a shared report beside an internal one."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    root = make_project(tmp_path)
    (root / "out" / "link").mkdir()
    pq.write_table(pa.table({"person_id": ["P-000123"], "birth": ["1978-09-01"]}),
                   root / "out" / "link" / "people.parquet")
    (root / "out" / "audit" / "summary.json").write_text(json.dumps(
        {"headline": "£1,234 across 3 people", "warnings": ["MH_INPATIENT (1 participant)"]}))
    write_report(root / "out" / "report" / "internal", "internal")
    write_report(root / "out" / "report", "shared")
    return root


def remote_client(app):
    """The app bound to every address, as a machine on the network reaches it."""
    return TestClient(app, base_url="http://10.1.2.3:8000", headers={"authorization": f"Bearer {TOKEN}"})


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.1.2.3", "analysis01.council.local"])
def test_a_remote_app_refuses_results_tables_and_runs_saying_why(tmp_path, monkeypatch, host):
    monkeypatch.setattr(web_app, "run_all", lambda *a, **k: pytest.fail("a run started"))
    app = create_app(remote_project(tmp_path), host=host, token=TOKEN)
    assert app.state.shared_only
    client = TestClient(app, base_url=f"http://{'[::1]' if host == '::' else host}:8000",
                        headers={"authorization": f"Bearer {TOKEN}"})
    responses = [client.get(path) for path in REFUSED]
    responses.append(client.post("/api/run", json=["cba"]))
    responses.append(client.post("/api/run", json=None))
    for res in responses:
        assert res.status_code == 403, res.request.url
        detail = res.json()["detail"]
        assert "serves the shared report alone" in detail and "row-level" in detail
        assert "127.0.0.1" in detail and "--remote-full-access" in detail  # how to get the rest
        assert "P-000123" not in res.text and "£1,234" not in res.text
        assert res.headers["cache-control"] == "no-store" and res.headers["x-frame-options"] == "DENY"
    assert client.get("/api/tables/link/people", headers={"authorization": "Bearer wrong"}).status_code == 401


def test_a_remote_app_serves_the_shared_report_and_a_page_with_nothing_else(tmp_path):
    client = remote_client(create_app(remote_project(tmp_path), host="0.0.0.0", token=TOKEN))
    assert client.get("/report").content == b"shared html"
    assert client.get("/report").headers["content-security-policy"].startswith("sandbox")
    assert client.get("/report.xlsx").content == b"shared xlsx"
    assert client.get("/report.pdf").content == b"shared pdf"
    assert client.head("/report.pdf").status_code == 200
    page = client.get("/")
    assert page.status_code == 200 and "Web test area" in page.text
    assert "href='/report'" in page.text and "href='/report.xlsx'" in page.text
    assert "serves the shared report alone" in page.text
    # no stage's headline or caveats (exact counts, small ones included), no run form, no
    # word of the internal report
    for text in ("£1,234", "MH_INPATIENT", "<form", "<script", "internal", "/api/"):
        assert text not in page.text, text
    assert page.headers["cache-control"] == "no-store"
    # the token in a page's URL still moves to the cookie
    fresh = TestClient(client.app, base_url="http://10.1.2.3:8000")
    first = fresh.get(f"/report?token={TOKEN}", follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/report"
    assert fresh.get("/report").content == b"shared html"


def test_a_remote_app_serves_no_internal_report_and_says_when_there_is_no_shared_one(tmp_path):
    root = remote_project(tmp_path)
    write_report(root / "out" / "report", "internal")  # an older carecase wrote it here
    client = remote_client(create_app(root, host="0.0.0.0", token=TOKEN))
    for path in ("/report", "/report.xlsx", "/report.pdf"):
        res = client.get(path)
        assert res.status_code == 404 and b"internal xlsx" not in res.content, path
    page = client.get("/").text
    assert "No shared report yet" in page and "href='/report" not in page


def test_a_remote_app_with_a_broken_configuration_shows_the_folder_name_not_the_error(tmp_path):
    """The local page quotes carecase.yaml's problems; the shared page does not."""
    root = remote_project(tmp_path)
    client = remote_client(create_app(root, host="0.0.0.0", token=TOKEN))
    (root / "carecase.yaml").write_text("project: [broken")
    page = client.get("/")
    assert page.status_code == 200 and "carecase.yaml" not in page.text and "broken" not in page.text
    assert "href='/report'" in page.text


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
def test_a_local_app_is_unchanged(tmp_path, monkeypatch, host):
    calls = []
    monkeypatch.setattr(web_app, "run_all", lambda project, progress=None, only=None: calls.append(only) or {})
    app = create_app(remote_project(tmp_path), host=host)
    assert not app.state.shared_only
    client = local_client(app)
    assert client.get("/api/tables/link").json() == ["people"]
    assert client.get("/api/tables/link/people").json() == [{"person_id": "P-000123", "birth": "1978-09-01"}]
    assert client.get("/api/results/audit").json()["headline"] == "£1,234 across 3 people"
    page = client.get("/").text
    assert "£1,234 across 3 people" in page and "<form id='run'" in page
    assert client.post("/api/run", json=["cba"]).status_code == 200 and calls == [["cba"]]
    assert client.get("/report").content == b"shared html"


def test_remote_full_access_serves_everything(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(web_app, "run_all", lambda project, progress=None, only=None: calls.append(only) or {})
    app = create_app(remote_project(tmp_path), host="0.0.0.0", token=TOKEN, remote_full_access=True)
    assert not app.state.shared_only
    client = remote_client(app)
    for path in REFUSED:
        assert client.get(path).status_code == 200, path
    assert client.get("/api/tables/link/people").json()[0]["person_id"] == "P-000123"
    assert "£1,234 across 3 people" in client.get("/").text
    assert client.post("/api/run", json=["cba"]).status_code == 200 and calls == [["cba"]]


def test_the_cli_serves_a_remote_bind_shared_only_unless_told_otherwise(tmp_path, monkeypatch):
    import uvicorn
    from typer.testing import CliRunner

    from carecase.cli import app

    served = []
    monkeypatch.setattr(uvicorn, "run", lambda application, **kw: served.append(application))
    root = remote_project(tmp_path)
    res = CliRunner().invoke(app, ["web", str(root), "--host", "0.0.0.0", "--allow-remote"])
    assert res.exit_code == 0, res.output
    assert served[-1].state.shared_only and "shared report only" in res.output
    res = CliRunner().invoke(app, ["web", str(root), "--host", "0.0.0.0", "--allow-remote",
                                   "--remote-full-access"])
    assert res.exit_code == 0, res.output
    assert not served[-1].state.shared_only and "FULL ACCESS on 0.0.0.0" in res.output
    res = CliRunner().invoke(app, ["web", str(root)])
    assert res.exit_code == 0 and not served[-1].state.shared_only
    assert "shared report only" not in res.output and "FULL ACCESS" not in res.output
    count = len(served)
    for args in (["--remote-full-access"], ["--host", "0.0.0.0", "--remote-full-access"]):
        res = CliRunner().invoke(app, ["web", str(root), *args])
        assert res.exit_code != 0 and len(served) == count, args
    assert "already serves everything" in str(CliRunner().invoke(
        app, ["web", str(root), "--remote-full-access"]).exception)


def test_web_help_states_the_modes_and_the_privacy_risk():
    from typer.testing import CliRunner

    from carecase.cli import app

    res = CliRunner().invoke(app, ["web", "--help"], env={"COLUMNS": "400", "NO_COLOR": "1"})
    assert res.exit_code == 0
    text = " ".join(res.output.replace("│", " ").split())
    assert "--remote-full-access" in text and "PRIVACY RISK" in text
    assert "row-level tables" in text and "serves the shared report alone" in text


def test_a_remote_app_without_a_report_names_no_folder(tmp_path):
    """With no report written, the local app says how to run the report stage, naming the
    project's folder; a remote reader is told only that the analyst has to run it."""
    import shutil

    root = remote_project(tmp_path)
    shutil.rmtree(root / "out" / "report")
    local = TestClient(create_app(root), base_url="http://127.0.0.1:8000")
    assert str(root) in local.get("/report").json()["detail"]
    res = remote_client(create_app(root, host="0.0.0.0", token=TOKEN)).get("/report")
    assert res.status_code == 404 and str(root) not in res.text and str(tmp_path) not in res.text
    assert "report.mode: shared" in res.json()["detail"]


@pytest.mark.parametrize("host", ["10.1.2.3:8000/report?", "10.1.2.3:8000/report#", "10.1.2.3:8000 /x",
                                  "10.1.2.3:8000\\report"])
def test_a_host_header_carrying_a_path_is_refused(tmp_path, monkeypatch, host):
    """Web review: with Starlette before 1.0.1, request.url was rebuilt from the Host header, so
    'Host: h:p/report?' made the shared-only guard read the path /report while the router
    served /api/tables/link/people (CVE-2026-48710). The guard now reads the routing path,
    and any Host that is more than a host and a port is refused on every bind."""
    monkeypatch.setattr(web_app, "run_all", lambda *a, **k: pytest.fail("a run started"))
    app = create_app(remote_project(tmp_path), host="0.0.0.0", token=TOKEN)
    client = remote_client(app)
    for res in (client.get("/api/tables/link/people", headers={"host": host}),
                client.post("/api/run", json=None, headers={"host": host})):
        assert res.status_code == 400 and "P-000123" not in res.text
    assert web_app.well_formed_host("[::1]:8000") and web_app.well_formed_host("analysis_01.council.local")
    assert not web_app.well_formed_host("10.1.2.3:8000/report?")
