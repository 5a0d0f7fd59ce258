"""Both stage runners on a small synthetic project: files, consistency, determinism."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from carecase.audit import stage as audit_stage
from carecase.core.project import Project
from carecase.costs import stage as costs_stage
from carecase.costs.synthetic import synthetic_events, synthetic_people, synthetic_programme

AUDIT_FILES = ["cost_by_person_period", "cost_by_agency", "cost_by_service", "cost_by_need",
               "cost_by_year_agency", "cohort_vs_population", "top_n", "concentration", "lorenz",
               "locality_demand"]


def make_project(folder: Path) -> Project:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "carecase.yaml").write_text(
        "project:\n  name: t\n  period_start: 2022-04-01\n  period_end: 2024-03-31\n"
        "engine:\n  threads: 2\n"
    )
    p = Project.open(folder)
    p.engine.write("events", synthetic_events(3000, 300, 11))
    p.engine.write("people", synthetic_people(300, 11))
    p.engine.write("programme", synthetic_programme(300, 11))
    return p


def digest(folder: Path) -> dict[str, str]:
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, dict, dict]:
    p = make_project(tmp_path_factory.mktemp("proj"))
    cs = costs_stage.run(p)
    au = audit_stage.run(p)
    return p, cs, au


def test_files_and_headlines(ran: tuple[Project, dict, dict]) -> None:
    p, cs, au = ran
    for name in AUDIT_FILES:
        assert (p.out / "audit" / f"{name}.parquet").exists() and (p.out / "audit" / f"{name}.csv").exists()
    assert (p.out / "audit" / "summary.json").exists() and (p.out / "costs" / "summary.json").exists()
    assert cs["events_costed"] == 3000 and cs["events_unmapped"] == 0
    assert "events costed" in cs["headline"] and "a week" in au["headline"]


def test_tables_agree(ran: tuple[Project, dict, dict]) -> None:
    p, _, au = ran
    read = lambda n: pd.read_parquet(p.out / "audit" / f"{n}.parquet")  # noqa: E731
    total = au["total_cost"]
    for n in ("cost_by_agency", "cost_by_service", "cost_by_need", "cost_by_year_agency"):
        assert read(n)["cost"].sum() == pytest.approx(total)
    bpp = read("cost_by_person_period")
    for grain in ("month", "quarter", "year"):
        assert bpp.loc[bpp.grain == grain, "cost"].sum() == pytest.approx(total)
    cvp = read("cohort_vs_population").set_index("group")
    assert cvp.loc["all", "people"] == 300
    # the window's years are its days ÷ 365.25 (2022-04-01 to 2024-03-31: 731 days), as for
    # the observed person-years beside them; 24 calendar months made it 2.0
    assert cvp.loc["all", "cost_per_person_year"] == pytest.approx(cvp.loc["all", "cost"] / 300 / (731 / 365.25))
    assert cvp.loc["cohort", "cost"] + cvp.loc["rest of population", "cost"] == pytest.approx(cvp.loc["all", "cost"])
    assert read("concentration").set_index("measure").loc["gini", "cost"] == pytest.approx(total)
    assert read("cost_by_agency")["share_of_cost"].sum() == pytest.approx(1.0)
    # audit covers the whole project period: the costs stage's totals count the same part of
    # each event (packages and spells run past the period end), so they are the audit's
    _, cs, _ = ran
    assert cs["total_cost"]["fiscal"] == pytest.approx(au["fiscal_cost"], abs=0.01)
    assert cs["total_cost"]["economic"] == pytest.approx(au["economic_cost"], abs=0.01)
    assert sum(cs["cost_outside_period"].values()) > 0
    assert read("cost_by_service")["cost"].sum() == pytest.approx(
        pd.read_parquet(p.out / "costs" / "cost_by_service.parquet")["cost"].sum())
    ce = p.engine.table("costed_events")
    inside = ce.filter((ce.start_date >= pd.Timestamp("2022-04-01").date()) & (ce.cost_end_date <= pd.Timestamp("2024-04-01").date()))
    assert inside.cost.sum().to_pyarrow().as_py() <= total + 1e-6


def test_rerun_is_byte_identical(ran: tuple[Project, dict, dict]) -> None:
    p, _, _ = ran
    before = {**digest(p.out / "audit"), **{f"c/{k}": v for k, v in digest(p.out / "costs").items()}}
    costs_stage.run(p)
    audit_stage.run(p)
    after = {**digest(p.out / "audit"), **{f"c/{k}": v for k, v in digest(p.out / "costs").items()}}
    assert before == after


def test_costed_events_is_a_view_of_events(ran: tuple[Project, dict, dict]) -> None:
    """costed_events is not a copy: on DuckDB it is a view computed from ``events`` (one row
    per event and value type; every synthetic event is costed)."""
    p, cs, _ = ran
    assert p.engine._is_view("costed_events")
    ce = p.engine.table("costed_events")
    assert int(ce.filter(ce.activity_row).count().to_pyarrow().as_py()) == cs["events_costed"] == 3000


def test_audit_refuses_events_changed_since_costing(tmp_path: Path) -> None:
    """costed_events follows events, so an audit after a re-ingest without re-costing would
    mix new events with the old unmapped report: it fails and says which command to run."""
    from carecase.core.errors import CostError

    p = make_project(tmp_path / "proj")
    costs_stage.run(p)
    p.engine.write("events", synthetic_events(3100, 300, 12))
    with pytest.raises(CostError, match=r"'events' has 3,100 rows but the costs stage last ran on 3,000.*carecase costs apply"):
        audit_stage.run(p)
    costs_stage.run(p)
    assert audit_stage.run(p)["total_cost"] > 0


def test_audit_refuses_events_relinked_since_costing_with_the_same_row_count(tmp_path: Path) -> None:
    """The costs stage copies the link stage's digest of the events it wrote; when link has
    since written different events of the same size, the audit stops and says what to run."""
    from carecase.core.errors import CostError

    p = make_project(tmp_path / "proj")
    p.write_json("link", "summary.json", {"events": 3000, "events_digest": "a" * 64})
    costs_stage.run(p)
    assert p.read_json("costs", "summary.json")["events_digest"] == "a" * 64
    audit_stage.run(p)  # unchanged: runs
    p.write_json("link", "summary.json", {"events": 3000, "events_digest": "b" * 64})
    with pytest.raises(CostError, match=r"different events \(same row count, 3,000\).*carecase costs apply"):
        audit_stage.run(p)
    costs_stage.run(p)
    assert audit_stage.run(p)["total_cost"] > 0


class _Progress:
    """Records a stage's progress calls (the CLI passes a Rich Progress)."""

    def __init__(self) -> None:
        self.total, self.done = 0, 0

    def add_task(self, name: str, total: int) -> int:
        self.total = total
        return 0

    def advance(self, task: int) -> None:
        self.done += 1


def test_progress_bar_ends_full(ran: tuple[Project, dict, dict]) -> None:
    """The audit's progress bar has as many steps as it advances (it showed 8/7)."""
    p, _, _ = ran
    progress = _Progress()
    audit_stage.run(p, progress)
    assert progress.done == progress.total


def test_people_outside_the_population_count_everywhere_their_cost_does(tmp_path: Path) -> None:
    """People with cost but not flagged in_population (a non-resident's police or housing
    record) are in total_cost, so the concentration, the Lorenz curve, the cohort table and
    the headline's people count them too: otherwise "£X across N people" and "the top 10%
    account for Y% of cost" describe different totals, and total_cost less the
    concentration's total publishes those few people's cost. A programme participant
    outside the population is in the cohort, with or without cost."""
    import pyarrow as pa

    p = make_project(tmp_path / "proj")
    people = p.engine.table("people").to_pyarrow()
    first_participant = p.engine.table("programme").to_pyarrow()["person_id"][0].as_py()
    outside = {"P00000000", "P00000003", "P00000299", first_participant}
    flags = [pid not in outside for pid in people["person_id"].to_pylist()]
    p.engine.write("people", people.set_column(people.schema.get_field_index("in_population"),
                                               "in_population", pa.array(flags)))
    costs_stage.run(p)
    au = audit_stage.run(p)
    read = lambda n: pd.read_parquet(p.out / "audit" / f"{n}.parquet")  # noqa: E731
    totals = p.engine.table("audit_person_totals").to_pyarrow().to_pandas().set_index("person_id")["cost"]
    assert totals.loc[["P00000000", "P00000003"]].min() > 0  # outside the population, with cost
    conc = read("concentration").set_index("measure")
    assert conc.loc["gini", "cost"] == pytest.approx(au["total_cost"], abs=0.01)
    cohort = set(p.engine.table("programme").to_pyarrow()["person_id"].to_pylist())
    # P00000299: outside the population, no cost, not in the programme: nobody the audit counts
    assert "P00000299" not in totals.index and "P00000299" not in cohort
    assert conc.loc["gini", "people"] == au["people"] == 299
    cvp = read("cohort_vs_population").set_index("group")
    assert cvp.loc["all", "cost"] == pytest.approx(au["total_cost"], abs=0.01)
    assert cvp.loc["all", "people"] == 299
    assert "across 299 people" in au["headline"]
    assert cvp.loc["cohort", "people"] == len(cohort)
    # 296 residents + P00000000 and P00000003 (cost) + the participant: 3 outside, and a note
    assert au["outside_register"] == 3 and au["notes"][0].startswith("3 of the 299 people audited")
    # the note says which row of the cohort table they are in: the participant outside the
    # register is in the cohort row (it said all were in 'rest of population')
    assert {"P00000000", "P00000003"}.isdisjoint(cohort)
    assert au["outside_register_by_group"] == {"cohort": 1, "rest of population": 2}
    assert ("1 programme participant(s) in the 'cohort' row and 2 other(s) in the 'rest of population' row"
            in au["notes"][0])


def test_the_outside_note_counts_the_audited_people_off_the_register(tmp_path: Path) -> None:
    """The note's people off the register are those audited (with a record of method
    'unregistered'), not the link stage's count of clusters, most of whom may have no cost."""
    import pyarrow as pa

    p = make_project(tmp_path / "proj")
    people = p.engine.table("people").to_pyarrow()
    outside = {"P00000000", "P00000003"}
    flags = [pid not in outside for pid in people["person_id"].to_pylist()]
    p.engine.write("people", people.set_column(people.schema.get_field_index("in_population"),
                                               "in_population", pa.array(flags)))
    p.engine.write("record_links", pa.table({
        "record_id": ["r1", "r2", "r3"], "person_id": ["P00000000", "P00000000", "P00000003"],
        "method": ["unregistered", "unregistered", "unlinked"]}))
    p.write_json("link", "summary.json", {"unregistered": {"clusters": 25}})
    costs_stage.run(p)
    au = audit_stage.run(p)
    assert au["outside_register"] == 2
    assert "1 of them is a person off the register whose records were joined" in au["notes"][0]


def test_the_outside_register_note_names_the_row_each_is_in() -> None:
    """The note said everyone outside the register is in the 'rest of population' row; a
    participant outside it is in the 'cohort' row."""
    note = audit_stage.outside_note
    assert "none of them in the programme, so all in the cohort table's 'rest of population' row" in note(2, 0, 50)
    assert "all of them programme participants, in the cohort table's 'cohort' row" in note(2, 2, 50)
    assert "they are in every total; a programme participant, in the cohort table's 'cohort' row." in note(1, 1, 50)
    assert "3 programme participant(s) in the 'cohort' row and 1 other(s)" in note(4, 3, 50)
    for n in (note(2, 0, 50), note(2, 2, 50), note(4, 3, 50)):
        assert n.startswith(f"{n.split()[0]} of the 50 people audited are outside the population register")
        assert "are in every total and in the cohort table's 'rest of population' row" not in n
    # people off the register whose records the link stage joined are expected, not a failure to link
    joined = note(53, 0, 4053, 25)
    assert joined.endswith("25 of them are people off the register whose records were joined to each other "
                           "(docs/linkage.md, step 5, people off the register); among the others, many people can mean "
                           "that records failed to link.")
    assert note(2, 0, 50).endswith("Many such people can mean that records failed to link (docs/linkage.md).")


def test_the_headline_names_the_people_its_top_cost_is_of(tmp_path: Path) -> None:
    """With fewer people with any cost than audit.top_n, the headline said "top 10 cost £X a
    week" of four people's cost."""
    p = make_project(tmp_path / "proj")
    events = p.engine.table("events").to_pyarrow()
    few = sorted(set(events["person_id"].to_pylist()))[:4]
    p.engine.write("events", events.filter(pc.is_in(events["person_id"], pa.array(few))))
    costs_stage.run(p)
    au = audit_stage.run(p)
    assert "top 4 together cost £" in au["headline"]
    assert au["top_n"]["n"] == 4 and au["top_n"]["requested"] == 10


def test_each_service_says_what_its_activity_counts(ran: tuple[Project, dict, dict]) -> None:
    """A finance reviewer read DA_TREATMENT's activity (152.93, costed per year) under a
    header naming 'the service's own unit' (the catalogue's: week) as weeks, and NEL_ADMIT's
    (costed per episode) as bed days. cost_by_service names the unit its activity counts,
    from the basis each service was costed on."""
    p, _, _ = ran
    by = pd.read_parquet(p.out / "audit" / "cost_by_service.parquet").set_index("service_code")
    expected = {"AE_ATTEND": "attendance", "NEL_ADMIT": "episode", "EL_ADMIT": "episode",
                "MH_INPATIENT": "bed day", "GP_APPT": "appointment", "ASC_HOMECARE": "hour",
                "ASC_RESIDENTIAL": "week", "HOU_TEMP_ACCOM": "night", "DA_TREATMENT": "year"}
    for code, unit in expected.items():
        if code in by.index:
            assert by.loc[code, "activity_unit"] == unit, code
    assert list(by.reset_index().columns).index("activity_unit") == list(by.reset_index().columns).index("activity") + 1
    assert by["activity_unit"].notna().all()
