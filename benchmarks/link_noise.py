"""Linkage accuracy as agencies record identifiers worse (``synth --identity-noise``),
recorded in ``benchmarks/results/link_noise.json``: the numbers behind the table in
docs/synth.md. Not part of ``make bench`` (about 25 s a level on 2 cores)::

    python -m benchmarks.link_noise            # levels 1, 3 and 5 on the demo's area
    python -m benchmarks.link_noise 2 8        # other levels (added to the record)

For each level: the demo's area (4,000 people, seed 20240401) with every typo rate multiplied
by it, ingest and link as in the demo, then pairwise precision and recall of each source
linked on name, date of birth and postcode alone, against ``truth/true_links.parquet``
(planted broken rows left out), and the number of people linkage made against the true
number. Areas are kept under benchmarks/work/link_noise/ (git-ignored).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.record import RESULTS, write_result

PEOPLE, SEED = 4000, 20240401
LEVELS = (1.0, 3.0, 5.0)
#: the sources with no NHS number: linked on name, date of birth and postcode alone
NAME_ONLY = ("housing_applications", "temporary_accommodation", "police_custody")
WORK = Path(__file__).resolve().parent / "work" / "link_noise"


def measure(noise: float, people: int = PEOPLE, seed: int = SEED) -> dict[str, Any]:
    import shutil

    import ibis
    import pandas as pd

    from carecase.core.project import Project
    from carecase.demo import write_demo_key
    from carecase.link.quality import evaluate_against_truth
    from carecase.pipeline import run_all
    from carecase.synth import generate

    root = WORK / f"noise_{noise:g}"
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    write_demo_key(root / "demo.key", seed)
    area = root / "area"
    generate(area, people=people, seed=seed, identity_noise=noise)
    t0 = time.perf_counter()
    project = Project.open(area)
    try:
        run_all(project, only=["ingest", "link"])
        links = project.engine.to_pandas(project.engine.table("record_links").select("record_id", "person_id"))
        files = project.engine.to_pandas(project.engine.table("ingest_files").select("source", "batch_id"))
        linked_people = int(project.engine.to_pandas(project.engine.table("people").count().as_table()).iloc[0, 0])
    finally:
        project.close()
    seconds = time.perf_counter() - t0
    truth = pd.read_parquet(area / "truth" / "true_links.parquet")
    truth = truth[truth["broken_kind"].isna()].merge(files, on="source")
    truth["record_id"] = truth["source"] + ":" + truth["batch_id"] + ":" + truth["source_row"].astype(str)
    population = truth[truth["source"] == "population"]
    out: dict[str, Any] = {"noise": noise, "people": people, "seed": seed, "people_linked": linked_people,
                           "true_people": int(truth["person_key"].nunique()),
                           "ingest_and_link_s": round(seconds, 1), "sources": {}}
    for source in NAME_ONLY:
        subset = pd.concat([truth[truth["source"] == source], population])
        q = evaluate_against_truth(
            ibis.memtable(links),
            ibis.memtable(subset.rename(columns={"person_key": "true_person"})[["record_id", "true_person"]]))
        out["sources"][source] = {"precision": round(float(q["precision"]), 4),
                                  "recall": round(float(q["recall"]), 4), "true_pairs": int(q["true_pairs"])}
    return out


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    levels = [float(a) for a in args] or list(LEVELS)
    path = RESULTS / "link_noise.json"
    record = json.loads(path.read_text()) if path.exists() else {"levels": {}}
    for noise in levels:
        row = measure(noise)
        record["levels"][f"{noise:g}"] = row
        print(json.dumps(row), flush=True)
    print(f"wrote {write_result('link_noise', record)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
