"""``synth --identity-noise``: the rates at which agencies record identifiers wrongly, scaled
(docs/synth.md). 1 gives the usual area; the linkage measured at 3 and 5 is in docs/synth.md."""

from __future__ import annotations

import json

import pytest

from carecase.core.errors import SynthError
from carecase.synth import generate
from carecase.synth.identity import TYPO_RATES, typo_rates

NAMED = ("housing_applications", "police_custody")  # sources linked on name, DOB and postcode


def _truth(folder) -> dict:
    return json.loads((folder / "truth" / "truth.json").read_text())


def test_rates_scale_and_stop_at_one() -> None:
    assert typo_rates(1.0) == TYPO_RATES
    assert set(typo_rates(0.0).values()) == {0.0}
    assert typo_rates(2.0)["postcode_moved"] == pytest.approx(2 * TYPO_RATES["postcode_moved"])
    assert typo_rates(10.0)["postcode_moved"] == 1.0  # 10 × 0.10: every record moved, no more
    assert typo_rates(10.0)["dob_day_month_swapped"] == pytest.approx(0.2)


@pytest.mark.parametrize("noise", [-0.5, 10.5, float("nan")])
def test_a_noise_out_of_range_is_refused_naming_it(tmp_path, noise: float) -> None:
    with pytest.raises(SynthError, match=r"identity_noise = .*from 0 to 10 \(1 is the usual\)"):
        generate(tmp_path / "a", people=60, seed=3, identity_noise=noise)
    assert not (tmp_path / "a").exists()  # refused before anything is written


def test_no_noise_plants_no_typo_and_more_noise_plants_more(tmp_path) -> None:
    counts = {}
    for noise in (0.0, 1.0, 4.0):
        folder = tmp_path / f"n{noise:g}"
        generate(folder, people=400, seed=3, formats="fast", identity_noise=noise)
        truth = _truth(folder)
        assert truth["typo_rates"] == typo_rates(noise)
        counts[noise] = {s: sum(truth["typos"][s].values()) for s in NAMED}
    assert all(v == 0 for v in counts[0.0].values()), counts
    assert all(counts[4.0][s] > 2 * counts[1.0][s] > 0 for s in NAMED), counts
