"""Which of the cost-benefit model's inputs were taken from the evaluation (read from
out/cba/results.json's assumptions register): the CBA section withholds its results where
one of them is hidden, and the evaluation's tables choose their complements to keep them."""

from __future__ import annotations

import re
from typing import Any

from carecase.report.loaders import get, named_items
from carecase.report.sections.windows import window_label

# an input taken from the evaluation (carecase.cba.from_evaluation): "AE_ATTEND: evaluated
# effect (post_0_12): …", source "carecase evaluate effects.json, window post_0_12, …"
EVALUATED_LABEL = re.compile(r"evaluated effect \(([^)]+)\)")
EVALUATED_SOURCE = re.compile(r"evaluate effects\.json, window ([^,:;\s]+)")


def evaluated_window(item: dict[str, Any]) -> str | None:
    """The evaluation window an assumption's value was taken from ('' when it comes from the
    evaluation without a window named); None for any other input."""
    m = EVALUATED_LABEL.search(str(get(item, "label", "name", default="")))
    m = m or EVALUATED_SOURCE.search(str(get(item, "source", default="")))
    if m:
        return m.group(1)
    return "" if "carecase evaluate" in str(get(item, "source", default="")) else None


def evaluated_items(results: dict[str, Any] | None) -> list[tuple[int, str, str]]:
    """(index in ``named_items`` order, service, window label or '') of each assumption whose
    value was taken from the evaluation."""
    out = []
    for i, item in enumerate(named_items(get(results, "assumptions"), "name") if results else []):
        w = evaluated_window(item)
        if w is not None:
            service = str(get(item, "label", "name", default="")).split(":", 1)[0].strip()
            out.append((i, service, window_label(w) if w else ""))
    return out


def evaluated_rows(results: dict[str, Any] | None) -> set[tuple[str, str, str]]:
    """(window label, 'service', service) of the evaluation's rows the CBA takes an input from
    (inputs naming no window are left out: no row of the tables is theirs)."""
    return {(window, "service", service) for _, service, window in evaluated_items(results) if window and service}
