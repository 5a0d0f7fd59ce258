"""How money is written in the headlines every stage prints: one way everywhere, the minus
sign before the £ (``-£616,041``, never ``£-616,041``)."""

from __future__ import annotations


def money(x: float | None) -> str:
    """Whole pounds with thousands separators, the minus sign before the £; ``n/a`` for None."""
    if x is None:
        return "n/a"
    text = f"£{abs(x):,.0f}"
    return text if text == "£0" or x >= 0 else f"-{text}"


def signed_money(x: float) -> str:
    """As :func:`money`, with a plus sign on a positive amount (a change: ``+£1,267``)."""
    text = money(x)
    return f"+{text}" if text not in ("£0", "n/a") and not text.startswith("-") else text
