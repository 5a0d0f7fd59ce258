"""Benchmark: what finding each CSV row's line (``Extract.file_lines``, for the quarantine's
``file_line``) adds to reading a 1M-row extract, and the memory it takes on a ~200 MB one.

The extract is :func:`benchmarks.bench_ingest.make_extract`'s (every cell quoted, as Arrow
writes it), and five variants of it: unquoted, unquoted with CRLF line ends, unquoted with an
empty first cell on every other row (rows whose first byte is a delimiter are looked at more
closely for blank rows), and quoted with a line break in one cell of every 1,000th row or in
one cell of the whole file (the path that counts quotes). Each is read by
:func:`carecase.ingest.read.read_extract` with the lines and without (``csv_lines`` replaced
by one returning None), interleaved, best of ``repeats``; the csv-module fallback is timed
once on the quoted file for comparison.

Memory (``memory``): :func:`carecase.ingest.lines.csv_lines` alone on a fully quoted extract
of 5M rows (~200 MB; 1M with ``--quick``) with a line break in one cell, which is the path
that counts quotes over the whole file, run in a fresh process: ``heap_peak_mb`` is
tracemalloc's peak while it runs (numpy's arrays; the file is read through a memory map, not
copied), ``rss_peak_mb`` the process's peak resident set (``VmHWM``, not ``ru_maxrss``, which
Linux carries over from the parent process: the interpreter and numpy, and the file's
pages mapped in as they are read, which the page cache holds and the system can drop) and
``rss_before_mb`` the same just before the call. Writes benchmarks/results/file_lines.json.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.bench_ingest import make_extract
from benchmarks.record import write_result

HERE = Path(__file__).parent
WORK = HERE / "work" / "file_lines"


def _one_line_break(raw: bytes) -> bytes:
    """``raw`` with a line break in one cell, of the row in the middle of the file."""
    at = raw.index(b'","M', len(raw) // 2) + 4
    return raw[:at] + b"\nX" + raw[at:]


def _variants(rows: int) -> dict[str, Path]:
    base = WORK / f"quoted_{rows}.csv"
    if not base.exists():
        make_extract(base, rows)
    raw = base.read_bytes()
    plain = raw.replace(b'"', b"")
    lines = plain.split(b"\n")
    lines[1::2] = [b"," + ln.split(b",", 1)[1] if ln else ln for ln in lines[1::2]]
    empty_first = b"\n".join(lines)
    quoted = raw.split(b"\n")
    quoted[1::1000] = [ln.replace(b'","M', b'","M\nX', 1) for ln in quoted[1::1000]]
    out = {"quoted": base}
    for name, data in (("plain", plain), ("plain_crlf", plain.replace(b"\n", b"\r\n")),
                       ("plain_empty_first_cell", empty_first), ("quoted_multiline_cells", b"\n".join(quoted)),
                       ("quoted_one_multiline_cell", _one_line_break(raw))):
        path = WORK / f"{name}_{rows}.csv"
        if not path.exists():
            path.write_bytes(data)
        out[name] = path
    return out


def _best(f: Callable[[], Any], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t0)
    return best


def _peak_rss_mb() -> float:
    """This process's peak resident set (``VmHWM``), in MB."""
    with open("/proc/self/status") as fh:
        kb = next(int(ln.split()[1]) for ln in fh if ln.startswith("VmHWM:"))
    return round(kb / 1024, 1)


def _memory_child(path: str, rows: int) -> None:
    import tracemalloc

    import numpy as np

    from carecase.ingest.lines import csv_lines

    before = _peak_rss_mb()
    tracemalloc.start()
    t0 = time.perf_counter()
    found = csv_lines(Path(path), "utf-8", 0, ",", 4, rows, 0, lambda: iter(()))  # the bytes, or None
    seconds = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    after = _peak_rss_mb()
    assert found is not None and found.size == rows and bool((np.diff(found) > 0).all())
    print("RESULT " + json.dumps({"heap_peak_mb": round(peak / 2**20, 1), "rss_before_mb": before,
                                  "rss_peak_mb": after, "seconds": round(seconds, 3),
                                  "last_line": int(found[-1])}))


def _memory(rows: int) -> dict[str, Any]:
    """csv_lines on a fully quoted extract of ``rows`` rows with one line break in a cell, in
    a fresh process."""
    base = WORK / f"quoted_{rows}.csv"
    if not base.exists():
        make_extract(base, rows)
    path = WORK / f"quoted_one_multiline_cell_{rows}.csv"
    if not path.exists():
        path.write_bytes(_one_line_break(base.read_bytes()))
    code = f"from benchmarks.bench_file_lines import _memory_child; _memory_child({str(path)!r}, {rows})"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=HERE.parent)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return {"rows": rows, "mb": round(path.stat().st_size / 1e6, 1), **json.loads(line[7:])}
    return {"rows": rows, "error": (proc.stderr or proc.stdout)[-2000:]}


def main(quick: bool = False) -> dict[str, Any]:
    import carecase.ingest.read as read
    from carecase.ingest.config import FileFormat
    from carecase.ingest.lines import _from_csv_module

    rows = 100_000 if quick else 1_000_000
    repeats = 3 if quick else 7
    fmt = FileFormat(type="csv")
    real = read.csv_lines
    results: dict[str, Any] = {}
    for name, path in _variants(rows).items():
        without: list[float] = []
        with_lines: list[float] = []
        extract = None
        for _ in range(repeats):  # interleaved, so that a busy moment hits both alike
            read.csv_lines = lambda *a, **k: None  # type: ignore[assignment]
            try:
                t0 = time.perf_counter()
                read.read_extract(path, fmt)
                without.append(time.perf_counter() - t0)
            finally:
                read.csv_lines = real
            t0 = time.perf_counter()
            extract = read.read_extract(path, fmt)
            with_lines.append(time.perf_counter() - t0)
        assert extract is not None and extract.file_lines is not None and extract.file_lines.size == rows
        a, b = min(without), min(with_lines)
        results[name] = {"mb": round(path.stat().st_size / 1e6, 1), "read_seconds_without_lines": round(a, 3),
                         "read_seconds_with_lines": round(b, 3), "added_seconds": round(b - a, 3),
                         "last_line": int(extract.file_lines[-1])}
        print(name, results[name], flush=True)
    quoted = WORK / f"quoted_{rows}.csv"
    records = lambda: read._records(quoted, fmt, ",")  # noqa: E731
    fallback = _best(lambda: _from_csv_module(records, 4, rows), 1)
    memory = _memory(1_000_000 if quick else 5_000_000)
    print("memory", memory, flush=True)
    out = {"machine": {"python": platform.python_version(), "platform": platform.platform()}, "rows": rows,
           "repeats": repeats, "variants": results, "csv_module_fallback_seconds": round(fallback, 3),
           "memory": memory}
    print(f"wrote {write_result('file_lines', out)}")
    return out


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
