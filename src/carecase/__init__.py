"""carecase: the whole-system cost of complex needs, whether a programme changed it,
and who pays, who benefits, by how much and when.

The pipeline runs one way through the stage subpackages:
``synth`` → ``ingest`` → ``link`` → ``costs`` → ``audit`` → ``evaluate`` → ``cba`` → ``report``.
The CLI (``carecase.cli``) and the web app (``carecase.web``) call the same public API.
"""

import os as _os

# One BLAS thread, so that the same inputs give the same bytes on any machine. OpenBLAS (numpy's
# and scipy's) splits some products and factorisations by its thread count (X'v in the
# propensity fit, weighted column means, least squares, statsmodels' GLM), and the last bits of
# a propensity score, and so of evaluate/summary.json's caliper, then depend on the number of
# cores or on OMP_NUM_THREADS. A BLAS reads these when it is loaded: this holds where carecase
# is imported before numpy (the CLI, the web app, `python -m carecase`); where numpy was loaded
# first, the evaluation and the CBA still run on one thread (carecase.core.blas,
# docs/architecture.md).
for _name in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"):
    _os.environ[_name] = "1"

# numpy's transparent-huge-page advice off (unless NUMPY_MADVISE_HUGEPAGE is already set): it
# made the evaluation twice as slow here, and changes no result (carecase.core.pages).
from carecase.core.pages import numpy_small_pages as _numpy_small_pages  # noqa: E402

_numpy_small_pages()

__version__ = "0.1.0"
