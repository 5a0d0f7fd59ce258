"""Unit values for CBA outcomes: the ``UnitCostLookup`` protocol and the built-in lookup.

An outcome valued ``unit_cost: E&E1.0`` takes one component per agency and value type from a
lookup. Any object with ``components(code)`` and ``codes()`` serves (the project's unit-cost
library is adapted to it by :mod:`carecase.cba.library_lookup`); :data:`BUILTIN` is the
library carecase ships (curated from the New Economy / GMCA *Unit Cost Database* v1.4, March
2015, CC BY 4.0; attribute New Economy / Greater Manchester Combined Authority), at the price
years its sources publish, so the CBA and the cost audit value a code from one table. Price
years are financial years named by their start year (2012 = 2012/13), as in
``costs.price_year``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from carecase.core.services import Catalogue

ValueType = Literal["fiscal", "economic", "social"]


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


#: How a code rolls up to another: (the other code, how), e.g. ("HE7.0", "a constituent of").
RollUp = tuple[str, str]


class TableLookup:
    """A lookup over a fixed list of :class:`UnitValue` rows (order kept), with the codes each
    rolls up to (``rolls_up``: code → (code, how); see :func:`rolls_up_to`)."""

    def __init__(self, rows: tuple[UnitValue, ...] | list[UnitValue],
                 rolls_up: Mapping[str, RollUp] | None = None) -> None:
        self._by_code: dict[str, list[UnitValue]] = {}
        for row in rows:
            self._by_code.setdefault(row.code, []).append(row)
        self._rolls_up = dict(rolls_up or {})

    def components(self, code: str) -> list[UnitValue]:
        return list(self._by_code[code])

    def codes(self) -> list[str]:
        return sorted(self._by_code)

    def rolls_up(self, code: str) -> RollUp | None:
        return self._rolls_up.get(code)


class ShippedLibrary:
    """carecase's shipped unit-cost library (``costs/data/default_library.csv``) at the price
    years its sources publish, with the CBA's rules (:mod:`carecase.cba.library_lookup`:
    constituents for a "Multiple" headline, economic and social values to individuals).
    Read on first use. The CBA uprates each value to the model's ``price_base_year`` with
    :func:`gdp_deflator`, the index the costs stage uses, so the numbers equal the project
    library's at that year when no local override applies. Agencies are spelt as the
    catalogue ``services`` spells them (the built-ins unless a project's is given)."""

    def __init__(self, services: Catalogue | None = None) -> None:
        self._table: TableLookup | None = None
        self._services = services

    def _lookup(self) -> TableLookup:
        if self._table is None:
            from carecase.cba.library_lookup import lookup_from_library
            from carecase.core.services import BY_CODE
            from carecase.costs.library import default_library

            self._table = lookup_from_library(default_library(), self._services or BY_CODE)
        return self._table

    def components(self, code: str) -> list[UnitValue]:
        return self._lookup().components(code)

    def codes(self) -> list[str]:
        return self._lookup().codes()

    def rolls_up(self, code: str) -> RollUp | None:
        return self._lookup().rolls_up(code)


BUILTIN = ShippedLibrary()


def rolls_up_to(lookup: UnitCostLookup, code: str) -> list[tuple[str, str]]:
    """The codes ``code`` is a part of, nearest first, each with how: a constituent of its
    headline (the library's ``parent_code``: HE7.0.2, non-elective episodes, of HE7.0, all
    episodes), or derived from another code (HO4.0N, a temporary accommodation night, from
    HO4.0, the week). The same cost under another code: never count both. A lookup without
    ``rolls_up`` (any object with ``components`` and ``codes`` serves) knows none."""
    step = getattr(lookup, "rolls_up", None)
    out: list[tuple[str, str]] = []
    seen = {code}
    while step is not None:
        up = step(code)
        if up is None or up[0] in seen:
            break
        out.append(up)
        seen.add(up[0])
        code = up[0]
    return out


def gdp_deflator() -> dict[int, float]:
    """The HM Treasury GDP deflator (2024 = 100; OGL; December 2025 QNA) as the
    financial-year index the costs stage uses by default, {financial year start: index}:
    FY y/y+1 = 0.75 × CY(y) + 0.25 × CY(y+1), the latest year carried forward
    (:mod:`carecase.costs.uprate`, from ``costs/data/hmt_gdp_deflator.csv``). One index for
    both stages, so a unit cost uprated by the audit and by the CBA is the same number.
    The shipped file is read once per process; each call returns its own dict."""
    return dict(_shipped_deflator())


@lru_cache(maxsize=1)
def _shipped_deflator() -> tuple[tuple[int, float], ...]:
    from carecase.costs.uprate import load_index

    return tuple(sorted(load_index().values.items()))


def uprating_factor(from_year: int, to_year: int, index: dict[int, float] | None = None) -> float:
    """Index(to) / Index(from) between financial years (start years: 2023 = 2023/24), with
    :func:`gdp_deflator` unless ``index`` is given. Raises ``KeyError`` outside the index."""
    if from_year == to_year:
        return 1.0
    idx = gdp_deflator() if index is None else index
    return idx[to_year] / idx[from_year]
