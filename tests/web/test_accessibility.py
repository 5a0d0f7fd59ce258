"""The app's page as a screen reader and keyboard user meet it (WCAG 2.2 AA): its language,
a title naming the project, a main landmark, a stages table with a caption and headers, every
tick box named, and a status line that does not repeat itself."""

from __future__ import annotations

import json
import shutil
import subprocess
from html.parser import HTMLParser
from importlib import resources

import pytest

from carecase.web.app import create_app

from .test_app import local_client, make_project


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def test_the_page_has_a_language_title_landmark_and_table_headers(tmp_path) -> None:  # noqa: ANN001
    page = local_client(create_app(make_project(tmp_path))).get("/").text
    tags = _Tags()
    tags.feed(page)
    html = next(a for t, a in tags.tags if t == "html")
    assert html.get("lang") == "en-GB"
    assert "Web test area" in tags.title
    assert sum(t == "main" for t, _ in tags.tags) == 1 and sum(t == "h1" for t, _ in tags.tags) == 1
    assert "<caption>" in page
    heads = [a for t, a in tags.tags if t == "th"]
    assert [a.get("scope") for a in heads[:4]] == ["col"] * 4
    assert sum(a.get("scope") == "row" for a in heads) >= 5  # one per stage
    boxes = [a for t, a in tags.tags if t == "input" and a.get("type") == "checkbox"]
    assert boxes and all(a.get("aria-label", "").startswith("Run the ") for a in boxes)


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to run web/run.js")
def test_the_status_line_is_not_rewritten_with_the_same_progress(tmp_path) -> None:  # noqa: ANN001
    """The status line is a live region: progress polled each second was written again each
    second, and a screen reader may read each write out."""
    script = resources.files("carecase.web").joinpath("run.js").read_text(encoding="utf-8")
    harness = """
let writes = 0, text = '';
const out = {get textContent() { return text; }, set textContent(v) { writes += 1; text = v; }};
const form = {dataset: {running: '1'}, querySelectorAll: () => [], addEventListener: () => {}};
const runAll = {addEventListener: () => {}};
globalThis.document = {getElementById: (id) => ({run: form, 'run-status': out, 'run-all': runAll, 'run-error': {}})[id],
                       querySelectorAll: () => []};
globalThis.location = {reload: () => {}};
const ticks = [];
globalThis.setInterval = (f) => { ticks.push(f); return ticks.length; };
globalThis.clearInterval = () => {};
globalThis.fetch = async () => ({json: async () => ({running: true, stages: ['audit'], step: 'costing',
                                                     completed: 1, total: 4})});
""" + script + """
(async () => { for (let i = 0; i < 3; i++) { await ticks[0](); }
  console.log(JSON.stringify({writes, text})); })();
"""
    (tmp_path / "h.js").write_text(harness, encoding="utf-8")
    done = subprocess.run(["node", str(tmp_path / "h.js")], capture_output=True, text=True, timeout=30, check=True)
    said = json.loads(done.stdout)
    assert said["text"] == "Running audit: costing (1/4)…"
    assert said["writes"] == 1
