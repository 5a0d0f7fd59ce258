"""numpy's transparent-huge-page advice, on and off, side by side (carecase.core.pages).

The evaluation stage on the demo's area (4,000 people, seed 20240401; quick: 1,500), run in
one process with numpy's advice on (numpy's default: ``madvise(MADV_HUGEPAGE)`` for every
array of 4 MiB or more) and off (what ``import carecase`` sets), after one warm-up run,
alternately, ``repeats`` times each. Records wall, user and system seconds and minor page
faults of each run, the ratio of the medians (on / off), and checks that both settings write
the same bytes to out/evaluate. The
area is kept under benchmarks/work/pages/ (git-ignored) and made again when the code that
prepares it changes (tests/e2e/recovery.py's stamp).
"""

from __future__ import annotations

import hashlib
import resource
import statistics
import time
from pathlib import Path
from typing import Any

from benchmarks.record import write_result

WORK = Path(__file__).resolve().parent / "work" / "pages"
SEED = 20240401


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(folder).as_posix().encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def _run_evaluate(area: Path) -> dict[str, float]:
    from carecase.core.project import Project
    from carecase.pipeline import run_all

    r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    project = Project.open(area)
    try:
        run_all(project, only=["evaluate"])
    finally:
        project.close()
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    return {"wall_s": round(time.perf_counter() - t0, 2), "user_s": round(r1.ru_utime - r0.ru_utime, 2),
            "system_s": round(r1.ru_stime - r0.ru_stime, 2), "minor_faults": r1.ru_minflt - r0.ru_minflt}


def main(quick: bool = False, repeats: int = 2) -> dict[str, Any]:
    from numpy._core import multiarray
    from tests.e2e.recovery import prepare

    people = 1500 if quick else 4000
    area = prepare(WORK / f"area_{people}", SEED, people)
    runs: dict[str, list[dict[str, float]]] = {"advice_on": [], "advice_off": []}
    digests: dict[str, set[str]] = {"advice_on": set(), "advice_off": set()}
    before = multiarray._set_madvise_hugepage(False)
    try:
        _run_evaluate(area)  # warm-up (imports, first queries), not recorded
        for _ in range(repeats):
            for name, advice in (("advice_on", True), ("advice_off", False)):
                multiarray._set_madvise_hugepage(advice)
                runs[name].append(_run_evaluate(area))
                digests[name].add(_digest(area / "out" / "evaluate"))
                print(name, runs[name][-1], flush=True)
    finally:
        multiarray._set_madvise_hugepage(before)
    same = len(digests["advice_on"] | digests["advice_off"]) == 1
    assert same, "the evaluation wrote different bytes with and without huge pages"
    median = {k: statistics.median(r["wall_s"] for r in v) for k, v in runs.items()}
    result = {
        "people": people, "seed": SEED, "repeats": repeats, "runs": runs,
        "median_wall_s": {k: round(v, 2) for k, v in median.items()},
        "ratio_on_over_off": round(median["advice_on"] / median["advice_off"], 3),
        "same_bytes": same,
    }
    write_result("pages_quick" if quick else "pages", result)
    return result


if __name__ == "__main__":
    import sys

    print(main(quick="--quick" in sys.argv))
