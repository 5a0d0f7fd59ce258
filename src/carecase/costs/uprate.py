"""Uprating unit costs to the project price year with a price index.

A unit cost quoted at financial year ``y`` (2013 = 2013/14) is expressed at financial year
``p`` as ``value × I(p) / I(y)``, where ``I`` is a financial-year price index (HM Treasury
Green Book: convert to a common base year with the GDP deflator).

Calendar to financial years: the default series (HM Treasury GDP deflator, transcribed in
``data/hmt_gdp_deflator.csv``) is published by calendar year. Financial year y/y+1 runs
April y to March y+1: three quarters in calendar year y and one in y+1. carecase takes the
financial-year index as the mean of its four quarters approximated from annual data:

    I_fy(y) = 0.75 × I_cal(y) + 0.25 × I_cal(y+1)

When ``I_cal(y+1)`` is not yet published the financial-year index carries ``I_cal(y)``
forward and the provenance says so (``approximate = True``). A user index CSV (e.g. the NHS
Cost Inflation Index, already financial-year) has columns ``year,value`` and optionally
``basis`` (``financial`` or ``calendar``; default ``financial``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from carecase.core.dates import fiscal_year_label
from carecase.core.errors import CostError
from carecase.costs.csvfile import columns_found, financial_year, read_utf8_csv

DEFAULT_DEFLATOR = "hmt_gdp"


@dataclass(frozen=True)
class PriceIndex:
    """A financial-year price index: {financial year start: index}."""

    name: str
    values: dict[int, float]
    approximate: frozenset[int] = field(default_factory=frozenset)
    source: str = ""

    def factor(self, from_year: int, to_year: int) -> float:
        """Multiplier taking a value at ``from_year`` prices to ``to_year`` prices."""
        for y in (from_year, to_year):
            if y not in self.values:
                raise CostError(
                    f"Price index {self.name!r} has no value for financial year {fiscal_year_label(y)} "
                    f"(it covers {min(self.values)}-{max(self.values)}). Set costs.price_year inside "
                    "that range or supply a longer index CSV as costs.deflator."
                )
        return self.values[to_year] / self.values[from_year]


def financial_from_calendar(calendar: dict[int, float]) -> tuple[dict[int, float], frozenset[int]]:
    """``I_fy(y) = 0.75·I_cal(y) + 0.25·I_cal(y+1)``; carried forward where y+1 is missing."""
    out: dict[int, float] = {}
    approx: set[int] = set()
    for y, v in sorted(calendar.items()):
        nxt = calendar.get(y + 1)
        if nxt is None:
            out[y] = v
            approx.add(y)
        else:
            out[y] = 0.75 * v + 0.25 * nxt
    return out, frozenset(approx)


def read_index_csv(path: str | Path, name: str | None = None) -> PriceIndex:
    """Read ``year,value[,basis]`` into a financial-year :class:`PriceIndex`."""
    p = Path(path)
    if not p.exists():
        raise CostError(f"{p}: price index file not found. Set costs.deflator to 'hmt_gdp' or a CSV path.")
    df = read_utf8_csv(p, "the price index CSV (costs.deflator)", dtype="string",
                       keep_default_na=False, na_values=[""])
    for col in ("year", "value"):
        if col not in df.columns:
            raise CostError(
                f"{p}: price index CSV needs columns 'year' and 'value' ({columns_found(df.columns)})."
            )
    if df.empty:
        raise CostError(f"{p}: the price index CSV has no rows; give one row per year (year,value).")
    years = pd.to_numeric(df["year"].map(financial_year), errors="coerce")
    values = pd.to_numeric(df["value"], errors="coerce")
    bad = df.index[years.isna() | values.isna() | ~np.isfinite(values) | (values <= 0)]
    if len(bad):
        row = int(bad[0]) + 1
        raise CostError(
            f"{p} row {row}: year {df['year'].iloc[bad[0]]!r} / value {df['value'].iloc[bad[0]]!r} is not "
            "a year (2013 or '2013/14') and a finite positive number written plainly. Fix that row."
        )
    dup = years.duplicated(keep=False)
    if dup.any():
        year = int(years[dup].iloc[0])
        rows = [int(i) + 1 for i in df.index[years == year]]
        raise CostError(f"{p} rows {', '.join(map(str, rows))}: year {year} is given more than once; "
                        "keep one value per year.")
    bases = sorted(set(df["basis"].fillna("").str.strip().str.lower()) - {""}) if "basis" in df.columns else []
    if len(bases) > 1:
        raise CostError(f"{p}: column basis mixes {', '.join(bases)}; the index is one series, all "
                        "'financial' or all 'calendar'.")
    basis = bases[0] if bases else "financial"
    if basis not in ("financial", "calendar"):
        raise CostError(f"{p}: basis {basis!r} must be 'financial' or 'calendar'.")
    raw = dict(zip(years.astype(int).tolist(), values.astype(float).tolist(), strict=True))
    src = str(df["source"].iloc[0]) if "source" in df.columns else str(p)
    if basis == "calendar":
        fy, approx = financial_from_calendar(raw)
        return PriceIndex(name or p.stem, fy, approx, src)
    return PriceIndex(name or p.stem, raw, frozenset(), src)


def default_deflator_path() -> Path:
    return Path(str(resources.files("carecase.costs") / "data" / "hmt_gdp_deflator.csv"))


def load_index(deflator: str | Path = DEFAULT_DEFLATOR, base: Path | None = None) -> PriceIndex:
    """``'hmt_gdp'`` (the shipped HM Treasury GDP deflator) or a path to an index CSV."""
    if str(deflator) == DEFAULT_DEFLATOR:
        return read_index_csv(default_deflator_path(), "hmt_gdp")
    p = Path(deflator)
    if base is not None and not p.is_absolute():
        p = base / p
    return read_index_csv(p)


def uprate(value: float, from_year: int, to_year: int, index: PriceIndex) -> float:
    """``value × I(to_year) / I(from_year)``."""
    return value * index.factor(from_year, to_year)
