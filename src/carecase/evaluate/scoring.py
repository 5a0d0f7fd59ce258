"""Scoring of public outcome instruments. No licensed item text is shipped — only the
published scoring rules (numbers).

- WEMWBS: 14 items scored 1–5, total = sum (14–70). Tennant R et al. (2007) The
  Warwick-Edinburgh Mental Well-being Scale (WEMWBS): development and UK validation.
  Health Qual Life Outcomes 5:63.
- SWEMWBS: 7 items scored 1–5, raw total 7–35, converted to a metric score with the Rasch
  conversion table published by Warwick Medical School (SWEMWBS conversion table), from
  Stewart-Brown S et al. (2009) Internal construct validity of the Warwick-Edinburgh Mental
  Well-being Scale (WEMWBS): a Rasch analysis using data from the Scottish Health Education
  Population Survey. Health Qual Life Outcomes 7:15.
- EQ-5D: index = 1 − Σ decrement(dimension, level) − constant (if any dimension is above
  level 1) − N3 (if any dimension is at level 3), from a value set CSV the user supplies
  (e.g. a licensed national tariff) with columns ``dimension,level,decrement``; the rows
  ``constant`` and ``N3`` (level blank) are optional.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from carecase.core.errors import EvaluationError

#: SWEMWBS raw total → metric score (Warwick Medical School conversion table).
SWEMWBS_METRIC: dict[int, float] = {
    7: 7.00, 8: 9.51, 9: 11.25, 10: 12.40, 11: 13.33, 12: 14.08, 13: 14.75, 14: 15.32,
    15: 15.84, 16: 16.36, 17: 16.88, 18: 17.43, 19: 17.98, 20: 18.59, 21: 19.25, 22: 19.98,
    23: 20.73, 24: 21.54, 25: 22.35, 26: 23.21, 27: 24.11, 28: 25.03, 29: 26.02, 30: 27.03,
    31: 28.13, 32: 29.31, 33: 30.70, 34: 32.55, 35: 35.00,
}


def _items(items: np.ndarray, n_items: int, name: str) -> np.ndarray:
    x = np.asarray(items, dtype=float)
    if x.ndim != 2 or x.shape[1] != n_items:
        raise EvaluationError(f"{name} needs {n_items} items per person; got shape {x.shape}.")
    bad = ~np.isnan(x) & ((x < 1) | (x > 5) | (x != np.round(x)))
    if bad.any():
        raise EvaluationError(f"{name} items must be whole numbers 1–5; found {np.unique(x[bad])[:5]}. "
                              "Check outcome_scores.score for this instrument.")
    return x


def wemwbs_total(items: np.ndarray) -> np.ndarray:
    """WEMWBS total (14–70); NaN when any item is missing."""
    return _items(items, 14, "WEMWBS").sum(axis=1)


def swemwbs_raw(items: np.ndarray) -> np.ndarray:
    return _items(items, 7, "SWEMWBS").sum(axis=1)


def swemwbs_metric(raw: np.ndarray) -> np.ndarray:
    """Metric SWEMWBS score for raw totals 7–35 (NaN for missing)."""
    raw = np.asarray(raw, dtype=float)
    out = np.full(raw.shape, np.nan)
    ok = ~np.isnan(raw)
    if np.any(ok & ((raw < 7) | (raw > 35) | (raw != np.round(raw)))):
        raise EvaluationError("SWEMWBS raw totals must be whole numbers 7–35.")
    out[ok] = [SWEMWBS_METRIC[int(v)] for v in raw[ok]]
    return out


def load_value_set(path: str | Path) -> pd.DataFrame:
    p = Path(path)
    if not p.exists():
        raise EvaluationError(f"EQ-5D value set {p} not found; set evaluation.instruments[].value_set "
                              "to a CSV with columns dimension,level,decrement.")
    vs = pd.read_csv(p, dtype={"dimension": str})
    missing = {"dimension", "level", "decrement"} - set(vs.columns)
    if missing:
        raise EvaluationError(f"{p}: missing column(s) {sorted(missing)}; need dimension,level,decrement.")
    return vs


#: Value-set terms without a level: ``constant`` (taken off when any dimension is above
#: level 1) and ``N3`` (when any dimension is at level 3), as in Dolan (1997).
_TERMS = ("constant", "N3")


def eq5d_index(profiles: pd.DataFrame, value_set: pd.DataFrame) -> np.ndarray:
    """EQ-5D index per row of ``profiles`` (columns = dimensions, values = levels): 1 − the
    decrement of each dimension's level − ``constant`` (any level above 1) − ``N3`` (any
    level 3). NaN where a dimension is missing (no level is imputed). The columns must be
    the value set's dimensions, every one: an index from four of five read the fifth as
    level 1."""
    vs = value_set.copy()
    vs["dimension"] = vs["dimension"].astype(str)
    special = vs[vs["dimension"].isin(_TERMS)]
    table = vs[~vs["dimension"].isin(_TERMS)]
    blank = table[pd.to_numeric(table["level"], errors="coerce").isna()]
    if len(blank):
        raise EvaluationError(
            f"EQ-5D value set: {', '.join(map(repr, sorted(set(blank['dimension']))))} "
            f"{'has' if blank['dimension'].nunique() == 1 else 'have'} no level. The only terms without a level "
            "are 'constant' (any dimension above level 1) and 'N3' (any dimension at level 3); a value set "
            "with other terms (interactions such as N45, D1 or I2) is not of this additive form.")
    dims = set(table["dimension"])
    cols = {str(c) for c in profiles.columns}
    if dims != cols:
        lacking, extra = sorted(dims - cols), sorted(cols - dims)
        raise EvaluationError(
            "EQ-5D index needs a score for every dimension of the value set, named as it names them: "
            + "; ".join([*([f"the scores have no {', '.join(map(repr, lacking))}"] if lacking else []),
                         *([f"the value set has no {', '.join(map(repr, extra))}"] if extra else [])])
            + ". Name the domains as the value set does (ingest.outcomes[].domains), and leave "
            "evaluation.instruments[].domains empty or list every dimension.")
    dec = {(d, int(lv)): float(v) for d, lv, v in zip(table["dimension"], table["level"], table["decrement"], strict=True)}
    levels = profiles.to_numpy(float)
    known = ~np.isnan(levels)
    if np.any(known & (levels != np.round(levels))):
        raise EvaluationError(f"EQ-5D levels must be whole numbers; found {np.unique(levels[known & (levels != np.round(levels))])[:5]}.")
    total = np.zeros(len(profiles))
    for j, dim in enumerate(profiles.columns):
        col = levels[:, j]
        for lv in np.unique(col[~np.isnan(col)]):
            if int(lv) != 1 and (str(dim), int(lv)) not in dec:
                raise EvaluationError(f"EQ-5D value set has no decrement for {dim!r} level {int(lv)}.")
        total += np.array([dec.get((str(dim), int(v)), 0.0) if not np.isnan(v) else np.nan for v in col])
    const = dict(zip(special["dimension"], special["decrement"].astype(float), strict=True))
    total += np.where((levels > 1).any(axis=1), const.get("constant", 0.0), 0.0)
    total += np.where((levels == 3).any(axis=1), const.get("N3", 0.0), 0.0)
    return 1.0 - total
