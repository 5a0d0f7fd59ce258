"""Sensitivity to unmeasured confounding: E-values for rate ratios.

Matching removes differences in what services recorded, not in what they did not (for
example, whether a crisis was about to end when the person was referred). The E-value is the
minimum strength of association, on the risk-ratio scale, that an unmeasured confounder
would need with both the programme and the outcome, beyond the matched covariates, to move
the estimate to no effect (VanderWeele & Ding 2017, Ann Intern Med 167:268, eq. in Table 1):

    E = RR* + sqrt(RR* × (RR* − 1)),   RR* = RR if RR ≥ 1 else 1 / RR.

For the interval, the same formula is applied to the limit closest to 1; it is 1 when the
interval contains 1 (no confounding is needed to make it compatible with no effect). The
programme's rate ratio goes into the formula as it is, as the authors' own implementation
does (R package EValue, ``evalues.RR``: "a risk ratio or rate ratio"). That reads the
confounder's strength on the rate-ratio scale; the paper converts only odds and hazard ratios
of common outcomes, which a rate ratio from a count model is not. An E-value is a scale for judging robustness, not a test: read it beside the
balance table and the regression-to-the-mean diagnostic.
"""

from __future__ import annotations

import numpy as np


def e_value(rate_ratio: np.ndarray | float) -> np.ndarray:
    """E-value of a point estimate (NaN where the ratio is missing or not positive)."""
    rr = np.asarray(rate_ratio, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(rr >= 1, rr, 1.0 / rr)
        out = r + np.sqrt(r * (r - 1.0))
    return np.where(np.isfinite(rr) & (rr > 0), out, np.nan)


def e_value_ci(low: np.ndarray | float, high: np.ndarray | float) -> np.ndarray:
    """E-value of the confidence limit closest to 1 (1 when the interval contains 1). An
    unbounded interval is allowed: rate ratios give 0 or +inf limits when a resample or
    cluster holds no events, so (0, +inf) gives 1 and (1.5, +inf) the E-value of 1.5. NaN
    only where a limit is missing or impossible (negative, or low above high)."""
    lo, hi = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    closest = np.where(lo > 1, lo, np.where(hi < 1, hi, 1.0))
    ok = ~np.isnan(lo) & ~np.isnan(hi) & (lo >= 0) & (lo <= hi)
    ok &= (closest > 0) & np.isfinite(closest)  # (0, 0) or (+inf, +inf): no finite limit
    return np.where(ok, e_value(np.where(ok, closest, 1.0)), np.nan)
