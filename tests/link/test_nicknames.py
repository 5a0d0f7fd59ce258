"""Short forms of given names: the forms each name has, the CSV a region can give instead,
and the model's level "one given name a short form of the other" (link.nicknames, link.model).
"""

from __future__ import annotations

import datetime as dt

import duckdb
import ibis
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from carecase.core.errors import ConfigError
from carecase.link import model
from carecase.link.nicknames import (
    SHORT_FORMS,
    forms_for,
    forms_mapping,
    pairs_built_in,
    read_pairs,
    related_pairs,
)
from carecase.link.profiles import comparison_columns

D = dt.date(1980, 7, 3)


def test_each_short_form_has_itself_and_every_name_it_shortens():
    forms = forms_mapping([("WILLIAM", "BILL"), ("WILLIAM", "WILL"), ("CHRISTOPHER", "CHRIS"),
                           ("CHRISTINE", "CHRIS"), ("WILLIAM", "WILLIAM")])
    assert forms == {"BILL": "BILL,WILLIAM", "CHRIS": "CHRIS,CHRISTINE,CHRISTOPHER",
                     "WILL": "WILL,WILLIAM"}


def test_the_built_in_list_is_upper_case_single_words_with_no_name_its_own_short_form():
    for name, short in pairs_built_in():
        assert name == name.upper() and short == short.upper()
        assert " " not in name + short and name != short
    assert len(SHORT_FORMS) > 150


@given(st.lists(st.tuples(st.sampled_from(["ANN", "ANNE", "NAN", "JO", "JOANNE", "JOSEPH"]),
                          st.sampled_from(["NAN", "JO", "JOE", "ANNIE", "ANN"])), max_size=12))
def test_forms_do_not_depend_on_the_order_of_the_rows(pairs):
    assert forms_mapping(pairs) == forms_mapping(list(reversed(pairs)))


def _forms(names):
    t = ibis.memtable(pa.table({"given_name": names, "family_name": ["LEE"] * len(names),
                                "dob": [D] * len(names), "sex": ["F"] * len(names),
                                "postcode": ["M14 5RB"] * len(names)}))
    rows = ibis.duckdb.connect().to_pyarrow(comparison_columns(t)).to_pylist()
    return [(r["given_first"], r["given_forms"]) for r in rows]


def test_comparison_columns_give_the_first_given_name_and_its_forms():
    assert _forms(["WILLIAM JOHN", "BILL", None, "ZED"]) == [
        ("WILLIAM", ["WILLIAM"]), ("BILL", ["BILL", "WILLIAM"]), (None, None), ("ZED", ["ZED"])]


def _level(pairs):
    """Whether each (given_l, given_r) falls in the short-form level: the level's own SQL, as
    Splink writes it for DuckDB, on the comparison columns of the two names."""
    (level,) = [lv for lv in model._name_comparison("given_name", weighs_swap=True)
                .get_comparison("duckdb").comparison_levels if lv.label_for_charts == model.SHORT_FORM]
    left = _forms([a for a, _ in pairs])
    right = _forms([b for _, b in pairs])
    t = pa.table({"given_first_l": [f for f, _ in left], "given_forms_l": [g for _, g in left],
                  "given_first_r": [f for f, _ in right], "given_forms_r": [g for _, g in right]})
    con = duckdb.connect()
    con.register("t", t)
    return [r[0] for r in con.sql(f"select coalesce({level.sql_condition}, false) from t").fetchall()]


def test_the_level_holds_for_a_short_form_and_not_for_two_full_names_or_the_same_first_name():
    assert _level([
        ("BILL", "WILLIAM"),          # a short form and its name
        ("WILLIAM JOHN", "BILL"),     # only the first given name counts
        ("CHRIS", "CHRISTINE"),       # a short form of several names, one of them
        ("BILLY", "WILL"),            # two short forms of one name
        ("CHRISTOPHER", "CHRISTINE"),  # two full names that share a short form: not
        ("WILLIAM JOHN", "WILLIAM"),  # the same first name: Jaro–Winkler's levels, not this
        ("BOB", "WILLIAM"),           # short forms of different names
    ]) == [True, True, True, True, False, False, False]


def test_the_level_sits_after_near_identical_names_and_before_the_weaker_similarity():
    labels = [lv.label_for_charts for lv in model._name_comparison("given_name", weighs_swap=True)
              .get_comparison("duckdb").comparison_levels]
    i = labels.index(model.SHORT_FORM)
    assert labels[i - 1].endswith(">= 0.92") and labels[i + 1].endswith(">= 0.8")
    family = [lv.label_for_charts for lv in model._name_comparison("family_name", weighs_swap=False)
              .get_comparison("duckdb").comparison_levels]
    assert model.SHORT_FORM not in family


def test_a_region_s_own_list_replaces_the_built_in_one(tmp_path):
    path = tmp_path / "nicknames.csv"
    path.write_text("name,short_form\nSiôn,sionyn\nWILLIAM,Gwilym\n", encoding="utf-8")
    assert read_pairs(path) == [("SION", "SIONYN"), ("WILLIAM", "GWILYM")]
    assert forms_for(path) == {"GWILYM": "GWILYM,WILLIAM", "SIONYN": "SION,SIONYN"}
    path.write_text("name,short_form\n")
    assert forms_for(path) == {}  # a header alone: the level never holds
    t = ibis.memtable(pa.table({"given_name": ["BILL"], "family_name": ["LEE"], "dob": [D],
                                "sex": ["M"], "postcode": ["M14 5RB"]}))
    row = ibis.duckdb.connect().to_pyarrow(comparison_columns(t, {})).to_pylist()[0]
    assert row["given_forms"] == ["BILL"]


@pytest.mark.parametrize(("text", "message"), [
    ("first,second\nWILLIAM,BILL\n", "row 1: the header is 'first,second'"),
    ("name,short_form\nWILLIAM\n", "row 2: 1 cells, 'WILLIAM'"),
    ("name,short_form\nWILLIAM,BILL\nROBERT, \n", "row 3, column short_form: ' ' is blank"),
    ("name,short_form\nMARY ANN,POLLY\n", "row 2, column name: 'MARY ANN' has more than one word"),
])
def test_a_bad_list_is_refused_naming_the_row_column_and_value(tmp_path, text, message):
    path = tmp_path / "nicknames.csv"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        read_pairs(path)
    assert message in str(err.value) and str(path) in str(err.value)


def test_related_pairs_are_the_short_forms_of_one_name_in_both_orders():
    pairs = related_pairs(forms_mapping([("WILLIAM", "BILL"), ("WILLIAM", "WILL"),
                                         ("CHRISTOPHER", "CHRIS"), ("CHRISTINE", "CHRIS")]))
    assert pairs == {
        "BILL,WILLIAM", "WILLIAM,BILL", "WILL,WILLIAM", "WILLIAM,WILL", "BILL,WILL", "WILL,BILL",
        "CHRIS,CHRISTOPHER", "CHRISTOPHER,CHRIS", "CHRIS,CHRISTINE", "CHRISTINE,CHRIS"}
    assert related_pairs({}) == frozenset()


@given(st.lists(st.tuples(st.sampled_from(["WILLIAM", "ROBERT", "CHRISTINE", "CHRISTOPHER"]),
                          st.sampled_from(["BILL", "BOB", "CHRIS", "ROB", "WILL"])), max_size=10),
       st.sampled_from(["WILLIAM", "ROBERT", "CHRISTINE", "CHRISTOPHER", "BILL", "BOB", "CHRIS", "ROB", "WILL", "ZED"]),
       st.sampled_from(["WILLIAM", "ROBERT", "CHRISTINE", "CHRISTOPHER", "BILL", "BOB", "CHRIS", "ROB", "WILL", "ZED"]))
def test_related_pairs_agree_with_the_forms_the_model_intersects(pairs, a, b):
    """The discordance check's pair list and the model's array level say the same thing."""
    forms = forms_mapping(pairs)
    fa = set(forms.get(a, a).split(","))
    fb = set(forms.get(b, b).split(","))
    assert (f"{a},{b}" in related_pairs(forms)) == (a != b and bool(fa & fb))
