"""The configuration reference (docs/configuration.md), generated from the Pydantic models."""

from __future__ import annotations

import typing
from typing import Any

from pydantic import BaseModel

from carecase.core.config import CarecaseConfig


def _type_name(ann: Any) -> str:
    origin = typing.get_origin(ann)
    if ann is type(None):
        return "None"
    if origin is None:
        return getattr(ann, "__name__", str(ann))
    args = ", ".join(_type_name(a) for a in typing.get_args(ann))
    oname = getattr(origin, "__name__", str(origin)).replace("typing.", "")
    if oname in ("Union", "UnionType"):
        return " | ".join(_type_name(a) for a in typing.get_args(ann))
    return f"{oname}[{args}]"


def _models_in(ann: Any) -> list[type[BaseModel]]:
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return [ann]
    out: list[type[BaseModel]] = []
    for a in typing.get_args(ann):
        out.extend(_models_in(a))
    return out


def schema_markdown() -> str:
    lines = [
        "# Configuration reference (carecase.yaml)",
        "",
        "Generated from the Pydantic models by `carecase schema --markdown` (`make docs`).",
        "Unknown keys are errors. `carecase schema` prints the JSON Schema.",
        "",
    ]
    seen: set[str] = set()

    def walk(model: type[BaseModel], path: str) -> None:
        lines.append(f"## `{path or '(top level)'}` — {model.__name__}")
        if model.__doc__ and model is not CarecaseConfig:
            lines.append("")
            lines.append(" ".join(model.__doc__.split()))
        lines.extend(["", "| key | type | default | description |", "|---|---|---|---|"])
        nested: list[tuple[type[BaseModel], str]] = []
        for name, f in model.model_fields.items():
            value = None if f.is_required() else f.get_default(call_default_factory=True)
            default = "required" if f.is_required() else repr(value)
            if isinstance(value, BaseModel):
                default = "(section defaults)"
            if len(default) > 40:
                default = default[:37] + "..."
            subs = _models_in(f.annotation)
            desc = f.description or (" ".join((subs[0].__doc__ or "").split()) if subs else "")
            cells = [f"`{name}`", f"`{_type_name(f.annotation)}`", f"`{default}`", desc]
            # a '|' inside a cell (even in a code span) would split the Markdown table
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
            many = typing.get_origin(f.annotation) in (list, tuple) or any(
                typing.get_origin(a) in (list, tuple) for a in typing.get_args(f.annotation)
            )
            for sub in subs:
                key = (f"{path}.{name}" if path else name) + ("[]" if many else "")
                if sub.__name__ not in seen:
                    nested.append((sub, key))
        lines.append("")
        for sub, key in nested:
            if sub.__name__ in seen:
                continue
            seen.add(sub.__name__)
            walk(sub, key)

    seen.add(CarecaseConfig.__name__)
    walk(CarecaseConfig, "")
    return "\n".join(lines) + "\n"
