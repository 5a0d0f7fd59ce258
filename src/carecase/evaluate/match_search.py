"""Matching until balance holds (every covariate |SMD| below the threshold).

Attempts, in order, keeping the first balanced one (else the one with the smallest worst
|SMD|):

1. nearest neighbour on the logit propensity score from the base covariates;
2. the same with the rich covariates (per-service last-3-month use, last month, pre £);
3. covariate-distance matching (standardised Euclidean, i.e. diagonal Mahalanobis) within
   the propensity caliper (Rubin & Thomas 2000, JASA 95:573), then up to
   ``MAX_REWEIGHT`` rounds that double the distance weight of every covariate still
   imbalanced (|SMD| ≥ 0.75 × threshold) — a deterministic, greedy version of the weight
   search in genetic matching (Diamond & Sekhon 2013, Rev Econ Stat 95:932).

Balance is always judged on the rich covariate set.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from carecase.core.errors import EvaluationError
from carecase.evaluate import features, matching
from carecase.evaluate.calibrate import entropy_weights
from carecase.evaluate.config import EvaluationConfig

MAX_REWEIGHT = 10


def match(rows: pd.DataFrame, people: pd.DataFrame, amounts: pd.DataFrame,
          cfg: EvaluationConfig, services: list[str],
          ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any], pd.DataFrame]:
    """Returns (members, balance, meta, covariates); ``members`` has set_id, row_id,
    weight, treated; ``covariates`` is the rich covariate frame indexed by row_id."""
    m = cfg.matching
    x_rich = features.covariates(rows, people, amounts, cfg.pre_months, services, m.covariates,
                                 features.RICH)
    x_base = features.covariates(rows, people, amounts, cfg.pre_months, services, m.covariates,
                                 features.BASE)
    ids = x_rich.index.to_numpy()
    r = rows.set_index("row_id").loc[ids]
    treated = r["treated"].to_numpy(bool)
    set_id = r["set_id"].to_numpy()
    person = r["person_id"].astype(str).to_numpy()
    exact = features.exact_keys(rows, people, m.exact)
    logits = {"base": matching.logit_propensity(x_base, treated),
              "rich": matching.logit_propensity(x_rich, treated)}
    keep = x_rich.to_numpy(float).std(axis=0) > 1e-12
    names = list(x_rich.columns[keep])
    z = matching.standardise(x_rich)
    weights = np.ones(z.shape[1])
    best: tuple[float, pd.DataFrame, pd.DataFrame, dict[str, Any]] | None = None
    before = matching.balance_before(x_rich, treated, m.smd_threshold)
    plan = [("base", False), ("rich", False)] + [("rich", True)] * (1 + MAX_REWEIGHT)
    for step, (ps, distance) in enumerate(plan, start=1):
        logit = logits[ps]
        caliper = m.caliper * float(np.std(logit, ddof=1))
        metric = z * np.sqrt(weights) if distance else None
        members = matching.nearest_neighbours(set_id, ids, person, treated, logit, exact, m.k,
                                              caliper, m.replacement, metric)
        if members.empty:
            continue
        calibrated = _calibrate(members, x_rich) if m.calibrate else None
        if calibrated is not None:
            members = calibrated
        bal = matching.balance_table(x_rich, treated, members, m.smd_threshold, before)
        after = bal[bal["stage"] == "after"].set_index("covariate")["smd"].abs()
        worst = float(after.max())
        meta = {"iteration": step, "propensity_covariates": ps,
                "distance": "covariates within caliper" if distance else "propensity score",
                "caliper_sd": m.caliper, "caliper_logit": caliper, "max_abs_smd": worst,
                "balanced": worst < m.smd_threshold,
                "calibrated": calibrated is not None,
                "distance_weights": {n: float(w) for n, w in zip(names, weights, strict=True)} if distance else {}}
        if best is None or worst < best[0]:
            best = (worst, members, bal, meta)
        if worst < m.smd_threshold:
            break
        if distance:
            bad = np.array([after.get(n, 0.0) >= 0.75 * m.smd_threshold for n in names])
            weights = np.where(bad, weights * 2.0, weights)
    if best is None:
        raise EvaluationError("No treated person found a control within the caliper; widen "
                              "evaluation.matching.caliper or check evaluation.eligibility.")
    return best[1], best[2], best[3], x_rich


def _calibrate(members: pd.DataFrame, x: pd.DataFrame) -> pd.DataFrame | None:
    """``members`` with the controls' weights entropy-balanced to the matched treated
    covariate means; ``None`` when that is infeasible."""
    t = members["treated"].to_numpy(bool)
    if t.all():
        return None
    target = x.loc[members.loc[t, "row_id"].to_numpy()].to_numpy(float).mean(axis=0)
    xc = x.loc[members.loc[~t, "row_id"].to_numpy()].to_numpy(float)
    w = entropy_weights(xc, target, members.loc[~t, "weight"].to_numpy(float))
    if w is None:
        return None
    out = members.copy()
    out.loc[~t, "weight"] = w
    return out
