"""Benchmark: costing events and the core of the whole-system audit (person × month split,
cost by agency, top-N, concentration) with carecase (Ibis on DuckDB) side by side with a
straightforward pandas implementation of the same computation, at 1M, 10M and 100M
synthetic events (``main(quick=True)``: 1M only).

Events are generated with numpy/pyarrow straight to Parquet under benchmarks/work/
(git-ignored). Each implementation runs in its own subprocess so that peak resident memory
(``ru_maxrss``) is its own. DuckDB gets a memory limit and a temp directory to spill to.
pandas is not run where the events would not fit in memory; that is recorded instead.
A third run, ``duckdb_sql_floor`` (:func:`run_floor`), is hand-written SQL for the dominant
work alone (month split + person × service line × month group-by, one sum): the fastest any
DuckDB implementation of the audit's person × month table could be on this machine, so the
gap between carecase and the target is split into "our overhead" and "the engine's limit".
A fourth, ``duckdb_sql_full`` (:func:`run_sql_full`), hand-writes the whole stored person ×
line × month table (costing, split, three exact sums, written to a database file) and must
give carecase's total: the best a hand-tuned query could do for what carecase stores.
Results: benchmarks/results/cost_audit.json (each size is written as soon as it finishes;
``python -m benchmarks.bench_cost_audit 10000000`` runs one size). Wall time is reported
with CPU time (all threads) and the load average, since a shared machine skews wall time.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.record import RESULTS, write_result

HERE = Path(__file__).resolve().parent
WORK = HERE / "work" / "cost_audit"
START, END = dt.date(2022, 4, 1), dt.date(2024, 4, 1)
PERIOD_END = dt.date(2024, 3, 31)
CHUNK = 5_000_000
PRICE_YEAR = 2023
TOP = 10
PANDAS_MAX_EVENTS = 10_000_000
DUCKDB_MEMORY = "6GB"
#: runs per implementation (median kept): at 1M a run is ~1 s and varies by +-30% on a shared
#: machine; at 10M and 100M one run each (pandas alone is ~45 s at 10M)
REPEATS = {1_000_000: 5}
STATUS = {
    "speedup_vs_pandas_10x": "NOT MET: on 2026-12-06 (exact sums as whole numbers of 10^-10s), 3.9x at 1M "
                             "(1.11 s vs 4.29 s, medians of 5) and 8.9x at 10M (7.14 s vs 63.4 s, one run); "
                             "the code before, run straight after, 3.8x and 9.0x (1.11 s, 6.99 s). Earlier: at 1M, 2.9x wall on 2026-12-05 (1.11 s vs 3.21 s; carecase as before, pandas "
                             "faster than in the earlier run; the dominance rule's two largest people per agency and "
                             "service add 0.18 s, outside the compared section) and 3.9x earlier "
                             "(1.10 s vs 4.33 s, medians of 5 interleaved runs), 6.5x "
                             "at 10M (8.54 s vs 55.6 s, one run; an earlier run the same day: 7.15 s vs 45.4 s, "
                             "6.3x) (2026-11-23, 2-core machine; pandas computing the same four measures as the "
                             "audit). Before the narrow table: 3.4x and 5.5x against a pandas baseline that summed "
                             "cost only. The whole stored person x line x month table hand-written in DuckDB SQL "
                             "(duckdb_sql_full, same total) takes 0.53 s and 4.78 s, i.e. 8.1x at 1M and 11.6x at "
                             "10M (10.0x in the earlier run), before the audit's other tables (~1.3 s at 10M) and "
                             "the unmapped report; so 10x at 1M is out of reach on this machine and at 10M only a "
                             "query hand-tuned end to end would come near it. The dominant work alone "
                             "(duckdb_sql_floor: split + group-by, one sum, in memory) reaches 13x and 19.5x.",
    "100M_under_30s": "NOT MET: 102.7 s wall / 193 CPU-s at 100M (an earlier run the same day: 85.2 s; the "
                      "design before: 101.8 s). The hand-written full table takes 83.3 s (74.1 s) and the floor "
                      "alone 45.6 s (43.6 s) wall / 86 CPU-s for the 54M person x line x month groups, so 30 s "
                      "on 2 cores is below what DuckDB's hash aggregation does on this machine at the audit's "
                      "grain.",
    "peak_under_8GB": "MET: 5.9 GB at 100M, 1.5 GB at 10M (DuckDB memory_limit 6GB with spilling)",
    "profile": "3M events, DuckDB JSON profile of the person x month query: the hash group-by "
               "(4.3M split rows -> 1.6M person x line x month groups, four DECIMAL sums) is ~60% of "
               "operator time, the month split (unnest) ~25%, the costing view's joins and checks the "
               "rest. Grouping on a hashed or integer person key, DOUBLE sums or DECIMAL(18,x) each "
               "saved under 20% in experiments and were not adopted (exact sums keep outputs byte-identical; "
               "since 2026-12-06 the exact sums are of DECIMAL(18, 0) whole numbers, at the same speed). "
               "Adopted since: the narrow table stored and labelled in a view (storing five labels per row "
               "cost ~1 s at 10M), CASE parts instead of FILTERed sums with cost = fiscal + economic, "
               "service lines read from events.",
    "section_cpu_s": "CPU seconds of the timed section only (process_time, all threads); cpu_s includes imports",
}


def generate(n_events: int) -> Path:
    """Synthetic events as Parquet files of ``CHUNK`` rows (reused when already there)."""
    import pyarrow.parquet as pq

    from carecase.costs.synthetic import synthetic_events

    folder = WORK / f"events_{n_events}"
    done = folder / "_done"
    if done.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    n_people = max(n_events // 50, 100)
    for i, off in enumerate(range(0, n_events, CHUNK)):
        n = min(CHUNK, n_events - off)
        pq.write_table(synthetic_events(n, n_people, 20240401, START, END, offset=off),
                       folder / f"part-{i:04d}.parquet", row_group_size=1_000_000)
    done.write_text("ok")
    return folder


def unit_cost_frames() -> tuple[Any, Any]:
    from carecase.costs.config import CostsConfig
    from carecase.costs.library import load_library
    from carecase.costs.stage import map_frame

    lib = load_library(PRICE_YEAR)
    uc = lib[lib.value_type.isin(["fiscal", "economic"])][["code", "value_type", "value", "cashable", "transfer"]]
    return uc.reset_index(drop=True), map_frame(CostsConfig())


# --------------------------------------------------------------------------- carecase
def run_carecase(folder: Path) -> dict[str, Any]:
    """The cost + audit stages as the pipeline runs them: ``costed_events`` defined as a view
    of the events (not copied), the service lines and the narrow person × line × month table
    stored, its labelled view defined, then the audit's tables read from that."""
    from carecase.audit.concentration import gini, top_share
    from carecase.audit.periods import label_lines, person_line_month, service_lines
    from carecase.audit.tables import (
        cost_by,
        largest_people,
        person_line_totals,
        person_totals,
        top_n_from,
    )
    from carecase.core.engine import connect_duckdb
    from carecase.core.exact import exact_sum
    from carecase.costs.apply import cost_events

    tmp = WORK / "duckdb_tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    db = WORK / "bench.duckdb"
    for p in (db, Path(str(db) + ".wal")):
        p.unlink(missing_ok=True)
    eng = connect_duckdb(db, threads=2, memory_limit=DUCKDB_MEMORY)
    eng.con.raw_sql(f"SET temp_directory = '{tmp}'")
    eng.con.raw_sql("SET preserve_insertion_order = false")
    uc_df, map_df = unit_cost_frames()
    uc, sm = eng.write("uc", uc_df), eng.write("sm", map_df)
    t0, c0 = time.perf_counter(), time.process_time()
    events = eng.read_parquet(str(folder / "*.parquet"))
    costed, unmapped = cost_events(events, uc, sm, PERIOD_END)
    costed = eng.define_view("costed_events", costed)
    t_cost = time.perf_counter() - t0
    lines = eng.write("audit_service_lines", service_lines(events))
    plm = eng.write("audit_person_line_month", person_line_month(costed, START, END, ["fiscal", "economic"], lines))
    pm = eng.define_view("audit_person_month", label_lines(plm, lines))
    by_agency = cost_by(pm, ["agency_l1", "agency_l2"]).to_pyarrow().to_pandas()
    totals = eng.write("person_totals", person_totals(pm))
    top = top_n_from(totals, TOP, START, END).to_pyarrow().to_pandas()
    per_person = totals.cost.to_pyarrow().to_numpy()
    import numpy as np

    per_person = np.sort(per_person)
    conc = {"gini": gini(per_person), "top10pct": top_share(per_person, 0.10)[2]}
    n_unmapped = int(unmapped.aggregate(n=unmapped.events.sum()).to_pyarrow()["n"][0].as_py() or 0)
    total = float(pm.aggregate(t=exact_sum(pm.cost)).to_pyarrow()["t"][0].as_py())
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    # what the audit stage adds for the report's dominance rule (outside the timed section,
    # which pandas matches): the two largest people in each agency and each service
    t1 = time.perf_counter()
    lines_total = eng.write("person_line_totals", person_line_totals(pm))
    for keys in (["agency_l1", "agency_l2"], ["service_code", "agency_l1", "agency_l2", "area_of_need"]):
        largest_people(lines_total, keys).to_pyarrow()
    largest_s = time.perf_counter() - t1
    eng.close()
    return {"wall_s": wall, "section_cpu_s": cpu, "cost_s": t_cost, "total": total, "unmapped": n_unmapped,
            "largest_people_s": largest_s,
            "by_agency": {f"{r.agency_l1}|{r.agency_l2}": [r.cost, r.fiscal_cost, r.economic_cost, r.activity,
                                                          int(r.people)] for r in by_agency.itertuples()},
            "top": [[r.person_id, r.cost] for r in top.itertuples()], **conc}


# --------------------------------------------------------------------------- pandas
def run_pandas(folder: Path) -> dict[str, Any]:
    """The same computation written plainly in pandas (vectorised, no row loops): the same
    four measures per person × service × month (cost, fiscal, economic, activity), the same
    agency table (with distinct people), person totals, top-N and concentration."""
    import numpy as np
    import pandas as pd

    uc_df, map_df = unit_cost_frames()
    t0, c0 = time.perf_counter(), time.process_time()
    ev = pd.read_parquet(folder)
    ev = ev.merge(map_df, on="service_code", how="left")
    ranged = ev.kind.isin(["spell", "package"])
    start = ev.start_date.astype("datetime64[s]")
    end = ev.end_date.astype("datetime64[s]")
    stop = pd.Timestamp(PERIOD_END) + pd.Timedelta(days=1)
    end = end.where(~ranged, end.fillna(stop)).where(ranged, start)
    days = np.maximum((end - start).dt.days.to_numpy(), 1)
    q = ev.quantity.fillna(1.0).to_numpy()
    inten = np.where(ev.kind == "package", q, 1.0)
    basis = ev.basis.to_numpy()
    units = np.select(
        [basis == "per_unit", basis == "per_episode", basis == "per_day", basis == "per_week",
         basis == "per_hour", basis == "per_month", basis == "per_year"],
        [np.where(ranged, 1.0, q), 1.0, days * inten, days / 7 * inten, days / 7 * inten,
         days * 12 / 365 * inten, days / 365 * inten], np.nan)
    ev = ev.assign(days=days, units=units, start=start, cend=start + pd.to_timedelta(days, unit="D"))
    ce = ev.merge(uc_df.rename(columns={"code": "unit_cost_code", "value": "unit_cost"}), on="unit_cost_code")
    ce["cost"] = ce.units * ce.unit_cost
    ce = ce[~ce.transfer]
    # split by month inside the window
    ws, we = pd.Timestamp(START), pd.Timestamp(END)
    ce = ce[(ce.start < we) & (ce.cend > ws)]
    lo, hi = ce.start.clip(lower=ws), ce.cend.clip(upper=we)
    m0 = (lo.dt.year * 12 + lo.dt.month - 1).to_numpy()
    last = hi - pd.Timedelta(days=1)
    m1 = (last.dt.year * 12 + last.dt.month - 1).to_numpy()
    reps = (m1 - m0 + 1).astype(np.int64)
    idx = np.repeat(np.arange(len(ce)), reps)
    month = m0[idx] + (np.arange(idx.size) - np.repeat(np.cumsum(reps) - reps, reps))
    ms = pd.to_datetime(pd.DataFrame({"year": month // 12, "month": month % 12 + 1, "day": 1}))
    me = ms + pd.offsets.MonthBegin(1)
    s_lo = np.maximum(np.maximum(ce.start.to_numpy()[idx], ms.to_numpy()), np.datetime64(ws))
    s_hi = np.minimum(np.minimum(ce.cend.to_numpy()[idx], me.to_numpy()), np.datetime64(we))
    share = (s_hi - s_lo).astype("timedelta64[D]").astype(float) / ce.days.to_numpy()[idx]
    # the audit's four measures: cost, its fiscal and economic parts, activity (units of the
    # fiscal rows, so an event costed as fiscal + economic counts once)
    vt = ce.value_type.to_numpy()[idx]
    cost = ce.cost.to_numpy()[idx] * share
    parts = pd.DataFrame({
        "person_id": ce.person_id.to_numpy()[idx], "agency_l1": ce.agency_l1.to_numpy()[idx],
        "agency_l2": ce.agency_l2.to_numpy()[idx], "service_code": ce.service_code.to_numpy()[idx],
        "area_of_need": ce.area_of_need.to_numpy()[idx], "month": month, "cost": cost,
        "fiscal_cost": np.where(vt == "fiscal", cost, 0.0), "economic_cost": np.where(vt == "economic", cost, 0.0),
        "activity": np.where(vt == "fiscal", ce.units.to_numpy()[idx] * share, 0.0),
    })
    measures = ["cost", "fiscal_cost", "economic_cost", "activity"]
    pm = parts.groupby(["person_id", "agency_l1", "agency_l2", "service_code", "area_of_need", "month"],
                       sort=False, observed=True)[measures].sum().reset_index()
    g = pm.groupby(["agency_l1", "agency_l2"])
    by_agency = g[measures].sum().assign(people=g.person_id.nunique())
    totals = pm.groupby("person_id")[["cost", "fiscal_cost", "economic_cost"]].sum()
    top = totals.reset_index().sort_values(["cost", "person_id"], ascending=[False, True]).head(TOP)
    from carecase.audit.concentration import gini, top_share

    per_person = np.sort(totals.cost.to_numpy())
    unmapped = int(ev.basis.isna().sum())
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"wall_s": wall, "section_cpu_s": cpu, "total": float(pm.cost.sum()), "unmapped": unmapped,
            "by_agency": {f"{a}|{b}": [float(r[m]) for m in measures] + [int(r.people)]
                          for (a, b), r in by_agency.iterrows()},
            "top": [[r.person_id, float(r.cost)] for r in top.itertuples()],
            "gini": gini(per_person), "top10pct": top_share(per_person, 0.10)[2]}


# --------------------------------------------------------------------------- floor
FLOOR_SQL = """
CREATE TABLE floor_person_month AS
WITH e AS (
  SELECT person_id, l.line, kind, start_date,
         CASE WHEN kind IN ('spell', 'package') THEN coalesce(end_date, DATE '{stop}') ELSE start_date END AS end_d,
         coalesce(quantity, 1.0) * 100.0 AS cost
  FROM read_parquet('{files}') JOIN lines l USING (agency_l1, agency_l2, service_code, area_of_need)
), c AS (SELECT *, greatest(end_d - start_date, 1) AS days FROM e),
pt AS (SELECT person_id, line, year(start_date) * 12 + month(start_date) - 1 AS m, cost
       FROM c WHERE (kind IN ('point', 'count') OR days = 1) AND start_date >= DATE '{ws}' AND start_date < DATE '{we}'),
rg AS (SELECT person_id, line, m, cost * (least(end_d, make_date((m // 12)::INT, (m % 12 + 1)::INT, 1) + INTERVAL 1 MONTH, DATE '{we}')::DATE
             - greatest(start_date, make_date((m // 12)::INT, (m % 12 + 1)::INT, 1), DATE '{ws}')) / days AS cost
       FROM (SELECT *, unnest(range(year(greatest(start_date, DATE '{ws}')) * 12 + month(greatest(start_date, DATE '{ws}')) - 1,
                                   year(least(end_d, DATE '{we}') - 1) * 12 + month(least(end_d, DATE '{we}') - 1))) AS m
             FROM c WHERE NOT (kind IN ('point', 'count') OR days = 1) AND start_date < DATE '{we}' AND end_d > DATE '{ws}'))
SELECT person_id, line, m, sum(cost::DECIMAL(38, 10)) AS cost
FROM (SELECT * FROM pt UNION ALL SELECT * FROM rg) GROUP BY ALL
"""


def run_floor(folder: Path) -> dict[str, Any]:
    """A lower bound, not an implementation: hand-written DuckDB SQL for the dominant work
    only — the month split and the person × service line × month group-by with one sum, a
    flat £100 a unit, no value types, no labels, no other audit tables. Whatever the code
    around it, building the audit's person × month table with DuckDB on this machine cannot
    be faster than this."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET threads = 2; SET memory_limit = '{DUCKDB_MEMORY}'; SET preserve_insertion_order = false")
    tmp = WORK / "duckdb_tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    con.execute(f"SET temp_directory = '{tmp}'")
    files = str(folder / "*.parquet")
    con.execute(f"CREATE TABLE lines AS SELECT row_number() OVER (ORDER BY agency_l1, agency_l2, service_code, area_of_need)::INT AS line, * FROM "
                f"(SELECT DISTINCT agency_l1, agency_l2, service_code, area_of_need FROM read_parquet('{files}'))")
    sql = FLOOR_SQL.format(files=files, stop=PERIOD_END + dt.timedelta(days=1), ws=START, we=END)
    t0, c0 = time.perf_counter(), time.process_time()
    con.execute(sql)
    rows = con.execute("SELECT count(*) FROM floor_person_month").fetchone()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"wall_s": wall, "section_cpu_s": cpu, "groups": int(rows[0]) if rows else 0}


FULL_SQL = """
CREATE TABLE full_person_line_month AS
WITH lc AS (  -- per service line: costing basis and unit cost per value type (transfers out)
  SELECT l.line, sm.basis,
         sum(CASE WHEN uc.value_type = 'fiscal' AND NOT uc.transfer THEN uc.value END) AS f_uc,
         sum(CASE WHEN uc.value_type = 'economic' AND NOT uc.transfer THEN uc.value END) AS e_uc
  FROM lines l JOIN sm USING (service_code) JOIN uc ON uc.code = sm.unit_cost_code GROUP BY ALL
), ev AS (
  SELECT *, greatest(end_d - start_date, 1)::BIGINT AS days FROM (
    SELECT person_id, agency_l1, agency_l2, service_code, area_of_need, kind, start_date,
           CASE WHEN kind IN ('spell', 'package') THEN coalesce(end_date, DATE '{stop}') ELSE start_date END AS end_d,
           coalesce(quantity, 1.0) AS q, CASE WHEN kind = 'package' THEN coalesce(quantity, 1.0) ELSE 1.0 END AS inten
    FROM read_parquet('{files}'))
), c AS (
  SELECT person_id, lc.line, kind, start_date, end_d, days, f_uc, e_uc,
         CASE basis WHEN 'per_unit' THEN (CASE WHEN kind IN ('spell', 'package') THEN 1.0 ELSE q END)
           WHEN 'per_episode' THEN 1.0 WHEN 'per_day' THEN days * inten WHEN 'per_week' THEN days / 7.0 * inten
           WHEN 'per_hour' THEN days / 7.0 * inten WHEN 'per_month' THEN days * 12.0 / 365.0 * inten
           WHEN 'per_year' THEN days / 365.0 * inten END AS units
  FROM ev JOIN lines USING (agency_l1, agency_l2, service_code, area_of_need) JOIN lc ON lc.line = lines.line
  WHERE start_date < DATE '{we}' AND start_date + days::INT > DATE '{ws}'
), split AS (
  SELECT person_id, line, year(start_date) * 12 + month(start_date) - 1 AS m, units AS u, f_uc, e_uc
  FROM c WHERE kind IN ('point', 'count') OR days = 1
  UNION ALL
  SELECT person_id, line, m, units * (least(end_d, make_date((m // 12)::INT, (m % 12 + 1)::INT, 1) + INTERVAL 1 MONTH, DATE '{we}')::DATE
         - greatest(start_date, make_date((m // 12)::INT, (m % 12 + 1)::INT, 1), DATE '{ws}')) / days AS u, f_uc, e_uc
  FROM (SELECT *, unnest(range(year(greatest(start_date, DATE '{ws}')) * 12 + month(greatest(start_date, DATE '{ws}')) - 1,
                               year(least(end_d, DATE '{we}') - 1) * 12 + month(least(end_d, DATE '{we}') - 1))) AS m
        FROM c WHERE NOT (kind IN ('point', 'count') OR days = 1))
)
SELECT person_id, line, m AS month,
       sum((u * coalesce(f_uc, 0))::DECIMAL(38, 10)) AS fiscal_cost,
       sum((u * coalesce(e_uc, 0))::DECIMAL(38, 10)) AS economic_cost,
       sum(CASE WHEN f_uc IS NOT NULL THEN u::DECIMAL(38, 10) ELSE 0 END) AS activity
FROM split GROUP BY ALL
"""


def run_sql_full(folder: Path) -> dict[str, Any]:
    """A second bound: the whole person × line × month table as carecase stores it — costing
    (service map, unit costs per value type, costing bases, window), the month split and the
    three exact sums — hand-written in DuckDB SQL into a database file, as carecase does. It
    still leaves out the audit's other tables, the unmapped-event report and the labels. Its
    total must equal carecase's."""
    import duckdb

    tmp = WORK / "duckdb_tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    db = WORK / "bench_full.duckdb"
    for p in (db, Path(str(db) + ".wal")):
        p.unlink(missing_ok=True)
    con = duckdb.connect(str(db))
    con.execute(f"SET threads = 2; SET memory_limit = '{DUCKDB_MEMORY}'; SET preserve_insertion_order = false")
    con.execute(f"SET temp_directory = '{tmp}'")
    uc_df, map_df = unit_cost_frames()
    con.register("uc_df", uc_df)
    con.register("sm_df", map_df)
    con.execute("CREATE TABLE uc AS SELECT * FROM uc_df; CREATE TABLE sm AS SELECT * FROM sm_df")
    files = str(folder / "*.parquet")
    t0, c0 = time.perf_counter(), time.process_time()
    con.execute(f"CREATE TABLE lines AS SELECT row_number() OVER (ORDER BY agency_l1, agency_l2, service_code, area_of_need)::INT "
                f"AS line, * FROM (SELECT DISTINCT agency_l1, agency_l2, service_code, area_of_need FROM read_parquet('{files}'))")
    con.execute(FULL_SQL.format(files=files, stop=PERIOD_END + dt.timedelta(days=1), ws=START, we=END))
    row = con.execute("SELECT count(*), sum(fiscal_cost + economic_cost)::DOUBLE FROM full_person_line_month").fetchone()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    con.close()
    return {"wall_s": wall, "section_cpu_s": cpu, "groups": int(row[0]) if row else 0,
            "total": float(row[1]) if row else 0.0}


def _child(which: str, folder: str) -> None:
    import resource

    if which == "pandas":
        out = run_pandas(Path(folder))
    elif which == "floor":
        out = run_floor(Path(folder))
    elif which == "full":
        out = run_sql_full(Path(folder))
    else:
        out = run_carecase(Path(folder))
    ru = resource.getrusage(resource.RUSAGE_SELF)
    out["peak_rss_gb"] = ru.ru_maxrss / 1024**2
    out["cpu_s"] = ru.ru_utime + ru.ru_stime  # whole process incl. imports, all threads
    print("RESULT " + json.dumps(out))


def _spawn(which: str, folder: Path) -> dict[str, Any]:
    code = f"from benchmarks.bench_cost_audit import _child; _child({which!r}, {str(folder)!r})"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=HERE.parent)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    return {"error": (proc.stderr or proc.stdout)[-2000:]}


def _interleaved(which: list[str], folder: Path, repeats: int) -> dict[str, dict[str, Any]]:
    """Each implementation ``repeats`` times, in turn (A B C D A B C D ...), so that a change in
    the machine's load falls on all of them; for each, the run with the median wall time, with
    every run's wall time in ``wall_s_runs``."""
    got: dict[str, list[dict[str, Any]]] = {w: [] for w in which}
    for _ in range(repeats):
        for w in which:
            got[w].append(_spawn(w, folder))
    out = {}
    for w, results in got.items():
        ok = [r for r in results if "error" not in r]
        if not ok:
            out[w] = results[0]
            continue
        ok.sort(key=lambda r: r["wall_s"])
        out[w] = {**ok[len(ok) // 2], "wall_s_runs": [round(r["wall_s"], 3) for r in results if "error" not in r]}
    return out


def same_answer(a: dict[str, Any], b: dict[str, Any]) -> bool:
    import math

    ok = math.isclose(a["total"], b["total"], rel_tol=1e-9)
    ok &= set(a["by_agency"]) == set(b["by_agency"]) and all(  # cost, fiscal, economic, activity, people
        math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-6)
        for k in a["by_agency"] for x, y in zip(a["by_agency"][k], b["by_agency"][k], strict=True))
    ok &= [p for p, _ in a["top"]] == [p for p, _ in b["top"]]
    ok &= math.isclose(a["gini"], b["gini"], rel_tol=1e-9)
    return bool(ok)


def main(quick: bool = False, sizes: list[int] | None = None) -> dict[str, Any]:
    import os

    sizes = sizes or ([1_000_000] if quick else [1_000_000, 10_000_000, 100_000_000])
    previous = RESULTS / "cost_audit.json"
    old = json.loads(previous.read_text()) if previous.exists() else {}
    results: dict[str, Any] = {"sizes": old.get("sizes", {}), "duckdb_memory_limit": DUCKDB_MEMORY, "threads": 2,
                               "targets": {"speedup_vs_pandas": 10, "seconds_at_100M": 30, "peak_gb": 8},
                               "status": STATUS}
    for n in sizes:
        t0 = time.perf_counter()
        folder = generate(n)
        row: dict[str, Any] = {"generate_s": round(time.perf_counter() - t0, 1),
                               "load_average_before": [round(x, 1) for x in os.getloadavg()]}
        which = ["carecase", "floor", "full"] + (["pandas"] if n <= PANDAS_MAX_EVENTS else [])
        runs = _interleaved(which, folder, REPEATS.get(n, 1))
        row["repeats"] = REPEATS.get(n, 1)
        cc, fl, fu = runs["carecase"], runs["floor"], runs["full"]
        row["carecase"] = {k: cc.get(k) for k in ("wall_s", "wall_s_runs", "cost_s", "cpu_s", "section_cpu_s", "peak_rss_gb", "total", "unmapped", "largest_people_s", "error")}
        row["duckdb_sql_floor"] = {k: fl.get(k) for k in ("wall_s", "wall_s_runs", "section_cpu_s", "peak_rss_gb", "groups", "error")}
        row["duckdb_sql_full"] = {k: fu.get(k) for k in ("wall_s", "wall_s_runs", "section_cpu_s", "peak_rss_gb", "groups", "total", "error")}
        if "error" not in cc and "error" not in fu:
            import math

            row["full_same_total"] = math.isclose(cc["total"], fu["total"], rel_tol=1e-9)
            assert row["full_same_total"], f"carecase and the hand-written full SQL disagree at {n:,} events"
        if n <= PANDAS_MAX_EVENTS:
            pdr = runs["pandas"]
            row["pandas"] = {k: pdr.get(k) for k in ("wall_s", "wall_s_runs", "cpu_s", "section_cpu_s", "peak_rss_gb", "total", "error")}
            if "error" not in cc and "error" not in pdr:
                row["same_answer"] = same_answer(cc, pdr)
                assert row["same_answer"], f"carecase and pandas disagree at {n:,} events"
                row["speedup"] = round(pdr["wall_s"] / cc["wall_s"], 2)
                row["speedup_cpu"] = round(pdr["cpu_s"] / cc["cpu_s"], 2)
                row["speedup_section_cpu"] = round(pdr["section_cpu_s"] / cc["section_cpu_s"], 2)
                if "error" not in fl:
                    row["floor_speedup"] = round(pdr["wall_s"] / fl["wall_s"], 2)
                if "error" not in fu:
                    row["full_sql_speedup"] = round(pdr["wall_s"] / fu["wall_s"], 2)
        else:
            row["pandas"] = {"skipped": f"not run above {PANDAS_MAX_EVENTS:,} events: the event frame "
                             "plus its month split would not fit in this machine's 24 GB"}
        results["sizes"][str(n)] = row
        print(f"{n:>12,} events: {json.dumps(row)}", flush=True)
        write_result("cost_audit", results)
    return results


if __name__ == "__main__":
    given = [int(a) for a in sys.argv[1:] if a.isdigit()]
    main(quick="--quick" in sys.argv, sizes=given or None)
