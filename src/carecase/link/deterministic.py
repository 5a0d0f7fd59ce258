"""Deterministic linkage: a record's NHS pseudonym, or its local ID through its source's lookup.

A record carrying an NHS pseudonym is linked on it (method ``nhs_number``). A record with only
a local pseudonym is linked through the lookup its source names in carecase.yaml
(``ingest.sources[].ids.lookup``, stored by ingest as ``lookup_<name>``), method ``lookup``.
A local ID is only meaningful inside its own agency, so a lookup is applied to its own
source(s) only. A local ID the lookup maps to two or more different NHS pseudonyms is
ambiguous and is not used (the record goes on to probabilistic linkage).
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis
import ibis.expr.types as ir

from carecase.core.errors import LinkError

LOOKUP_COLUMNS = ("local_pseudo", "nhs_pseudo")


def lookup_table_name(lookup: str) -> str:
    return f"lookup_{lookup}"


def source_lookups(lookups: Mapping[str, ir.Table]) -> ir.Table | None:
    """Union the lookups keyed by source into (source, local_pseudo, nhs_pseudo), keeping only
    local IDs that map to exactly one NHS pseudonym."""
    parts = []
    for source in sorted(lookups):
        table = lookups[source]
        missing = [c for c in LOOKUP_COLUMNS if c not in table.columns]
        if missing:
            raise LinkError(
                f"The lookup for source '{source}' lacks column(s) {', '.join(missing)}; "
                "a lookup table needs local_pseudo and nhs_pseudo (re-run ingest)."
            )
        parts.append(
            table.select(
                source=ibis.literal(source, "string"),
                local_pseudo=table.local_pseudo.cast("string"),
                nhs_pseudo=table.nhs_pseudo.cast("string"),
            ).filter(lambda t: t.local_pseudo.notnull() & t.nhs_pseudo.notnull())
        )
    if not parts:
        return None
    union = parts[0] if len(parts) == 1 else ibis.union(*parts, distinct=False)
    per_local = union.group_by(["source", "local_pseudo"]).aggregate(
        n_nhs=union.nhs_pseudo.nunique(), lookup_nhs=union.nhs_pseudo.min()
    )
    return per_local.filter(per_local.n_nhs == 1).drop("n_nhs")


def link_deterministic(identity: ir.Table, lookups: Mapping[str, ir.Table]) -> ir.Table:
    """Each staging record with ``resolved_nhs`` (the NHS pseudonym it links to, or null) and
    ``method`` ('nhs_number', 'lookup', or null when still unlinked)."""
    lk = source_lookups(lookups)
    if lk is None:
        base = identity.mutate(lookup_nhs=ibis.null("string"))
    else:
        base = identity.left_join(
            lk,
            [identity.source == lk.source, identity.local_pseudo == lk.local_pseudo],
        ).select(*identity.columns, lookup_nhs=lk.lookup_nhs)
    has_nhs = base.nhs_pseudo.notnull()
    has_lookup = base.lookup_nhs.notnull()
    return base.mutate(
        resolved_nhs=ibis.coalesce(base.nhs_pseudo, base.lookup_nhs),
        method=ibis.cases(
            (has_nhs, "nhs_number"), (has_lookup, "lookup"), else_=ibis.null("string")
        ),
    ).drop("lookup_nhs")
