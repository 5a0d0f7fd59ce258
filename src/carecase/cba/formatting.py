"""How CBA figures are written in text (the ``carecase cba`` tables, the stage's headline line),
one way everywhere: negative money as ``-£616,041``, never ``£-616,041``."""

from __future__ import annotations


def money(x: float | None) -> str:
    """Whole pounds with thousands separators, the minus sign before the £; ``n/a`` for None."""
    if x is None:
        return "n/a"
    text = f"£{abs(x):,.0f}"
    return text if text == "£0" or x >= 0 else f"-{text}"


def ratio_text(x: float | None) -> str:
    """A ratio to two decimals; ``n/a`` for None (a ratio with zero costs)."""
    return "n/a" if x is None else f"{x:.2f}"
