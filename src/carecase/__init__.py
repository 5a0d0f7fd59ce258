"""carecase: the whole-system cost of complex needs, whether a programme changed it,
and who pays, who benefits, by how much and when.

The pipeline runs one way through the stage subpackages:
``synth`` → ``ingest`` → ``link`` → ``costs`` → ``audit`` → ``evaluate`` → ``cba`` → ``report``.
The CLI (``carecase.cli``) and the web app (``carecase.web``) call the same public API.
"""

__version__ = "0.1.0"
