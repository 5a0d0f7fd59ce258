"""The report's CBA paragraph names the outcomes discounted on the Green Book health schedule."""

from carecase.report.sections.cba import _health_note


def test_health_note_names_the_outcomes_and_the_rate() -> None:
    note = _health_note({"discounting": "standard", "health_outcomes": ["QALYs gained", "WELLBYs"]})
    assert "QALYs gained, WELLBYs" in note and "1.5%" in note and "health schedule" in note


def test_no_health_note_without_health_outcomes() -> None:
    assert _health_note({"discounting": "standard", "health_outcomes": []}) == ""
    assert _health_note({"discounting": "standard"}) == ""  # results.json written before the key
