"""Report settings (``report:`` in carecase.yaml).

``suppression`` controls statistical disclosure control for shared outputs (see
docs/report.md); ``logic_model`` declares the programme's theory of change drawn in the
report (inputs → activities → outputs → outcomes → impacts, each outcome with the
indicator that measures it).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from carecase.core.model import StrictModel


class DominanceConfig(StrictModel):
    rule: Literal["p_percent", "nk", "none"] = Field(
        "p_percent",
        description="How a cost dominated by one or two people is found (Hundepool et al. 2012, "
        "Handbook on Statistical Disclosure Control, section 4.2): p_percent: hidden when the cost "
        "less its two largest people's costs is under p% of the largest (the second-costliest "
        "person could estimate the costliest person's cost within p%); nk: hidden when the n "
        "largest people's costs are over k% of it; none: off.",
    )
    p: float = Field(10.0, gt=0, le=100, description="The p of the p% rule, in per cent.")
    n: Literal[1, 2] = Field(2, description="The n of the (n,k) rule: 1 or 2 people.")
    k: float = Field(85.0, gt=0, lt=100, description="The k of the (n,k) rule, in per cent.")


class SuppressionConfig(StrictModel):
    threshold: int = Field(
        7, ge=0, description="Counts from 1 to this value are shown as the suppression symbol."
    )
    rounding_base: int = Field(
        5, ge=1, description="Other counts are rounded to the nearest multiple of this (1: none)."
    )
    symbol: str = Field("*", min_length=1, description="Shown in place of a suppressed value.")
    secondary: bool = Field(
        True,
        description="Complementary suppression: a row or column with exactly one suppressed "
        "cell has its next-smallest cell suppressed too, repeated until stable (the audit's cost "
        "tables choose their complements jointly: the fewest rows that protect every hidden one).",
    )
    dominance: DominanceConfig = Field(
        default_factory=DominanceConfig,
        description="Figures that one or two people dominate are hidden with their row, whatever "
        "their number of people: the total £ of each row of the audit's cost by agency, area of "
        "need, service, locality and year and of the cohort table (not its fiscal and economic "
        "parts separately), and the evaluation's rates and changes per group. A cost of 10 people of "
        "which one accounts for 95% gives that person's cost within 5%. Keep the parameters out "
        "of what you share: knowing them narrows a hidden cost.",
    )
    totals: Literal["displayed", "suppress"] = Field(
        "displayed",
        description="displayed: a total is the sum of the rounded values shown, or the symbol "
        "when its row/column holds a suppressed cell. suppress: every total of a table "
        "holding any suppressed cell is suppressed.",
    )


class Outcome(StrictModel):
    name: str = Field(description="The outcome, in plain words.")
    indicator: str = Field(description="The indicator that measures it (instrument, service use...).")


class LogicModel(StrictModel):
    inputs: list[str] = Field(default_factory=list, description="Resources put in.")
    activities: list[str] = Field(default_factory=list, description="What the programme does.")
    outputs: list[str] = Field(default_factory=list, description="Direct, countable products.")
    outcomes: list[Outcome] = Field(default_factory=list, description="Changes for people.")
    impacts: list[str] = Field(default_factory=list, description="Long-run, system-level change.")


OutputFormat = Literal["html", "xlsx", "pdf"]


def _all_formats() -> list[OutputFormat]:
    return ["html", "xlsx", "pdf"]


def _default_suppression() -> SuppressionConfig:
    return SuppressionConfig.model_validate({})


class ReportConfig(StrictModel):
    title: str = Field("Whole-system cost and impact", description="Report title.")
    mode: Literal["shared", "internal"] = Field(
        "shared", description="shared: small-number suppression applied; internal: unsuppressed, labelled."
    )
    formats: list[OutputFormat] = Field(default_factory=_all_formats, description="Formats to write.")
    top_n: int = Field(10, ge=1, le=100, description="Size of the highest-cost people group (shared reports) and rows of "
                       "the per-person table (internal reports only).")
    suppression: SuppressionConfig = Field(
        default_factory=_default_suppression, description="Small-number suppression for shared outputs."
    )
    share_case_studies: bool = Field(
        False, description="Include the economic case studies in shared reports. Each case is one "
        "person's service use month by month (with the unit costs their £ give their event counts "
        "back), so small-number suppression cannot protect it: set true only with the people's "
        "consent, as a published case study needs. Internal reports always include them."
    )
    logic_model: LogicModel = Field(
        default_factory=LogicModel, description="The programme's logic model (theory of change); empty by "
        "default: the report then says none was given."
    )
    chromium: str | None = Field(
        None, description="Path to a Chromium executable for the PDF (default: `chromium` on PATH)."
    )

    @model_validator(mode="after")
    def _formats_unique(self) -> ReportConfig:
        if len(set(self.formats)) != len(self.formats):
            raise ValueError(f"formats lists a format twice ({self.formats}); list each once")
        return self
