"""Synthetic-area generation speed: ``carecase.synth.generate`` at 1,000,000 people (fast
formats: CSV and Parquet) side by side with two baselines:

- scaling: the same generator at 100,000 people, to show people/second holds with size;
- dense: the textbook way to draw the same service use, a Poisson draw for every
  person × month × service (numpy, vectorised), timed for the draws alone, against
  carecase's sparse segment simulation (``carecase.synth.model.simulate``) which also
  includes people, crises and referrals.

CPU seconds are recorded beside wall seconds because the machine may be shared.
``main(quick=True)`` runs 100,000 and 20,000 people instead.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import numpy as np

from benchmarks.record import write_result
from carecase.core.random import generator
from carecase.synth import generate, params
from carecase.synth.model import simulate

HERE = Path(__file__).parent
WORK = HERE / "work" / "synth"


def _timed(fn):  # type: ignore[no-untyped-def]
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def dense_monthly_draws(people: int, months: int, seed: int) -> int:
    """Baseline: Poisson(rate) for every person-month of every service (no crises)."""
    rng = generator(seed, "bench", "dense")
    need = rng.lognormal(-0.18, 0.6, people)
    total = 0
    for sp in params.SERVICE_PARAMS:
        rate = np.broadcast_to((need * sp.annual_rate / 12.0)[:, None], (people, months))
        total += int(rng.poisson(rate).sum())
    return total


def run_generate(people: int, seed: int) -> dict[str, float]:
    folder = WORK / f"area_{people}"
    if folder.exists():
        shutil.rmtree(folder)
    result, wall, cpu = _timed(lambda: generate(folder, people, seed, formats="fast"))
    rows = sum(result.rows.values())
    shutil.rmtree(folder)
    return {
        "people": people, "rows": rows, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
        "people_per_s_wall": round(people / wall), "people_per_s_cpu": round(people / cpu),
    }


def main(quick: bool = False) -> dict:
    big, small = (100_000, 20_000) if quick else (1_000_000, 100_000)
    seed = 20240401
    WORK.mkdir(parents=True, exist_ok=True)
    carecase = run_generate(big, seed)
    scaled = run_generate(small, seed)
    _, sim_wall, sim_cpu = _timed(lambda: simulate(seed, big))
    _, dense_wall, dense_cpu = _timed(lambda: dense_monthly_draws(big, 60, seed))
    result = {
        "load_average_1m_at_end": round(os.getloadavg()[0], 2),  # a shared machine slows wall time
        "generate": carecase,
        "baseline_scaling": scaled,
        "scaling_ratio_people_per_cpu_s": round(carecase["people_per_s_cpu"] / scaled["people_per_s_cpu"], 3),
        "simulation_only": {"people": big, "wall_s": round(sim_wall, 2), "cpu_s": round(sim_cpu, 2)},
        "baseline_dense_monthly_poisson": {"people": big, "wall_s": round(dense_wall, 2),
                                           "cpu_s": round(dense_cpu, 2)},
        "speedup_vs_dense_cpu": round(dense_cpu / sim_cpu, 2),
        "quick": quick,
        "note": "generate() writes every extract, the programme files, carecase.yaml and truth/; "
        "the dense baseline only draws counts (no crises, referrals, dates or files).",
    }
    write_result("synth", result)
    return result


if __name__ == "__main__":
    import sys

    print(json.dumps(main(quick="--quick" in sys.argv), indent=2))
