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
