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


@pytest.mark.parametrize(("given", "mode"), [(True, "always"), (False, "never"), ("auto", "auto")])
def test_calibrate_accepts_the_old_booleans(given, mode):
    assert EvaluationConfig.model_validate({"matching": {"calibrate": given}}).matching.calibrate == mode
    assert EvaluationConfig().matching.calibrate == "auto"
    with pytest.raises(ValidationError, match="calibrate"):
        EvaluationConfig.model_validate({"matching": {"calibrate": "sometimes"}})
