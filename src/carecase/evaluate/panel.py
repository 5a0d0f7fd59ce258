"""Outcome panel: amounts per row × window × (key_type, key, measure), and observed days.

Keys: ``service`` (service_code), ``agency`` (``agency_l1 / agency_l2``) and ``total``.
Measures: ``events``, ``units`` (service rows only: units of different services do not
add up) and ``cost`` (£ at the project price year).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class Panel:
    row_ids: np.ndarray  # sorted unique row ids
    windows: tuple[str, ...]  # "pre" first
    columns: pd.DataFrame  # key_type, key, measure — one row per column of ``amount``
    amount: np.ndarray  # (rows, windows, columns)
    days: np.ndarray  # (rows, windows)

    def position(self, row_id: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.row_ids, row_id)


def long_amounts(amounts: pd.DataFrame, services: list[str]) -> pd.DataFrame:
    """Window summaries → long rows (row_id, window, key_type, key, measure, value)."""
    a = amounts[amounts["service_code"].isin(services)].copy()
    a["agency"] = a["agency_l1"].astype(str) + " / " + a["agency_l2"].astype(str)
    parts = []
    svc = a.groupby(["row_id", "window", "service_code"], as_index=False)[["events", "units", "cost"]].sum()
    parts.append(svc.rename(columns={"service_code": "key"}).assign(key_type="service")
                 .melt(id_vars=["row_id", "window", "key_type", "key"], var_name="measure"))
    ag = a.groupby(["row_id", "window", "agency"], as_index=False)[["events", "cost"]].sum()
    parts.append(ag.rename(columns={"agency": "key"}).assign(key_type="agency")
                 .melt(id_vars=["row_id", "window", "key_type", "key"], var_name="measure"))
    tot = a.groupby(["row_id", "window"], as_index=False)[["events", "cost"]].sum()
    parts.append(tot.assign(key_type="total", key="all")
                 .melt(id_vars=["row_id", "window", "key_type", "key"], var_name="measure"))
    return pd.concat(parts, ignore_index=True)


def build_panel(
    amounts: pd.DataFrame,
    person_time: pd.DataFrame,
    services: list[str],
    windows: list[str],
    row_ids: np.ndarray,
) -> Panel:
    row_ids = np.unique(row_ids)
    long = long_amounts(amounts, services)
    cols = pd.concat([
        pd.DataFrame({"key_type": "service", "key": s, "measure": m}
                     for s in services for m in ("events", "units", "cost")),
        long[long["key_type"] != "service"][["key_type", "key", "measure"]].drop_duplicates(),
    ], ignore_index=True)
    type_order = {"service": 0, "agency": 1, "total": 2}
    cols = cols.assign(_t=cols["key_type"].map(type_order)).sort_values(
        ["_t", "key", "measure"], kind="stable").drop(columns="_t").reset_index(drop=True)
    col_pos = {tuple(r): i for i, r in enumerate(cols.itertuples(index=False, name=None))}
    win_pos = {w: i for i, w in enumerate(windows)}
    amount = np.zeros((len(row_ids), len(windows), len(cols)))
    long = long[long["window"].isin(windows) & long["row_id"].isin(row_ids)]
    if len(long):
        r = np.searchsorted(row_ids, long["row_id"].to_numpy())
        w = long["window"].map(win_pos).to_numpy()
        c = np.array([col_pos[t] for t in zip(long["key_type"], long["key"], long["measure"], strict=True)])
        np.add.at(amount, (r, w, c), long["value"].to_numpy(float))
    days = np.zeros((len(row_ids), len(windows)))
    pt = person_time[person_time["window"].isin(windows) & person_time["row_id"].isin(row_ids)]
    days[np.searchsorted(row_ids, pt["row_id"].to_numpy()), pt["window"].map(win_pos).to_numpy()] = (
        pt["days"].to_numpy(float)
    )
    return Panel(row_ids, tuple(windows), cols, amount, days)


def set_sums(panel: Panel, members: pd.DataFrame) -> tuple[np.ndarray, ...]:
    """Per matched set: treated amount (S,W,Q), treated days (S,W), control weighted amount,
    control weighted days. ``members`` has set_id, row_id, treated, weight."""
    sets, s_idx = np.unique(members["set_id"].to_numpy(), return_inverse=True)
    pos = panel.position(members["row_id"].to_numpy())
    w = members["weight"].to_numpy(float)
    t = members["treated"].to_numpy(bool)
    shape_a = (len(sets), *panel.amount.shape[1:])
    ta, ca = np.zeros(shape_a), np.zeros(shape_a)
    td, cd = np.zeros((len(sets), panel.days.shape[1])), np.zeros((len(sets), panel.days.shape[1]))
    np.add.at(ta, s_idx[t], panel.amount[pos[t]])
    np.add.at(td, s_idx[t], panel.days[pos[t]])
    np.add.at(ca, s_idx[~t], panel.amount[pos[~t]] * w[~t, None, None])
    np.add.at(cd, s_idx[~t], panel.days[pos[~t]] * w[~t, None])
    return ta, td, ca, cd


def cluster_sums(members: pd.DataFrame, *per_set: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per-set arrays (in ``set_id`` order, as from ``set_sums``) summed to the bootstrap's
    independent units: ``members["cluster"]`` when present (matched sets joined through a
    shared person, see ``evaluate.clusters``), else each set on its own."""
    if "cluster" not in members.columns:
        return per_set
    by_set = members.drop_duplicates("set_id").sort_values("set_id", kind="stable")
    _, c_idx = np.unique(by_set["cluster"].to_numpy(), return_inverse=True)
    out = []
    for arr in per_set:
        acc = np.zeros((int(c_idx.max()) + 1 if c_idx.size else 0, *arr.shape[1:]))
        np.add.at(acc, c_idx, arr)
        out.append(acc)
    return tuple(out)


def rates(amount: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Per person-year rates: summed amount / summed days × 365.25 (amount (...,W,Q),
    days (...,W)); NaN where no person-time."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(days[..., None] > 0, amount / days[..., None] * DAYS_PER_YEAR, np.nan)


def resample_counts(n: int, draws: int, rng: np.random.Generator) -> np.ndarray:
    """Bootstrap multiplicities (draws × n): how often each cluster is drawn."""
    return rng.multinomial(n, np.full(n, 1.0 / n), size=draws).astype(float)


def parents(amounts: pd.DataFrame, services: list[str]) -> dict[tuple[str, str], str]:
    """The row each panel row adds up into: a service's agency (``agency_l1 / agency_l2``,
    when all its events are that agency's; '' when they are split between agencies), an
    agency's the total ('all'), the total's nothing (''). An agency row is the sum of the
    service rows that name it, and the total the sum of the agencies and of the services; the
    report needs this to stop one hidden row coming back by subtraction."""
    a = amounts[amounts["service_code"].isin(services)]
    agency = a["agency_l1"].astype(str) + " / " + a["agency_l2"].astype(str)
    by_service = agency.groupby(a["service_code"].astype(str)).agg(lambda x: sorted(set(x)))
    out: dict[tuple[str, str], str] = {("total", "all"): ""}
    for code, names in by_service.items():
        out[("service", str(code))] = names[0] if len(names) == 1 else ""
        for name in names:
            out[("agency", name)] = "all"
    return out
