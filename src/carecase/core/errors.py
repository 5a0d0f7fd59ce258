"""One small error hierarchy. The CLI prints ``str(err)`` and exits non-zero;
the traceback is shown only under ``--debug``.

Messages must never contain an identifier (NHS number, name, date of birth,
postcode) or the pseudonymisation key: see docs/privacy.md.
"""

from __future__ import annotations

import errno


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


class MissingExtract(IngestError):
    """No file matches a source's configured path."""


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


#: What DuckDB raises when Ctrl-C stops a query (it takes the KeyboardInterrupt itself):
#: ``RuntimeError: Query interrupted`` in this release, ``InterruptException`` in others.
_INTERRUPT_MESSAGES = ("Query interrupted", "INTERRUPT Error")


def interrupted(err: BaseException | None) -> bool:
    """Whether ``err``, or an exception it was raised from or while handling, is Ctrl-C:
    a KeyboardInterrupt, or the error DuckDB turns one into when it stops a query (which
    Splink and the stages may wrap in errors of their own)."""
    seen: set[int] = set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        if isinstance(err, KeyboardInterrupt) or type(err).__name__ == "InterruptException":
            return True
        if isinstance(err, RuntimeError) and any(m in str(err) for m in _INTERRUPT_MESSAGES):
            return True
        err = err.__cause__ or err.__context__
    return False


#: what to do about a file that could not be written or read, by errno
_FILE_FIXES = {
    errno.EACCES: "check that you may write to it and to its folder (ls -l), or run as the user who owns "
                  "the project",
    errno.EPERM: "check that you may write to it and to its folder (ls -l; a file marked immutable or "
                 "in use by another program cannot be replaced)",
    errno.EROFS: "the disk it is on is mounted read-only: move the project to a writable disk",
    errno.ENOSPC: "the disk is full: free some space (or move the project) and run again",
    errno.EDQUOT: "your disk quota is used up: free some space and run again",
}


def file_problem(err: BaseException) -> str | None:
    """One line for a file carecase could not write or read (permissions, a full or read-only
    disk), naming the path and what to do; None for any other error. A stage stopped so was
    reported as a carecase bug ("unexpected error ... report it")."""
    if isinstance(err, OSError) and err.errno in _FILE_FIXES:
        where = f" {err.filename}" if err.filename else ""
        return (f"could not write or read{where}: {err.strerror}. Fix: {_FILE_FIXES[err.errno]}. "
                "The stage stopped part-way: run the same command again once fixed.")
    text = str(err)
    if type(err).__module__.startswith("duckdb") and ("No space left" in text or "Permission denied" in text
                                                      or "Read-only file system" in text):
        return (f"the store could not be written ({text.splitlines()[0] if text else type(err).__name__}). "
                "Fix: free disk space, or check the permissions of the project folder and its store, "
                "then run the same command again.")
    return None
