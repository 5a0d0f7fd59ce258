"""The data model: regression to the mean, referral at crisis peaks, planted effects."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from carecase.synth import SynthResult, params
from carecase.synth.dynamics import crisis_months, target_participants
from carecase.synth.model import simulate
from carecase.synth.truth import DAYS_PER_MONTH, expected_counts


@pytest.fixture(scope="module")
def big_area():
    return simulate(2, 20_000)


def _events_with_person(area: SynthResult, source: str, date_col: str, fmt: str) -> pd.DataFrame:
    """A CSV extract with each row's true person (from truth/true_links.parquet)."""
    links = pq.read_table(area.folder / "truth" / "true_links.parquet").to_pandas()
    df = pd.read_csv(area.folder / "extracts" / f"{source}.csv", dtype=str)
    df["person"] = links.loc[links["source"] == source, "person_key"].to_numpy()
    df["when"] = pd.to_datetime(df[date_col], format=fmt, errors="coerce")
    return df.dropna(subset=["when"]).drop_duplicates()


def test_regression_to_the_mean_visible_in_files(area: SynthResult) -> None:
    """Participants' use in the 3 months before referral and the referral month is far above
    their own usual level earlier on (months -12 to -4): they were referred at a peak."""
    links = pq.read_table(area.folder / "truth" / "true_links.parquet").to_pandas()
    reg = pd.read_csv(area.folder / "programme" / "register.csv", dtype=str)
    reg["person"] = links.loc[links["source"] == "programme", "person_key"].to_numpy()
    start = pd.to_datetime(reg["Start Date"], format="%d/%m/%Y")
    start_month = dict(zip(reg["person"], start.dt.year * 12 + start.dt.month, strict=True))
    ae = _events_with_person(area, "ae_attendances", "ArrivalDateTime", "%d/%m/%Y %H:%M")
    ae = ae[ae["person"].isin(start_month)]
    rel = ae["when"].dt.year * 12 + ae["when"].dt.month - ae["person"].map(start_month)
    near = int(((rel >= -3) & (rel <= 0)).sum()) / 4
    usual = int(((rel >= -12) & (rel <= -4)).sum()) / 9
    assert near > 1.5 * usual, (near, usual)


def test_referrals_happen_at_crisis_peaks(big_area) -> None:
    prog, crises = big_area.programme, big_area.crises
    assert prog.person.size == target_participants(20_000)
    peaks = set(zip(crises.person.tolist(), (crises.end_month - 1).tolist(), strict=True))
    assert all((p, m) in peaks for p, m in zip(prog.person.tolist(), prog.referral_month.tolist(), strict=True))
    wait = prog.start_day - prog.referral_day
    assert wait.min() >= params.PROGRAMME_WAIT_DAYS[0] and wait.max() <= params.PROGRAMME_WAIT_DAYS[1]
    cp, cm, intensity = crisis_months(crises)
    assert prog.start_month.min() >= params.PROGRAMME_MIN_PRE_MONTHS
    assert prog.start_month.max() <= big_area.period.months - params.PROGRAMME_MIN_POST_MONTHS
    # staggered: referrals spread over at least two years of months
    assert np.unique(prog.start_month).size >= 24
    # referral months are more intense than the average crisis month
    lookup = dict(zip(zip(cp.tolist(), cm.tolist(), strict=True), intensity.tolist(), strict=True))
    at_referral = np.mean([lookup[(p, m)] for p, m in zip(prog.person.tolist(), prog.referral_month.tolist(), strict=True)])
    assert at_referral > 1.5 * intensity.mean()


def test_counterfactual_falls_after_the_peak(big_area) -> None:
    """Without any help, expected use in the 3 months before referral exceeds the usual
    12-month pre level, which exceeds the expected use 3-12 months after (regression to the mean)."""
    pre3, exp3 = expected_counts(big_area, (-3, 0))
    pre12, exp12 = expected_counts(big_area, (-12, 0))
    late, exp_late = expected_counts(big_area, (3, 12))
    for code in ("AE_ATTEND", "NEL_ADMIT", "AMBULANCE", "POL_CUSTODY", "HOU_HOMELESS_APP"):
        r3, r12, rl = pre3[code] / exp3, pre12[code] / exp12, late[code] / exp_late
        assert r3 > 1.3 * r12 > 1.3 * rl, (code, r3, r12, rl)


@pytest.mark.parametrize("code", [sp.code for sp in params.SERVICE_PARAMS if sp.code != "GP_APPT"])
def test_planted_effects_hold_in_generated_events(big_area, code: str) -> None:
    """Participants' events in the 12 months after their start are Poisson with mean
    rate_ratio × the counterfactual expectation (which conditions on their crises)."""
    sp = params.BY_CODE[code]
    expected, _ = expected_counts(big_area, (0, 12))
    start = np.full(len(big_area.people), -1)
    start[big_area.programme.person] = big_area.programme.start_day
    ev = big_area.events[code]
    t = start[ev.person]
    observed = int(((t >= 0) & (ev.day >= t) & (ev.day < t + round(12 * DAYS_PER_MONTH))).sum())
    with_effect = expected[code] * sp.effect
    assert abs(observed - with_effect) < 4.5 * np.sqrt(with_effect) + 1
    if sp.effect != 1.0 and expected[code] > 400:  # enough events to tell the effect from none
        assert abs(observed - expected[code]) > 3 * np.sqrt(expected[code])


def test_gp_effect_in_monthly_counts(big_area) -> None:
    """GP appointments are monthly counts; compare whole months 1-11 after the start month."""
    ev = big_area.events["GP_APPT"]
    start = np.full(len(big_area.people), -100)
    start[big_area.programme.person] = big_area.programme.start_month
    rel = big_area.period.month_of(ev.day) - start[ev.person]
    post = float(ev.quantity[(rel >= 1) & (rel <= 11)].sum())
    window_cf, _ = expected_counts(big_area, (1, 12))
    ratio = post / window_cf["GP_APPT"]
    assert ratio == pytest.approx(params.BY_CODE["GP_APPT"].effect, rel=0.08)


def test_truth_effects_match_parameters(truth: dict[str, Any]) -> None:
    for sp in params.SERVICE_PARAMS:
        assert truth["effects"][sp.code]["rate_ratio"] == sp.effect
    assert truth["effects"]["AE_ATTEND"]["rate_ratio"] == 0.7
    assert truth["effects"]["DA_TREATMENT"]["rate_ratio"] == 1.5
    ae = truth["effects"]["AE_ATTEND"]
    # the naive before/after comparison exaggerates reductions: pre use exceeds the counterfactual
    assert ae["pre_12_months_events_per_person_year"] > ae["windows"]["0-12"]["counterfactual_events_per_person_year"]


def test_participants_scale_with_population() -> None:
    assert target_participants(4000) == 250
    assert target_participants(100_000) == 6250
    assert 150 <= target_participants(4000) <= 400


def test_participant_counterfactuals_add_up_to_the_truth(area: SynthResult, truth: dict[str, Any]) -> None:
    """truth/participant_counterfactuals.parquet person by person: summed over every
    participant it gives truth.json's counterfactual rate and change for every service and
    window; a subset gives that subset's own effect (the heaviest users left out, as a
    caliper leaves them, the effect in events is smaller for a service whose rate ratio is
    not 1, since the rate ratio multiplies a lower counterfactual rate)."""
    from carecase.synth.truth import planted_effects, planted_effects_among

    cf = pd.read_parquet(area.folder / "truth" / "participant_counterfactuals.parquet")
    assert len(cf) == truth["participants"] * len(truth["effects"]["AE_ATTEND"]["windows"])
    assert not cf.duplicated(["person_key", "window"]).any()
    for window, rows in cf.groupby("window"):
        for code, eff in truth["effects"].items():
            rate = rows[code].sum() / rows["days"].sum() * 365.25
            assert rate == pytest.approx(eff["windows"][window]["counterfactual_events_per_person_year"], abs=2e-6)
    everyone = list(planted_effects_among(truth, cf, cf["person_key"].unique()))
    assert [(c, w) for c, w, _ in everyone] == [(c, w) for c, w, _ in planted_effects(truth)]
    assert [t for *_, t in everyone] == pytest.approx([t for *_, t in planted_effects(truth)], abs=2e-6)
    heavy = cf[cf["window"] == "0-12"].assign(r=lambda d: d["GP_APPT"] / d["days"].clip(lower=1))
    light = heavy.sort_values(["r", "person_key"])["person_key"].iloc[: len(heavy) // 2]
    gp_all = dict(((c, w), t) for c, w, t in everyone)[("GP_APPT", "post_0_12")]
    gp_light = dict(((c, w), t) for c, w, t in planted_effects_among(truth, cf, light))[("GP_APPT", "post_0_12")]
    assert 0 < gp_light < gp_all  # GP appointments' planted rate ratio is above 1
