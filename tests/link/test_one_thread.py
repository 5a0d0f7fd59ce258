"""EM runs on one DuckDB thread (carecase.link.model.one_thread): the order of its
floating-point sums, and so the trained model, is then the same every run."""

from __future__ import annotations

import pytest

from carecase.core.engine import connect_duckdb
from carecase.link.model import one_thread


def _threads(engine) -> int:  # noqa: ANN001
    return int(engine.con.con.execute("SELECT current_setting('threads')").fetchone()[0])


def test_one_thread_inside_and_the_setting_restored_after() -> None:
    engine = connect_duckdb(None, threads=2)
    assert _threads(engine) == 2
    with one_thread(engine):
        assert _threads(engine) == 1
    assert _threads(engine) == 2
    with pytest.raises(RuntimeError), one_thread(engine):
        raise RuntimeError("training failed")
    assert _threads(engine) == 2  # restored when training fails too
    engine.close()
