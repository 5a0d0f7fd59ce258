"""The cost-benefit model (Pydantic): periods, discounting, costs, cohorts, outcomes.

Written in YAML (a standalone file, or inline under ``cba.inline`` in carecase.yaml) or built
in Python. Every number may be a distribution (:mod:`carecase.cba.distributions`). Years run
0 … ``appraisal_years`` − 1; year 0 is undiscounted. Cross-references (cohort names, unit-cost
codes, agencies) are checked by :mod:`carecase.cba.load`, which turns every problem into one
``CBAError`` naming the key path, the value and what is allowed.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from carecase.cba.config import MAX_DRAWS, MIN_DRAWS
from carecase.cba.distributions import Param, check_bounds, parse_param
from carecase.core.model import StrictModel

_PARAM_SCHEMA = WithJsonSchema(
    {"anyOf": [{"type": "number"}, {"type": "object", "required": ["dist"]}],
     "description": "A number, or a distribution {dist: normal|lognormal|beta|gamma|"
     "triangular|uniform|pert, ...parameters}."}
)


def _rate(v: Param) -> Param:
    return check_bounds(v, 0.0, 1.0, "a rate or share")


def _non_negative(v: Param) -> Param:
    return check_bounds(v, 0.0, float("inf"), "this amount")


AnyNumber = Annotated[Any, BeforeValidator(parse_param), _PARAM_SCHEMA]
Rate = Annotated[Any, BeforeValidator(parse_param), AfterValidator(_rate), _PARAM_SCHEMA]
NonNegative = Annotated[
    Any, BeforeValidator(parse_param), AfterValidator(_non_negative), _PARAM_SCHEMA
]
def _rate_by_year(v: Any) -> Any:
    """A rate, or a mapping year → rate (a year not listed takes the latest earlier one)."""
    if isinstance(v, dict) and "dist" not in v:
        out: dict[int, Param] = {}
        for k, x in v.items():
            if isinstance(k, bool) or not str(k).lstrip("-").isdigit():
                raise ValueError(f"a rate by year maps years to rates, e.g. {{0: 0.5, 2: 0.7}}; "
                                 f"{k!r} is not a year")
            try:
                out[int(k)] = _rate(parse_param(x))
            except ValueError as err:
                raise ValueError(f"year {k}: {err}") from None
        if 0 not in out:
            raise ValueError("a rate by year must give year 0")
        return dict(sorted(out.items()))
    return _rate(parse_param(v))


def rate_in_year(value: Any, year: int) -> Param:
    """The rate that applies in ``year`` (a plain rate, or the latest listed year ≤ year)."""
    if isinstance(value, dict):
        return value[max(k for k in value if k <= year)]
    return value


RateByYear = Annotated[Any, BeforeValidator(_rate_by_year), _PARAM_SCHEMA]
Grade = Annotated[int, Field(ge=1, le=6, description="Confidence grade 1 (best) to 6.")]
ValueType = Literal["fiscal", "economic", "social"]
#: How an outcome's values are discounted: on the model's schedule, or the Green Book health one.
OutcomeDiscounting = Literal["standard", "health"]
#: The party that economic and social values go to: they are not an agency's budget.
INDIVIDUAL = "Individual"

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


def _grade_table(v: dict[int, float]) -> dict[int, float]:
    if sorted(v) != [1, 2, 3, 4, 5, 6]:
        raise ValueError("give a correction for each grade 1, 2, 3, 4, 5 and 6")
    if any(not 0 <= x < 1 for x in v.values()):
        raise ValueError("each correction must lie in 0–1 (0.4 for 40%)")
    return v


GradeTable = Annotated[dict[int, float], AfterValidator(_grade_table)]


class OptimismBias(StrictModel):
    costs: GradeTable = Field(
        default_factory=lambda: dict(NEW_ECONOMY_GRADES),
        description="Grade → uplift on costs (cost × (1 + uplift)).",
    )
    benefits: GradeTable = Field(
        default_factory=lambda: dict(NEW_ECONOMY_GRADES),
        description="Grade → pessimistic correction of benefits: a benefit × (1 − share), "
        "a disbenefit (negative value) × (1 + share).",
    )
    source: str = Field(
        "HM Treasury / New Economy (2014) CBA guidance for local partnerships, "
        "confidence-grade optimism-bias table",
        description="Where the grade table comes from.",
    )


class CostItem(StrictModel):
    name: str
    agency: str = Field(description="Paying agency (level 1), e.g. 'Local Authority'.")
    agency_l2: str = ""
    kind: Literal["capital", "revenue", "in_kind"]
    basis: Literal["per_year", "per_participant"] = "per_year"
    amount: NonNegative = Field(description="£ per year, or £ per engaged participant.")
    years: list[int] | None = Field(
        None, description="per_year costs: years incurred (default: capital year 0; otherwise "
        "every year). Not allowed on per_participant costs, charged for the people engaged "
        "each year.",
    )
    cohort: str | None = Field(None, description="per_participant: which cohort (default all).")
    confidence_grade: Grade
    source: str = ""


class Cohort(StrictModel):
    name: str
    need: dict[int, NonNegative] = Field(
        min_length=1, description="Year → people in need entering that year.")
    engagement_rate: RateByYear = Field(
        description="Share of those in need who engage (a rate, or {year: rate})."
    )
    success_rate: RateByYear = Field(
        description="Share of those engaged who achieve the outcome (a rate, or {year: rate})."
    )
    source: str = ""


class OutcomeValue(StrictModel):
    agency: str = Field(description="Who benefits (level 1); for economic/social, e.g. 'Individual'.")
    agency_l2: str = ""
    value_type: ValueType
    amount: AnyNumber = Field(description="£ per unit of outcome.")
    transfer: bool = Field(False, description="A transfer payment: excluded from public value.")
    economic_share: float = Field(
        0.0, ge=0, le=1, description="Fiscal values only: the share of amount that is economic value to "
        "the Individual rather than the agency's budget (self-funders' part of care costs), from the "
        "same draw. 0.333 books a third of each £ to Individual (economic).")


class Outcome(StrictModel):
    name: str
    cohort: str
    unit_cost: str | None = Field(None, description="Unit-cost code (agency split from the library).")
    values: list[OutcomeValue] | None = Field(None, description="Direct values, one per agency/type.")
    quantity: NonNegative = Field(1.0, description="Units per successful participant per year.")
    deadweight: Rate = 0.0
    displacement: Rate = 0.0
    attribution: Rate = 0.0
    drop_off: Rate = Field(0.0, description="Fall a year after the first benefit year (SROI).")
    lag_years: int = Field(0, ge=0, description="Years from success to the first benefit.")
    duration_years: int = Field(1, ge=1, description="Years a success keeps paying.")
    confidence_grade: Grade
    source: str = ""
    discounting: OutcomeDiscounting = Field(
        "standard", description="standard: this outcome's values are discounted on the model's "
        "schedule (discounting.schedule), as costs are. health: its values are health effects "
        "(QALYs, monetised values of health and life, WELLBYs), discounted on the Green Book "
        "(2022, Annex A6) health schedule, 1.5% years 0–30 then declining; refused with "
        "discounting.schedule: custom, which has no defined health counterpart.")


class Scenario(StrictModel):
    name: str
    description: str = ""
    overrides: dict[str, float] = Field(description="Input path → value, e.g. outcomes[0].deadweight.")


class Rollout(StrictModel):
    name: str
    cohort: str | None = Field(None, description="Cohort scaled (needed when there are several).")
    eligible_population: float = Field(gt=0)
    uptake: list[Annotated[float, Field(ge=0, le=1)]] = Field(
        min_length=1, description="Share of the eligible population in need each year (ramp)."
    )
    capacity: float | None = Field(None, gt=0, description="Most people served a year.")


class Correlation(StrictModel):
    """Inputs drawn jointly: normal distributions whose standard normal draws are correlated
    by ``matrix`` (z ← L z with L the Cholesky factor; the first input keeps its own draws)."""

    inputs: list[str] = Field(
        min_length=2, description="Input paths (each a normal distribution), e.g. "
        "outcomes[3].values[0].amount, in the matrix's order.")
    matrix: list[list[float]] = Field(description="Correlation matrix (symmetric, 1 on the diagonal).")
    source: str = ""

    @model_validator(mode="after")
    def _square(self) -> Correlation:
        k = len(self.inputs)
        if len(set(self.inputs)) != k:
            raise ValueError("inputs repeats a path; list each input once")
        if len(self.matrix) != k or any(len(row) != k for row in self.matrix):
            raise ValueError(f"matrix must be {k} × {k}, one row and column per input")
        for i in range(k):
            if abs(self.matrix[i][i] - 1) > 1e-9:
                raise ValueError(f"matrix[{i}][{i}] = {self.matrix[i][i]}: the diagonal must be 1")
            for j in range(k):
                if abs(self.matrix[i][j] - self.matrix[j][i]) > 1e-9 or abs(self.matrix[i][j]) > 1:
                    raise ValueError(f"matrix[{i}][{j}] = {self.matrix[i][j]}: entries lie in "
                                     "−1…1 and the matrix is symmetric")
        return self


class MonteCarlo(StrictModel):
    draws: int = Field(10_000, ge=MIN_DRAWS, le=MAX_DRAWS)
    seed: int = Field(20140402, ge=0)
    histogram_bins: int = Field(30, ge=2, le=500)


class CBAModel(StrictModel):
    name: str
    description: str = ""
    appraisal_years: int = Field(ge=1, le=400, description="Years 0 … appraisal_years − 1.")
    price_base_year: int | None = Field(
        None, ge=1990, le=2100, description="Financial year (start year) of the prices."
    )
    discounting: Discounting = Field(default_factory=lambda: Discounting.model_validate({}))
    optimism_bias: OptimismBias = Field(default_factory=lambda: OptimismBias.model_validate({}))
    agencies: list[str] | None = Field(None, description="Display order of agencies (optional).")
    cashable: dict[str, Rate] = Field(
        default_factory=dict, description="Agency → share of its fiscal benefit that is cashable."
    )
    cohorts: list[Cohort] = Field(min_length=1)
    costs: list[CostItem] = Field(min_length=1)
    outcomes: list[Outcome] = Field(min_length=1)
    scenarios: list[Scenario] = Field(default_factory=list)
    rollouts: list[Rollout] = Field(default_factory=list)
    correlations: list[Correlation] = Field(
        default_factory=list, description="Groups of normal inputs drawn jointly (the "
        "evaluated effects of several services, which share people, come as one).")
    monte_carlo: MonteCarlo = Field(default_factory=lambda: MonteCarlo.model_validate({}))
    sensitivity_swing: float = Field(
        0.2, gt=0, lt=1, description="± share for one-way sensitivity of fixed inputs."
    )

    @field_validator("outcomes")
    @classmethod
    def _health_needs_a_green_book_schedule(cls, v: list[Outcome], info: ValidationInfo) -> list[Outcome]:
        """The Green Book pairs its health schedule with its standard one; a custom rate has no
        defined health counterpart (a 0% sensitivity run would still discount health effects at
        1.5%, a 5% one would discount them below costs), so the pairing is refused."""
        disc = info.data.get("discounting")
        health = [f"outcomes[{i}] ({o.name})" for i, o in enumerate(v) if o.discounting == "health"]
        if disc is not None and disc.schedule == "custom" and health:
            raise ValueError(
                f"{', '.join(health)}: discounting: health uses the Green Book health schedule, "
                "which is paired with the standard schedule, but discounting.schedule is custom, "
                "which has no defined health counterpart (a 0% sensitivity run would still "
                "discount health effects at 1.5%). Use discounting.schedule: standard, or set "
                "these outcomes to discounting: standard to discount them at the custom rate")
        return v
