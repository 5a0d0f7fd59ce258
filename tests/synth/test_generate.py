"""The generated project: configuration, files, broken rows, determinism."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest

from carecase.core.config import load_config, validate_config
from carecase.core.errors import SynthError
from carecase.core.services import BY_CODE, SERVICE_CODES
from carecase.synth import SynthResult, generate, nhs_number_is_valid

from .conftest import PEOPLE, read_entry


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_config_is_valid_and_complete(area: SynthResult, config: dict[str, Any]) -> None:
    cfg = validate_config(config, area.config_path)
    assert load_config(area.folder) == cfg
    assert cfg.privacy.key_file == "../demo.key"
    key = (area.folder / cfg.privacy.key_file).resolve()
    assert area.folder.resolve() not in key.parents  # the key lies outside the project
    ing = cfg.ingest
    assert ing.population is not None and ing.programme is not None and ing.outcomes
    paths = [ing.population.path, ing.programme.path, *(s.path for s in ing.sources),
             *(lk.path for lk in ing.lookups), *(o.path for o in ing.outcomes)]
    for p in paths:
        assert (area.folder / p).is_file(), p
    assert {s.format.type for s in ing.sources} == {"csv", "xlsx", "parquet"}
    mapped = set()
    for s in ing.sources:
        codes = {s.event.service.code} if s.event.service.code else set(s.event.service.map.values())
        mapped |= codes
        # each source is filed under its services' catalogue agency (carecase.yaml is refused otherwise)
        assert {(BY_CODE[c].agency_l1, BY_CODE[c].agency_l2) for c in codes} == {
            (s.agency.level1, s.agency.level2)}, s.name
    assert mapped == set(SERVICE_CODES)  # every catalogue service appears, mapped to catalogue codes
    assert cfg.project.period_start.isoformat() == "2019-04-01"
    assert cfg.project.period_end.isoformat() == "2024-03-31"


def test_sources_have_their_own_shapes(area: SynthResult, config: dict[str, Any]) -> None:
    by_name = {s["name"]: s for s in config["ingest"]["sources"]}
    # housing and police carry no NHS number; social care has local IDs and a lookup
    for name in ("housing_applications", "temporary_accommodation", "police_custody"):
        assert "nhs_number" not in by_name[name]["ids"]
        assert {"given_name", "family_name", "dob", "postcode"} <= set(by_name[name]["ids"])
    assert by_name["asc_services"]["ids"]["lookup"] == "asc_nhs_lookup"
    formats = {s["event"]["start"]["format"] for s in by_name.values()}
    assert len(formats) >= 5  # agencies write dates differently


def test_population_numbers_are_valid_and_unique(area: SynthResult, config: dict[str, Any]) -> None:
    pop = read_entry(area.folder, config["ingest"]["population"])
    assert len(pop) == PEOPLE
    assert pop["NHS_No"].is_unique
    assert pop["NHS_No"].map(nhs_number_is_valid).all()


def test_lookup_is_incomplete(area: SynthResult, config: dict[str, Any]) -> None:
    asc_entry = next(s for s in config["ingest"]["sources"] if s["name"] == "asc_services")
    asc = read_entry(area.folder, asc_entry)
    lookup = read_entry(area.folder, config["ingest"]["lookups"][0])
    clients = set(asc["Person_ID"].dropna())
    covered = clients & set(lookup["Person_ID"])
    assert 0 < len(covered) < len(clients)


def _parse(values: pd.Series, fmt: str) -> pd.Series:
    return pd.to_datetime(values, format=fmt, errors="coerce")


def _count_broken(df: pd.DataFrame, entry: dict[str, Any]) -> dict[str, int]:
    """Count broken rows from the file alone, independently of the generator."""
    ids = entry["ids"]
    event = entry["event"]
    id_cols = [ids[k] for k in ("nhs_number", "local_id", "given_name", "family_name", "dob", "postcode") if k in ids]
    start = _parse(df[event["start"]["column"]], event["start"]["format"])
    counts = {
        "impossible_date": int((start.isna() & df[event["start"]["column"]].notna()).sum()),
        "blank_identifier": int(df[id_cols].isna().all(axis=1).sum()),
        "duplicate_row": int(df.duplicated().sum()),
    }
    if event.get("end"):
        end = _parse(df[event["end"]["column"]], event["end"]["format"])
        counts["end_before_start"] = int((end < start).sum())
    if "nhs_number" in ids:
        nhs = df[ids["nhs_number"]].dropna()
        counts["nhs_number_invalid"] = int((~nhs.map(nhs_number_is_valid)).sum())
    if event.get("quantity"):
        counts["negative_quantity"] = int((pd.to_numeric(df[event["quantity"]]) < 0).sum())
    return counts


def test_planted_broken_rows_match_truth(area: SynthResult, config: dict[str, Any], truth: dict[str, Any]) -> None:
    links = pq.read_table(area.folder / "truth" / "true_links.parquet").to_pandas()
    for entry in config["ingest"]["sources"]:
        name = entry["name"]
        df = read_entry(area.folder, entry)
        assert len(df) == truth["rows"][name]
        planted = truth["broken_rows"][name]
        assert planted and all(v >= 1 for v in planted.values())
        found = _count_broken(df, entry)
        for kind, count in found.items():
            assert count == planted.get(kind, 0), (name, kind, count, planted)
        mine = links[links["source"] == name]
        assert mine["source_row"].tolist() == list(range(1, len(df) + 1))
        found_kinds = mine["broken_kind"].astype(object).value_counts().to_dict()
        assert found_kinds == {k: v for k, v in planted.items() if v}
        service = entry["event"]["service"]
        if service.get("column"):
            outside = ~df[service["column"]].isin(list(service["map"]))
            assert int(outside.sum()) == truth["out_of_scope_rows"][name]


def test_typos_present_in_name_only_sources(truth: dict[str, Any]) -> None:
    for name in ("housing_applications", "police_custody", "asc_services"):
        typos = truth["typos"][name]
        assert typos["postcode_moved"] > 0 and typos["postcode_missing"] > 0


def test_truth_has_what_tests_need(area: SynthResult, truth: dict[str, Any]) -> None:
    assert truth["people"] == PEOPLE
    # 150-400 participants per 4,000 people
    assert 150 / 4000 <= truth["participants"] / PEOPLE <= 400 / 4000
    effects = truth["effects"]
    assert set(effects) == set(SERVICE_CODES)
    assert any(e["rate_ratio"] < 1 for e in effects.values())
    assert any(e["rate_ratio"] > 1 for e in effects.values())
    for e in effects.values():
        for w in e["windows"].values():
            cf = w["counterfactual_events_per_person_year"]
            assert w["change_events_per_person_year"] == pytest.approx((e["rate_ratio"] - 1) * cf, abs=1e-5)
            assert w["change_units_per_person_year"] == pytest.approx(
                w["change_events_per_person_year"] * e["mean_units_per_event"], rel=1e-4, abs=1e-5)
    # the truth names its units, which are not always the evaluation's (a reviewer compared
    # bed days with episodes): days of a stay, weeks of a treatment, hours, or the event
    assert {c: e["generator_unit"] for c, e in effects.items() if c in ("NEL_ADMIT", "DA_TREATMENT", "ASC_HOMECARE",
                                                                       "AE_ATTEND")} == \
        {"NEL_ADMIT": "day", "DA_TREATMENT": "week", "ASC_HOMECARE": "hour", "AE_ATTEND": "event"}
    links = pq.read_table(area.folder / "truth" / "true_links.parquet")
    assert set(links.column_names) == {"source", "source_row", "person_key", "broken_kind"}
    # no wrong NHS numbers unless asked for (synth.wrong_nhs): the demo area is as it was
    assert truth["wrong_nhs_numbers"] == {"share": 0.0, "rows": {}, "file": None}
    assert not (area.folder / "truth" / "wrong_nhs_numbers.parquet").exists()


def test_same_seed_same_bytes_different_seed_different(tmp_path: Path) -> None:
    first = generate(tmp_path / "first", 400, 3)
    again = generate(tmp_path / "again", 400, 3)
    assert _digests(again.folder) == _digests(first.folder)
    assert any(f.endswith(".xlsx") for f in _digests(first.folder))
    other = generate(tmp_path / "other", 400, 4)
    a, b = _digests(first.folder), _digests(other.folder)
    assert a.keys() == b.keys()
    assert all(a[k] != b[k] for k in a if k.startswith("extracts/"))


def test_fast_formats_write_no_xlsx(tmp_path: Path) -> None:
    result = generate(tmp_path / "fast", 300, 5, formats="fast")
    assert not list(result.folder.rglob("*.xlsx"))
    cfg = load_config(result.folder)
    assert {s.format.type for s in cfg.ingest.sources} == {"csv", "parquet"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"people": 10}, "at least 50"),
        ({"years": 2}, "3 to 20 years"),
        ({"formats": "pdf"}, "realistic, fast"),
        ({"wrong_nhs_share": 0.6}, "0 to 0.5 of the rows with an NHS number"),
    ],
)
def test_impossible_parameters_are_refused(tmp_path: Path, kwargs: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {"people": 200, "seed": 1} | kwargs
    with pytest.raises(SynthError, match=message):
        generate(tmp_path / "x", **args)


def test_start_must_be_first_of_month(tmp_path: Path) -> None:
    import datetime as dt

    with pytest.raises(SynthError, match="1st of a month"):
        generate(tmp_path / "x", 200, 1, start=dt.date(2019, 4, 2))


def test_no_two_point_events_share_person_and_day(area: SynthResult) -> None:
    links = pq.read_table(area.folder / "truth" / "true_links.parquet").to_pandas()
    ae = pd.read_csv(area.folder / "extracts" / "ae_attendances.csv", dtype=str)
    ae["person"] = links[links["source"] == "ae_attendances"]["person_key"].to_numpy()
    ae["day"] = ae["ArrivalDateTime"].str[:10]
    clean = ae[~ae.duplicated(subset=[c for c in ae.columns if c not in ("person", "day")])]
    assert not clean.duplicated(subset=["person", "day"]).any()
    assert (ae["person"] >= 1).all()


def test_outcome_readings(area: SynthResult, config: dict[str, Any], truth: dict[str, Any]) -> None:
    entry = config["ingest"]["outcomes"][0]
    df = read_entry(area.folder, entry)
    domains = list(entry["domains"].values())
    assert len(domains) == 10
    scores = df[domains].astype(int)
    assert scores.min().min() >= 1 and scores.max().max() <= 10
    assert set(df["Assessment"]) == {"baseline", "8m", "11m"}
    instrument = config["evaluation"]["instruments"][0]
    assert instrument["name"] == entry["instrument"]
    assert instrument["assessments"] == ["baseline", "8m", "11m"]
    # everyone on the programme has a baseline; scores improve by about the planted change
    assert df.loc[df["Assessment"] == "baseline", "NHS Number"].nunique() == truth["participants"]
    means = df.assign(total=scores.mean(axis=1)).groupby("Assessment")["total"].mean()
    for point in ("8m", "11m"):
        planted = truth["outcomes"]["assessments"][point]["mean_change_from_baseline_per_domain"]
        assert means[point] - means["baseline"] == pytest.approx(planted, abs=0.35)
