"""Linkage accuracy as agencies record identifiers worse (``synth --identity-noise``),
recorded in ``benchmarks/results/link_noise.json``: the numbers behind the table in
docs/synth.md. Not part of ``make bench`` (about 25 s a level on 2 cores)::

    python -m benchmarks.link_noise            # levels 1, 3 and 5 on the demo's area
    python -m benchmarks.link_noise 2 8        # other levels (added to the record)

For each level: the demo's area (4,000 people, seed 20240401) with every typo rate multiplied
by it, ingest and link as in the demo with ``linkage.truth`` set to the generator's
``truth/true_links.parquet``: the link stage's summary then gives pairwise precision and
recall, pooled over the sources with no NHS number and for each source linked on name, date of
birth and postcode alone (its records' links to every other record). Also the number of
people linkage made against the true number. Areas are kept under benchmarks/work/link_noise/
(git-ignored).
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

    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from carecase.core.project import Project
    from carecase.demo import write_demo_key
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
        # the link stage's own check against known links (linkage.truth): its summary then
        # holds pairwise precision and recall, pooled and by source
        project.config.linkage.truth = "truth/true_links.parquet"
        run_all(project, only=["ingest", "link"])
    finally:
        project.close()
    seconds = time.perf_counter() - t0
    summary = json.loads((area / "out" / "link" / "summary.json").read_text())
    true_people = pc.count_distinct(pq.read_table(area / "truth" / "true_links.parquet")["person_key"]).as_py()
    def kept(q: dict[str, Any]) -> dict[str, Any]:
        return {"precision": round(q["precision"], 4), "recall": round(q["recall"], 4), "true_pairs": q["true_pairs"]}

    return {
        "noise": noise, "people": people, "seed": seed, "people_linked": summary["people"],
        "true_people": true_people,
        "ingest_and_link_s": round(seconds, 1),
        "sources_without_nhs_numbers": kept(summary["truth"]["sources_without_nhs_numbers"]),
        "sources": {s: kept(summary["truth_by_source"][s]) for s in NAME_ONLY},
        # the reviewers' workload: pairs in clerical_review.csv, and of them the pairs of
        # records off the register (pair_kind off_register)
        "clerical_review_pairs": summary["clerical_review"]["pairs"],
        "off_register_pairs_for_review": (summary.get("unregistered") or {}).get("pairs_for_review"),
    }


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
