"""The key and raw identifiers never reach out/ or any store table except staging_identity
(which holds normalised names, dates of birth and postcodes for linkage only)."""

from __future__ import annotations

from carecase.ingest.stage import run

from .helpers import TEST_KEY, event_source

IDS = {"nhs_number": "nhs", "local_id": "mrn", "full_name": "name", "dob": "dob", "dob_format": "%d/%m/%Y",
       "postcode": "pc", "sex": "sex"}
CSV = """
    nhs,mrn,name,dob,pc,sex,code,date
    943 476 5919,MRN77123,Zebedee Quixotic,17/03/1961,QQ9 9ZZ,M,AE,05/01/2024
    9434765918,MRN88456,Yolanda Xerxes-Vantablack,28/11/1977,ZZ1 1QQ,F,AE,05/01/2024
    4010232137,MRN99789,Wilhelmina Umbridgeton,03/08/1944,YY2 2XX,F,AE,31/02/2024
    4010232137,MRN99789,Wilhelmina Umbridgeton,bad-dob,YY2 2XX,F,AE,01/02/2024
    4010232137,MRN99789,Wilhelmina Umbridgeton,03/08/1944,YY2 2XX,F,AE,4010232137
    """
SECRETS = [
    TEST_KEY, "9434765919", "943 476 5919", "9434765918", "4010232137", "MRN77123", "MRN88456", "MRN99789",
    "Zebedee", "ZEBEDEE", "Quixotic", "QUIXOTIC", "Yolanda", "YOLANDA", "Xerxes", "XERXES", "Vantablack",
    "Wilhelmina", "WILHELMINA", "Umbridgeton", "17/03/1961", "1961-03-17", "28/11/1977", "1977-11-28",
    "03/08/1944", "1944-08-03", "QQ9 9ZZ", "QQ99ZZ", "ZZ1 1QQ", "YY2 2XX", "bad-dob",
]


def test_no_identifier_or_key_outside_staging_identity(project_factory) -> None:
    p = project_factory({"sources": [event_source(ids=IDS)]}, {"ae.csv": CSV})
    summary = run(p)
    assert summary["totals"]["rows_quarantined"] == 4 and summary["totals"]["rows_accepted"] == 1
    blobs: dict[str, str] = {}
    for f in sorted(p.out.rglob("*")):
        if f.is_file():
            blobs[str(f)] = f.read_bytes().decode("utf-8", errors="replace")
    for name in p.engine.con.list_tables():
        if name == "staging_identity":
            continue
        blobs[f"table {name}"] = p.engine.table(name).to_pyarrow().to_pandas().to_csv()
    assert any("quarantine" in k for k in blobs)
    for where, text in blobs.items():
        for secret in SECRETS:
            assert secret not in text, f"{secret!r} leaked into {where}"
    # and staging_identity holds the normalised linkage fields, never the raw NHS/local IDs
    ident = p.engine.table("staging_identity").to_pyarrow().to_pandas().to_csv()
    assert "ZEBEDEE" in ident and "QQ9 9ZZ" in ident
    for secret in (TEST_KEY, "9434765919", "MRN77123"):
        assert secret not in ident


def test_linkage_erases_the_staged_identities_from_the_store_file(project_factory) -> None:
    """Once linked, the staged names and postcode are gone from the store's bytes (and no WAL
    keeps them), not only from its tables: DuckDB's DROP TABLE alone leaves them in the file
    (docs/privacy.md)."""
    from carecase.link.stage import run as link

    p = project_factory({"sources": [event_source(ids=IDS)]}, {"ae.csv": CSV})
    run(p)
    store = p.path(p.config.engine.database)
    staged = [b"ZEBEDEE", b"QUIXOTIC", b"QQ9 9ZZ"]

    def store_bytes() -> bytes:
        return b"".join(f.read_bytes() for f in sorted(store.parent.glob(store.name + "*")) if f.is_file())

    p.engine.con.con.execute("CHECKPOINT")
    assert all(s in store_bytes() for s in staged)  # the check can see them
    link(p)
    p.close()
    assert [f.name for f in store.parent.glob(store.name + "*")] == [store.name]
    found = store_bytes()
    assert not [s for s in staged if s in found]
    assert not [s for s in SECRETS if s.encode() in found]
