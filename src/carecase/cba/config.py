"""CBA section of carecase.yaml: where the cost-benefit model lives, and how an evaluation
result feeds it."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from carecase.core.model import StrictModel

#: Allowed Monte Carlo draws: the model's ``monte_carlo.draws``, ``cba.draws`` and
#: ``carecase cba --draws`` (kept here, a light module the CLI can import at start-up).
MIN_DRAWS, MAX_DRAWS = 2, 1_000_000
#: Allowed ``first_financial_year`` (the model's and ``cba.first_financial_year``): a financial
#: year's start year, the range ``price_base_year`` accepts.
MIN_FINANCIAL_YEAR, MAX_FINANCIAL_YEAR = 1990, 2100
#: What ``first_financial_year`` means, in the model and in carecase.yaml's ``cba:`` section.
FIRST_FINANCIAL_YEAR = (
    "Financial year (start year: 2025 = 2025/26, April to March) that year 0 of the appraisal is. "
    "Labels only: every year shown (report tables and charts, the workbook, the payback year, "
    "results.json's financial_year beside each year) also names its financial year, e.g. "
    "'2025/26 (year 0)'; no figure changes. Not set: years are numbered 0, 1, … only.")
#: Why the cba stage skips a project without a model (its headline: ``skipped: ...``; the
#: report tells it from other skips, to say how to add a model).
NO_MODEL = "no cba.model or cba.inline in carecase.yaml"


class EvaluationLink(StrictModel):
    """Take outcomes from ``out/evaluate/effects.json`` (see carecase.cba.from_evaluation)."""

    cohort: str = Field(description="Cohort of the model the effects apply to (success rate 1).")
    window: str | None = Field(None, description="Evaluation window to use, named `post_<from>_<to>` after "
                               "evaluation.post_windows (e.g. post_0_12); needed if several.")
    services: list[str] | None = Field(None, description="Only these service codes (default all). "
                                       "Leave out a service the model's own outcomes already value.")
    duration_years: int = Field(1, ge=1, description="Years each effect lasts.")
    lag_years: int = Field(0, ge=0, description="Years before the effect starts.")
    drop_off: float = Field(0.0, ge=0, le=1, description="Yearly fall after the first year.")
    confidence_grade: int = Field(2, ge=1, le=6, description="Confidence grade of the evidence.")
    min_users: int = Field(10, ge=0, description="Leave out a service whose matched effect rests on fewer "
                           "participants, or comparison people, who used it (the effect of one resident's "
                           "care is not evidence; a note names each service left out). 0 keeps every service.")
    file: str = Field("out/evaluate/effects.json", description="Effects file, relative to the project.")
    intended: list[str] = Field(
        default_factory=list, description="Services whose change the programme intends, by service code "
        "(GP_APPT) or area of need (Substance misuse: every service in it): more GP appointments, drug and "
        "alcohol treatment, home care instead of residential care. Their evaluated effects are marked "
        "intended (outcomes[].intended), so the CBA and the report show their cost (an increase the "
        "programme chose, not a failure) apart from the benefits of the demand it aims to avoid (A&E, "
        "emergency admissions, custody). Presentation only: NPV, BCR and every other figure are unchanged. "
        "An entry that is neither a service nor an area of need of the project's catalogue is refused.")
    not_double_counted: dict[str, str] = Field(
        default_factory=dict, description="Model outcome name → why it is a different benefit from the "
        "evaluated effect that values the same unit cost (other people than those evaluated, or a cost "
        "the evaluation does not measure). By default a model whose own outcome values the unit cost of "
        "a service taken from the evaluation (the same code, or one rolling up to the other: a "
        "constituent or derivation) is refused: the saving would be counted twice (Green Book: count "
        "each benefit once). An outcome named here is kept, and the reason is printed in the stage's notes.")

    @field_validator("not_double_counted")
    @classmethod
    def _reasons_given(cls, v: dict[str, str]) -> dict[str, str]:
        blank = [name for name, why in v.items() if not why.strip()]
        if blank:
            raise ValueError(f"say why each outcome is a different benefit from the evaluated effect; "
                             f"no reason given for {', '.join(map(repr, blank))}")
        return v


class CBASection(StrictModel):
    model: str | None = Field(None, description="Path to a CBA model YAML (relative to the project).")
    inline: dict[str, Any] | None = Field(None, description="The CBA model written inline.")
    from_evaluation: EvaluationLink | None = Field(
        None, description="Add outcomes measured by the evaluation stage."
    )
    draws: int | None = Field(None, ge=MIN_DRAWS, le=MAX_DRAWS,
                              description="Override the model's Monte Carlo draws.")
    unit_costs: Literal["project", "builtin"] = Field(
        "project",
        description="project: the project's unit-cost library (costs: section) at the model's "
        "price_base_year (else costs.price_year); builtin: the shipped default library at its published price years (no local overrides), uprated by the CBA.",
    )
    first_financial_year: int | None = Field(
        None, ge=MIN_FINANCIAL_YEAR, le=MAX_FINANCIAL_YEAR,
        description=FIRST_FINANCIAL_YEAR + " Used where the model leaves its own first_financial_year "
        "out; a model that gives another year is refused. No default: carecase does not guess it "
        "from the data's dates.")

    @model_validator(mode="after")
    def _one_source(self) -> CBASection:
        if self.model is not None and self.inline is not None:
            raise ValueError("give either model (a file) or inline, not both")
        return self
