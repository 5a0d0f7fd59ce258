"""What the evaluation reads of the costing, per service, from one query of the costed events:
the fiscal part of its £ (the rest is economic: self-funders' share of care costs) and what
its ``units`` measure counts (the costing basis)."""

from __future__ import annotations

from typing import Any

import ibis
import pandas as pd

from carecase.core.engine import Engine
from carecase.core.exact import exact_sum
from carecase.core.services import BY_CODE, Catalogue
from carecase.costs.mapping import activity_unit

COLUMNS = ["service_code", "basis", "value_type", "cost", "activity"]


def service_costing(engine: Engine, events: Any) -> pd.DataFrame:
    """Per service, basis and value type: £ (transfers apart, as in the audit) and the events
    counted (``activity_row``). Empty for events not costed by carecase (no value types)."""
    cols = set(events.columns)
    if not {"service_code", "basis", "value_type", "cost"} <= cols:
        return pd.DataFrame(columns=COLUMNS)
    cost = events.cost.cast("float64").coalesce(0.0)
    kept = ~events.transfer.fill_null(False) if "transfer" in cols else ibis.literal(True)
    activity = events.activity_row.cast("int64").sum() if "activity_row" in cols else events.count()
    return engine.to_pandas(events.group_by(["service_code", "basis", "value_type"]).aggregate(
        cost=exact_sum(cost, where=kept), activity=activity).order_by(["service_code", "basis", "value_type"]))


def fiscal_shares(costing: pd.DataFrame) -> dict[str, float]:
    """Per service, the fiscal part of its £. Each service is priced by one unit cost whose
    split is fixed, so its matched £ effect splits in the same proportion, and the CBA books
    the economic part to the Individual, not the agency's budget."""
    if costing.empty:
        return {}
    total = costing.groupby("service_code")["cost"].sum()
    fiscal = costing[costing["value_type"] == "fiscal"].groupby("service_code")["cost"].sum()
    return {str(code): float(fiscal.get(code, 0.0)) / float(t) for code, t in total.items() if float(t) > 0}


def measured_units(costing: pd.DataFrame, catalogue: Catalogue = BY_CODE) -> dict[str, str]:
    """Per service, what its ``units`` measure counts: the basis most of its events were
    costed on (a non-elective admission costed per episode counts episodes, not the
    catalogue's bed days; drug and alcohol treatment costed per year counts years)."""
    if costing.empty:
        return {}
    per = costing.groupby(["service_code", "basis"], as_index=False)["activity"].sum()
    per = per.sort_values(["service_code", "activity", "basis"], ascending=[True, False, True], kind="stable")
    out: dict[str, str] = {}
    for code, basis in zip(per["service_code"].astype(str), per["basis"].astype(str), strict=True):
        if code not in out:  # as the audit names it (cost_by_service's activity_unit)
            out[code] = activity_unit(basis, catalogue.get(code))
    return out
