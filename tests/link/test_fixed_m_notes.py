"""Levels whose m probability training could not estimate: one note each when one or two,
one line naming all of them when more (a project without names in its population register
printed 14 such notes on every run and in the report)."""

from __future__ import annotations

from carecase.link.linkage import fixed_m_notes


def _level(comparison: str, level: str, m: float = 0.0006) -> dict:
    return {"comparison": comparison, "level": level, "m": m, "candidate_profiles": 832}


def test_one_or_two_levels_keep_a_line_each() -> None:
    notes = fixed_m_notes([_level("dob", "one of day, month, year differs")])
    assert notes == ["dob 'one of day, month, year differs': no true match in training showed this level, so "
                     "its m probability is fixed at 0.0006, the Jeffreys estimate for none of 832 candidate profiles"]
    assert len(fixed_m_notes([_level("dob", "a"), _level("sex", "b")])) == 2
    assert fixed_m_notes([]) == []


def test_many_levels_make_one_line() -> None:
    levels = [_level("given_name", f"level {i}") for i in range(14)]
    notes = fixed_m_notes(levels)
    assert len(notes) == 1
    assert notes[0].startswith("14 comparison levels showed no true match in training")
    assert "given_name 'level 13' (0.0006)" in notes[0] and "832 candidate profiles" in notes[0]


def test_the_headline_names_a_source_that_links_much_worse_than_the_rest() -> None:
    """A 95.7% headline hid that police records were 43% linked (name-only records with no
    names in the population register)."""
    from carecase.link.stage import lowest_source

    by_source = {"ae": {"nhs_number": 800}, "police": {"probabilistic": 16, "unlinked": 21},
                 "housing": {"probabilistic": 14, "unlinked": 1}}
    assert lowest_source(by_source, 0.957) == "; lowest: police 43.2%"
    assert lowest_source({"ae": {"nhs_number": 800}, "gp": {"nhs_number": 99, "unlinked": 1}}, 0.999) == ""
    # temporary accommodation's records of people off the register are not a failure to link
    tacc = {"gp": {"nhs_number": 9000}, "tacc": {"nhs_number": 72, "unregistered": 28}}
    assert lowest_source(tacc, 0.99) == "; lowest: tacc 72.0% (28.0% people off the register)"
    assert lowest_source({}, 1.0) == ""
