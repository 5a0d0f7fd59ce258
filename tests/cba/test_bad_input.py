"""Impossible inputs are refused with CBAError naming the key path, the value and what is
allowed; nothing is computed from a half-valid model."""

import copy

import pytest

from carecase.cba.discounting import STANDARD, discount_factors
from carecase.cba.load import load_yaml_model, model_from_dict
from carecase.core.errors import CBAError

from .helpers import rich_model, simple_model


def _err(data) -> str:
    with pytest.raises(CBAError) as exc:
        model_from_dict(copy.deepcopy(data), source="model.yaml")
    return str(exc.value)


def test_rate_above_one() -> None:
    d = simple_model()
    d["outcomes"][0]["deadweight"] = 1.2
    msg = _err(d)
    assert "outcomes[0].deadweight = 1.2" in msg and "0–1" in msg


def test_probability_distribution_outside_unit_interval() -> None:
    d = simple_model()
    d["cohorts"][0]["success_rate"] = {"dist": "normal", "mean": 0.5, "sd": 0.1}
    msg = _err(d)
    assert "cohorts[0].success_rate" in msg and "beta" in msg


def test_negative_cost() -> None:
    d = simple_model()
    d["costs"][0]["amount"] = -5
    msg = _err(d)
    assert "costs[0].amount = -5" in msg and "≥ 0" in msg


def test_negative_period() -> None:
    msg = _err(simple_model(appraisal_years=-3))
    assert "appraisal_years = -3" in msg and "greater than or equal to 1" in msg


def test_unknown_unit_cost_code() -> None:
    d = simple_model()
    d["outcomes"][0] = {"name": "x", "cohort": "c", "unit_cost": "EE1.0", "confidence_grade": 1}
    msg = _err(d)
    assert "outcomes[0].unit_cost = 'EE1.0'" in msg and "Did you mean 'E&E1.0'" in msg


def test_agency_that_pays_nothing_and_benefits_nothing() -> None:
    d = simple_model(cashable={"Police": 0.5})
    msg = _err(d)
    assert "cashable.Police = 0.5:" in msg and "pays nothing and benefits nothing" in msg  # its value, not its name
    d = simple_model(agencies=["LA", "Fire"])
    assert "agencies = 'Fire'" in _err(d)


def test_negative_sd() -> None:
    d = simple_model()
    d["outcomes"][0]["values"][0]["amount"] = {"dist": "normal", "mean": 30, "sd": -1}
    msg = _err(d)
    assert "outcomes[0].values[0].amount" in msg and "sd must be ≥ 0" in msg


def test_min_above_mode() -> None:
    d = simple_model()
    d["costs"][0]["amount"] = {"dist": "triangular", "min": 50, "mode": 40, "max": 90}
    msg = _err(d)
    assert "costs[0].amount" in msg and "min ≤ mode ≤ max" in msg


def test_unknown_distribution_and_missing_parameter() -> None:
    d = simple_model()
    d["costs"][0]["amount"] = {"dist": "weibull", "k": 2}
    assert "unknown distribution 'weibull'" in _err(d)
    d["costs"][0]["amount"] = {"dist": "gamma", "shape": 2}
    assert "gamma distribution needs scale" in _err(d)


def test_unknown_cohort_and_key() -> None:
    d = simple_model()
    d["outcomes"][0]["cohort"] = "cc"
    assert "outcomes[0].cohort = 'cc': unknown cohort. Did you mean 'c'?" in _err(d)
    d = simple_model()
    d["outcomes"][0]["deadwieght"] = 0.1
    assert "Did you mean 'deadweight'?" in _err(d)


def test_year_outside_period_and_bad_grade() -> None:
    d = simple_model()
    d["costs"][0]["years"] = [0, 9]
    assert "costs[0].years = 9: year must lie in 0–5" in _err(d)
    d = simple_model()
    d["costs"][0]["confidence_grade"] = 7
    assert "costs[0].confidence_grade = 7" in _err(d)


def test_bad_scenario_path_and_value() -> None:
    d = simple_model(scenarios=[{"name": "s", "overrides": {"outcomes[0].deadweigh": 0.5}}])
    assert "no such input. Did you mean 'outcomes[0].deadweight'?" in _err(d)
    d = simple_model(scenarios=[{"name": "s", "overrides": {"outcomes[0].deadweight": 2}}])
    assert "must lie in 0–1" in _err(d)


def test_optimism_table_must_cover_each_grade() -> None:
    d = simple_model(optimism_bias={"costs": {1: 0, 2: 0.1}})
    assert "optimism_bias.costs" in _err(d)


def test_every_problem_listed_at_once() -> None:
    d = rich_model()
    d["costs"][0]["amount"] = -1
    d["outcomes"][1]["deadweight"] = 3
    msg = _err(d)
    assert "2 problem(s)" in msg


def test_yaml_file_errors(tmp_path) -> None:
    with pytest.raises(CBAError, match="no such CBA model file"):
        load_yaml_model(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(CBAError, match="not valid YAML at line"):
        load_yaml_model(bad)


def test_years_on_a_per_participant_cost_refused() -> None:
    """A per-participant cost is charged for whoever is engaged each year (so a rollout that
    engages people in later years pays for them): years would silently drop those costs."""
    d = simple_model()
    d["costs"].append({"name": "support", "agency": "LA", "kind": "revenue",
                       "basis": "per_participant", "amount": 200, "years": [0, 1, 2],
                       "confidence_grade": 1})
    msg = _err(d)
    assert ("costs[1].years = [0, 1, 2]: a per-participant cost is charged for the people engaged "
            "each year; remove years, or use basis: per_year.") in msg
    d["costs"][1]["basis"] = "per_year"
    model_from_dict(copy.deepcopy(d))


def test_discounting_rate_or_bands_need_schedule_custom() -> None:
    """rate and bands are read only by schedule: custom; elsewhere they were ignored (a 10% rate
    discounted at 3.5%), so they are refused with the fix named."""
    msg = _err(simple_model(discounting={"rate": 0.10}))
    assert ("discounting.rate = 0.1: rate is used only with schedule: custom (schedule: standard "
            "would ignore it); set schedule: custom to discount with it") in msg
    msg = _err(simple_model(discounting={"schedule": "standard", "bands": [[0, 0.07]]}))
    assert "discounting.bands: bands is used only with schedule: custom (schedule: standard" in msg
    msg = _err(simple_model(discounting={"schedule": "custom", "rate": 0.03, "bands": [[0, 0.07]]}))
    assert "give rate or bands, not both" in msg
    for ok in ({"schedule": "custom", "rate": 0.1}, {"schedule": "custom", "bands": [[0, 0.1]]},
               {"schedule": "standard"}):
        model_from_dict(simple_model(discounting=ok))


def test_health_schedule_is_refused_for_costs_and_cash() -> None:
    """HM Treasury, The Green Book (2022), Annex A6: the 1.5% health rate is for health effects
    only; costs and £ savings take the standard 3.5%. Model-wide, it discounted everything at
    1.5%: £250,000 now and £28,000 a year of savings in years 1–10 showed NPV +£8,221 where
    the standard schedule gives −£17,135 (−250,000 + 28,000 × Σ 1.035^−t)."""
    msg = _err(simple_model(discounting={"schedule": "health"}))
    assert "discounting.schedule" in msg and "Annex A6" in msg and "Use schedule: standard" in msg
    factors = discount_factors(11, STANDARD)
    assert round(-250_000 + 28_000 * float(factors[1:].sum())) == -17_135


def test_unit_cost_without_price_base_year_refused() -> None:
    """Library values come at their sources' price years (E&E1.0 2012/13, HO4.0 2010/11):
    summed without a price base they would mix years unnoticed, so the model is refused,
    naming each code, its price year and the fix."""
    d = simple_model()
    d["outcomes"] = [
        {"name": "work", "cohort": "c", "unit_cost": "E&E1.0", "confidence_grade": 1},
        {"name": "housing", "cohort": "c", "unit_cost": "HO4.0", "confidence_grade": 1},
    ]
    msg = _err(d)
    assert "price_base_year = None: outcomes use library unit costs at their published price " \
           "years (E&E1.0 2012/13; HO4.0 2010/11); set price_base_year" in msg
    model_from_dict(copy.deepcopy({**d, "price_base_year": 2024}))
    model_from_dict(simple_model())  # direct values only: no price base needed


@pytest.mark.parametrize("payer", ["la", "LA ", " la"])
def test_an_agency_spelt_two_ways_is_refused(payer: str) -> None:
    """'la' paying and 'LA' benefiting were two agencies in who pays / who benefits."""
    d = simple_model()
    d["costs"][0]["agency"] = payer
    msg = _err(d)
    assert f"= 'LA': spelt differently from {payer!r} (costs[0].agency)" in msg


def test_a_blank_agency_is_refused() -> None:
    d = simple_model()
    d["outcomes"][0]["values"][0]["agency"] = "  "
    assert "outcomes[0].values[0].agency = '  ': name the agency" in _err(d)


def test_a_benefit_that_starts_after_the_period_is_refused() -> None:
    """lag_years beyond the appraisal period silently counted nothing."""
    d = simple_model()
    d["outcomes"][0]["lag_years"] = d["appraisal_years"]
    msg = _err(d)
    assert f"outcomes[0].lag_years = {d['appraisal_years']}: the benefit would start after" in msg


def test_a_benefit_that_starts_after_the_period_for_a_late_cohort_is_refused() -> None:
    """A new user's housing-first model: need only in year 4 of six, lag 2: every success's
    benefit fell in year 6 or later, so the outcome counted nothing (PV benefits £0 from it)
    with no error, as a lag longer than the period is refused."""
    d = simple_model()
    d["cohorts"][0]["need"] = {0: 0, 4: 10}
    d["outcomes"][0]["lag_years"] = 2
    msg = _err(d)
    assert ("outcomes[0].lag_years = 2: cohort 'c' has nobody in need before year 4 (its need), so "
            "this outcome's benefit would start in year 6, after the appraisal period (years 0–5)") in msg
    d["outcomes"][0]["lag_years"] = 1  # year 5: inside the period, counted
    model_from_dict(d)
    d["outcomes"][0]["lag_years"] = 2  # a rollout of the cohort replaces its need from year 0
    d["rollouts"] = [{"name": "r", "cohort": "c", "eligible_population": 100, "uptake": [0.1]}]
    model_from_dict(d)


def test_empty_uptake_and_empty_need_are_refused() -> None:
    """uptake: [] crashed (IndexError); need: {} silently modelled nobody."""
    d = rich_model()
    d["rollouts"] = [{"name": "r", "cohort": d["cohorts"][0]["name"], "eligible_population": 100,
                      "uptake": []}]
    assert "rollouts[0].uptake" in _err(d)
    d = simple_model()
    d["cohorts"][0]["need"] = {}
    assert "cohorts[0].need" in _err(d)


def test_model_files_that_are_empty_or_not_utf8(tmp_path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    with pytest.raises(CBAError, match="the CBA model is empty"):
        load_yaml_model(empty)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"name: Caf\xe9 model\n")
    with pytest.raises(CBAError, match="latin.yaml: not UTF-8 text: line 1 has byte 0xE9"):
        load_yaml_model(latin)


def test_an_unquoted_input_path_in_a_flow_mapping_gets_a_hint(tmp_path) -> None:
    """overrides: {costs[1].amount: 3500} is not valid YAML ([ ] are flow syntax there)."""
    import pytest

    from carecase.cba.load import read_model_yaml
    from carecase.core.errors import CBAError

    p = tmp_path / "m.yaml"
    p.write_text("scenarios:\n  - name: dear\n    overrides: {costs[1].amount: 3500}\n")
    with pytest.raises(CBAError, match=r"line 3.*must be quoted: \{'costs\[1\].amount': 3500\}"):
        read_model_yaml(p)


def test_settings_that_would_change_nothing_are_refused() -> None:
    """An expert review found settings accepted silently: `years: []` dropped a £120,000-a-year
    cost (NPV −£235,866 → +£352,942), a repeated year counted once, a cohort on a per-year
    cost, a cashable share for an agency with no fiscal benefit, a social value marked as a
    transfer (dropped from public value)."""
    def with_cost(**cost):
        d = simple_model()
        d["costs"][0].update(cost)
        return d

    assert ("costs[0].years = []: list at least one year, or remove years to charge the default"
            in _err(with_cost(years=[])))
    assert "year(s) 1 listed more than once" in _err(with_cost(kind="revenue", years=[0, 1, 1, 2]))
    assert ("costs[0].cohort = 'c': cohort is read only for basis: per_participant costs"
            in _err(with_cost(cohort="c")))
    d = simple_model()
    d["outcomes"][0]["values"].append({"agency": "Individual", "value_type": "social", "amount": 5})
    d["cashable"] = {"Individual": 1.0}
    assert ("cashable.Individual = 1.0: a cashable share applies to fiscal benefits" in _err(d))
    d = simple_model()
    d["outcomes"][0]["values"].append({"agency": "Individual", "value_type": "social", "amount": 5,
                                       "transfer": True})
    assert "outcomes[0].values[1].transfer = True: a transfer moves money between parties" in _err(d)
    model_from_dict(simple_model(cashable={"LA": 0.5}))  # fiscal: fine


def test_a_key_given_twice_in_a_model_file_is_refused(tmp_path) -> None:
    """PyYAML keeps the second of two equal keys: `deadweight: 0.3` then `deadweight: 0.03`
    changed the NPV from −£235,866 to −£213,762 with no error."""
    path = tmp_path / "m.yaml"
    path.write_text("name: x\nappraisal_years: 3\noutcomes:\n  - name: o\n    deadweight: 0.3\n"
                    "    deadweight: 0.03\n")
    with pytest.raises(CBAError, match=r"key 'deadweight' is given twice in one mapping \(line 5, then line 6\)"):
        load_yaml_model(path)


def test_messages_name_the_fix_for_common_slips() -> None:
    """From an expert review: 3.5 for a 3.5% rate, 2.5e4 (text to YAML 1.1), grade 7, and a
    normal cost 'must lie in ≥ 0'."""
    assert "A rate or share is a fraction: 0.035 for 3.5%" in _err(
        simple_model(discounting={"schedule": "custom", "rate": 3.5}))
    d = simple_model()
    d["costs"][0]["amount"] = "2.5e4"
    assert "'2.5e4' was read as text, not a number" in _err(d) and "2.5e+4" in _err(d)
    d = simple_model()
    d["costs"][0]["confidence_grade"] = 7
    assert "Grades run from 1 (best: independently audited data) to 6" in _err(d)
    d = simple_model()
    d["costs"][0]["amount"] = {"dist": "normal", "mean": 10, "sd": 2}
    assert "this amount must be ≥ 0, but a normal distribution ranges" in _err(d)
    assert "problem(s) in the CBA model" in _err(d)


def test_schema_and_reference_problems_come_in_one_message() -> None:
    """A schema error used to hide the cross-reference errors until it was fixed, so an
    analyst met them one run later: now both come in one message."""
    d = simple_model()
    d["costs"][0]["amount"] = -5  # schema
    d["outcomes"][0]["cohort"] = "cc"  # unknown cohort
    d["outcomes"].append({"name": "library", "cohort": "c", "unit_cost": "NOT_A_CODE", "confidence_grade": 2})
    msg = _err(d)
    assert "costs[0].amount = -5" in msg
    assert "outcomes[0].cohort = 'cc': unknown cohort. Did you mean 'c'?" in msg
    assert "outcomes[1].unit_cost = 'NOT_A_CODE': unknown unit-cost code." in msg and "code.." not in msg
    assert "Also 2 cross-reference problem(s)" in msg
    d["costs"][0]["amount"] = 100  # schema fixed: the same references, from the full check
    msg = _err(d)
    assert "Also" not in msg and "unknown cohort" in msg and "NOT_A_CODE" in msg


def test_a_price_base_year_past_the_deflator_names_the_fix() -> None:
    """price_base_year: 2025 (a new user's 'this year') was refused with only 'the GDP deflator
    covers 1990–2024', not what to do."""
    d = simple_model(price_base_year=2025)
    d["outcomes"][0] = {"name": "x", "cohort": "c", "unit_cost": "HE4.0", "confidence_grade": 1}
    msg = _err(d)
    assert "cannot uprate 2011 prices to 2025: the GDP deflator covers 1990–2024. Set price_base_year " \
        "to a year it covers (the latest: 2024 for 2024/25)" in msg


def test_a_scenario_on_lag_years_says_it_cannot_be_overridden() -> None:
    """A scenario 'benefits start a year later' (outcomes[0].lag_years: 2) was told 'no such
    input. Did you mean ...quantity?', which would change something else."""
    d = simple_model(scenarios=[{"name": "later", "overrides": {"outcomes[0].lag_years": 2}}])
    msg = _err(d)
    assert "scenarios[0].overrides.outcomes[0].lag_years = 2.0: lag_years shapes the model rather than" in msg
    assert "run a copy of the model with it changed" in msg and "Did you mean" not in msg


def test_drop_off_without_a_duration_is_refused() -> None:
    """A new user's 'benefits start a year after and fade 30% a year' as lag_years: 1 and
    drop_off: 0.3, duration_years left at its default of 1: every benefit lasted one year and
    the drop-off changed nothing (a housing-first model's PV public-value benefits £614,822 → £262,350),
    with no error."""
    d = simple_model()
    d["outcomes"][0].pop("duration_years")
    d["outcomes"][0]["drop_off"] = 0.3
    msg = _err(d)
    assert "outcomes[0].drop_off = 0.3: with duration_years 1 (the default) a success pays for one year only" in msg
    assert "lag_years: 1, duration_years: 4, drop_off: 0.3" in msg
    d["outcomes"][0]["drop_off"] = {"dist": "uniform", "min": 0.1, "max": 0.4}
    assert "outcomes[0].drop_off" in _err(d)
    d["outcomes"][0]["drop_off"] = 0.0  # no drop-off: a one-year benefit is fine
    model_from_dict(d)
    d["outcomes"][0].update(drop_off=0.3, duration_years=4)
    model_from_dict(d)


def test_an_agency_spelt_as_carecase_costs_show_lists_it_is_told_the_librarys_spelling() -> None:
    """`carecase costs show` lists HO4.0's agency as 'Local authority' (the database's text);
    a user who paid with that spelling was told to 'spell it the same everywhere', though the
    library's side ('Local Authority', normalised) is not theirs to change."""
    d = simple_model(price_base_year=2024)
    d["costs"][0]["agency"] = "Local authority"
    d["outcomes"][0] = {"name": "ta", "cohort": "c", "unit_cost": "HO4.0", "confidence_grade": 1}
    msg = _err(d)
    assert ("outcomes[0].unit_cost HO4.0 = 'Local Authority': spelt differently from 'Local authority' "
            "(costs[0].agency); agencies are matched by exact name, the unit-cost library spells it "
            "'Local Authority', so write 'Local Authority' at costs[0].agency and everywhere") in msg


@pytest.mark.parametrize("key", ["cohorts", "costs", "outcomes"])
def test_two_items_of_one_name_are_refused(key: str) -> None:
    """Results, tables and the workbook list cohorts, costs and outcomes by name: a second
    item of the same name would merge with the first or hide it, so it is refused, naming both."""
    d = rich_model()
    d[key].append(copy.deepcopy(d[key][0]))
    last = len(d[key]) - 1
    msg = _err(d)
    assert f"{key}[{last}].name = {d[key][0]['name']!r}" in msg
    assert f"names must be unique ({key}[0] has it too)" in msg
    assert f"{key}[0].name" not in msg  # the first of the name is not the one to rename


def test_two_scenarios_of_one_name_are_refused() -> None:
    d = rich_model()
    d["scenarios"] = [{"name": "low", "overrides": {"outcomes[0].deadweight": 0.5}},
                      {"name": "low", "overrides": {"outcomes[0].deadweight": 0.6}}]
    msg = _err(d)
    assert "scenarios[1].name = 'low': scenario names must be unique (scenarios[0] has it too)" in msg


def test_a_cost_uplift_of_200_percent_is_accepted_and_a_benefit_share_of_1_is_not() -> None:
    """Review finding: a cost uplift of 1 or more (costs × (1 + uplift)) was refused as outside
    0–1, though HM Treasury's supplementary guidance on optimism bias gives upper bounds up to
    200% (equipment and development projects' capital costs). Benefits are × (1 − share), so a
    share of 1 or more stays refused; a cost uplift above 500% is refused as a likely
    percentage written as a whole number."""
    grades = {1: 0, 2: 0.1, 3: 0.2, 4: 0.5, 5: 1.0, 6: 2.0}
    model = model_from_dict(simple_model(optimism_bias={"costs": grades}))
    assert model.optimism_bias.costs[6] == 2.0
    assert "each correction must lie in 0–1" in _err(simple_model(optimism_bias={"benefits": grades}))
    msg = _err(simple_model(optimism_bias={"costs": {**grades, 6: 40}}))
    assert "optimism_bias.costs" in msg and "each cost uplift must lie in 0–5" in msg
