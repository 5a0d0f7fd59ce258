"""Propensity covariates: the base set is the rich set without its extra columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from carecase.core.random import generator
from carecase.evaluate import features

SERVICES = ["AE_ATTEND", "GP_APPT", "MH_INPATIENT"]


def _inputs(seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    rng = generator(seed)
    n_people, n_rows = 40, 120
    people = pd.DataFrame({
        "person_id": [f"p{i}" for i in range(n_people)],
        "birth_date": pd.to_datetime("1950-01-01") + pd.to_timedelta(rng.integers(0, 20000, n_people), "D"),
        "sex": rng.choice(["F", "M", None], n_people),
        "deprivation_decile": rng.choice([1.0, 5.0, 10.0, np.nan], n_people),
        "frailty": rng.normal(size=n_people),
    })
    rows = pd.DataFrame({
        "row_id": rng.permutation(n_rows),
        "person_id": [f"p{i}" for i in rng.integers(0, n_people, n_rows)],
        "index_date": pd.to_datetime("2022-01-01") + pd.to_timedelta(rng.integers(0, 700, n_rows), "D"),
    })
    cells = [(r, w, s) for r in range(n_rows) for w in ("pre", "last3", "last1", "hist") for s in SERVICES]
    pick = rng.random(len(cells)) < 0.3
    amounts = pd.DataFrame([c for c, keep in zip(cells, pick, strict=True) if keep],
                           columns=["row_id", "window", "service_code"])
    for col in ("events", "units", "cost"):
        amounts[col] = rng.poisson(3.0, len(amounts)).astype(float)
    return rows, people, amounts


@pytest.mark.parametrize("history", [False, True])
@pytest.mark.parametrize("seed", [1, 2])
def test_base_covariates_equal_the_base_level_computed_on_its_own(seed, history):
    rows, people, amounts = _inputs(seed)
    rich = features.covariates(rows, people, amounts, 12, SERVICES, ["frailty"], features.RICH, history)
    base = features.covariates(rows, people, amounts, 12, SERVICES, ["frailty"], features.BASE, history)
    assert rich.shape[1] > base.shape[1]
    pd.testing.assert_frame_equal(features.base_covariates(rich, SERVICES), base)


def test_spell_services_count_spells_or_their_units_as_configured():
    """MH_INPATIENT is a spell service (bed days), A&E a point service: ``spell_measure``
    changes what the spell service's covariates count and leaves the point service alone."""
    rows, people, amounts = _inputs(3)
    frames = {m: features.covariates(rows, people, amounts, 12, SERVICES, [], features.RICH,
                                     spell_measure=m) for m in ("units", "events")}
    pre = amounts[(amounts["window"] == "pre") & (amounts["service_code"] == "MH_INPATIENT")]
    for measure, frame in frames.items():
        expected = np.log1p(pre.set_index("row_id")[measure]).reindex(frame.index, fill_value=0.0)
        np.testing.assert_array_equal(frame["pre_MH_INPATIENT"].to_numpy(), expected.to_numpy())
    assert not np.array_equal(frames["units"]["last3_MH_INPATIENT"], frames["events"]["last3_MH_INPATIENT"])
    pd.testing.assert_series_equal(frames["units"]["pre_AE_ATTEND"], frames["events"]["pre_AE_ATTEND"])


def test_both_adds_pre_period_spells_beside_units_for_spell_services_only():
    rows, people, amounts = _inputs(3)
    units = features.covariates(rows, people, amounts, 12, SERVICES, [], features.RICH)
    both = features.covariates(rows, people, amounts, 12, SERVICES, [], features.RICH,
                               spell_measure="both")
    pre = amounts[(amounts["window"] == "pre") & (amounts["service_code"] == "MH_INPATIENT")]
    spells = np.log1p(pre.set_index("row_id")["events"]).reindex(both.index, fill_value=0.0)
    np.testing.assert_array_equal(both["pre_spells_MH_INPATIENT"].to_numpy(), spells.to_numpy())
    assert "pre_spells_AE_ATTEND" not in both.columns
    pd.testing.assert_frame_equal(both.drop(columns=["pre_spells_MH_INPATIENT"]), units)


def test_a_missing_birth_date_is_an_unknown_age_not_minus_25_quadrillion_years():
    """One resident of seed 12's synthetic area has no birth date. Their age came out as
    NaT's days as a float (−9.2e18 / 365.25) in each of their rows, which made age nearly
    constant for everyone else in the propensity model: matched groups differed by 8 years
    (|SMD| 0.45). Now the median age, flagged by ``age_unknown``."""
    rows, people, amounts = _inputs(1)
    people.loc[people["person_id"] == rows["person_id"].iloc[0], "birth_date"] = pd.NaT
    frame = features.covariates(rows, people, amounts, 12, SERVICES, [], features.RICH)
    unknown = rows.set_index("row_id").loc[frame.index, "person_id"] == rows["person_id"].iloc[0]
    assert frame["age"].between(0, 120).all()
    assert (frame.loc[unknown.to_numpy(), "age"] == frame.loc[~unknown.to_numpy(), "age"].median()).all()
    np.testing.assert_array_equal(frame["age_unknown"].to_numpy(), unknown.to_numpy().astype(float))
    complete = features.covariates(*_inputs(1), 12, SERVICES, [], features.RICH)
    assert "age_unknown" not in complete.columns


def test_age_is_days_over_the_julian_year() -> None:
    """Age in years is days ÷ 365.25 (the Julian year, the mean calendar year of 365¼ days:
    IAU's definition of the year as 365.25 days of 86,400 s): born 1 January 1990, on
    1 January 2020 after 10,957 days, 29.998631 (÷ 365 would give 30.019); a leap-day birth
    a year later is 366 ÷ 365.25; no birth date is NaN."""
    import numpy as np
    import pandas as pd

    from carecase.evaluate.cohort import age_years

    born = pd.Series(pd.to_datetime(["1990-01-01", "2020-02-29", None]))
    when = np.array(["2020-01-01", "2021-03-01", "2021-03-01"], dtype="datetime64[D]")
    age = age_years(born, when)
    assert age[0] == pytest.approx(10957 / 365.25, abs=1e-12) and round(age[0], 6) == 29.998631
    assert age[1] == pytest.approx(366 / 365.25, abs=1e-12)
    assert np.isnan(age[2])
