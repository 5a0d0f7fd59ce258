"""The balance after matching in a shared report must not give back a hidden number matched.
On a 300-person demo (seed 7) 15 participants were matched and 4 not, so both counts were
hidden; sex_M's SMD 0.2946… and variance ratio 1.3888… after matching, even shown to two
decimals (0.29, 1.39), fit only n = 15 among the values the shown counts allow (20 eligible,
less 1 to 7 unmatched). On the 4,000-person demo (245 matched, 5 not) sex_M's −0.02 and 1.00
fit every n in that range, so the balance after matching, the evidence that matching
worked, is shown."""

from __future__ import annotations

import numpy as np
import pandas as pd

from carecase.evaluate.matching import balance_table
from carecase.report.sections.balance_disclosure import after_pins_matched, feasible_matched


def _stats(n: int, a: int, b: int, k: int = 1) -> tuple[float, float]:
    """sex_M's SMD and variance ratio for a of n participants and b of k·n controls (k:1,
    weights 1/k), computed by carecase's own balance table."""
    m = n + k * n
    x = pd.DataFrame({"sex_M": [1.0] * a + [0.0] * (n - a) + [1.0] * b + [0.0] * (k * n - b)},
                     index=np.arange(m))
    treated = np.arange(m) < n
    matched = pd.DataFrame({"row_id": np.arange(m), "treated": treated, "weight": np.where(treated, 1.0, 1 / k)})
    after = balance_table(x, treated, matched, 0.1).query("stage == 'after'").iloc[0]
    assert bool(after["binary"])
    return float(after["smd"]), float(after["variance_ratio"])


def test_the_small_demo_is_pinned_and_the_large_one_is_not() -> None:
    smd, vr = _stats(15, 5, 3)
    assert (round(smd, 2), round(vr, 2)) == (0.29, 1.39)
    assert feasible_matched([(0.29, 1.39)], range(11, 22)) == [15]
    assert after_pins_matched([(smd, vr)], eligible_shown=20, threshold=7, rounding_base=5)
    big = _stats(245, 135, 137)
    assert len(feasible_matched([(round(big[0], 2), round(big[1], 2))], range(241, 252))) == 11
    assert not after_pins_matched([big], eligible_shown=250, threshold=7, rounding_base=5)


def test_k_to_1_and_no_binary_covariate() -> None:
    """With 2:1 matching b counts of 2n controls (weights ½); no 0/1 covariate, nothing to pin."""
    assert not after_pins_matched([], 20, 7, 5)
    smd, vr = _stats(15, 5, 9, k=2)
    assert 15 in feasible_matched([(round(smd, 2), round(vr, 2))], range(11, 22), k=2)
    assert after_pins_matched([(smd, vr)], 20, 7, 5, k=2) == (
        len(feasible_matched([(round(smd, 2), round(vr, 2))], range(11, 22), k=2)) < 3)


def test_a_binary_split_of_a_few_people_is_hidden() -> None:
    """9 men of 19 participants is shown; 3 women of 12 participants is not (its SMD and
    variance ratio, with the participants' number from cost ÷ cost per person, give the 3
    back), nor is a matched control group with 2 men."""
    from carecase.report.sections.evaluation import small_binary_groups

    bal = pd.DataFrame({
        "covariate": ["sex_M", "sex_F", "sex_M", "age"], "stage": ["before", "before", "after", "before"],
        "binary": [True, True, True, False], "mean_treated": [9 / 19, 3 / 12, 0.5, 40.0],
        "mean_control": [0.5, 0.5, 2 / 20, 41.0], "n_treated": [19, 12, 20, 19], "n_control": [4000, 4000, 20, 4000]})
    assert small_binary_groups(bal, 7) == {("sex_F", "before"), ("sex_M", "after")}
    weighted = bal.assign(mean_control=[0.5, 0.5, 0.1713, 41.0])  # entropy weights: not a count
    assert small_binary_groups(weighted, 7) == {("sex_F", "before")}


def test_an_eq5d_index_is_shared_to_two_decimals() -> None:
    """Shared outcome means are rounded to 1 decimal: an EQ-5D index gain of 0.155 read
    0.2 (0.50 → 0.60), overstating it by 29%. A row whose means lie within [−1, 1] keeps 2."""
    from carecase.report.sections.outcomes import outcomes_for_sharing

    df = pd.DataFrame({"instrument": ["EQ5D", "SWEMWBS"], "measure": ["total", "total"],
                       "mean_from": [0.4853, 19.23], "mean_to": [0.6401, 22.07],
                       "mean_change": [0.1548, 2.84], "sd_change": [0.1521, 3.06], "t_p": [0.0123, 0.2]})
    out = outcomes_for_sharing(df)
    assert out["mean_change"].tolist() == ["0.15", "2.8"] and out["mean_from"].tolist() == ["0.49", "19.2"]
    assert out["sd_change"].tolist() == ["0.15", "3.1"] and out["t_p"].tolist() == [0.012, 0.2]
    # a 1-decimal rounding is shown with 1 decimal (it read "4.00 → 4.90, change 1.00")
    one = outcomes_for_sharing(pd.DataFrame({"mean_from": [3.96], "mean_to": [4.92], "mean_change": [0.96]}))
    assert one.iloc[0].tolist() == ["4.0", "4.9", "1.0"]
    assert outcomes_for_sharing(pd.DataFrame({"mean_from": [5.0], "mean_change": [-0.04]}))["mean_change"].tolist() == ["0.0"]


def test_no_outcome_measures_build_a_shared_report(tmp_path) -> None:
    """A project with no instruments (the template's default) stopped at the report: the
    evaluation wrote its empty outcomes table with every column as text, and rounding the
    means failed (ArrowNotImplementedError: abs of large_string). The table is now typed,
    and the report copes with such a file written by an older run."""
    import pyarrow.parquet as pq

    from carecase.core.output import write_table
    from carecase.evaluate.outcomes import no_outcomes
    from carecase.report.sections.outcomes import outcomes_for_sharing

    write_table(no_outcomes(), tmp_path, "outcomes")
    schema = pq.read_schema(tmp_path / "outcomes.parquet")
    assert str(schema.field("mean_from").type) == "double" and str(schema.field("n").type) == "int64"
    old = pd.DataFrame({c: pd.Series(dtype="string[pyarrow]") for c in schema.names})
    assert outcomes_for_sharing(old).empty
    assert outcomes_for_sharing(pd.read_parquet(tmp_path / "outcomes.parquet")).empty
