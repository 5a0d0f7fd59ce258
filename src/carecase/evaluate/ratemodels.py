"""Rate ratios from count models with a log person-years offset,
``log E[y] = b0 + b1 treated + b2 post + b3 treated×post + log(person-years)``, one row per
person × period, with cluster-robust (sandwich) standard errors by matched set, sets that
share a person taken as one cluster (``evaluate.clusters``). ``exp(b3)`` is the programme
rate ratio: the treated group's post/pre change relative to the matched comparison's.

Two models (``evaluation.rate_models``; the first listed is the one ``effects.json`` carries):

- ``poisson``: Poisson GLM (quasi-Poisson-robust; Cameron & Trivedi 2013, ch. 3). Control rows
  weighted 1/k within a matched set: for a Poisson likelihood a weight w is the same as
  multiplying the count and the person-years by w, so scores and sandwich are exact. The
  sandwich carries statsmodels' small-sample factor G/(G−1)·(N−1)/(N−K).
- ``negative_binomial``: NB2 (variance μ + αμ²) by weighted pseudo-maximum likelihood
  (``evaluate.negbin``), the weight multiplying each row's log-likelihood, as Stata's
  ``nbreg [pweight]``; sandwich factor G/(G−1) as Stata's. Its α is reported: how far
  use varies between people beyond Poisson chance.

Both estimate the same rate ratio and stay consistent when the variance is misspecified (the
sandwich makes the intervals honest); they differ in how they weight heavy and light users,
so a gap between them is worth reading. Each rate ratio carries its E-values
(``evaluate.sensitivity``): how strong an unmeasured confounder would have to be to explain
it, and its interval's limit nearest 1, away.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from carecase.evaluate.config import RateModel
from carecase.evaluate.negbin import fit_nb2
from carecase.evaluate.panel import DAYS_PER_YEAR, Panel
from carecase.evaluate.power import Z95
from carecase.evaluate.sensitivity import e_value, e_value_ci

METHOD: dict[str, str] = {"poisson": "Poisson GLM, cluster-robust",
                          "negative_binomial": "Negative binomial (NB2), cluster-robust"}


def interaction_rate_ratio(
    y: np.ndarray, years: np.ndarray, treated: np.ndarray, post: np.ndarray,
    weight: np.ndarray, groups: np.ndarray, model: RateModel = "poisson",
) -> dict[str, float | str]:
    """Fit the model on long rows (one per person × period); NaN when not estimable, and
    ``note`` then says why. ``alpha`` is the NB2 dispersion (NaN for Poisson; 0 when the data
    show none, noted)."""
    out: dict[str, float | str] = {"rate_ratio": np.nan, "rr_ci_low": np.nan, "rr_ci_high": np.nan,
                                   "rr_p": np.nan, "alpha": np.nan, "note": ""}
    keep = (years > 0) & (weight > 0)
    y, years, treated, post, weight, groups = (v[keep] for v in (y, years, treated, post, weight, groups))
    cells = [(treated == a) & (post == b) for a in (0, 1) for b in (0, 1)]
    if any((y * weight)[c].sum() <= 0 for c in cells):
        return {**out, "note": "not estimable: participants or comparison have no events in a period"}
    x = np.column_stack([np.ones(len(y)), treated, post, treated * post]).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if model == "poisson":
                fit = sm.GLM(y * weight, x, family=sm.families.Poisson(),
                             offset=np.log(years * weight)).fit(
                    cov_type="cluster", cov_kwds={"groups": groups})
                b, se = float(fit.params[3]), float(fit.bse[3])
            elif model == "negative_binomial":
                nb = fit_nb2(y, x, np.log(years), weight, groups)
                if not nb.converged:
                    return {**out, "note": "not estimable: the negative binomial fit did not converge"}
                b, se = float(nb.params[3]), float(nb.bse[3])
                out["alpha"] = nb.alpha
                if nb.at_floor:
                    out["note"] = "no overdispersion: alpha 0, the Poisson fit"
            else:
                raise ValueError(f"unknown rate model {model!r}: use poisson or negative_binomial")
        except (np.linalg.LinAlgError, FloatingPointError):
            return {**out, "note": "not estimable: singular model"}
    if not (np.isfinite(b) and np.isfinite(se) and se > 0):
        return {**out, "note": "not estimable: no finite standard error"}
    out.update(rate_ratio=float(np.exp(b)), rr_ci_low=float(np.exp(b - Z95 * se)),
               rr_ci_high=float(np.exp(b + Z95 * se)), rr_p=float(2 * stats.norm.sf(abs(b / se))))
    return out


def rate_ratios(panel: Panel, members: pd.DataFrame,
                models: tuple[RateModel, ...] | list[RateModel] = ("poisson",)) -> pd.DataFrame:
    """Rate ratio per post window × service × measure (events, units) × model."""
    pos = panel.position(members["row_id"].to_numpy())
    treated = members["treated"].to_numpy(bool).astype(float)
    weight = members["weight"].to_numpy(float)
    groups = members["cluster" if "cluster" in members.columns else "set_id"].to_numpy()
    n = len(pos)
    rows = []
    for wi, window in enumerate(panel.windows[1:], start=1):
        years = np.r_[panel.days[pos, 0], panel.days[pos, wi]] / DAYS_PER_YEAR
        for q, (key_type, key, measure) in enumerate(
            panel.columns.itertuples(index=False, name=None)
        ):
            if key_type != "service" or measure == "cost":
                continue
            y = np.r_[panel.amount[pos, 0, q], panel.amount[pos, wi, q]]
            for model in models:
                res = interaction_rate_ratio(
                    y, years, np.r_[treated, treated], np.r_[np.zeros(n), np.ones(n)],
                    np.r_[weight, weight], np.r_[groups, groups], model,
                )
                rows.append({"window": window, "key_type": key_type, "key": key,
                             "measure": measure, "model": model, **res, "method": METHOD[model]})
    table = pd.DataFrame(rows)
    if len(table):
        table.insert(table.columns.get_loc("method"), "e_value", e_value(table["rate_ratio"]))
        table.insert(table.columns.get_loc("method"), "e_value_ci",
                     e_value_ci(table["rr_ci_low"], table["rr_ci_high"]))
    return table
