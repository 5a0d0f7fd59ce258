"""Planted wrong NHS numbers (synth.wrong_nhs) found by the discordance check
(link.discordance), on a small seeded area run through ingest and link.

The rule (Harron, Hagger-Johnson, Gilbert & Goldstein 2017, BMC Medical Research Methodology
17:23: on a true NHS-number link the date of birth or sex disagrees in 0.11% of records; the
HESID algorithm verifies an NHS number with date of birth and sex; Harron et al. 2017,
"Challenges in administrative data linkage for research", Big Data & Society 4(2)): date of
birth different beyond a typing slip and a name or sex different too. Recall is the share of
the planted rows flagged, precision the share of flagged rows that were planted."""

from __future__ import annotations

import json

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
import yaml

from carecase.core.project import Project
from carecase.demo import write_demo_key
from carecase.pipeline import run_all
from carecase.synth import generate

# the module's tests on one xdist worker, so its shared fixture is built once, not on each
pytestmark = pytest.mark.xdist_group("link-wrong_nhs_numbers")

PEOPLE, SEED, SHARE = 800, 5, 0.5


def _run(folder, **linkage) -> tuple[dict, dict[tuple[str, int], str]]:
    write_demo_key(folder / "demo.key", SEED)
    generate(folder / "area", people=PEOPLE, seed=SEED, wrong_nhs_share=SHARE, formats="fast")
    config = folder / "area" / "carecase.yaml"
    data = yaml.safe_load(config.read_text())
    data.setdefault("linkage", {}).update(linkage)
    config.write_text(yaml.safe_dump(data, sort_keys=False))
    project = Project.open(folder / "area")
    try:
        summary = run_all(project, only=["ingest", "link"])["link"]
    finally:
        project.close()
    flagged = pacsv.read_csv(folder / "area" / "out" / "link" / "nhs_number_discordance.csv").to_pylist()
    return summary, {(r["source"], int(r["row"])): r["disagreeing"] for r in flagged}


@pytest.fixture(scope="module")
def area(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("wrong_nhs")
    summary, flagged = _run(folder)
    planted = pq.read_table(folder / "area" / "truth" / "wrong_nhs_numbers.parquet").to_pylist()
    return folder, summary, flagged, planted


def test_the_check_finds_the_planted_wrong_numbers(area):
    _, summary, flagged, planted = area
    truth = {(r["source"], int(r["source_row"])) for r in planted}
    assert len(truth) >= 15
    found = truth & set(flagged)
    recall, precision = len(found) / len(truth), len(found) / max(len(flagged), 1)
    print(f"planted {len(truth)}, flagged {len(flagged)}, recall {recall:.3f}, precision {precision:.3f}")
    assert recall >= 0.85
    assert precision >= 0.95
    counts = summary["nhs_discordance"]
    assert counts["flagged"] == len(flagged) and counts["by_source"] == {"drug_alcohol_treatment": len(flagged)}
    assert counts["checked"] > counts["flagged"] and counts["method_now"] == {"nhs_number": len(flagged)}
    assert counts["fields"]["dob"] == len(flagged) and not counts["unlinked"]


def test_the_review_file_names_fields_never_values(area):
    folder, _, flagged, _ = area
    rows = pacsv.read_csv(folder / "area" / "out" / "link" / "nhs_number_discordance.csv")
    assert rows.column_names == ["record_id", "source", "file", "row", "linked_on", "method", "person_id",
                                 "reference_record_id", "compared_with", "disagreeing"]
    assert {f for d in flagged.values() for f in d.split(";")} <= {"dob", "given_name", "family_name", "sex"}
    assert all(r.startswith("P") for r in rows.column("person_id").to_pylist())


def test_the_truth_counts_the_planted_rows(area):
    folder, _, _, planted = area
    truth = json.loads((folder / "area" / "truth" / "truth.json").read_text())
    assert truth["wrong_nhs_numbers"]["rows"] == {"drug_alcohol_treatment": len(planted)}
    assert all(r["person_key"] != r["nhs_person_key"] for r in planted)


def test_unlinked_they_link_to_their_own_person(tmp_path):
    """linkage.unlink_discordant: the flagged records leave the wrong person and the model links
    each to its true one (drug and alcohol treatment's pairwise precision 0.84 and recall 0.45
    with them kept on the wrong numbers, seed 5; 1.0 and 1.0 unlinked)."""
    summary, flagged = _run(tmp_path, unlink_discordant=True, truth="truth/true_links.parquet")
    counts = summary["nhs_discordance"]
    assert counts["unlinked"] and counts["method_now"] == {"probabilistic": len(flagged)}
    da = summary["truth_by_source"]["drug_alcohol_treatment"]
    assert da["precision"] == 1.0 and da["recall"] == 1.0
