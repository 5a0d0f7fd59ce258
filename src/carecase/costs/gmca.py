"""Importer for the New Economy / GMCA Unit Cost Database workbook (v1.4 layout; later
editions keep it).

Every theme sheet (Crime, Education & Skills, Employment & Economy, Fire, Health, Housing,
Social Services) has two header rows, then one row per cost: A outcome category, B outcome
detail, C cost code, D detail, E unit, F/G agency levels 1 and 2, then three value blocks
(fiscal H-J, economic K-M, social N-P: value, price year "2013/14", value uprated to the
workbook's current year), Q original source, R RAG rating. A **bold** detail is a headline
cost; an **indented** detail is a constituent of the nearest headline above it (count one
level only: never add a parent and its constituents).

The workbook uprates with its own GDP deflator (sheet Lookups, columns M-P, 1989/90 = 100;
current year in K11): ``uprated = value × index[current] / index[price year]``.
:func:`gmca_gdp_index` reads that index and :func:`uprate_gmca` reproduces the workbook's
uprated values to the penny (tests/costs/test_gmca.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from carecase.core.errors import CostError

THEME_SHEETS = (
    "Crime", "Education & Skills", "Employment & Economy", "Fire", "Health", "Housing",
    "Social Services",
)
ATTRIBUTION = "New Economy / GMCA Unit Cost Database v1.4, CC BY 4.0"

#: Benefit payments the workbook marks by no column of its own: the Green Book counts them as
#: transfers (a saving to DWP is a loss to the claimant), never as public value. Codes known
#: in v1.4 (the constituents of a worklessness headline that are the benefits saved), and
#: by rule any DWP fiscal value priced per week (an allowance's or Housing Benefit's weekly
#: award) or described as the fiscal benefit of a workless claimant entering work. The costs
#: of processing or maintaining claims are real resources, not transfers.
KNOWN_TRANSFERS = frozenset({"E&E1.0.1", "E&E1.3", "E&E2.0.1", "E&E3.0.1", "E&E2.7"})


def is_transfer(code: str, value_type: str, agency: str, unit: str, description: str) -> bool:
    """Whether a workbook row is a benefit payment (a transfer): see :data:`KNOWN_TRANSFERS`."""
    if code in KNOWN_TRANSFERS:
        return True
    if value_type != "fiscal" or agency.strip().upper() != "DWP":
        return False
    text = description.lower()
    if "cost of" in text or "costs of" in text:
        return False
    weekly = unit.strip().lower() == "per week"
    return weekly or "fiscal benefit from a workless claimant entering work" in text
GMCA_URL = "https://www.greatermanchester-ca.gov.uk/what-we-do/research/research-cost-benefit-analysis/"
GMCA_LICENCE = "CC BY 4.0"
# (value column, year column, workbook-uprated column), 1-based, for each value type
VALUE_BLOCKS = {"fiscal": (8, 9, 10), "economic": (11, 12, 13), "social": (14, 15, 16)}
LIBRARY_COLUMNS = [
    "code", "description", "unit", "agency_l1", "agency_l2", "value_type", "value",
    "price_year", "source", "url", "licence", "rag", "grade", "transfer", "cashable",
    "parent_code",
]
# carecase convention (not from the workbook): confidence grade 1 (best) to 6 from RAG.
RAG_GRADE = {"G": 3, "A": 4, "R": 5}


def parse_financial_year(text: Any, where: str = "") -> int:
    """'2013/14' (or '2013-14', or 2013) → 2013, the financial year's first calendar year."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        return int(text)
    s = str(text).strip()
    head = s.replace("-", "/").split("/")[0].strip()
    if not head.isdigit() or len(head) != 4:
        raise CostError(
            f"{where}: price year {s!r} is not a financial year like '2013/14'. "
            "Correct the year cell."
        )
    return int(head)


def _open(path: str | Path) -> Any:
    try:
        import openpyxl
    except ImportError:  # pragma: no cover
        raise CostError("Reading .xlsx needs openpyxl (pip install openpyxl).") from None
    p = Path(path)
    if not p.exists():
        raise CostError(f"{p}: no such file. Pass the Unit Cost Database .xlsx workbook.")
    try:
        return openpyxl.load_workbook(p, data_only=True)
    except Exception as err:
        raise CostError(f"{p}: not a readable .xlsx workbook ({type(err).__name__}).") from None


def gmca_gdp_index(path: str | Path, workbook: Any = None) -> tuple[dict[int, float], int]:
    """The workbook's own GDP index {financial year: index (1989/90 = 100)} and current year."""
    wb = workbook or _open(path)
    if "Lookups" not in wb.sheetnames:
        raise CostError(f"{path}: no 'Lookups' sheet; is this the GMCA Unit Cost Database?")
    ws = wb["Lookups"]
    index: dict[int, float] = {}
    for row in range(10, ws.max_row + 1):
        year, value = ws.cell(row, 13).value, ws.cell(row, 16).value
        if year is None or value is None or not str(year)[:4].isdigit():
            continue
        index[parse_financial_year(year, f"{path} Lookups!M{row}")] = float(value)
    current = ws["K11"].value
    if not index or current is None:
        raise CostError(f"{path}: Lookups sheet has no GDP index (M10:P40) or current year (K11).")
    return index, parse_financial_year(current, f"{path} Lookups!K11")


def uprate_gmca(value: float, price_year: int, index: dict[int, float], to_year: int) -> float:
    """The workbook's formula: ``value × index[to_year] / index[price_year]``."""
    for y in (price_year, to_year):
        if y not in index:
            raise CostError(
                f"No GDP index for financial year {y}; the index covers {min(index)}-{max(index)}."
            )
    return value * index[to_year] / index[price_year]


def _text(v: Any) -> str:
    return " ".join(str(v).split()) if v is not None else ""


def import_gmca(path: str | Path) -> pd.DataFrame:
    """Every cost in every theme sheet as library rows (one per code × value type).

    Columns: the library columns (see :data:`LIBRARY_COLUMNS`) plus ``theme``,
    ``outcome_category``, ``outcome_detail``, ``headline`` (bold), ``sheet_row`` and
    ``workbook_uprated`` (the workbook's own uprated value, when cached in the file).
    """
    wb = _open(path)
    missing = [s for s in THEME_SHEETS if s not in wb.sheetnames]
    if len(missing) == len(THEME_SHEETS):
        raise CostError(
            f"{path}: none of the theme sheets ({', '.join(THEME_SHEETS)}) found; "
            "is this the GMCA Unit Cost Database workbook?"
        )
    rows: list[dict[str, Any]] = []
    for sheet in THEME_SHEETS:
        if sheet in missing:
            continue
        ws = wb[sheet]
        parent: str | None = None
        for r in range(3, ws.max_row + 1):
            code = _text(ws.cell(r, 3).value)
            if not code:
                continue
            detail = ws.cell(r, 4)
            indent = float(detail.alignment.indent or 0) if detail.alignment else 0.0
            bold = bool(detail.font and detail.font.b)
            if indent > 0:
                this_parent = parent
            else:
                parent, this_parent = code, None
            rag = _text(ws.cell(r, 18).value).upper()[:1]
            for vtype, (vc, yc, uc) in VALUE_BLOCKS.items():
                value = ws.cell(r, vc).value
                if value is None or value == "" or not isinstance(value, int | float):
                    continue
                where = f"{path} sheet {sheet!r} row {r} ({code})"
                upr = ws.cell(r, uc).value
                rows.append({
                    "code": code,
                    "description": _text(detail.value),
                    "unit": _text(ws.cell(r, 5).value),
                    "agency_l1": _text(ws.cell(r, 6).value),
                    "agency_l2": _text(ws.cell(r, 7).value),
                    "value_type": vtype,
                    "value": float(value),
                    "price_year": parse_financial_year(ws.cell(r, yc).value, where),
                    "source": _text(ws.cell(r, 17).value) + f" (via {ATTRIBUTION})",
                    "url": GMCA_URL,
                    "licence": GMCA_LICENCE,
                    "rag": rag,
                    "grade": RAG_GRADE.get(rag),
                    "transfer": is_transfer(code, vtype, _text(ws.cell(r, 6).value), _text(ws.cell(r, 5).value),
                                            _text(detail.value)),
                    "cashable": vtype == "fiscal",
                    "parent_code": this_parent,
                    "theme": sheet,
                    "outcome_category": _text(ws.cell(r, 1).value),
                    "outcome_detail": _text(ws.cell(r, 2).value),
                    "headline": bold,
                    "sheet_row": r,
                    "workbook_uprated": float(upr) if isinstance(upr, int | float) else None,
                })
    out = pd.DataFrame(rows)
    return out.sort_values(["theme", "sheet_row", "value_type"], kind="stable").reset_index(drop=True)
