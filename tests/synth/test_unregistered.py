"""People off the population register (synth.unregistered): records only in the name-only
sources, no register row, person keys above the registered people's; the registered people's
rows are the same whatever the share."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from carecase.synth import generate

NAME_ONLY = {"housing_applications", "temporary_accommodation", "police_custody"}


@pytest.fixture(scope="module")
def areas(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("unreg")
    generate(root / "with", people=600, seed=11, formats="fast")
    generate(root / "without", people=600, seed=11, formats="fast", unregistered=0.0)
    return root / "with", root / "without"


def test_unregistered_people_are_in_name_only_sources_with_no_register_row(areas):
    with_, _ = areas
    truth = json.loads((with_ / "truth" / "truth.json").read_text())
    u = truth["unregistered"]
    assert u["people"] == 18 and u["person_key_from"] == 601
    links = pq.read_table(with_ / "truth" / "true_links.parquet").to_pandas()
    theirs = links[links["person_key"] > 600]
    assert len(theirs) == sum(u["rows"].values()) > 0
    assert set(theirs["source"].astype(str)) <= NAME_ONLY
    assert theirs["broken_kind"].isna().all()  # no broken row is planted among them
    assert theirs["person_key"].nunique() == u["with_records"]


def test_registered_rows_do_not_change_with_the_share(areas):
    with_, without = areas
    t_with = json.loads((with_ / "truth" / "truth.json").read_text())
    t_without = json.loads((without / "truth" / "truth.json").read_text())
    assert t_without["unregistered"]["people"] == 0
    assert t_with["broken_rows"] == t_without["broken_rows"]
    for name, path in t_without["files"].items():
        a, b = (with_ / path).read_bytes(), (without / path).read_bytes()
        if name in NAME_ONLY:
            assert a.startswith(b), name  # their rows are appended after
        else:
            assert a == b, name
