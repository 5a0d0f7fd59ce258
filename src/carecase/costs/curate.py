"""How the shipped default library (``data/default_library.csv``) is built from the New
Economy / GMCA Unit Cost Database v1.4 workbook (CC BY 4.0).

The selection below is the curated list of costs carecase needs to cost its service
catalogue plus the headline costs a CBA of a complex-needs programme typically uses. Run
``python -m carecase.costs.curate WORKBOOK.xlsx`` to rebuild the CSV;
tests/costs/test_curate.py checks that the shipped CSV equals a rebuild whenever the
workbook is available.

Flags (the workbook has no such columns):
- ``transfer``: benefit payments are transfers (a saving to DWP is a loss to the claimant),
  counted in a fiscal view but excluded from public value (HM Treasury Green Book); set by
  the importer (:func:`carecase.costs.gmca.is_transfer`), which flags this selection's two.
- ``cashable``: fiscal values default to cashable, economic and social values never are.
- ``grade``: carecase convention 3/4/5 from the workbook's G/A/R rating.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from carecase.costs.gmca import LIBRARY_COLUMNS, gmca_gdp_index, import_gmca

# code: why it is in the library
SELECTION: dict[str, str] = {
    "HE1.0": "alcohol dependency annual NHS cost (known-answer uprating test)",
    "HE2.2": "structured community drug treatment, per year",
    "HE2.10": "inpatient detoxification, per day",
    "HE3.0": "ambulance call-out, per incident",
    "HE3.0.2": "ambulance see, treat and convey, per incident",
    "HE4.0": "A&E attendance",
    "HE7.0": "hospital inpatient episode (elective and non-elective)",
    "HE7.0.1": "elective inpatient episode",
    "HE7.0.2": "non-elective inpatient episode",
    "HE8.0": "hospital outpatient attendance (the template's example for a declared outpatient service)",
    "HE14.0": "mental health inpatient bed day",
    "HE14.0.1": "mental health inpatient bed day, adults",
    "HE20.2": "GP face-to-face consultation",
    "HE23.0": "community (district) nurse, per hour",
    "SS1.0": "child taken into care (known-answer uprating test)",
    "SS7.0": "residential care for older people, per week (2/3 fiscal, 1/3 economic)",
    "SS8.0": "nursing care for older people, per week",
    "SS8.0.1": "nursing care for older people, local authority part",
    "SS8.0.2": "nursing care for older people, NHS funded nursing care part",
    "SS11.0": "home care package for older people, per week",
    "SS11.2": "home care, per hour (2/3 fiscal, 1/3 economic)",
    "SS13.0": "residential care for adults with a learning disability, per week",
    "SS18.0": "social worker (adult services), per hour",
    "HO3.0": "statutory homelessness application, one-off and ongoing costs",
    "HO3.0.2": "administering a homelessness application decision",
    "HO4.0": "temporary accommodation (hostel), per week",
    "HO4.1": "temporary accommodation (bed and breakfast), per week",
    "HO6.0": "rough sleeping, per year",
    "CR3.0": "prison place, per year",
    "CR3.1": "custody served in prison (over 18), per month",
    "CR3.2": "offender management (probation) of community sentences, per year",
    "CR7.0": "arrest, detained (police custody), per incident",
    "CR7.1": "arrest, no further action, per incident",
    "E&E1.0": "jobseeker entering work: fiscal (DWP + NHS) and economic benefit",
    "E&E1.0.1": "jobseeker entering work: benefit payments saved (transfer)",
    "E&E1.0.2": "jobseeker entering work: NHS saving from improved health",
    "E&E1.3": "Jobseeker's Allowance, single 25 or over, per week (transfer)",
}
# Unit texts corrected: (code → unit, why). HE8.0's figure is Reference Costs' average per
# outpatient attendance, but the workbook's unit cell says 'Per admission'.
UNIT_CORRECTIONS = {"HE8.0": ("Per attendance", "the workbook's unit text 'Per admission' corrected: the "
                                                "figure is the average cost per outpatient attendance")}
# Derived rows: (new code, from code, divisor, unit, description suffix)
DERIVED = (("HO4.0N", "HO4.0", 7.0, "Per night", "per night (weekly cost ÷ 7)"),)


def build_default_library(workbook: str | Path) -> pd.DataFrame:
    full = import_gmca(workbook)
    missing = sorted(set(SELECTION) - set(full["code"]))
    if missing:
        raise ValueError(f"codes not in workbook: {missing}")
    lib = full[full["code"].isin(list(SELECTION))].copy()
    # transfers as import_gmca flags them (carecase.costs.gmca.is_transfer): E&E1.0.1 and E&E1.3
    for code, (unit, why) in UNIT_CORRECTIONS.items():
        at = lib["code"] == code
        lib.loc[at, "unit"] = unit
        lib.loc[at, "source"] = lib.loc[at, "source"] + f"; carecase: {why}"
    extra = []
    for new, old, div, unit, suffix in DERIVED:
        rows = lib[lib["code"] == old].copy()
        rows["code"] = new
        rows["value"] = rows["value"] / div
        rows["unit"] = unit
        rows["description"] = rows["description"] + f" — {suffix}"
        rows["source"] = rows["source"] + f"; carecase derivation from {old}"
        rows["parent_code"] = None
        extra.append(rows)
    lib = pd.concat([lib, *extra], ignore_index=True)
    lib = lib[[*LIBRARY_COLUMNS, "theme"]]
    return lib.sort_values(["code", "value_type"], kind="stable").reset_index(drop=True)


def build_gmca_index(workbook: str | Path) -> pd.DataFrame:
    index, current = gmca_gdp_index(workbook)
    return pd.DataFrame({"year": list(index), "value": list(index.values()), "basis": "financial",
                         "source": "New Economy / GMCA Unit Cost Database v1.4, Lookups sheet "
                         "(HM Treasury GDP deflators, March 2015 Budget; 1989/90 = 100)",
                         "workbook_current_year": current})


def main(argv: list[str] | None = None) -> int:  # pragma: no cover - maintainer tool
    args = sys.argv[1:] if argv is None else argv
    here = Path(__file__).parent / "data"
    build_default_library(args[0]).to_csv(here / "default_library.csv", index=False)
    build_gmca_index(args[0]).to_csv(here / "gmca_gdp_index.csv", index=False)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
