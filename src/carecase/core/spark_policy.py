"""Spark execution policy (cache, checkpoint, repartition) in one place. On DuckDB each
function is the identity, so stage code can call them unconditionally."""

from __future__ import annotations

import ibis.expr.types as ir

from carecase.core.engine import Engine


def cache(engine: Engine, table: ir.Table) -> ir.Table:
    """Cache a table that is read more than once downstream (Spark only)."""
    if engine.name == "spark":
        return table.cache()
    return table


def checkpoint(engine: Engine, table: ir.Table, name: str) -> ir.Table:
    """Materialise a long lineage as a named table so Spark plans stay small."""
    if engine.name == "spark":
        return engine.write(name, table)
    return table
