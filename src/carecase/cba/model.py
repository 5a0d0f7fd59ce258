"""The cost-benefit model (Pydantic): periods, discounting, costs, cohorts, outcomes.

Written in YAML (a standalone file, or inline under ``cba.inline`` in carecase.yaml) or built
in Python. Every number may be a distribution (:mod:`carecase.cba.distributions`). Years run
0 … ``appraisal_years`` − 1; year 0 is undiscounted. Cross-references (cohort names, unit-cost
codes, agencies) are checked by :mod:`carecase.cba.checks`; :mod:`carecase.cba.load` turns
every problem into one ``CBAError`` naming the key path, the value and what is allowed. The model-wide settings
(discounting, the optimism-bias grade table) are in :mod:`carecase.cba.model_settings`.
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

from carecase.cba.config import (
    FIRST_FINANCIAL_YEAR,
    MAX_DRAWS,
    MAX_FINANCIAL_YEAR,
    MIN_DRAWS,
    MIN_FINANCIAL_YEAR,
)
from carecase.cba.distributions import Param, check_bounds, parse_param
from carecase.cba.model_settings import Discounting, OptimismBias
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
        "(QALYs, monetised values of health and life), discounted on the Green Book "
        "(2022, Annex A6) health schedule, 1.5% years 0–30 then declining; refused with "
        "discounting.schedule: custom, which has no defined health counterpart.")
    intended: bool = Field(
        False, description="True when this outcome is a change the programme set out to make (more GP "
        "appointments, drug and alcohol treatment, home care instead of residential care) rather than "
        "demand it aims to avoid. Its value, usually below zero (the cost of the extra use), is shown "
        "apart from the benefits of avoided demand as a cost the programme chose, not a failure; the "
        "NPV and every other figure are unchanged (results.json benefit_split; docs/cba.md).")


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
    first_financial_year: int | None = Field(
        None, ge=MIN_FINANCIAL_YEAR, le=MAX_FINANCIAL_YEAR, description=FIRST_FINANCIAL_YEAR)
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
