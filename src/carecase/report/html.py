"""Render the content model as one self-contained HTML file that opens offline.

Vega, Vega-Lite and Vega-Embed come inline from ``vl_convert.javascript_bundle()`` (the same
versions vl-convert renders with); every chart spec is inline JSON. Nothing is fetched from
the network. When every chart has rendered, ``window.__carecaseChartsReady`` becomes true
(the PDF printer waits for it); a failure sets ``window.__carecaseChartsError``.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import jinja2

from carecase.report.chart_text import chart_block
from carecase.report.content import (
    Chart,
    Diagram,
    KeyFigures,
    Note,
    Paragraph,
    Report,
    Table,
    format_value,
)

CSS = """
:root { --ink:#1d2733; --muted:#5b6775; --accent:#005eb8; --line:#d5dbe3; }
* { box-sizing: border-box; }
body { font-family: "Segoe UI", Arial, Helvetica, sans-serif; color: var(--ink); margin: 0;
       line-height: 1.45; font-size: 14px; }
main { max-width: 980px; margin: 0 auto; padding: 16px 24px 48px; }
header.title { border-bottom: 4px solid var(--accent); margin-bottom: 12px; }
h1 { font-size: 26px; margin: 12px 0 4px; } h2 { font-size: 20px; margin-top: 32px;
  border-bottom: 1px solid var(--line); padding-bottom: 4px; color: var(--accent); }
h3 { font-size: 15px; margin: 18px 0 6px; }
.subtitle { color: var(--muted); margin: 0 0 10px; }
.internal-banner { background: #b00020; color: #fff; font-weight: bold; text-align: center;
  padding: 6px; letter-spacing: .02em; }
.disclosure { font-size: 12px; color: var(--muted); border-left: 3px solid var(--line); padding-left: 8px; }
nav.toc ol { columns: 2; font-size: 13px; }
nav.toc a { color: var(--accent); text-decoration: none; }
.figures { display: flex; flex-wrap: wrap; gap: 10px; margin: 10px 0; }
.figure { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; min-width: 150px;
  flex: 1 1 150px; break-inside: avoid; }
.figure .label { font-size: 12px; color: var(--muted); }
.figure .value { font-size: 20px; font-weight: bold; }
.figure .detail { font-size: 11px; color: var(--muted); }
table { border-collapse: collapse; width: 100%; margin: 6px 0 4px; font-size: 12.5px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 6px; text-align: left; vertical-align: top; }
th { background: #eef2f7; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tbody th, tfoot th { background: none; font-weight: normal; }
tfoot th { font-weight: bold; border-top: 2px solid var(--ink); }
td.suppressed { color: var(--muted); }
.visually-hidden { position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
tfoot td { font-weight: bold; border-top: 2px solid var(--ink); }
.table-note, .chart-note { font-size: 12px; color: var(--muted); margin: 2px 0 12px; }
.note { padding: 6px 10px; border-radius: 4px; margin: 8px 0; font-size: 13px; }
.note.not_run { background: #fff4e5; border-left: 4px solid #e08a00; }
.note.info { background: #eef5fc; border-left: 4px solid var(--accent); }
.note.warning { background: #fdecea; border-left: 4px solid #b00020; }
figure.chart-block { margin: 0; break-inside: avoid; page-break-inside: avoid; }
h3 { break-after: avoid; page-break-after: avoid; }
.chart { margin: 8px 0 16px; min-height: 60px; }
.diagram { margin: 8px 0 16px; break-inside: avoid; }
.vega-embed .vega-actions { display: none; }
.chart-data { font-size: 12px; margin: 0 0 12px; } .chart-data summary { color: var(--accent); cursor: pointer; }
.skip-link { position: absolute; left: 8px; top: -40px; background: #fff; color: var(--accent); padding: 6px 10px;
  border: 2px solid var(--accent); z-index: 10; }
.skip-link:focus { top: 8px; }
a:focus-visible, summary:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
@page { size: A4; margin: 14mm 12mm 16mm; }
@media print {
  body { font-size: 11.5px; } main { max-width: none; padding: 0; }
  nav.toc, .skip-link, .chart-data { display: none; } h2 { break-before: auto; break-after: avoid; }
  table { break-inside: auto; } tr { break-inside: avoid; } thead { display: table-header-group; }
  /* every printed page carries the label in its header and footer (see pdf.py) */
}
"""

TEMPLATE = """<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="carecase">
<title>{{ report.title }}</title>
<style>{{ css }}</style>
<script>{{ bundle }}</script>
</head>
<body data-mode="{{ report.mode }}">
{% if report.sections %}<a class="skip-link" href="#{{ report.sections[0].id }}">Skip the contents list</a>{% endif %}
{% if report.label %}<div class="internal-banner" role="note">{{ report.label }}</div>{% endif %}
<main>
<header class="title">
<h1>{{ report.title }}</h1>
{% if report.subtitle %}<p class="subtitle">{{ report.subtitle }}</p>{% endif %}
</header>
<p class="disclosure">{{ report.disclosure_note }}</p>
{% if glossary %}<p class="glossary-link">Abbreviations and terms (NPV, BCR, DiD, SMD, A&amp;E and others) are explained in the <a href="#{{ glossary }}">glossary</a> at the end.</p>{% endif %}
<nav class="toc" aria-label="Contents"><ol>{% for s in report.sections %}<li><a href="#{{ s.id }}">{{ s.title }}</a></li>{% endfor %}</ol></nav>
{% for s in report.sections %}
<section id="{{ s.id }}">
<h2>{{ s.title }}</h2>
{% for b in s.blocks %}{{ render(b) }}
{% endfor %}
</section>
{% endfor %}
</main>
<script>
(function () {
  var specs = document.querySelectorAll('script[type="application/json"][data-chart]');
  var jobs = [];
  specs.forEach(function (el) {
    var target = document.getElementById(el.getAttribute('data-chart'));
    var spec = JSON.parse(el.textContent);
    jobs.push(vegaEmbed(target, spec, {renderer: 'svg', actions: false}));
  });
  Promise.all(jobs).then(function () {
    // a chart with nothing to scale (every value missing) is drawn 1.8e308 px wide, and
    // Chromium's printer then never returns: report it as a chart error instead
    var bad = [];
    specs.forEach(function (el) {
      var svg = document.getElementById(el.getAttribute('data-chart')).querySelector('svg');
      var w = svg ? parseFloat(svg.getAttribute('width')) : 0, h = svg ? parseFloat(svg.getAttribute('height')) : 0;
      if (svg && !(isFinite(w) && isFinite(h) && w < 1e5 && h < 1e5)) { bad.push(el.getAttribute('data-chart')); }
    });
    if (bad.length) { window.__carecaseChartsError = 'no finite size (nothing to plot?): ' + bad.join(', '); }
    else { window.__carecaseChartsReady = true; }
  }, function (err) { window.__carecaseChartsError = String(err); console.error(err); });
})();
</script>
</body>
</html>
"""

_NUMERIC = {"int", "count", "gbp", "gbp2", "pct", "ratio", "factor", "num", "p"}


def _esc(text: Any) -> str:
    return str(jinja2.utils.markupsafe.escape(text))


def _json_for_script(spec: dict[str, Any]) -> str:
    text = json.dumps(spec, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


#: what a screen reader says for a hidden cell, in place of the symbol ("star")
HIDDEN_WORD = "hidden"
HIDDEN_TITLE = "hidden by disclosure control: a small number, or a figure of any size that would give one back"


def _hidden_cell(symbol: str) -> str:
    """A cell hidden by disclosure control: the symbol for the eye (hidden from screen readers),
    the word "hidden" for a screen reader (visually hidden), the reason as its title."""
    return (f'<td class="num suppressed" title="{HIDDEN_TITLE}"><span aria-hidden="true">{_esc(symbol)}</span>'
            f'<span class="visually-hidden">{HIDDEN_WORD}</span></td>')


def _table(t: Table, symbol: str) -> str:
    """A table named by its heading (and described by its note); where its first column is
    text, each row's first cell is that row's header (WCAG 1.3.1)."""
    cls = {c.key: "num" if c.fmt in _NUMERIC else "" for c in t.columns}
    row_key = t.columns[0].key if t.columns and t.columns[0].fmt == "text" else None
    head = "".join(f'<th class="{cls[c.key]}" scope="col">{_esc(c.label)}</th>' for c in t.columns)
    body = []
    for r in range(len(t.rows)):
        cells = []
        for c in t.columns:
            value, hidden = t.cell(r, c.key)
            if hidden:
                cells.append(_hidden_cell(symbol))
            elif c.key == row_key:
                cells.append(f'<th scope="row">{_esc(format_value(value, c.fmt))}</th>')
            else:
                cells.append(f'<td class="{cls[c.key]}">{_esc(format_value(value, c.fmt))}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    foot = ""
    if t.totals is not None:
        cells = []
        for i, c in enumerate(t.columns):
            if c.key in t.hidden_totals:
                cells.append(_hidden_cell(symbol))
            elif c.key in t.totals:
                cells.append(f'<td class="num">{_esc(format_value(t.totals[c.key], c.fmt))}</td>')
            else:
                cells.append('<th scope="row">Total</th>' if i == 0 else "<td></td>")
        foot = "<tfoot><tr>" + "".join(cells) + "</tr></tfoot>"
    tid = _esc(t.id)
    note = f'<p class="table-note" id="{tid}-note">{_esc(t.note)}</p>' if t.note else ""
    if not t.rows:
        return f'<h3 id="{tid}">{_esc(t.title)}</h3><p class="table-note">No rows.</p>{note}'
    described = f' aria-describedby="{tid}-note"' if t.note else ""
    return (f'<h3 id="{tid}">{_esc(t.title)}</h3><table aria-labelledby="{tid}"{described}><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody>{foot}</table>{note}')


def _block(b: Any, symbol: str, table_titles: dict[str, str]) -> str:
    if isinstance(b, Paragraph):
        return f"<p>{_esc(b.text)}</p>"
    if isinstance(b, Note):
        return f'<div class="note {b.kind}">{_esc(b.text)}</div>'
    if isinstance(b, KeyFigures):
        items = "".join(
            f'<div class="figure"><div class="label">{_esc(f.label)}</div>'
            f'<div class="value">{_esc(format_value(f.value, f.fmt))}</div>'
            f'<div class="detail">{_esc(f.detail)}</div></div>'
            for f in b.items)
        return f'<div class="figures">{items}</div>'
    if isinstance(b, Table):
        return _table(b, symbol)
    if isinstance(b, Chart):
        return chart_block(b, _json_for_script(b.spec), table_titles)
    if isinstance(b, Diagram):
        text = ""
        if b.description:  # the diagram's content in words: its SVG is one image to a screen reader
            text = (f'<details class="chart-data"><summary>The diagram as text</summary>'
                    f'<p id="{_esc(b.id)}-text">{_esc(b.description)}</p></details>')
        return (f'<figure class="chart-block"><h3>'
                f'{_esc(b.title)}</h3><div class="diagram" id="{_esc(b.id)}">{b.svg}</div>{text}</figure>')
    raise TypeError(f"unknown block {type(b).__name__}")  # pragma: no cover - programming error


@functools.lru_cache(maxsize=1)
def vega_bundle() -> str:
    """Vega + Vega-Lite + Vega-Embed as one script (from vl-convert), safe inside <script>."""
    import vl_convert

    bundle: str = vl_convert.javascript_bundle()  # type: ignore[call-arg]  # snippet is optional
    return bundle.replace("</script", "<\\/script")


#: the glossary table's id (report/sections/glossary.py): the top of the report links to it
GLOSSARY_ID = "glossary"


def render_html(report: Report, symbol: str = "*") -> str:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    tmpl = env.from_string(TEMPLATE)
    titles = {t.id: t.title for t in report.tables() if t.rows}
    return tmpl.render(
        report=report,
        glossary=GLOSSARY_ID if GLOSSARY_ID in titles else None,  # abbreviations are explained there
        css=jinja2.utils.markupsafe.Markup(CSS),
        bundle=jinja2.utils.markupsafe.Markup(vega_bundle()),
        render=lambda b: jinja2.utils.markupsafe.Markup(_block(b, symbol, titles)),
    )
