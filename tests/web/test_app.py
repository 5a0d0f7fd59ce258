"""The web layer serves what the stages wrote, through the same Project API."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from carecase.web.app import create_app

CONFIG = """
project:
  name: Web test area
  period_start: 2020-04-01
  period_end: 2023-03-31
"""


def make_project(tmp_path):
    (tmp_path / "carecase.yaml").write_text(CONFIG)
    audit = tmp_path / "out" / "audit"
    audit.mkdir(parents=True)
    (audit / "summary.json").write_text(json.dumps({"headline": "£1,234 across 3 people"}))
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"agency_l1": ["NHS", "Police"], "cost": [1000.0, 234.0]}),
                   audit / "cost_by_agency.parquet")
    return tmp_path


def test_index_lists_stages_and_headlines(tmp_path):
    client = TestClient(create_app(make_project(tmp_path)))
    page = client.get("/")
    assert page.status_code == 200
    assert "Web test area" in page.text
    assert "£1,234 across 3 people" in page.text
    assert "not run" in page.text  # stages without results say so


def test_results_and_tables(tmp_path):
    client = TestClient(create_app(make_project(tmp_path)))
    assert client.get("/api/results/audit").json()["headline"].startswith("£1,234")
    assert client.get("/api/results/cba").status_code == 404
    assert client.get("/api/results/nonsense").status_code == 404
    assert client.get("/api/tables/audit").json() == ["cost_by_agency"]
    rows = client.get("/api/tables/audit/cost_by_agency").json()
    assert rows == [{"agency_l1": "NHS", "cost": 1000.0}, {"agency_l1": "Police", "cost": 234.0}]
    assert client.get("/api/tables/audit/missing").status_code == 404
    assert client.get("/report").status_code == 404


def test_damaged_outputs_give_a_message_not_a_traceback(tmp_path):
    """A damaged summary or table is a 500 whose message names the file and the re-run
    command; the index still lists the other stages."""
    root = make_project(tmp_path)
    (root / "out" / "audit" / "summary.json").write_text("{not json")
    (root / "out" / "audit" / "bad.parquet").write_bytes(b"PAR1 not a parquet file")
    client = TestClient(create_app(root), raise_server_exceptions=False)
    page = client.get("/")
    assert page.status_code == 200 and "summary.json is damaged" in page.text and "not run" in page.text
    res = client.get("/api/results/audit")
    assert res.status_code == 500 and "summary.json is damaged" in res.json()["detail"]
    assert "--only audit" in res.json()["detail"]
    res = client.get("/api/tables/audit/bad")
    assert res.status_code == 500 and "bad.parquet is damaged" in res.json()["detail"]


def test_run_refuses_unknown_or_no_stages(tmp_path):
    client = TestClient(create_app(make_project(tmp_path)), raise_server_exceptions=False)
    res = client.post("/api/run", json=["nosuchstage"])
    assert res.status_code == 400 and "Unknown stage(s): 'nosuchstage'" in res.json()["detail"]
    res = client.post("/api/run", json=[])
    assert res.status_code == 400 and "No stage named" in res.json()["detail"]
