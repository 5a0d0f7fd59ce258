"""Audit settings (``audit:`` in carecase.yaml)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from carecase.core.model import StrictModel

Period = Literal["month", "quarter", "year"]
AuditValueType = Literal["fiscal", "economic", "social"]


class AuditConfig(StrictModel):
    top_n: int = Field(10, ge=1, le=1000, description="People listed in the top-N cost table.")
    periods: list[Period] = Field(
        default_factory=lambda: list[Period](["month", "quarter", "year"]), description="Period grains to tabulate."
    )
    value_types: list[AuditValueType] = Field(
        default_factory=lambda: list[AuditValueType](["fiscal", "economic"]),
        description="Value types added into 'cost' (fiscal_cost and economic_cost are also shown). "
        "Transfers (benefit payments) are never added.",
    )
    start: dt.date | None = Field(None, description="First day of the audit window (default project.period_start).")
    end: dt.date | None = Field(None, description="Last day of the audit window, inclusive (default project.period_end).")
    lorenz_points: int = Field(101, ge=3, le=10001, description="Points on the Lorenz curve.")
