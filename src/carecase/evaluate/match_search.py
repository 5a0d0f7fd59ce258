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

Balance is always judged on the rich covariate set. With ``matching.calibrate: auto`` (the
default), when no attempt balances, the search runs again with the matched controls'
weights entropy-balanced in each attempt (``evaluate.calibrate``), and keeps that result when
it is better balanced; ``always`` calibrates from the start, ``never`` not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from carecase.core.errors import EvaluationError
from carecase.core.services import BY_CODE, Catalogue
from carecase.evaluate import features, matching
from carecase.evaluate.calibrate import entropy_weights, tolerant_entropy_weights
from carecase.evaluate.config import EvaluationConfig

MAX_REWEIGHT = 10
#: the attempts: (propensity covariates, covariate-distance matching); reweighting from the
#: attempt after FIRST_DISTANCE_STEP (numbered from 1, as ``meta["iteration"]``)
PLAN: tuple[tuple[str, bool], ...] = (("base", False), ("rich", False)) + (("rich", True),) * (1 + MAX_REWEIGHT)
FIRST_DISTANCE_STEP = 3


Best = tuple[float, pd.DataFrame, pd.DataFrame, dict[str, Any]]


def match(rows: pd.DataFrame, people: pd.DataFrame, amounts: pd.DataFrame,
          cfg: EvaluationConfig, services: list[str], catalogue: Catalogue = BY_CODE,
          ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any], pd.DataFrame]:
    """Returns (members, balance, meta, covariates); ``members`` has set_id, row_id,
    weight, treated; ``covariates`` is the rich covariate frame indexed by row_id."""
    m = cfg.matching
    history = m.history_months > 0
    x_rich = features.covariates(rows, people, amounts, cfg.pre_months, services, m.covariates,
                                 features.RICH, history, m.spell_measure, catalogue)
    ids = x_rich.index.to_numpy()
    r = rows.set_index("row_id").loc[ids]
    treated = r["treated"].to_numpy(bool)
    # standardised once: the base covariates are a subset of the rich, each column scaled on
    # its own, so their columns of ``z`` are what standardising them alone would give
    z, varies = matching.standardise_columns(x_rich)
    names = list(x_rich.columns[varies])
    extra = features.rich_only(services)
    z_base = z[:, [j for j, n in enumerate(names) if n not in extra]]
    logits = {"base": matching.logit_from_standardised(z_base, treated),
              "rich": matching.logit_from_standardised(z, treated)}
    # integer codes, computed once: every attempt compares them for each treated row
    person = matching.text_codes(r["person_id"].to_numpy())
    exact = matching.text_codes(features.exact_keys(rows, people, m.exact))
    inputs = _Inputs(x_rich, treated, r["set_id"].to_numpy(), ids, person, exact, logits,
                     matching.balance_before(x_rich, treated, m.smd_threshold), names, z)
    best = _search(inputs, cfg, calibrate=m.calibrate == "always")
    if best is None:
        raise EvaluationError("No treated person found a control within the caliper; widen "
                              "evaluation.matching.caliper or check evaluation.eligibility.")
    if m.calibrate == "auto" and not best[3]["balanced"]:
        again = _search(inputs, cfg, calibrate=True)
        if again is not None and again[0] < best[0]:
            best = again
    members, meta = best[1], best[3]
    control = members.loc[~members["treated"].to_numpy(bool), "weight"].to_numpy(float)
    meta["control_rows"], meta["control_ess"] = int(control.size), round(effective_number(control), 1)
    return members, best[2], meta, x_rich


def effective_number(weights: np.ndarray) -> float:
    """The effective number of weighted rows, (Σw)² / Σw² (Kish 1965): their count when the
    weights are equal, fewer the more unequal they are (entropy balancing)."""
    sq = float((weights**2).sum())
    return float(weights.sum() ** 2 / sq) if sq > 0 else 0.0


@dataclass(frozen=True)
class _Inputs:
    x: pd.DataFrame  # rich covariates by row_id
    treated: np.ndarray
    set_id: np.ndarray
    ids: np.ndarray
    person: np.ndarray  # matching.text_codes: same person, same code
    exact: np.ndarray  # exact-match key as an integer code (equal key, equal code)
    logits: dict[str, np.ndarray]
    before: pd.DataFrame  # balance before matching
    names: list[str]  # the covariates that vary (the columns of ``z``)
    z: np.ndarray  # those covariates standardised, for covariate-distance matching


def _search(inp: _Inputs, cfg: EvaluationConfig, calibrate: bool) -> Best | None:
    """The attempts in order; the first balanced one, else the one with the smallest worst
    |SMD| (``None`` when no treated person has a control within the caliper)."""
    m = cfg.matching
    names, z = inp.names, inp.z
    weights = np.ones(z.shape[1])
    best: Best | None = None
    for step, (ps, distance) in enumerate(PLAN, start=1):
        logit = inp.logits[ps]
        caliper = m.caliper * float(np.std(logit, ddof=1))
        metric = z * np.sqrt(weights) if distance else None
        members = matching.nearest_neighbours(inp.set_id, inp.ids, inp.person, inp.treated, logit,
                                              inp.exact, m.k, caliper, m.replacement, metric)
        if members.empty:
            continue
        calibrated = _calibrate(members, inp.x, m.balance_tolerance) if calibrate else None
        if calibrated is not None:
            members = calibrated
        bal = matching.balance_table(inp.x, inp.treated, members, m.smd_threshold, inp.before)
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
    return best


def _calibrate(members: pd.DataFrame, x: pd.DataFrame, tolerance: float = 0.0) -> pd.DataFrame | None:
    """``members`` with the controls' weights entropy-balanced to the matched treated
    covariate means (within ``tolerance`` pooled standard deviations, the treated and the
    matched controls' before weighting, when it is above 0); ``None`` when that is infeasible."""
    t = members["treated"].to_numpy(bool)
    if t.all():
        return None
    xt = x.loc[members.loc[t, "row_id"].to_numpy()].to_numpy(float)
    target = xt.mean(axis=0)
    xc = x.loc[members.loc[~t, "row_id"].to_numpy()].to_numpy(float)
    base = members.loc[~t, "weight"].to_numpy(float)
    if tolerance > 0:
        v_t = matching.column_moments(xt, np.ones(len(xt)))[1]
        v_c = matching.column_moments(xc, base)[1]
        w = tolerant_entropy_weights(xc, target, base, matching.pooled_sd(v_t, v_c), tolerance)
    else:
        w = entropy_weights(xc, target, base)
    if w is None:
        return None
    out = members.copy()
    out.loc[~t, "weight"] = w
    return out
