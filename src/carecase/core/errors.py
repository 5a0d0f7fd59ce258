"""One small error hierarchy. The CLI prints ``str(err)`` and exits non-zero;
the traceback is shown only under ``--debug``.

Messages must never contain an identifier (NHS number, name, date of birth,
postcode) or the pseudonymisation key: see docs/privacy.md.
"""

from __future__ import annotations


class CarecaseError(Exception):
    """Base class for every error carecase raises on purpose."""

    exit_code = 1


class ConfigError(CarecaseError):
    """The project configuration (carecase.yaml) or a model file is invalid."""

    exit_code = 2


class EngineError(CarecaseError):
    """The engine (DuckDB or Spark) is missing, misconfigured or lacks a feature."""


class UnsupportedOnEngine(EngineError):
    """A named operation has no implementation on this engine (see carecase.core.engine_gaps)."""


class SynthError(CarecaseError):
    """The synthetic-area generator was given impossible parameters."""


class IngestError(CarecaseError):
    """An extract could not be read, mapped or validated."""


class PrivacyError(CarecaseError):
    """The pseudonymisation key is missing or would leak."""


class LinkError(CarecaseError):
    """Record linkage failed."""


class CostError(CarecaseError):
    """Unit costs could not be loaded, uprated or applied."""


class AuditError(CarecaseError):
    """The whole-system cost audit could not be built."""


class EvaluationError(CarecaseError):
    """The impact evaluation could not be run."""


class CBAError(CarecaseError):
    """The cost-benefit model is invalid or could not be computed."""


class ReportError(CarecaseError):
    """A report could not be rendered."""


class OutputError(CarecaseError):
    """A stage's output file is damaged: re-run the stage."""
