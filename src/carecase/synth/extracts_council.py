"""Council, police and public-health extracts: adult social care (local IDs and a partial
lookup to NHS numbers), housing (no NHS number), police custody (no NHS number) and drug and
alcohol treatment (NHS number sometimes recorded)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from carecase.core.random import generator
from carecase.synth.activity import ServiceEvents
from carecase.synth.broken import Layout
from carecase.synth.extract import Extract, finish
from carecase.synth.extracts_health import _codes, _refs
from carecase.synth.formatting import date_strings, datetime_strings
from carecase.synth.identity import recorded_identity
from carecase.synth.model import Area
from carecase.synth.nhs_number import format_nhs
from carecase.synth.population import NONE, People
from carecase.synth.unregistered import with_unregistered
from carecase.synth.wrong_nhs import plant as plant_wrong_nhs

LOOKUP_COVERAGE = 0.7  # share of social-care clients in the council's NHS number lookup


def _local_ids(seed: int, people: int, prefix: str) -> pa.Array:
    """A stable local ID per person (a council's own numbering, unrelated to NHS numbers)."""
    perm = generator(seed, "synth", "local_ids", prefix).permutation(people) + 100_000
    return pc.binary_join_element_wise(pa.array([prefix] * people), pc.cast(pa.array(perm), pa.string()), "")


def _names_block(rng: np.random.Generator, people: People, person: np.ndarray,
                 rates: Mapping[str, float]) -> tuple[dict, dict[str, int]]:
    ident = recorded_identity(rng, people, person, rates)
    return {"given": ident.given, "family": ident.family, "dob": ident.dob, "postcode": ident.postcode}, ident.typos


def social_care(area: Area, seed: int) -> tuple[Extract, Extract]:
    rng = generator(seed, "synth", "extract", "asc")
    hc, res = area.events["ASC_HOMECARE"], area.events["ASC_RESIDENTIAL"]
    parts: list[ServiceEvents] = [hc, res]
    person = np.concatenate([e.person for e in parts])
    day = np.concatenate([e.day for e in parts])
    end = np.concatenate([e.end for e in parts if e.end is not None])
    qty = np.concatenate([e.quantity for e in parts if e.quantity is not None])
    is_hc = np.repeat([True, False], [hc.person.size, res.person.size])
    o = np.lexsort((~is_hc, person, day))
    person, day, end, qty, is_hc = person[o], day[o], end[o], qty[o], is_hc[o]
    local = _local_ids(seed, len(area.people), "ASC")
    ident, typos = _names_block(rng, area.people, person, area.typo_rates)
    service_type = np.where(is_hc, "HC", np.where(rng.random(o.size) < 0.6, "RES", "NUR"))
    table = pa.table({
        "Person_ID": local.take(pa.array(person)),
        "First_Name": ident["given"],
        "Last_Name": ident["family"],
        "DOB": date_strings(ident["dob"], "%d-%b-%Y"),
        "Gender": pa.array(np.where(area.people.male[person], "Male", "Female")),
        "Post_Code": ident["postcode"],
        "Service_Type": pa.array(service_type),
        "Start_Date": date_strings(day, "%d-%b-%Y"),
        "End_Date": date_strings(end, "%d-%b-%Y"),
        "Weekly_Units": pa.array(qty),
    })
    layout = Layout("Start_Date", "%d-%b-%Y",
                    ("Person_ID", "First_Name", "Last_Name", "DOB", "Post_Code"),
                    end_column="End_Date", end_format="%d-%b-%Y", quantity_column="Weekly_Units",
                    kinds=("impossible_date", "end_before_start", "negative_quantity", "blank_identifier", "duplicate_row"))
    entry = {
        "agency": {"level1": "Local Authority", "level2": "Adult Social Care"},
        "ids": {"local_id": "Person_ID", "lookup": "asc_nhs_lookup", "given_name": "First_Name",
                "family_name": "Last_Name", "dob": "DOB", "dob_format": "%d-%b-%Y", "sex": "Gender",
                "sex_map": {"Male": "M", "Female": "F"}, "postcode": "Post_Code"},
        "event": {"kind": "package",
                  "service": {"column": "Service_Type",
                              "map": {"HC": "ASC_HOMECARE", "RES": "ASC_RESIDENTIAL", "NUR": "ASC_RESIDENTIAL"}},
                  "start": {"column": "Start_Date", "format": "%d-%b-%Y"},
                  "end": {"column": "End_Date", "format": "%d-%b-%Y"},
                  "quantity": "Weekly_Units", "max_quantity": 168},
    }
    services = finish(rng, "asc_services", table, person, layout, day, end, None, area.period.first_day,
                      stem="extracts/asc_services", file_type="xlsx", entry=entry, sheet="Services",
                      title_rows=("Adult Social Care: service agreements extract",), typos=typos)
    clients = np.unique(person)
    known = clients[rng.random(clients.size) < LOOKUP_COVERAGE]
    lookup_table = pa.table({
        "Person_ID": local.take(pa.array(known)),
        "NHS_Number": format_nhs(area.people.nhs[known]),
    })
    lookup_table = lookup_table.take(pc.sort_indices(lookup_table, [("Person_ID", "ascending")]))
    lookup = Extract("asc_nhs_lookup", "extracts/asc_nhs_lookup", "csv", lookup_table,
                     np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int8),
                     entry={"local_id": "Person_ID", "nhs_number": "NHS_Number"})
    return services, lookup


def _name_only_ids(given: str, family: str, dob: str, dob_format: str, postcode: str, sex: str | None = None,
                   sex_map: dict[str, str] | None = None) -> dict:
    out: dict[str, object] = {"given_name": given, "family_name": family, "dob": dob,
                              "dob_format": dob_format, "postcode": postcode}
    if sex:
        out |= {"sex": sex, "sex_map": sex_map or {}}
    return out


def _kinds(layout: Layout, first_ref: int) -> Layout:
    """``layout``, without broken rows for the rows of people off the register (``first_ref`` > 0:
    appended after the registered people's; see synth.unregistered)."""
    return layout if first_ref == 0 else replace(layout, kinds=())


def homelessness_applications(area: Area, seed: int) -> Extract:
    def build(rng: np.random.Generator, people: People, ev: ServiceEvents, first_ref: int) -> Extract:
        o = np.lexsort((ev.person, ev.day))
        person, day = ev.person[o], ev.day[o]
        ident, typos = _names_block(rng, people, person, area.typo_rates)
        table = pa.table({
            "CaseRef": _refs("HOML-", o.size, 6, first_ref),
            "ApplicationDate": date_strings(day, "%d/%m/%Y"),
            "ApplicantForename": ident["given"],
            "ApplicantSurname": ident["family"],
            "ApplicantDOB": date_strings(ident["dob"], "%d/%m/%Y"),
            "LastSettledPostcode": ident["postcode"],
            "Outcome": _codes(rng, ["Prevention duty", "Relief duty", "Main duty", "Not homeless"], [4, 3, 2, 1], o.size),
        })
        layout = Layout("ApplicationDate", "%d/%m/%Y",
                        ("ApplicantForename", "ApplicantSurname", "ApplicantDOB", "LastSettledPostcode"),
                        kinds=("impossible_date", "blank_identifier", "duplicate_row"))
        entry = {
            "agency": {"level1": "Local Authority", "level2": "Housing"},
            "ids": _name_only_ids("ApplicantForename", "ApplicantSurname", "ApplicantDOB", "%d/%m/%Y",
                                  "LastSettledPostcode"),
            "event": {"kind": "point", "service": {"code": "HOU_HOMELESS_APP"},
                      "start": {"column": "ApplicationDate", "format": "%d/%m/%Y"}},
        }
        return finish(rng, "housing_applications", table, person, _kinds(layout, first_ref), day, None, None,
                      area.period.first_day, stem="extracts/housing_homelessness_applications", file_type="csv",
                      entry=entry, typos=typos)

    main = build(generator(seed, "synth", "extract", "housing_apps"), area.people,
                 area.events["HOU_HOMELESS_APP"], 0)
    return with_unregistered(main, area.unregistered, "HOU_HOMELESS_APP", seed, "housing_apps", build)


def temporary_accommodation(area: Area, seed: int) -> Extract:
    def build(rng: np.random.Generator, people: People, ev: ServiceEvents, first_ref: int) -> Extract:
        assert ev.end is not None
        o = np.lexsort((ev.person, ev.day))
        person, day, end = ev.person[o], ev.day[o], ev.end[o]
        ident, typos = _names_block(rng, people, person, area.typo_rates)
        nights = pa.array(np.where(end == NONE, 0, end - day).astype(np.int64), mask=end == NONE)
        table = pa.table({
            "PlacementRef": _refs("TA", o.size, 6, first_ref),
            "Forename": ident["given"],
            "Surname": ident["family"],
            "DateOfBirth": date_strings(ident["dob"], "%Y-%m-%d"),
            "Postcode": ident["postcode"],
            "AccommodationType": _codes(rng, ["B&B", "Hostel", "Private sector leased", "Council stock"], [3, 3, 2, 2], o.size),
            "PlacementStart": date_strings(day, "%Y-%m-%d"),
            "PlacementEnd": date_strings(end, "%Y-%m-%d"),
            "Nights": nights,
        })
        layout = Layout("PlacementStart", "%Y-%m-%d", ("Forename", "Surname", "DateOfBirth", "Postcode"),
                        end_column="PlacementEnd", end_format="%Y-%m-%d",
                        kinds=("impossible_date", "end_before_start", "blank_identifier", "duplicate_row"))
        entry = {
            "agency": {"level1": "Local Authority", "level2": "Housing"},
            "ids": _name_only_ids("Forename", "Surname", "DateOfBirth", "%Y-%m-%d", "Postcode"),
            "event": {"kind": "spell", "service": {"code": "HOU_TEMP_ACCOM"},
                      "start": {"column": "PlacementStart", "format": "%Y-%m-%d"},
                      "end": {"column": "PlacementEnd", "format": "%Y-%m-%d"}},
        }
        return finish(rng, "temporary_accommodation", table, person, _kinds(layout, first_ref), day, end, None,
                      area.period.first_day, stem="extracts/housing_temporary_accommodation", file_type="csv",
                      entry=entry, typos=typos)

    main = build(generator(seed, "synth", "extract", "housing_ta"), area.people, area.events["HOU_TEMP_ACCOM"], 0)
    return with_unregistered(main, area.unregistered, "HOU_TEMP_ACCOM", seed, "housing_ta", build)


def police_custody(area: Area, seed: int) -> Extract:
    def build(rng: np.random.Generator, people: People, ev: ServiceEvents, first_ref: int) -> Extract:
        minutes = rng.integers(0, 1440, ev.day.size)
        o = np.lexsort((ev.person, minutes, ev.day))
        person, day, minutes = ev.person[o], ev.day[o], minutes[o]
        ident, typos = _names_block(rng, people, person, area.typo_rates)
        table = pa.table({
            "CustodyRecordNo": _refs("CX/CUS/", o.size, 7, first_ref),
            "ArrestDateTime": datetime_strings(day, minutes, "%Y-%m-%d", "T", "%H:%M:%S"),
            "Surname": pc.utf8_upper(ident["family"]),
            "Forenames": ident["given"],
            "DOB": date_strings(ident["dob"], "%d.%m.%Y"),
            "Sex": pa.array(np.where(people.male[person], "M", "F")),
            "HomePostcode": ident["postcode"],
            "OffenceGroup": _codes(rng, ["Violence", "Theft", "Drugs", "Public order", "Criminal damage"], [3, 3, 2, 2, 1], o.size),
        })
        layout = Layout("ArrestDateTime", "%Y-%m-%dT%H:%M:%S", ("Surname", "Forenames", "DOB", "HomePostcode"),
                        kinds=("impossible_date", "blank_identifier", "duplicate_row"))
        entry = {
            "agency": {"level1": "Police", "level2": "Police"},
            "ids": _name_only_ids("Forenames", "Surname", "DOB", "%d.%m.%Y", "HomePostcode", "Sex", {"M": "M", "F": "F"}),
            "event": {"kind": "point", "service": {"code": "POL_CUSTODY"},
                      "start": {"column": "ArrestDateTime", "format": "%Y-%m-%dT%H:%M:%S"}},
        }
        return finish(rng, "police_custody", table, person, _kinds(layout, first_ref), day, None, None,
                      area.period.first_day, stem="extracts/police_custody", file_type="csv", entry=entry,
                      typos=typos)

    main = build(generator(seed, "synth", "extract", "police"), area.people, area.events["POL_CUSTODY"], 0)
    return with_unregistered(main, area.unregistered, "POL_CUSTODY", seed, "police", build)


NHS_RECORDED_SHARE = 0.6  # drug and alcohol episodes with an NHS number


def drug_alcohol_treatment(area: Area, seed: int, wrong_nhs: float = 0.0) -> Extract:
    """``wrong_nhs``: the share of the episodes with an NHS number that carry someone else's
    (``synth.wrong_nhs``; 0 for none)."""
    rng = generator(seed, "synth", "extract", "drug_alcohol")
    ev = area.events["DA_TREATMENT"]
    assert ev.end is not None
    o = np.lexsort((ev.person, ev.day))
    person, day, end = ev.person[o], ev.day[o], ev.end[o]
    recorded = rng.random(o.size) < NHS_RECORDED_SHARE
    nhs = np.where(recorded, area.people.nhs[person], -1)
    ident, typos = _names_block(rng, area.people, person, area.typo_rates)
    table = pa.table({
        "client_ref": _local_ids(seed, len(area.people), "DA").take(pa.array(person)),
        "nhs_number": pc.if_else(pa.array(recorded), format_nhs(np.maximum(nhs, 0)), pa.nulls(o.size, pa.string())),
        "forename": ident["given"],
        "surname": ident["family"],
        "date_of_birth": date_strings(ident["dob"], "%Y-%m-%d"),
        "sex": pa.array(np.where(area.people.male[person], "M", "F")),
        "postcode": ident["postcode"],
        "primary_substance": _codes(rng, ["Opiates", "Alcohol", "Crack", "Cannabis"], [3, 4, 2, 1], o.size),
        "triage_date": date_strings(day, "%Y-%m-%d"),
        "discharge_date": date_strings(end, "%Y-%m-%d"),
    })
    layout = Layout("triage_date", "%Y-%m-%d", ("nhs_number", "forename", "surname", "date_of_birth", "postcode"),
                    end_column="discharge_date", end_format="%Y-%m-%d", nhs_column="nhs_number",
                    kinds=("end_before_start", "nhs_number_invalid", "duplicate_row"))
    entry = {
        "agency": {"level1": "Local Authority", "level2": "Public Health"},
        "ids": {"nhs_number": "nhs_number"} | _name_only_ids(
            "forename", "surname", "date_of_birth", "%Y-%m-%d", "postcode", "sex", {"M": "M", "F": "F"}),
        "event": {"kind": "spell", "service": {"code": "DA_TREATMENT"},
                  "start": {"column": "triage_date", "format": "%Y-%m-%d"},
                  "end": {"column": "discharge_date", "format": "%Y-%m-%d"}},
    }
    made = finish(rng, "drug_alcohol_treatment", table, person, layout, day, end, nhs, area.period.first_day,
                  stem="extracts/drug_alcohol_treatment", file_type="parquet", entry=entry, typos=typos)
    return plant_wrong_nhs(made, "nhs_number", area.people, seed, wrong_nhs)
