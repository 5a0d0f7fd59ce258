"""Unit-cost settings (``costs:`` in carecase.yaml)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from carecase.core.model import StrictModel, blank_allowed

Basis = Literal["per_unit", "per_episode", "per_day", "per_week", "per_hour", "per_month", "per_year"]
ValueType = Literal["fiscal", "economic", "social"]


class CostsConfig(StrictModel):
    library: str = Field(
        "default", description="'default' (shipped, cited library) or a path to a library CSV."
    )
    library_columns: dict[str, str] = Field(
        default_factory=dict,
        description="For a user library CSV with its own headers: your header → carecase column "
        "(code, description, unit, agency_l1, agency_l2, value_type, value, price_year, source, ...).",
    )
    price_year: int = Field(
        2024, ge=1990, le=2100, description="Financial year (start year) all costs are expressed in."
    )
    deflator: str = Field(
        "hmt_gdp", description="'hmt_gdp' (HM Treasury GDP deflator) or a path to an index CSV."
    )
    overrides: str | None = Field(None, description="CSV of local unit costs that take precedence.")
    service_costs: dict[str, str] = Field(
        default_factory=dict, json_schema_extra=blank_allowed,
        description="Service code → unit-cost code, overriding the default map; every service "
        "declared under services: needs one.",
    )
    service_basis: dict[str, Basis] = Field(
        default_factory=dict,
        description="Service code → costing basis (per_unit, per_episode, per_day, per_week, "
        "per_hour, per_month, per_year), overriding the default map (for a declared service, "
        "the default follows its kind and unit: docs/costs-and-audit.md).",
        json_schema_extra=blank_allowed,
    )
    value_types: list[ValueType] = Field(
        default_factory=lambda: list[ValueType](["fiscal", "economic"]),
        description="Value types costed per event: fiscal (public bodies), economic (e.g. the "
        "one-third of care paid by self-funders), social.",
    )

    @field_validator("service_costs", "service_basis", mode="before")
    @classmethod
    def _blank_is_empty(cls, v: Any) -> Any:
        return {} if v is None else v  # 'service_costs:' with its examples commented out

    @field_validator("value_types")
    @classmethod
    def _non_empty(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("list at least one value type (fiscal, economic, social)")
        return sorted(set(v))
