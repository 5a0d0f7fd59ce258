"""Golden summaries at the edges: the headline figures of the synthetic area, pinned.

A change to any stage that moves these numbers must be deliberate: regenerate with
``CARECASE_UPDATE_GOLDEN=1 pytest tests/e2e/test_golden.py`` and explain the change in the
commit message. Also checks that a second run of the same area is byte-identical.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from .conftest import run_area

pytestmark = pytest.mark.xdist_group("e2e")

GOLDEN = Path(__file__).parent / "golden_summary.json"


def headline_figures(area) -> dict:
    ingest = json.loads(area.out("ingest", "summary.json").read_text())
    audit = json.loads(area.out("audit", "summary.json").read_text())
    cba = json.loads(area.out("cba", "results.json").read_text())
    link = json.loads(area.out("link", "summary.json").read_text())
    return {
        "ingest_totals": ingest["totals"],
        "link_headline": link["headline"],
        "audit_headline": audit["headline"],
        "cba_npv": round(cba["headline"]["npv"], 2),
        "cba_bcr": round(cba["headline"]["bcr"], 4) if cba["headline"]["bcr"] is not None else None,
    }


def test_golden_summary(area):
    figures = headline_figures(area)
    if os.environ.get("CARECASE_UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
    assert GOLDEN.exists(), "no golden summary: run with CARECASE_UPDATE_GOLDEN=1 and commit it"
    assert figures == json.loads(GOLDEN.read_text())


def _digests(root: Path) -> dict[str, str]:
    out = {}
    for p in sorted((root / "out").rglob("*")):
        if p.is_file():  # the PDF too: its dates are the project's, not the clock's
            out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@pytest.mark.slow
def test_same_inputs_give_byte_identical_outputs(area, tmp_path):
    """A second run of the whole pipeline on the same area gives the session's files byte for
    byte, on a different number of DuckDB threads (one, where the session used every core; four
    on a one-core machine): a result that depends on the order a parallel engine adds in (a
    float sum) differs between the two. Runs before the e2e tests that re-run stages."""
    threads = 1 if (os.cpu_count() or 1) > 1 else 4
    again = run_area(tmp_path / "again", threads=threads)
    first, second = _digests(area.project), _digests(again.project)
    assert first.keys() == second.keys()
    differ = sorted(k for k in first if first[k] != second[k])
    assert not differ, differ


def test_tests_marked_e2e_run_on_one_worker(request):
    """Under ``--dist loadgroup`` (``make test``) pytest-xdist sends each ``xdist_group`` to
    one worker by suffixing the node id with ``@group``, so the area is built once. When a
    pytest release breaks that (pytest 9.2: pytest-xdist issue #1386) nothing else fails, but
    the area is built on every worker and the suite takes half as long again."""
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("not run with --dist loadgroup: nothing is grouped, nothing to check")
    assert request.node.nodeid.endswith("@e2e"), (
        f"pytest-xdist did not group {request.node.nodeid}: pytest {pytest.__version__} and "
        "pytest-xdist disagree (pytest-xdist issue #1386). Install the pinned versions (make venv)."
    )
