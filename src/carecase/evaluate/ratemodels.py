"""Rate ratios from count models with a log person-years offset,
``log E[y] = b0 + b1 treated + b2 post + b3 treated×post + log(person-years)``, one row per
person × period. ``exp(b3)`` is the programme rate ratio: the treated group's post/pre
change relative to the matched comparison's.

Two models (``evaluation.rate_models``; the first listed is the one ``effects.json`` carries):

- ``poisson``: Poisson GLM (Cameron & Trivedi 2013, ch. 3). Control rows weighted 1/k within
  a matched set: for a Poisson likelihood a weight w is the same as multiplying the count and
  the person-years by w.
- ``negative_binomial``: NB2 (variance μ + αμ²) by weighted pseudo-maximum likelihood
  (``evaluate.negbin``), the weight multiplying each row's log-likelihood, as Stata's
  ``nbreg [pweight]``. Its α is reported: how far use varies between people beyond Poisson
  chance.

The design is saturated (one rate per group × period), so each cell's rate solves its own
score equation: Poisson's is the ratio of pooled rates, Σ w y / Σ w t, each row's rate y/t
weighted by its person-time w t; NB2's, Σ w (y − λt)/(1 + αλt) = 0 (Cameron & Trivedi 2013,
§3.3.1), weights it by w t/(1 + αλt), so that a short row counts for more than its
person-time (the weight does not involve y: heavy users are not down-weighted). Both stay
consistent when the variance is misspecified, and they estimate the same ratio when a row's
rate is unrelated to its person-time. Where it is not (people whose follow-up is cut short,
by death or, for a control, by their own programme start, using services at a different
rate) the two estimate different ratios, and a gap between them says so; on the synthetic
area NB2's lies below the planted ratio more often (docs/evaluation.md, Known limitations).
Their intervals come from the delete-one-cluster jackknife (CV3) over matched sets,
sets that share a person taken as one cluster (``evaluate.clusters``), with ``t(G−1)``
critical values (``evaluate.jackknife``; MacKinnon, Nielsen & Webb 2023): the sandwich (CV1)
covered the planted ratios less often than nominal on the synthetic area because a rare
service's log rate moves further when one cluster's events go than its linearisation says.
Each rate ratio carries its E-values (``evaluate.sensitivity``): how strong an unmeasured
confounder would have to be to explain it, and its interval's limit nearest 1, away.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from carecase.evaluate.config import RateModel
from carecase.evaluate.jackknife import cv3_se, interaction_jackknife
from carecase.evaluate.negbin import fit_nb2
from carecase.evaluate.panel import DAYS_PER_YEAR, Panel
from carecase.evaluate.sensitivity import e_value, e_value_ci

METHOD: dict[str, str] = {"poisson": "Poisson GLM, cluster jackknife (CV3)",
                          "negative_binomial": "Negative binomial (NB2), cluster jackknife (CV3)"}


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
    alpha = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if model == "poisson":
                fit = sm.GLM(y * weight, x, family=sm.families.Poisson(),
                             offset=np.log(years * weight)).fit()
                b = float(fit.params[3])
            elif model == "negative_binomial":
                nb = fit_nb2(y, x, np.log(years), weight, groups)
                if not nb.converged:
                    return {**out, "note": "not estimable: the negative binomial fit did not converge"}
                b, alpha = float(nb.params[3]), nb.alpha
                out["alpha"] = nb.alpha
                if nb.at_floor:
                    out["note"] = "no overdispersion: alpha 0, the Poisson fit"
            else:
                raise ValueError(f"unknown rate model {model!r}: use poisson or negative_binomial")
        except (np.linalg.LinAlgError, FloatingPointError):
            return {**out, "note": "not estimable: singular model"}
    full, left = interaction_jackknife(y, years, treated, post, weight, groups, alpha)
    se, n_groups = cv3_se(full, left), len(left)
    if not np.isfinite(b) or np.isnan(se) or se == 0:
        return {**out, "note": "not estimable: fewer than two clusters or no finite standard error"}
    crit = float(stats.t.ppf(0.975, n_groups - 1))
    if np.isinf(se):
        earlier = str(out["note"])
        out["note"] = (earlier + "; " if earlier else "") + (
            "interval unbounded: one cluster holds all of a period's events")
        return {**out, "rate_ratio": float(np.exp(b)), "rr_ci_low": 0.0, "rr_ci_high": float("inf"),
                "rr_p": 1.0}
    out.update(rate_ratio=float(np.exp(b)), rr_ci_low=float(np.exp(b - crit * se)),
               rr_ci_high=float(np.exp(b + crit * se)),
               rr_p=float(2 * stats.t.sf(abs(b / se), n_groups - 1)))
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
