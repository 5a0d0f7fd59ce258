"""Which GMCA workbook rows the importer flags as transfers (benefit payments; carecase.costs.
gmca.is_transfer), on rows transcribed from the v1.4 workbook: runs without the workbook,
which tests/costs/test_gmca.py reads where it is present."""

from __future__ import annotations

import pytest

from carecase.costs.gmca import is_transfer

JSA = "Job Seeker's Allowance"


@pytest.mark.parametrize(("code", "value_type", "agency", "unit", "description", "transfer"), [
    ("E&E1.3", "fiscal", "DWP", "Per week", f"{JSA} Income-based allowance - single 25 or over", True),
    ("E&E9.0", "fiscal", "DWP", "Per week", "Carer's Allowance Weekly payment", True),
    ("HO7.0", "fiscal", "DWP", "Per week", "Housing Benefit - average weekly award, across all tenure types", True),
    ("E&E3.0.1", "fiscal", "DWP", "Per claimant per year",
     "Income Support Fiscal benefit from a workless claimant entering work", True),
    ("E&E1.6", "fiscal", "DWP", "Per claim", f"{JSA} Cost of processing each new claim for JSA", False),
    ("E&E1.0.2", "fiscal", "NHS", "Per claimant per year",
     f"{JSA} Fiscal benefit from a workless claimant entering work", False),
    ("E&E1.0", "economic", "Multiple", "Per claimant per year", f"{JSA} Fiscal and economic benefit", False),
    ("HO8.0", "fiscal", "Local authority", "Per application", "Housing Benefit - average cost of processing", False),
    ("SS7.0", "fiscal", "Local Authority", "Per week", "Residential care - older people", False),
])
def test_benefit_payments_are_transfers_and_the_costs_of_claims_are_not(
        code: str, value_type: str, agency: str, unit: str, description: str, transfer: bool) -> None:
    assert is_transfer(code, value_type, agency, unit, description) is transfer
