"""The matching search: entropy balancing only when matching alone cannot balance."""

from __future__ import annotations

from .conftest import run_area


def _after(result):
    bal = result.balance
    return bal.loc[bal["stage"] == "after", "smd"].abs().max()


def test_auto_calibrates_only_when_matching_alone_fails():
    """A threshold no nearest-neighbour match reaches on this area (|SMD| < 0.005): 'never'
    leaves it unbalanced; 'auto' falls back on entropy balancing, which meets every covariate
    mean exactly; with the usual threshold 'auto' keeps the plain match."""
    tight = {"smd_threshold": 0.005}
    _, never = run_area(900, 5, 0.06, instruments=[], matching={**tight, "calibrate": "never"})
    assert not never.meta["balanced"] and not never.meta["calibrated"]
    assert _after(never) >= 0.005
    _, auto = run_area(900, 5, 0.06, instruments=[], matching={**tight, "calibrate": "auto"})
    assert auto.meta["balanced"] and auto.meta["calibrated"]
    assert _after(auto) < 1e-6
    _, usual = run_area(900, 5, 0.06, instruments=[], matching={"calibrate": "auto"})
    assert usual.meta["balanced"] and not usual.meta["calibrated"]
