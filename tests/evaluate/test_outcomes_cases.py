"""Outcome-measure changes and case-study suppression."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from carecase.evaluate.case_studies import suppress_counts
from carecase.evaluate.config import InstrumentConfig
from carecase.evaluate.outcomes import change_summary, instrument_changes


def _scores():
    rows = []
    for pid, base, follow in (("a", [1, 2, 3, 4, 5, 1, 2], [2, 2, 3, 4, 5, 1, 2]),
                              ("b", [3] * 7, [4] * 7), ("c", [5] * 7, [4] * 7)):
        for label, items in (("baseline", base), ("follow_up", follow)):
            rows += [{"person_id": pid, "instrument": "SWEMWBS", "assessment": label,
                      "assessment_date": None, "domain": f"item{j + 1}", "score": float(v)}
                     for j, v in enumerate(items)]
    return pd.DataFrame(rows)


def test_swemwbs_total_change_known_answer():
    """Raw totals: a 18→19, b 21→28, c 35→28; metric (Warwick table) a 17.43→17.98,
    b 19.25→25.03, c 35.00→25.03."""
    out = instrument_changes(_scores(), InstrumentConfig(name="SWEMWBS", scoring="swemwbs"))
    total = out[out["measure"] == "total"].iloc[0]
    changes = np.array([17.98 - 17.43, 25.03 - 19.25, 25.03 - 35.00])
    assert total["mean_change"] == pytest.approx(changes.mean())
    assert total["sd_change"] == pytest.approx(changes.std(ddof=1))
    assert (total["improved"], total["no_change"], total["worse"]) == (2, 0, 1)
    item1 = out[out["measure"] == "item1"].iloc[0]
    assert item1["mean_change"] == pytest.approx((1 + 1 - 1) / 3)


def test_lower_is_better_flips_direction():
    s = change_summary(np.array([5.0, 5, 5]), np.array([3.0, 5, 6]), higher_is_better=False)
    assert (s["improved"], s["no_change"], s["worse"]) == (1, 1, 1)


def test_scores_outside_scale_are_rejected():
    from carecase.core.errors import EvaluationError

    bad = _scores().assign(score=9.0)
    with pytest.raises(EvaluationError, match="outside"):
        instrument_changes(bad, InstrumentConfig(name="SWEMWBS", scoring="swemwbs"))


def test_eq5d_dimensions_improve_downwards_and_the_index_upwards(tmp_path):
    """EQ-5D-3L: level 1 is 'no problems', so 3 → 1 on mobility is an improvement, and the
    index (UK MVH TTO tariff, Dolan 1997, Med Care 35:1095: MO 2 −0.069, MO 3 −0.314,
    constant −0.081, N3 −0.269) rises from 1 − 0.081 − 0.314 − 0.269 = 0.336 to 1."""
    rows = [("MO", 2, 0.069), ("MO", 3, 0.314), ("constant", None, 0.081), ("N3", None, 0.269)]
    for dim in ("SC", "UA", "PD", "AD"):
        rows += [(dim, 2, 0.1), (dim, 3, 0.2)]
    path = tmp_path / "vs.csv"
    pd.DataFrame(rows, columns=["dimension", "level", "decrement"]).to_csv(path, index=False)
    scores = pd.DataFrame([
        {"person_id": p, "instrument": "EQ-5D", "assessment": a, "assessment_date": None,
         "domain": d, "score": float(3 if (a == "baseline" and d == "MO") else 1)}
        for p in ("a", "b", "c") for a in ("baseline", "follow_up") for d in ("MO", "SC", "UA", "PD", "AD")])
    out = instrument_changes(scores, InstrumentConfig(name="EQ-5D", scoring="eq5d", value_set=str(path),
                                                      scale_min=1, scale_max=3)).set_index("measure")
    assert (out.loc["MO", "improved"], out.loc["MO", "worse"]) == (3, 0)
    assert (out.loc["total", "improved"], out.loc["total", "worse"]) == (3, 0)
    assert out.loc["total", "mean_from"] == pytest.approx(1 - 0.081 - 0.314 - 0.269)


def test_an_instrument_or_assessment_not_in_the_scores_is_an_error():
    from carecase.core.errors import EvaluationError

    with pytest.raises(EvaluationError, match=r"no scores for it \(instruments found: 'SWEMWBS'\)"):
        instrument_changes(_scores(), InstrumentConfig(name="SWEMWBS ", scoring="swemwbs"))
    with pytest.raises(EvaluationError, match=r"assessment 'Follow_up'.*'baseline', 'follow_up'"):
        instrument_changes(_scores(), InstrumentConfig(name="SWEMWBS", scoring="swemwbs",
                                                       assessments=["baseline", "Follow_up"]))


def test_small_counts_suppressed():
    counts, flag = suppress_counts(pd.Series([0.0, 1, 7, 8, 30]), 8)
    assert counts.isna().tolist() == [False, True, True, False, False]
    assert flag.tolist() == [False, True, True, False, False]


def test_two_readings_at_one_assessment_use_the_earliest_not_their_mean():
    """Person b read twice at baseline (items 3 on 1 March, then 4 on 9 March): the items
    were averaged to 3.5 and SWEMWBS stopped ("items must be whole numbers"). The earliest
    reading is used, the result is the known answer above, and a note counts the people."""
    import datetime as dt

    s = _scores().assign(assessment_date=dt.date(2024, 3, 1))
    again = s[(s.person_id == "b") & (s.assessment == "baseline")].assign(score=4.0, assessment_date=dt.date(2024, 3, 9))
    notes: list[str] = []
    out = instrument_changes(pd.concat([again, s], ignore_index=True), InstrumentConfig(name="SWEMWBS", scoring="swemwbs"),
                             notes)
    total = out[out["measure"] == "total"].iloc[0]
    assert total["mean_change"] == pytest.approx(np.mean([17.98 - 17.43, 25.03 - 19.25, 25.03 - 35.00]))
    assert notes == ["SWEMWBS: 1 person has two or more readings at one assessment point (baseline 1); the "
                     "earliest sitting of each was used, all its items from that sitting. Keep one reading per "
                     "assessment, or give repeat readings their own assessment names."]


def test_repeat_readings_at_one_point_are_not_mixed_across_sittings():
    """Person b's baseline: a partial sitting on 28 February (item 1 only, score 1), then a
    full one on 1 March (all items 3). Taking each item's earliest reading made a total of
    1 + 3 × 6 = 19 from two sittings; the earliest sitting has no total (an item missing), so
    b is left out of the change in total, and counted (a and c as in the known answer)."""
    import datetime as dt

    s = _scores().assign(assessment_date=dt.date(2024, 3, 1))
    partial = s[(s.person_id == "b") & (s.assessment == "baseline") & (s.domain == "item1")].assign(
        score=1.0, assessment_date=dt.date(2024, 2, 28))
    notes: list[str] = []
    out = instrument_changes(pd.concat([s, partial], ignore_index=True),
                             InstrumentConfig(name="SWEMWBS", scoring="swemwbs"), notes)
    total = out[out["measure"] == "total"].iloc[0]
    assert total["n"] == 2
    assert total["mean_change"] == pytest.approx(np.mean([17.98 - 17.43, 25.03 - 35.00]))
    item1 = out[out["measure"] == "item1"].iloc[0]
    assert item1["n"] == 3 and item1["mean_change"] == pytest.approx((1 + 3 - 1) / 3)  # b: 1 -> 4
    assert any("1 person has two or more readings" in n for n in notes)
    assert any("not in the change in total" in n or "item missing" in n for n in notes), notes


def test_readings_at_an_unlisted_assessment_point_are_counted_not_dropped_in_silence():
    """Rows at a point the instrument does not list ('6m', 'Baseline') were dropped without a
    word (an error came only when none matched). Ingest quarantines them; scores it did not
    check (tables written by hand, assessments changed since ingest) are counted in a note."""
    s = _scores()
    extra = s[s.assessment == "baseline"].assign(assessment="6m")
    typo = s[(s.assessment == "baseline") & (s.person_id == "a")].assign(assessment="Baseline")
    notes: list[str] = []
    out = instrument_changes(pd.concat([s, extra, typo], ignore_index=True),
                             InstrumentConfig(name="SWEMWBS", scoring="swemwbs"), notes)
    assert out[out["measure"] == "total"].iloc[0]["n"] == 3  # the listed points, as before
    assert notes == ["SWEMWBS: 4 readings (person and assessment point) at '6m', 'Baseline', not among the "
                     "instrument's assessments (baseline, follow_up), were not used. Add the label to the "
                     "instrument's assessments in evaluation.instruments (in order), or correct the data."]
    clean: list[str] = []
    instrument_changes(s, InstrumentConfig(name="SWEMWBS", scoring="swemwbs"), clean)
    assert clean == []


def test_people_without_both_readings_or_a_total_are_counted_not_dropped_in_silence():
    """d was read at baseline only; e at both points but with item 3 unanswered at follow-up
    (no SWEMWBS total: it is not scored from incomplete items). Both were left out of the
    total's n (3) without a word; a note now counts them, and e stays in the other items' rows."""
    s = _scores()
    d = s[(s.person_id == "a") & (s.assessment == "baseline")].assign(person_id="d")
    e = s[s.person_id == "b"].assign(person_id="e")
    e = e[~((e.assessment == "follow_up") & (e.domain == "item3"))]
    notes: list[str] = []
    out = instrument_changes(pd.concat([s, d, e], ignore_index=True),
                             InstrumentConfig(name="SWEMWBS", scoring="swemwbs"), notes)
    n = out.set_index("measure")["n"]
    assert (n["total"], n["item1"], n["item3"]) == (3, 4, 3)
    assert notes == ["SWEMWBS: 2 of the 5 people with a reading at baseline or follow_up are not in the change "
                     "in total: 1 has no reading at follow_up; 1 has an item missing at one of them, so no total "
                     "(a total is not scored from incomplete items: none is imputed). Each domain's n counts "
                     "the people with that domain at both points."]
    clean: list[str] = []
    instrument_changes(s, InstrumentConfig(name="SWEMWBS", scoring="swemwbs"), clean)
    assert clean == []


def test_a_sitting_over_two_days_keeps_its_total_when_someone_else_has_a_repeat_reading():
    """c answered baseline items 1–3 on 1 March and 4–7 on 2 March: one reading an item, no
    repeat. b read item 1 twice at baseline (1 March, then again 5 March). Only b's repeat is
    a choice of sitting; c's items on 2 March were dropped as 'not the earliest sitting' because
    someone else had a repeat, leaving c with no total."""
    import datetime as dt

    s = _scores().assign(assessment_date=dt.date(2024, 3, 1))
    late = (s.person_id == "c") & (s.assessment == "baseline") & s.domain.isin([f"item{j}" for j in range(4, 8)])
    s.loc[late, "assessment_date"] = dt.date(2024, 3, 2)
    repeat = s[(s.person_id == "b") & (s.assessment == "baseline") & (s.domain == "item1")].assign(
        score=5.0, assessment_date=dt.date(2024, 3, 5))
    notes: list[str] = []
    out = instrument_changes(pd.concat([s, repeat], ignore_index=True),
                             InstrumentConfig(name="SWEMWBS", scoring="swemwbs"), notes)
    total = out[out["measure"] == "total"].iloc[0]
    assert total["n"] == 3  # a, b (its first sitting) and c
    assert total["mean_change"] == pytest.approx(np.mean([17.98 - 17.43, 25.03 - 19.25, 25.03 - 35.00]))
    assert not any("not in the change" in n for n in notes), notes
