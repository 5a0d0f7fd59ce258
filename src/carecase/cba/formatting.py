"""How CBA figures are written in text (the ``carecase cba`` tables, the stage's headline line,
the workbook's and the report's year headings), one way everywhere: negative money as
``-£616,041``, never ``£-616,041``; an appraisal year as ``Year 3``, or, where the model names
the financial year of year 0 (``first_financial_year``), as ``2028/29 (year 3)``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from carecase.core.text import money

__all__ = ["financial_year", "money", "payback_text", "payback_words", "ratio_text", "year_heading"]


def ratio_text(x: float | None) -> str:
    """A ratio to two decimals; ``n/a`` for None (a ratio with zero costs)."""
    if x is None:
        return "n/a"
    text = f"{x:.2f}"
    return "0.00" if text == "-0.00" else text  # a tiny negative BCR is written 0.00, not -0.00


def financial_year(year: int, first_financial_year: int | None) -> str | None:
    """Appraisal year ``year`` as the UK financial year (April–March) it falls in, written as
    the project writes price years (docs/cba.md: 2024 = 2024/25): year 3 of a model whose
    year 0 is 2025/26 is ``2028/29``, and a year that starts in 1999 is ``1999/00``. None where
    the model has no ``first_financial_year`` (years are then numbered only)."""
    if first_financial_year is None:
        return None
    from carecase.core.dates import fiscal_year_label  # not at import: --help loads no engine

    return fiscal_year_label(first_financial_year + int(year))


def year_heading(year: int, first_financial_year: int | None, short: bool = False) -> str:
    """A year's heading: ``Year 3`` (``short``: ``y3``), or with the financial year first where
    the model names it, ``2028/29 (year 3)`` (``2028/29 (y3)``)."""
    number = f"y{year}" if short else f"year {year}"
    fy = financial_year(year, first_financial_year)
    if fy is None:
        return number if short else f"Year {year}"
    return f"{fy} ({number})"


def payback_words(payback: object, first_financial_year: int | None) -> str:
    """The payback year in words: ``year 3``, or ``year 3, 2028/29`` where the model names the
    financial year of year 0; a payback that is not a year ("not within the period") as it is."""
    if isinstance(payback, bool) or not isinstance(payback, int | float):
        return str(payback) if payback is not None else "not within the period"
    fy = financial_year(int(payback), first_financial_year)
    return f"year {int(payback)}" + (f", {fy}" if fy is not None else "")


def payback_text(headline: Mapping[str, Any]) -> str:
    """A headline's payback year as ``carecase cba`` and the stage's headline line write it:
    ``4``, with the financial year where the model names year 0's, ``4 (2029/30)``."""
    fy = headline.get("payback_financial_year")
    return str(headline["payback_year"]) + (f" ({fy})" if fy else "")
