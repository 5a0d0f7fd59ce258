"""One agency extract in memory: its table in the agency's own shape, the true person behind
each row, the planted broken rows and the ``ingest.sources`` entry that reads it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from carecase.synth.broken import Layout, plant

EXTENSIONS = {"csv": ".csv", "xlsx": ".xlsx", "parquet": ".parquet"}


@dataclass
class Extract:
    name: str  # source name in carecase.yaml
    stem: str  # path without extension, relative to the project folder
    file_type: str  # realistic type: csv, xlsx or parquet
    table: pa.Table
    person: np.ndarray  # true person index per row
    kind: np.ndarray  # int8 broken-kind code per row (0 clean; see broken.KINDS)
    broken: dict[str, int] = field(default_factory=dict)
    out_of_scope: int = 0
    entry: dict[str, Any] = field(default_factory=dict)  # config without path/format
    delimiter: str = ","
    sheet: str | None = None
    title_rows: tuple[str, ...] = ()  # XLSX report title lines above the header
    typos: dict[str, int] = field(default_factory=dict)
    # per row, the person whose NHS number it wrongly carries (-1: its own), or None where
    # none was planted (synth.wrong_nhs)
    wrong_nhs: np.ndarray | None = None

    def written_type(self, formats: str) -> str:
        return "parquet" if formats == "fast" and self.file_type == "xlsx" else self.file_type

    def path(self, formats: str) -> str:
        return self.stem + EXTENSIONS[self.written_type(formats)]

    def format_entry(self, formats: str) -> dict[str, Any]:
        kind = self.written_type(formats)
        out: dict[str, Any] = {"type": kind}
        if kind == "csv" and self.delimiter != ",":
            out["delimiter"] = self.delimiter
        if kind == "xlsx":
            out["sheet"] = self.sheet
            if self.title_rows:
                out["skip_rows"] = len(self.title_rows) + 1
        return out

    def config(self, formats: str) -> dict[str, Any]:
        head = {"name": self.name, "path": self.path(formats), "format": self.format_entry(formats)}
        return {**head, **self.entry}


def sorted_by(columns: dict[str, Any], order: np.ndarray) -> pa.Table:
    """A table of ``columns`` (Arrow or numpy) taken in ``order``."""
    idx = pa.array(order)
    return pa.table({k: (v if isinstance(v, pa.Array) else pa.array(v)).take(idx) for k, v in columns.items()})


def finish(
    rng: np.random.Generator, name: str, table: pa.Table, person: np.ndarray, layout: Layout,
    start: np.ndarray, end: np.ndarray | None, nhs: np.ndarray | None, first_day: int,
    in_scope: np.ndarray | None = None, **fields: Any,
) -> Extract:
    planted = plant(rng, table, person, layout, start, end, nhs, first_day, in_scope)
    out_of_scope = 0 if in_scope is None else int((~in_scope).sum())
    return Extract(
        name=name, table=planted.table, person=planted.person, kind=planted.kind,
        broken=planted.counts, out_of_scope=out_of_scope, **fields,
    )
