"""Every trained m probability is at least the Jeffreys estimate for none of n, ½ / (n + 1).

The floor was applied only where EM drove a level to exactly 0 (or left it untrained), but EM
more often converges close to 0: on the demo area (2,000 people, seed 7) sex 'All other
comparisons' came out at m = 7.6e-36 and date of birth's at 9.9e-71, so one disagreeing field
weighed 50 to 230 bits against a match, and a record identical to another but for sex M
against F was kept apart and not even offered for review."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from carecase.ingest.validate import with_identity_key
from carecase.link.fabricate import Fabricated
from carecase.link.linkage import fixed_m_notes
from carecase.link.model import SWAPPED, below_floor, jeffreys_zero

pytestmark = pytest.mark.xdist_group("link-m_floor")

INLINE = [
    # (record_id, source, given, family, dob, sex, postcode), none with an NHS number
    # one person off the register, sex keyed wrongly on the custody record; all else identical
    # (next to no training pair of the fabricated register disagrees on sex: EM put its m at 2e-20)
    ("housing:b9:1", "housing", "ZEBEDEE", "QUIXLEY", dt.date(1980, 2, 3), "M", "M1 1AA"),
    ("police:b9:1", "police", "ZEBEDEE", "QUIXLEY", dt.date(1980, 2, 3), "F", "M1 1AA"),
]


def _with_inline(fab: Fabricated) -> Fabricated:
    ident = fab.tables["staging_identity"]
    base = ident.drop_columns(["identity_h1", "identity_h2"])
    rows = [dict(zip(("record_id", "source", "given_name", "family_name", "dob", "sex", "postcode"), r,
                     strict=True)) for r in INLINE]
    for r in rows:
        r |= {"batch_id": "b9", "source_row": int(r["record_id"].rsplit(":", 1)[1]), "nhs_pseudo": None,
              "local_pseudo": None}
    out = Fabricated(tables=dict(fab.tables), truth=fab.truth)
    out.tables["staging_identity"] = with_identity_key(
        pa.concat_tables([base, pa.Table.from_pylist(rows, schema=base.schema)]), b"fabricate-11")
    return out


@pytest.fixture(scope="module")
def floored(tmp_path_factory: pytest.TempPathFactory, fab: Fabricated):
    from carecase.link.fabricate import load_project, project_config
    from carecase.link.linkage import CANDIDATE_PROFILES
    from carecase.link.stage import run

    project = load_project(tmp_path_factory.mktemp("floor"), _with_inline(fab),
                           project_config(keep_linkage_staging=True))
    try:
        summary = run(project)
        links = {r["record_id"]: r for r in project.engine.table("record_links").to_pyarrow().to_pylist()}
        n = int(project.engine.table(CANDIDATE_PROFILES).count().to_pyarrow().as_py())
    finally:
        project.close()
    return links, summary, n


def test_no_m_is_below_the_jeffreys_floor(floored):
    _, summary, n = floored
    floor = jeffreys_zero(n)
    levels = [(c, lv) for c, lvs in summary["model"]["comparisons"].items() for lv in lvs
              if not lv["label"].startswith(f"{SWAPPED} (weighed in")]  # m = u = 1e-4 by design
    low = [(c, lv["label"], lv["m"]) for c, lv in levels if lv["m"] < floor * (1 - 1e-12)]
    assert not low, (floor, low)
    sex = {lv["label"]: lv for lv in summary["model"]["comparisons"]["sex"]}["All other comparisons"]
    assert sex["m_fixed"] and sex["m"] == pytest.approx(floor)  # EM gave it about 1e-20
    assert any("sex 'All other comparisons'" in note and "training" in note for note in summary["notes"])


def test_a_record_differing_only_in_sex_is_not_vetoed(floored):
    links, _, _ = floored
    a, b = links["housing:b9:1"], links["police:b9:1"]
    assert a["person_id"] == b["person_id"] and a["method"] == "unregistered"


def test_below_floor_names_only_trained_unfixed_levels_under_it():
    model = {"comparisons": [{"output_column_name": "sex", "comparison_levels": [
        {"label_for_charts": "sex is NULL", "is_null_level": True, "m_probability": 1e-30},
        {"label_for_charts": "Exact match on sex", "m_probability": 0.99},
        {"label_for_charts": "All other comparisons", "m_probability": 7.6e-36},
    ]}, {"output_column_name": "family_name", "comparison_levels": [
        {"label_for_charts": "swapped", "m_probability": 1e-4, "fix_m_probability": True},
        {"label_for_charts": "Jaro-Winkler >= 0.8"},  # untrained: unobserved_levels
        {"label_for_charts": "All other comparisons", "m_probability": 0.002},
    ]}]}
    assert below_floor(model, jeffreys_zero(488)) == {("sex", "All other comparisons"): 7.6e-36}
    assert below_floor(model, 0.01) == {("sex", "All other comparisons"): 7.6e-36,
                                        ("family_name", "All other comparisons"): 0.002}


def test_the_notes_say_which_levels_training_left_below_the_floor():
    def level(name: str, trained: float | None) -> dict:
        return {"comparison": name, "level": "All other comparisons", "m": 0.00102, "candidate_profiles": 488,
                "trained_m": trained}

    one = fixed_m_notes([level("sex", 7.62e-36)])
    assert one == ["sex 'All other comparisons': training put its m probability at 7.62e-36, below the Jeffreys "
                   "estimate for none of 488 candidate profiles, so it is fixed at that estimate, 0.00102 (one "
                   "disagreeing field would otherwise veto a match)"]
    many = fixed_m_notes([level("sex", 7.62e-36), level("dob", 9.89e-71), level("family_name", 0.0),
                          level("given_name", None)])
    assert len(many) == 1 and many[0].startswith("4 comparison levels have their m probability fixed")
    assert "2 showed no true match in training, and training left 2 below" in many[0]
    assert "sex 'All other comparisons' (0.00102, trained 7.62e-36)" in many[0]
    assert "Many such levels" not in many[0]
