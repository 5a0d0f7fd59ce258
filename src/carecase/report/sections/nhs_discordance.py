"""The Data section's sentence on records whose NHS number may be someone else's
(``nhs_discordance`` in out/link/summary.json: carecase.link.discordance)."""

from __future__ import annotations

from typing import Any

import numpy as np

from carecase.report.config import SuppressionConfig
from carecase.report.content import Paragraph
from carecase.report.loaders import get
from carecase.report.suppression import primary_mask, round_to_base


def _count(n: int, cfg: SuppressionConfig, shared: bool) -> str:
    """A count as the report may show it: exact internally; in shared reports the suppression
    symbol for 1 to the threshold, else rounded to the rounding base (0 stays 0)."""
    if not shared:
        return f"{n:,}"
    if primary_mask(np.array([n]), cfg.threshold)[0]:
        return cfg.symbol
    return f"{int(round_to_base(np.array([n]), cfg.rounding_base)[0]):,}"


def paragraph(link: Any, cfg: SuppressionConfig, shared: bool) -> Paragraph | None:
    """How many records linked on an NHS number disagreed with the person's register record
    on date of birth and a name or sex (so may carry someone else's number), and what was done
    with them; None for a summary written before the check existed."""
    d = get(link, "nhs_discordance")
    if not isinstance(d, dict):
        return None
    checked, flagged = int(d.get("checked") or 0), int(d.get("flagged") or 0)
    if not checked:
        return Paragraph("No record linked on an NHS number could be checked against the person's other details "
                         "(none had a date of birth and a register record or another record to compare with).")
    head = (f"Records linked on an NHS number were checked against the person's register record (date of "
            f"birth, names, sex): of {_count(checked, cfg, shared)} checked, ")
    if not flagged:
        return Paragraph(head + "none disagreed on date of birth and a name or sex, as a record carrying someone "
                                "else's NHS number would.")
    what = ("were unlinked from the number and linked on name, date of birth and postcode instead"
            if d.get("unlinked") else "stay linked on the number (linkage.unlink_discordant: false)")
    return Paragraph(head + f"{_count(flagged, cfg, shared)} disagreed on date of birth and a name or sex, so may "
                     f"carry someone else's NHS number; they {what} and are listed for review in "
                     "out/link/nhs_number_discordance.csv.")
