"""The smallest areas `carecase demo --people` accepts: 70 people with seeds 3, 8 and 9 left
an extract with no rows (no mental-health stays), and the generator stopped ("no kernel
matching input types (null, string, string)" making reference numbers for no rows, then
"boolean index did not match" planting broken rows in an empty table)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from carecase.synth import generate


@pytest.mark.parametrize("seed", [3, 8])
def test_a_70_person_area_with_an_empty_extract_is_generated(tmp_path: Path, seed: int) -> None:
    area = tmp_path / f"a{seed}"
    generate(area, people=70, seed=seed, unregistered=0.0)  # theirs would fill the empty extract
    truth = json.loads((area / "truth" / "truth.json").read_text())
    assert 0 in truth["rows"].values()  # the case this guards: an extract with no rows
    assert (area / "carecase.yaml").exists()
