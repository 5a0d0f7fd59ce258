"""numpy's huge-page advice is off once carecase is imported, unless the user said otherwise
(carecase.core.pages). The speed it buys is measured in benchmarks/bench_pages.py, not here."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

# numpy's own switch: returns the advice in force before the call
PROBE = "from numpy._core import multiarray as m; print(m._set_madvise_hugepage(False))"


def _python(code: str, **env: str) -> str:
    environ = {k: v for k, v in os.environ.items() if k != "NUMPY_MADVISE_HUGEPAGE"}
    environ.update(env)
    done = subprocess.run([sys.executable, "-c", code], env=environ, capture_output=True,
                          text=True, check=True)
    return done.stdout.strip()


def test_this_session_follows_the_variable_although_numpy_was_loaded_first():
    """conftest loads numpy, then carecase: the advice in force is what the variable says
    (0, set by carecase, unless whoever ran the tests set it)."""
    from numpy._core import multiarray

    advice = multiarray._set_madvise_hugepage(False)
    multiarray._set_madvise_hugepage(advice)
    assert advice is (os.environ["NUMPY_MADVISE_HUGEPAGE"] != "0")


@pytest.mark.parametrize("numpy_first", [True, False], ids=["numpy-first", "carecase-first"])
def test_import_carecase_turns_the_advice_off(numpy_first):
    order = "import numpy, carecase" if numpy_first else "import carecase, numpy"
    out = _python(f"{order}; import os; print(os.environ['NUMPY_MADVISE_HUGEPAGE']); {PROBE}")
    assert out.splitlines() == ["0", "False"]


@pytest.mark.parametrize("numpy_first", [True, False], ids=["numpy-first", "carecase-first"])
def test_a_value_the_user_set_is_kept(numpy_first):
    order = "import numpy, carecase" if numpy_first else "import carecase, numpy"
    out = _python(f"{order}; import os; print(os.environ['NUMPY_MADVISE_HUGEPAGE']); {PROBE}",
                  NUMPY_MADVISE_HUGEPAGE="1")
    assert out.splitlines() == ["1", "True"]


def test_numpy_small_pages_says_whether_it_acted(monkeypatch):
    from carecase.core.pages import numpy_small_pages

    monkeypatch.setenv("NUMPY_MADVISE_HUGEPAGE", "1")
    assert numpy_small_pages() is False
    assert os.environ["NUMPY_MADVISE_HUGEPAGE"] == "1"
    monkeypatch.delenv("NUMPY_MADVISE_HUGEPAGE")
    assert numpy_small_pages() is True
    assert os.environ["NUMPY_MADVISE_HUGEPAGE"] == "0"
