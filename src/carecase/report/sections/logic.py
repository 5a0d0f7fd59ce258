"""Logic model: inputs → activities → outputs → outcomes → impacts, from
``report.logic_model``, drawn as an inline SVG with each outcome's indicator."""

from __future__ import annotations

import textwrap
from html import escape

from carecase.report.config import LogicModel
from carecase.report.content import Column, Diagram, Note, Paragraph, Section, Table
from carecase.report.sections.common import Context

COL_W, GAP, BOX_PAD, LINE_H, TOP = 168, 36, 8, 14, 40
WRAP = 24


def _box_lines(text: str, indicator: str | None) -> list[tuple[str, bool]]:
    lines = [(ln, False) for ln in textwrap.wrap(text, WRAP)]
    if indicator:
        lines += [(ln, True) for ln in textwrap.wrap(f"Indicator: {indicator}", WRAP + 4)]
    return lines


def logic_svg(model: LogicModel) -> str:
    """A deterministic SVG: five columns of boxes, arrows between columns."""
    columns: list[tuple[str, list[tuple[str, str | None]]]] = [
        ("Inputs", [(t, None) for t in model.inputs]),
        ("Activities", [(t, None) for t in model.activities]),
        ("Outputs", [(t, None) for t in model.outputs]),
        ("Outcomes", [(o.name, o.indicator) for o in model.outcomes]),
        ("Impacts", [(t, None) for t in model.impacts]),
    ]
    parts: list[str] = []
    heights = []
    for ci, (title, items) in enumerate(columns):
        x = ci * (COL_W + GAP)
        parts.append(f'<text x="{x + COL_W / 2:.0f}" y="20" text-anchor="middle" font-weight="bold" '
                     f'font-size="13">{escape(title)}</text>')
        y = TOP
        for text, indicator in items:
            lines = _box_lines(text, indicator)
            h = 2 * BOX_PAD + LINE_H * len(lines)
            fill = "#e8f0fa" if indicator is None else "#eaf5ea"
            parts.append(f'<rect x="{x}" y="{y}" width="{COL_W}" height="{h}" rx="6" fill="{fill}" '
                         f'stroke="#4f81bd"/>')
            for li, (ln, small) in enumerate(lines):
                style = ' font-size="10" fill="#2e6b2e" font-style="italic"' if small else ' font-size="11"'
                parts.append(f'<text x="{x + BOX_PAD}" y="{y + BOX_PAD + LINE_H * (li + 1) - 3}"{style}>'
                             f"{escape(ln)}</text>")
            y += h + 10
        heights.append(y)
        if ci < len(columns) - 1:
            ax = x + COL_W + 4
            parts.append(f'<line x1="{ax}" y1="{TOP + 20}" x2="{ax + GAP - 10}" y2="{TOP + 20}" stroke="#333" '
                         f'stroke-width="2" marker-end="url(#arrow)"/>')
    width = len(columns) * COL_W + (len(columns) - 1) * GAP
    height = max(heights + [TOP + 40])
    defs = ('<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" '
            'markerHeight="6" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#333"/></marker></defs>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
            f'role="img" aria-label="Logic model" font-family="sans-serif">{defs}' + "".join(parts) + "</svg>")


def logic_text(model: LogicModel) -> str:
    """The diagram in words, column by column (its text alternative)."""
    columns = [("Inputs", list(model.inputs)), ("Activities", list(model.activities)),
               ("Outputs", list(model.outputs)),
               ("Outcomes", [f"{o.name} (indicator: {o.indicator})" if o.indicator else o.name
                             for o in model.outcomes]),
               ("Impacts", list(model.impacts))]
    return " → ".join(f"{title}: {'; '.join(items) if items else 'none given'}." for title, items in columns)


def build(ctx: Context) -> Section:
    model = ctx.config.logic_model
    sec = Section("logic-model", "Logic model")
    if not any((model.inputs, model.activities, model.outputs, model.outcomes, model.impacts)):
        sec.blocks.append(Note("No logic model was given: add the programme's theory of change as "
                               "report.logic_model in carecase.yaml (inputs, activities, outputs, outcomes "
                               "with their indicators, impacts; docs/report.md)."))
        return sec
    sec.blocks.append(Paragraph("The programme's theory of change, as declared in the configuration "
                                "(report.logic_model). Each outcome is linked to the indicator that measures it."))
    sec.blocks.append(Diagram("diagram-logic-model", "Logic model", logic_svg(model), logic_text(model)))
    if model.outcomes:
        sec.blocks.append(Table("logic-outcomes", "Outcomes and their indicators",
                                [Column("outcome", "Outcome"), Column("indicator", "Indicator"),
                                 Column("reported_in", "Reported in")],
                                [{"outcome": o.name, "indicator": o.indicator,
                                  "reported_in": "Evaluation" if ctx.outs.has_stage("evaluate") else "not run"}
                                 for o in model.outcomes]))
    return sec
