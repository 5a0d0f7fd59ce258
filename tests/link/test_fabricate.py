"""The fabricated population used by linkage tests and the benchmark."""

from __future__ import annotations

from carecase.link.fabricate import Corruption, fabricate


def test_same_seed_same_tables_different_seed_differs():
    a, b, c = fabricate(200, seed=3), fabricate(200, seed=3), fabricate(200, seed=4)
    assert a.tables["staging_identity"].equals(b.tables["staging_identity"])
    assert a.truth.equals(b.truth)
    assert not a.tables["staging_identity"].equals(c.tables["staging_identity"])


def test_recording_errors_only_in_sources_without_nhs_numbers():
    fab = fabricate(400, seed=5, corruption=Corruption(transpose=0.5, missing_postcode=0.5))
    ident = fab.tables["staging_identity"].to_pandas().merge(fab.truth.to_pandas(), on="record_id")
    clean = ident[ident.source == "gp"].set_index("true_person")
    for source in ("housing", "police"):
        rows = ident[(ident.source == source) & ident.true_person.isin(clean.index)]
        ref = clean.loc[rows.true_person]
        changed = (rows.family_name.values != ref.family_name.values) | (
            rows.given_name.values != ref.given_name.values)
        assert 0.3 < changed.mean() < 0.7
        assert 0.3 < rows.postcode.isna().mean() < 0.7
        assert rows.nhs_pseudo.isna().all()
    acute = ident[ident.source == "acute"].set_index("true_person")
    assert (acute.family_name == clean.loc[acute.index].family_name).all()
