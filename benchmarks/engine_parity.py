"""The whole pipeline on DuckDB and on PySpark, file by file: which outputs are the same bytes.
Recorded in ``benchmarks/results/engine_parity.json``; docs/engines.md cites it. Not part of
``make bench`` (about 5 minutes for 400 people on 2 cores, most of it Spark)::

    python -m benchmarks.engine_parity              # 400 people, seed 7
    python -m benchmarks.engine_parity 1000 11      # people, seed

One synthetic area is copied into two projects that differ only in ``engine.backend`` (and
the Spark warehouse folder); both share one key file, so pseudonyms agree. ``carecase run``'s
API (``run_all``) runs every stage on each; then every file under ``out/`` is compared by its
SHA-256. The test suite checks each stage on both engines on small inputs (the ``spark``
marker); this is the check on a whole run. Areas are kept under benchmarks/work/engine_parity/
(git-ignored).
"""

from __future__ import annotations

import hashlib
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.record import write_result

PEOPLE, SEED = 400, 7
WORK = Path(__file__).resolve().parent / "work" / "engine_parity"


def digests(out: Path) -> dict[str, str]:
    """SHA-256 of every file under ``out``, by its path relative to ``out`` (sorted)."""
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file()}


def compare(a: dict[str, str], b: dict[str, str]) -> dict[str, list[str]]:
    """Files in both with the same bytes, in both with different bytes, and in one only."""
    both = sorted(a.keys() & b.keys())
    return {"same": [f for f in both if a[f] == b[f]], "different": [f for f in both if a[f] != b[f]],
            "only_one": sorted(a.keys() ^ b.keys())}


def _run(area: Path) -> float:
    from carecase.core.project import Project
    from carecase.pipeline import run_all

    t0 = time.perf_counter()
    project = Project.open(area)
    try:
        run_all(project)
    finally:
        project.close()
    return time.perf_counter() - t0


def measure(people: int = PEOPLE, seed: int = SEED) -> dict[str, Any]:
    from carecase.demo import write_demo_key
    from carecase.synth import generate

    root = WORK / f"p{people}_s{seed}"
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    write_demo_key(root / "demo.key", seed)
    generate(root / "duckdb", people=people, seed=seed)
    shutil.copytree(root / "duckdb", root / "spark")
    yaml = root / "spark" / "carecase.yaml"
    text = yaml.read_text()
    if "  backend: duckdb\n" not in text:
        raise SystemExit(f"{yaml}: no 'backend: duckdb' line to switch to Spark")
    yaml.write_text(text.replace("  backend: duckdb\n", "  backend: spark\n  spark_warehouse: warehouse\n"))
    seconds = {engine: round(_run(root / engine), 1) for engine in ("duckdb", "spark")}
    result = compare(digests(root / "duckdb" / "out"), digests(root / "spark" / "out"))
    return {"people": people, "seed": seed, "seconds": seconds, "files_compared": len(result["same"])
            + len(result["different"]), **result}


def main(argv: list[str] | None = None) -> int:
    args = [int(a) for a in (sys.argv[1:] if argv is None else argv)]
    row = measure(*args)
    print(f"{row['files_compared']} files: {len(row['same'])} the same bytes; different: "
          f"{', '.join(row['different']) or 'none'}; in one run only: {', '.join(row['only_one']) or 'none'}")
    print(f"wrote {write_result('engine_parity', row)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
