"""Text alternatives for the HTML report's charts (WCAG 2.2, 1.1.1 and 1.3.1).

A chart is drawn as SVG by Vega: a screen reader hears its title, the description under it,
and where its figures are. A chart whose figures are in one of the report's tables points to
that table (``Chart.table``); any other chart carries its own data as a table in a collapsed
``<details>`` under it, formatted as the spec's ``usermeta.shown`` says (the values are the
spec's, which disclosure control has already rounded as shown: nothing is in the table that
is not in the page's source already).
"""

from __future__ import annotations

from typing import Any

import jinja2

from carecase.report.content import Chart, format_value

NUM = ' class="num"'


def _esc(text: Any) -> str:
    return str(jinja2.utils.markupsafe.escape(text))


def _fields(rows: list[dict[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for r in rows:
        seen.update(dict.fromkeys(r))
    return list(seen)


def data_table(chart: Chart) -> str:
    """The chart's data as an HTML table in a ``<details>``, or '' if the spec has none."""
    rows = (chart.spec.get("data") or {}).get("values") or []
    if not rows:
        return ""
    shown = (chart.spec.get("usermeta") or {}).get("shown") or {}
    fields = _fields(rows)
    head = "".join(f'<th scope="col"{NUM if f in shown else ""}>{_esc(f.replace("_", " "))}</th>'
                   for f in fields)
    body = []
    for r in rows:
        cells = []
        for i, f in enumerate(fields):
            fmt = shown.get(f, "num" if isinstance(r.get(f), float) else "text")
            text = _esc(format_value(r.get(f), fmt)) if f in r else ""
            if i == 0:
                cells.append(f'<th scope="row">{text}</th>')
            else:
                cells.append(f'<td{NUM if f in shown else ""}>{text}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<details class="chart-data"><summary>The figures in this chart as a table</summary>'
            f'<table aria-label="{_esc(chart.title)}: figures"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></details>')


def chart_block(chart: Chart, spec_json: str, table_titles: dict[str, str]) -> str:
    """A chart: heading, the drawing (an image named by its heading and described by the note
    under it), the note, and where its figures are to be read."""
    cid = _esc(chart.id)
    described = []
    note = ""
    if chart.description:
        note = f'<p class="chart-note" id="{cid}-note">{_esc(chart.description)}</p>'
        described.append(f"{cid}-note")
    if chart.table and chart.table in table_titles:
        where = (f'<p class="chart-note" id="{cid}-where">The figures are in the table '
                 f'<a href="#{_esc(chart.table)}">{_esc(table_titles[chart.table])}</a>.</p>')
        described.append(f"{cid}-where")
    else:
        where = data_table(chart)
    describedby = f' aria-describedby="{" ".join(described)}"' if described else ""
    return (f'<figure class="chart-block"><h3 id="{cid}-title">{_esc(chart.title)}</h3>'
            f'<div class="chart" id="{cid}" role="img" aria-labelledby="{cid}-title"{describedby}></div>'
            f'<script type="application/json" data-chart="{cid}">{spec_json}</script>'
            f"{note}{where}</figure>")
