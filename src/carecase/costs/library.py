"""The unit-cost library: a versioned, cited table of unit costs, uprated to a price year.

Columns (``LIBRARY_COLUMNS``): code, description, unit, agency_l1, agency_l2, value_type
(fiscal / economic / social), value, price_year (financial year start: 2013 = 2013/14),
source, url, licence, rag (G/A/R), grade (1-6), transfer (benefits/tax: excluded from public
value), cashable, parent_code (a constituent's headline: never count both).

The shipped default (``data/default_library.csv``) is curated from the New Economy / GMCA
Unit Cost Database v1.4 (CC BY 4.0; see :mod:`carecase.costs.curate`). A local overrides CSV
takes precedence row by row (same ``code`` and ``value_type``); a user library CSV (e.g. the
user's own licensed PSSRU or HACT figures) can replace the default, with a column mapping
for its own headers (:func:`import_user_library`). Every CSV is read as UTF-8 (one saved by
Excel as plain "CSV" is Windows-1252 and is refused with where and how to fix it).

Public API for later stages::

    lib = load_library(2024)                  # every cost at 2024/25 prices
    lookup("SS7.0", price_year=2024)          # rows of one code (fiscal and economic)
    unit_cost("SS7.0", "fiscal", 2024)        # one number
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from carecase.core.errors import CostError
from carecase.costs.csvfile import columns_found, financial_year, read_utf8_csv
from carecase.costs.gmca import LIBRARY_COLUMNS
from carecase.costs.uprate import DEFAULT_DEFLATOR, PriceIndex, load_index

LIBRARY_VERSION = "carecase-default-1 (GMCA UCD v1.4)"
VALUE_TYPES = ("fiscal", "economic", "social")
REQUIRED = ("code", "value_type", "value", "price_year")
UPRATED_COLUMNS = [
    *LIBRARY_COLUMNS, "base_value", "base_price_year", "uprate_factor", "index_name",
    "index_approximate", "provenance",
]
_BOOL = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False, "": None}


def default_library_path() -> Path:
    return Path(str(resources.files("carecase.costs") / "data" / "default_library.csv"))


def _bool_col(s: pd.Series, name: str, where: str) -> pd.Series:
    """A true/false column, blanks left blank (pandas' nullable boolean): :func:`fill_flags`
    fills them, or an override inherits the library's (:func:`apply_overrides`)."""
    text = s.astype("string").str.strip().str.lower().fillna("")
    bad = ~text.isin(list(_BOOL))
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise CostError(f"{where} row {i + 1}, column {name}: {s.iloc[i]!r} is not true/false.")
    return text.map(_BOOL).astype("object").astype("boolean")


def fill_flags(lib: pd.DataFrame) -> pd.DataFrame:
    """Blank flags as a library row without them reads: not a transfer, cashable when fiscal,
    no RAG rating."""
    out = lib.copy()
    out["transfer"] = out["transfer"].astype("object").where(out["transfer"].notna(), False).astype(bool)
    out["cashable"] = out["cashable"].astype("object").where(
        out["cashable"].notna(), out["value_type"] == "fiscal").astype(bool)
    out["rag"] = out["rag"].astype("string").fillna("")
    return out


def validate_library(df: pd.DataFrame, where: str, complete: bool = True, fill: bool = True) -> pd.DataFrame:
    """Check and normalise a library table; rows are 1-based data rows in messages. With
    ``fill`` false (an overrides file), blank transfer, cashable and rag stay blank, so that
    the library's own value is kept for them (:func:`apply_overrides`)."""
    missing = [c for c in (LIBRARY_COLUMNS if complete else REQUIRED) if c not in df.columns]
    if missing:
        raise CostError(
            f"{where}: missing column(s) {', '.join(missing)} ({columns_found(df.columns)}). "
            f"A library CSV needs {', '.join(LIBRARY_COLUMNS if complete else REQUIRED)}."
        )
    out = df.copy()
    for c in LIBRARY_COLUMNS:
        if c not in out.columns:
            out[c] = None
    out["code"] = out["code"].astype("string").str.strip()
    out["value_type"] = out["value_type"].astype("string").str.strip().str.lower()
    value = pd.to_numeric(out["value"], errors="coerce")
    year = pd.to_numeric(out["price_year"].map(financial_year), errors="coerce")
    grade = pd.to_numeric(out["grade"], errors="coerce")
    checks = [
        (out["code"].isna() | (out["code"] == ""), "code", "is empty; give every cost a code"),
        (~out["value_type"].isin(VALUE_TYPES), "value_type", "must be fiscal, economic or social"),
        (value.isna() | ~np.isfinite(value) | (value < 0), "value",
         "must be a finite number ≥ 0 written plainly, e.g. 1234.5 (no £ sign or thousands "
         "separators; record savings as positive costs)"),
        (year.isna() | (year < 1900) | (year > 2100), "price_year",
         "must be a financial year like 2013 or '2013/14' (its start year)"),
        (out["grade"].notna() & (grade.isna() | (grade != grade.round()) | (grade < 1) | (grade > 6)),
         "grade", "must be a whole number 1-6 (or blank)"),
    ]
    for bad, col, fix in checks:
        if bad.any():
            i = int(bad.to_numpy().nonzero()[0][0])
            raise CostError(f"{where} row {i + 1}, column {col}: {df[col].iloc[i]!r} {fix}.")
    out["value"] = value.astype(float)
    out["price_year"] = year.astype(int)
    rag = out["rag"].astype("string").str.strip().str.upper()
    bad_rag = ~rag.fillna("").isin(["G", "A", "R", ""])
    if bad_rag.any():
        i = int(bad_rag.to_numpy().nonzero()[0][0])
        raise CostError(f"{where} row {i + 1}, column rag: {out['rag'].iloc[i]!r} must be G, A or R.")
    out["rag"] = rag.where(rag != "", pd.NA)
    out["grade"] = grade.astype("Int64")
    out["transfer"] = _bool_col(out["transfer"], "transfer", where)
    out["cashable"] = _bool_col(out["cashable"], "cashable", where)
    if fill:
        out = fill_flags(out)
    for c in ("description", "unit", "agency_l1", "agency_l2", "source", "url", "licence", "parent_code"):
        out[c] = out[c].astype("string").str.strip()
    dup = out.duplicated(["code", "value_type"], keep=False)
    if dup.any():
        i = int(dup.to_numpy().nonzero()[0][0])
        raise CostError(
            f"{where} row {i + 1}: code {out['code'].iloc[i]} has more than one {out['value_type'].iloc[i]} "
            "value; keep one row per code and value type."
        )
    return out[LIBRARY_COLUMNS]


def read_library_csv(path: str | Path, complete: bool = True,
                     what: str = "the unit-cost library CSV (costs.library)", fill: bool = True) -> pd.DataFrame:
    """A library CSV (``what`` names it in messages); it must be UTF-8 (see costs.csvfile)."""
    p = Path(path)
    if not p.exists():
        raise CostError(f"{p}: unit-cost library file not found. Set costs.library to 'default' or a CSV path.")
    df = read_utf8_csv(p, what, dtype="string", keep_default_na=False, na_values=[""])
    return validate_library(df, str(p), complete, fill)


def default_library() -> pd.DataFrame:
    """The shipped, cited default library at its original price years."""
    return read_library_csv(default_library_path())


def import_user_library(
    path: str | Path, columns: dict[str, str] | None = None, defaults: dict[str, object] | None = None
) -> pd.DataFrame:
    """Read a user's own library CSV (e.g. figures from their licensed PSSRU or HACT copy).

    ``columns`` maps the user's header → carecase column (``{"Cost": "value", "Year":
    "price_year"}``); ``defaults`` fills columns the file lacks (``{"licence": "PSSRU,
    used under the user's licence"}``); ``value_type`` defaults to fiscal. carecase never ships these
    sources; the result stays on the user's machine.
    """
    p = Path(path)
    if not p.exists():
        raise CostError(f"{p}: user library file not found.")
    df = read_utf8_csv(p, "the user library CSV (costs.library)", dtype="string", keep_default_na=False, na_values=[""])
    if columns:
        unknown = [k for k in columns if k not in df.columns]
        if unknown:
            raise CostError(f"{p}: column mapping names header(s) not in the file: {', '.join(unknown)}.")
        df = df.rename(columns=columns)
    for k, v in {"value_type": "fiscal", **(defaults or {})}.items():
        if k not in df.columns:
            df[k] = v
        else:
            df[k] = df[k].fillna(v)
    return validate_library(df, str(p), complete=False)


def apply_overrides(base: pd.DataFrame, overrides: pd.DataFrame) -> tuple[pd.DataFrame, set[tuple[str, str]]]:
    """Override rows replace base rows with the same (code, value_type); blanks inherit (a
    transfer overridden for its value alone stays a transfer), and a new code's blank flags
    read as in a library (:func:`fill_flags`)."""
    keys = ["code", "value_type"]
    merged = overrides.merge(base, on=keys, how="left", suffixes=("", "_base"))
    for c in LIBRARY_COLUMNS:
        if c in keys or f"{c}_base" not in merged.columns:
            continue
        merged[c] = merged[c].where(merged[c].notna(), merged[f"{c}_base"])
    merged = fill_flags(merged[LIBRARY_COLUMNS])
    new_keys = set(zip(merged["code"], merged["value_type"], strict=True))
    kept = base[[(k not in new_keys) for k in zip(base["code"], base["value_type"], strict=True)]]
    return pd.concat([kept, merged], ignore_index=True), new_keys


def uprate_library(lib: pd.DataFrame, price_year: int, index: PriceIndex) -> pd.DataFrame:
    out = lib.copy()
    out["base_value"] = out["value"]
    out["base_price_year"] = out["price_year"]
    out["uprate_factor"] = [index.factor(int(y), price_year) for y in out["price_year"]]
    out["value"] = out["base_value"] * out["uprate_factor"]
    out["price_year"] = price_year
    out["index_name"] = index.name
    out["index_approximate"] = bool(price_year in index.approximate) | out["base_price_year"].isin(
        list(index.approximate)
    )
    return out


def load_library(
    price_year: int,
    overrides: str | Path | None = None,
    library: str | Path = "default",
    deflator: str | Path = DEFAULT_DEFLATOR,
    base: Path | None = None,
    columns: dict[str, str] | None = None,
    new_codes: set[str] | None = None,
) -> pd.DataFrame:
    """The unit-cost library uprated to ``price_year`` with provenance; ``new_codes``, when
    given, receives the override codes the library did not have.

    Columns: ``UPRATED_COLUMNS`` — the library columns with ``value`` and ``price_year`` at the
    target year, plus base_value, base_price_year, uprate_factor, index_name,
    index_approximate and provenance (``default`` / ``imported`` / ``override``).
    """
    def resolve(p: str | Path) -> Path:
        q = Path(p)
        return q if (base is None or q.is_absolute()) else base / q

    if str(library) == "default":
        lib = default_library()
        lib["provenance"] = "default"
    else:
        lib = import_user_library(resolve(library), columns) if columns else read_library_csv(resolve(library))
        lib["provenance"] = "imported"
    if overrides:
        ov = read_library_csv(resolve(overrides), complete=False, what="the overrides CSV (costs.overrides)",
                              fill=False)
        if new_codes is not None:
            new_codes.update(set(ov["code"]) - set(lib["code"]))
        lib, keys = apply_overrides(lib.drop(columns="provenance"), ov)
        prov = "default" if str(library) == "default" else "imported"
        lib["provenance"] = [
            "override" if k in keys else prov for k in zip(lib["code"], lib["value_type"], strict=True)
        ]
        missing_desc = lib["description"].isna() | lib["unit"].isna()
        if missing_desc.any():
            code = lib["code"][missing_desc].iloc[0]
            raise CostError(
                f"{resolve(overrides)}: override for new code {code} needs description and unit "
                "(only codes already in the library may leave them blank)."
            )
    parents = set(lib["code"])
    orphan = lib["parent_code"].notna() & ~lib["parent_code"].isin(list(parents))
    if orphan.any():
        r = lib[orphan].iloc[0]
        raise CostError(f"Unit cost {r['code']}: parent_code {r['parent_code']} is not in the library.")
    prov = lib.pop("provenance")
    up = uprate_library(lib, price_year, load_index(deflator, base))
    up["provenance"] = prov.to_numpy()
    return up[UPRATED_COLUMNS].sort_values(["code", "value_type"], kind="stable").reset_index(drop=True)


def lookup(code: str, library: pd.DataFrame | None = None, price_year: int = 2024,
           value_type: str | None = None) -> pd.DataFrame:
    """Rows of one unit-cost code (all value types unless ``value_type`` is given)."""
    lib = library if library is not None else load_library(price_year)
    rows = lib[lib["code"] == code]
    if value_type is not None:
        rows = rows[rows["value_type"] == value_type]
    if rows.empty:
        import difflib

        hint = difflib.get_close_matches(code, sorted(set(lib["code"])), n=1)
        extra = f" Did you mean {hint[0]!r}?" if hint else ""
        raise CostError(
            f"Unit cost {code!r}{' (' + value_type + ')' if value_type else ''} is not in the library.{extra} "
            "List codes with `carecase costs show`."
        )
    return rows.reset_index(drop=True)


def unit_cost(code: str, value_type: str = "fiscal", price_year: int = 2024,
              library: pd.DataFrame | None = None) -> float:
    """One unit cost at ``price_year`` prices."""
    return float(lookup(code, library, price_year, value_type)["value"].iloc[0])


def near_miss_codes(new_codes: set[str], library_codes: set[str], used: set[str]) -> list[str]:
    """Warnings for override codes that are new, used by no service, and one character from a
    code the library has (``SS7.O`` beside ``SS7.0``): probably meant to override it, in which
    case the intended code keeps its library value."""
    out = []
    for code in sorted(new_codes - used):
        near = sorted(c for c in library_codes - new_codes
                      if len(c) == len(code) and sum(a != b for a, b in zip(c, code, strict=True)) == 1)
        if near:
            out.append(f"costs.overrides: code {code} is new (not in the library) and no service uses it, "
                       f"but differs by one character from {', '.join(near)}; if it was meant to "
                       "override that code, correct it.")
    return out
