"""The page's run buttons in headless Chromium, against the app served by uvicorn: ticking a
stage and pressing "Run the ticked stages" runs it (the same call as `carecase run --only`),
"Run every stage" runs them all, and a refused run says why. (The page offered no way to
run a stage, though it spoke of "runs from this page".)"""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time

import pytest

import carecase.web.app as web_app
from carecase.core.runlock import RunInProgress
from carecase.web.app import create_app

from .test_app import make_project

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("chromium") is None and shutil.which("chromium-browser") is None,
                       reason="needs Chromium (make browser)"),
]

TOKEN = "browser-test-token"


@pytest.fixture()
def served(tmp_path, monkeypatch):  # noqa: ANN201 - (url, project root, calls)
    import uvicorn

    root = make_project(tmp_path)
    calls: list[list[str] | None] = []
    release = threading.Event()

    def fake_run_all(project, progress=None, only=None):
        calls.append(only)
        if only == ["audit"]:  # a long run: until the test releases it
            progress.add_task("audit: costs by person", total=4)
            assert release.wait(30)
        if only == ["link"]:
            raise RunInProgress("Another carecase run is in progress on this project.")
        (root / "out" / "cba").mkdir(exist_ok=True)
        (root / "out" / "cba" / "summary.json").write_text(json.dumps({"headline": f"ran {only}"}))
        return {"cba": {"headline": "done"}}

    monkeypatch.setattr(web_app, "run_all", fake_run_all)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(root, token=TOKEN), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", root, calls, release
    finally:
        release.set()
        server.should_exit = True
        thread.join(10)


def test_the_page_runs_the_ticked_stages_or_every_stage(served):
    from playwright.sync_api import sync_playwright

    from carecase.report.pdf import find_chromium

    url, root, calls, _ = served
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=find_chromium(), args=["--no-sandbox"])
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{url}/?token={TOKEN}")
            page.click("#run button[type=submit]")  # nothing ticked: says so, runs nothing
            assert "Tick the stages to run" in page.text_content("#run-error")  # an alert
            assert calls == []
            page.check("input[name=stage][value=cba]")
            with page.expect_navigation():  # the page reloads when the run ends
                page.click("#run button[type=submit]")
            assert calls == [["cba"]]
            assert "ran ['cba']" in page.content()
            with page.expect_navigation():
                page.click("#run-all")
            assert calls[-1] is None and "ran None" in page.content()
            page.check("input[name=stage][value=link]")
            page.click("#run button[type=submit]")
            page.wait_for_function("() => document.getElementById('run-error').textContent.startsWith('Not run')")
            assert "Another carecase run is in progress" in page.text_content("#run-error")
            assert not page.is_disabled("#run-all")  # usable again
            assert errors == []
        finally:
            browser.close()


def test_a_page_opened_during_a_run_shows_its_progress_and_reloads_when_it_ends(served):
    """The page said 'reload when it ends' about a run started in another tab, and showed
    the step it was at when loaded, however long the run went on."""
    from playwright.sync_api import sync_playwright

    from carecase.report.pdf import find_chromium

    url, root, calls, release = served
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=find_chromium(), args=["--no-sandbox"])
        try:
            first, second = browser.new_page(), browser.new_page()
            first.goto(f"{url}/?token={TOKEN}")
            first.check("input[name=stage][value=audit]")
            first.click("#run button[type=submit]")
            first.wait_for_function("() => document.getElementById('run-status').textContent.includes('audit: costs')")
            # the clicked button keeps the keyboard focus while the run goes on (a disabled
            # button loses it, WCAG 2.4.3), marked aria-disabled
            assert first.evaluate("() => document.activeElement === document.querySelector('#run button[type=submit]')")
            assert first.get_attribute("#run button[type=submit]", "aria-disabled") == "true"
            second.goto(f"{url}/?token={TOKEN}")
            assert "A run is in progress" in second.content() and second.is_disabled("#run-all")
            second.wait_for_function("() => document.getElementById('run-status').textContent.includes('audit: costs')")
            with second.expect_navigation(timeout=15_000), first.expect_navigation(timeout=15_000):
                release.set()
            assert "A run is in progress" not in second.content() and not second.is_disabled("#run-all")
            assert "ran ['audit']" in second.content() and calls == [["audit"]]
        finally:
            browser.close()
