"""A tiny evaluator for the formulas the CBA workbook writes (SUM, SUMPRODUCT, SUMIF, INDEX,
IF — lazy, as in Excel: only the branch taken is evaluated —, ISNUMBER, RIGHT, CONCATENATE, arithmetic, comparisons, TRUE and
FALSE, cross-sheet references), so tests can check that each formula recomputes the value cached
beside it, and edit an input cell and recompute — without a spreadsheet application."""

from __future__ import annotations

import ast
import re
from typing import Any

import openpyxl
from openpyxl.utils import column_index_from_string

REF = re.compile(r"(?:'([^']+)'!)?\$?([A-Z]{1,3})\$?(\d+)(?::\$?([A-Z]{1,3})\$?(\d+))?")


class Book:
    def __init__(self, path: str) -> None:
        self.wb = openpyxl.load_workbook(path)
        self.cache: dict[tuple[str, int, int], Any] = {}

    def cell(self, sheet: str, row: int, col: int) -> Any:
        key = (sheet, row, col)
        if key not in self.cache:
            v = self.wb[sheet].cell(row=row, column=col).value
            if isinstance(v, str) and v.startswith("="):
                v = self.formula(sheet, v[1:])
            self.cache[key] = v
        return self.cache[key]

    def set(self, sheet: str, row: int, col: int, value: Any) -> None:
        """Edit a cell (1-based row and column), as a user would in Excel; every formula is then
        recomputed on demand."""
        self.wb[sheet].cell(row=row, column=col).value = value
        self.cache.clear()

    def rng(self, sheet: str, c0: str, r0: str, c1: str, r1: str) -> list[Any]:
        a, b = column_index_from_string(c0), column_index_from_string(c1)
        return [self.cell(sheet, r, c) for r in range(int(r0), int(r1) + 1) for c in range(a, b + 1)]

    def formula(self, sheet: str, text: str) -> Any:
        parts = re.split(r'("[^"]*")', text)
        out = []
        for p in parts:
            if p.startswith('"'):
                out.append(p)
                continue
            def ref(m: re.Match[str]) -> str:
                sh = m.group(1) or sheet
                if m.group(4):
                    return f"_rng({sh!r},{m.group(2)!r},{m.group(3)!r},{m.group(4)!r},{m.group(5)!r})"
                return f"_cell({sh!r},{m.group(3)},{column_index_from_string(m.group(2))})"
            p = REF.sub(ref, p)
            p = p.replace("<>", "!=")
            p = re.sub(r"(?<![<>=!])=(?!=)", "==", p)
            out.append(p)
        tree = _LazyIf().visit(ast.parse("".join(out), mode="eval"))
        code = compile(ast.fix_missing_locations(tree), "<formula>", "eval")
        env = {"_rng": self.rng, "_cell": self.cell, "TRUE": True, "FALSE": False,
               "SUM": lambda *a: sum(sum(x) if isinstance(x, list) else x for x in a),
               "SUMPRODUCT": lambda a, b: sum(x * y for x, y in zip(a, b, strict=True)),
               "SUMIF": _sumif, "INDEX": _index, "ISNUMBER": _isnumber, "RIGHT": _right,
               "CONCATENATE": lambda *a: "".join(_text(x) for x in a)}
        return eval(code, {"__builtins__": {}}, env)  # noqa: S307 - test helper on our own file


class _LazyIf(ast.NodeTransformer):
    """IF(c, a, b) → (a if c else b): Excel evaluates only the branch taken, so
    =IF(B2=0,"",B3/B2) is "" rather than a division by zero when B2 is 0."""

    def visit_Call(self, node: ast.Call) -> Any:
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id == "IF":
            c, a, *b = node.args
            return ast.IfExp(test=c, body=a, orelse=b[0] if b else ast.Constant(False))
        return node


def _sumif(rng: list[Any], crit: Any, sums: list[float]) -> float:
    if isinstance(crit, str) and crit.startswith("<>"):
        return sum(s for r, s in zip(rng, sums, strict=True) if r != crit[2:])
    if isinstance(crit, bool):  # TRUE matches a logical TRUE cell only, not the number 1
        return sum(s for r, s in zip(rng, sums, strict=True) if isinstance(r, bool) and r is crit)
    return sum(s for r, s in zip(rng, sums, strict=True) if r == crit)


def _index(rng: list[Any], n: Any) -> Any:
    """INDEX over a one-column or one-row range, 1-based."""
    if isinstance(n, bool) or int(n) != n or not 1 <= n <= len(rng):
        raise ValueError(f"#REF!: INDEX position {n!r} outside 1…{len(rng)}")
    return rng[int(n) - 1]


def _isnumber(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _text(x: Any) -> str:
    """A value as Excel turns it into text: a whole number without a decimal point (2028)."""
    if _isnumber(x) and float(x).is_integer():
        return str(int(x))
    return str(x)


def _right(x: Any, n: int) -> str:
    return _text(x)[-int(n):] if n else ""


def formula_cells(path: str) -> list[tuple[str, int, int]]:
    wb = openpyxl.load_workbook(path)
    return [(ws.title, c.row, c.column) for ws in wb.worksheets for row in ws.iter_rows()
            for c in row if isinstance(c.value, str) and c.value.startswith("=")]
