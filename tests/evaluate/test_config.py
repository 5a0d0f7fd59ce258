"""The ``evaluation:`` section rejects impossible settings with a clear message."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from carecase.evaluate.config import EvaluationConfig, InstrumentConfig, window_name


def test_defaults_are_valid():
    cfg = EvaluationConfig()
    assert cfg.matching.caliper == 0.2 and cfg.matching.k == 1 and cfg.matching.replacement
    assert [window_name(w) for w in cfg.post_windows] == ["post_0_8", "post_0_11", "post_0_12"]


@pytest.mark.parametrize("windows", [[(3, 3)], [(-1, 6)], [(0, 12), (0, 12)]])
def test_bad_post_windows(windows):
    with pytest.raises(ValidationError, match="post"):
        EvaluationConfig(post_windows=windows)


def test_unknown_key_rejected():
    with pytest.raises(ValidationError):
        EvaluationConfig.model_validate({"matching": {"calliper": 0.2}})


def test_instrument_rules():
    with pytest.raises(ValidationError, match="value_set"):
        InstrumentConfig(name="EQ-5D", scoring="eq5d")
    with pytest.raises(ValidationError, match="scale_max"):
        InstrumentConfig(name="X", scale_min=5, scale_max=1)
    with pytest.raises(ValidationError, match="two points"):
        InstrumentConfig(name="X", assessments=["baseline"])
    with pytest.raises(ValidationError, match="repeats a point"):  # else a change of 0 for all
        InstrumentConfig(name="X", assessments=["baseline", "baseline"])
    with pytest.raises(ValidationError, match="EQ-5D fixes the direction"):
        InstrumentConfig(name="EQ-5D", scoring="eq5d", value_set="vs.csv", higher_is_better=True)
    assert InstrumentConfig(name="EQ-5D", scoring="eq5d", value_set="vs.csv").scoring == "eq5d"
    for scoring in ("wemwbs", "swemwbs"):  # false would swap improved and worse
        with pytest.raises(ValidationError, match=f"{scoring.upper()} fixes the direction"):
            InstrumentConfig(name="W", scoring=scoring, higher_is_better=False)
        assert InstrumentConfig(name="W", scoring=scoring).higher_is_better


@pytest.mark.parametrize(("given", "mode"), [(True, "always"), (False, "never"), ("auto", "auto")])
def test_calibrate_accepts_the_old_booleans(given, mode):
    assert EvaluationConfig.model_validate({"matching": {"calibrate": given}}).matching.calibrate == mode
    assert EvaluationConfig().matching.calibrate == "auto"
    with pytest.raises(ValidationError, match="calibrate"):
        EvaluationConfig.model_validate({"matching": {"calibrate": "sometimes"}})


def test_rate_models_default_both_poisson_first():
    assert EvaluationConfig().rate_models == ["poisson", "negative_binomial"]
    assert EvaluationConfig(rate_models=["negative_binomial"]).rate_models == ["negative_binomial"]


@pytest.mark.parametrize(("models", "message"), [
    ([], "at least 1"), (["poisson", "poisson"], "duplicates"), (["zip"], "negative_binomial"),
])
def test_bad_rate_models(models, message):
    with pytest.raises(ValidationError, match=message):
        EvaluationConfig(rate_models=models)


def test_effects_json_carries_the_first_rate_model():
    """The CBA's input holds the first listed model's rate ratio, and says which."""
    import pandas as pd

    from carecase.evaluate.effects import effects_payload

    key = {"window": "post_0_12", "key_type": "service", "key": "AE_ATTEND", "measure": "events"}
    matched = pd.DataFrame([{**key, "effect_ppy": -0.5, "ci_low": -0.9, "ci_high": -0.1, "mde_ppy": 0.3,
                             "treated_pre_ppy": 3.0, "treated_post_ppy": 2.0, "control_pre_ppy": 3.0,
                             "control_post_ppy": 2.5, "n_sets": 10}])
    naive = pd.DataFrame([{**key, "change_ppy": -1.0, "ci_low": -1.5, "ci_high": -0.5}])
    rr = pd.DataFrame([{**key, "model": "poisson", "rate_ratio": 0.8, "rr_ci_low": 0.7, "rr_ci_high": 0.9},
                       {**key, "model": "negative_binomial", "rate_ratio": 0.75, "rr_ci_low": 0.6,
                        "rr_ci_high": 0.95}])
    for models, expected in ((["poisson", "negative_binomial"], 0.8), (["negative_binomial", "poisson"], 0.75)):
        out = effects_payload(matched, naive, rr, {}, EvaluationConfig(rate_models=models))
        got = out["windows"]["post_0_12"]["services"]["AE_ATTEND"]["events_ppy"]["rate_ratio"]
        assert got["estimate"] == expected and got["model"] == models[0]


def test_effects_json_rate_ratio_says_why_a_limit_is_null_and_is_only_on_services():
    """JSON has no infinity: an unbounded rate-ratio limit (inf in rate_ratios) is written as
    null, which read alone is the same as 'not estimable'; the block carries the
    rate_ratios table's ``note`` so an evaluator can tell which. Rate ratios are fitted per
    service only, so an agency or the total gets no (always empty) rate_ratio block."""
    import math

    import pandas as pd

    from carecase.evaluate.effects import effects_payload

    base = {"effect_ppy": -0.5, "ci_low": -0.9, "ci_high": -0.1, "mde_ppy": 0.3,
            "treated_pre_ppy": 3.0, "treated_post_ppy": 2.0, "control_pre_ppy": 3.0,
            "control_post_ppy": 2.5, "n_sets": 10}
    keys = [{"window": "post_0_12", "key_type": kt, "key": k, "measure": "events"}
            for kt, k in (("service", "ASC_HOMECARE"), ("agency", "Local Authority / Adult Social Care"),
                          ("total", "all"))]
    matched = pd.DataFrame([{**k, **base} for k in keys])
    naive = pd.DataFrame([{**k, "change_ppy": -1.0, "ci_low": -1.5, "ci_high": -0.5} for k in keys])
    note = "interval unbounded: one cluster holds all of a period's events"
    rr = pd.DataFrame([{**keys[0], "model": "poisson", "rate_ratio": 0.51, "rr_ci_low": 0.0,
                        "rr_ci_high": math.inf, "note": note}])
    w = effects_payload(matched, naive, rr, {}, EvaluationConfig())["windows"]["post_0_12"]
    got = w["services"]["ASC_HOMECARE"]["events_ppy"]["rate_ratio"]
    assert got["estimate"] == 0.51 and got["ci_high"] is None and got["note"] == note
    assert "rate_ratio" not in w["agencies"]["Local Authority / Adult Social Care"]["events_ppy"]
    assert "rate_ratio" not in w["total"]["all"]["events_ppy"]


def test_at_most_six_post_windows_as_the_disclosure_check_can_judge() -> None:
    """The step shares judge every period and difference of periods the windows give together
    (carecase.evaluate.derived): 2^windows periods and their pairs. Eight nested windows took
    20 s a call on 600 people; more than six are refused when the configuration is read, not
    after the matching, and the derived-figure limit agrees."""
    from carecase.evaluate.derived import MAX_RANK, derived_periods

    six = [(0, m) for m in (3, 6, 9, 12, 18, 24)]
    EvaluationConfig.model_validate({"post_windows": six})
    with pytest.raises(ValidationError, match="at most 6"):
        EvaluationConfig.model_validate({"post_windows": [*six, (0, 36)]})
    assert MAX_RANK == EvaluationConfig.model_fields["post_windows"].metadata[0].max_length
    assert len(derived_periods([window_name(w) for w in six])) == 2**6 - 1
