"""The evaluation's method in words, from what the run did (``evaluate/summary.json``'s
``matching``), not from what it does by default: the match search (evaluate.match_search)
may end on richer covariates, covariate-distance matching or entropy-balanced weights, and a
board told "propensity-score matching" of a run that used another is misinformed."""

from __future__ import annotations

from typing import Any

from carecase.evaluate.match_search import FIRST_DISTANCE_STEP
from carecase.report.sections.common import in_a_list

#: weights count as fewer than this share of the controls: the method text says so
UNEQUAL = 0.8

#: the words for each covariate set of the match search (evaluate.features BASE and RICH)
COVARIATE_WORDS = {
    "base": "each service's use in the {pre} before joining, all use in its last 3 months and its trend",
    "rich": "each service's use in the {pre} before joining and in its last 3 months, all use in its last 3 "
            "months and last month, its trend and its cost in £",
}


def _months(n: Any) -> str:
    if not isinstance(n, int) or n <= 0:
        return "year"
    return "year" if n == 12 else f"{n} months"


def matched_on(matching: dict[str, Any]) -> str:
    """What participants and controls were matched on: "each service's use in the year before
    joining, ..., age, sex and deprivation"."""
    sets = COVARIATE_WORDS.get(str(matching.get("propensity_covariates")), COVARIATE_WORDS["base"])
    parts = [sets.format(pre=_months(matching.get("pre_months"))), "age", "sex", "deprivation"]
    history = matching.get("history_months")
    if isinstance(history, int) and history > 0:
        parts.insert(1, f"each service's use in the {_months(history)} before that")
    parts += [str(c) for c in matching.get("covariates") or []]
    return in_a_list(parts)


def method_paragraph(matching: dict[str, Any]) -> str:
    """How the comparison group was found, as the run found it. Older outputs without the
    settings get the sentence for the default."""
    k = matching.get("k", 1)
    each = "the most similar person" if k == 1 else f"the {k} most similar people"
    reuse = matching.get("replacement")
    pool = ("who had not (yet) joined the programme on the participant's start date (matching in calendar "
            "time: each control's before and after periods are the participant's)")
    covs = matched_on(matching)
    if matching.get("distance") == "covariates within caliper":
        step = matching.get("iteration")
        weighted = (", and weighted up where a first match left it unbalanced"
                    if isinstance(step, int) and step > FIRST_DISTANCE_STEP else "")
        how = (f"Each participant was compared with {each} {pool}: similar in {covs}, measured as a "
               f"distance across all of these (each standardised{weighted}), among people whose propensity "
               "score (the modelled chance of joining) was close to the participant's")
    else:
        how = (f"Each participant was compared with {each} {pool}, matched on the propensity score (the "
               f"modelled chance of joining) from {covs}")
    text = how + "."
    exact = [str(e) for e in matching.get("exact") or []]
    if exact:
        text += f" Matches had the same {in_a_list(exact)}."
    if reuse is True:
        text += " A person could be the control for more than one participant."
    elif reuse is False:
        text += " No person was the control for more than one participant."
    if matching.get("calibrated"):
        tolerance = matching.get("balance_tolerance")
        text += (" Matching alone left the groups unbalanced, so the controls were then weighted (entropy "
                 "balancing) so that every characteristic's average "
                 + (f"is within {tolerance:g} standard deviations of the participants'."
                    if isinstance(tolerance, int | float) and tolerance > 0 else "equals the participants'."))
        ess, rows = matching.get("control_ess"), matching.get("control_rows")
        if isinstance(ess, int | float) and isinstance(rows, int) and rows and ess < UNEQUAL * rows:
            # a share, rounded, never the counts: the number of controls is the number of matched
            # participants, which a shared report may hide (it gives the unmatched by subtraction)
            share = max(10, int(round(100 * ess / rows, -1)))
            text += (f" The weights are far from equal: the controls count as about {share}% of their number "
                     "(the effective sample size), so the estimates, those of rarely used costly services "
                     "most, are less precise than the number of controls suggests.")
    return text
