"""Model-wide settings of the cost-benefit model: discounting and the optimism-bias grade table
(re-exported by :mod:`carecase.cba.model`)."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator

from carecase.core.model import StrictModel

#: New Economy / HM Treasury (2014), *Supporting public service transformation: cost benefit
#: analysis guidance for local partnerships*, confidence-grade optimism-bias corrections
#: (chapter 6 for costs: grade 1 independently audited data 0% … grade 6 uncorroborated
#: expert judgement +40%; chapter 7 applies the same ladder as a reduction to benefits).
NEW_ECONOMY_GRADES: dict[int, float] = {1: 0.0, 2: 0.05, 3: 0.10, 4: 0.15, 5: 0.25, 6: 0.40}


class Discounting(StrictModel):
    schedule: Literal["standard", "health", "custom"] = Field(
        "standard", description="Green Book standard STPR (3.5%…) or custom. 'health' is "
        "refused: the Green Book's 1.5% is for health effects only, not costs or £ savings; "
        "mark health-effect outcomes with outcomes[].discounting: health instead."
    )
    rate: float | None = Field(None, ge=0, lt=1, description="Custom: one constant rate.")
    bands: list[tuple[int, float]] | None = Field(
        None, description="Custom: [[first_year, rate], ...] starting at year 0."
    )

    @field_validator("schedule")
    @classmethod
    def _no_model_wide_health_rate(cls, v: str) -> str:
        """The health schedule once discounted every flow (costs, cash savings) at 1.5%,
        which the Green Book keeps for health effects (QALYs, values of health and life):
        £250k now against £28k a year of savings for ten years showed an NPV of +£8,221
        where the standard schedule gives −£17,135."""
        if v == "health":
            raise ValueError(
                "schedule: health would discount costs and cash savings at 1.5%, but the Green "
                "Book (2022, Annex A6) keeps that rate for health effects (QALYs, values of "
                "health and life); costs and £ savings, NHS ones included, are discounted at "
                "the standard 3.5%. Use schedule: standard, and set discounting: health on each "
                "outcome whose values are health effects, which are then discounted on the "
                "health schedule (docs/cba.md)")
        return v

    @field_validator("bands")
    @classmethod
    def _bands(cls, v: list[tuple[int, float]] | None) -> list[tuple[int, float]] | None:
        if v is None:
            return v
        if not v or v[0][0] != 0:
            raise ValueError("bands must start at year 0, e.g. [[0, 0.035], [31, 0.03]]")
        starts = [s for s, _ in v]
        if starts != sorted(set(starts)):
            raise ValueError("band first years must be strictly increasing")
        if any(not 0 <= r < 1 for _, r in v):
            raise ValueError("every band rate must lie in 0–1 (0.035 for 3.5%)")
        return v

    @field_validator("rate", "bands")
    @classmethod
    def _custom_only(cls, v: Any, info: ValidationInfo) -> Any:
        """rate and bands are read only by schedule: custom, so elsewhere they are refused
        rather than silently ignored; and only one of them may be given."""
        schedule = info.data.get("schedule")
        if v is None or schedule is None:
            return v
        if schedule != "custom":
            raise ValueError(f"{info.field_name} is used only with schedule: custom (schedule: "
                             f"{schedule} would ignore it); set schedule: custom to discount with "
                             f"it, or remove {info.field_name} to use the {schedule} schedule")
        if info.field_name == "bands" and info.data.get("rate") is not None:
            raise ValueError("give rate or bands, not both (bands would override rate)")
        return v

    def schedule_bands(self) -> tuple[tuple[int, float], ...]:
        from carecase.cba.discounting import SCHEDULES

        if self.schedule != "custom":
            return SCHEDULES[self.schedule]
        if self.bands is not None:
            return tuple((int(s), float(r)) for s, r in self.bands)
        if self.rate is None:
            raise ValueError("custom discounting needs rate or bands")
        return ((0, float(self.rate)),)


#: The largest cost uplift accepted: 500%. HM Treasury's supplementary guidance on optimism
#: bias goes up to 200% (capital costs of equipment and development projects, upper bound);
#: a larger figure is more likely a percentage written as a whole number (40 for 40%).
MAX_COST_UPLIFT = 5.0


def _grades(v: dict[int, float]) -> dict[int, float]:
    if sorted(v) != [1, 2, 3, 4, 5, 6]:
        raise ValueError("give a correction for each grade 1, 2, 3, 4, 5 and 6")
    if any(not math.isfinite(x) for x in v.values()):
        raise ValueError("each correction must be a finite number")
    return v


def _cost_uplifts(v: dict[int, float]) -> dict[int, float]:
    """Costs are × (1 + uplift): any uplift from 0 to 500% (HM Treasury's upper bounds reach
    200%)."""
    _grades(v)
    if any(not 0 <= x <= MAX_COST_UPLIFT for x in v.values()):
        raise ValueError("each cost uplift must lie in 0–5 (0.4 for 40%, 2 for 200%: HM Treasury's "
                         "upper bound for equipment and development projects' capital costs)")
    return v


def _benefit_shares(v: dict[int, float]) -> dict[int, float]:
    """Benefits are × (1 − share), so a share must be below 1 (1 would remove every benefit)."""
    _grades(v)
    if any(not 0 <= x < 1 for x in v.values()):
        raise ValueError("each correction must lie in 0–1 (0.4 for 40%)")
    return v


CostUplifts = Annotated[dict[int, float], AfterValidator(_cost_uplifts)]
BenefitShares = Annotated[dict[int, float], AfterValidator(_benefit_shares)]


class OptimismBias(StrictModel):
    costs: CostUplifts = Field(
        default_factory=lambda: dict(NEW_ECONOMY_GRADES),
        description="Grade → uplift on costs (cost × (1 + uplift)), 0 to 5 (500%).",
    )
    benefits: BenefitShares = Field(
        default_factory=lambda: dict(NEW_ECONOMY_GRADES),
        description="Grade → pessimistic correction of benefits: a benefit × (1 − share), "
        "a disbenefit (negative value) × (1 + share).",
    )
    source: str = Field(
        "HM Treasury / New Economy (2014) CBA guidance for local partnerships, "
        "confidence-grade optimism-bias table",
        description="Where the grade table comes from.",
    )
