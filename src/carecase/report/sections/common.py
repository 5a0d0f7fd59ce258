"""Helpers shared by the section builders: frame → Table with declared column mappings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from carecase.core.dates import fiscal_year_label
from carecase.core.services import BY_CODE, Catalogue
from carecase.report.config import ReportConfig
from carecase.report.content import Column, Format, Note, Table, is_missing
from carecase.report.disclose import disclose_table
from carecase.report.loaders import StageOutputs

# Column names that could hold an identifier: never shown, whatever a stage wrote. Direct
# identifiers (NHS number, names, date of birth, postcode, contact details) and pseudonymous
# or record-level ones: any column named ``id`` or with an ``id`` part (person_id, row_id,
# pseudo_id, record_id, set_id, patient id…), pseudonyms and hashes, local reference numbers.
IDENTIFIER_COLUMN = re.compile(
    r"^(.*_)?(nhs|nhs_?number|nhs_?no|given_?name|family_?name|forename|surname|first_?name|"
    r"last_?name|full_?name|person_?name|client_?name|dob|date_of_birth|birth_?date|"
    r"post_?code|address|nhs_pseudo|local_pseudo|local_id|record_id|source_row|email|"
    r"phone|telephone|"
    r"ids?|person_?id|patient_?id|client_?id|row_?id|record_?id|pseudo_?id|"
    r"pseudo|pseudonyms?|pseudonymous|hash|hashed|uprn|mrn|nino|ni_?number|"
    r"hospital_?(number|no)|chi_?(number|no))(_.*)?$",
    re.IGNORECASE,
)


def is_identifier_column(name: str) -> bool:
    return bool(IDENTIFIER_COLUMN.search(str(name)))


_COUNT = re.compile(r"^(n|n_.*|.*_n|count|counts|.*_count|people|persons|.*_people|people_with_.*|events|"
                    r"treated|controls?|matched|unmatched|discarded|rows_.*|records|.*_records)$",
                    re.IGNORECASE)
_MONEY = re.compile(r"(cost|gbp|£|spend|npv|saving|benefit|value_gbp|amount)", re.IGNORECASE)
_SHARE = re.compile(r"(share|pct|percent|proportion|rate$)", re.IGNORECASE)
_PVAL = re.compile(r"^p(_|$)|p_value|pvalue", re.IGNORECASE)


def infer_column(name: str, series: pd.Series) -> Column:
    """A column spec for an undeclared column, erring towards suppressing counts."""
    label = str(name).replace("_", " ")
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return Column(str(name), label, "text")
    if _PVAL.search(str(name)):
        return Column(str(name), label, "p")
    if _COUNT.match(str(name)):
        return Column(str(name), label, "count", count=True)
    if _SHARE.search(str(name)):
        return Column(str(name), label, "pct")
    if _MONEY.search(str(name)):
        return Column(str(name), label, "gbp")
    return Column(str(name), label, "num")


@dataclass(frozen=True)
class Field:
    """One declared column: the stage output column it comes from, and how to show it."""

    source: str
    column: Column


def F(key: str, label: str, fmt: Format = "text", source: str | None = None, **kw: Any) -> Field:  # noqa: N802
    """Column ``key`` of the report, read from the stage's column ``source`` (default: ``key``)."""
    return Field(source or key, Column(key, label, fmt, **kw))


def clean_value(v: Any) -> Any:
    if is_missing(v):
        return None
    if hasattr(v, "item") and not isinstance(v, str):
        try:
            return v.item()
        except (AttributeError, ValueError):
            return v
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat()
    return v


def frame_table(
    id: str,
    title: str,
    df: pd.DataFrame,
    fields: list[Field],
    *,
    extra: bool = False,
    note: str = "",
    total_row: bool = False,
    protect_rows: bool = True,
    protect_columns: bool = True,
    sort_by: list[str] | None = None,
    keep_ids: tuple[str, ...] = (),
) -> Table:
    """A Table from ``df``: declared fields first (those whose source column is present), then
    — when ``extra`` — every other non-identifier column with an inferred format.
    ``keep_ids``: identifier-like columns kept all the same (internal reports only: the
    highest-cost people's pseudonymous person_id)."""
    keep = {k.lower() for k in keep_ids}
    df = df[[c for c in df.columns if str(c).lower() in keep or not is_identifier_column(c)]]
    chosen: list[tuple[str, Column]] = []
    used: set[str] = set()
    for f in fields:
        lower = {str(c).lower(): str(c) for c in df.columns}
        actual = lower.get(f.source.lower())
        if actual is not None and actual not in used:
            chosen.append((actual, f.column))
            used.add(actual)
    if extra:
        for c in df.columns:
            if str(c) not in used:
                chosen.append((str(c), infer_column(str(c), df[c])))
                used.add(str(c))
    # a from_count link only holds when its count column is present; undeclared money columns
    # follow the table's people count (a cost of 3 people is as disclosive as the 3)
    keys = {col.key for _, col in chosen}
    people = next((k for k in ("people", "persons", "n_people", "n") if k in keys), None)
    chosen = [(a, replace(col, from_count=people) if col.fmt in ("gbp", "gbp2") and col.from_count is None
               and not col.count and people and a not in {f.column.key for f in fields} else col)
              for a, col in chosen]
    chosen = [(a, replace(col, from_count=col.from_count if col.from_count in keys else None,
                          hidden_with=tuple(k for k in col.hidden_with if k in keys)))
              for a, col in chosen]
    if sort_by:
        present = [next((a for a, col in chosen if col.key == s), None) for s in sort_by]
        by = [p for p in present if p is not None]
        if by:
            df = df.sort_values(by, kind="mergesort")
    rows = [
        {col.key: clean_value(rec[a]) for a, col in chosen}
        for rec in df.to_dict("records")
    ]
    return Table(id=id, title=title, columns=[c for _, c in chosen], rows=rows, note=note,
                 total_row=total_row, protect_rows=protect_rows, protect_columns=protect_columns)


def in_a_list(words: list[str]) -> str:
    """Words joined for a sentence: "a", "a and b", "a, b and c" (no serial comma)."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}" if words else ""


def price_year_phrase(model: Any) -> str | None:
    """'2024/25 prices' for a CBA model's ``price_base_year`` (a financial year named by its
    start year, as the report writes it everywhere), or None where the year is missing."""
    year = model.get("price_base_year") if isinstance(model, dict) else None
    if isinstance(year, int | float) and not isinstance(year, bool):
        return f"{fiscal_year_label(int(year))} prices"
    return None


def not_run(stage: str, what: str) -> Note:
    return Note(
        f"Not run: {what} — no output from the {stage} stage was found under out/{stage}/. "
        f"Run `carecase {stage} PROJECT` (or `carecase run PROJECT`) and rebuild the report.",
        kind="not_run",
    )


def missing_table(stage: str, name: str) -> Note:
    return Note(f"Not available: out/{stage}/{name}.parquet was not written by the {stage} stage.",
                kind="not_run")


@dataclass(frozen=True)
class Context:
    """What every section builder gets: the stage outputs, the report settings and mode."""

    outs: StageOutputs
    config: ReportConfig
    mode: str
    project_name: str = ""
    #: the project's service catalogue (built-ins and ``services:``): descriptions of codes
    services: Catalogue = field(default_factory=lambda: BY_CODE, compare=False, repr=False)
    #: whether carecase.yaml has a CBA model (``cba.model`` or ``cba.inline``): without one the
    #: cba stage skips, and the report says how to add one rather than to run the stage
    cba_configured: bool = True
    #: whether carecase.yaml reads extracts (ingest sources or a population register): then a
    #: core stage with no outputs makes the report incomplete, said first (a CBA-only project
    #: has none to run)
    data_configured: bool = False
    # figures derived from the outputs that several sections need (read once per report)
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def shown(self, table: Table) -> list[dict[str, Any]]:
        """The table's rows after disclosure control — chart data from counts uses these,
        so a chart never shows a number its table hides."""
        disclose_table(table, self.config.suppression, self.mode)
        return [dict(r) for r in table.shown]
