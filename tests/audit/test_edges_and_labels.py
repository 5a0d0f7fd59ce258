"""Audit edges the other tests leave open: a window ending mid-month, the first month of
financial quarters and years, and the top share when p × N is not whole."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from carecase.audit.concentration import top_share
from carecase.audit.periods import label_periods
from carecase.audit.tables import cost_by

from .test_periods import ENG, months

D = dt.date


def test_window_ending_mid_month_clips_the_last_month() -> None:
    """Audit window [1 Jan, 25 Jan): a placement 20 Jan – 10 Feb (21 days, £2,100) has 5 of its
    days inside (20–24 Jan), £500; nothing after the window end is counted."""
    got = months([("P1", "package", D(2024, 1, 20), D(2024, 2, 10), 2100, "fiscal")], D(2024, 1, 1), D(2024, 1, 25))
    assert got["cost"].tolist() == pytest.approx([500.0])
    assert got["month"].tolist() == [2024 * 12]


def test_financial_period_starts() -> None:
    """UK financial year 2023/24 starts 1 April 2023; its Q1 starts 1 April, Q3 1 October and Q4
    1 January 2024 (periods.py: quarters and years are unions of whole months)."""
    t = ENG.write("_m_starts", pa.table({"month": [2024 * 12 + 0, 2023 * 12 + 3, 2023 * 12 + 10]}))
    q = label_periods(t, "quarter").order_by("month").to_pyarrow().to_pandas()
    assert q["period"].tolist() == ["2023/24 Q1", "2023/24 Q3", "2023/24 Q4"]
    assert [d.isoformat()[:10] for d in q["period_start"]] == ["2023-04-01", "2023-10-01", "2024-01-01"]
    y = label_periods(t, "year").order_by("month").to_pyarrow().to_pandas()
    assert [d.isoformat()[:10] for d in y["period_start"]] == ["2023-04-01"] * 3


def test_top_share_rounds_the_number_of_people_up() -> None:
    """Top share takes the ceil(p × N) most costly people (concentration.py): the top 10% of 15
    people is 2 (1.5 rounded up), of 5 people 1; the top 7% of 100 is 7 (0.07 × 100 is
    7.000000000000001 in binary floating point, which must not round up to 8)."""
    k, cost, _ = top_share(np.arange(1, 16, dtype=float), 0.10)
    assert (k, cost) == (2, 29.0)
    assert top_share(np.arange(1, 101, dtype=float), 0.07)[0] == 7
    assert top_share(np.arange(1, 6, dtype=float), 0.10)[0] == 1


def test_share_of_cost_is_zero_not_nan_when_nothing_has_a_cost() -> None:
    """A window whose events all cost £0 (say every unit cost overridden to 0): each agency's
    share of cost is 0, not 0 / 0 (NaN, printed "nan%" by `carecase audit`); with a cost, the
    shares are cost / total."""
    for price, want in ((0, [0.0]), (2100, [1.0])):
        pm = ENG.write("_pm_zero", pa.Table.from_pandas(
            months([("P1", "package", D(2024, 1, 20), D(2024, 2, 10), price, "fiscal")], D(2024, 1, 1), D(2024, 3, 1))))
        got = cost_by(pm, ["agency_l1"]).to_pyarrow().to_pandas()
        assert got["share_of_cost"].tolist() == want
