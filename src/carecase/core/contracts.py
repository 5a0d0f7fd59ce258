"""The columns of the store tables that later stages read, by the stage that writes them.

A store kept from an earlier carecase (or a table changed by hand) can lack a column that
today's code reads: the audit then stopped with ``unexpected error: IbisTypeError: Column
'area_of_need' is not found`` and the evaluation with ``KeyError: 'deprivation_decile'``,
both asking to report a bug. :meth:`carecase.core.engine.Engine.table` checks these tables
against the columns here and says which stage to run instead (docs/architecture.md lists
them). The ingest tables have their own check (``carecase.ingest.store``: a store with other
ingest columns is emptied and every file staged again).
"""

from __future__ import annotations

EVENT_COLUMNS = (
    "person_id", "agency_l1", "agency_l2", "service_code", "area_of_need", "kind",
    "start_date", "end_date", "quantity", "unit", "source", "batch_id", "source_row",
)
PEOPLE_COLUMNS = (
    "person_id", "sex", "birth_date", "deprivation_decile", "locality", "registered_from",
    "registered_to", "date_of_death", "in_population",
)
PROGRAMME_COLUMNS = ("person_id", "start_date", "end_date")
OUTCOME_COLUMNS = ("person_id", "instrument", "assessment", "assessment_date", "domain", "score")
#: (link writes match_probability too: no later stage reads it from the store)
RECORD_LINK_COLUMNS = ("record_id", "person_id", "method")

#: table → (the stage that writes it, the columns the stages after it may read)
STORE_COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "events": ("link", EVENT_COLUMNS),
    "people": ("link", PEOPLE_COLUMNS),
    "programme": ("link", PROGRAMME_COLUMNS),
    "outcome_scores": ("link", OUTCOME_COLUMNS),
    "record_links": ("link", RECORD_LINK_COLUMNS),
}


#: the stages in order, and the tables each writes that a later stage reads
STAGE_ORDER = ("ingest", "link", "costs", "audit", "evaluate", "cba", "report")
MADE_BY: dict[str, str] = {
    **{name: stage for name, (stage, _) in STORE_COLUMNS.items()},
    "events_staged": "ingest", "population_staged": "ingest", "programme_staged": "ingest",
    "outcomes_staged": "ingest",
    "costed_events": "costs", "unit_costs": "costs", "unmapped_events": "costs",
}


def missing_table_message(name: str) -> str:
    """What to run for a store table that is not there: the stage that makes it, after the
    stages before it (a new user running the evaluation first was told to run link and costs,
    which would have failed for want of ingest)."""
    stage = MADE_BY.get(name)
    if stage is None:
        return (f"Table '{name}' is not in the store. Run the stage that makes it first "
                "(`carecase run PROJECT` runs every stage in order).")
    before = STAGE_ORDER[:STAGE_ORDER.index(stage) + 1]
    return (f"Table '{name}' is not in the store: the {stage} stage makes it. Run `carecase run PROJECT --only "
            f"{','.join(before)}` (or `carecase run PROJECT`, every stage in order).")


def missing_columns_message(name: str, columns: list[str]) -> str | None:
    """A message when store table ``name`` (with ``columns``) lacks a column of its contract,
    naming the first missing one and the fix; None when it has them all or has no contract."""
    contract = STORE_COLUMNS.get(name)
    if contract is None:
        return None
    stage, expected = contract
    have = set(columns)
    missing = [c for c in expected if c not in have]
    if not missing:
        return None
    more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
    return (f"Table '{name}' in the store has no column '{missing[0]}'{more}: it was written by an earlier "
            f"carecase, or changed outside carecase. The {stage} stage writes it again: run `carecase run "
            f"PROJECT` (ingest stages the extracts' identities again and {stage} rewrites '{name}' from them, "
            "then the later stages run on it).")
