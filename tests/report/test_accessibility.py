"""The HTML report as a screen reader, keyboard and low-vision reader meet it (WCAG 2.2 AA,
the level the Public Sector Bodies Accessibility Regulations 2018 ask of a published report):
tables named and with row headers, every chart named, described and with its figures in text,
and a skip link past the contents."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from carecase.report import charts
from carecase.report.config import LogicModel
from carecase.report.content import Chart, Column, Diagram, Report, Section, Table
from carecase.report.html import CSS, render_html
from carecase.report.sections.logic import logic_text

# the module's tests on one xdist worker, so its shared fixture is built once, not on each
pytestmark = pytest.mark.xdist_group("report-accessibility")


class _Tree(HTMLParser):
    """Start tags with their attributes and the text inside each element with an id."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: dict[str, str] = {}
        self._open: list[tuple[str, str | None]] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.tags.append((tag, a))
        if tag in ("script", "style"):
            self._skip += 1
        if tag not in ("meta", "br", "input", "link"):
            self._open.append((tag, a.get("id")))
            if a.get("id"):
                self.text.setdefault(a["id"], "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1
        while self._open:
            if self._open.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        for _, i in self._open:
            if i:
                self.text[i] += data


def parse(html: str) -> _Tree:
    tree = _Tree()
    tree.feed(html)
    return tree


def _report() -> Report:
    rows = [{"agency": "NHS", "cost": 1200.0, "people": 10}, {"agency": "Police", "cost": 800.0, "people": 20}]
    table = Table("t-cost", "Cost by agency", [Column("agency", "Agency"), Column("cost", "Cost", "gbp"),
                                                Column("people", "People", "count", count=True, total=True)],
                  rows, note="Costs at 2024/25 prices.", total_row=True)
    table.totals = {"people": 30}
    with_table = Chart("chart-cost", "Cost by agency", charts.hbar("Cost by agency", rows, "agency", "cost"),
                       table="t-cost")
    cashflow = [{"year": y, "agency": a, "cumulative": v * y} for y in (0, 1) for a, v in (("NHS", -5.0), ("LA", 3.0))]
    alone = Chart("chart-flow", "Cumulative cash flow",
                  charts.lines("Cumulative cash flow", cashflow, "year", "cumulative", "agency"),
                  "Discounted at 3.5%.")
    diagram = Diagram("diagram-x", "Logic model", '<svg role="img" aria-label="Logic model"></svg>',
                      "Inputs: money. → Impacts: fewer crises.")
    return Report("Title", "Sub", "shared", [Section("one", "One", [table, with_table]),
                                             Section("two", "Two", [alone, diagram])], disclosure_note="note")


@pytest.fixture(scope="module")
def page() -> str:
    return render_html(_report())


def test_every_table_is_named_by_its_heading_and_described_by_its_note(page: str) -> None:
    tree = parse(page)
    tables = [a for t, a in tree.tags if t == "table"]
    assert tables
    for a in tables:
        name = tree.text.get(a.get("aria-labelledby", ""), "").strip() or a.get("aria-label", "")
        assert name, a
    first = tables[0]
    assert tree.text[first["aria-labelledby"]] == "Cost by agency"
    assert tree.text[first["aria-describedby"]] == "Costs at 2024/25 prices."


def test_a_tables_first_text_column_and_total_are_row_headers(page: str) -> None:
    table = page[page.index('aria-labelledby="t-cost"'):]
    table = table[: table.index("</table>")]
    assert '<th scope="row">NHS</th>' in table and '<th scope="row">Police</th>' in table
    assert '<th scope="row">Total</th>' in table
    assert "<td>Total</td>" not in table
    assert all('scope="col"' in th for th in re.findall(r"<thead>.*?</thead>", table))


def test_every_chart_is_named_and_its_figures_are_in_text(page: str) -> None:
    tree = parse(page)
    images = [a for t, a in tree.tags if a.get("role") == "img" and t == "div"]
    assert {a["id"] for a in images} == {"chart-cost", "chart-flow"}
    for a in images:
        assert tree.text[a["aria-labelledby"]].strip(), a  # the heading above it
    cost = next(a for a in images if a["id"] == "chart-cost")
    assert 'The figures are in the table <a href="#t-cost">' in page
    assert tree.text[cost["aria-describedby"]].strip() == "The figures are in the table Cost by agency."
    flow = next(a for a in images if a["id"] == "chart-flow")
    assert tree.text[flow["aria-describedby"]] == "Discounted at 3.5%."
    # no table of its own: the chart's data as a table under it, its numbers formatted as shown
    block = page[page.index('id="chart-flow"'):]
    block = block[: block.index("</figure>")]
    assert "<details" in block and '<th scope="col" class="num">cumulative</th>' in block
    assert '<th scope="row">1</th><td>LA</td><td class="num">£3</td>' in block


def test_a_diagram_has_its_content_as_text(page: str) -> None:
    block = page[page.index('id="diagram-x"'):]
    assert "Inputs: money. → Impacts: fewer crises." in block[: block.index("</figure>")]
    model = LogicModel(inputs=["money"], activities=["outreach"], outputs=[], outcomes=[], impacts=["fewer crises"])
    text = logic_text(model)
    assert text.startswith("Inputs: money. → Activities: outreach.") and "Outputs: none given." in text


def test_a_skip_link_jumps_past_the_contents_list(page: str) -> None:
    tree = parse(page)
    links = [a for t, a in tree.tags if t == "a"]
    assert links[0].get("class") == "skip-link" and links[0]["href"] == "#one"
    navs = [a for t, a in tree.tags if t == "nav"]
    assert navs and all(a.get("aria-label") for a in navs)
    assert ".skip-link:focus" in CSS


def test_the_page_names_its_language_and_title(page: str) -> None:
    tree = parse(page)
    assert ("html", {"lang": "en-GB"}) in tree.tags
    assert re.search(r"<title>Title</title>", page)
    assert sum(t == "h1" for t, _ in tree.tags) == 1


def test_the_fixture_reports_charts_each_point_to_a_table_or_carry_their_data(rendered: dict[str, Any]) -> None:
    html = Path(rendered["summary"]["files"]["html"]).read_text(encoding="utf-8")
    tree = parse(html)
    ids = {a.get("id") for _, a in tree.tags}
    for _, a in tree.tags:
        if a.get("role") == "img" and a.get("class") == "chart":
            block = html[html.index(f'id="{a["id"]}"'):]
            block = block[: block.index("</figure>")]
            linked = re.search(r'The figures are in the table <a href="#([^"]+)">', block)
            assert (linked and linked.group(1) in ids) or "<details" in block, a["id"]
    for _, a in tree.tags:
        if a.get("aria-labelledby"):
            assert all(i in ids for i in a["aria-labelledby"].split()), a


def test_the_top_of_the_report_links_to_the_glossary() -> None:
    """Abbreviations are explained in the closing glossary, not at first use: the top of the
    report says so and links to it (and does not where the report has no glossary)."""
    from carecase.report.content import Column, Report, Section, Table
    from carecase.report.html import render_html
    from carecase.report.sections.glossary import glossary

    other = Table("t", "A table", [Column("a", "A")], [{"a": "x"}])
    with_it = render_html(Report("R", "", "shared", [Section("s", "S", [other, glossary()])]))
    without = render_html(Report("R", "", "shared", [Section("s", "S", [other])]))
    assert '<a href="#glossary">glossary</a>' in with_it and 'id="glossary"' in with_it
    assert 'href="#glossary"' not in without


def test_a_hidden_cell_reads_as_hidden_not_as_its_symbol() -> None:
    """A screen reader met the symbol of a hidden cell and said "star" (docs/report.md listed it
    under "Not yet"). The symbol is now for the eye only (aria-hidden) and the cell's text for a
    screen reader is the word "hidden", in body cells and in the Total row alike; the title
    still gives the reason to a mouse user."""
    rows = [{"agency": "NHS", "people": 3}, {"agency": "Police", "people": 20}]
    table = Table("t-hid", "People by agency", [Column("agency", "Agency"),
                                                Column("people", "People", "count", count=True, total=True)],
                  rows, total_row=True)
    table.totals = {"people": 23}
    table.hidden = {(0, "people")}
    table.hidden_totals = {"people"}
    html = render_html(Report("Title", "Sub", "shared", [Section("one", "One", [table])]), symbol="*")
    cells = re.findall(r'<td class="num suppressed"[^>]*>(.*?)</td>', html)
    assert len(cells) == 2
    for cell in cells:
        assert cell == '<span aria-hidden="true">*</span><span class="visually-hidden">hidden</span>'
    start = html.index('<table aria-labelledby="t-hid"')
    spoken = re.sub(r'<span aria-hidden="true">[^<]*</span>', "", html[start:html.index("</table>", start)])
    assert "*" not in re.sub(r"<[^>]+>", " ", spoken) and "hidden" in spoken
    assert ".visually-hidden {" in CSS and "clip: rect(0 0 0 0)" in CSS
