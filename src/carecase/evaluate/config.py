"""Evaluation settings (``evaluation:`` in carecase.yaml).

Windows are half-open month offsets from each person's index date: the pre-period is
``[index - pre_months months, index)`` and a post window ``[a, b]`` is
``[index + a months, index + b months)`` (so ``[0, 12]`` is the first twelve months).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from carecase.core.model import StrictModel

RateModel = Literal["poisson", "negative_binomial"]
RATE_MODELS: tuple[RateModel, ...] = ("poisson", "negative_binomial")
RATE_MODEL_LABELS: dict[str, str] = {"poisson": "Poisson", "negative_binomial": "Negative binomial"}
#: a post window of which the matched participants have, on average, less than this share
#: within the data (before project.period_end) is named in a warning (evaluate.windows.window_coverage)
WINDOW_COVERAGE_MIN = 0.9


class Eligibility(StrictModel):
    """Who may be in the comparison (and the treated cohort) at an index date."""

    min_age: int = Field(0, ge=0, le=120, description="Youngest age (years) at the index date.")
    max_age: int = Field(120, ge=0, le=130, description="Oldest age (years) at the index date.")
    population_only: bool = Field(
        True, description="Only people flagged in_population are eligible (treated and controls)."
    )
    require_full_pre: bool = Field(
        True, description="Registered for the whole pre-period (registered_from ≤ its start)."
    )

    @model_validator(mode="after")
    def _ages(self) -> Eligibility:
        if self.max_age < self.min_age:
            raise ValueError(f"max_age ({self.max_age}) is below min_age ({self.min_age}); swap them")
        return self


class MatchingConfig(StrictModel):
    covariates: list[str] = Field(
        default_factory=list,
        description="Extra people columns (numeric) added to the propensity model.",
    )
    exact: list[str] = Field(
        default_factory=list,
        description="Variables matched exactly (e.g. sex, locality, deprivation_decile).",
    )
    k: int = Field(
        1,
        ge=1,
        le=10,
        description=(
            "Controls per treated person (k:1). k = 3 gives point estimates with less error but "
            "intervals that cover less often than nominal where bias remains (measured: "
            "docs/evaluation.md, Known limitations)."
        ),
    )
    caliper: float = Field(
        0.2, gt=0, le=5, description="Caliper in SDs of the logit propensity score (Austin 2011)."
    )
    replacement: bool = Field(True, description="A control may be matched to several treated.")
    pool_size: int = Field(
        400, ge=20, le=100_000,
        description="Candidate controls per index month, where more people are eligible: half the "
        "most recently active, half a seeded random sample of the rest.",
    )
    censor_controls: bool = Field(
        True,
        description="Cut a control's follow-up at their own later programme start (else keep "
        "it, diluting the effect towards zero).",
    )
    calibrate: Literal["auto", "always", "never"] = Field(
        "auto",
        description="Entropy-balance the matched controls' weights so their weighted "
        "covariate means equal the treated means (Hainmueller 2012): 'auto' when matching "
        "alone leaves a covariate with |SMD| at or above smd_threshold, 'always', or 'never' "
        "(true and false mean always and never).",
    )
    smd_threshold: float = Field(0.1, gt=0, le=1, description="|SMD| at or above this fails balance.")
    balance_tolerance: float = Field(
        0.0, ge=0, lt=1,
        description="With calibration, how far (in pooled standard deviations) each weighted "
        "control mean may stay from the treated mean: 0 balances exactly (entropy balancing); "
        "more keeps the weights nearer equal (approximate balance, Wang & Zubizarreta 2020). "
        "Keep it below smd_threshold.",
    )
    history_months: int = Field(
        0, ge=0, le=48,
        description="Months of use before the pre-period added to the propensity model, per "
        "service (0 = none): lasting need that a crisis-inflated pre-period hides. Use before "
        "the data starts counts as none, alike for a participant and the controls that share "
        "their index date.",
    )
    spell_measure: Literal["units", "events", "both"] = Field(
        "units",
        description="What the propensity covariates count of each spell and package service "
        "(admissions, stays, placements) before the index date: 'events' (the spells "
        "themselves, the rate the difference-in-differences compares), 'units' (bed days, "
        "nights, hours: what drives their cost) or 'both' (pre-period spells beside units).",
    )

    @field_validator("calibrate", mode="before")
    @classmethod
    def _calibrate_bool(cls, v: object) -> object:
        return {True: "always", False: "never"}.get(v, v) if isinstance(v, bool) else v


class InstrumentConfig(StrictModel):
    name: str = Field(description="Instrument as in outcome_scores.instrument, e.g. 'SWEMWBS'.")
    domains: list[str] = Field(
        default_factory=list, description="Domains (or items) to report; empty = all found."
    )
    scoring: Literal["sum", "wemwbs", "swemwbs", "eq5d", "none"] = Field(
        "sum",
        description="Total: 'sum' of domains, 'wemwbs' (14 items 1-5), 'swemwbs' (7 items, "
        "Rasch metric), 'eq5d' (index from value_set), 'none' (domains only).",
    )
    scale_min: float = Field(1, description="Lowest possible domain score.")
    scale_max: float = Field(5, description="Highest possible domain score.")
    higher_is_better: bool = Field(
        True, description="Direction of improvement of the domains and the total (EQ-5D's "
        "is fixed: lower dimension levels and a higher index are better; WEMWBS and SWEMWBS: "
        "higher is better, and false is refused).")
    assessments: list[str] = Field(
        default_factory=lambda: ["baseline", "follow_up"],
        description="Assessment points in order; change is last minus first. Ingest quarantines "
        "this instrument's rows at any other point (unknown_assessment).",
    )
    value_set: str | None = Field(
        None, description="EQ-5D value set CSV, relative to the project folder: columns dimension,level,decrement, "
        "a row for each dimension (named as the domains, all of them) and level above 1, and optional 'constant' and "
        "'N3' rows with no level (an additive 3L or 5L value set; a crosswalk is not of this form)."
    )

    @model_validator(mode="after")
    def _scale(self) -> InstrumentConfig:
        if self.scale_max <= self.scale_min:
            raise ValueError(f"scale_max ({self.scale_max}) must exceed scale_min ({self.scale_min})")
        if len(self.assessments) < 2:
            raise ValueError("assessments needs at least two points (e.g. [baseline, follow_up])")
        if len(set(self.assessments)) != len(self.assessments):
            raise ValueError(f"assessments {self.assessments} repeats a point; list each once, "
                             "first to last (e.g. [baseline, follow_up])")
        if self.scoring == "eq5d" and "higher_is_better" in self.model_fields_set and self.higher_is_better:
            raise ValueError("EQ-5D fixes the direction: a higher level of a dimension is worse "
                             "and a higher index is better; leave higher_is_better out")
        if self.scoring in ("wemwbs", "swemwbs") and not self.higher_is_better:
            raise ValueError(f"{self.scoring.upper()} fixes the direction: a higher score is better "
                             "(more wellbeing); leave higher_is_better out")
        if self.scoring == "eq5d" and not self.value_set:
            raise ValueError("scoring 'eq5d' needs value_set: a CSV of the value set you licence")
        return self


class CaseStudyConfig(StrictModel):
    people: list[str] = Field(
        default_factory=list, description="Participants to write up, by their pseudonymous person_id (as in "
        "out/link/people and the internal outputs), in this order; when empty, the `count` with the highest "
        "cost before joining (whose fall is mostly regression to the mean: the report says so).")
    count: int = Field(3, ge=0, le=20, description="Participants auto-selected (highest pre cost) when "
                       "`people` is empty.")
    window_months: int = Field(12, ge=1, le=60, description="Months before and after joining.")
    suppress_below: int = Field(8, ge=1, description="Counts 1..suppress_below-1 are suppressed.")


class EvaluationConfig(StrictModel):
    pre_months: int = Field(12, ge=4, le=60, description="Months before the index date.")
    post_windows: list[tuple[int, int]] = Field(
        default_factory=lambda: [(0, 8), (0, 11), (0, 12)], max_length=6,
        description="Post windows as [from_month, to_month) after the index date; at most 6: the "
        "disclosure check judges every period and difference of periods the windows give together "
        "(2^windows of them), which grows too long beyond that.",
    )
    eligibility: Eligibility = Field(default_factory=lambda: Eligibility.model_validate({}))
    matching: MatchingConfig = Field(default_factory=lambda: MatchingConfig.model_validate({}))
    bias_correction: bool = Field(
        False, description="Regression-adjust matched controls for residual covariate "
        "differences before the DiD (Abadie & Imbens 2011).",
    )
    bootstrap_draws: int = Field(1000, ge=50, le=100_000, description="Bootstrap resamples.")
    power: float = Field(
        0.8, ge=0.5, lt=1, description="Power for the minimum detectable effect shown beside "
        "each matched estimate (Bloom 1995; 5% two-sided level, as the 95% intervals).",
    )
    rate_models: list[RateModel] = Field(
        default_factory=lambda: list(RATE_MODELS),
        min_length=1,
        description="Count models for the rate ratios (log person-time offset, cluster jackknife "
        "SE): 'poisson' (GLM) and/or 'negative_binomial' (NB2). The first listed is the one "
        "effects.json and the headline figures carry; the rate_ratios table has them all.",
    )
    seed: int = Field(20240401, description="Seed for pools, matching ties and bootstrap.")
    services: list[str] = Field(
        default_factory=list, description="Service codes to evaluate; empty = all with activity."
    )
    instruments: list[InstrumentConfig] = Field(default_factory=list)
    case_studies: CaseStudyConfig = Field(default_factory=lambda: CaseStudyConfig.model_validate({}))

    @model_validator(mode="after")
    def _windows(self) -> EvaluationConfig:
        for a, b in self.post_windows:
            if not 0 <= a < b <= 120:
                raise ValueError(
                    f"post window [{a}, {b}] must satisfy 0 <= from < to <= 120 (months)"
                )
        if len(set(self.post_windows)) != len(self.post_windows):
            raise ValueError("post_windows has duplicates; list each window once")
        if len(set(self.rate_models)) != len(self.rate_models):
            raise ValueError("rate_models has duplicates; list each model once")
        return self


def window_name(window: tuple[int, int]) -> str:
    return f"post_{window[0]}_{window[1]}"


def window_months(name: object) -> tuple[int, int] | None:
    """The window a :func:`window_name` names (``post_0_12`` → (0, 12)); None for any other name."""
    m = re.fullmatch(r"post_(\d+)_(\d+)", str(name))
    return (int(m.group(1)), int(m.group(2))) if m else None


def window_key(name: object) -> list[int | str]:
    """Natural sort key: ``post_0_8`` before ``post_0_11`` (numbers as numbers, not text)."""
    return [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", str(name))]
