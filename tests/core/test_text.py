"""Money in headlines is written one way: the minus sign before the £."""

from __future__ import annotations

import pytest

from carecase.core.text import money, signed_money


@pytest.mark.parametrize(("x", "plain", "signed"), [
    (-616041.4, "-£616,041", "-£616,041"), (1267.2, "£1,267", "+£1,267"),
    (0.0, "£0", "£0"), (-0.4, "£0", "£0"), (None, "n/a", None),
])
def test_money(x, plain, signed):
    assert money(x) == plain
    if x is not None:
        assert signed_money(x) == signed
