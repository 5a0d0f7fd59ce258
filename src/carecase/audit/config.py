"""Audit settings (``audit:`` in carecase.yaml)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from carecase.core.model import StrictModel


class AuditConfig(StrictModel):
    top_n: int = Field(10, ge=1, le=1000, description="People listed in the top-N cost table.")
    periods: list[Literal["month", "quarter", "year"]] = Field(
        default_factory=lambda: ["month", "quarter", "year"], description="Period grains to tabulate."
    )
    value_types: list[Literal["fiscal", "economic", "social"]] = Field(
        default_factory=lambda: ["fiscal", "economic"],
        description="Value types added into 'cost' (fiscal_cost and economic_cost are also shown). "
        "Transfers (benefit payments) are never added.",
    )
    start: dt.date | None = Field(None, description="First day of the audit window (default project.period_start).")
    end: dt.date | None = Field(None, description="Last day of the audit window, inclusive (default project.period_end).")
    lorenz_points: int = Field(101, ge=3, le=10001, description="Points on the Lorenz curve.")
