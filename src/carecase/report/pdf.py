"""Print the HTML report to PDF with headless Chromium (Playwright, system browser).

The page is opened from the file (no network: every request other than the report file
itself is aborted), the printer waits until every Vega chart has rendered, then prints A4
with page numbers — and, for an internal report, the INTERNAL label on every page. The PDF
is tagged (its structure tree follows the HTML's headings, tables and lists) and has the
headings as bookmarks; its title is the page's ``<title>``.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from html import escape
from pathlib import Path

from carecase.core.errors import ReportError

CHART_TIMEOUT_MS = 60_000


def find_chromium(configured: str | None = None) -> str:
    """The Chromium executable: ``report.chromium`` if set, else chromium on PATH."""
    for candidate in (configured, "chromium", "chromium-browser", "google-chrome"):
        if candidate and (found := shutil.which(candidate)):
            return found
    raise ReportError(
        "No Chromium browser found for the PDF report. Install it (`make browser`, or "
        "`apt-get install chromium`), set report.chromium in carecase.yaml to its path, or "
        "leave 'pdf' out of report.formats."
    )


def _footer(label: str) -> str:
    text = f"{escape(label)} · " if label else ""
    return (f'<div style="font-size:8px;width:100%;text-align:center;color:#555;">{text}'
            'page <span class="pageNumber"></span> of <span class="totalPages"></span></div>')


def _header(label: str) -> str:
    if not label:
        return "<span></span>"
    return (f'<div style="font-size:9px;width:100%;text-align:center;color:#b00020;font-weight:bold;">'
            f"{escape(label)}</div>")


# Chromium writes /CreationDate and /ModDate as (D:YYYYMMDDHHmmSS+00'00'): fixed length, so a
# date of the same form can replace it without moving any byte the cross-reference table counts
_PDF_DATE = re.compile(rb"/(CreationDate|ModDate) \(D:\d{14}[^)]{0,7}\)")


def stamp_pdf_dates(pdf: bytes, when: dt.date) -> bytes:
    """``pdf`` with its creation and modification dates set to ``when`` (midnight UTC), so
    that the same inputs print the same bytes. A date of another form is left alone."""
    def fixed(m: re.Match[bytes]) -> bytes:
        new = b"/" + m.group(1) + b" (D:" + when.strftime("%Y%m%d").encode() + b"000000+00'00')"
        return new if len(new) == len(m.group(0)) else m.group(0)

    return _PDF_DATE.sub(fixed, pdf)


#: a tagged PDF's structure element ids, ``/ID (node00000118)``: Chromium numbers them by a
#: counter of the page's DOM nodes, which the charts' drawing moves from run to run
_NODE_ID = re.compile(rb"\((node)(\d{8})\)")


def stable_node_ids(pdf: bytes) -> bytes:
    """``pdf`` with its structure element ids renumbered 1, 2, 3… in their own order, so that
    the same report prints the same bytes (Chromium's counter gave node00000117 on one run and
    node00000119 on the next). The order is kept, so the ID name tree stays sorted, and each
    id keeps its length, so no byte offset moves."""
    found = sorted({int(m.group(2)) for m in _NODE_ID.finditer(pdf)})
    rank = {n: i + 1 for i, n in enumerate(found)}
    if not found or len(str(len(found))) > 8:
        return pdf
    return _NODE_ID.sub(lambda m: b"(node" + b"%08d" % rank[int(m.group(2))] + b")", pdf)


def html_to_pdf(html_path: Path, pdf_path: Path, label: str = "", chromium: str | None = None,
                dated: dt.date | None = None) -> Path:
    """Render ``html_path`` to ``pdf_path``; raise ReportError if a chart fails to render.

    ``dated``: the date written as the PDF's creation date (the report stage passes the end
    of the project period, so the file depends on its inputs only); Chromium's own clock
    time when None."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    exe = find_chromium(chromium)
    html_path, pdf_path = Path(html_path).resolve(), Path(pdf_path)
    url = html_path.as_uri()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=exe, args=["--no-sandbox", "--disable-gpu"])
            try:
                page = browser.new_page()
                page.route("**/*", lambda route: route.continue_() if route.request.url == url else route.abort())
                page.goto(url, wait_until="load")
                page.wait_for_function(
                    "() => window.__carecaseChartsReady === true || window.__carecaseChartsError !== undefined",
                    timeout=CHART_TIMEOUT_MS)
                error = page.evaluate("() => window.__carecaseChartsError || null")
                if error:
                    raise ReportError(f"{html_path}: a chart failed to render in Chromium ({error}); "
                                      "the PDF was not written. Check the chart specs (tests/report).")
                page.emulate_media(media="print")
                # tagged: headings, tables, lists and the <html lang> carried into the PDF's structure
                # tree, which screen readers read (Playwright's default is an untagged PDF);
                # outline: the headings as the PDF's bookmarks
                printed = page.pdf(format="A4", print_background=True, tagged=True, outline=True,
                                   display_header_footer=True, header_template=_header(label),
                                   footer_template=_footer(label),
                                   margin={"top": "16mm", "bottom": "16mm", "left": "12mm", "right": "12mm"})
            finally:
                browser.close()
        pdf_path.parent.mkdir(parents=True, exist_ok=True)
        printed = stable_node_ids(printed)
        pdf_path.write_bytes(printed if dated is None else stamp_pdf_dates(printed, dated))
    except PlaywrightError as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ReportError(f"Chromium ({exe}) could not print {html_path} to PDF: {first}. "
                          "Check the browser runs headless (`chromium --headless --version`).") from None
    return pdf_path
