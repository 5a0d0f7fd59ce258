"""Seeded randomness. Every random draw in carecase comes from a ``numpy.random.Generator``
made here from an explicit seed; the global numpy / ``random`` state is never used
(tests/conftest.py poisons the global generators during every test; ruff NPY002 and
tests/core/test_random.py scan every module for legacy numpy, `random`, seedless
`default_rng()` and `rvs()` without `random_state`)."""

from __future__ import annotations

import hashlib

import numpy as np


def generator(seed: int, *stream: str | int) -> np.random.Generator:
    """A generator for ``seed``, optionally split into an independent named sub-stream.

    ``generator(7, "housing")`` and ``generator(7, "police")`` are independent and each
    is reproducible, so adding a stream never changes the numbers of another.
    Stream parts are joined with "/" and compared as text, so ``("a", "b")`` and ``"a/b"``,
    or ``1`` and ``"1"``, name the same stream: keep part names free of "/".
    """
    if not stream:
        return np.random.default_rng(np.random.SeedSequence(seed))
    digest = hashlib.sha256("/".join(str(s) for s in stream).encode()).digest()
    spawn_key = tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=spawn_key))
