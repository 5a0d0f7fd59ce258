"""A carecase project: a folder holding ``carecase.yaml``, its store ``carecase.duckdb``
and ``out/`` for results. Every stage's ``run(project)`` takes one of these."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from carecase.core.config import CarecaseConfig, load_config
from carecase.core.engine import Engine, connect_duckdb, connect_spark
from carecase.core.errors import ConfigError, OutputError


def json_safe(value: Any) -> Any:
    """Replace non-finite floats (NaN, ±inf) with None, recursively."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:  # numpy scalars
        return json_safe(value.item())
    return value


@dataclass
class Project:
    root: Path
    config: CarecaseConfig
    _engine: Engine | None = field(default=None, repr=False)

    @classmethod
    def open(cls, folder: str | Path) -> Project:
        root = Path(folder).resolve()
        if root.is_file():
            root = root.parent
        if not (root / "carecase.yaml").exists():
            raise ConfigError(
                f"{root} is not a carecase project (no carecase.yaml). "
                "Create one with `carecase init DIR`."
            )
        return cls(root, load_config(root / "carecase.yaml"))

    # ------------------------------------------------------------------ paths
    def path(self, relative: str | Path) -> Path:
        p = Path(relative)
        return p if p.is_absolute() else self.root / p

    @property
    def out(self) -> Path:
        d = self.root / "out"
        d.mkdir(parents=True, exist_ok=True)
        return d

    def stage_dir(self, stage: str) -> Path:
        d = self.out / stage
        d.mkdir(parents=True, exist_ok=True)
        return d

    # ------------------------------------------------------------------ engine
    @property
    def engine(self) -> Engine:
        if self._engine is None:
            e = self.config.engine
            if e.backend == "duckdb":
                self._engine = connect_duckdb(
                    self.path(e.database), threads=e.threads, memory_limit=e.memory_limit
                )
            else:
                self._engine = connect_spark(e.spark_master, self.path(e.spark_warehouse))
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None

    # ------------------------------------------------------------------ summaries
    def replace_outputs(self, stage: str, summary: dict[str, Any]) -> dict[str, Any]:
        """Remove every file an earlier run of ``stage`` left and write ``summary`` as its
        summary.json: a stage that skips or fails leaves no tables a later stage or report
        could read as this run's."""
        for path in sorted(self.stage_dir(stage).iterdir()):
            if path.is_file():
                path.unlink()
        self.write_json(stage, "summary.json", summary)
        return summary

    def write_json(self, stage: str, name: str, payload: Any) -> Path:
        """Write a stage's JSON output deterministically (sorted keys); NaN and ±inf become
        null so the file is valid JSON for every reader; paths inside the project are written
        relative to it, so the same inputs give the same bytes wherever the project lives."""
        p = self.stage_dir(stage) / name
        text = json.dumps(
            self._relative_paths(json_safe(payload)), indent=2, sort_keys=True, default=str,
            allow_nan=False,
        )
        p.write_text(text + "\n")
        return p

    def write_arrow(self, stage: str, name: str, table: pa.Table) -> pa.Table:
        """Write an Arrow table as the stage's ``name``.parquet and ``name``.csv (rows in the
        order given: the caller sorts)."""
        from carecase.core.output import write_table

        write_table(table, self.stage_dir(stage), name)
        return table

    def _relative_paths(self, value: Any) -> Any:
        if isinstance(value, Path):
            value = str(value)
        if isinstance(value, str):
            prefix = str(self.root) + "/"
            return value[len(prefix):] if value.startswith(prefix) else value
        if isinstance(value, dict):
            return {k: self._relative_paths(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._relative_paths(v) for v in value]
        return value

    def read_json(self, stage: str, name: str) -> Any:
        return read_stage_json(self.root, stage, name)


def read_stage_json(root: Path, stage: str, name: str) -> Any:
    """``root/out/stage/name`` parsed, or None when absent; an OutputError naming the fix
    when damaged. Needs no configuration (the web app reads results even while
    carecase.yaml is being corrected)."""
    p = root / "out" / stage / name  # not Project.out: a read never creates out/
    if not p.exists():
        return None
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise OutputError(
            f"{p} is damaged ({err}). Re-run the stage to rewrite it: "
            f"`carecase run {root} --only {stage}`.") from None
