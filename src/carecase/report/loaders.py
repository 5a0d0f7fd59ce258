"""Read the stage outputs under ``out/`` defensively.

The section builders name the columns and keys each stage writes; :func:`pick` and
:func:`get` return ``None`` where one is absent (an older or partial run), so the section
shows "not available" instead of failing. :func:`records` turns a JSON matrix (agency →
values by year, or another of the shapes it lists) into one list of records. A missing file
is ``None`` — the section then says the stage was not run.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from carecase.core.errors import ReportError


@dataclass(frozen=True)
class StageOutputs:
    out: Path

    def json(self, stage: str, name: str) -> Any:
        p = self.out / stage / name
        if not p.exists():
            return None
        try:
            return json.loads(p.read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            raise ReportError(
                f"{p}: not valid JSON (line {err.lineno}, column {err.colno}). "
                f"Re-run `carecase {stage} PROJECT` to rewrite it."
            ) from None

    def table(self, stage: str, name: str) -> pd.DataFrame | None:
        p = self.out / stage / f"{name}.parquet"
        if not p.exists():
            return None
        try:
            df = pq.read_table(p).to_pandas()
        except Exception as err:  # pyarrow raises several types for a corrupt file
            raise ReportError(
                f"{p}: could not be read as Parquet ({type(err).__name__}). "
                f"Re-run `carecase {stage} PROJECT` to rewrite it."
            ) from None
        return df

    def has_stage(self, stage: str) -> bool:
        """Whether the stage left outputs: not when its summary says it was ``skipped`` (the
        evaluation of a project with no programme register)."""
        d = self.out / stage
        if not (d.is_dir() and any(d.iterdir())):
            return False
        return not (self.json(stage, "summary.json") or {}).get("skipped")


def pick(df: pd.DataFrame | None, *candidates: str) -> str | None:
    """The first of ``candidates`` that is a column of ``df`` (case-insensitive), else None."""
    if df is None:
        return None
    lower = {str(c).lower(): str(c) for c in df.columns}
    for name in candidates:
        if name.lower() in lower:
            return lower[name.lower()]
    return None


def get(mapping: Any, *candidates: str, default: Any = None) -> Any:
    """The value of the first candidate key present in a mapping."""
    if not isinstance(mapping, dict):
        return default
    for key in candidates:
        if key in mapping and mapping[key] is not None:
            return mapping[key]
    return default


def records(obj: Any, row_key: str = "row", col_key: str = "col", value_key: str = "value",
            columns: list[Any] | None = None) -> list[dict[str, Any]]:
    """Normalise a matrix-like JSON value into records {row_key, col_key, value_key}.

    Accepts a list of records (returned as they are), ``{row: {col: value}}``,
    ``{row: [v0, v1, ...]}`` (columns named by ``columns``, else 0, 1, ...), or
    ``{"rows"/"index": [...], "columns": [...], "values"/"data": [[...]]}``.
    """
    if obj is None:
        return []
    if isinstance(obj, list):
        return [r for r in obj if isinstance(r, dict)]
    if not isinstance(obj, dict):
        return []
    rows = get(obj, "rows", "index", "agencies")
    cols = get(obj, "columns", "years", "cols")
    vals = get(obj, "values", "data")
    if isinstance(rows, list) and isinstance(cols, list) and isinstance(vals, list):
        return [
            {row_key: r, col_key: c, value_key: vals[i][j]}
            for i, r in enumerate(rows)
            for j, c in enumerate(cols)
        ]
    out: list[dict[str, Any]] = []
    for r, inner in obj.items():
        if isinstance(inner, dict):
            out.extend({row_key: r, col_key: c, value_key: v} for c, v in inner.items())
        elif isinstance(inner, list):
            names = columns if columns is not None and len(columns) == len(inner) else range(len(inner))
            out.extend({row_key: r, col_key: c, value_key: v} for c, v in zip(names, inner, strict=True))
        elif isinstance(inner, int | float):
            out.append({row_key: r, value_key: inner})
    return out


def named_items(obj: Any, name_key: str = "name") -> list[dict[str, Any]]:
    """A list of dicts from a list, or from a mapping name → dict/value (name added)."""
    if obj is None:
        return []
    if isinstance(obj, list):
        return [r if isinstance(r, dict) else {name_key: str(r)} for r in obj]
    if isinstance(obj, dict):
        out = []
        for k, v in obj.items():
            if isinstance(v, dict):
                out.append({name_key: k, **v})
            else:
                out.append({name_key: k, "value": v})
        return out
    return []


def numeric(values: Iterable[Any]) -> list[float]:
    out = []
    for v in values:
        try:
            out.append(float(v))
        except (TypeError, ValueError):
            out.append(float("nan"))
    return out
