"""A seeded, fabricated population of identities for linkage tests and benchmarks.

It mimics what ingest writes (``staging_identity``, ``lookup_<name>``, ``events_staged``,
``population_staged``, ``programme_staged``, ``outcomes_staged``) plus a truth table
(record_id, true_person). Every name, date and postcode is invented. Records of sources
without NHS numbers carry realistic recording errors: transposed letters, nicknames,
day/month swapped, missing postcode and a moved postcode.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from carecase.core.random import generator
from carecase.ingest.validate import with_identity_key

if TYPE_CHECKING:
    from pathlib import Path

    from carecase.core.project import Project

GIVEN_F = ("MARY", "PATRICIA", "JENNIFER", "ELIZABETH", "SUSAN", "MARGARET", "SARAH", "KAREN",
           "NANCY", "LISA", "BETTY", "HELEN", "SANDRA", "DONNA", "CAROL", "RUTH", "SHARON",
           "MICHELLE", "LAURA", "KIMBERLY", "DEBORAH", "JESSICA", "SHIRLEY", "CYNTHIA",
           "ANGELA", "MELISSA", "BRENDA", "AMY", "ANNA", "REBECCA", "KATHLEEN", "PAMELA",
           "AMANDA", "STEPHANIE", "CHRISTINE", "SAMANTHA", "JANET", "CATHERINE", "EMMA",
           "OLIVIA", "SOPHIE", "CHLOE", "GRACE", "LUCY", "HANNAH", "EVIE", "ISLA", "FREYA")
GIVEN_M = ("JAMES", "JOHN", "ROBERT", "MICHAEL", "WILLIAM", "DAVID", "RICHARD", "JOSEPH",
           "THOMAS", "CHARLES", "CHRISTOPHER", "DANIEL", "MATTHEW", "ANTHONY", "MARK",
           "DONALD", "STEVEN", "PAUL", "ANDREW", "JOSHUA", "KENNETH", "KEVIN", "BRIAN",
           "GEORGE", "EDWARD", "RONALD", "TIMOTHY", "JASON", "JEFFREY", "RYAN", "JACOB",
           "GARY", "NICHOLAS", "ERIC", "JONATHAN", "STEPHEN", "LARRY", "JUSTIN", "SCOTT",
           "OLIVER", "HARRY", "JACK", "NOAH", "CHARLIE", "LEO", "ALFIE", "ARTHUR", "OSCAR")
FAMILY = ("SMITH", "JONES", "WILLIAMS", "TAYLOR", "BROWN", "DAVIES", "EVANS", "WILSON",
          "THOMAS", "JOHNSON", "ROBERTS", "ROBINSON", "THOMPSON", "WRIGHT", "WALKER", "WHITE",
          "EDWARDS", "HUGHES", "GREEN", "HALL", "LEWIS", "HARRIS", "CLARKE", "PATEL",
          "JACKSON", "WOOD", "TURNER", "MARTIN", "COOPER", "HILL", "WARD", "MORRIS", "MOORE",
          "CLARK", "LEE", "KING", "BAKER", "HARRISON", "MORGAN", "ALLEN", "JAMES", "SCOTT",
          "PHILLIPS", "WATSON", "DAVIS", "PARKER", "PRICE", "BENNETT", "YOUNG", "GRIFFITHS",
          "MITCHELL", "KELLY", "COOK", "CARTER", "RICHARDSON", "BAILEY", "COLLINS", "BELL",
          "SHAW", "MURPHY", "MILLER", "COX", "RICHARDS", "KHAN", "MARSHALL", "ANDERSON",
          "SIMPSON", "ELLIS", "ADAMS", "SINGH", "BEGUM", "WILKINSON", "FOSTER", "CHAPMAN",
          "POWELL", "WEBB", "ROGERS", "GRAY", "MASON", "ALI", "HUNT", "HUSSAIN", "CAMPBELL",
          "MATTHEWS", "OWEN", "PALMER", "HOLMES", "MILLS", "BARNES", "KNIGHT", "LLOYD",
          "BUTLER", "RUSSELL", "BARKER", "FISHER", "STEVENS", "JENKINS", "MURRAY", "DIXON")
NICKNAMES = {"ROBERT": "BOB", "WILLIAM": "BILL", "RICHARD": "DICK", "JAMES": "JIM",
             "JOSEPH": "JOE", "THOMAS": "TOM", "CHRISTOPHER": "CHRIS", "DANIEL": "DAN",
             "MATTHEW": "MATT", "ANTHONY": "TONY", "MICHAEL": "MIKE", "ANDREW": "ANDY",
             "ELIZABETH": "LIZ", "MARGARET": "MAGGIE", "PATRICIA": "PAT", "JENNIFER": "JEN",
             "SUSAN": "SUE", "KATHLEEN": "KATH", "SAMANTHA": "SAM", "REBECCA": "BECKY",
             "CATHERINE": "CATH", "DEBORAH": "DEBBIE", "EDWARD": "TED", "STEPHEN": "STEVE"}


@dataclass(frozen=True)
class Corruption:
    """Probability of each recording error in a record of a source without NHS numbers."""

    transpose: float = 0.08
    nickname: float = 0.05
    swap_day_month: float = 0.03
    missing_postcode: float = 0.08
    moved_postcode: float = 0.10


@dataclass
class Fabricated:
    """Tables as ingest would write them, plus the truth for each record."""

    tables: dict[str, pa.Table] = field(default_factory=dict)
    truth: pa.Table | None = None


def _hex(values: list[str], salt: str) -> list[str]:
    return [hashlib.sha256(f"{salt}|{v}".encode()).hexdigest() for v in values]


def _postcodes(n: int, rng: np.random.Generator) -> np.ndarray:
    areas = np.array(["M", "OL", "BL", "SK", "WN", "WA"])
    letters = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))
    a = areas[rng.integers(0, len(areas), n)]
    d = rng.integers(1, 30, n).astype(str)
    s = rng.integers(0, 10, n).astype(str)
    u1 = letters[rng.integers(0, len(letters), n)]
    u2 = letters[rng.integers(0, len(letters), n)]
    return np.char.add(np.char.add(np.char.add(a, d), " "),
                       np.char.add(np.char.add(s, u1), u2))


def _transpose(name: str, pos: int) -> str:
    if len(name) < 3:
        return name
    i = 1 + pos % (len(name) - 2)  # keep the first letter, as most keying slips do
    return name[:i] + name[i + 1] + name[i] + name[i + 2:]


def fabricate(
    people: int = 1000,
    seed: int = 1,
    records_per_person: float = 3.0,
    corruption: Corruption | None = None,
    not_in_population: float = 0.03,
) -> Fabricated:
    """Fabricate identities for ``people`` residents and their agency records.

    Sources: ``gp`` (the population register, NHS numbers), ``acute`` (NHS numbers),
    ``asc`` (local IDs, 90% in ``lookup_asc``), ``housing`` and ``police`` (names only, with
    recording errors). A share ``not_in_population`` of housing/police people are
    newcomers absent from the register.
    """
    c = corruption or Corruption()
    rng = generator(seed, "link", "fabricate")
    n_new = int(round(people * not_in_population))
    total = people + n_new
    sex = np.where(rng.random(total) < 0.5, "F", "M")
    given = np.where(sex == "F", np.array(GIVEN_F)[rng.integers(0, len(GIVEN_F), total)],
                     np.array(GIVEN_M)[rng.integers(0, len(GIVEN_M), total)])
    family = np.array(FAMILY)[rng.integers(0, len(FAMILY), total)]
    dob = (np.datetime64("1935-01-01") + rng.integers(0, 365 * 85, total).astype("timedelta64[D]"))
    postcode = _postcodes(total, rng)
    nhs = np.array(_hex([str(i) for i in range(total)], f"nhs{seed}"))
    local = np.array(_hex([str(i) for i in range(total)], f"asc{seed}"))
    person = np.array([f"T{i:07d}" for i in range(total)])

    cols: dict[str, list[np.ndarray]] = {k: [] for k in (
        "record_id", "source", "batch_id", "source_row", "nhs_pseudo", "local_pseudo",
        "given_name", "family_name", "dob", "sex", "postcode", "true_person")}

    def add(source: str, who: np.ndarray, with_nhs: bool, with_local: bool, dirty: bool) -> None:
        m = len(who)
        rows = np.arange(1, m + 1)
        g, f, d, p = given[who].astype(object), family[who].astype(object), dob[who].copy(), postcode[who].astype(object)
        if dirty:
            r = rng.random((5, m))
            pos = rng.integers(0, 1000, m)
            for i in np.flatnonzero(r[0] < c.transpose):
                if pos[i] % 2:
                    g[i] = _transpose(g[i], pos[i])
                else:
                    f[i] = _transpose(f[i], pos[i])
            for i in np.flatnonzero(r[1] < c.nickname):
                g[i] = NICKNAMES.get(g[i], g[i])
            days = d.astype("datetime64[D]").astype(object)
            swap = np.flatnonzero(r[2] < c.swap_day_month)
            for i in swap:
                day = days[i]
                if day.day <= 12:
                    d[i] = np.datetime64(dt.date(day.year, day.day, day.month))
            moved = r[4] < c.moved_postcode
            p[moved] = _postcodes(int(moved.sum()), rng).astype(object)
            p[r[3] < c.missing_postcode] = None
        cols["record_id"].append(np.array([f"{source}:b1:{i}" for i in rows]))
        cols["source"].append(np.full(m, source))
        cols["batch_id"].append(np.full(m, "b1"))
        cols["source_row"].append(rows)
        cols["nhs_pseudo"].append(nhs[who] if with_nhs else np.full(m, None, dtype=object))
        cols["local_pseudo"].append(local[who] if with_local else np.full(m, None, dtype=object))
        cols["given_name"].append(g)
        cols["family_name"].append(f)
        cols["dob"].append(d)
        cols["sex"].append(sex[who])
        cols["postcode"].append(p)
        cols["true_person"].append(person[who])

    def sample(pool: np.ndarray, share: float, name: str) -> np.ndarray:
        k = max(1, int(len(pool) * share * records_per_person / 3))
        return np.sort(generator(seed, "link", "fabricate", name).choice(pool, k))

    residents = np.arange(people)
    add("gp", residents, True, False, False)
    add("acute", sample(residents, 1.0, "acute"), True, False, False)
    add("asc", sample(residents, 0.4, "asc"), False, True, False)
    newcomers = np.arange(people, total)
    pool = np.concatenate([residents, newcomers])
    add("housing", sample(pool, 0.5, "housing"), False, False, True)
    add("police", sample(pool, 0.3, "police"), False, False, True)

    data = {k: np.concatenate(v) for k, v in cols.items()}
    n = len(data["record_id"])
    identity = pa.table({
        "record_id": pa.array(data["record_id"], pa.string()),
        "source": pa.array(data["source"], pa.string()),
        "batch_id": pa.array(data["batch_id"], pa.string()),
        "source_row": pa.array(data["source_row"], pa.int64()),
        "nhs_pseudo": pa.array(data["nhs_pseudo"], pa.string()),
        "local_pseudo": pa.array(data["local_pseudo"], pa.string()),
        "given_name": pa.array(data["given_name"], pa.string()),
        "family_name": pa.array(data["family_name"], pa.string()),
        "dob": pa.array(data["dob"].astype("datetime64[D]"), pa.date32()),
        "sex": pa.array(data["sex"], pa.string()),
        "postcode": pa.array(data["postcode"], pa.string()),
    })
    identity = with_identity_key(identity, f"fabricate-{seed}".encode())  # as ingest stages them
    in_lookup = generator(seed, "link", "fabricate", "lookup").random(people) < 0.9
    lookup = pa.table({"local_pseudo": pa.array(local[:people][in_lookup], pa.string()),
                       "nhs_pseudo": pa.array(nhs[:people][in_lookup], pa.string())})
    out = Fabricated()
    out.tables["staging_identity"] = identity
    out.tables["lookup_asc"] = lookup
    out.tables.update(_activity(identity, seed, people))
    out.truth = pa.table({"record_id": identity["record_id"],
                          "true_person": pa.array(data["true_person"], pa.string())})
    assert out.truth.num_rows == n
    return out


_SOURCE_SERVICE = {"gp": "GP_APPT", "acute": "AE_ATTEND", "asc": "ASC_HOMECARE",
                   "housing": "HOU_HOMELESS_APP", "police": "POL_CUSTODY"}


def _activity(identity: pa.Table, seed: int, people: int) -> dict[str, pa.Table]:
    """One event per non-register record; register rows; a programme and outcome reading."""
    from carecase.core.services import BY_CODE

    rng = generator(seed, "link", "fabricate", "activity")
    src = identity["source"].to_numpy(zero_copy_only=False)
    rid = identity["record_id"].to_numpy(zero_copy_only=False)
    ev = src != "gp"
    codes = np.array([_SOURCE_SERVICE[s] for s in src[ev]])
    kinds = np.array([BY_CODE[s].kind for s in codes])
    units = np.array([BY_CODE[s].unit for s in codes])
    start = np.datetime64("2023-04-01") + rng.integers(0, 700, ev.sum()).astype("timedelta64[D]")
    end = np.where(kinds == "package", start + np.timedelta64(28, "D"), np.datetime64("NaT"))
    events = pa.table({
        "record_id": pa.array(rid[ev], pa.string()),
        "source": identity["source"].filter(pa.array(ev)),
        "batch_id": identity["batch_id"].filter(pa.array(ev)),
        "source_row": identity["source_row"].filter(pa.array(ev)),
        "agency_l1": pa.array([BY_CODE[s].agency_l1 for s in codes], pa.string()),
        "agency_l2": pa.array([BY_CODE[s].agency_l2 for s in codes], pa.string()),
        "service_code": pa.array(codes, pa.string()),
        "kind": pa.array(kinds, pa.string()),
        "start_date": pa.array(start.astype("datetime64[D]"), pa.date32()),
        "end_date": pa.array(end.astype("datetime64[D]"), pa.date32()),
        "quantity": pa.array(np.where(kinds == "package", 7.0, 1.0), pa.float64()),
        "unit": pa.array(units, pa.string()),
    })
    gp = rid[src == "gp"]
    population = pa.table({
        "record_id": pa.array(gp, pa.string()),
        "deprivation_decile": pa.array(rng.integers(1, 11, len(gp)), pa.int64()),
        "locality": pa.array(np.array(["North", "South", "East", "West"])[rng.integers(0, 4, len(gp))], pa.string()),
        "registered_from": pa.array(np.full(len(gp), np.datetime64("2015-01-01", "D")), pa.date32()),
        "registered_to": pa.nulls(len(gp), pa.date32()),
        "date_of_death": pa.nulls(len(gp), pa.date32()),
    })
    prog = rid[src == "housing"][: max(1, people // 50)]
    programme = pa.table({
        "record_id": pa.array(prog, pa.string()),
        "start_date": pa.array(np.full(len(prog), np.datetime64("2024-01-01", "D")), pa.date32()),
        "end_date": pa.nulls(len(prog), pa.date32()),
    })
    outcomes = pa.table({
        "record_id": pa.array(prog, pa.string()),
        "instrument": pa.array(["wemwbs"] * len(prog), pa.string()),
        "assessment": pa.array(["baseline"] * len(prog), pa.string()),
        "assessment_date": pa.array(np.full(len(prog), np.datetime64("2024-01-01", "D")), pa.date32()),
        "domain": pa.array(["total"] * len(prog), pa.string()),
        "score": pa.array(rng.integers(14, 71, len(prog)).astype(float), pa.float64()),
    })
    return {"events_staged": events, "population_staged": population,
            "programme_staged": programme, "outcomes_staged": outcomes}


def project_config(max_pairs_u: float = 3e5, keep_linkage_staging: bool = False, threads: int | None = None,
                   **linkage: Any) -> dict[str, Any]:
    """A project configuration matching what :func:`fabricate` writes (one ASC source with a
    lookup), with linkage scored against the fabricated truth file ``truth.parquet``."""
    cfg: dict[str, Any] = {
        "project": {"name": "fabricated linkage", "period_start": "2023-04-01", "period_end": "2025-03-31"},
        "privacy": {"keep_linkage_staging": keep_linkage_staging},
        "ingest": {
            "sources": [{
                "name": "asc", "path": "asc.csv", "format": {"type": "csv"},
                "agency": {"level1": "Local Authority", "level2": "Adult Social Care"},
                "ids": {"local_id": "client_id", "lookup": "asc"},
                "event": {"kind": "package", "service": {"code": "ASC_HOMECARE"},
                          "start": {"column": "start"}, "end": {"column": "end"},
                          "quantity": "hours"},
            }],
            "lookups": [{"name": "asc", "path": "asc_lookup.csv", "format": {"type": "csv"},
                         "local_id": "client_id", "nhs_number": "nhs_number"}],
        },
        "linkage": {"truth": "truth.parquet", "max_pairs_u": max_pairs_u, **linkage},
    }
    if threads is not None:
        cfg["engine"] = {"threads": threads}
    return cfg


def load_project(folder: Path, fab: Fabricated, config: dict[str, Any]) -> Project:
    """A throw-away project in ``folder`` whose store holds the fabricated tables."""
    import pyarrow.parquet as pq

    from carecase.core.config import validate_config
    from carecase.core.project import Project

    folder.mkdir(parents=True, exist_ok=True)
    project = Project(folder, validate_config(config))
    for name, table in fab.tables.items():
        project.engine.write(name, table)
    pq.write_table(fab.truth, folder / "truth.parquet")
    return project
