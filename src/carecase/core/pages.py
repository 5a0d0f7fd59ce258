"""numpy's huge-page advice off: the evaluation ran twice as long with it on this project's
test machines.

numpy asks the kernel for transparent huge pages (``madvise(MADV_HUGEPAGE)``) for every array
of 4 MiB or more. Each such page is cleared, 2 MiB at a time, when first touched; the
evaluation makes and drops many arrays of that size (matching's candidate matrices, the
bootstrap's resamples), and on the 2-core virtual machines this project is built and tested
on, clearing pages became half its CPU time (``perf``: ``clear_page_erms`` 52% of samples).
With the advice off the demo's evaluation took 16.5 s instead of 33.4 s (system time 3.5 s
instead of 19 to 20 s; ``python -m benchmarks.bench_pages`` measures the two side by side on
any machine, ``benchmarks/results/pages.json``), and the whole demo 39 s instead of 52 s.
The results are the same bytes either way: the advice changes how memory is mapped, not
what is computed.

``import carecase`` sets ``NUMPY_MADVISE_HUGEPAGE=0`` for a numpy not yet loaded, and turns the
advice off in one already loaded (a notebook that imported pandas first, the tests). A value
the user set before importing carecase is left as it is: set ``NUMPY_MADVISE_HUGEPAGE=1`` to
keep numpy's default.
"""

from __future__ import annotations

import os
import sys

VARIABLE = "NUMPY_MADVISE_HUGEPAGE"


def numpy_small_pages() -> bool:
    """Turn numpy's huge-page advice off unless the environment already says what it should be;
    True when carecase turned it off (the user's own setting is kept: False)."""
    if VARIABLE in os.environ:
        return False
    os.environ[VARIABLE] = "0"  # read by numpy when it is imported (and by child processes)
    numpy = sys.modules.get("numpy")
    if numpy is not None:  # already loaded: its import read the variable before we set it
        multiarray = getattr(getattr(numpy, "_core", None), "multiarray", None)
        setter = getattr(multiarray, "_set_madvise_hugepage", None)
        if setter is not None:  # numpy's own switch (numpy >= 1.20); a numpy without it is left
            setter(False)
    return True
