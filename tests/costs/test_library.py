"""The shipped default library, overrides, user libraries and the lookup API."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from carecase.core.errors import CostError
from carecase.costs.library import (
    default_library,
    import_user_library,
    load_library,
    lookup,
    unit_cost,
)
from carecase.costs.mapping import DEFAULT_MAP
from carecase.costs.uprate import load_index

REQUIRED_CODES = {
    "HE4.0": "A&E attendance", "HE7.0.2": "non-elective spell", "HE7.0.1": "elective spell",
    "HE14.0.1": "mental-health bed day", "HE20.2": "GP consultation", "HE23.0": "community nurse hour",
    "HE3.0.2": "ambulance incident", "SS11.2": "home care hour", "SS7.0": "residential care week",
    "SS8.0": "nursing care week", "SS13.0": "learning disability residential week",
    "SS18.0": "social worker hour", "HO3.0.2": "homelessness application", "HO4.0": "TA week",
    "HO4.0N": "TA night", "HO6.0": "rough sleeping year", "CR7.0": "arrest and custody",
    "CR3.0": "prison place", "CR3.2": "probation", "HE2.2": "drug and alcohol community treatment",
    "HE2.10": "inpatient detox", "E&E1.3": "out-of-work benefit",
}


def test_default_library_covers_the_brief_and_is_cited() -> None:
    lib = default_library()
    assert set(REQUIRED_CODES) <= set(lib["code"])
    assert lib["source"].str.contains("GMCA Unit Cost Database v1.4, CC BY 4.0").all()
    assert lib["url"].str.startswith("https://").all() and (lib["licence"] == "CC BY 4.0").all()
    assert set(lib["code"][lib["transfer"]]) == {"E&E1.0.1", "E&E1.3"}
    assert set(lib["parent_code"].dropna()) <= set(lib["code"])
    assert lib["grade"].between(1, 6).all()
    assert not lib.duplicated(["code", "value_type"]).any()
    for m in DEFAULT_MAP:
        assert m.unit_cost_code in set(lib["code"]), m


def test_known_values_transcribed() -> None:
    """GMCA UCD v1.4: SS7.0 £358.80 fiscal + £179.40 economic (2013/14); E&E1.0 DWP £9,234 +
    NHS £566 = £9,800 fiscal (2012/13) and £14,044 economic; TA night = HO4.0 £107.45 ÷ 7."""
    lib = default_library().set_index(["code", "value_type"])["value"]
    assert round(lib["SS7.0", "fiscal"], 2) == 358.80 and round(lib["SS7.0", "economic"], 2) == 179.40
    assert lib["E&E1.0.1", "fiscal"] + lib["E&E1.0.2", "fiscal"] == lib["E&E1.0", "fiscal"] == 9800
    assert lib["E&E1.0", "economic"] == 14044
    assert lib["HO4.0N", "fiscal"] == pytest.approx(107.45 / 7)


def test_load_library_uprates_with_provenance() -> None:
    lib = load_library(2023)
    row = lookup("SS7.0", lib, value_type="fiscal").iloc[0]
    idx = load_index("hmt_gdp")
    assert row.base_value == pytest.approx(358.8) and row.base_price_year == 2013
    assert row.value == pytest.approx(358.8 * idx.values[2023] / idx.values[2013])
    assert row.price_year == 2023 and row.provenance == "default"
    assert unit_cost("SS7.0", "fiscal", 2023, lib) == pytest.approx(row.value)
    assert len(lookup("SS7.0", lib)) == 2


def test_overrides_take_precedence(tmp_path: Path) -> None:
    ov = tmp_path / "local.csv"
    ov.write_text(
        "code,value_type,value,price_year,description,unit,agency_l1,source\n"
        "SS7.0,fiscal,700,2023,,,,Local commissioning 2023/24\n"
        "LOC1,fiscal,50,2023,Local day centre,Per day,Local Authority,Local budget\n"
    )
    lib = load_library(2023, overrides=ov)
    ss7 = lookup("SS7.0", lib, value_type="fiscal").iloc[0]
    assert ss7.value == pytest.approx(700) and ss7.provenance == "override"
    assert ss7.description.startswith("Residential care")  # blanks inherit from the default
    assert lookup("SS7.0", lib, value_type="economic").iloc[0].provenance == "default"
    assert lookup("LOC1", lib).iloc[0].provenance == "override"


def test_an_override_of_the_value_alone_keeps_the_librarys_flags(tmp_path: Path) -> None:
    """Review finding: overriding only the value of E&E1.3 (Jobseeker's Allowance, a transfer)
    made it an ordinary cost with no RAG rating: the overrides file's blank transfer, cashable
    and rag were filled with False, fiscal-cashable and '' before the merge, so they replaced
    the library's instead of inheriting them as documented. A new code's blanks still read as
    a library row's (not a transfer, cashable when fiscal)."""
    default = lookup("E&E1.3", load_library(2024), value_type="fiscal").iloc[0]
    assert default.transfer and default.rag == "G"
    ov = tmp_path / "local.csv"
    ov.write_text("code,value_type,value,price_year,source,description,unit\n"
                  "E&E1.3,fiscal,80,2024,local,,\nLOC1,fiscal,50,2024,local,Local day centre,Per day\n")
    lib = load_library(2024, overrides=ov)
    jsa = lookup("E&E1.3", lib, value_type="fiscal").iloc[0]
    assert jsa.value == pytest.approx(80) and jsa.provenance == "override"
    assert (jsa.transfer, jsa.cashable, jsa.rag, jsa.grade) == (True, default.cashable, "G", default.grade)
    new = lookup("LOC1", lib).iloc[0]
    assert (new.transfer, new.cashable, new.rag) == (False, True, "")
    ov.write_text("code,value_type,value,price_year,transfer,rag\nE&E1.3,fiscal,80,2024,false,A\n")
    jsa = lookup("E&E1.3", load_library(2024, overrides=ov), value_type="fiscal").iloc[0]
    assert (jsa.transfer, jsa.rag) == (False, "A")  # written flags still override


def test_new_override_code_needs_description(tmp_path: Path) -> None:
    ov = tmp_path / "local.csv"
    ov.write_text("code,value_type,value,price_year\nNEW1,fiscal,5,2023\n")
    with pytest.raises(CostError, match="NEW1 needs description and unit"):
        load_library(2023, overrides=ov)


def test_bad_library_rows_name_row_and_column(tmp_path: Path) -> None:
    p = tmp_path / "lib.csv"
    p.write_text("code,value_type,value,price_year\nA1,fiscal,10,2020\nA2,fiscal,-3,2020\n")
    with pytest.raises(CostError, match=r"row 2, column value"):
        import_user_library(p)
    p.write_text("code,value_type,value,price_year\nA1,fiskal,10,2020\n")
    with pytest.raises(CostError, match=r"row 1, column value_type"):
        import_user_library(p)


def test_user_library_with_column_mapping(tmp_path: Path) -> None:
    """A user's own licensed figures (e.g. their PSSRU copy) with their own headers."""
    p = tmp_path / "pssru.csv"
    p.write_text("Ref,Item,Cost,Year,Per\nX1,Care worker hour,30,2022/23,Per hour\n")
    lib = import_user_library(p, {"Ref": "code", "Item": "description", "Cost": "value",
                                  "Year": "price_year", "Per": "unit"},
                              {"value_type": "fiscal", "licence": "user's own licence"})
    assert lib.iloc[0].code == "X1" and lib.iloc[0].price_year == 2022 and lib.iloc[0].cashable
    up = load_library(2023, library=p, columns={"Ref": "code", "Item": "description", "Cost": "value",
                                                 "Year": "price_year", "Per": "unit"})
    assert (up["provenance"] == "imported").all()


def test_unknown_code_suggests() -> None:
    with pytest.raises(CostError, match="Did you mean 'SS7.0'"):
        lookup("SS7.O", load_library(2023))


def test_lookup_frame_types() -> None:
    lib = load_library(2022)
    assert isinstance(lib, pd.DataFrame)
    assert {"value", "agency_l1", "agency_l2", "value_type", "transfer", "price_year"} <= set(lib.columns)


def test_cp1252_overrides_csv_names_file_row_column_value_and_fix(tmp_path: Path) -> None:
    """Excel's plain 'CSV' is Windows-1252: a £ sign is the byte 0xA3, which is not UTF-8.
    That was an 'unexpected error: UnicodeDecodeError'; it is a CostError saying where and
    how to fix it."""
    ov = tmp_path / "local.csv"
    text = "code,value_type,value,price_year,description\nHE4.0,fiscal,150,2023,A&E £ local tariff\n"
    ov.write_bytes(text.encode("cp1252"))
    with pytest.raises(CostError) as err:
        load_library(2023, overrides=ov)
    msg = str(err.value)
    assert msg.startswith(f"{ov}: the overrides CSV (costs.overrides) is not UTF-8 text")
    assert "row 1 (line 2), column description has byte 0xA3 at byte offset 71" in msg
    assert "'A&E £ local tariff'" in msg and "CSV UTF-8" in msg and "iconv -f cp1252 -t utf-8" in msg
    # saved as UTF-8, with or without Excel's byte-order mark, it reads
    for encoding in ("utf-8", "utf-8-sig"):
        ov.write_bytes(text.encode(encoding))
        lib = load_library(2023, overrides=ov)
        row = lookup("HE4.0", lib, value_type="fiscal").iloc[0]
        assert row.value == pytest.approx(150) and row.description == "A&E £ local tariff"


def test_non_utf8_library_and_index_csvs_are_refused(tmp_path: Path) -> None:
    lib = tmp_path / "lib.csv"
    lib.write_bytes("code,value_type,value,price_year\nX1,fiscal,10,2020\nX\xa32,fiscal,10,2020\n".encode("latin-1"))
    with pytest.raises(CostError, match=r"lib.csv: the user library CSV \(costs.library\) is not UTF-8 text: "
                                        r"row 2 \(line 3\), column code has byte 0xA3"):
        import_user_library(lib)
    with pytest.raises(CostError, match=r"unit-cost library CSV \(costs.library\) is not UTF-8.*row 2 \(line 3\)"):
        load_library(2023, library=lib)
    idx = tmp_path / "index.csv"
    idx.write_bytes("year,value,source\n2020,100,ONS \xa3\n".encode("latin-1"))
    with pytest.raises(CostError, match=r"price index CSV \(costs.deflator\) is not UTF-8.*column source"):
        load_index(idx)
    idx.write_bytes("ye\xe4r,value\n2020,100\n".encode("latin-1"))
    with pytest.raises(CostError, match=r"not UTF-8 text: the header \(line 1\) has byte 0xE4"):
        load_index(idx)


@pytest.mark.parametrize("line,column,value", [
    ("SS7.0,fiscal,inf,2013", "value", "'inf'"),
    ('SS7.0,fiscal,"£1,234.50",2013', "value", "'£1,234.50'"),
    ("SS7.0,fiscal,5,20131", "price_year", "'20131'"),
    ("SS7.0,fiscal,5,2013abc", "price_year", "'2013abc'"),
    ("SS7.0,fiscal,5,2013/15", "price_year", "'2013/15'"),
    ("SS7.0,fiscal,5,2013.5", "price_year", "'2013.5'"),
])
def test_override_values_and_years_are_read_strictly(tmp_path: Path, line: str, column: str, value: str) -> None:
    """An infinite cost, or a price year such as 20131 read as 2013, was taken silently."""
    ov = tmp_path / "local.csv"
    ov.write_text(f"code,value_type,value,price_year\n{line}\n")
    with pytest.raises(CostError, match=rf"row 1, column {column}: {re.escape(value)}"):
        load_library(2024, overrides=ov)


def test_money_formatting_in_a_value_gets_the_fix(tmp_path: Path) -> None:
    ov = tmp_path / "local.csv"
    ov.write_text('code,value_type,value,price_year\nSS7.0,fiscal,"£1,234.50",2013\n')
    with pytest.raises(CostError, match="no £ sign or thousands separators"):
        load_library(2024, overrides=ov)


@pytest.mark.parametrize("year", ["2013", "2013/14", "2013-14", "2013/2014", "2013.0"])
def test_price_year_spellings(tmp_path: Path, year: str) -> None:
    ov = tmp_path / "local.csv"
    ov.write_text(f"code,value_type,value,price_year\nSS7.0,fiscal,5,{year}\n")
    lib = load_library(2024, overrides=ov)
    assert lib.loc[(lib.code == "SS7.0") & (lib.value_type == "fiscal"), "base_price_year"].item() == 2013


@pytest.mark.parametrize("grade", ["three", "3.5", "0"])
def test_bad_grades_are_refused_not_blanked(tmp_path: Path, grade: str) -> None:
    ov = tmp_path / "local.csv"
    ov.write_text(f"code,value_type,value,price_year,grade\nSS7.0,fiscal,5,2013,{grade}\n")
    with pytest.raises(CostError, match=rf"row 1, column grade: '{grade}' must be a whole number 1-6"):
        load_library(2024, overrides=ov)


@pytest.mark.parametrize("text,message", [
    ("", "the overrides CSV .* is empty"),
    ("code;value_type;value;price_year\nSS7.0;fiscal;5;2013\n", "separated by semicolons"),
    ("code,value_type,value,value,price_year\nSS7.0,fiscal,5,6,2013\n", "'value' more than once"),
    ("code,value_type,value,price_year\nSS7.0,fiscal,1,234.50,2013\n",
     r"row 1 \(line 2\) has 5 field\(s\) but the header has 4"),
])
def test_unreadable_override_files_are_named(tmp_path: Path, text: str, message: str) -> None:
    """An empty file crashed (EmptyDataError); a duplicated header or a row with an unquoted
    comma was read shifted or with one of the columns silently."""
    ov = tmp_path / "local.csv"
    ov.write_text(text)
    with pytest.raises(CostError, match=message):
        load_library(2024, overrides=ov)


def test_an_override_code_one_character_from_a_library_code_is_warned_of(tmp_path: Path) -> None:
    """'SS7.O' (letter O) meant to override SS7.0 was added as a new, unused code and SS7.0
    kept its library value without a word."""
    from carecase.costs.library import near_miss_codes

    ov = tmp_path / "local.csv"
    ov.write_text(
        "code,value_type,value,price_year,description,unit,agency_l1,source\n"
        "SS7.O,fiscal,700,2023,Residential care,Per week,Local Authority,Local 2023/24\n"
        "LOC1,fiscal,50,2023,Local day centre,Per day,Local Authority,Local budget\n"
        "SS7.0,fiscal,710,2023,,,,Local 2023/24\n"
    )
    new: set[str] = set()
    lib = load_library(2023, overrides=ov, new_codes=new)
    assert new == {"SS7.O", "LOC1"}
    codes = set(lib["code"])
    warnings = near_miss_codes(new, codes, used={"LOC1"})
    assert warnings == [
        "costs.overrides: code SS7.O is new (not in the library) and no service uses it, but differs "
        "by one character from SS7.0; if it was meant to override that code, correct it."]
    assert near_miss_codes(new, codes, used={"SS7.O", "LOC1"}) == []  # a service uses it: meant
