"""Shared test set-up for every stage: the global-RNG guard (after OpenSAFELY ehrql).

carecase draws every random number from ``carecase.core.random.generator(seed, *stream)``.
During every test the global generators are poisoned: a draw from numpy's legacy global
``RandomState`` (``np.random.normal``, ``np.random.choice``, ``np.random.seed``, and the
``np.random.mtrand._rand`` instance that scipy/statsmodels/pandas fall back to), from
``np.random.default_rng()`` / ``RandomState()`` without a seed, or from the ``random``
module's functions fails the test with ``GlobalRandomnessUsed`` when the call stack holds
carecase code or a test.

Libraries that use global randomness for their own bookkeeping are let through when their
frame is reached first on the way up the stack: hypothesis (seeds and restores the global
state around each example), splink (random table-name suffixes, not results) and rich (a
random start for its style ids, drawn when it is first imported).
A library that *draws data* from the global state for carecase (pandas ``sample()`` without
``random_state``, scipy ``rvs()`` without ``random_state``) sits between the draw and the
carecase frame and is not let through, so those calls fail too.
"""

from __future__ import annotations

import functools
import os
import random as _random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.stats  # noqa: F401  imported before the guard: its import draws doc examples
import statsmodels.api  # noqa: F401  (same: import-time work, not carecase's randomness)
from hypothesis import settings

import carecase

# Property tests are reproducible by default ("ci": the same examples on every run and every
# machine, so a green CI run means the code, not the draw). `make test-explore` runs them with
# fresh random examples, to look for new failures; pin any it finds with @example so that the
# "ci" profile checks it from then on.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

_SRC = str(Path(carecase.__file__).resolve().parent)  # editable or installed
_TESTS = str(Path(__file__).resolve().parent)
_ALLOWED_LIBRARIES = ("hypothesis", "splink", "rich")


def pytest_configure(config: pytest.Config) -> None:
    # Ibis 12 reads a pandas option that pandas 3 deprecates, on every to_pandas(): noise only.
    config.addinivalue_line(
        "filterwarnings", "ignore:The 'future.infer_string' option is deprecated:Warning"
    )


def _schedule_rank(item: pytest.Item) -> int:
    if item.get_closest_marker("slow") and not item.get_closest_marker("xdist_group"):
        return 0  # a long test on its own: first, while the other worker takes a group
    return 1 if item.get_closest_marker("xdist_group") else 2


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Longest work first: ``make test`` hands tests to two xdist workers in this order, so
    the long single tests and the e2e and Spark groups start at once instead of leaving one
    worker with a long tail (a stable sort: the order within each rank is pytest's)."""
    items.sort(key=_schedule_rank)


class GlobalRandomnessUsed(AssertionError):
    """Global random state was used; draw from carecase.core.random.generator instead."""


def _allowed_library(filename: str) -> bool:
    parts = Path(filename).parts
    return any(lib in parts for lib in _ALLOWED_LIBRARIES)


def _called_from_carecase() -> bool:
    """True when, walking up from the draw, a carecase/test frame comes before an allowed library."""
    frame = sys._getframe(2)
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename.startswith(_SRC) or (filename.startswith(_TESTS) and filename != __file__):
            return True
        if _allowed_library(filename):
            return False
        frame = frame.f_back
    return False


def _poisoned(name: str, original: Any) -> Any:
    @functools.wraps(original)
    def guard(*args: Any, **kwargs: Any) -> Any:
        if _called_from_carecase():
            raise GlobalRandomnessUsed(
                f"{name}() uses global random state. Use carecase.core.random.generator(seed, "
                "*stream) and pass the Generator (or random_state=) explicitly."
            )
        return original(*args, **kwargs)

    guard.__carecase_poisoned__ = True  # type: ignore[attr-defined]
    return guard


class _PoisonedRandomState:
    """Stands in for ``np.random.mtrand._rand`` (what ``random_state=None`` resolves to)."""

    def __init__(self, inner: np.random.RandomState) -> None:
        self._inner = inner

    def __getattr__(self, attr: str) -> Any:
        value = getattr(self._inner, attr)
        if callable(value) and not attr.startswith("_"):
            return _poisoned(f"numpy.random.mtrand._rand.{attr}", value)
        return value


_RANDOM_FUNCTIONS = tuple(
    name
    for name in dir(_random)
    if not name.startswith("_")
    and callable(getattr(_random, name))
    and getattr(getattr(_random, name), "__self__", None) is _random._inst
)


def _seedless(name: str, factory: Any) -> Any:
    @functools.wraps(factory)
    def guard(seed: Any = None, *args: Any, **kwargs: Any) -> Any:
        if seed is None and _called_from_carecase():
            raise GlobalRandomnessUsed(
                f"{name}() without a seed draws from OS entropy. "
                "Use carecase.core.random.generator(seed, *stream)."
            )
        return factory(seed, *args, **kwargs)

    return guard


class RngGuard:
    """What the autouse fixture yields; tests of the guard itself use it."""

    def __init__(self, legacy: np.random.RandomState) -> None:
        self._legacy = legacy
        self._state = legacy.get_state()

    def legacy_state_changed(self) -> bool:
        """True when numpy's global RandomState was drawn from (e.g. by a captured reference,
        as scipy.stats distributions hold one) since the test started."""
        now = self._legacy.get_state()
        return bool(now[2] != self._state[2] or not np.array_equal(now[1], self._state[1]))

    def restore(self) -> None:
        self._legacy.set_state(self._state)


@pytest.fixture(autouse=True)
def rng_guard(monkeypatch: pytest.MonkeyPatch) -> Iterator[RngGuard]:
    """Poison numpy's and the ``random`` module's global generators for this test, and fail
    it if numpy's global state moved anyway (draws through references taken at import)."""
    legacy = np.random.mtrand._rand
    guard = RngGuard(legacy)
    for name in dir(np.random):
        value = getattr(np.random, name)
        if getattr(value, "__self__", None) is legacy:
            monkeypatch.setattr(np.random, name, _poisoned(f"numpy.random.{name}", value))
    monkeypatch.setattr(np.random.mtrand, "_rand", _PoisonedRandomState(legacy))
    monkeypatch.setattr(np.random, "default_rng", _seedless("numpy.random.default_rng", np.random.default_rng))
    for name in _RANDOM_FUNCTIONS:
        monkeypatch.setattr(_random, name, _poisoned(f"random.{name}", getattr(_random, name)))
    yield guard
    if guard.legacy_state_changed():
        guard.restore()
        raise GlobalRandomnessUsed(
            "numpy's global RandomState was drawn from during this test (e.g. scipy.stats "
            "rvs() or a statsmodels/pandas call without random_state). Pass "
            "random_state=carecase.core.random.generator(seed, *stream)."
        )
