"""The Data section says how many records linked on an NHS number disagreed with the person's
details (link.discordance: date of birth beyond a typo and a name or sex; Harron et al. 2017,
BMC Medical Research Methodology 17:23), suppressed in shared reports like other counts."""

from __future__ import annotations

from carecase.report.config import SuppressionConfig
from carecase.report.sections.nhs_discordance import paragraph

CFG = SuppressionConfig()


def _link(checked: int, flagged: int, unlinked: bool = False) -> dict:
    return {"nhs_discordance": {"checked": checked, "flagged": flagged, "unlinked": unlinked}}


def test_flagged_records_are_counted_and_small_counts_suppressed():
    internal = paragraph(_link(47, 3), CFG, shared=False)
    assert internal is not None and "of 47 checked, 3 disagreed" in internal.text
    assert "stay linked" in internal.text and "nhs_number_discordance.csv" in internal.text
    shared = paragraph(_link(47, 3), CFG, shared=True)
    assert shared is not None and "of 45 checked, * disagreed" in shared.text
    moved = paragraph(_link(120, 18, unlinked=True), CFG, shared=True)
    assert moved is not None and "20 disagreed" in moved.text and "were unlinked" in moved.text


def test_none_flagged_and_older_summaries():
    none = paragraph(_link(30, 0), CFG, shared=True)
    assert none is not None and "none disagreed" in none.text
    assert paragraph({}, CFG, shared=True) is None
