"""Match rates by source and group (carecase.link.match_rates) and per-source linkage
quality against a truth (carecase.link.quality.evaluate_by_source)."""

from __future__ import annotations

import datetime as dt

import ibis
import pyarrow as pa
import pytest

from carecase.link import match_rates as mr
from carecase.link.quality import evaluate_against_truth, evaluate_by_source

D = dt.date


def _identity(rows: list[tuple]) -> ibis.Table:
    cols = ["record_id", "source", "dob", "sex", "postcode"]
    return ibis.memtable(pa.table({c: [r[i] for r in rows] for i, c in enumerate(cols)},
                                  schema=pa.schema([("record_id", pa.string()), ("source", pa.string()),
                                                    ("dob", pa.date32()), ("sex", pa.string()),
                                                    ("postcode", pa.string())])))


def _links(rows: list[tuple[str, str, str]]) -> ibis.Table:
    return ibis.memtable(pa.table({"record_id": [r[0] for r in rows], "person_id": [r[1] for r in rows],
                                   "method": [r[2] for r in rows]}))


IDENTITY = _identity([
    ("p1", "population", D(1990, 6, 15), "F", "AB1 2CD"),
    ("p2", "population", D(1950, 1, 1), "M", "AB1 2CE"),
    ("p3", "population", D(1980, 1, 1), "M", "AB1 2CE"),
    ("h1", "housing", D(2010, 6, 15), "F", "AB1 2CD"),   # 12 at its event, 13 at period start
    ("h2", "housing", D(1990, 6, 15), "U", "AB1 2CE"),   # postcode with two deciles
    ("h3", "housing", None, None, "ZZ9 9ZZ"),             # not on the register
    ("h4", "housing", D(1940, 3, 1), "M", None),
])
LINKS = _links([("p1", "A", "nhs_number"), ("p2", "B", "nhs_number"), ("p3", "C", "nhs_number"),
                ("h1", "A", "probabilistic"), ("h2", "X", "unlinked"), ("h3", "Y", "unlinked"),
                ("h4", "B", "clerical")])
EVENTS = ibis.memtable(pa.table({"record_id": ["h1", "h1"], "start_date": [D(2023, 1, 1), D(2024, 1, 1)]}))
POPULATION = ibis.memtable(pa.table({"record_id": ["p1", "p2", "p3"], "deprivation_decile": [3, 7, 8]}))


@pytest.fixture(scope="module")
def rates() -> dict[tuple[str, str, str], dict]:
    groups = mr.record_groups(LINKS, IDENTITY, EVENTS, POPULATION, D(2023, 8, 1))
    rows = mr.match_rates(groups).to_pyarrow().to_pylist()
    return {(r["source"], r["group"], r["level"]): r for r in rows}


def test_levels_are_read_from_each_records_own_details(rates):
    assert rates["housing", "age_band", "0-17"]["records"] == 1  # age at its earliest event
    assert rates["housing", "age_band", "75+"]["records"] == 1  # 83 at period start
    assert rates["housing", "age_band", "25-34"]["records"] == 1
    assert rates["housing", "age_band", mr.NOT_KNOWN]["records"] == 1  # no date of birth
    assert rates["housing", "sex", mr.NOT_KNOWN]["records"] == 2  # U and none
    # its own postcode's decile, where the register is unanimous about it
    assert rates["housing", "deprivation_decile", "3"]["linked"] == 1
    assert rates["housing", "deprivation_decile", mr.NOT_KNOWN]["records"] == 3


def test_every_group_adds_up_to_its_source(rates):
    for source in ("housing", "population"):
        total = rates[source, "all", "all"]
        for group in mr.GROUPS[1:]:
            levels = [r for k, r in rates.items() if k[0] == source and k[1] == group]
            for key in ("records", "linked", "unlinked", "probabilistic", "clerical"):
                assert sum(r[key] for r in levels) == total[key], (source, group, key)
    housing = rates["housing", "all", "all"]
    assert (housing["records"], housing["linked"], housing["unlinked"]) == (4, 2, 2)
    assert housing["linked_share"] == 0.5
    assert housing["clerical"] == 1 and housing["probabilistic"] == 1


def test_gaps_flag_levels_linked_less_often_than_their_source():
    rows = [
        {"source": "s", "group": "all", "level": "all", "records": 1000, "linked_share": 0.90},
        {"source": "s", "group": "sex", "level": "F", "records": 500, "linked_share": 0.84},
        {"source": "s", "group": "sex", "level": "M", "records": 500, "linked_share": 0.96},
        {"source": "s", "group": "age_band", "level": "75+", "records": 10, "linked_share": 0.5},
    ]
    flagged = mr.gaps(rows)
    assert [(f["group"], f["level"]) for f in flagged] == [("sex", "F")]
    assert flagged[0]["gap"] == pytest.approx(0.06)
    assert mr.gaps(rows, gap=0.07) == []
    assert len(mr.gaps(rows, min_records=5)) == 2


def test_quality_by_source_counts_the_pairs_each_source_takes_part_in():
    # truth: h1 is p1's, h2 is p2's; h1 linked right, h2 wrongly to p1
    links = _links([("p1", "A", "nhs_number"), ("p2", "B", "nhs_number"),
                    ("h1", "A", "probabilistic"), ("h2", "A", "probabilistic"),
                    ("g1", "A", "nhs_number")])
    identity = _identity([("p1", "population", None, None, None), ("p2", "population", None, None, None),
                          ("h1", "housing", None, None, None), ("h2", "housing", None, None, None),
                          ("g1", "gp", None, None, None)])
    truth = ibis.memtable(pa.table({"record_id": ["p1", "p2", "h1", "h2", "g1"],
                                    "true_person": ["1", "2", "1", "2", "1"]}))
    q = evaluate_by_source(links, truth, identity)
    # predicted pairs among {p1, h1, h2, g1}: 6; true pairs: {p1, h1, g1} 3 and {p2, h2} 1
    housing = q["housing"]
    assert housing["predicted_pairs"] == 5  # every pair of A's four but (p1, g1)
    assert housing["true_positive_pairs"] == 2  # (h1, p1), (h1, g1)
    assert housing["true_pairs"] == 3  # (h1, p1), (h1, g1), (h2, p2)
    assert housing["precision"] == pytest.approx(2 / 5) and housing["recall"] == pytest.approx(2 / 3)
    assert q["gp"]["precision"] == pytest.approx(2 / 3) and q["gp"]["recall"] == 1.0
    pooled = evaluate_against_truth(links, truth)
    assert pooled["predicted_pairs"] == 6 and pooled["true_positive_pairs"] == 3
