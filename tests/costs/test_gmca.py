"""The GMCA Unit Cost Database importer against the workbook itself (skipped without it)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from carecase.costs.curate import build_default_library
from carecase.costs.gmca import gmca_gdp_index, import_gmca, uprate_gmca
from carecase.costs.library import default_library

ROOT = Path(__file__).resolve().parents[2]
CANDIDATES = [Path("/work/shared/data"), ROOT.parent / "shared" / "data", ROOT / "../shared/data"]
WORKBOOK = next((p / "gmca_unit_cost_database_v1_4.xlsx" for p in CANDIDATES
                 if (p / "gmca_unit_cost_database_v1_4.xlsx").exists()), None)
pytestmark = pytest.mark.skipif(WORKBOOK is None, reason="GMCA workbook not present (../shared/data)")


@pytest.fixture(scope="module")
def ucd() -> pd.DataFrame:
    return import_gmca(WORKBOOK)


def _one(ucd: pd.DataFrame, code: str, vt: str) -> pd.Series:
    rows = ucd[(ucd.code == code) & (ucd.value_type == vt)]
    assert len(rows) == 1
    return rows.iloc[0]


def test_reads_every_theme_sheet(ucd: pd.DataFrame) -> None:
    """GMCA UCD v1.4 README: 683 unit costs across seven theme sheets."""
    assert ucd["code"].nunique() == 683
    assert set(ucd["theme"]) == {"Crime", "Education & Skills", "Employment & Economy", "Fire",
                                 "Health", "Housing", "Social Services"}


def test_reproduces_every_workbook_uprated_value_to_the_penny(ucd: pd.DataFrame) -> None:
    """Each value × index(2015/16) / index(price year) equals the workbook's own uprated
    column (GMCA UCD v1.4, Lookups sheet GDP index) to the penny."""
    index, current = gmca_gdp_index(WORKBOOK)
    assert current == 2015
    have = ucd[ucd.workbook_uprated.notna()]
    mine = [round(uprate_gmca(v, y, index, current), 2) for v, y in zip(have.value, have.price_year, strict=True)]
    assert (pd.Series(mine, index=have.index) == have.workbook_uprated.round(2)).all()
    assert round(_one(ucd, "SS1.0", "fiscal").workbook_uprated, 2) == 52675.64
    assert round(_one(ucd, "HE1.0", "fiscal").workbook_uprated, 2) == 2014.98


def test_residential_care_two_thirds_one_third(ucd: pd.DataFrame) -> None:
    """GMCA UCD v1.4 SS7.0: £538.20 a week = £358.80 fiscal (council) + £179.40 economic."""
    f, e = _one(ucd, "SS7.0", "fiscal"), _one(ucd, "SS7.0", "economic")
    assert round(f.value, 2) == 358.80 and round(e.value, 2) == 179.40
    assert round(f.value + e.value, 2) == 538.20
    assert f.value == pytest.approx(2 * e.value)


def test_jobseeker_agency_split(ucd: pd.DataFrame) -> None:
    """GMCA UCD v1.4 E&E1.0: DWP £9,234 + NHS £566 = £9,800 fiscal (2012/13), £14,044 economic."""
    dwp, nhs = _one(ucd, "E&E1.0.1", "fiscal"), _one(ucd, "E&E1.0.2", "fiscal")
    head = _one(ucd, "E&E1.0", "fiscal")
    assert (dwp.value, nhs.value, head.value) == (9234, 566, 9800)
    assert dwp.value + nhs.value == head.value and head.price_year == 2012
    assert (dwp.agency_l1, nhs.agency_l1) == ("DWP", "NHS")
    assert dwp.parent_code == "E&E1.0" and nhs.parent_code == "E&E1.0"
    assert _one(ucd, "E&E1.0", "economic").value == 14044


def test_hierarchy_from_bold_and_indent(ucd: pd.DataFrame) -> None:
    """Bold rows are headlines; indented rows are constituents of the headline above."""
    assert bool(_one(ucd, "HE2.0", "fiscal").headline)
    assert _one(ucd, "HE2.0.3", "fiscal").parent_code == "HE2.0"
    assert pd.isna(_one(ucd, "HE1.1", "fiscal").parent_code)
    assert set(ucd.rag) <= {"G", "A", "R", ""}


def test_shipped_default_library_equals_rebuild() -> None:
    rebuilt = build_default_library(WORKBOOK).drop(columns="theme")
    shipped = default_library()
    pd.testing.assert_frame_equal(
        shipped.reset_index(drop=True)[["code", "value_type", "price_year", "agency_l1", "transfer"]],
        rebuilt.reset_index(drop=True)[["code", "value_type", "price_year", "agency_l1", "transfer"]],
        check_dtype=False,
    )
    assert (shipped["value"].to_numpy() == rebuilt["value"].to_numpy()).all()


def test_benefit_payments_are_imported_as_transfers(ucd: pd.DataFrame) -> None:
    """Review finding: every imported row had transfer False, so a project using the imported
    library counted Jobseeker's Allowance (E&E1.3) and the benefits a claimant entering work
    saves (E&E1.0.1) as public value, which the default library flags as transfers. Weekly
    awards (allowances, Housing Benefit) are transfers; the DWP's costs of processing or
    maintaining a claim, and the NHS's share, are not."""
    flagged = set(ucd.loc[ucd["transfer"], "code"])
    assert {"E&E1.0.1", "E&E1.3", "E&E2.0.1", "E&E3.0.1", "E&E9.0", "HO7.0", "E&E5.0"} <= flagged
    assert not flagged & {"E&E1.0", "E&E1.0.2", "E&E1.6", "E&E1.7", "E&E9.1", "HO8.0", "HE4.0", "SS7.0"}
    shipped = default_library()
    assert set(shipped.loc[shipped["transfer"], "code"]) == {"E&E1.0.1", "E&E1.3"} <= flagged
