"""The evaluation's method is described as the run did it (summary.json's ``matching``), not
as the default would: a statistical reviewer found the report saying "propensity-score
matching ... on service use in the year before, its trend, age, sex and deprivation" of a
demo matched by covariate distance on richer covariates."""

from __future__ import annotations

from carecase.evaluate.match_search import FIRST_DISTANCE_STEP, PLAN
from carecase.report.sections.method import method_paragraph

DEMO = {"distance": "covariates within caliper", "propensity_covariates": "rich", "iteration": 8,
        "calibrated": False, "k": 1, "replacement": True, "pre_months": 12, "covariates": [], "exact": [],
        "history_months": 0}


def test_the_demo_run_is_described_as_covariate_distance_matching_on_the_rich_covariates() -> None:
    text = method_paragraph(DEMO)
    assert "measured as a distance across all of these" in text
    assert "weighted up where a first match left it unbalanced" in text
    assert "in its last 3 months, all use in its last 3 months and last month, its trend and its cost in £" in text
    assert "matched on the propensity score" not in text and "entropy" not in text
    assert "the most similar person" in text and "control for more than one participant" in text


def test_each_setting_changes_the_words() -> None:
    plain = method_paragraph(dict(DEMO, iteration=FIRST_DISTANCE_STEP))
    assert "measured as a distance" in plain and "weighted up" not in plain
    ps = method_paragraph(dict(DEMO, distance="propensity score", propensity_covariates="base", iteration=1))
    assert "matched on the propensity score (the modelled chance of joining) from each service's use in the " \
           "year before joining, all use in its last 3 months and its trend, age, sex and deprivation." in ps
    other = method_paragraph(dict(DEMO, k=3, replacement=False, pre_months=18, exact=["sex", "locality"],
                                  covariates=["imd_score"], history_months=12, calibrated=True))
    assert "the 3 most similar people" in other and "in the 18 months before joining" in other
    assert "each service's use in the year before that" in other and "deprivation and imd_score" in other
    assert "Matches had the same sex and locality." in other
    assert "No person was the control for more than one participant." in other
    assert "entropy balancing" in other


def test_outputs_without_the_settings_get_the_default_sentence() -> None:
    assert method_paragraph({}).startswith("Each participant was compared with the most similar person")


def test_the_step_numbering_agrees_with_the_match_search() -> None:
    assert PLAN[FIRST_DISTANCE_STEP - 1][1] and not PLAN[FIRST_DISTANCE_STEP - 2][1]
    assert all(distance for _, distance in PLAN[FIRST_DISTANCE_STEP - 1:])


def test_entropy_weights_far_from_equal_are_said_with_their_effective_number() -> None:
    """Demo seed: entropy balancing weights the 243 controls 0.002 to 7.8, an effective 99;
    the £ of rare costly services then rests on a few controls, which the method text says."""
    weighted = dict(DEMO, calibrated=True, control_rows=243, control_ess=98.8)
    text = method_paragraph(weighted)
    assert "the controls count as about 40% of their number (the effective sample size)" in text
    # no counts: the controls are the matched participants, whom a shared report may hide
    # (a disclosure reviewer got the 7 unmatched back from 250 participants less 243)
    assert "243" not in text and "99" not in text
    nearly_equal = dict(weighted, control_ess=230.0)
    assert "effective sample size" not in method_paragraph(nearly_equal)


def test_the_effective_number_of_weights_is_kish_s() -> None:
    """Kish (1965, Survey Sampling, §11.7): (Σw)²/Σw²; equal weights give their count, and
    weights 1, 1, 1, 5 give 64/28."""
    import numpy as np

    from carecase.evaluate.match_search import effective_number

    assert effective_number(np.ones(7)) == 7.0
    assert effective_number(np.array([1.0, 1, 1, 5])) == 64 / 28
    assert effective_number(np.zeros(3)) == 0.0


def test_approximate_balance_is_said_as_a_tolerance_not_equality() -> None:
    """With ``matching.balance_tolerance`` the weighted means need only come within that many
    standard deviations of the participants': the method must not say they are equal."""
    exact = method_paragraph(dict(DEMO, calibrated=True))
    assert "every characteristic's average equals the participants'" in exact
    tolerant = method_paragraph(dict(DEMO, calibrated=True, balance_tolerance=0.05))
    assert "every characteristic's average is within 0.05 standard deviations of the participants'" in tolerant
    assert "equals" not in tolerant
