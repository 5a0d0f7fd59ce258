"""Issue 5's multi-seed check on the full synthetic area: the demo seed (the e2e area's own
evaluation, read from its outputs) and one more seed of the demo area (only the seed
changes), through ingest, link, costs and the evaluation. It ran on five seeds (135
intervals, at least 122 covering) until make test neared its 10-minute limit, then on three
(81, at least 72) until it reached it again; each further seed costs about a minute of a
worker's time. The twelve seeds are measured by make evaluate-seeds (docs/evaluation.md,
Known limitations)."""

from __future__ import annotations

import pytest

from .recovery import prepare, recovery, recovery_of_outputs

pytestmark = pytest.mark.xdist_group("e2e")  # the demo seed is the e2e area, built once

SEEDS = (1,)  # besides the demo seed


@pytest.mark.slow
def test_matched_intervals_cover_at_the_nominal_rate_over_seeds(area, tmp_path_factory):
    """Over 2 seeds × 27 planted effects (54 nominal 95% intervals; expected 51.3) at least 47
    contain the truth: fewer has probability 0.5% if coverage is 95% (binomial, treating the
    intervals as independent; 47 or fewer, 1.8%). These seeds gave 53: 26 and 27
    (benchmarks/results/evaluate_seeds.json). The same floor holds against the effect on the
    matched participants alone, the estimand of caliper matching (tests/e2e/recovery.py):
    27 and 27. The matched estimates are also, in total, less
    than half as far from the truth as the naive ones, and the naive ones lean towards the
    larger reductions that regression to the mean predicts.

    Rate ratios: each count model's intervals (cluster jackknife) and the bootstrap interval
    of the ratio cover the planted ratio at least 44 times in 54 (80%). They cover less often
    than nominal on this area (measured 50, 53 and 54 on these seeds for the negative binomial,
    the Poisson and the bootstrap; docs/evaluation.md, Known
    limitations), so this floor is a guard against a broken interval (a wrong standard error,
    a model that stops fitting), not a calibration claim."""
    rows = [recovery_of_outputs(area.project),
            *(recovery(prepare(tmp_path_factory.mktemp(f"seed{seed}"), seed)) for seed in SEEDS)]
    assert [r["seed"] for r in rows] == [20240401, *SEEDS]
    effects = [e for r in rows for e in r["detail"]]
    covered = sum(e["covered"] for e in effects)
    assert len(effects) == 54
    per_seed = {r["seed"]: (r["covered"], r["closer"], r["worst_abs_smd"]) for r in rows}
    assert covered >= 47, per_seed
    assert sum(e["covered_matched"] for e in effects) >= 47, {r["seed"]: r["covered_matched"] for r in rows}
    err_matched = sum(abs(e["matched"] - e["truth"]) for e in effects)
    err_naive = sum(abs(e["naive"] - e["truth"]) for e in effects)
    assert err_matched < 0.5 * err_naive, (err_matched, err_naive)
    assert sum(e["naive"] - e["truth"] for e in effects) < 0
    ratios = [x for r in rows for x in r["rate_ratio_detail"]]
    for model in ("poisson", "negative_binomial", "ratio_of_rates_bootstrap"):
        mine = [x for x in ratios if x["model"] == model]
        assert len(mine) == 54, model
        assert sum(x["covered"] for x in mine) >= 44, (model, {r["seed"]: r["rate_ratios_covered"] for r in rows})
