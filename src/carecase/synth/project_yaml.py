"""``carecase.yaml`` for a synthetic area: every extract mapped, plus minimal sections for the
later stages (only keys that exist in their configuration models today)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from carecase.synth import params
from carecase.synth.extract import Extract
from carecase.synth.model import Area

POST_WINDOWS: tuple[tuple[int, int], ...] = ((0, 8), (0, 11), (0, 12))
PRE_MONTHS = 12
KEY_FILE = "../demo.key"


def project_config(
    area: Area, sources: list[Extract], lookups: list[Extract], population: Extract,
    programme: Extract, outcomes: Extract, formats: str,
) -> dict[str, Any]:
    def located(e: Extract) -> dict[str, Any]:
        return {"path": e.path(formats), "format": e.format_entry(formats), **e.entry}

    return {
        "version": 1,
        "project": {
            "name": f"Synthetic area (seed {area.seed})",
            "area": "Caxton (fictional)",
            "period_start": area.period.start,
            "period_end": area.period.last_date,
        },
        "engine": {"backend": "duckdb"},
        "privacy": {"key_file": KEY_FILE},
        "ingest": {
            "population": located(population),
            "sources": [e.config(formats) for e in sources],
            "lookups": [{"name": e.name, **located(e)} for e in lookups],
            "programme": located(programme),
            "outcomes": [located(outcomes)],
        },
        "costs": {"price_year": 2024},
        "evaluation": {
            "pre_months": PRE_MONTHS,
            "post_windows": [list(w) for w in POST_WINDOWS],
            "instruments": [outcome_instrument()],
            # every eligible resident is a candidate control in a synthetic area this size
            "matching": {"pool_size": min(max(len(area.people), 20), 5000)},
        },
        "cba": cba_section(len(area.programme.person), area.period.months / 12, area.seed),
        "report": {"title": "Caxton complex-needs programme: whole-system cost and impact (synthetic)",
                   "logic_model": LOGIC_MODEL},
    }


# The synthetic programme's theory of change (a generic multiple-complex-needs team), declared
# in its carecase.yaml as a real project would declare its own (report.logic_model).
LOGIC_MODEL: dict[str, Any] = {
    "inputs": ["Pooled budget from NHS, council, housing and police partners",
               "Navigators with small caseloads", "Personal budgets for flexible spending"],
    "activities": ["Assertive outreach and engagement", "Navigator coordination across agencies",
                   "Housing-led support (Housing First)",
                   "Access to mental health and substance misuse treatment"],
    "outputs": ["People engaged and with a support plan", "People housed in settled accommodation",
                "Referrals accepted into treatment"],
    "outcomes": [
        {"name": "Better mental wellbeing", "indicator": "Complex Needs Outcome Scale score change (outcome measures)"},
        {"name": "Fewer crises", "indicator": "A&E attendances and non-elective admissions per person-year"},
        {"name": "Stable housing", "indicator": "Nights in temporary accommodation per person-year"},
        {"name": "Less offending", "indicator": "Police custody episodes per person-year"},
    ],
    "impacts": ["Lower reactive whole-system cost", "Improved quality of life",
                "Resources released for prevention"],
}


#: The services whose increase the synthetic programme intends (cba.from_evaluation.intended):
#: the generator plants a rise in both (synth.params: rate ratios 1.30 and 1.50).
INTENDED: tuple[str, ...] = ("GP_APPT", "DA_TREATMENT")


def cba_section(participants: int, years: float, seed: int) -> dict[str, Any]:
    """The synthetic partnership's business case: what the complex-needs team costs (its own
    illustrative assumptions, with distributions), with the benefits taken from the measured
    evaluation effects (``from_evaluation``) so that the CBA runs on evidence, not guesses."""
    per_year = max(5, round(participants / max(years, 1.0)))  # the area's referral rate
    return {
        "from_evaluation": {
            "cohort": "participants",
            "window": "post_0_12",
            "duration_years": 1,
            "confidence_grade": 2,
            # the team sets out to raise GP contact and drug and alcohol treatment (the logic
            # model's access to treatment): their cost is shown apart from avoided demand
            "intended": list(INTENDED),
        },
        "inline": {
            "name": "Caxton complex-needs team (synthetic business case)",
            "description": "Multi-agency keyworker team for people with multiple complex needs; "
            "benefits are the matched-comparison effects measured by the evaluation.",
            "appraisal_years": 5,
            "price_base_year": 2024,
            "discounting": {"schedule": "standard"},
            "cashable": {"NHS": 0.2, "Local Authority": 0.5, "Police": 0.1},
            "cohorts": [
                {
                    "name": "participants",
                    "need": {0: per_year, 1: per_year, 2: per_year, 3: per_year, 4: per_year},
                    "engagement_rate": {"dist": "beta", "alpha": 18, "beta": 2},
                    "success_rate": 1.0,
                    "source": "Synthetic referral forecast (the observed referral rate)",
                }
            ],
            "costs": [
                {
                    "name": "Team set-up and recruitment",
                    "agency": "Local Authority",
                    "kind": "capital",
                    "amount": 60000,
                    "confidence_grade": 1,
                    "source": "Synthetic council budget",
                },
                {
                    "name": "Keyworker caseload",
                    "agency": "Local Authority",
                    "kind": "revenue",
                    "basis": "per_participant",
                    "amount": {"dist": "triangular", "min": 2400, "mode": 3000, "max": 4200},
                    "confidence_grade": 2,
                    "source": "Synthetic provider tender prices",
                },
                {
                    "name": "Mental health practitioner (seconded)",
                    "agency": "NHS",
                    "kind": "in_kind",
                    "amount": 48000,
                    "confidence_grade": 3,
                    "source": "Synthetic ICB secondment agreement",
                },
                {
                    "name": "Police liaison officer time",
                    "agency": "Police",
                    "kind": "in_kind",
                    "amount": 15000,
                    "confidence_grade": 4,
                    "source": "Synthetic force estimate",
                },
            ],
            "outcomes": [],
            "scenarios": [
                {
                    "name": "Dearer caseload",
                    "description": "Keyworker cost at the top of the tender range.",
                    "overrides": {"costs[1].amount": 4200},
                }
            ],
            "monte_carlo": {"draws": 10000, "seed": seed},
        },
    }


def outcome_instrument() -> dict[str, Any]:
    """The generic Complex Needs Outcome Scale, as evaluation.instruments describes it."""
    return {
        "name": params.OUTCOME_INSTRUMENT,
        "domains": list(params.OUTCOME_DOMAINS),
        "scoring": "sum",
        "scale_min": 1,
        "scale_max": 10,
        "higher_is_better": True,
        "assessments": list(params.OUTCOME_ASSESSMENT_MONTHS),
    }


HEADER = """\
# carecase project for a SYNTHETIC area generated by `carecase synth` (no real people).
# The pseudonymisation key lives in ../demo.key, outside this folder (see docs/privacy.md).
# truth/ holds the generator's ground truth; only tests read it.
"""


def write_config(folder: Path, config: dict[str, Any]) -> Path:
    path = folder / "carecase.yaml"
    text = yaml.safe_dump(config, sort_keys=False, allow_unicode=True, width=100, default_flow_style=False)
    path.write_text(HEADER + text, encoding="utf-8")
    return path
