"""Benchmark: the link stage at ~1M events, side by side with exact-match-only linkage.

Data: ``carecase.link.fabricate`` — 70,000 residents (the register), records in five sources
(GP register, acute and social care with NHS numbers or a lookup; housing and police with
names only and recording errors) giving ~1M events and ~1.1M identity records. (Fabricated
names come from short lists, so name collisions — and candidate pairs — are more frequent
than in real data: a conservative load.)

- carecase: ``carecase.link.stage.run`` end to end on a DuckDB file — deterministic linkage,
  Splink 5 training (λ, u by seeded sampling, two EM sessions) and scoring over identity
  *profiles*, resolution, clerical file, people/events/programme/outcomes tables written to
  the store and to Parquet + CSV, the report.
- baseline: what a partnership often does instead — NHS number and lookup, then an exact
  join on given name + family name + date of birth; record_links and events written to the
  store (no files, no report). Faster, and it misses every record with a typo.

Both are scored against the fabricated truth (pairwise precision/recall within the sources
without NHS numbers). Wall-clock and process CPU seconds are reported with the load average,
since the machine may be shared. Writes benchmarks/results/link.json.
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

import ibis

from benchmarks.record import write_result
from carecase.core.project import Project
from carecase.link.deterministic import link_deterministic
from carecase.link.fabricate import fabricate, load_project, project_config
from carecase.link.quality import evaluate_against_truth
from carecase.link.resolve import person_id

HERE = Path(__file__).parent
FULL = {"people": 70_000, "records_per_person": 19.5}
QUICK = {"people": 3_000, "records_per_person": 6.0}
TEN_MILLION = {"people": 700_000, "records_per_person": 19.5}  # ~10M events


def _load(folder: Path, fab: Any) -> Project:
    return load_project(folder, fab, project_config(max_pairs_u=2e6, threads=2))


def baseline_exact(project: Project) -> None:
    """NHS number / lookup, then exact given + family + dob against NHS-identified records."""
    engine = project.engine
    ident = engine.table("staging_identity")
    det = link_deterministic(ident, {"asc": engine.table("lookup_asc")})
    keys = ["given_name", "family_name", "dob"]
    ref = det.filter(det.resolved_nhs.notnull() & det.dob.notnull())
    ref = ref.group_by(keys).aggregate(ref_nhs=ref.resolved_nhs.min())
    j = det.left_join(ref, [det[k] == ref[k] for k in keys])
    nhs = ibis.coalesce(j.resolved_nhs, j.ref_nhs)
    key = ibis.ifelse(nhs.notnull(), ibis.literal("N:") + nhs, ibis.literal("R:") + j.record_id)
    links = j.select(
        "record_id", person_id=person_id(key),
        method=ibis.coalesce(j.method, ibis.ifelse(j.ref_nhs.notnull(), "exact", "unlinked")),
    )
    engine.write("baseline_links", links.order_by("record_id"))
    lk = engine.table("baseline_links")
    ev = engine.table("events_staged")
    engine.write("baseline_events", ev.inner_join(lk, "record_id").order_by("record_id"))


def _timed(fn: Any) -> tuple[float, float, Any]:
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return round(time.perf_counter() - w0, 2), round(time.process_time() - c0, 2), out


def _scoped_quality(project: Project, links_table: str, fab: Any) -> dict[str, Any]:
    engine = project.engine
    links = engine.table(links_table)
    src = ibis.memtable(fab.tables["staging_identity"].select(["record_id", "source"]))
    scoped = links.inner_join(src, "record_id")
    scoped = scoped.filter(scoped.source.isin(["housing", "police"]))
    got = evaluate_against_truth(scoped, ibis.memtable(fab.truth))
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in got.items()}


def main(quick: bool = False, size_name: str = "1m") -> dict[str, Any]:
    from carecase.link.stage import run

    size = QUICK if quick else (TEN_MILLION if size_name == "10m" else FULL)
    t0 = time.perf_counter()
    fab = fabricate(size["people"], seed=20240401, records_per_person=size["records_per_person"])
    fabricate_s = round(time.perf_counter() - t0, 2)
    with tempfile.TemporaryDirectory(prefix="bench-link-") as tmp:
        base = _load(Path(tmp) / "baseline", fab)
        base_wall, base_cpu, _ = _timed(lambda: baseline_exact(base))
        base_quality = _scoped_quality(base, "baseline_links", fab)
        base.close()

        proj = _load(Path(tmp) / "carecase", fab)
        wall, cpu, summary = _timed(lambda: run(proj))
        quality = summary["truth"]["sources_without_nhs_numbers"]
        proj.close()
    identity_rows = fab.tables["staging_identity"].num_rows
    events = fab.tables["events_staged"].num_rows
    result: dict[str, Any] = {
        "quick": quick,
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpus": os.cpu_count()},
        "load_average_1min": round(os.getloadavg()[0], 2),
        "data": {"residents": size["people"], "identity_records": identity_rows,
                 "events": events, "fabricate_s": fabricate_s},
        "carecase": {
            "wall_s": wall, "cpu_s": cpu,
            "events_per_s": round(events / wall) if wall else None,
            "identity_records_per_s": round(identity_rows / wall) if wall else None,
            "people": summary["people"],
            "records_by_method": summary["records_by_method_total"],
            "clerical_pairs": summary["clerical_review"]["pairs"],
            "precision": round(quality["precision"], 4),
            "recall": round(quality["recall"], 4),
            "includes": "deterministic + Splink train/score + resolution + 5 tables to store "
                        "and Parquet/CSV + report",
        },
        "baseline_exact_match": {
            "wall_s": base_wall, "cpu_s": base_cpu,
            "events_per_s": round(events / base_wall) if base_wall else None,
            "precision": base_quality["precision"], "recall": base_quality["recall"],
            "includes": "deterministic + exact name/dob join; record_links and events to store",
        },
        "slowdown_vs_baseline": round(wall / base_wall, 2) if base_wall else None,
    }
    write_result("link_10m" if size_name == "10m" and not quick else "link", result)
    return result


if __name__ == "__main__":
    import sys

    size_arg = "10m" if "--10m" in sys.argv else "1m"
    print(json.dumps(main(quick="--quick" in sys.argv, size_name=size_arg), indent=2, sort_keys=True))
