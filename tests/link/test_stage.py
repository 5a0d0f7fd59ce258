"""End-to-end linkage on a fabricated population (tests/link/conftest.py)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from carecase.link.fabricate import Fabricated
from carecase.link.stage import run

# the module's tests on one xdist worker, so its shared fixture is built once, not on each
pytestmark = pytest.mark.xdist_group("link-stage")

IDENTIFYING = {"given_name", "family_name", "dob", "postcode", "nhs_pseudo", "local_pseudo"}


def test_probabilistic_linkage_meets_precision_and_recall(linked):
    """Pairwise precision ≥ 0.98 and recall ≥ 0.95 among records of sources without NHS
    numbers (housing, police), against the fabricated truth (Christen 2012, §7.3)."""
    _, summary = linked
    scoped = summary["truth"]["sources_without_nhs_numbers"]
    assert scoped["true_pairs"] > 100
    assert scoped["precision"] >= 0.98
    assert scoped["recall"] >= 0.95
    overall = summary["truth"]["all_records"]
    assert overall["precision"] >= 0.98 and overall["recall"] >= 0.95


def test_every_record_gets_exactly_one_person(linked, fab: Fabricated):
    project, _ = linked
    links = project.engine.table("record_links").to_pyarrow()
    ids = links["record_id"].to_pylist()
    assert len(ids) == len(set(ids)) == fab.tables["staging_identity"].num_rows
    assert links["person_id"].null_count == 0
    people = set(project.engine.table("people").to_pyarrow()["person_id"].to_pylist())
    assert set(links["person_id"].to_pylist()) == people


def test_methods_per_source(linked):
    _, summary = linked
    by = summary["records_by_method"]
    assert set(by["gp"]) == {"nhs_number"} and set(by["acute"]) == {"nhs_number"}
    # 90% of social-care clients are in the lookup; the rest link on names
    assert by["asc"]["lookup"] > 0 and set(by["asc"]) <= {"lookup", "probabilistic", "unlinked"}
    assert by["housing"]["probabilistic"] > 0
    # newcomers absent from the register stay unlinked, as their own people
    assert by["housing"].get("unlinked", 0) + by["police"].get("unlinked", 0) > 0


def test_lookup_links_to_the_right_person(linked, fab: Fabricated):
    project, _ = linked
    links = project.engine.table("record_links").to_pandas()
    truth = fab.truth.to_pandas()
    m = links.merge(truth, on="record_id")
    per_person = m.groupby("person_id")["true_person"].nunique()
    assert (per_person == 1).mean() > 0.99
    assert (m[m.method == "lookup"].groupby("person_id")["true_person"].nunique() == 1).all()


def test_no_identifiers_in_person_tables(linked):
    project, _ = linked
    for name in ("people", "events", "programme", "outcome_scores", "record_links"):
        cols = set(project.engine.table(name).columns)
        assert not cols & IDENTIFYING, name
    people = project.engine.table("people").to_pandas()
    assert (people.birth_date.dropna().map(lambda d: d.day) == 1).all()


def test_staging_and_working_tables_dropped(linked):
    project, summary = linked
    tables = set(project.engine.con.list_tables())
    assert "staging_identity" not in tables
    assert not [t for t in tables if t.startswith("_link") or t.startswith("__splink")]
    assert summary["staging_dropped"] is True


def test_events_carry_person_and_area_of_need(linked, fab: Fabricated):
    project, _ = linked
    ev = project.engine.table("events").to_pandas()
    assert len(ev) == fab.tables["events_staged"].num_rows
    assert ev.person_id.notna().all()
    assert set(ev.area_of_need) <= {"Physical health", "Social care", "Housing", "Crime and justice"}
    assert (ev.loc[ev.service_code == "POL_CUSTODY", "area_of_need"] == "Crime and justice").all()


def test_people_register_attributes(linked):
    project, _ = linked
    people = project.engine.table("people").to_pandas()
    on_reg = people[people.in_population]
    assert len(on_reg) == 500
    assert on_reg.deprivation_decile.between(1, 10).all()
    assert people[~people.in_population].deprivation_decile.isna().all()


def test_outputs_written_and_summary_json(linked):
    project, summary = linked
    folder = project.out / "link"
    for name in ("record_links", "people", "events", "programme", "outcome_scores",
                 "records_by_method", "match_weight_histogram"):
        assert (folder / f"{name}.parquet").exists() and (folder / f"{name}.csv").exists()
    on_disk = json.loads((folder / "summary.json").read_text())
    assert on_disk["headline"] == summary["headline"]
    # what the costs stage checks the costed events against (costs.stage.check_costs_current)
    assert on_disk["events_digest"] == hashlib.sha256((folder / "events.parquet").read_bytes()).hexdigest()
    # and the area of need it gave each service (costs.stage.relabelled_services)
    assert on_disk["service_labels"]["POL_CUSTODY"] == "Crime and justice"
    assert set(on_disk["service_labels"]) == set(project.engine.table("events").to_pandas().service_code)
    hist = on_disk["match_weight_histogram"]
    assert sum(r["pairs"] for r in hist if r["population"] == "best_match_per_profile") > 0
    # people off the register: the same keys whether or not two or more residual profiles were left
    assert {"profiles", "people", "clusters", "largest_cluster_profiles", "pairs_joined"} <= set(on_disk["unregistered"])
    review = (folder / "clerical_review.csv").read_text().splitlines()[0].split(",")
    assert not {c.strip('"') for c in review} & {f"{c}_candidate" for c in IDENTIFYING}


def test_same_input_gives_identical_outputs(new_project, linked, fab: Fabricated):
    project, first = linked
    again = new_project("again", fab)
    second = run(again)
    for name in ("record_links", "people", "events", "match_weight_histogram"):
        a = (project.out / "link" / f"{name}.csv").read_bytes()
        b = (again.out / "link" / f"{name}.csv").read_bytes()
        assert a == b, name
    assert pq.read_table(project.out / "link" / "record_links.parquet").equals(
        pq.read_table(again.out / "link" / "record_links.parquet"))
    assert first["model"] == second["model"]


def test_review_file_has_no_identity_without_keep(linked):
    project, _ = linked
    with (project.out / "link" / "clerical_review.csv").open(newline="") as fh:
        header = fh.readline().strip().replace('"', "").split(",")
    assert "pair_id" in header and "match_weight" in header
    named = [c for c in header if c.endswith(("_reference", "_candidate"))]
    assert named == ["record_id_reference", "record_id_candidate"]


def test_cli_review_points_at_the_clerical_file(linked):
    from typer.testing import CliRunner

    from carecase.cli import app

    project, summary = linked
    import yaml

    (project.root / "carecase.yaml").write_text(yaml.safe_dump(_config_without_truth()))
    result = CliRunner().invoke(app, ["link", "review", str(project.root)])
    assert result.exit_code == 0, result.output
    assert "clerical_review.csv" in result.output.replace("\n", "")
    assert f"({summary['clerical_review']['pairs']} pair(s))" in result.output
    bad = CliRunner().invoke(app, ["link", "reveiw", str(project.root)])
    assert bad.exit_code != 0


def _config_without_truth() -> dict:
    return {"project": {"name": "cli", "period_start": "2023-04-01", "period_end": "2025-03-31"}}


def test_no_identifier_values_in_output_files(linked, fab: Fabricated):
    """Names, postcodes and pseudonyms never reach out/link (privacy.keep_linkage_staging off)."""
    import re

    from carecase.link.fabricate import FAMILY, GIVEN_F, GIVEN_M, NICKNAMES

    project, _ = linked
    ident = fab.tables["staging_identity"]
    secrets = {v for col in ("postcode", "nhs_pseudo", "local_pseudo")
               for v in ident[col].to_pylist() if v}
    names = set(GIVEN_F) | set(GIVEN_M) | set(FAMILY) | set(NICKNAMES.values())
    for path in sorted((project.out / "link").glob("*")):
        if path.suffix not in (".csv", ".json"):
            continue
        text = path.read_text()
        tokens = set(re.findall(r"[A-Z]{2,}", text))
        assert not tokens & names, path.name
        assert not any(s in text for s in secrets), path.name


def test_lookups_for_registers_use_ingest_feed_names(config_for):
    """A register's lookup applies to the source name ingest gives it ('population')."""
    from carecase.core.config import validate_config
    from carecase.core.project import Project
    from carecase.link.stage import lookup_names

    cfg = config_for()
    cfg["ingest"]["population"] = {
        "path": "gp.csv", "format": {"type": "csv"},
        "ids": {"local_id": "patient_id", "lookup": "asc"},
    }
    project = Project(Path("."), validate_config(cfg))
    assert lookup_names(project) == {"asc": "asc", "population": "asc"}


def test_empty_staging_after_an_earlier_linkage_is_explained(new_project, fab: Fabricated):
    from carecase.core.errors import LinkError

    project = new_project("empty", fab)
    ident = fab.tables["staging_identity"]
    project.engine.write("staging_identity", ident.slice(0, 0))
    with pytest.raises(LinkError, match="keep_linkage_staging"):
        run(project)


def test_a_nicknames_file_that_is_not_there_is_named_before_linkage(new_project, fab: Fabricated):
    from carecase.core.errors import LinkError

    project = new_project("nicknames", fab, nicknames="short_forms.csv")
    with pytest.raises(LinkError, match=r"short_forms\.csv: linkage\.nicknames names a file that does not exist"):
        run(project)


def test_the_summary_says_which_short_forms_the_model_knew(linked):
    from carecase.link.nicknames import forms_for

    _, summary = linked
    assert summary["nicknames"] == {"list": "built-in", "short_forms": len(forms_for(None))}


def test_truth_keyed_by_source_row(tmp_path, fab: Fabricated):
    """carecase.synth writes truth as (source, source_row, person_key)."""
    import ibis
    import pyarrow as pa

    from carecase.link.stage import _read_truth, _truth_by_record

    ident = fab.tables["staging_identity"].slice(0, 5)
    table = pa.table({"source": ident["source"], "source_row": ident["source_row"].cast(pa.int32()),
                      "person_key": pa.array([1, 1, 2, 3, 3], pa.int32())})
    pq.write_table(table, tmp_path / "true_links.parquet")
    truth = ibis.memtable(_read_truth(tmp_path / "true_links.parquet"))
    got = ibis.duckdb.connect().to_pyarrow(
        _truth_by_record(truth, ibis.memtable(ident)).order_by("record_id")).to_pylist()
    expected = sorted(zip(ident["record_id"].to_pylist(), ["1", "1", "2", "3", "3"], strict=True))
    assert [(r["record_id"], r["true_person"]) for r in got] == expected


def test_match_rates_by_group_and_quality_by_source(linked):
    """out/link/match_rates: records and share linked per source × group × level (each
    group adding up to its source), and, with a truth, precision and recall per source."""
    project, summary = linked
    rows = pq.read_table(project.stage_dir("link") / "match_rates.parquet").to_pylist()
    assert rows == summary["match_rates"]
    by = {(r["source"], r["group"], r["level"]): r for r in rows}
    for source, methods in summary["records_by_method"].items():
        assert by[source, "all", "all"]["records"] == sum(methods.values())
        for group in ("age_band", "sex", "deprivation_decile"):
            assert sum(r["records"] for k, r in by.items() if k[:2] == (source, group)) == sum(methods.values())
    assert {k[2] for k in by if k[1] == "age_band"} > {"0-17", "75+"}
    assert isinstance(summary["match_rate_gaps"], list)
    q = summary["truth_by_source"]
    assert set(q) == set(summary["records_by_method"])
    assert q["housing"]["precision"] >= 0.95 and q["housing"]["recall"] >= 0.9


def test_an_unseen_u_is_fixed_for_the_pairs_actually_sampled(linked):
    """A small area has fewer reference × candidate pairs than max_pairs_u (3e5 here); Splink
    then samples every pair, so a level none of them falls in has its u fixed at the Jeffreys
    estimate for those pairs, not for max_pairs_u (which made u too small and the level's
    weight too large)."""
    from carecase.link.model import jeffreys_zero, pairs_sampled

    _, summary = linked
    fixed = [lv for levels in summary["model"]["comparisons"].values() for lv in levels
             if lv["u_fixed"] and not lv["label"].endswith("(weighed in given_name)")]
    assert fixed  # names swapped: no random pair of the small area carries each other's names
    assert all(lv["u"] > jeffreys_zero(300_000) for lv in fixed)
    assert pairs_sampled(3e5, 600, 300) == 180_000
    # a sample of each table, the same share p of each (p² × 12e6 pairs = 2e6), rounded down
    assert pairs_sampled(2e6, 6000, 2000) == 2449 * 816 <= 2_000_000
