"""NHS extracts: the GP registration list (population), A&E, inpatient spells, mental-health
ward stays, GP appointments and ambulance incidents, each in its own shape."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from carecase.core.random import generator
from carecase.synth import names
from carecase.synth.activity import ServiceEvents
from carecase.synth.broken import Layout
from carecase.synth.extract import Extract, finish
from carecase.synth.formatting import date_strings, datetime_strings
from carecase.synth.identity import clean_identity
from carecase.synth.model import Area
from carecase.synth.nhs_number import format_nhs


def _codes(rng: np.random.Generator, choices: list[str], weights: list[float], size: int) -> pa.Array:
    w = np.array(weights) / np.sum(weights)
    return pa.array(choices).take(pa.array(rng.choice(len(choices), size=size, p=w)))


def _refs(prefix: str, size: int, width: int, start: int = 0) -> pa.Array:
    """``prefix`` and the numbers ``start`` + 1 … ``start`` + ``size``, zero-padded to ``width``."""
    import pyarrow.compute as pc

    seq = pc.utf8_lpad(pc.cast(pa.array(np.arange(start + 1, start + size + 1)), pa.string()), width, "0")
    return pc.binary_join_element_wise(pa.array([prefix] * size, pa.string()), seq, "")  # typed: size may be 0


def population_register(area: Area) -> Extract:
    p = area.people
    order = np.argsort(p.nhs, kind="stable")
    ident = clean_identity(p, order)
    table = pa.table({
        "NHS_No": format_nhs(p.nhs[order]),
        "Forename": ident.given,
        "Surname": ident.family,
        "Date_of_Birth": date_strings(p.dob[order], "%d/%m/%Y"),
        "Gender": pa.array(np.where(p.male[order], "1", "2")),
        "Postcode": ident.postcode,
        "IMD_Decile": pa.array(p.decile[order].astype(np.int64)),
        "Locality": pa.array([loc[0] for loc in names.LOCALITIES]).take(pa.array(p.locality[order])),
        "Registered_Date": date_strings(p.reg_from[order], "%d/%m/%Y"),
        "Deregistered_Date": date_strings(p.reg_to[order], "%d/%m/%Y"),
        "Date_of_Death": date_strings(p.death[order], "%d/%m/%Y"),
    })
    entry = {
        "ids": {
            "nhs_number": "NHS_No", "given_name": "Forename", "family_name": "Surname",
            "dob": "Date_of_Birth", "dob_format": "%d/%m/%Y", "sex": "Gender",
            "sex_map": {"1": "M", "2": "F"}, "postcode": "Postcode",
        },
        "deprivation_decile": "IMD_Decile",
        "locality": "Locality",
        "registered_from": {"column": "Registered_Date", "format": "%d/%m/%Y"},
        "registered_to": {"column": "Deregistered_Date", "format": "%d/%m/%Y"},
        "date_of_death": {"column": "Date_of_Death", "format": "%d/%m/%Y"},
    }
    return Extract("population", "extracts/gp_registrations", "csv", table, order.astype(np.int32),
                   np.zeros(order.size, dtype=np.int8), entry=entry)


def _order(ev: ServiceEvents) -> np.ndarray:
    """Row order by (day, person). Events arrive sorted by person, so a stable sort on the
    day alone (a radix sort on 16-bit offsets) gives it in linear time."""
    if ev.day.size == 0:
        return np.zeros(0, dtype=np.int64)
    assert np.all(ev.person[1:] >= ev.person[:-1]), "events must be sorted by person"
    offset = (ev.day - ev.day.min()).astype(np.int16)
    return np.argsort(offset, kind="stable")


def ae_attendances(area: Area, seed: int) -> Extract:
    rng = generator(seed, "synth", "extract", "ae")
    ev = area.events["AE_ATTEND"]
    minutes = rng.integers(0, 1440, ev.day.size)
    o = np.lexsort((ev.person, minutes, ev.day))
    person, day, minutes = ev.person[o], ev.day[o], minutes[o]
    nhs = area.people.nhs[person]
    table = pa.table({
        "AttendanceID": _refs("AE", o.size, 8),
        "NHSNumber": format_nhs(nhs, "spaced"),
        "ArrivalDateTime": datetime_strings(day, minutes, "%d/%m/%Y", " ", "%H:%M"),
        "ArrivalMode": _codes(rng, ["Ambulance", "Walk-in", "Other"], [3, 6, 1], o.size),
        "AttendanceCategory": pa.array(["1"] * o.size),
        "DischargeDestination": _codes(rng, ["Home", "Admitted", "Transfer", "Left"], [70, 20, 5, 5], o.size),
    })
    layout = Layout("ArrivalDateTime", "%d/%m/%Y %H:%M", ("NHSNumber",), nhs_column="NHSNumber",
                    nhs_style="spaced", kinds=("impossible_date", "blank_identifier", "duplicate_row", "nhs_number_invalid"))
    entry = {
        "agency": {"level1": "NHS", "level2": "Acute Trust"},
        "ids": {"nhs_number": "NHSNumber"},
        "event": {"kind": "point", "service": {"code": "AE_ATTEND"},
                  "start": {"column": "ArrivalDateTime", "format": "%d/%m/%Y %H:%M"}},
    }
    return finish(rng, "ae_attendances", table, person, layout, day, None, nhs,
                  area.period.first_day, stem="extracts/ae_attendances", file_type="csv", entry=entry)


NEL_METHODS = ["21", "22", "23", "24", "28", "2A", "2B", "2D"]
EL_METHODS = ["11", "12", "13"]
MATERNITY_METHODS = ["31", "32"]


def inpatient_spells(area: Area, seed: int) -> Extract:
    rng = generator(seed, "synth", "extract", "inpatient")
    parts = [area.events["NEL_ADMIT"], area.events["EL_ADMIT"], area.out_of_scope["MATERNITY"]]
    person = np.concatenate([e.person for e in parts])
    day = np.concatenate([e.day for e in parts])
    end = np.concatenate([e.end for e in parts if e.end is not None])
    group = np.repeat(np.arange(3), [e.person.size for e in parts])
    o = np.lexsort((group, person, day))
    person, day, end, group = person[o], day[o], end[o], group[o]
    nhs = area.people.nhs[person]
    method = pa.array(np.select(
        [group == 0, group == 1],
        [np.array(NEL_METHODS)[rng.choice(len(NEL_METHODS), o.size, p=[.55, .1, .05, .05, .05, .1, .05, .05])],
         np.array(EL_METHODS)[rng.integers(0, 3, o.size)]],
        np.array(MATERNITY_METHODS)[rng.integers(0, 2, o.size)],
    ))
    table = pa.table({
        "Spell ID": _refs("IP", o.size, 7),
        "NHS Number": format_nhs(nhs),
        "Admission Method": method,
        "Admission Date": date_strings(day, "%d/%m/%Y"),
        "Discharge Date": date_strings(end, "%d/%m/%Y"),
        "Main Specialty": _codes(rng, ["100", "300", "320", "430", "501"], [3, 4, 1, 2, 1], o.size),
    })
    service_map = {c: "NEL_ADMIT" for c in NEL_METHODS} | {c: "EL_ADMIT" for c in EL_METHODS}
    layout = Layout("Admission Date", "%d/%m/%Y", ("NHS Number",), end_column="Discharge Date",
                    end_format="%d/%m/%Y", nhs_column="NHS Number",
                    kinds=("impossible_date", "end_before_start", "blank_identifier", "duplicate_row", "nhs_number_invalid"))
    entry = {
        "agency": {"level1": "NHS", "level2": "Acute Trust"},
        "ids": {"nhs_number": "NHS Number"},
        "event": {
            "kind": "spell",
            "service": {"column": "Admission Method", "map": service_map, "unmapped": "ignore"},
            "start": {"column": "Admission Date", "format": "%d/%m/%Y"},
            "end": {"column": "Discharge Date", "format": "%d/%m/%Y"},
        },
    }
    return finish(rng, "inpatient_spells", table, person, layout, day, end, nhs, area.period.first_day,
                  in_scope=group < 2, stem="extracts/inpatient_spells", file_type="xlsx", entry=entry,
                  sheet="Spells")


def mental_health_stays(area: Area, seed: int) -> Extract:
    rng = generator(seed, "synth", "extract", "mental_health")
    ev = area.events["MH_INPATIENT"]
    o = _order(ev)
    person, day = ev.person[o], ev.day[o]
    assert ev.end is not None
    end = ev.end[o]
    nhs = area.people.nhs[person]
    table = pa.table({
        "hospital_spell_no": _refs("MH", o.size, 6),
        "patient_nhs_number": format_nhs(nhs),
        "ward_code": _codes(rng, ["OAK", "ASH", "ELM", "PICU"], [3, 3, 3, 1], o.size),
        "start_date_ward_stay": date_strings(day, "%Y-%m-%d"),
        "end_date_ward_stay": date_strings(end, "%Y-%m-%d"),
        "legal_status": _codes(rng, ["01", "03", "04", "19"], [5, 3, 1, 1], o.size),
    })
    layout = Layout("start_date_ward_stay", "%Y-%m-%d", ("patient_nhs_number",),
                    end_column="end_date_ward_stay", end_format="%Y-%m-%d", nhs_column="patient_nhs_number",
                    kinds=("end_before_start", "nhs_number_invalid", "duplicate_row"))
    entry = {
        "agency": {"level1": "NHS", "level2": "Mental Health Trust"},
        "ids": {"nhs_number": "patient_nhs_number"},
        "event": {"kind": "spell", "service": {"code": "MH_INPATIENT"},
                  "start": {"column": "start_date_ward_stay", "format": "%Y-%m-%d"},
                  "end": {"column": "end_date_ward_stay", "format": "%Y-%m-%d"}},
    }
    return finish(rng, "mental_health_stays", table, person, layout, day, end, nhs, area.period.first_day,
                  stem="extracts/mental_health_ward_stays", file_type="parquet", entry=entry)


def gp_appointments(area: Area, seed: int) -> Extract:
    rng = generator(seed, "synth", "extract", "gp")
    ev = area.events["GP_APPT"]
    assert ev.quantity is not None
    o = _order(ev)
    person, day = ev.person[o], ev.day[o]
    nhs = area.people.nhs[person]
    practices = pa.array([f"Y0{1000 + 7 * k}" for k in range(len(names.LOCALITIES))])
    table = pa.table({
        "summary_row_id": pa.array(np.arange(1, o.size + 1)),  # unique even with a blank NHS number
        "practice_code": practices.take(pa.array(area.people.locality[person])),
        "nhs_number": format_nhs(nhs, "number"),
        "appointment_month": date_strings(day, "%Y-%m-%d"),
        "appointments_attended": pa.array(ev.quantity[o].astype(np.int64)),
    })
    layout = Layout("appointment_month", "%Y-%m-%d", ("nhs_number",), nhs_column="nhs_number",
                    nhs_style="number", quantity_column="appointments_attended",
                    kinds=("negative_quantity", "nhs_number_invalid", "duplicate_row", "blank_identifier"))
    entry = {
        "agency": {"level1": "NHS", "level2": "Primary Care"},
        "ids": {"nhs_number": "nhs_number"},
        "event": {"kind": "count", "service": {"code": "GP_APPT"},
                  "start": {"column": "appointment_month", "format": "%Y-%m-%d"},
                  "quantity": "appointments_attended", "max_quantity": 100, "covers": "month"},
    }
    return finish(rng, "gp_appointments", table, person, layout, day, None, nhs, area.period.first_day,
                  stem="extracts/gp_appointments_monthly", file_type="csv", entry=entry)


def ambulance_incidents(area: Area, seed: int) -> Extract:
    rng = generator(seed, "synth", "extract", "ambulance")
    conveyed, other = area.events["AMBULANCE"], area.out_of_scope["AMBULANCE"]
    person = np.concatenate([conveyed.person, other.person])
    day = np.concatenate([conveyed.day, other.day])
    is_conveyed = np.repeat([True, False], [conveyed.person.size, other.person.size])
    o = np.lexsort((~is_conveyed, person, day))
    person, day, is_conveyed = person[o], day[o], is_conveyed[o]
    nhs = area.people.nhs[person]
    outcome = np.where(is_conveyed, "STC", np.where(rng.random(o.size) < 0.5, "STT", "HT"))
    table = pa.table({
        "IncidentRef": _refs("AMB", o.size, 8),
        "PatientNHSNo": format_nhs(nhs, "number"),
        "IncidentDate": date_strings(day, "%Y%m%d"),
        "Priority": _codes(rng, ["C1", "C2", "C3", "C4"], [1, 5, 3, 1], o.size),
        "Outcome": pa.array(outcome),
    })
    layout = Layout("IncidentDate", "%Y%m%d", ("PatientNHSNo",), nhs_column="PatientNHSNo", nhs_style="number",
                    kinds=("impossible_date", "nhs_number_invalid", "duplicate_row"))
    entry = {
        "agency": {"level1": "NHS", "level2": "Ambulance Trust"},
        "ids": {"nhs_number": "PatientNHSNo"},
        "event": {"kind": "point",
                  "service": {"column": "Outcome", "map": {"STC": "AMBULANCE"}, "unmapped": "ignore"},
                  "start": {"column": "IncidentDate", "format": "%Y%m%d"}},
    }
    return finish(rng, "ambulance_incidents", table, person, layout, day, None, nhs, area.period.first_day,
                  in_scope=is_conveyed, stem="extracts/ambulance_incidents", file_type="csv", entry=entry,
                  delimiter="|")

