"""Base class for every configuration model: unknown keys are errors, values are validated."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, validate_default=True)


def blank_allowed(schema: dict[str, Any]) -> None:
    """JSON Schema of a list or mapping that a blank YAML key (``services:`` with its example
    commented out) also fills: null is accepted, as the model reads it as empty."""
    schema["type"] = [schema["type"], "null"]


class SettingError(ValueError):
    """A problem with one setting that only a check of the whole configuration can see (a
    ``model_validator`` that compares sections): ``loc`` is that setting's key path, e.g.
    ``("ingest", "sources", 0, "agency", "level1")``, and ``value`` the value written there.
    Raised inside a validator like any ``ValueError``; ``format_validation_error`` reports it
    at that path, with its YAML line and value, instead of at the top level."""

    def __init__(self, message: str, loc: tuple[str | int, ...], value: Any = None) -> None:
        super().__init__(message)
        self.loc = loc
        self.value = value
