"""Discount factors: HM Treasury Green Book (2022) schedules, or a custom rate/schedule.

Convention (Green Book, Annex A6; the supplementary discounting guidance): year 0 is the
first year of the appraisal and is not discounted (DF(0) = 1); thereafter

    DF(t) = Π_{k=1..t} 1 / (1 + r(k))

where r(k) is the rate of the band holding year k. Bands compound one after another, so
DF(31) = DF(30) / 1.030 in the standard schedule. This reproduces the published factors
(standard: year 1 0.9662, 5 0.8420, 30 0.3563, 31 0.3459; health: year 1 0.9852, 30 0.6398).

Schedules transcribed from HM Treasury, *The Green Book* (2022), Table 8 and Annex A6
(standard social time preference rate, and the reduced rate for health effects), as held in
``green_book_discount_schedule.csv`` (Open Government Licence).
"""

from __future__ import annotations

import numpy as np

#: (first year of band, rate) — standard STPR, Green Book Table 8.
STANDARD: tuple[tuple[int, float], ...] = (
    (0, 0.035), (31, 0.030), (76, 0.025), (126, 0.020), (201, 0.015), (301, 0.010),
)
#: Health schedule (1.5% then declining), Green Book Annex A6.
HEALTH: tuple[tuple[int, float], ...] = (
    (0, 0.015), (31, 0.0129), (76, 0.0107), (126, 0.0086), (201, 0.0064), (301, 0.0043),
)
SCHEDULES = {"standard": STANDARD, "health": HEALTH}


def rates_by_year(n_years: int, schedule: tuple[tuple[int, float], ...]) -> np.ndarray:
    """The rate applying to each year 0..n_years-1 (year 0's rate is shown but not used)."""
    years = np.arange(n_years)
    starts = np.array([s for s, _ in schedule])
    rates = np.array([r for _, r in schedule], dtype=float)
    return rates[np.searchsorted(starts, years, side="right") - 1]


def discount_factors(n_years: int, schedule: tuple[tuple[int, float], ...] = STANDARD) -> np.ndarray:
    """DF(0..n_years-1) compounding band by band; DF(0) = 1."""
    rates = rates_by_year(n_years, schedule)
    growth = 1.0 + rates
    growth[0] = 1.0
    return 1.0 / np.cumprod(growth)


def present_value(flows: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """Σ_t flows[..., t] × DF(t) over the last axis."""
    return flows @ factors
