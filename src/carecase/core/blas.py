"""One BLAS thread for arithmetic whose last bits must not depend on the machine.

OpenBLAS (numpy's and scipy's) splits some products and factorisations by its thread count
(X'v in the propensity fit, weighted column means, least squares, statsmodels' GLM), so their
last bits, a propensity score and the caliper built on it, depended on the number of cores or
on OMP_NUM_THREADS: a near-tie in matching could then flip between machines. ``import
carecase`` sets ``OPENBLAS_NUM_THREADS=1`` (and MKL's, Accelerate's) for a BLAS not yet loaded;
:func:`one_blas_thread` holds where numpy was loaded first (a notebook that imported pandas,
the tests), through threadpoolctl, around the evaluation and the CBA's arithmetic.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from threadpoolctl import threadpool_limits

P = ParamSpec("P")
R = TypeVar("R")


def one_blas_thread() -> Any:
    """A context manager: every loaded BLAS on one thread inside it, as before after it."""
    return threadpool_limits(limits=1, user_api="blas")


def on_one_blas_thread(fn: Callable[P, R]) -> Callable[P, R]:
    """``fn`` run inside :func:`one_blas_thread`."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with one_blas_thread():
            return fn(*args, **kwargs)

    return wrapper
