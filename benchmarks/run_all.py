"""``make bench``: run every ``benchmarks/bench_*.py`` and collect results.

Each benchmark module has ``main(quick: bool = False) -> dict``, times carecase side by side
with a baseline (ratios, not absolute thresholds) and writes ``benchmarks/results/<name>.json``.
``python -m benchmarks.run_all --quick`` runs the small sizes only.
"""

from __future__ import annotations

import importlib
import platform
import sys
import time
from pathlib import Path

from benchmarks.record import write_result

HERE = Path(__file__).parent


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    quick = "--quick" in args
    names = [a for a in args if not a.startswith("--")]
    mods = sorted(p.stem for p in HERE.glob("bench_*.py"))
    if names:
        mods = [m for m in mods if m.removeprefix("bench_") in names or m in names]
    summary: dict[str, object] = {
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "quick": quick,
        "benchmarks": {},
    }
    for m in mods:
        print(f"== {m}", flush=True)
        t0 = time.perf_counter()
        mod = importlib.import_module(f"benchmarks.{m}")
        result = mod.main(quick=quick)
        summary["benchmarks"][m] = {"seconds": round(time.perf_counter() - t0, 2), "result": result}  # type: ignore[index]
    print(f"wrote {write_result('summary', summary)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
