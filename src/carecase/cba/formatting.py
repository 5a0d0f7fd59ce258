"""How CBA figures are written in text (the ``carecase cba`` tables, the stage's headline line),
one way everywhere: negative money as ``-£616,041``, never ``£-616,041``."""

from __future__ import annotations

from carecase.core.text import money

__all__ = ["money", "ratio_text"]


def ratio_text(x: float | None) -> str:
    """A ratio to two decimals; ``n/a`` for None (a ratio with zero costs)."""
    if x is None:
        return "n/a"
    text = f"{x:.2f}"
    return "0.00" if text == "-0.00" else text  # a tiny negative BCR is written 0.00, not -0.00
