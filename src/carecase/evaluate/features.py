"""Propensity-model covariates from the pre-period window summaries (per row, pandas).

Per service: pre-period use (``log1p`` of events for point/count services, of units — bed
days, hours — for spells and packages, or of their events with ``matching.spell_measure:
events``; with ``both``, a spell or package service's pre-period spells beside its units)
and, at the richer level, the same over the last 3
months. Totals: ``log1p`` events in the last 3 months and the last month, the recent trend
``log1p(last 3 months) - log1p(earlier months scaled to 3 months)`` and ``log1p`` pre £.
With ``matching.history_months``, also use per service in the ``hist`` window (the months
before the pre-period): a person whose pre-period use is high only because of a recent crisis
has little use there, one with lasting need has more. Then age at the index date (the
median, with an ``age_unknown`` indicator, for people with no birth date), sex,
deprivation decile and configured people columns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from carecase.core.errors import EvaluationError
from carecase.core.services import BY_CODE, Catalogue
from carecase.evaluate.cohort import age_years

BASE = 0
RICH = 1


def _measure(service: str, catalogue: Catalogue = BY_CODE) -> str:
    svc = catalogue.get(service)
    return "units" if svc is not None and svc.kind in ("spell", "package") else "events"


def covariates(
    rows: pd.DataFrame,
    people: pd.DataFrame,
    amounts: pd.DataFrame,
    pre_months: int,
    services: list[str],
    extra: list[str],
    level: int = RICH,
    history: bool = False,
    spell_measure: str = "units",
    catalogue: Catalogue = BY_CODE,
) -> pd.DataFrame:
    """Covariate frame indexed by row_id (sorted), one column per covariate; ``catalogue``
    (the project's services) says which are spells or packages, measured in units."""
    ids = np.sort(rows["row_id"].to_numpy())
    a = amounts[amounts["service_code"].isin(services)]
    row_id = a["row_id"].to_numpy()
    pos = np.minimum(np.searchsorted(ids, row_id), max(len(ids) - 1, 0))
    found = (ids[pos] == row_id) if len(ids) else np.zeros(len(a), bool)
    cells = a.groupby([a["window"].astype(str), a["service_code"].astype(str)], sort=False).indices
    values = {m: a[m].to_numpy(float) for m in ("events", "units", "cost")}

    def col(measure: str, window: str, service: str) -> np.ndarray:
        """One (measure, window, service) column per row id: a scatter, not a pivot."""
        at = cells.get((window, service))
        if at is None:
            return np.zeros(len(ids))
        at = at[found[at]]
        return np.bincount(pos[at], weights=values[measure][at], minlength=len(ids))

    def total(measure: str, window: str) -> np.ndarray:
        return sum((col(measure, window, s) for s in services), np.zeros(len(ids)))

    def measure(service: str) -> str:
        return "events" if spell_measure == "events" else _measure(service, catalogue)

    out: dict[str, np.ndarray] = {}
    for s in services:
        out[f"pre_{s}"] = np.log1p(col(measure(s), "pre", s))
    if spell_measure == "both":  # the spells too: the rate the difference compares
        for s in services:
            if _measure(s, catalogue) == "units":
                out[f"pre_spells_{s}"] = np.log1p(col("events", "pre", s))
    if history:
        for s in services:
            out[f"hist_{s}"] = np.log1p(col(measure(s), "hist", s))
    last3 = total("events", "last3")
    earlier = np.maximum(total("events", "pre") - last3, 0.0) * 3.0 / max(pre_months - 3, 1)
    out["last3_events"] = np.log1p(last3)
    out["trend"] = np.log1p(last3) - np.log1p(earlier)
    if level >= RICH:
        for s in services:
            out[f"last3_{s}"] = np.log1p(col(measure(s), "last3", s))
        out["last1_events"] = np.log1p(total("events", "last1"))
        out["pre_cost"] = np.log1p(total("cost", "pre"))
    r = rows.set_index("row_id").loc[ids]
    ppl = people.set_index("person_id")
    who = ppl.loc[r["person_id"].to_numpy()]
    out["age"] = age_years(who["birth_date"].reset_index(drop=True), r["index_date"].to_numpy())
    sex = who["sex"].astype("string").fillna("unknown").to_numpy()
    levels = sorted(set(sex))
    for lv in levels[1:]:
        out[f"sex_{lv}"] = (sex == lv).astype(float)
    dep = pd.to_numeric(who["deprivation_decile"], errors="coerce").to_numpy(float)
    out["deprivation_decile"] = np.where(np.isnan(dep), np.nanmedian(dep) if np.isfinite(dep).any() else 5.0, dep)
    for c in extra:
        if c not in people.columns:
            raise EvaluationError(
                f"evaluation.matching.covariates: column {c!r} is not in the people table; "
                f"use one of: {', '.join(sorted(people.columns))}."
            )
        v = pd.to_numeric(who[c], errors="coerce").to_numpy(float)
        if np.isnan(v).all():
            raise EvaluationError(
                f"evaluation.matching.covariates: column {c!r} is not numeric; encode it as "
                "numbers or list it under evaluation.matching.exact instead."
            )
        out[c] = np.where(np.isnan(v), np.nanmedian(v), v)
    age = out["age"]
    out["age"] = np.where(np.isnan(age), np.nanmedian(age) if np.isfinite(age).any() else 0.0, age)
    if np.isnan(age).any():  # the missing-indicator method: the median alone hides who lacks it
        out["age_unknown"] = np.isnan(age).astype(float)
    return _one_block(out, ids)


def _one_block(columns: dict[str, np.ndarray], ids: np.ndarray) -> pd.DataFrame:
    """The covariate frame over one float block, laid out as pandas lays out its own
    (column by column): ``to_numpy`` is then a view where a frame of several blocks copies
    every value each time (a million rows × 30 covariates is 240 MB, read five times)."""
    values = np.empty((len(ids), len(columns)), order="F")
    for j, column in enumerate(columns.values()):
        values[:, j] = column
    return pd.DataFrame(values, index=pd.Index(ids, name="row_id"), columns=list(columns), copy=False)


def rich_only(services: list[str]) -> set[str]:
    """The covariates the rich level (``level=RICH``) adds to the base."""
    return {f"last3_{s}" for s in services} | {"last1_events", "pre_cost"}


def base_covariates(rich: pd.DataFrame, services: list[str]) -> pd.DataFrame:
    """The base covariates (``level=BASE``) taken from the rich frame, which holds them all,
    instead of computing them a second time."""
    extra = rich_only(services)
    return rich[[c for c in rich.columns if c not in extra]]


def exact_keys(rows: pd.DataFrame, people: pd.DataFrame, exact: list[str]) -> np.ndarray:
    """A string key per row (sorted by row_id) joining the exact-match variables."""
    ids = np.sort(rows["row_id"].to_numpy())
    if not exact:
        return np.full(len(ids), "", dtype=object)
    missing = [c for c in exact if c not in people.columns]
    if missing:
        raise EvaluationError(
            f"evaluation.matching.exact: {missing} not in the people table; "
            f"use columns from: {', '.join(sorted(people.columns))}."
        )
    r = rows.set_index("row_id").loc[ids]
    who = people.set_index("person_id").loc[r["person_id"].to_numpy(), exact]
    return who.astype("string").fillna("NA").agg("|".join, axis=1).to_numpy(object)
