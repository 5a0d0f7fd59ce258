"""Unit values for CBA outcomes: the ``UnitCostLookup`` protocol and a small built-in table.

An outcome valued ``unit_cost: E&E1.0`` takes one component per agency and value type from a
lookup. Any object with ``components(code)`` and ``codes()`` serves (the project's unit-cost
library can be adapted to it); :data:`BUILTIN` holds the few codes the examples and tests use,
transcribed from the New Economy / GMCA *Unit Cost Database* v1.4 (March 2015, CC BY 4.0;
attribute New Economy / Greater Manchester Combined Authority). Price years are financial
years named by their start year (2012 = 2012/13), as in ``costs.price_year``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

ValueType = Literal["fiscal", "economic", "social"]
GMCA = "New Economy / GMCA Unit Cost Database v1.4 (2015), CC BY 4.0"


@dataclass(frozen=True)
class UnitValue:
    """One agency's share of one value type of a unit cost, at ``price_year`` prices."""

    code: str
    value: float
    agency_l1: str
    agency_l2: str
    value_type: ValueType
    transfer: bool
    price_year: int
    unit: str
    source: str


class UnitCostLookup(Protocol):
    def components(self, code: str) -> list[UnitValue]:
        """Every component of ``code``; raises ``KeyError`` when the code is unknown."""
        ...

    def codes(self) -> list[str]: ...


def _uv(code, value, l1, l2, vt, transfer, year, unit, note) -> UnitValue:  # noqa: ANN001
    return UnitValue(code, value, l1, l2, vt, transfer, year, unit, f"{GMCA}; {note}")


_BUILTIN_ROWS: tuple[UnitValue, ...] = (
    # E&E1.0 jobseeker entering work (2012/13, per claimant per year): fiscal £9,800 =
    # DWP £9,234 (E&E1.1, benefit payments: a transfer, excluded from public value as the
    # workbook's comment says) + NHS £566 (E&E1.2); economic £14,044 (earnings, individual).
    _uv("E&E1.0", 9234.0, "DWP", "DWP", "fiscal", True, 2012, "per claimant per year", "E&E1.1"),
    _uv("E&E1.0", 566.0, "NHS", "NHS", "fiscal", False, 2012, "per claimant per year", "E&E1.2"),
    _uv("E&E1.0", 14044.0, "Individual", "Individual", "economic", False, 2012,
        "per claimant per year", "E&E1.0 economic value"),
    # SS7.0 residential care for older people, per week (2013/14): £538.20 split two-thirds
    # fiscal (council) and one-third economic (self-funders).
    _uv("SS7.0", 358.80, "Local Authority", "Social Services", "fiscal", False, 2013,
        "per week", "SS7.0 fiscal"),
    _uv("SS7.0", 179.40, "Individual", "Self-funders", "economic", False, 2013, "per week",
        "SS7.0 economic"),
    # SS1.0 child taken into care, per year (2013/14).
    _uv("SS1.0", 51080.0, "Local Authority", "Social Services", "fiscal", False, 2013,
        "per year", "SS1.0 fiscal"),
    # HE1.0 alcohol dependency, per dependent drinker per year (2009/10): NHS fiscal, social (QALY).
    _uv("HE1.0", 1800.0, "NHS", "Clinical Commissioning Group", "fiscal", False, 2009,
        "per person per year", "HE1.0 fiscal"),
    _uv("HE1.0", 1398.0, "Individual", "Individual", "social", False, 2009,
        "per person per year", "HE1.0 social"),
    # HO4.0 temporary accommodation (hostel), per week (2010/11).
    _uv("HO4.0", 107.45, "Local Authority", "Housing", "fiscal", False, 2010, "per week",
        "HO4.0 fiscal"),
)


class TableLookup:
    """A lookup over a fixed list of :class:`UnitValue` rows (order kept)."""

    def __init__(self, rows: tuple[UnitValue, ...] | list[UnitValue]) -> None:
        self._by_code: dict[str, list[UnitValue]] = {}
        for row in rows:
            self._by_code.setdefault(row.code, []).append(row)

    def components(self, code: str) -> list[UnitValue]:
        return list(self._by_code[code])

    def codes(self) -> list[str]:
        return sorted(self._by_code)


BUILTIN = TableLookup(_BUILTIN_ROWS)


def gdp_deflator() -> dict[int, float]:
    """The HM Treasury GDP deflator (2024 = 100; OGL; December 2025 QNA) as the
    financial-year index the costs stage uses by default, {financial year start: index}:
    FY y/y+1 = 0.75 × CY(y) + 0.25 × CY(y+1), the latest year carried forward
    (:mod:`carecase.costs.uprate`, from ``costs/data/hmt_gdp_deflator.csv``). One index for
    both stages, so a unit cost uprated by the audit and by the CBA is the same number."""
    from carecase.costs.uprate import load_index

    return dict(load_index().values)


def uprating_factor(from_year: int, to_year: int, index: dict[int, float] | None = None) -> float:
    """Index(to) / Index(from) between financial years (start years: 2023 = 2023/24), with
    :func:`gdp_deflator` unless ``index`` is given. Raises ``KeyError`` outside the index."""
    if from_year == to_year:
        return 1.0
    idx = gdp_deflator() if index is None else index
    return idx[to_year] / idx[from_year]
