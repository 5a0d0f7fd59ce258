"""Unit costs section: the unit cost every service's events were costed with, one row per
service, unit-cost code and value type used (out/costs/cost_by_service names them; the
figures, their sources and how they were uprated come from out/costs/unit_costs, the
library at the project's price year).

Two tables, so that each fits a printed page: *Unit costs used in the costing* answers a
board member's "what does an A&E attendance cost us?" (service, code, description, unit,
paying agency, value type, £ at the price year, default or local figure); *Where each unit
cost comes from* gives, per code and value type, the source, its own price year and value,
the uprating factor and whether the index was approximate. The workbook has both as sheets.

Unit costs are published prices, not counts of people, so nothing here is suppressed; the
tables hold no count of events or people (``cost_by_service``'s counts are never read). With
them published, a point service's £ is its events × its unit cost: the audit's cost tables
therefore hide a row's events and people together, and its £ with them
(``audit.protect_cost_tables``)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from carecase.core.dates import fiscal_year_label
from carecase.core.services import BY_CODE, Catalogue
from carecase.report.content import Block, Note, Paragraph, Section
from carecase.report.sections.common import Context, F, Field, frame_table, missing_table, not_run

#: columns of out/costs/cost_by_service naming what was used (its counts are never read)
USED = ("service_code", "unit_cost_code", "value_type")
#: columns of out/costs/unit_costs the table cannot do without
NEEDED = ("code", "value_type", "value")
INDEX_NAMES = {"hmt_gdp": "HM Treasury GDP deflator"}
ORIGIN = {"default": "default library", "imported": "local library", "override": "local override"}


def financial_year(year: Any) -> str | None:
    """2013 → '2013/14' (None for a missing or non-numeric year)."""
    try:
        y = int(year)
    except (TypeError, ValueError):
        return None
    return fiscal_year_label(y)


def cost_at(price_year: str | None) -> Field:
    return F("value", f"Cost at {price_year} prices (£)" if price_year else "Cost at the price year (£)", "gbp2")


def register_fields(price_year: str | None) -> list[Field]:
    return [F("service", "Service"), F("unit_cost_code", "Unit-cost code"), F("description", "Description"),
            F("unit", "Unit"), F("agency", "Agency in the source"), F("value_type", "Value type"), cost_at(price_year),
            F("origin", "Figure from")]


def source_fields(price_year: str | None) -> list[Field]:
    return [F("unit_cost_code", "Unit-cost code"), F("value_type", "Value type"), F("source", "Source"),
            F("base_year", "Source's price year"), F("base_value", "Source's value (£)", "gbp2"),
            F("uprate_factor", "Uprating factor", "factor"), F("index_approximate", "Index approximate"),
            cost_at(price_year)]


def _text(v: Any) -> str | None:
    """Stripped text, or None for a blank or missing value."""
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    return str(v).strip() or None


def _yes_no(v: Any) -> str | None:
    text = _text(v)
    return None if text is None else ("yes" if text.lower() in ("true", "1", "yes") else "no")


def used_unit_costs(library: pd.DataFrame, used: pd.DataFrame, services: Catalogue = BY_CODE) -> pd.DataFrame:
    """One row per (service, unit-cost code, value type) of ``used`` (out/costs/cost_by_service)
    with that code's library row (out/costs/unit_costs), in the report's columns; a code the
    library lacks keeps its row, with blanks. A transfer (a benefit payment, costed apart and
    never added to the cost totals) says so in its value type. ``services``: the project's
    catalogue, whose descriptions name the services."""
    keys = used[list(USED)].drop_duplicates()
    df = keys.merge(library, left_on=["unit_cost_code", "value_type"], right_on=["code", "value_type"], how="left")

    def col(name: str) -> pd.Series:
        return df[name] if name in df.columns else pd.Series([None] * len(df), index=df.index, dtype="object")

    def agency(l1: Any, l2: Any) -> str | None:
        a, b = _text(l1), _text(l2)
        return f"{a} – {b}" if a and b and a != b else a or b

    out = pd.DataFrame({
        "service": [f"{services[s].description} ({s})" if s in services else s for s in df["service_code"]],
        "service_code": df["service_code"],
        "unit_cost_code": df["unit_cost_code"],
        "description": [_text(v) for v in col("description")],
        "unit": [_text(v) for v in col("unit")],
        "agency": [agency(a, b) for a, b in zip(col("agency_l1"), col("agency_l2"), strict=True)],
        "value_type": [f"{v}, transfer" if _yes_no(t) == "yes" else v
                       for v, t in zip(df["value_type"], col("transfer"), strict=True)],
        "value": pd.to_numeric(col("value"), errors="coerce"),
        "source": [_text(v) for v in col("source")],
        "base_year": [financial_year(v) for v in col("base_price_year")],
        "base_value": pd.to_numeric(col("base_value"), errors="coerce"),
        "uprate_factor": pd.to_numeric(col("uprate_factor"), errors="coerce"),
        "index": [INDEX_NAMES.get(str(v), str(v)) if _text(v) else None for v in col("index_name")],
        "index_approximate": [_yes_no(v) for v in col("index_approximate")],
        "origin": [ORIGIN.get(str(v), _text(v)) for v in col("provenance")],
        "_base_year": pd.to_numeric(col("base_price_year"), errors="coerce"),
        "_fiscal_first": [str(v) != "fiscal" for v in df["value_type"]],
    })
    return out.sort_values(["service_code", "unit_cost_code", "_fiscal_first", "value_type"],
                           kind="mergesort").reset_index(drop=True)


def _index(df: pd.DataFrame) -> str:
    """The price index (or indices) the figures were uprated with, by name."""
    names = sorted({str(v) for v in df["index"].dropna()})
    return " and ".join(names) if names else "a price index"


def register_note(df: pd.DataFrame) -> str:
    text = ("Figure from: 'default library' = carecase's shipped, cited library; 'local override' = the "
            "partnership's own figure, from the CSV named by costs.overrides")
    if (df["origin"] == ORIGIN["imported"]).any():
        text += "; 'local library' = from the library CSV named by costs.library"
    return text + (". 'Agency in the source' is the agency the source's unit cost was measured in; the audit "
                   "charges each service's cost to that service's own agency (Cost by service). 'Where each unit "
                   "cost comes from' gives each figure's source and how it was uprated.")


def sources_note(df: pd.DataFrame, price_year: str | None) -> str:
    text = (f"Cost at {price_year or 'the price year'} prices = source's value × uprating factor, the rise in the "
            f"{_index(df)} since the source's price year")
    if (df["index_approximate"] == "yes").any():
        text += " (approximate where a year's deflator was not yet published and the last one was carried forward)"
    return text + "."


def explanation(df: pd.DataFrame, price_year: str | None) -> str:
    """The paragraph before the tables: the price year, how older figures were brought to it,
    and how a partnership puts its own figures in their place."""
    at = f"{price_year} prices, the project's price year" if price_year else "the project's price year"
    text = (f"What one unit of each service costs in this report (one attendance, one bed day, one week of "
            f"care): the figure every event of that service was costed with, at {at} (costs.price_year). ")
    years = sorted({int(y) for y in df["_base_year"].dropna()})
    if years:
        span = (financial_year(years[0]) if len(years) == 1
                else f"{financial_year(years[0])} to {financial_year(years[-1])}")
        text += (f"Each figure comes from a published source (cited in 'Where each unit cost comes from'), priced "
                 f"in that source's own year ({span} here), and was brought to {price_year or 'the price year'} "
                 f"prices by multiplying it by the rise in the {_index(df)} since then (the uprating factor). ")
    if (df["index_approximate"] == "yes").any():
        text += ("Where the index is marked approximate, a year's deflator was not yet published and the last "
                 "published one was carried forward, so those figures may move a little when it is. ")
    if "economic" in set(df["value_type"].astype(str).str.split(",").str[0]):
        text += ("Fiscal figures are what public bodies pay; economic figures are the rest of the cost, such as "
                 "the share of care that people pay for themselves. ")
    text += ("An old or national figure may not match what services cost locally: the partnership can replace "
             "any of them with its own in the CSV named by costs.overrides in carecase.yaml (see "
             "docs/costs-and-audit.md) and re-run `carecase run PROJECT`; the tables then mark the row "
             "'local override'. These are published prices, not counts of people, so none is hidden.")
    return text


def build(ctx: Context) -> Section:
    sec = Section("unit-costs", "Unit costs")
    if not ctx.outs.has_stage("costs"):
        sec.blocks.append(not_run("costs", "the unit costs used"))
        return sec
    blocks: list[Block] = []
    library, used = ctx.outs.table("costs", "unit_costs"), ctx.outs.table("costs", "cost_by_service")
    for name, df, needed in (("unit_costs", library, NEEDED), ("cost_by_service", used, USED)):
        if df is None:
            blocks.append(missing_table("costs", name))
        elif any(c not in df.columns for c in needed):
            blocks.append(Note(f"Not available: out/costs/{name}.parquet lacks "
                               f"{', '.join(c for c in needed if c not in df.columns)} (written by an older "
                               "costs stage). Run `carecase costs PROJECT` and rebuild the report.", kind="not_run"))
    if blocks or library is None or used is None:
        sec.blocks.extend(blocks)
        return sec
    summary = ctx.outs.json("costs", "summary.json") or {}
    # unit_costs' price_year is the year every value was uprated to; the summary's says the same
    years = set(pd.to_numeric(library["price_year"], errors="coerce").dropna().astype(int)) \
        if "price_year" in library.columns else set()
    price_year = financial_year(years.pop() if len(years) == 1 else summary.get("price_year"))
    df = used_unit_costs(library, used, ctx.services)
    sec.blocks.append(Paragraph(explanation(df, price_year)))
    sec.blocks.append(frame_table("unit-cost-register", "Unit costs used in the costing", df,
                                  register_fields(price_year), note=register_note(df),
                                  protect_rows=False, protect_columns=False))
    sources = df.drop_duplicates(["unit_cost_code", "value_type"])  # a code two services use: once
    sec.blocks.append(frame_table("unit-cost-sources", "Where each unit cost comes from and how it was uprated",
                                  sources, source_fields(price_year), note=sources_note(sources, price_year),
                                  protect_rows=False, protect_columns=False))
    return sec
