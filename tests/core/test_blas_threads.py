"""``import carecase`` pins BLAS to one thread: numpy's OpenBLAS splits X'v (the propensity
fit's gradient) by its thread count, so the last bits of a propensity score, and of
evaluate/summary.json's caliper, depended on the machine's cores or on OMP_NUM_THREADS."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

# carecase first, as the CLI does: the BLAS reads its thread count when numpy loads it
SCRIPT = """
import carecase
import hashlib
import numpy as np
from carecase.core.random import generator
from carecase.evaluate.matching import column_moments, logit_propensity
rng = generator(20240401, "blas-threads")
x = rng.normal(size=(60_000, 12))
treated = rng.random(60_000) < 0.05
mean, var = column_moments(x, rng.random(60_000))
parts = (logit_propensity(x, treated), mean, var)
print(hashlib.sha256(b"".join(np.ascontiguousarray(p).tobytes() for p in parts)).hexdigest())
"""


def _digest(threads: str) -> str:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": threads, "OMP_NUM_THREADS": threads,
           "MKL_NUM_THREADS": threads}
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True,
                          check=True)
    return done.stdout.strip()


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: BLAS runs on one thread anyway")
def test_blas_thread_count_in_the_environment_does_not_change_the_propensity_score():
    assert _digest("1") == _digest(str(max(2, os.cpu_count() or 2)))


def test_import_pins_openblas_to_one_thread():
    done = subprocess.run(
        [sys.executable, "-c", "import os, carecase; print(os.environ['OPENBLAS_NUM_THREADS'])"],
        env={**os.environ, "OPENBLAS_NUM_THREADS": "8"}, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "1"


def _in_process_digest() -> str:
    import hashlib

    import numpy as np

    from carecase.core.random import generator
    from carecase.evaluate.matching import column_moments, logit_propensity

    rng = generator(20240401, "blas-threads")
    x = rng.normal(size=(60_000, 12))
    treated = rng.random(60_000) < 0.05
    mean, var = column_moments(x, rng.random(60_000))
    parts = (logit_propensity(x, treated), mean, var)
    return hashlib.sha256(b"".join(np.ascontiguousarray(p).tobytes() for p in parts)).hexdigest()


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: BLAS runs on one thread anyway")
def test_one_blas_thread_holds_where_numpy_was_loaded_first():
    """The tests, like a notebook that imported pandas, load numpy before carecase, so the
    environment variable comes too late: inside one_blas_thread (around evaluate_project and
    cba's analyse) the propensity score has the bits of a one-thread process."""
    from threadpoolctl import threadpool_info, threadpool_limits

    from carecase.core.blas import one_blas_thread

    with threadpool_limits(limits=max(2, os.cpu_count() or 2), user_api="blas"):  # as a many-core machine
        assert max(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas") >= 2
        with one_blas_thread():
            assert {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"} == {1}
            digest = _in_process_digest()
    assert digest == _digest("1")


def test_the_evaluation_and_the_cba_run_on_one_blas_thread():
    from carecase.cba.results import analyse
    from carecase.evaluate.api import evaluate_project

    for fn in (evaluate_project, analyse):
        assert getattr(fn, "__wrapped__", None) is not None, fn  # on_one_blas_thread
