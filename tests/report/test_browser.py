"""Open the HTML report in headless Chromium: no console error, no request leaves the file
(any network fetch fails the test), and every chart container holds a rendered SVG/canvas."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("chromium") is None and shutil.which("chromium-browser") is None,
                       reason="needs Chromium (make browser)"),
]

CHARTS_RENDERED = """() => Array.from(document.querySelectorAll('div.chart')).map(el => {
  const svg = el.querySelector('svg');
  const canvas = el.querySelector('canvas');
  return {id: el.id,
          marks: svg ? svg.querySelectorAll('path, rect, line, text, circle').length : 0,
          canvas: canvas ? canvas.width * canvas.height : 0};
})"""


@pytest.fixture(scope="module")
def browser():  # noqa: ANN201 - playwright Browser
    from playwright.sync_api import sync_playwright

    from carecase.report.pdf import find_chromium

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=find_chromium(), args=["--no-sandbox"])
        try:
            yield b
        finally:
            b.close()


def _open(browser, html: Path) -> tuple[list[str], list[str], list[dict]]:  # noqa: ANN001
    url = html.resolve().as_uri()
    errors: list[str] = []
    outside: list[str] = []
    page = browser.new_page()
    try:
        page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("requestfailed", lambda r: outside.append(r.url) if r.url != url else errors.append(r.url))

        def gate(route):  # noqa: ANN001 - playwright Route
            if route.request.url == url:
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        page.route("**/*", gate)
        page.goto(url, wait_until="load")
        page.wait_for_function("() => window.__carecaseChartsReady === true || "
                               "window.__carecaseChartsError !== undefined", timeout=60_000)
        assert page.evaluate("() => window.__carecaseChartsError || null") is None
        charts = page.evaluate(CHARTS_RENDERED)
    finally:
        page.close()
    return errors, outside, charts


def test_html_opens_offline_and_every_chart_renders(browser, rendered: dict) -> None:  # noqa: ANN001
    errors, outside, charts = _open(browser, Path(rendered["summary"]["files"]["html"]))
    assert errors == []
    assert outside == []
    assert len(charts) == rendered["summary"]["charts"] >= 12
    for c in charts:
        assert c["marks"] > 5 or c["canvas"] > 0, c["id"]


def test_browser_test_detects_network_fetch_and_console_error(browser, tmp_path: Path) -> None:  # noqa: ANN001
    """The harness itself must fail on a network fetch and a console error (not a vacuous test)."""
    html = tmp_path / "bad.html"
    html.write_text('<!DOCTYPE html><html><body><img src="https://example.org/x.png">'
                    '<script>console.error("boom"); window.__carecaseChartsReady = true;</script></body></html>')
    errors, outside, charts = _open(browser, html)
    assert any("example.org" in u for u in outside)
    assert any("boom" in e for e in errors)
    assert charts == []
