"""Benchmark: ingest of one large A&E-style CSV extract (1M and 10M event rows).

carecase reads every column as text, parses and validates with vectorised Arrow kernels
(dates, NHS Modulus 11, quantities, duplicates), hashes distinct identifiers and stages the
rows in DuckDB in one transaction. The baseline is a plain pandas read (``dtype=str``) plus
the same core validation in pandas (``to_datetime``, a vectorised Modulus 11, ``duplicated``)
and no store at all, so it is a lower bound on the work. The row accounting of both is
compared. Wall-clock and CPU seconds are reported (the machine is shared). Memory: each
step's own peak RSS (``carecase.peak_rss_mb``, ``pandas_baseline.peak_rss_mb``,
``generate_peak_rss_mb``: sampled every 10 ms while it runs) and the process's peak so far
(``peak_rss_mb``: ``ru_maxrss``, which includes the extract's generation and the smaller
size). The 10M size runs only without ``--quick`` (it needs ~6 GB of memory and a few minutes).
Writes benchmarks/results/ingest.json.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import yaml

from benchmarks.record import write_result
from carecase.core.random import generator

HERE = Path(__file__).parent
WORK = HERE / "work" / "ingest"
KEY = "benchmark-key-not-secret-0123456789"
WEIGHTS = np.arange(10, 1, -1)


def _nhs_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    base = rng.integers(100_000_000, 999_999_999, size=n * 2)
    digits = (base[:, None] // 10 ** np.arange(8, -1, -1)) % 10
    check = 11 - (digits @ WEIGHTS) % 11
    check = np.where(check == 11, 0, check)
    keep = check != 10
    return (base[keep] * 10 + check[keep])[:n]


def make_extract(path: Path, rows: int, seed: int = 7) -> None:
    """A CSV of ``rows`` A&E attendances for rows/5 people, with ~2% invalid NHS numbers,
    ~1% impossible dates, ~1% unmapped codes and ~1% exact duplicate rows."""
    rng = generator(seed, "bench-ingest", rows)
    people = _nhs_numbers(rng, max(rows // 5, 1))
    who = rng.integers(0, people.size, size=rows)
    nhs = people[who].astype(str).astype(object)
    bad = rng.random(rows) < 0.02
    nhs[bad] = (people[who[bad]] + 1).astype(str)
    day = np.datetime64("2023-04-01") + rng.integers(0, 730, size=rows)
    date_text = pc.strftime(pa.array(day.astype("datetime64[s]")), format="%d/%m/%Y").to_numpy(zero_copy_only=False).astype(object)
    date_text[rng.random(rows) < 0.01] = "31/02/2024"
    code = np.where(rng.random(rows) < 0.01, "ZZ", "AE").astype(object)
    mrn = np.char.add("M", (who % 1_000_000).astype(str)).astype(object)
    table = pa.table({"nhs": pa.array(nhs, pa.string()), "mrn": pa.array(mrn, pa.string()),
                      "code": pa.array(code, pa.string()), "date": pa.array(date_text, pa.string())})
    dup = np.flatnonzero(rng.random(rows) < 0.01)
    table = pa.concat_tables([table, table.take(pa.array(dup))]).slice(0, rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    pcsv.write_csv(table, path)


def make_project(folder: Path, extract: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    cfg = {
        "project": {"name": "bench", "period_start": "2023-04-01", "period_end": "2025-03-31"},
        "ingest": {"sources": [{
            "name": "acute", "path": str(extract), "format": {"type": "csv"},
            "agency": {"level1": "NHS", "level2": "Acute Trust"}, "ids": {"nhs_number": "nhs", "local_id": "mrn"},
            "event": {"kind": "point", "service": {"column": "code", "map": {"AE": "AE_ATTEND"}},
                      "start": {"column": "date", "format": "%d/%m/%Y"}},
        }]},
    }
    (folder / "carecase.yaml").write_text(yaml.safe_dump(cfg))
    return folder


def run_carecase(folder: Path) -> dict[str, int]:
    from carecase.core.project import Project
    from carecase.ingest.stage import run

    os.environ["CARECASE_KEY"] = KEY
    db = folder / "carecase.duckdb"
    if db.exists():
        db.unlink()
    project = Project.open(folder)
    try:
        summary = run(project)
    finally:
        project.close()
    return summary["totals"]


def run_pandas(extract: Path) -> dict[str, int]:
    """The baseline: pandas read as text, parse dates, Modulus 11, unmapped codes, duplicates."""
    import pandas as pd

    df = pd.read_csv(extract, dtype=str, keep_default_na=False)
    dates = pd.to_datetime(df["date"], format="%d/%m/%Y", errors="coerce")
    nhs = df["nhs"].str.replace(r"[\s-]", "", regex=True)
    shaped = nhs.str.fullmatch(r"[0-9]{10}")
    digits = nhs.where(shaped, "0000000000").str.split("", expand=True).iloc[:, 1:11].astype(int).to_numpy()
    check = 11 - (digits[:, :9] @ WEIGHTS) % 11
    check = np.where(check == 11, 0, check)
    valid = shaped.to_numpy() & (check != 10) & (check == digits[:, 9])
    bad = ~valid | dates.isna().to_numpy() | ~df["code"].isin(["AE"]).to_numpy()
    dup = df.duplicated(keep="first").to_numpy() & ~bad
    quarantined = int((bad | dup).sum())
    return {"rows_read": len(df), "rows_accepted": len(df) - quarantined, "rows_quarantined": quarantined}


def _rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class _PeakRss:
    """The highest resident set size sampled (every 10 ms) while the block runs, in MB:
    the memory of that step alone, where ``ru_maxrss`` is the process's peak since it
    started (the extract's generation and the other sizes included)."""

    def __enter__(self) -> _PeakRss:
        self.peak, self._stop = 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while True:
            self.peak = max(self.peak, _rss_bytes())
            if self._stop.wait(0.01):
                return

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def mb(self) -> float:
        return round(self.peak / 2**20, 1)


def _timed(fn: Any, *args: Any) -> tuple[Any, float, float, float]:
    """(result, wall seconds, CPU seconds, peak RSS in MB while it ran)."""
    with _PeakRss() as rss:
        w0, c0 = time.perf_counter(), time.process_time()
        out = fn(*args)
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    return out, wall, cpu, rss.mb


def main(quick: bool = False) -> dict[str, Any]:
    sizes = [1_000_000] if quick else [1_000_000, 10_000_000]
    result: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()},
        "quick": quick, "sizes": {},
    }
    if quick:
        result["sizes"]["10000000"] = {"skipped": "quick run: the 10M-row size needs ~6 GB and a few minutes; run without --quick"}
    for rows in sizes:
        folder = WORK / f"rows_{rows}"
        extract = folder / "ae.csv"
        _, gen_s, _, gen_rss = _timed(make_extract, extract, rows)
        make_project(folder / "project", extract)
        totals, wall, cpu, rss = _timed(run_carecase, folder / "project")
        base, b_wall, b_cpu, b_rss = _timed(run_pandas, extract)
        agree = all(totals[k] == base[k] for k in base)
        result["sizes"][str(rows)] = {
            "extract_mb": round(extract.stat().st_size / 1e6, 1), "generate_seconds": round(gen_s, 2),
            "generate_peak_rss_mb": gen_rss,
            "carecase": {"wall_seconds": round(wall, 2), "cpu_seconds": round(cpu, 2), "totals": totals,
                         "rows_per_second": int(rows / wall), "peak_rss_mb": rss},
            "pandas_baseline": {"wall_seconds": round(b_wall, 2), "cpu_seconds": round(b_cpu, 2), "totals": base,
                                "peak_rss_mb": b_rss},
            "wall_ratio_carecase_over_pandas": round(wall / b_wall, 2),
            "accounting_agrees_with_baseline": agree,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
        shutil.rmtree(folder, ignore_errors=True)
    write_result("ingest", result)
    return result


if __name__ == "__main__":
    import sys

    print(json.dumps(main(quick="--quick" in sys.argv), indent=2))
