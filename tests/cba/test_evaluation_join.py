"""Joining a user's CBA model to the evaluation (cba.from_evaluation): errors in the user's
terms, and each benefit counted once (carecase.cba.evaluation_join)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from carecase.cba import stage
from carecase.cba.library_lookup import library_lookup
from carecase.core.errors import CBAError, ConfigError
from carecase.core.project import Project

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "cba_example.yaml"


def _effect(agency: str, effect: float) -> dict[str, Any]:
    return {"agency_l1": agency, "cost_ppy": {"effect": effect, "ci_low": effect - 100.0,
                                              "ci_high": effect + 100.0, "treated_users": 40,
                                              "control_users": 50}}


#: The user's evaluation: temporary accommodation costs went up, A&E fell.
EFFECTS = {"price_year": 2024, "windows": {"post_0_12": {"services": {
    "AE_ATTEND": _effect("NHS", -20.0), "HOU_TEMP_ACCOM": _effect("Local Authority", 150.0)}}}}


def _example() -> dict[str, Any]:
    """The example model made linkable: its cohort's success_rate 1 (the evaluated effects are
    per participant), without the scenario that lowers it."""
    model = yaml.safe_load(EXAMPLE.read_text())
    model["cohorts"][0]["success_rate"] = 1
    for scenario in model["scenarios"]:
        scenario["overrides"].pop("cohorts[0].success_rate", None)
    return model


def _project(tmp_path: Path, link: dict[str, Any], model: dict[str, Any] | None = None,
             costs: dict[str, Any] | None = None, effects: dict[str, Any] = EFFECTS) -> Project:
    """A project whose CBA model file is the example's made linkable (cohort jobseekers; outcomes[1] 'Fewer
    temporary accommodation weeks', valued with HO4.0), linked to ``effects``."""
    data = model if model is not None else _example()
    (tmp_path / "cba_model.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    cfg: dict[str, Any] = {"project": {"name": "t", "period_start": "2023-04-01", "period_end": "2024-03-31"},
                           "cba": {"model": "cba_model.yaml", "draws": 100,
                                   "from_evaluation": {"window": "post_0_12", **link}}}
    if costs:
        cfg["costs"] = costs
    (tmp_path / "carecase.yaml").write_text(yaml.safe_dump(cfg))
    (tmp_path / "out" / "evaluate").mkdir(parents=True, exist_ok=True)
    (tmp_path / "out" / "evaluate" / "effects.json").write_text(json.dumps(effects))
    return Project.open(tmp_path)


def _error(project: Project) -> str:
    with pytest.raises(CBAError) as err:
        stage.project_model(project)
    return str(err.value)


def _model_without(drop: str) -> dict[str, Any]:
    model = _example()
    model["outcomes"] = [o for o in model["outcomes"] if o["name"] != drop]
    model["scenarios"] = []
    return model


def test_a_link_cohort_the_model_lacks_is_named_as_the_user_wrote_it(tmp_path: Path) -> None:
    """User report: `from_evaluation: {cohort: participants}` on a model whose cohort is
    'jobseekers' gave "outcomes[2].cohort = 'participants': unknown cohort", an outcome the
    user's file does not have. The message names the setting, the file, the value, the
    model's cohorts and the fix."""
    msg = _error(_project(tmp_path, {"cohort": "participants"}))
    assert msg.startswith("carecase.yaml: cba.from_evaluation.cohort = 'participants': the CBA model "
                          "(cba_model.yaml) has no cohort of that name; its cohorts: jobseekers.")
    assert "Set cba.from_evaluation.cohort in carecase.yaml to one of jobseekers" in msg
    assert "add a cohort named 'participants' with success_rate: 1" in msg
    assert "outcomes[" not in msg


def test_the_users_own_outcomes_keep_their_messages(tmp_path: Path) -> None:
    """User report (outcomes[2].cohort): only the generated outcomes' messages change; a
    cohort misspelt in the user's own outcome is reported at its own path, as before."""
    model = _model_without("Fewer temporary accommodation weeks")
    model["outcomes"][0]["cohort"] = "jobseeker"
    msg = _error(_project(tmp_path, {"cohort": "jobseekers"}, model))
    assert ("outcomes[0].cohort = 'jobseeker': unknown cohort. Did you mean 'jobseekers'? "
            "Defined: jobseekers.") in msg
    assert "Not in the model you wrote" not in msg


def test_another_problem_on_an_added_outcome_says_where_it_came_from(tmp_path: Path) -> None:
    """User report (outcomes[2] is not in my file): a problem the model's checks find on an
    evaluated outcome (here its agency, spelt as the service catalogue does, against the
    model's 'Local authority') says that outcome was added by cba.from_evaluation."""
    model = _model_without("Fewer temporary accommodation weeks")
    for item in model["costs"]:
        item["agency"] = item["agency"].replace("Local Authority", "Local authority")
    model["cashable"] = {"NHS": 0.25}
    msg = _error(_project(tmp_path, {"cohort": "jobseekers"}, model))
    assert "outcomes[2].values[0].agency = 'Local Authority': spelt differently" in msg
    assert msg.endswith("Not in the model you wrote: outcomes[2] is the evaluated effect on HOU_TEMP_ACCOM "
                        "(window post_0_12), added by cba.from_evaluation in carecase.yaml from the "
                        "evaluation's effects file; the model's own outcome is outcomes[0].")


def test_an_outcome_valuing_an_evaluated_service_is_refused_as_double_counting(tmp_path: Path) -> None:
    """User report: the model's own 'Fewer temporary accommodation weeks' (HO4.0, the week)
    and the evaluated effect on HOU_TEMP_ACCOM (costed with HO4.0N, the night derived from
    HO4.0) counted one saving twice: BCR 2.10 and P(NPV>0) 100% where the evaluation showed
    costs going up. Refused, naming both, why, and the fixes."""
    msg = _error(_project(tmp_path, {"cohort": "jobseekers"}))
    assert ("  - outcomes[1] 'Fewer temporary accommodation weeks' (in cba_model.yaml) and the evaluated "
            "effect on HOU_TEMP_ACCOM (window post_0_12) value the same cost: the outcome uses HO4.0; "
            "HOU_TEMP_ACCOM is costed with HO4.0N, derived from HO4.0.") in msg
    assert "HM Treasury Green Book counts each benefit once" in msg
    assert "remove outcomes[1] 'Fewer temporary accommodation weeks' from cba_model.yaml" in msg
    assert "cba.from_evaluation.services: [AE_ATTEND] (the services it takes now, less HOU_TEMP_ACCOM)" in msg
    assert "cba.from_evaluation.not_double_counted: {'Fewer temporary accommodation weeks':" in msg
    assert "E&E1.0" not in msg  # the other outcome values no evaluated service


def test_each_fix_the_message_names_works(tmp_path: Path) -> None:
    """User report (double counting): leaving the service out, or removing the outcome, runs."""
    assert stage.project_model(_project(tmp_path, {"cohort": "jobseekers", "services": ["AE_ATTEND"]}))
    model = _model_without("Fewer temporary accommodation weeks")
    built = stage.project_model(_project(tmp_path, {"cohort": "jobseekers"}, model))
    assert built is not None
    assert [o.name for o in built[0].outcomes] == [
        "Jobseeker enters work", "AE_ATTEND: evaluated effect (post_0_12)",
        "HOU_TEMP_ACCOM: evaluated effect (post_0_12)"]


def test_when_every_evaluated_service_is_valued_the_fix_is_to_drop_the_link(tmp_path: Path) -> None:
    """User report (double counting): with nothing left to take, the message does not offer an
    empty services list."""
    effects = {"price_year": 2024, "windows": {"post_0_12": {"services": {
        "HOU_TEMP_ACCOM": _effect("Local Authority", 150.0)}}}}
    msg = _error(_project(tmp_path, {"cohort": "jobseekers"}, effects=effects))
    assert "remove cba.from_evaluation from carecase.yaml" in msg and "services: []" not in msg


@pytest.mark.parametrize(("code", "refused"), [
    ("HE7.0", "NEL_ADMIT is costed with HE7.0.2, a constituent of HE7.0"),  # the headline of its cost
    ("HE7.0.2", "both use unit cost HE7.0.2"),                             # its own code
    ("HE7.0.1", None),  # elective episodes: a sibling constituent, another service
])
def test_a_headline_and_its_constituent_are_the_same_cost(tmp_path: Path, code: str,
                                                          refused: str | None) -> None:
    """User report (double counting): a tie by unit-cost code, or by a code rolling up to the
    other (parent_code), is refused; two constituents of one headline are different services."""
    effects = {"price_year": 2024, "windows": {"post_0_12": {"services": {"NEL_ADMIT": _effect("NHS", -300.0)}}}}
    model = _model_without("Fewer temporary accommodation weeks")
    model["outcomes"].append({"name": "Fewer admissions", "cohort": "jobseekers", "unit_cost": code,
                              "confidence_grade": 4})
    project = _project(tmp_path, {"cohort": "jobseekers"}, model, effects=effects)
    if refused is None:
        assert stage.project_model(project) is not None
    else:
        assert refused in _error(project)


def test_the_projects_own_service_costs_decide_the_tie(tmp_path: Path) -> None:
    """User report (double counting): the service is tied through the unit cost the project
    costs it with (costs.service_costs), as the evaluation priced its effect."""
    costs = {"service_costs": {"HOU_TEMP_ACCOM": "HO4.1"}}  # bed and breakfast, not the hostel
    assert stage.project_model(_project(tmp_path, {"cohort": "jobseekers"}, costs=costs)) is not None
    model = _example()
    model["outcomes"][1]["unit_cost"] = "HO4.1"
    msg = _error(_project(tmp_path, {"cohort": "jobseekers"}, model, costs=costs))
    assert "value the same cost: both use unit cost HO4.1." in msg


def test_a_different_benefit_is_kept_when_the_user_says_why(tmp_path: Path) -> None:
    """User report (double counting): an outcome that is explicitly another benefit is kept
    with cba.from_evaluation.not_double_counted, and the reason is in the stage's notes; a
    blank reason or a name the model lacks is refused."""
    why = "counts the children's placements, which the evaluation did not follow"
    link = {"cohort": "jobseekers", "not_double_counted": {"Fewer temporary accommodation weeks": why}}
    summary = stage.run(_project(tmp_path, link))
    assert summary["headline"].startswith("NPV ")
    assert ("outcomes[1] 'Fewer temporary accommodation weeks' is counted beside the evaluated effect on "
            "HOU_TEMP_ACCOM (window post_0_12), which values the same cost (the outcome uses HO4.0; "
            "HOU_TEMP_ACCOM is costed with HO4.0N, derived from HO4.0), because carecase.yaml says it is a "
            f"different benefit (cba.from_evaluation.not_double_counted): {why}") in summary["notes"]
    link["not_double_counted"] = {"Fewer temporary accommodation weeks": " "}
    with pytest.raises(ConfigError, match="no reason given for 'Fewer temporary accommodation weeks'"):
        stage.project_model(_project(tmp_path, link))
    link["not_double_counted"] = {"Fewer TA weeks": why}
    assert ("cba.from_evaluation.not_double_counted names 'Fewer TA weeks', not an outcome of the model "
            "(cba_model.yaml)") in _error(_project(tmp_path, link))


def test_an_entry_that_keeps_nothing_is_noted(tmp_path: Path) -> None:
    """A code review: a not_double_counted entry naming an outcome that values no evaluated
    service's cost was accepted in silence; the stage's notes now say it changes nothing."""
    why = "counts the children's placements, which the evaluation did not follow"
    model = _example()
    names = [o["name"] for o in model["outcomes"]]
    other = next(n for n in names if n != "Fewer temporary accommodation weeks")
    link = {"cohort": "jobseekers",
            "not_double_counted": {"Fewer temporary accommodation weeks": why, other: why}}
    summary = stage.run(_project(tmp_path, link))
    assert (f"cba.from_evaluation.not_double_counted names {other!r}, which values no evaluated service's "
            "cost in window post_0_12: the entry changes nothing") in " ".join(summary["notes"])
    assert not any("names 'Fewer temporary accommodation weeks', which values no" in n for n in summary["notes"])


def test_the_library_says_which_code_rolls_up_to_which() -> None:
    """User report (double counting): HO4.0N (a night) is derived from HO4.0 (the week) and
    HE7.0.2 is a constituent of HE7.0, in the shipped and the project library alike; a lookup
    that knows no roll-ups (any components/codes object) gives none."""
    from carecase.cba.unit_costs import BUILTIN, TableLookup, rolls_up_to

    for lookup in (BUILTIN, library_lookup(2024)):
        assert rolls_up_to(lookup, "HO4.0N") == [("HO4.0", "derived from")]
        assert rolls_up_to(lookup, "HE7.0.2") == [("HE7.0", "a constituent of")]
        assert rolls_up_to(lookup, "HO4.0") == []
    assert rolls_up_to(TableLookup([]), "HO4.0N") == []


@pytest.mark.parametrize(("rate", "scenario", "named"), [
    ({"dist": "pert", "min": 0.15, "mode": 0.25, "max": 0.4}, None, "success_rate = a distribution"),
    (0.3, None, "success_rate = 0.3"),
    ({0: 1, 2: 0.5}, None, "success_rate.2 = 0.5"),
    (1, 0.15, "scenarios[0] (Pessimistic) overrides cohorts[0].success_rate = 0.15"),
])
def test_a_linked_cohort_with_a_success_rate_below_one_is_refused(
        tmp_path: Path, rate: Any, scenario: float | None, named: str) -> None:
    """Review finding: linked to a cohort with success_rate 0.3, every evaluated saving (the
    mean change per participant, failures included) was multiplied by 0.3 again: an A&E saving
    of £1,000 a participant for 100 participants gave £30,000 of benefits, and the NPV of a
    £50,000 programme turned from +£50,000 to −£20,000, with no warning."""
    model = _example()
    model["cohorts"][0]["success_rate"] = rate
    if scenario is not None:
        model["scenarios"][0]["overrides"]["cohorts[0].success_rate"] = scenario
    msg = _error(_project(tmp_path, {"cohort": "jobseekers", "services": ["AE_ATTEND"]}, model))
    assert msg.startswith(f"cba_model.yaml: cohorts[0] ('jobseekers') {named}: ")
    assert "Give this cohort success_rate: 1" in msg


def test_a_linked_cohort_whose_success_rate_is_one_in_every_year_is_accepted(tmp_path: Path) -> None:
    model = _example()
    model["cohorts"][0]["success_rate"] = {0: 1, 3: 1.0}
    assert stage.project_model(_project(tmp_path, {"cohort": "jobseekers", "services": ["AE_ATTEND"]}, model))
