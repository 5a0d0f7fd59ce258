"""Helpers for ingest tests: small projects built in a folder with a fixed test key."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import yaml

from carecase.core.project import Project

TEST_KEY = "carecase-test-key-0123456789"
PERIOD = ("2023-04-01", "2025-03-31")


def event_source(name: str = "acute", path: str = "ae.csv", **over: Any) -> dict[str, Any]:
    """An A&E-style point source over columns nhs, mrn, code, date."""
    src: dict[str, Any] = {
        "name": name,
        "path": path,
        "format": {"type": "csv"},
        "agency": {"level1": "NHS", "level2": "Acute Trust"},
        "ids": {"nhs_number": "nhs", "local_id": "mrn"},
        "event": {"kind": "point", "service": {"column": "code", "map": {"AE": "AE_ATTEND"}},
                  "start": {"column": "date", "format": "%d/%m/%Y"}},
    }
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(src.get(k), dict):
            src[k] = {**src[k], **v}
        else:
            src[k] = v
    return src


def make_project(root: Path, ingest: dict[str, Any], files: dict[str, str | bytes],
                 period: tuple[str, str] = PERIOD, privacy: dict[str, Any] | None = None,
                 evaluation: dict[str, Any] | None = None) -> Project:
    root.mkdir(parents=True, exist_ok=True)
    cfg: dict[str, Any] = {"project": {"name": "test", "period_start": period[0], "period_end": period[1]},
                           "ingest": ingest}
    if privacy:
        cfg["privacy"] = privacy
    if evaluation:
        cfg["evaluation"] = evaluation
    (root / "carecase.yaml").write_text(yaml.safe_dump(cfg, sort_keys=True))
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    return Project.open(root)


def table(project: Project, name: str, order: list[str] | None = None) -> list[dict[str, Any]]:
    t = project.engine.table(name)
    if order:
        t = t.order_by(order)
    return t.to_pyarrow().to_pylist()


def quarantine_rules(project: Project) -> list[tuple[int, str, str]]:
    """(source_row, rule, column) per quarantined row, in row order."""
    return [(r["source_row"], r["rule"], r["column"]) for r in table(project, "quarantine", ["source", "source_row"])]
