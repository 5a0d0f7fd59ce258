"""Costed events for the audit's spec tests: one A&E attendance (a point event on 5 January
2023, NHS acute, fiscal, physical health) per row, with each row's person and £."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa


def ae_attendances(people: list[str], costs: list[float]) -> pa.Table:
    n = len(people)
    return pa.table({
        "person_id": people,
        "agency_l1": ["NHS"] * n, "agency_l2": ["Acute"] * n, "service_code": ["AE_ATTEND"] * n,
        "area_of_need": ["Physical health"] * n, "value_type": ["fiscal"] * n, "transfer": [False] * n,
        "kind": ["point"] * n,
        "start_date": pa.array([dt.date(2023, 1, 5)] * n, pa.date32()),
        "cost_end_date": pa.array([dt.date(2023, 1, 6)] * n, pa.date32()),
        "days": pa.array([1] * n, pa.int64()), "units": [1.0] * n,
        "cost": costs,
    })
