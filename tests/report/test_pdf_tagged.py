"""The PDF is printed tagged, with bookmarks (Playwright prints an untagged PDF by default:
a screen reader then reads it as one run of text, with no headings or tables)."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import pytest

from carecase.report import pdf


class _Page:
    def __init__(self, calls: dict[str, Any]) -> None:
        self.calls = calls

    def route(self, *_: Any) -> None: ...
    def goto(self, *_: Any, **__: Any) -> None: ...
    def wait_for_function(self, *_: Any, **__: Any) -> None: ...
    def emulate_media(self, **_: Any) -> None: ...

    def evaluate(self, *_: Any) -> None:
        return None

    def pdf(self, **kwargs: Any) -> bytes:
        self.calls.update(kwargs)
        return b"%PDF-1.4 fake"


def test_the_pdf_is_printed_tagged_with_an_outline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: dict[str, Any] = {}
    browser = types.SimpleNamespace(new_page=lambda: _Page(calls), close=lambda: None)
    chromium = types.SimpleNamespace(launch=lambda **_: browser)

    class _Playwright:
        def __enter__(self) -> Any:
            return types.SimpleNamespace(chromium=chromium)

        def __exit__(self, *_: Any) -> None:
            return None

    fake = types.ModuleType("playwright.sync_api")
    fake.sync_playwright = _Playwright  # type: ignore[attr-defined]
    fake.Error = RuntimeError  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "playwright.sync_api", fake)
    monkeypatch.setattr(pdf, "find_chromium", lambda configured=None: "/bin/true")
    html = tmp_path / "report.html"
    html.write_text("<!DOCTYPE html><html lang='en-GB'><title>t</title></html>", encoding="utf-8")
    out = pdf.html_to_pdf(html, tmp_path / "report.pdf")
    assert out.read_bytes() == b"%PDF-1.4 fake"
    assert calls["tagged"] is True and calls["outline"] is True
