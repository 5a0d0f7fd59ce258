"""The whole evaluation on a seeded synthetic area with planted effects and regression to
the mean (tests/evaluate/synthetic.py): the matched DiD recovers the truth, the naive
before/after is biased the way regression to the mean predicts, and matching balances."""

from __future__ import annotations

import pytest

from .synthetic import SERVICES

# the module's tests on one xdist worker, so its shared fixture is built once, not on each
pytestmark = pytest.mark.xdist_group("evaluate-synthetic_recovery")

PLANTED = list(SERVICES)


@pytest.mark.parametrize("window", ["post_0_12", "post_0_8"])
@pytest.mark.parametrize("service", PLANTED)
def test_matched_interval_contains_truth_and_beats_naive(evaluated, service, window):
    area, result = evaluated
    truth = area.truth[(window, service)]["events_ppy"]
    est = result.estimate(service, window, "events")
    assert est["ci_low"] <= truth <= est["ci_high"], (service, window, est, truth)
    assert abs(est["effect_ppy"] - truth) < abs(est["naive_ppy"] - truth)


@pytest.mark.parametrize("model", ["poisson", "negative_binomial"])
@pytest.mark.parametrize("service", PLANTED)
def test_rate_ratio_interval_contains_planted_ratio(evaluated, service, model):
    area, result = evaluated
    est = result.estimate(service, "post_0_12", "events", rate_model=model)
    planted = area.truth[("post_0_12", service)]["rate_ratio"]
    assert est["rr_ci_low"] <= planted <= est["rr_ci_high"]
    if model == "poisson":  # the saturated Poisson model's MLE is the pooled ratio of rates
        assert est["rate_ratio"] == pytest.approx(est["ratio_of_ratios"], rel=1e-6)
    else:  # people's use varies beyond Poisson chance (gamma-distributed need)
        assert est["alpha"] > 0.1


@pytest.mark.parametrize("service", PLANTED)
def test_naive_exaggerates_reductions(evaluated, service):
    """Participants were referred at a crisis peak, so their use falls anyway: the naive
    change lies below the true effect (bigger reduction, smaller increase)."""
    area, result = evaluated
    truth = area.truth[("post_0_12", service)]["events_ppy"]
    assert result.estimate(service, "post_0_12")["naive_ppy"] < truth


def test_rtm_table_shows_comparison_group_falling(evaluated):
    _, result = evaluated
    rtm = result.rtm
    total = rtm[(rtm["key_type"] == "total") & (rtm["measure"] == "events")]
    assert (total["control_change_ppy"] < 0).all()
    assert (total["treated_pre_ppy"] > 0).all()


def test_every_covariate_balanced_after_matching(evaluated):
    _, result = evaluated
    after = result.balance[result.balance["stage"] == "after"]
    before = result.balance[result.balance["stage"] == "before"]
    assert len(after) >= 10
    assert (after["smd"].abs() < 0.1).all(), after.sort_values("smd").to_string()
    assert before["smd"].abs().max() > 0.5  # the problem matching had to solve
    assert not after["imbalanced"].any()


def test_match_counts_add_up(evaluated):
    area, result = evaluated
    c = dict(zip(result.match_counts["count"], result.match_counts["value"], strict=True))
    assert c["participants"] == len(area.programme)
    assert c["treated_matched"] + c["treated_unmatched"] == c["treated_eligible"]
    from carecase.evaluate.cohort import EXCLUSIONS

    assert c["treated_eligible"] + sum(c[f"excluded_{k}"] for k in EXCLUSIONS) == c["participants"]
    assert c["control_rows_matched"] + c["candidate_rows_discarded"] == c["candidate_control_rows"]


def test_effects_json_has_services_agencies_and_rate_ratios(evaluated):
    _, result = evaluated
    eff = result.effects["windows"]["post_0_12"]
    ae = eff["services"]["AE_ATTEND"]
    assert ae["agency_l1"] == "NHS" and ae["agency_l2"] == "Acute Trust"
    assert ae["events_ppy"]["ci_low"] <= ae["events_ppy"]["effect"] <= ae["events_ppy"]["ci_high"]
    assert ae["events_ppy"]["rate_ratio"]["estimate"] > 0
    assert "Police / Police" in eff["agencies"]
    total_cost = eff["total"]["all"]["cost_ppy"]["effect"]
    parts = sum(v["cost_ppy"]["effect"] for v in eff["agencies"].values())
    assert total_cost == pytest.approx(parts, rel=1e-6, abs=1e-3)


def test_effects_json_carries_the_correlation_of_service_cost_effects(evaluated):
    """Per window, the services' £ effects' correlation over the bootstrap draws: a valid
    correlation matrix (symmetric, unit diagonal, positive semi-definite) whose services have
    cost effects; on this area heavy users move several services at once, so some pairs
    correlate clearly."""
    import numpy as np

    _, result = evaluated
    for window, body in result.effects["windows"].items():
        corr = body["cost_correlation"]
        m = np.array(corr["matrix"], float)
        assert m.shape == (len(corr["services"]),) * 2
        assert np.allclose(m, m.T) and np.allclose(np.diag(m), 1.0)
        assert np.linalg.eigvalsh(m).min() > -1e-6
        assert set(corr["services"]) <= set(body["services"])
        assert np.abs(m - np.eye(len(m))).max() > 0.2, window


def test_outcomes_and_case_studies(evaluated):
    _, result = evaluated
    total = result.outcomes[result.outcomes["measure"] == "total"].iloc[0]
    assert total["mean_change"] > 0 and total["improved"] > total["worse"]
    cs = result.case_studies
    assert set(cs["case"]) == {"Case A", "Case B", "Case C"}
    assert "person_id" not in cs.columns
    shown = cs["events"].dropna()
    assert not ((shown >= 1) & (shown <= 7)).any()
    # a suppressed count's £ a month is hidden with it: £ × months ÷ unit cost gives it back
    hidden = cs[cs["events_suppressed"]]
    assert len(hidden) and hidden["mean_cost_per_month"].isna().all()
    assert cs.loc[~cs["events_suppressed"] & (cs["months"] > 0), "mean_cost_per_month"].notna().all()


def test_naive_of_the_matched_participants_is_their_own_change(evaluated):
    """naive_matched (shown by shared reports in place of the naive where the unmatched are
    few) is the naive before/after of the matched participants: the same people and the same
    ratio of sums as the regression-to-the-mean table's participants' change, and its users
    are the matched participants'; with some participants unmatched it differs from the naive
    of all participants."""
    _, result = evaluated
    keys = ["window", "key_type", "key", "measure"]
    both = result.naive_matched.merge(result.rtm, on=keys, suffixes=("", "_rtm"))
    assert len(both) == len(result.rtm) > 0
    assert both["change_ppy"].to_numpy() == pytest.approx(both["treated_change_ppy"].to_numpy(), rel=1e-9, abs=1e-9)
    assert (both["users"] == both["treated_users"]).all()
    assert (result.naive_matched["estimate"] == "naive before/after (matched participants only)").all()
    counts = dict(zip(result.match_counts["count"], result.match_counts["value"], strict=True))
    if counts.get("treated_unmatched", 0) > 0:
        diff = result.naive_matched.merge(result.naive, on=keys, suffixes=("", "_all"))
        assert (diff["change_ppy"] != diff["change_ppy_all"]).any()
