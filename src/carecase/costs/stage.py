"""``costs`` stage: uprate the library, cost every event, report what could not be costed.

Reads ``events``; writes store tables ``unit_costs``, ``unmapped_events``, the view
``costed_events`` (computed from ``events``, ``_costs_unit_values`` and
``_costs_service_map`` when read, so it follows ``events``; re-run this stage after changing
the library or the service mapping)
and files ``out/costs/unit_costs.{parquet,csv}``, ``unmapped_events.{parquet,csv}``,
``cost_by_service.{parquet,csv}`` and ``summary.json``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from carecase.core.errors import CostError
from carecase.core.exact import exact_sum
from carecase.core.output import write_table
from carecase.core.project import Project
from carecase.costs.apply import cost_events
from carecase.costs.config import CostsConfig
from carecase.costs.library import load_library
from carecase.costs.mapping import service_map


def project_library(cfg: CostsConfig, project: Project) -> pd.DataFrame:
    """The project's unit costs at ``costs.price_year`` with provenance."""
    return load_library(
        cfg.price_year, overrides=cfg.overrides, library=cfg.library, deflator=cfg.deflator,
        base=project.root, columns=cfg.library_columns or None,
    )


def check_no_double_count(service_map: pd.DataFrame, lib: pd.DataFrame) -> None:
    """A headline cost and one of its constituents must not both cost events (GMCA UCD:
    count one level only)."""
    parent = dict(zip(lib["code"], lib["parent_code"], strict=True))
    used = dict(zip(service_map["unit_cost_code"], service_map["service_code"], strict=True))
    for code, svc in sorted(used.items()):
        p = parent.get(code)
        if isinstance(p, str) and p in used:
            raise CostError(
                f"costs.service_costs: service {svc} uses {code}, a constituent of {p}, which service "
                f"{used[p]} also uses; that counts the same cost twice. Map one of them to another code."
            )


def linked_events_digest(project: Project) -> str | None:
    """The link stage's digest of the events it last wrote (None when link has not recorded one)."""
    digest = (project.read_json("link", "summary.json") or {}).get("events_digest")
    return str(digest) if digest else None


def check_costs_current(project: Project) -> None:
    """Fail when ``events`` has changed since the costs stage last ran.

    ``costed_events`` is a view of ``events``, so after a re-run of ingest or link it would cost
    the new events while ``unmapped_events`` and the costs summary still describe the old ones
    (events of a new, unmapped service would be left out without being reported). Two checks:
    the link stage's digest of the events it wrote (``events_digest`` in its summary, copied
    into the costs summary), which catches any change made by re-running link; and the row
    count, which also covers events written by other means (the API), where only a change of
    size is caught."""
    summary = project.read_json("costs", "summary.json")
    if not summary or "events" not in summary or not project.engine.has_table("events"):
        return
    fix = ("Run `carecase costs apply PROJECT` (or `carecase run PROJECT`) before the audit "
           "and the evaluation.")
    now = int(project.engine.table("events").count().to_pyarrow().as_py())
    if now != int(summary["events"]):
        raise CostError(
            f"Table 'events' has {now:,} rows but the costs stage last ran on {int(summary['events']):,}: "
            f"ingest or link has run since. {fix}"
        )
    costed_from, link_now = summary.get("events_digest"), linked_events_digest(project)
    if costed_from and link_now and costed_from != link_now:
        raise CostError(f"The link stage has written different events (same row count, {now:,}) "
                        f"since the costs stage last ran. {fix}")


def map_frame(cfg: CostsConfig) -> pd.DataFrame:
    rows = service_map(cfg.service_costs, cfg.service_basis)
    return pd.DataFrame(
        {"service_code": [r.service_code for r in rows], "unit_cost_code": [r.unit_cost_code for r in rows],
         "basis": [r.basis for r in rows]}
    )


def run(project: Project, progress: Any = None) -> dict[str, Any]:
    cfg = project.config.costs
    engine = project.engine
    task = progress.add_task("costs", total=3) if progress is not None else None

    lib = project_library(cfg, project)
    engine.write("unit_costs", lib)
    check_no_double_count(map_frame(cfg), lib)
    wanted = lib[lib["value_type"].isin(cfg.value_types)][["code", "value_type", "value", "cashable", "transfer"]]
    uc = engine.write("_costs_unit_values", wanted.reset_index(drop=True))
    sm = engine.write("_costs_service_map", map_frame(cfg))
    if task is not None:
        progress.advance(task)

    costed, unmapped = cost_events(engine.table("events"), uc, sm, project.config.project.period_end)
    # a view: costing is a row-for-row derivation of ``events`` with two small tables, so
    # copying it (one row per event and value type, 24 columns) cost more than recomputing it
    engine.define_view("costed_events", costed)
    engine.write("unmapped_events", unmapped)
    if task is not None:
        progress.advance(task)

    ce = engine.table("costed_events")
    by_service = (
        ce.group_by(["service_code", "unit_cost_code", "basis", "value_type"])
        .aggregate(rows=ce.count(), units=exact_sum(ce.units), cost=exact_sum(ce.cost),
                   open_ended=ce.open_ended.cast("int64").sum())
    )
    out = project.stage_dir("costs")
    by_service_df = by_service.to_pyarrow().to_pandas()
    unmapped_df = engine.table("unmapped_events").to_pyarrow().to_pandas()
    files = {
        "unit_costs": write_table(lib, out, "unit_costs", ["code", "value_type"]),
        "unmapped_events": write_table(unmapped_df, out, "unmapped_events", ["service_code", "kind", "reason"]),
        "cost_by_service": write_table(by_service_df, out, "cost_by_service",
                                       ["service_code", "value_type"]),
    }
    total_events = int(engine.table("events").count().to_pyarrow().as_py())
    n_unmapped = int(unmapped_df["events"].sum()) if len(unmapped_df) else 0
    total = {vt: round(float(by_service_df.loc[by_service_df.value_type == vt, "cost"].sum()), 2)
             for vt in cfg.value_types}
    summary = {
        "headline": (
            f"{total_events - n_unmapped:,} of {total_events:,} events costed at {cfg.price_year}/"
            f"{(cfg.price_year + 1) % 100:02d} prices: £{total.get('fiscal', 0.0):,.0f} fiscal"
            + (f", £{total['economic']:,.0f} economic" if "economic" in total else "")
            + (f"; {n_unmapped:,} unmapped (see out/costs/unmapped_events.csv)" if n_unmapped else "")
        ),
        "price_year": cfg.price_year,
        "events": total_events,
        "events_digest": linked_events_digest(project),
        "events_costed": total_events - n_unmapped,
        "events_unmapped": n_unmapped,
        "open_ended_rows": int(by_service_df["open_ended"].sum()) if len(by_service_df) else 0,
        "total_cost": total,
        "library_rows": len(lib),
        "overridden_rows": int((lib["provenance"] == "override").sum()),
        "index_approximate": bool(lib["index_approximate"].any()),
        "files": files,
    }
    project.write_json("costs", "summary.json", summary)
    if task is not None:
        progress.advance(task)
    return summary
