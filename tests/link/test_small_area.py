"""Probabilistic linkage on a small synthetic area (300 people).

There every true match in the postcode training block agrees at least partly on given name,
so expectation maximisation drives that level's m probability to exactly 0, which Splink 5
refuses ("m_probability value 0.0 is below the minimum allowed value"). `carecase demo DIR
--people 300 --seed 7` failed with "The probabilistic model could not be trained" until
such a level's m was fixed at the Jeffreys estimate and the model trained again."""

from __future__ import annotations

import pytest
import yaml

from carecase.core.project import Project
from carecase.demo import prepare_demo
from carecase.link.model import SWAPPED, jeffreys_zero
from carecase.pipeline import run_all

# the module's tests on one xdist worker, so its shared fixture is built once, not on each
pytestmark = pytest.mark.xdist_group("link-small_area")


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> dict:
    area = prepare_demo(tmp_path_factory.mktemp("small") / "demo", 300, 7)
    config = area / "carecase.yaml"
    data = yaml.safe_load(config.read_text())
    data.setdefault("linkage", {})["truth"] = "truth/true_links.parquet"
    config.write_text(yaml.safe_dump(data, sort_keys=False))
    project = Project.open(area)
    try:
        return run_all(project, only=["ingest", "link"])["link"]
    finally:
        project.close()


def test_a_level_no_match_shows_is_fixed_and_the_model_trains(small):
    fixed = {
        (name, level["label"]): level["m"]
        for name, levels in small["model"]["comparisons"].items() for level in levels
        if level["m_fixed"] and not level["label"].startswith(f"{SWAPPED} (weighed in")  # m = u by design
    }
    assert ("given_name", "All other comparisons") in fixed
    # 61 candidate profiles: 50 of registered people, 11 of people off the register (synth)
    assert small["unregistered"]["profiles"] == 11
    assert all(m == pytest.approx(jeffreys_zero(61)) for m in fixed.values())
    assert any("given_name 'All other comparisons'" in note for note in small["notes"])


def test_the_small_area_links_accurately(small):
    truth = small["truth"]["all_records"]
    assert truth["precision"] >= 0.98 and truth["recall"] >= 0.95
    scoped = small["truth"]["sources_without_nhs_numbers"]
    assert scoped["true_pairs"] > 20
    assert scoped["precision"] >= 0.98 and scoped["recall"] >= 0.95


def test_jeffreys_estimate_of_a_proportion_never_observed():
    """Jeffreys prior Beta(1/2, 1/2): after 0 successes in n trials the posterior is
    Beta(1/2, n + 1/2), whose mean is (1/2) / (n + 1) (Brown, Cai & DasGupta 2001,
    Statistical Science 16(2), §4.1.2)."""
    assert jeffreys_zero(0) == 0.5
    assert jeffreys_zero(49) == 0.01
    assert jeffreys_zero(999) == pytest.approx(5e-4)


def test_no_level_is_left_untrained(small):
    """A level no pair of its training block fell in (date of birth with one part different:
    the synthetic identities have no such typo) was left untrained, and Splink scored it with
    m = 1e-6, almost as heavily against a match as a wholly different date. Every level now
    has a trained or fixed m."""
    levels = [lv for lvs in small["model"]["comparisons"].values() for lv in lvs]
    assert all(isinstance(lv["m"], float) for lv in levels)
    dob = {lv["label"]: lv for lv in small["model"]["comparisons"]["dob"]}
    assert dob["one of day, month, year differs"]["m_fixed"]


def test_unobserved_levels_are_the_non_null_levels_without_m():
    from carecase.link.model import unobserved_levels

    model = {"comparisons": [{"output_column_name": "dob", "comparison_levels": [
        {"label_for_charts": "dob is NULL", "is_null_level": True},
        {"label_for_charts": "Exact match on dob", "m_probability": 0.98},
        {"label_for_charts": "one of day, month, year differs"},
        {"label_for_charts": "All other comparisons", "m_probability": None},
    ]}]}
    assert unobserved_levels(model) == [("dob", "one of day, month, year differs"),
                                        ("dob", "All other comparisons")]
