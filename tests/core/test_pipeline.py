"""Which stages ``carecase run --only`` runs."""

from __future__ import annotations

import pytest

from carecase.core.errors import ConfigError
from carecase.pipeline import chosen_stages


def test_all_stages_in_order_without_a_list():
    assert [s.name for s in chosen_stages(None)] == [
        "ingest", "link", "costs", "audit", "evaluate", "cba", "report"]


@pytest.mark.parametrize("only", [["report", "cba"], ["cba,report"], ["cba, report"], ["cba", "report,cba"]])
def test_named_stages_run_in_pipeline_order(only):
    assert [s.name for s in chosen_stages(only)] == ["cba", "report"]


@pytest.mark.parametrize(("only", "message"), [
    (["nosuchstage"], "Unknown stage\\(s\\): 'nosuchstage'"),
    (["cba", "reprot"], "'reprot'.*Stages: ingest, link"),
    ([], "No stage named"),
])
def test_unknown_or_no_stage_is_an_error(only, message):
    with pytest.raises(ConfigError, match=message):
        chosen_stages(only)
