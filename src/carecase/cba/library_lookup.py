"""A :class:`~carecase.cba.unit_costs.UnitCostLookup` over the project's unit-cost library
(:mod:`carecase.costs.library`), so CBA outcomes use the same cited, uprated (and locally
overridden) values as the cost audit.

Two CBA rules are applied to library rows:

- a headline fiscal row whose agency is "Multiple", or whose constituent rows (``parent_code``)
  name another agency, is replaced by those constituents (E&E1.0 → DWP £9,234, a transfer, +
  NHS £566; SS8.0 → the council's £355.87 + the NHS nursing contribution's £109.79) when they
  add up to the headline (within 0.5%); otherwise the headline stays;
- economic and social values accrue to individuals and the wider economy, not to an agency's
  budget, so they are assigned to the agency "Individual" whatever agency the library names.

The lookup also knows which code rolls up to which (:func:`~carecase.cba.unit_costs.rolls_up_to`):
a constituent to its headline (``parent_code``), and a code carecase derives to the one it is
derived from (HO4.0N, a night, from HO4.0, the week: :data:`carecase.costs.curate.DERIVED`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from carecase.cba.model import INDIVIDUAL
from carecase.cba.unit_costs import RollUp, TableLookup, UnitCostLookup, UnitValue
from carecase.core.services import BY_CODE, SERVICES, Catalogue

#: Agency spellings of the built-in service catalogue; a library spelling that differs only
#: in case ("Local authority") is written the catalogue's way so one agency is not counted as
#: two. A project's catalogue adds its declared services' agencies
#: (:func:`canonical_agencies`, which the CBA stage passes as ``services``).
CANONICAL = {s.agency_l1.lower(): s.agency_l1 for s in SERVICES}


def canonical_agencies(services: Catalogue = BY_CODE) -> dict[str, str]:
    """Lower-case agency → its spelling in ``services`` (a project's catalogue,
    ``carecase.core.services.catalogue(config)``: the built-ins and its declared services, so
    a local unit cost paid by 'probation' is 'Probation', as the evaluation names it)."""
    return {s.agency_l1.lower(): s.agency_l1 for s in services.values()}


def _text(v: Any) -> str:
    return "" if v is None or (isinstance(v, float) and v != v) or pd.isna(v) else str(v)


def lookup_from_library(lib: pd.DataFrame, services: Catalogue = BY_CODE) -> TableLookup:
    """Build a lookup from a library table (``carecase.costs.library`` columns), agencies
    spelt as ``services`` spells them (the built-ins unless a project's catalogue is given)."""
    canonical = canonical_agencies(services)

    def _agency(name: str) -> str:
        return canonical.get(name.lower(), name)

    lib = lib.sort_values(["code", "value_type"], kind="mergesort")
    children: dict[str, pd.DataFrame] = {
        str(k): g for k, g in lib[lib["parent_code"].notna()].groupby("parent_code", sort=True)
    }
    rows: list[UnitValue] = []
    for r in lib.itertuples(index=False):
        code, vt = str(r.code), str(r.value_type)
        l1, l2 = _agency(_text(r.agency_l1)), _text(r.agency_l2)
        source = _text(r.source)
        year = int(str(r.price_year)[:4])
        if vt != "fiscal":
            rows.append(UnitValue(code, float(r.value), INDIVIDUAL, "", vt, bool(r.transfer),  # type: ignore[arg-type]
                                  year, _text(r.unit), f"{source}; {vt} value assigned to individuals"))
            continue
        kids = children.get(code)
        fiscal_kids = kids[kids["value_type"] == "fiscal"] if kids is not None else None
        # a headline paid by several agencies is split into its constituents: those marked
        # 'Multiple', and those whose parts name another agency (SS8.0 nursing care: the
        # council's £355.87 and the NHS-funded nursing contribution's £109.79 a week, whose
        # headline names the council; the NHS's share was credited to the council)
        others = {_agency(_text(a)) for a in fiscal_kids["agency_l1"]} - {l1} if fiscal_kids is not None else set()
        if fiscal_kids is not None and (l1 == "Multiple" or others):
            total = float(fiscal_kids["value"].sum())
            if total > 0 and abs(total - float(r.value)) <= 0.005 * float(r.value):
                for k in fiscal_kids.itertuples(index=False):
                    rows.append(UnitValue(code, float(k.value), _agency(_text(k.agency_l1)) or l1,
                                          _text(k.agency_l2), "fiscal", bool(k.transfer), year,
                                          _text(r.unit), f"{_text(k.source)}; constituent {k.code}"))
                continue
        rows.append(UnitValue(code, float(r.value), l1, l2, "fiscal", bool(r.transfer), year,
                              _text(r.unit), source))
    return TableLookup(rows, _rolls_up(lib))


def _rolls_up(lib: pd.DataFrame) -> dict[str, RollUp]:
    """code → (the code it rolls up to, how): constituents to their headline, and the codes
    carecase derives to their source code (both present in ``lib``)."""
    from carecase.costs.curate import DERIVED

    out: dict[str, RollUp] = {}
    for code, parent in zip(lib["code"], lib["parent_code"], strict=True):
        if _text(parent) and _text(parent) != str(code):
            out[str(code)] = (_text(parent), "a constituent of")
    codes = set(lib["code"].astype(str))
    for new, old, *_ in DERIVED:
        if new in codes and old in codes and new not in out:
            out[new] = (old, "derived from")
    return out


def library_lookup(price_year: int, *, services: Catalogue = BY_CODE, **load_kwargs: Any) -> UnitCostLookup:
    """The project's library at ``price_year`` (``load_kwargs`` as for ``load_library``), its
    agencies spelt as the catalogue ``services`` spells them (the project's in the CBA stage:
    ``catalogue(config)``; the built-ins by default)."""
    from carecase.costs.library import load_library

    return lookup_from_library(load_library(price_year, **load_kwargs), services)
