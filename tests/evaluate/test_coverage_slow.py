"""Multi-seed coverage of the matched DiD 95% interval on the synthetic area."""

from __future__ import annotations

import numpy as np
import pytest

from .conftest import run_area
from .synthetic import SERVICES


@pytest.mark.slow
def test_matched_interval_coverage_over_seeds():
    """Across 4 seeds × 4 planted effects × 2 windows (32 intervals, nominal 95%), at least
    26 contain the truth (P(fewer) < 0.5% if coverage is 95%), and the matched estimates
    are on average closer to the truth than the naive ones."""
    covered, total, err_matched, err_naive = 0, 0, [], []
    for seed in (21, 22, 23, 24):
        area, result = run_area(1200, seed, 0.05, bootstrap_draws=300, instruments=[])
        for window in ("post_0_12", "post_0_8"):
            for service in SERVICES:
                truth = area.truth[(window, service)]["events_ppy"]
                est = result.estimate(service, window)
                covered += est["ci_low"] <= truth <= est["ci_high"]
                total += 1
                err_matched.append(abs(est["effect_ppy"] - truth))
                err_naive.append(abs(est["naive_ppy"] - truth))
    assert covered >= 26, f"{covered}/{total} intervals contain the truth"
    assert np.mean(err_matched) < np.mean(err_naive)
