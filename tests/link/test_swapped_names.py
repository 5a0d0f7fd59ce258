"""Given and family name swapped (carecase.link.model._name_comparison): a record whose names
are the other way round, with the same date of birth and postcode, links; a different person
whose names are someone's swapped, with another date of birth, does not link to them."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pyarrow as pa

from carecase.ingest.validate import with_identity_key
from carecase.link.fabricate import Fabricated
from carecase.link.model import SWAPPED, settings


def _plant(fab: Fabricated) -> tuple[Fabricated, dict[str, str]]:
    """Housing record A: its true person's names swapped, their register DOB and postcode.
    Housing record B (someone else's): the names of register person P swapped, P's postcode,
    a date of birth eleven years and three days from P's."""
    ident = fab.tables["staging_identity"].drop_columns(["identity_h1", "identity_h2"]).to_pandas()
    truth = fab.truth.to_pandas().set_index("record_id")["true_person"]
    ident["true_person"] = ident["record_id"].map(truth)
    register = ident[(ident["source"] == "gp") & ident["nhs_pseudo"].notna()
                     & ident["given_name"].notna() & ident["family_name"].notna()
                     & (ident["given_name"] != ident["family_name"])]
    register = register.drop_duplicates("true_person").set_index("true_person")
    housing = ident[(ident["source"] == "housing") & ident["true_person"].isin(register.index)]
    a, b = housing.index[0], housing.index[1]
    person = register.loc[ident.at[a, "true_person"]]
    ident.loc[a, ["given_name", "family_name", "dob", "postcode"]] = [
        person["family_name"], person["given_name"], person["dob"], person["postcode"]]
    other = register[register.index != ident.at[b, "true_person"]].iloc[0]
    ident.loc[b, ["given_name", "family_name", "dob", "postcode"]] = [
        other["family_name"], other["given_name"], other["dob"] - dt.timedelta(days=11 * 365 + 3),
        other["postcode"]]
    planted = {"a": ident.at[a, "record_id"], "a_person": person["record_id"],
               "b": ident.at[b, "record_id"], "b_other": other["record_id"]}
    table = pa.Table.from_pandas(ident.drop(columns="true_person"), preserve_index=False)
    schema = pa.schema([f for f in fab.tables["staging_identity"].schema
                        if f.name not in ("identity_h1", "identity_h2")])
    table = with_identity_key(table.cast(schema), b"fabricate-swapped")
    return dataclasses.replace(fab, tables={**fab.tables, "staging_identity": table}), planted


def test_the_name_comparisons_have_a_swap_level_weighed_once():
    spec = settings().create_settings_dict("duckdb")
    levels = {c["output_column_name"]: c["comparison_levels"] for c in spec["comparisons"]}
    given = [lv for lv in levels["given_name"] if lv["label_for_charts"] == SWAPPED]
    family = [lv for lv in levels["family_name"] if lv["label_for_charts"].startswith(SWAPPED)]
    assert len(given) == len(family) == 1
    assert not given[0]["fix_m_probability"]
    assert family[0]["fix_m_probability"] and family[0]["fix_u_probability"]
    assert family[0]["m_probability"] == family[0]["u_probability"]  # Bayes factor 1
    # after the exact level, so an exact match is never read as a swap
    assert [lv["label_for_charts"] for lv in levels["given_name"]].index(SWAPPED) == 2


def test_swapped_names_link_and_someone_elses_swapped_names_do_not(new_project, fab):
    from carecase.link.stage import run

    data, planted = _plant(fab)
    project = new_project("swapped", data)
    run(project)
    links = project.engine.table("record_links").to_pandas().set_index("record_id")
    a = links.loc[planted["a"]]
    assert a["method"] == "probabilistic"
    assert a["person_id"] == links.at[planted["a_person"], "person_id"]
    assert links.at[planted["b"], "person_id"] != links.at[planted["b_other"], "person_id"]
