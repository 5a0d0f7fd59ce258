"""Minimum detectable effect (Bloom 1995): the smallest true effect an estimate with this
standard error would find significant with the stated power.

    MDE = (z₁₋α/₂ + z_power) × SE        (two-sided; z₁₋α for one-sided)

with Student's t quantiles in place of z when the degrees of freedom are given. At the 5%
two-sided level and 80% power the multiplier is 2.80. An effect smaller than the MDE can
be real yet not show as significant: read a wide interval around zero as "too small a study
to tell", not as "no effect".

Bloom, H. S. (1995). Minimum detectable effects: a simple way to report the statistical power
of experimental designs. *Evaluation Review* 19(5), 547–556.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

#: The standard normal 0.975 quantile: the evaluation's model-based 95% intervals are
#: estimate ± Z95 × SE, and the CBA reads an SE back from them with it.
Z95 = 1.959963984540054


def mde_multiplier(alpha: float = 0.05, power: float = 0.80, two_sided: bool = True,
                   df: float | None = None) -> float:
    """The factor that turns a standard error into a minimum detectable effect."""
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie strictly between 0 and 1, got {alpha}")
    if not 0 < power < 1:
        raise ValueError(f"power must lie strictly between 0 and 1, got {power}")
    if df is not None and df <= 0:
        raise ValueError(f"degrees of freedom must be positive, got {df}")
    dist = stats.norm if df is None else stats.t(df)
    tail = alpha / 2 if two_sided else alpha
    return float(dist.ppf(1 - tail) + dist.ppf(power))


def minimum_detectable_effect(se: np.ndarray | float, alpha: float = 0.05, power: float = 0.80,
                              two_sided: bool = True, df: float | None = None) -> np.ndarray:
    """MDE for each standard error (NaN stays NaN; same units as the standard error)."""
    return np.asarray(se, dtype=float) * mde_multiplier(alpha, power, two_sided, df)
