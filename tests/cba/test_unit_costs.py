from pathlib import Path

import pytest

from carecase.cba.unit_costs import BUILTIN, gdp_deflator, uprating_factor

GMCA = Path("/work/shared/data/gmca_unit_cost_database_v1_4.xlsx")
DEFLATOR = Path("/work/shared/data/hmt_gdp_deflator_2024_100.csv")


def test_e_and_e1_split() -> None:
    """GMCA Unit Cost Database v1.4 E&E1.0: DWP £9,234 + NHS £566 = £9,800 fiscal (2012/13)."""
    comps = BUILTIN.components("E&E1.0")
    fiscal = {c.agency_l1: c.value for c in comps if c.value_type == "fiscal"}
    assert fiscal == {"DWP": 9234.0, "NHS": 566.0} and sum(fiscal.values()) == 9800.0
    assert [c.value for c in comps if c.value_type == "economic"] == [14044.0]


def test_ss7_two_thirds_split() -> None:
    """GMCA v1.4 SS7.0: £538.20 a week = £358.80 fiscal (council) + £179.40 economic."""
    comps = BUILTIN.components("SS7.0")
    assert sum(c.value for c in comps) == pytest.approx(538.20)


def test_uprating_factor_uses_the_financial_year_deflator() -> None:
    """HM Treasury GDP deflator, December 2025 QNA (2024 = 100): CY2012 71.9294, CY2013
    73.4795, CY2023 96.2507, CY2024 100. Financial years as the costs stage takes them
    (0.75 × CY(y) + 0.25 × CY(y+1)): FY2012/13 = 72.316925, FY2023/24 = 97.188025, so
    2012/13 prices × 1.343918 are 2023/24 prices; FY2024/25 carries CY2024 forward (100)."""
    assert uprating_factor(2012, 2023) == pytest.approx(97.188025 / 72.316925, rel=1e-12)
    assert uprating_factor(2012, 2023) == pytest.approx(1.343918, abs=1e-6)
    assert uprating_factor(2012, 2024) == pytest.approx(100 / 72.316925, rel=1e-12)
    assert uprating_factor(2020, 2020) == 1.0
    with pytest.raises(KeyError):
        uprating_factor(1980, 2024)


def test_cba_and_costs_uprate_with_the_same_index() -> None:
    from carecase.costs.uprate import load_index

    index = load_index()
    assert gdp_deflator() == index.values
    assert uprating_factor(2013, 2023) == index.factor(2013, 2023)


@pytest.mark.skipif(not DEFLATOR.exists(), reason="shared reference data (/work/shared) absent")
def test_transcribed_deflator_matches_source() -> None:
    import csv

    from carecase.costs.uprate import default_deflator_path

    src = {int(r["year"]): float(r["value"]) for r in csv.DictReader(DEFLATOR.open())}
    shipped = {int(r["year"]): float(r["value"]) for r in csv.DictReader(default_deflator_path().open())}
    assert shipped == src


@pytest.mark.skipif(not GMCA.exists(), reason="shared reference data (/work/shared) absent")
def test_builtin_headlines_match_workbook() -> None:
    import openpyxl

    wb = openpyxl.load_workbook(GMCA, read_only=True, data_only=True)
    found = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            if row and len(row) > 10 and row[2] in BUILTIN.codes():
                found[row[2]] = (row[7], row[10])
    # codes carecase derives (HO4.0N: the weekly HO4.0 per night) are not in the workbook
    assert {"E&E1.0", "SS7.0", "SS1.0", "HE1.0", "HO4.0"} <= set(found)
    for code in sorted(found):
        comps = BUILTIN.components(code)
        fiscal = sum(c.value for c in comps if c.value_type == "fiscal")
        economic = sum(c.value for c in comps if c.value_type == "economic")
        assert found[code][0] == pytest.approx(fiscal), code
        assert (found[code][1] or 0) == pytest.approx(economic), code


def test_costs_library_adapter_splits_headline_into_agencies() -> None:
    """The costs library's E&E1.0 headline (agency "Multiple", fiscal £9,800) becomes its
    constituents DWP £9,234 (transfer) + NHS £566; economic £14,044 goes to individuals."""
    from carecase.cba.library_lookup import library_lookup

    lk = library_lookup(2012)
    comps = {(c.agency_l1, c.value_type): (c.value, c.transfer) for c in lk.components("E&E1.0")}
    assert comps == {("DWP", "fiscal"): (9234.0, True), ("NHS", "fiscal"): (566.0, False),
                     ("Individual", "economic"): (14044.0, False)}
    ss7 = lk.components("SS7.0")
    assert {c.agency_l1 for c in ss7 if c.value_type == "economic"} == {"Individual"}
    assert [c.agency_l1 for c in lk.components("HO4.0")] == ["Local Authority"]


def test_a_headline_whose_parts_name_another_agency_is_split() -> None:
    """SS8.0, nursing care (GMCA Unit Cost Database v1.4, 2013/14): the headline names the
    council, but its parts are the council's £355.87 a week (SS8.0.1) and the NHS-funded
    nursing care contribution's £109.79 (SS8.0.2), £465.66 together. The NHS's share was
    credited to the council in who pays / who benefits."""
    from carecase.cba.library_lookup import library_lookup

    comps = [(c.agency_l1, c.value_type, round(c.value, 2)) for c in library_lookup(2013).components("SS8.0")]
    assert sorted(comps) == [("Individual", "economic", 177.93), ("Local Authority", "fiscal", 355.87),
                             ("NHS", "fiscal", 109.79)]
    assert [c.agency_l1 for c in library_lookup(2013).components("HO4.0")] == ["Local Authority"]


def test_adapter_keeps_headline_when_constituents_do_not_add_up() -> None:
    import pandas as pd

    from carecase.cba.library_lookup import lookup_from_library

    lib = pd.DataFrame([
        {"code": "X1", "value_type": "fiscal", "value": 100.0, "agency_l1": "Multiple",
         "agency_l2": None, "price_year": 2020, "transfer": False, "parent_code": None,
         "unit": "u", "source": "s"},
        {"code": "X1.1", "value_type": "fiscal", "value": 60.0, "agency_l1": "NHS",
         "agency_l2": None, "price_year": 2020, "transfer": False, "parent_code": "X1",
         "unit": "u", "source": "s"},
    ])
    comps = lookup_from_library(lib).components("X1")
    assert [(c.agency_l1, c.value) for c in comps] == [("Multiple", 100.0)]


def test_builtin_is_the_shipped_library_and_uprates_to_the_project_values() -> None:
    """BUILTIN is the library the costs stage ships, at its published price years: uprated by
    the CBA to 2023/24 it gives, code by code, the values of the project library loaded at
    2023/24 (one table and one index for both stages)."""
    from carecase.cba.library_lookup import library_lookup
    from carecase.costs.library import default_library

    assert set(BUILTIN.codes()) == set(default_library()["code"])
    project = library_lookup(2023)
    for code in BUILTIN.codes():
        ours = sorted((c.agency_l1, c.value_type, c.value * uprating_factor(c.price_year, 2023))
                      for c in BUILTIN.components(code))
        theirs = sorted((c.agency_l1, c.value_type, c.value) for c in project.components(code))
        assert [a[:2] for a in ours] == [b[:2] for b in theirs], code
        assert [a[2] for a in ours] == pytest.approx([b[2] for b in theirs], rel=1e-12), code
