"""carecase.core.random.generator and the global-RNG guard in tests/conftest.py."""

from __future__ import annotations

import ast
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

import carecase
from carecase.core.random import generator


def test_same_seed_and_stream_reproduce_the_same_draws():
    a = generator(7, "housing").normal(size=100)
    b = generator(7, "housing").normal(size=100)
    assert np.array_equal(a, b)


def test_streams_differ_from_each_other_and_from_the_root():
    root = generator(7).integers(0, 2**62, size=8)
    housing = generator(7, "housing").integers(0, 2**62, size=8)
    police = generator(7, "police").integers(0, 2**62, size=8)
    assert not np.array_equal(root, housing)
    assert not np.array_equal(housing, police)
    assert not np.array_equal(generator(8, "housing").integers(0, 2**62, size=8), housing)


def test_adding_a_stream_never_changes_another_streams_numbers():
    before = generator(11, "ae").random(50)
    generator(11, "new_agency").random(10_000)
    assert np.array_equal(generator(11, "ae").random(50), before)


def test_stream_parts_are_joined_not_concatenated_ambiguously():
    assert not np.array_equal(
        generator(3, "a", "bc").random(8), generator(3, "ab", "c").random(8)
    )
    assert not np.array_equal(generator(3, 1, 2).random(8), generator(3, 12).random(8))


def test_streams_are_statistically_independent():
    """Pearson correlation of 20,000 uniform pairs from two streams is ~0 (|r| < 0.03)."""
    x = generator(2024, "x").random(20_000)
    y = generator(2024, "y").random(20_000)
    assert abs(np.corrcoef(x, y)[0, 1]) < 0.03


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**63 - 1), stream=st.text(min_size=1, max_size=12))
def test_generator_is_reproducible_for_any_seed_and_stream(seed, stream):
    assert generator(seed, stream).integers(0, 1000, 5).tolist() == (
        generator(seed, stream).integers(0, 1000, 5).tolist()
    )


# --------------------------------------------------------------------------- the guard


@pytest.mark.parametrize(
    "draw",
    [
        lambda: np.random.normal(size=3),  # noqa: NPY002 - the guard must catch it
        lambda: np.random.choice(5),  # noqa: NPY002
        lambda: np.random.seed(1),  # noqa: NPY002
        lambda: np.random.default_rng(),
        lambda: random.random(),
        lambda: random.shuffle([1, 2, 3]),
        lambda: random.seed(1),
        lambda: pd.Series(range(10)).sample(3),
    ],
    ids=["np.normal", "np.choice", "np.seed", "default_rng()", "random.random",
         "random.shuffle", "random.seed", "pandas.sample"],
)
def test_global_randomness_fails_the_test(draw):
    with pytest.raises(AssertionError, match="carecase.core.random.generator") as caught:
        draw()
    assert type(caught.value).__name__ == "GlobalRandomnessUsed"


def test_draws_through_a_captured_global_state_are_detected(rng_guard):
    """scipy.stats distributions hold numpy's global RandomState from import time, so the
    call cannot be intercepted; the guard then fails the test at teardown instead."""
    assert not rng_guard.legacy_state_changed()
    scipy.stats.norm.rvs(size=3)
    assert rng_guard.legacy_state_changed()
    rng_guard.restore()  # so that this test itself passes
    assert not rng_guard.legacy_state_changed()


def test_seeded_generators_are_allowed():
    assert np.random.default_rng(1).integers(0, 10, 3).shape == (3,)
    assert pd.Series(range(10)).sample(3, random_state=generator(1, "s")).shape == (3,)
    assert scipy.stats.norm.rvs(size=3, random_state=generator(1, "t")).shape == (3,)
    assert random.Random(5).random() == random.Random(5).random()


@settings(max_examples=10, deadline=None)
@given(st.floats(allow_nan=False), st.lists(st.integers(), max_size=5))
def test_hypothesis_still_works_under_the_guard(x, xs):
    assert x == x
    assert sorted(xs) == sorted(reversed(xs))


def test_libraries_using_random_for_names_only_are_let_through():
    """splink names its cache tables with random.choices; that is not a result, so allowed."""
    from splink.internals.misc import ascii_uid

    assert len(ascii_uid(8)) == 8


def _function_in(filename: str, source: str, name: str, **namespace):
    """Compile ``source`` as if it lived in ``filename`` (so its frames carry that name)."""
    exec(compile(source, filename, "exec"), namespace)
    return namespace[name]


def test_a_draw_from_carecase_code_is_caught_even_behind_an_allowed_library(rng_guard):
    """Walking up from the draw, a carecase frame met before an allowed library fails the
    test; the same draw made by the allowed library itself is let through."""
    from pathlib import Path

    import carecase

    inside = str(Path(carecase.__file__).parent / "_probe.py")
    library = str(Path(np.__file__).parents[1] / "hypothesis" / "_probe.py")
    draw = _function_in(inside, "def draw():\n    return np.random.random()\n", "draw", np=np)
    via_library = _function_in(library, "def call(f):\n    return f()\n", "call")
    with pytest.raises(AssertionError, match="numpy.random.random"):
        via_library(draw)
    library_draw = _function_in(library, "def draw():\n    return np.random.random()\n", "draw",
                                np=np)
    assert 0 <= via_library(library_draw) < 1  # hypothesis' own use is allowed
    rng_guard.restore()  # that draw moved the global state; put it back for the teardown check


# ------------------------------------------------------------------- every module, statically

_SRC_ROOT = Path(carecase.__file__).resolve().parent


def _global_randomness(tree: ast.AST) -> list[tuple[int, str]]:
    """Where a module can draw from global or unseeded random state, whether or not a test
    runs that line (the guard above catches only the lines the tests run)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name == "random" for a in node.names):
            found.append((node.lineno, "import random"))
        elif isinstance(node, ast.ImportFrom) and node.module == "random":
            found.append((node.lineno, "from random import"))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name, keywords = node.func.attr, {k.arg for k in node.keywords}
            if name == "default_rng" and not node.args and not keywords:
                found.append((node.lineno, "default_rng() without a seed"))
            elif name == "rvs" and "random_state" not in keywords:
                found.append((node.lineno, "rvs() without random_state"))
    return found


def test_no_module_draws_from_global_or_unseeded_random_state():
    offenders = [f"{path.relative_to(_SRC_ROOT)}:{line}: {what}"
                 for path in sorted(_SRC_ROOT.rglob("*.py"))
                 for line, what in _global_randomness(ast.parse(path.read_text(encoding="utf-8")))]
    assert not offenders, offenders


def test_the_static_scan_finds_each_kind_of_draw():
    code = ("import random\nfrom random import choice\nimport numpy as np\n"
            "np.random.default_rng()\nscipy.stats.norm.rvs(size=3)\n"
            "np.random.default_rng(7)\nscipy.stats.norm.rvs(size=3, random_state=rng)\n")
    assert [line for line, _ in _global_randomness(ast.parse(code))] == [1, 2, 4, 5]
