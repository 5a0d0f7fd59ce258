"""``costs`` stage: uprate the library, cost every event, report what could not be costed.

Reads ``events``; writes store tables ``unit_costs``, ``unmapped_events``, the view
``costed_events`` (computed from ``events``, ``_costs_unit_values`` and
``_costs_service_map`` when read, so it follows ``events``; re-run this stage after changing
the library or the service mapping)
and files ``out/costs/unit_costs.{parquet,csv}``, ``unmapped_events.{parquet,csv}``,
``cost_by_service.{parquet,csv}`` and ``summary.json``.

The totals (``cost_by_service``, the summary's ``total_cost`` and headline) count the part of
each event inside the project period, split as the audit splits it, so they equal the audit's
totals over the same period; ``costed_events.cost`` stays the whole event's cost. Transfers
(benefit payments) are totalled apart (``transfer_cost``), as the audit never adds them.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from carecase.core.contracts import STORE_COLUMNS
from carecase.core.dates import fiscal_year_label
from carecase.core.engine import Engine
from carecase.core.errors import CostError
from carecase.core.exact import exact_sum
from carecase.core.output import write_table
from carecase.core.project import Project
from carecase.core.services import BY_CODE, Catalogue, catalogue
from carecase.costs.apply import cost_events, exactly_summed, period_share
from carecase.costs.config import CostsConfig
from carecase.costs.library import load_library, near_miss_codes
from carecase.costs.mapping import basis_mismatches, service_map
from carecase.costs.overlaps import overlap_warning, overlapping_stays
from carecase.ingest.ignored import mapped_by_siblings, shared_rows, sibling_rows
from carecase.ingest.ignored import summarise as ignored_codes


def project_library(cfg: CostsConfig, project: Project,
                    new_codes: set[str] | None = None) -> pd.DataFrame:
    """The project's unit costs at ``costs.price_year`` with provenance (``new_codes``: see
    :func:`carecase.costs.library.load_library`)."""
    return load_library(
        cfg.price_year, overrides=cfg.overrides, library=cfg.library, deflator=cfg.deflator,
        base=project.root, columns=cfg.library_columns or None, new_codes=new_codes,
    )


def check_bases(service_map: pd.DataFrame, lib: pd.DataFrame, services: Catalogue = BY_CODE) -> None:
    """Refuse a service whose costing basis counts another time than its unit cost prices
    (costs.mapping.basis_mismatches): a weekly price counted per day cost each day as a week,
    and one counted per unit on a placement (a spell) each placement as one week."""
    units = dict(zip(lib["code"], lib["unit"].fillna("").astype(str), strict=True))
    rows = [(str(r.service_code), str(r.basis), str(r.unit_cost_code), units.get(str(r.unit_cost_code), ""))
            for r in service_map.itertuples(index=False)]
    ranged = {code for code, svc in services.items() if svc.kind in ("spell", "package")}
    problems = basis_mismatches(rows, ranged)
    if problems:
        raise CostError("Costing basis and unit cost disagree (docs/costs-and-audit.md):\n- " + "\n- ".join(problems))


def check_codes_exist(service_map: pd.DataFrame, lib: pd.DataFrame, cfg: CostsConfig, used: set[str]) -> None:
    """Refuse a service mapped to a unit-cost code the library does not have: one the project
    maps (``costs.service_costs``), or one the default map gives a service that has events (a
    library of the user's own without it). A typo (HE4.9 for HE4.0) left every A&E attendance
    unmapped, the run went on, and the report said every contact was costed."""
    codes = set(lib["code"])
    problems = []
    for r in service_map.itertuples(index=False):
        svc, code = str(r.service_code), str(r.unit_cost_code)
        if code in codes or (svc not in cfg.service_costs and svc not in used):
            continue
        near = difflib.get_close_matches(code, sorted(codes), n=1, cutoff=0.6)
        hint = f" Did you mean {near[0]!r}?" if near else ""
        where = (f"costs.service_costs.{svc} = {code!r}" if svc in cfg.service_costs
                 else f"{svc} is costed with {code!r} by default")
        problems.append(f"{where}, which is not in the unit-cost library (costs.library with "
                        f"costs.overrides).{hint} Correct the code, add it in costs.overrides, or map "
                        f"{svc} to another code in costs.service_costs.")
    if problems:
        raise CostError("Unit-cost code(s) not in the library (docs/costs-and-audit.md):\n- " + "\n- ".join(problems))


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


#: The columns of ``events`` that link copies from ``events_staged`` unchanged, as digested
#: per batch (``source`` and ``batch_id`` are the batch; ``unit`` follows ``service_code``).
STAGED_COLUMNS = {
    "source_row": "int64", "service_code": "string", "kind": "string", "start_date": "date",
    "end_date": "date", "quantity": "float64", "agency_l1": "string", "agency_l2": "string",
}


def _batch_digests(t: ir.Table) -> dict[tuple[str, str], tuple[int, int]]:
    """(source, batch_id) → (rows, an order-free digest of their ``STAGED_COLUMNS``): the sum
    of a hash of each row, each taken modulo the prime 2³¹ − 1 so that the sum cannot
    overflow (Ibis has no XOR aggregate on Spark). Hashes differ between engines; both sides
    of a comparison are on one. One grouped scan (about 1 s for 10 million rows on two cores)."""
    row = ibis.struct({c: t[c].cast(typ) for c, typ in STAGED_COLUMNS.items()})
    h = row.hash().cast("int64") % 2147483647
    agg = t.group_by(["source", "batch_id"]).aggregate(n=t.count(), x=h.sum())
    return {(r["source"], r["batch_id"]): (int(r["n"]), int(r["x"])) for r in agg.to_pyarrow().to_pylist()}


def ingest_state(engine: Engine) -> str | None:
    """A digest of ingest's own record of what it has staged: every file's source, path,
    SHA-256, batch id and accepted rows (``ingest_files``) and every source's configuration
    fingerprint (``ingest_feed_state``, which changes with the source's mapping, the project
    period or the key). Ingest re-stages rows only when one of them changes; None without
    them (no ingest)."""
    if not (engine.has_table("ingest_files") and engine.has_table("ingest_feed_state")):
        return None
    f, s = engine.table("ingest_files"), engine.table("ingest_feed_state")
    files = f.select("source", "path", "sha256", "batch_id", "rows_accepted").to_pyarrow().to_pylist()
    states = s.select("source", "fingerprint").to_pyarrow().to_pylist()
    payload = json.dumps([sorted(files, key=lambda r: (r["source"], r["path"])),
                          sorted(states, key=lambda r: r["source"])], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def stale_events(engine: Engine) -> str | None:
    """How ``events`` differs from what ingest has staged since (``events_staged``), or None
    when they hold the same rows (or cannot be compared: no staged table, or events written
    by other means without the source and batch columns).

    Link copies every staged event into ``events`` with its ``source``, ``batch_id`` (the
    first 12 hex digits of the file's SHA-256, recorded in ``ingest_files``) and
    ``source_row``. Ingest replaces a changed file's batch (a new batch id) and re-stages a
    file whose source mapping or the project period changed (same batch id, other rows), so
    per source and batch the row counts and a digest of the copied columns must agree."""
    if not (engine.has_table("events_staged") and engine.has_table("events")):
        return None
    ev, st = engine.table("events"), engine.table("events_staged")
    if not all(c in ev.columns and c in st.columns for c in ["source", "batch_id", *STAGED_COLUMNS]):
        return None
    have, staged = _batch_digests(ev), _batch_digests(st)
    if have == staged:
        return None
    problems = []
    for source in sorted({s for s, _ in have} | {s for s, _ in staged}):
        h = {b: v for (s, b), v in have.items() if s == source}
        g = {b: v for (s, b), v in staged.items() if s == source}
        if h == g:
            continue

        def batches(d: dict[str, tuple[int, int]]) -> str:
            if not d:
                return "no batch"
            return ("batch " if len(d) == 1 else "batches ") + ", ".join(
                f"{b} ({v[0]:,} rows)" for b, v in sorted(d.items()))

        if h.keys() == g.keys():
            problems.append(f"source {source}: {batches(h)} re-staged with other rows "
                            f"({sum(v[0] for v in g.values()):,} staged)")
        else:
            problems.append(f"source {source}: events hold {batches(h)}, ingest has staged {batches(g)}")
    shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more source(s)" if len(problems) > 5 else "")
    return shown


def check_ingest_finished(project: Project) -> None:
    """Fail when the last ingest stopped before it had re-staged every file (its marker
    table is still there): the staged rows are then incomplete."""
    from carecase.ingest.stage import RESTAGE_PENDING

    if project.engine.has_table(RESTAGE_PENDING):
        raise CostError(
            "The last `carecase ingest` stopped before it had re-staged every extract (it named the "
            "file it could not read), so the staged rows are incomplete. Fix that file and run "
            "`carecase ingest PROJECT`, then `carecase run PROJECT`.")


def relabelled_services(project: Project) -> str | None:
    """How the project's service catalogue (``services:``) now labels the services in
    ``events`` differently from when link wrote them, or None when it does not (or link
    recorded no labels: a summary written before it did, or events written by other means).

    Link copies each service's area of need from the catalogue into ``events``
    (``service_labels`` in its summary); the costs, the audit and the evaluation group by
    the copy, so an ``area_of_need`` edited in carecase.yaml after link would be shown under
    the old name. Ingest re-stages the same rows after such an edit (the staged columns do not
    include it), so :func:`stale_events` cannot see it."""
    recorded = (project.read_json("link", "summary.json") or {}).get("service_labels")
    if not isinstance(recorded, dict):
        return None
    services = catalogue(project.config)
    changes = []
    for code, was in sorted(recorded.items()):
        svc = services.get(code)
        now = svc.area_of_need if svc is not None else None
        if now == was:
            continue
        if svc is None:
            changes.append(f"{code} (area_of_need {was!r}) is no longer in the catalogue")
        else:
            changes.append(f"{code} area_of_need was {was!r}, now {now!r}")
    if not changes:
        return None
    return "; ".join(changes[:5]) + (f"; and {len(changes) - 5} more service(s)" if len(changes) > 5 else "")


def check_events_labelled(project: Project) -> None:
    """Fail when the service catalogue labels the services in ``events`` differently from
    when link wrote them (:func:`relabelled_services`)."""
    problem = relabelled_services(project)
    if problem:
        raise CostError(
            "events were labelled with an older service catalogue: re-run `carecase link PROJECT`, "
            "then `carecase costs apply PROJECT` (or `carecase run PROJECT`). services: in carecase.yaml "
            f"has changed since link wrote table 'events': {problem}."
        )


def check_events_current(project: Project) -> None:
    """Fail when the last ingest did not finish (:func:`check_ingest_finished`), ingest has
    staged other rows since link wrote ``events`` (:func:`stale_events`) or the service
    catalogue has changed since (:func:`check_events_labelled`)."""
    check_ingest_finished(project)
    problem = stale_events(project.engine)
    if problem:
        raise CostError(
            "events are older than the staged ingest: re-run `carecase link PROJECT`, then "
            "`carecase costs apply PROJECT` (or `carecase run PROJECT`). Ingest has staged other "
            f"rows since link wrote table 'events': {problem}."
        )
    check_events_labelled(project)


def costs_stamp(project: Project) -> str | None:
    """A digest naming the costed events now in force (the link stage's events digest and row
    count and the costs stage's inputs digest, from its summary); None before the costs stage
    has run. The audit, the evaluation and its effects record it, so that the CBA and the
    report can tell outputs made from other costed events (``report.freshness``)."""
    summary = project.read_json("costs", "summary.json")
    if not summary:
        return None
    parts = {k: summary.get(k) for k in ("events", "events_digest", "inputs_digest")}
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def costs_inputs_digest(project: Project) -> str:
    """SHA-256 of everything the costed events depend on besides the events: the costs
    settings, the project period, and the content of each file they name (library,
    overrides, price index), so that a changed override file or price year is caught even
    when the settings' text is the same."""
    cfg = project.config.costs
    parts: dict[str, Any] = {"costs": cfg.model_dump(mode="json"),
                             "period": [str(project.config.project.period_start),
                                        str(project.config.project.period_end)]}
    if project.config.services:  # a declared service's kind and unit set its default basis
        parts["services"] = [d.model_dump(mode="json") for d in project.config.services]
    for name in ("library", "overrides", "deflator"):
        value = getattr(cfg, name)
        path = project.path(value) if value else None
        if path is not None and path.is_file():
            parts[f"{name}_sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def check_costs_current(project: Project) -> None:
    """Fail when ``events`` is older than the staged ingest or the service catalogue
    (:func:`check_events_current`) or has changed since the costs stage last ran.

    ``costed_events`` is a view of ``events``, so after a re-run of ingest or link it would cost
    the new events while ``unmapped_events`` and the costs summary still describe the old ones
    (events of a new, unmapped service would be left out without being reported). Two checks:
    the link stage's digest of the events it wrote (``events_digest`` in its summary, copied
    into the costs summary), which catches any change made by re-running link; and the row
    count, which also covers events written by other means (the API), where only a change of
    size is caught.

    The events were checked against the staged ingest when the costs stage ran; that check
    (a scan of both tables) is repeated only when ingest's record (:func:`ingest_state`) has
    changed since; the catalogue check (no scan) every time."""
    summary = project.read_json("costs", "summary.json")
    state = (summary or {}).get("ingest_state")
    if not state or state != ingest_state(project.engine):
        check_events_current(project)  # checks that the last ingest finished, then the events
    else:
        check_ingest_finished(project)
        check_events_labelled(project)
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
    recorded = summary.get("inputs_digest")
    if recorded and recorded != costs_inputs_digest(project):
        raise CostError("The unit-cost settings or files (costs.price_year, costs.overrides, costs.library, "
                        "costs.deflator, the service map, or the project period) have changed since the costs "
                        f"stage last ran, so the costed events are out of date. {fix}")


def map_frame(cfg: CostsConfig, services: Catalogue = BY_CODE) -> pd.DataFrame:
    """The service map (service_code, unit_cost_code, basis) for the project's catalogue."""
    rows = service_map(cfg.service_costs, cfg.service_basis, services)
    return pd.DataFrame(
        {"service_code": [r.service_code for r in rows], "unit_cost_code": [r.unit_cost_code for r in rows],
         "basis": [r.basis for r in rows]}
    )


def closed_sources(project: Project) -> list[str]:
    """Event sources whose blank end dates ingest quarantines (``open_ended: quarantine``):
    an end on the day after the period end is a real end there, not ingest's open-ended mark."""
    return sorted(s.name for s in project.config.ingest.sources if s.event.open_ended == "quarantine")


def ignored_rows(project: Project) -> tuple[list[dict[str, Any]], int]:
    """Rows that ingest left out as out of scope, per event source whose service codes are
    mapped with ``unmapped: ignore`` (codes not in its ``map``) and that no other source maps,
    and how many extract rows they are in all. From ``ingest_files``, the counts ingest
    recorded per file, and from ``ingest_ignored_codes`` which codes, most rows first (the
    first 20 listed, the rest counted in ``other_codes`` and ``other_rows``; each code as
    ingest recorded it: cut to 30 characters, one that looks like an identifier withheld).

    A file that several sources read, one per agency (docs/ingest.md), has each source's codes
    ignored by the others: rows whose code another source reading the same file (same path,
    sheet and code column) maps are staged by that source (costed, or quarantined there), so they are not counted in ``rows_ignored``
    but in ``rows_mapped_by_other_sources``, with ``codes_mapped_by_other_sources``
    (``[{"code", "rows", "sources"}]``). A row that every such source ignores is in each one's
    ``rows_ignored`` but counted once in the total. A store that ingest has not re-run on
    since it recorded codes lists no codes and tells no sources apart."""
    engine = project.engine
    sources = project.config.ingest.sources
    srcs = {s.name: (i, s) for i, s in enumerate(sources)
            if s.event.service.column and s.event.service.unmapped == "ignore"}
    if not srcs or not engine.has_table("ingest_files"):
        return [], 0
    f = engine.table("ingest_files")
    files = [(r["source"], r["path"]) for r in engine.to_arrow(f.select("source", "path")).to_pylist()]
    siblings = mapped_by_siblings(sources, files)
    taken = sibling_rows(engine, siblings)
    f = f.filter(f.source.isin(list(srcs)))
    got = f.group_by("source").aggregate(rows=f.rows_out_of_scope.sum(), read=f.rows_read.sum())
    codes = ignored_codes(engine, sorted(srcs), siblings=siblings)
    out = []
    for r in sorted(got.to_pyarrow().to_pylist(), key=lambda r: str(r["source"])):
        if not r["rows"]:
            continue
        i, src = srcs[r["source"]]
        elsewhere = taken.get(r["source"], [])
        n_elsewhere = sum(c["rows"] for c in elsewhere)
        out.append({
            "source": r["source"], "config_key": f"ingest.sources[{i}].event.service",
            "column": src.event.service.column, "mapped_codes": sorted(src.event.service.map),
            "rows_ignored": int(r["rows"]) - n_elsewhere, "rows_read": int(r["read"]),
            **codes.get(r["source"], {"codes": [], "other_codes": 0, "other_rows": 0}),
            "rows_mapped_by_other_sources": n_elsewhere, "codes_mapped_by_other_sources": elsewhere,
        })
    total = sum(r["rows_ignored"] for r in out) - shared_rows(engine, sources, files)
    return out, total


def cost_by_service(costed: ir.Table, start: dt.date, end: dt.date) -> ir.Table:
    """Rows, units and cost per service, unit-cost code, basis, value type and transfer flag,
    counting the part of each event inside ``[start, end)`` (:func:`period_share`, the audit's
    split), with the cost of the days outside it and the open-ended rows."""
    share = period_share(costed, start, end)
    c = costed.mutate(_in_units=costed.units * share, _in_cost=costed.cost * share)
    return (
        c.group_by(["service_code", "unit_cost_code", "basis", "value_type", "transfer"])
        .aggregate(rows=c.count(), units=exact_sum(c._in_units), cost=exact_sum(c._in_cost),
                   cost_outside_period=exact_sum(c.cost - c._in_cost),
                   open_ended=c.open_ended.cast("int64").sum())
    )


def _money(by_service: pd.DataFrame, column: str, value_types: list[str], transfer: bool) -> dict[str, float]:
    rows = by_service[by_service["transfer"].astype(bool) == transfer]
    return {vt: round(float(rows.loc[rows.value_type == vt, column].sum()), 2) for vt in value_types}


def run(project: Project, progress: Any = None) -> dict[str, Any]:
    cfg = project.config.costs
    engine = project.engine
    period = project.config.project
    task = progress.add_task("costs", total=3) if progress is not None else None
    engine.check_columns(*STORE_COLUMNS)  # a store from an earlier carecase: say which stage to run
    check_events_current(project)

    new_codes: set[str] = set()
    lib = project_library(cfg, project, new_codes)
    known = catalogue(project.config)
    services = map_frame(cfg, known)
    warnings = near_miss_codes(new_codes, set(lib["code"]), set(services["unit_cost_code"]))
    engine.write("unit_costs", lib)
    events = engine.table("events")
    used = set(events.select("service_code").distinct().to_pyarrow().column(0).to_pylist())
    check_codes_exist(services, lib, cfg, used)
    check_no_double_count(services, lib)
    check_bases(services, lib, known)
    wanted = lib[lib["value_type"].isin(cfg.value_types)][["code", "value_type", "value", "cashable", "transfer"]]
    uc = engine.write("_costs_unit_values", wanted.reset_index(drop=True))
    sm = engine.write("_costs_service_map", services)
    if task is not None:
        progress.advance(task)

    costed, unmapped = cost_events(engine.table("events"), uc, sm, period.period_end, closed_sources(project))
    # a view: costing is a row-for-row derivation of ``events`` with two small tables, so
    # copying it (one row per event and value type, 24 columns) cost more than recomputing it
    engine.define_view("costed_events", costed)
    engine.write("unmapped_events", unmapped)
    if task is not None:
        progress.advance(task)

    ce = engine.table("costed_events")
    stop = period.period_end + dt.timedelta(days=1)
    by_service = cost_by_service(ce, period.period_start, stop)
    out = project.stage_dir("costs")
    by_service_df = exactly_summed(ce, by_service)
    unmapped_df = engine.table("unmapped_events").to_pyarrow().to_pandas()
    files = {
        "unit_costs": write_table(lib, out, "unit_costs", ["code", "value_type"]),
        "unmapped_events": write_table(unmapped_df, out, "unmapped_events", ["service_code", "kind", "reason"]),
        "cost_by_service": write_table(by_service_df, out, "cost_by_service",
                                       ["service_code", "value_type"]),
    }
    overlaps = overlapping_stays(engine, engine.table("events"), stop)
    warnings += overlap_warning(overlaps)
    total_events = int(engine.table("events").count().to_pyarrow().as_py())
    open_events = int(ce.filter(ce.activity_row & ce.open_ended).count().to_pyarrow().as_py())
    n_unmapped = int(unmapped_df["events"].sum()) if len(unmapped_df) else 0
    vts: list[str] = list(cfg.value_types)
    total = _money(by_service_df, "cost", vts, transfer=False)
    outside = _money(by_service_df, "cost_outside_period", vts, transfer=False)
    transfers = _money(by_service_df, "cost", vts, transfer=True)
    ignored, n_ignored = ignored_rows(project)
    uncosted = [r for r in ignored if r["rows_ignored"]]
    n_outside = sum(outside.values())
    summary = {
        "headline": (
            f"{total_events - n_unmapped:,} of {total_events:,} events costed at "
            f"{fiscal_year_label(cfg.price_year)} prices, {period.period_start} to {period.period_end}: "
            f"£{total.get('fiscal', 0.0):,.0f} fiscal"
            + (f", £{total['economic']:,.0f} economic" if "economic" in total else "")
            + (f" (£{n_outside:,.0f} of stays and counts outside the period not counted)" if n_outside >= 0.5 else "")
            + (f"; £{sum(transfers.values()):,.0f} of transfers not added" if sum(transfers.values()) >= 0.5 else "")
            + (f"; {n_unmapped:,} unmapped (see out/costs/unmapped_events.csv)" if n_unmapped else "")
            + (f"; {n_ignored:,} extract row{'s' if n_ignored != 1 else ''} ignored at ingest (unmapped: ignore) "
               "and costed by no source: " + ", ".join(f"{r['source']} {r['rows_ignored']:,}" for r in uncosted)
               + (" (a row that several sources reading one file ignore counted once)"
                  if n_ignored < sum(r["rows_ignored"] for r in uncosted) else "") if n_ignored else "")
        ),
        "price_year": cfg.price_year,
        "period": {"start": str(period.period_start), "end_inclusive": str(period.period_end)},
        "events": total_events,
        "events_digest": linked_events_digest(project),
        "inputs_digest": costs_inputs_digest(project),
        "ingest_state": ingest_state(engine),
        "events_costed": total_events - n_unmapped,
        "events_unmapped": n_unmapped,
        "open_ended_events": open_events,
        "open_ended_rows": int(by_service_df["open_ended"].sum()) if len(by_service_df) else 0,
        "total_cost": total,
        "cost_outside_period": outside,
        "transfer_cost": transfers,
        "ignored_at_ingest": {"rows": n_ignored, "by_source": ignored},
        "library_rows": len(lib),
        "overridden_rows": int((lib["provenance"] == "override").sum()),
        "index_approximate": bool(lib["index_approximate"].any()),
        "overlapping_stays": overlaps,
        "warnings": warnings,
        "files": files,
    }
    project.write_json("costs", "summary.json", summary)
    if task is not None:
        progress.advance(task)
    return summary
