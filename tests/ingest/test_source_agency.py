"""Events carry their service's agency: a source's agency must be the catalogue agency of
every service it maps to (refused at load otherwise: tests/core/test_source_agency.py), and
an extract holding several agencies' activity is read as one source per agency, as the
refusal advises (docs/ingest.md): each row is staged once, under its service's agency."""

from __future__ import annotations

import pytest

from carecase.core.errors import ConfigError
from carecase.core.services import BY_CODE
from carecase.ingest.stage import run

from .helpers import event_source, table

# one combined extract: A&E attendances (Acute Trust) and ambulance incidents (Ambulance Trust)
COMBINED = ("nhs,mrn,code,date\n9434765919,A,AE,05/01/2024\n4010232137,B,AMB,06/01/2024\n"
            "9434765919,A,AMB,07/01/2024\n")


def _source(name: str, level2: str, code: str, service: str) -> dict:
    return event_source(name, "combined.csv", agency={"level1": "NHS", "level2": level2},
                        event={"service": {"column": "code", "map": {code: service}, "unmapped": "ignore"}})


def test_a_combined_extract_read_as_one_source_per_agency(project_factory) -> None:
    p = project_factory({"sources": [_source("acute", "Acute Trust", "AE", "AE_ATTEND"),
                                     _source("ambulance", "Ambulance Trust", "AMB", "AMBULANCE")]},
                        {"combined.csv": COMBINED})
    s = run(p)
    assert {n: (src["rows_accepted"], src["rows_out_of_scope"]) for n, src in s["sources"].items()} == {
        "acute": (1, 2), "ambulance": (2, 1)}
    rows = table(p, "events_staged", ["source", "source_row"])
    assert [(r["source"], r["source_row"], r["service_code"]) for r in rows] == [
        ("acute", 1, "AE_ATTEND"), ("ambulance", 2, "AMBULANCE"), ("ambulance", 3, "AMBULANCE")]
    for r in rows:  # each event under its service's catalogue agency
        svc = BY_CODE[r["service_code"]]
        assert (r["agency_l1"], r["agency_l2"]) == (svc.agency_l1, svc.agency_l2)
    assert not [q for q in table(p, "quarantine") if q["rule"] == "duplicate_other_file"]


def test_one_source_for_both_agencies_is_refused_when_the_project_opens(project_factory) -> None:
    src = event_source("combined", "combined.csv",
                       event={"service": {"column": "code", "map": {"AE": "AE_ATTEND", "AMB": "AMBULANCE"}}})
    with pytest.raises(ConfigError, match=r"carecase\.yaml: 1 problem\(s\) in the configuration\n  - "
                                          r"ingest\.sources\[0\]\.agency\.level2 \(line \d+\) = 'Acute Trust': source "
                                          r"'combined' maps activity code 'AMB' .* to service AMBULANCE "
                                          r"\(built in\), whose agency is NHS / Ambulance Trust"):
        project_factory({"sources": [src]}, {"combined.csv": COMBINED})
