"""What the app serves, to whom, and with which headers (web/security.py)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from urllib.parse import quote

import pytest

import carecase.web.app as web_app
from carecase.web.app import create_app
from carecase.web.page import RUN_SCRIPT, STYLE

from .test_app import local_client, make_project


def write_report(folder, mode):
    folder.mkdir(parents=True, exist_ok=True)
    for ext in ("html", "xlsx", "pdf"):
        (folder / f"report.{ext}").write_bytes(f"{mode} {ext}".encode())
    (folder / "summary.json").write_text(json.dumps({"headline": f"{mode} report", "mode": mode}))


def digest(text):
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_the_report_runs_sandboxed_and_the_page_runs_its_own_script_alone(tmp_path):
    """The report (the Vega bundle and chart specs inline) ran in the app's own origin, with
    the cookie: any script in it could read /api/tables' row-level rows. No response said
    whether it may be framed (a page on another port of 127.0.0.1 is same-site, so it gets the
    cookie), nor which scripts may run."""
    root = make_project(tmp_path)
    write_report(root / "out" / "report", "shared")
    client = local_client(create_app(root))
    report = client.get("/report")
    assert report.status_code == 200
    csp = report.headers["content-security-policy"]
    assert csp.startswith("sandbox allow-scripts") and "allow-same-origin" not in csp
    assert "connect-src 'none'" in csp and "frame-ancestors 'none'" in csp
    page = client.get("/").headers["content-security-policy"]
    assert f"script-src {digest(RUN_SCRIPT)};" in page and f"style-src {digest(STYLE)};" in page
    assert "unsafe-inline" not in page and "frame-ancestors 'none'" in page
    assert f"<script>{RUN_SCRIPT}</script>" in client.get("/").text  # what the hash is of
    for path in ("/", "/report", "/report.pdf", "/api/results/audit", "/api/tables/audit/cost_by_agency",
                 "/api/run", "/api/results/nonsense"):
        res = client.get(path)
        assert res.headers["x-frame-options"] == "DENY", path
        assert res.headers["x-content-type-options"] == "nosniff", path
        assert "frame-ancestors 'none'" in res.headers["content-security-policy"], path
        assert res.headers["cross-origin-resource-policy"] == "same-origin", path
    assert client.get("/api/tables/audit").headers["content-security-policy"].startswith("default-src 'none'")


def test_an_internal_report_left_in_out_report_is_never_served(tmp_path):
    """carecase before out/report/internal/ wrote an internal (unsuppressed) report over the
    shared one in out/report/: the app served it at /report, /report.xlsx and /report.pdf as the
    report to share. Only a report whose summary.json says mode: shared is served."""
    root = make_project(tmp_path)
    write_report(root / "out" / "report", "internal")
    client = local_client(create_app(root))
    for path in ("/report", "/report.xlsx", "/report.pdf"):
        res = client.get(path)
        assert res.status_code == 404 and "not the shared report" in res.json()["detail"], path
        assert b"internal" not in res.content.replace(b"an internal report", b""), path
    page = client.get("/").text
    assert "href='/report" not in page and "not served" in page
    (root / "out" / "report" / "summary.json").unlink()  # no summary: not known to be shared
    assert client.get("/report").status_code == 404
    write_report(root / "out" / "report", "shared")
    assert client.get("/report").content == b"shared html"
    assert "href='/report'" in client.get("/").text


@pytest.mark.skipif(not hasattr(os, "symlink") or os.name == "nt", reason="symbolic links")
def test_a_link_in_out_to_a_file_elsewhere_is_not_served(tmp_path):
    """A table or report file that is a symbolic link was followed: to the internal report, or
    to any Parquet file the user running the app can read."""
    (tmp_path / "project").mkdir()
    root = make_project(tmp_path / "project")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (root / "out" / "audit" / "cost_by_agency.parquet").rename(elsewhere / "secret.parquet")
    (root / "out" / "audit" / "leak.parquet").symlink_to(elsewhere / "secret.parquet")
    report = root / "out" / "report"
    write_report(report / "internal", "internal")
    write_report(report, "shared")
    (report / "report.pdf").unlink()
    (report / "report.pdf").symlink_to(report / "internal" / "report.pdf")
    client = local_client(create_app(root))
    assert client.get("/api/tables/audit").json() == []
    assert client.get("/api/tables/audit/leak").status_code == 404
    assert client.get("/report.pdf").status_code == 404
    assert client.get("/report").content == b"shared html"
    # a stage folder that is itself a link (out/ kept on another drive) still serves its own files
    (root / "out" / "link").symlink_to(elsewhere, target_is_directory=True)
    assert client.get("/api/tables/link").json() == ["secret"]
    assert client.get("/api/tables/link/secret").status_code == 200
    # nor a stage's summary.json (web review: /api/results/costs served a JSON file outside the
    # project), nor the shared report's, which says whether the report is shared
    (elsewhere / "outside.json").write_text('{"secret": "S3CRET-VALUE"}')
    (root / "out" / "costs").mkdir()
    (root / "out" / "costs" / "summary.json").symlink_to(elsewhere / "outside.json")
    res = client.get("/api/results/costs")
    assert res.status_code == 500 and "S3CRET" not in res.text and "not a plain file" in res.text
    (report / "summary.json").rename(elsewhere / "report_summary.json")
    (report / "summary.json").symlink_to(elsewhere / "report_summary.json")
    assert client.get("/report").status_code == 404


@pytest.mark.parametrize("table", ["..", "a\\..\\..\\b", "\\\\server\\share\\x", "D:x", "C:\\x", ".hidden",
                                   "cost_by_agency.parquet", "cost_by_agency\x00"])
def test_a_table_name_is_never_joined_to_a_path(tmp_path, monkeypatch, table):
    """On Windows a name such as D:x or \\\\server\\share\\x joined to out/STAGE/ leaves the
    folder (the latter makes the machine sign in to that server): only a name /api/tables
    lists is read."""
    import pyarrow.parquet as pq

    opened = []
    monkeypatch.setattr(pq, "ParquetFile", lambda path, *a, **k: opened.append(path) or pytest.fail(path))
    client = local_client(create_app(make_project(tmp_path)))
    assert client.get("/api/tables/audit/" + quote(table, safe="")).status_code == 404
    assert opened == []


def test_a_run_from_another_origin_is_refused(tmp_path, monkeypatch):
    """A page on another port of 127.0.0.1 (a notebook, another local app) is same-site: the
    SameSite cookie goes with its requests. A run is started only from the app's own origin."""
    calls = []
    monkeypatch.setattr(web_app, "run_all", lambda project, progress=None, only=None: calls.append(only) or {})
    client = local_client(create_app(make_project(tmp_path), token="t0ken"),
                          headers={"authorization": "Bearer t0ken"})
    for origin in ("http://127.0.0.1:9999", "http://attacker.example", "null", "https://127.0.0.1:8000"):
        res = client.post("/api/run", json=["cba"], headers={"origin": origin})
        assert res.status_code == 403 and "Cross-origin" in res.json()["detail"], origin
    assert calls == []
    assert client.post("/api/run", json=["cba"], headers={"origin": "http://127.0.0.1:8000"}).status_code == 200
    assert client.post("/api/run", json=["cba"]).status_code == 200  # no Origin: not a cross-origin page
    assert calls == [["cba"], ["cba"]]


def test_the_token_leaves_a_page_s_url(tmp_path):
    root = make_project(tmp_path)
    write_report(root / "out" / "report", "shared")
    client = local_client(create_app(root, token="t0ken"))
    res = client.get("/report?token=t0ken&x=1", follow_redirects=False)
    assert res.status_code == 303 and res.headers["location"] == "/report?x=1" and "set-cookie" in res.headers
    assert client.get("/report").content == b"shared html"
    # an API URL given the token is answered, not redirected (a script may use ?token=)
    assert client.get("/api/stages?token=t0ken", follow_redirects=False).status_code == 200


def test_an_unexpected_error_is_a_plain_500_with_the_headers_every_response_carries(tmp_path, monkeypatch):
    """An exception no route handles was answered by Starlette's ServerErrorMiddleware,
    outside the app's guard: no Content-Security-Policy, X-Frame-Options or no-store (a
    browser could keep it, frame it), and no word of where the traceback is. Now it is a
    plain message that names none of the exception's text (a row's value, as here); the
    exception still reaches the server, whose log keeps the traceback."""
    app = create_app(make_project(tmp_path))

    @app.get("/api/boom")
    def boom() -> None:
        raise ValueError("invalid literal for int(): 'NHS 943 476 5919'")

    def broken(folder):
        raise KeyError("person_id 'P-000123'")

    monkeypatch.setattr(web_app, "table_paths", broken)  # a dependency of a real route
    client = local_client(app, raise_server_exceptions=False)
    for path in ("/api/boom", "/api/tables/audit"):
        res = client.get(path)
        assert res.status_code == 500, path
        for name, value in web_app.HEADERS.items():
            assert res.headers.get(name) == value, (path, name)
        detail = res.json()["detail"]
        assert "terminal running `carecase web`" in detail, path
        assert "943" not in res.text and "P-000123" not in res.text and "Error" not in res.text, path
    with pytest.raises(ValueError, match="NHS 943"):  # the server sees it, and logs its traceback
        local_client(app).get("/api/boom")
