"""Small seeded synthetic ``events`` / ``people`` / ``programme`` tables in the contract of
docs/architecture.md, for tests and benchmarks of costing and the audit (vectorised numpy;
the real tables come from the link stage)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from carecase.core.random import generator
from carecase.core.services import SERVICES

# relative frequency of each service among events
WEIGHTS = {
    "AE_ATTEND": 12, "NEL_ADMIT": 3, "EL_ADMIT": 2, "MH_INPATIENT": 1, "GP_APPT": 50,
    "AMBULANCE": 5, "ASC_HOMECARE": 2, "ASC_RESIDENTIAL": 1, "HOU_HOMELESS_APP": 2,
    "HOU_TEMP_ACCOM": 2, "POL_CUSTODY": 4, "DA_TREATMENT": 1,
}
LOCALITIES = ("North", "South", "East", "West", "Central")


def _ids(idx: np.ndarray) -> pa.Array:
    s = pc.cast(pa.array(idx.astype(np.int64)), pa.string())
    s = pc.utf8_lpad(s, 8, "0")
    return pc.binary_join_element_wise(pa.scalar("P"), s, "")


def synthetic_events(
    n_events: int, n_people: int, seed: int, start: dt.date = dt.date(2022, 4, 1),
    end: dt.date = dt.date(2024, 4, 1), open_ended_share: float = 0.01, offset: int = 0,
) -> pa.Table:
    """``n_events`` events over ``[start, end)``; ``offset`` numbers ``source_row``."""
    rng = generator(seed, "costs-synthetic-events", offset)
    codes = list(WEIGHTS)
    p = np.array([WEIGHTS[c] for c in codes], dtype=float)
    svc_idx = rng.choice(len(codes), size=n_events, p=p / p.sum())
    by = {s.code: s for s in SERVICES}
    table = {c: i for i, c in enumerate(codes)}
    kinds = np.array([by[c].kind for c in codes])
    kind = kinds[svc_idx]
    # skewed use: a few people use most services
    person = (rng.pareto(1.2, n_events) * n_people / 20).astype(np.int64) % n_people
    span = (end - start).days
    day0 = np.datetime64(start, "D")
    start_d = day0 + rng.integers(0, span, n_events).astype("timedelta64[D]")
    length = np.where(
        kind == "package", rng.integers(7, 400, n_events),
        np.where(kind == "spell", rng.geometric(0.15, n_events), 0),
    )
    end_d = start_d + length.astype("timedelta64[D]")
    ranged = (kind == "spell") | (kind == "package")
    open_mask = ranged & (rng.random(n_events) < open_ended_share)
    end_valid = ranged & ~open_mask
    qty = np.ones(n_events)
    home = svc_idx == table["ASC_HOMECARE"]
    qty[home] = rng.integers(2, 30, int(home.sum()))
    gp = svc_idx == table["GP_APPT"]
    qty[gp] = rng.integers(1, 4, int(gp.sum()))
    qty_valid = kind != "spell"
    names = np.array(codes)[svc_idx]
    return pa.table({
        "person_id": _ids(person),
        "agency_l1": pa.array(np.array([by[c].agency_l1 for c in codes])[svc_idx]),
        "agency_l2": pa.array(np.array([by[c].agency_l2 for c in codes])[svc_idx]),
        "service_code": pa.array(names),
        "area_of_need": pa.array(np.array([by[c].area_of_need for c in codes])[svc_idx]),
        "kind": pa.array(kind),
        "start_date": pa.array(start_d, type=pa.date32()),
        "end_date": pa.array(end_d, type=pa.date32(), mask=~end_valid),
        "quantity": pa.array(qty, type=pa.float64(), mask=~qty_valid),
        "unit": pa.array(np.array([by[c].unit for c in codes])[svc_idx]),
        "source": pa.array(np.array([f"src_{by[c].agency_l2.lower().replace(' ', '_')}" for c in codes])[svc_idx]),
        "batch_id": pa.array(np.full(n_events, "b1")),
        "source_row": pa.array(np.arange(offset + 1, offset + n_events + 1, dtype=np.int64)),
    })


def synthetic_people(n_people: int, seed: int) -> pa.Table:
    rng = generator(seed, "costs-synthetic-people")
    return pa.table({
        "person_id": _ids(np.arange(n_people)),
        "sex": pa.array(rng.choice(np.array(["F", "M"]), n_people)),
        "birth_date": pa.array(
            (np.datetime64("1940-01", "M") + rng.integers(0, 720, n_people)).astype("datetime64[D]"),
            type=pa.date32()),
        "deprivation_decile": pa.array(rng.integers(1, 11, n_people)),
        "locality": pa.array(np.array(LOCALITIES)[rng.integers(0, len(LOCALITIES), n_people)]),
        "registered_from": pa.array(np.full(n_people, np.datetime64("2000-01-01")), type=pa.date32()),
        "registered_to": pa.nulls(n_people, pa.date32()),
        "date_of_death": pa.nulls(n_people, pa.date32()),
        "in_population": pa.array(np.ones(n_people, dtype=bool)),
    })


def synthetic_programme(n_people: int, seed: int, share: float = 0.05) -> pa.Table:
    rng = generator(seed, "costs-synthetic-programme")
    k = max(1, int(n_people * share))
    who = np.sort(rng.choice(n_people, size=k, replace=False))
    st = np.datetime64("2023-01-01") + rng.integers(0, 180, k).astype("timedelta64[D]")
    return pa.table({
        "person_id": _ids(who),
        "start_date": pa.array(st, type=pa.date32()),
        "end_date": pa.array(st + np.timedelta64(365, "D"), type=pa.date32()),
    })
