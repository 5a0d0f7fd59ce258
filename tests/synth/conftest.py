"""A small synthetic area generated once per test session (per xdist worker)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from carecase.synth import SynthResult, generate

PEOPLE = 1500
SEED = 11


@pytest.fixture(scope="session")
def area(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    return generate(tmp_path_factory.mktemp("synth") / "area", PEOPLE, SEED)


@pytest.fixture(scope="session")
def truth(area: SynthResult) -> dict[str, Any]:
    return json.loads((area.folder / "truth" / "truth.json").read_text())


@pytest.fixture(scope="session")
def config(area: SynthResult) -> dict[str, Any]:
    return yaml.safe_load(area.config_path.read_text())


def read_entry(folder: Path, entry: dict[str, Any]) -> pd.DataFrame:
    """Read one configured file as strings, the way the configuration describes it."""
    fmt = entry["format"]
    path = folder / entry["path"]
    if fmt["type"] == "csv":
        return pd.read_csv(path, dtype=str, sep=fmt.get("delimiter", ","), keep_default_na=False,
                           na_values=[""])
    if fmt["type"] == "xlsx":
        return pd.read_excel(path, dtype=str, sheet_name=fmt.get("sheet") or 0,
                             skiprows=fmt.get("skip_rows", 0))
    return pd.read_parquet(path).astype("string").astype(object).where(lambda d: d.notna(), None)
