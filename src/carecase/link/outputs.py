"""The person-level tables link hands on: people, events, programme, outcome_scores.

None of them carries a name, date of birth or postcode: ``people.birth_date`` is the first
of the birth month, and events keep only their source, batch and row for provenance.

A person's sex and birth month are the values on their population-register record where
there is one, otherwise the most frequent value across their records (ties: the smaller
value). Register attributes come from the person's register record with the latest
``registered_from`` (ties: smallest record_id).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pyarrow as pa

# the columns of the tables link writes are defined once, in core (Engine.table checks them)
from carecase.core.contracts import EVENT_COLUMNS as EVENT_COLUMNS
from carecase.core.contracts import OUTCOME_COLUMNS as OUTCOME_COLUMNS
from carecase.core.contracts import PEOPLE_COLUMNS as PEOPLE_COLUMNS
from carecase.core.contracts import PROGRAMME_COLUMNS as PROGRAMME_COLUMNS
from carecase.core.errors import LinkError
from carecase.core.services import BY_CODE, Catalogue

POPULATION_SCHEMA = pa.schema([
    ("record_id", pa.string()), ("deprivation_decile", pa.int64()), ("locality", pa.string()),
    ("registered_from", pa.date32()), ("registered_to", pa.date32()),
    ("date_of_death", pa.date32()),
])


def _mode(values: ir.Table, column: str) -> ir.Table:
    """person_id → the preferred value of ``column`` (register first, then most frequent)."""
    v = values.filter(values[column].notnull())
    counts = v.group_by(["person_id", column]).aggregate(
        n=v.count(), on_register=v.on_register.max()
    )
    w = ibis.window(
        group_by=counts.person_id,
        order_by=[ibis.desc(counts.on_register), ibis.desc(counts.n), counts[column]],
    )
    ranked = counts.mutate(_r=ibis.row_number().over(w))
    return ranked.filter(ranked._r == 0).select("person_id", column)


def people(links: ir.Table, identity: ir.Table, population: ir.Table | None) -> ir.Table:
    """One row per person_id in ``links``."""
    pop = population if population is not None else ibis.memtable(POPULATION_SCHEMA.empty_table())
    pop_ids = pop.select(p_rid=pop.record_id).distinct()
    ident = identity.select("record_id", "sex", "dob")
    j = links.select("record_id", "person_id").inner_join(ident, "record_id")
    j = j.left_join(pop_ids, j.record_id == pop_ids.p_rid)
    j = j.mutate(
        on_register=j.p_rid.notnull().cast("int8"),
        birth_date=ibis.date(j.dob.year(), j.dob.month(), 1),
    )
    sex = _mode(j, "sex")
    birth = _mode(j, "birth_date")
    reg = pop.inner_join(links.select("record_id", "person_id"), "record_id")
    w = ibis.window(
        group_by=reg.person_id,
        order_by=[
            ibis.desc(reg.registered_from.fill_null(ibis.date(1, 1, 1))),
            reg.record_id,
        ],
    )
    reg = reg.mutate(_r=ibis.row_number().over(w))
    reg = reg.filter(reg._r == 0).select(
        r_pid=reg.person_id,
        deprivation_decile=reg.deprivation_decile.cast("int64"),
        locality=reg.locality.cast("string"),
        registered_from=reg.registered_from.cast("date"),
        registered_to=reg.registered_to.cast("date"),
        date_of_death=reg.date_of_death.cast("date"),
    )
    persons = links.select("person_id").distinct()
    out = persons.left_join(sex, "person_id").left_join(birth, "person_id")
    out = out.left_join(reg, out.person_id == reg.r_pid)
    return out.select(
        "person_id", "sex", "birth_date", "deprivation_decile", "locality", "registered_from",
        "registered_to", "date_of_death", in_population=out.r_pid.notnull(),
    )


def _service_needs(services: Catalogue) -> ir.Table:
    return ibis.memtable(pa.table({
        "s_code": pa.array([s.code for s in services.values()], pa.string()),
        "area_of_need": pa.array([s.area_of_need for s in services.values()], pa.string()),
    }))


def events(links: ir.Table, staged: ir.Table, services: Catalogue = BY_CODE) -> ir.Table:
    """Staged events with their person_id and the service's area of need (from ``services``,
    the project's catalogue: built-ins and declared services)."""
    lk = links.select(l_rid=links.record_id, person_id=links.person_id)
    j = staged.left_join(lk, staged.record_id == lk.l_rid)
    needs = _service_needs(services)
    j = j.left_join(needs, j.service_code == needs.s_code)
    return j.select(*EVENT_COLUMNS)


def needs_by_service(events: ir.Table) -> dict[str, str | None]:
    """service code → the area of need ``events`` carries for it (what link labelled it with
    from the catalogue; None for a code the catalogue did not have). Link records it in its
    summary (``service_labels``) so that later stages can tell when the catalogue has changed
    since (``costs.stage.relabelled_services``)."""
    rows = events.select("service_code", "area_of_need").distinct().to_pyarrow().to_pylist()
    return {r["service_code"]: r["area_of_need"]
            for r in sorted(rows, key=lambda r: str(r["service_code"])) if r["service_code"] is not None}


def check_all_linked(expr: ir.Table, table: str) -> None:
    """Every staged row must have an identity record (ingest writes both)."""
    orphans = expr.filter(expr.person_id.isnull())
    n = int(orphans.count().to_pyarrow().as_py())
    if n:
        raise LinkError(
            f"{n} row(s) of {table} have a record_id with no row in staging_identity. Ingest "
            "writes both from the same file; re-run `carecase ingest PROJECT`."
        )


def attach_person(links: ir.Table, staged: ir.Table, columns: tuple[str, ...]) -> ir.Table:
    """A staged table keyed by record_id, re-keyed by person_id (``columns`` kept)."""
    lk = links.select(l_rid=links.record_id, person_id=links.person_id)
    j = staged.left_join(lk, staged.record_id == lk.l_rid)
    return j.select(*columns)
