"""Benchmark: what finding each CSV row's line (``Extract.file_lines``, for the quarantine's
``file_line``) adds to reading a 1M-row extract.

The extract is :func:`benchmarks.bench_ingest.make_extract`'s (every cell quoted, as Arrow
writes it), and four variants of it: unquoted, unquoted with CRLF line ends, unquoted with an
empty first cell on every other row (rows whose first byte is a delimiter are looked at more
closely for blank rows), and quoted with a line break in one cell of every 1,000th row (the
path that counts quotes). Each is read by :func:`carecase.ingest.read.read_extract` with the
lines and without (``csv_lines`` replaced by one returning None), interleaved, best of
``repeats``; the csv-module fallback is timed once on the quoted file for comparison. Writes
benchmarks/results/file_lines.json.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.bench_ingest import make_extract
from benchmarks.record import write_result

HERE = Path(__file__).parent
WORK = HERE / "work" / "file_lines"


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
                       ("plain_empty_first_cell", empty_first), ("quoted_multiline_cells", b"\n".join(quoted))):
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
    out = {"machine": {"python": platform.python_version(), "platform": platform.platform()}, "rows": rows,
           "repeats": repeats, "variants": results, "csv_module_fallback_seconds": round(fallback, 3)}
    print(f"wrote {write_result('file_lines', out)}")
    return out


if __name__ == "__main__":
    import sys

    main(quick="--quick" in sys.argv)
