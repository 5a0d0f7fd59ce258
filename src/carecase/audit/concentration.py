"""How concentrated spending is: top-share, Lorenz curve and Gini coefficient, on an array
of per-person costs (zeros included for people with no recorded cost).

- Top share: the ``ceil(p × N)`` most costly people's share of total cost.
- Lorenz curve (Lorenz 1905): cumulative share of cost against cumulative share of people,
  people sorted from least to most costly; points at the whole numbers of people nearest to
  population shares 0, 0.01, ..., 1 (4,002 people: 0, 40, 80, …), so that no point falls
  inside one person's step (which a shared report would have to drop: two points in one
  step give that person's cost back).
- Gini coefficient (the sorted-values form, e.g. Damgaard & Weiner 2000):
  ``G = 2 Σ_i i·x_(i) / (n Σ x) − (n + 1) / n`` with ``x_(1) ≤ … ≤ x_(n)``, i = 1..n.
  0 when everyone costs the same; (n − 1)/n when one person has all the cost.
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np

from carecase.core.dates import add_months_py


def top_share(costs: np.ndarray, fraction: float) -> tuple[int, float, float]:
    """(people, their cost, their share of total) for the top ``fraction`` of people."""
    x = np.sort(np.asarray(costs, dtype=float))[::-1]
    if x.size == 0:
        return 0, 0.0, 0.0
    k = max(1, math.ceil(fraction * x.size - 1e-9))
    top = float(x[:k].sum())
    total = float(x.sum())
    return k, top, (top / total if total > 0 else 0.0)


def gini(costs: np.ndarray) -> float:
    x = np.sort(np.asarray(costs, dtype=float))
    n = x.size
    total = x.sum()
    if n == 0 or total <= 0:
        return 0.0
    i = np.arange(1, n + 1, dtype=float)
    return float(2.0 * np.sum(i * x) / (n * total) - (n + 1.0) / n)


def lorenz(costs: np.ndarray, points: int = 101) -> tuple[np.ndarray, np.ndarray]:
    """(population share, cost share) at the whole numbers of people nearest to ``points``
    evenly spaced population shares (fewer points when people are fewer than that)."""
    x = np.sort(np.asarray(costs, dtype=float))
    if x.size == 0:
        pop = np.linspace(0.0, 1.0, points)
        return pop, pop.copy()
    people = np.unique(np.rint(np.linspace(0.0, x.size, points)).astype(np.int64))
    pop = people / x.size
    if x.sum() <= 0:
        return pop, pop.copy()
    cum = np.minimum(np.concatenate([[0.0], np.cumsum(x)]) / x.sum(), 1.0)
    cum[-1] = 1.0  # everyone's share is all of it (the two sums' rounding put 1.000000000000001)
    return pop, cum[people]


def period_weeks(start: date, end: date) -> float:
    """Weeks in ``[start, end)`` at 52 weeks a year: whole calendar months count 52/12 weeks
    each, leftover days 1/7 (two calendar years = 104 weeks, as in published audits)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    while months > 0 and add_months_py(start, months) > end:
        months -= 1
    months = max(months, 0)
    left = (end - add_months_py(start, months)).days
    return months * 52.0 / 12.0 + left / 7.0
