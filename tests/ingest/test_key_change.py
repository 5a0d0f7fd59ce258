"""A key other than the one the store was built with is refused, unless re-pseudonymising on
purpose (``new_key`` / ``--new-key``): every pseudonym and person_id would change and IDs in
earlier outputs stop matching (a user ran with the wrong CARECASE_KEY and every file was
silently pseudonymised again). Nothing derived from either key is ever shown."""

from __future__ import annotations

import hmac

import pytest

from carecase.core.errors import ConfigError, PrivacyError
from carecase.ingest.pseudonymise import key_check
from carecase.ingest.stage import run

from .helpers import TEST_KEY, event_source, table
from .test_cli import _carecase
from .test_reingest import CSV1, _snapshot

OTHER_KEY = "another-key-altogether-9876543210"


def _statuses(summary) -> list[str]:
    return [f["status"] for src in summary["sources"].values() for f in src["files"]]


def _secrets(*keys: str) -> list[str]:
    return [x for k in keys for x in (k, key_check(k.encode()))]


def test_other_key_is_refused_before_anything_changes(project_factory, monkeypatch) -> None:
    # gp.csv repeats ae.csv, so the gp source is all repeats: warn, not stop (ingest.all_quarantined)
    p = project_factory({"sources": [event_source(), event_source("gp", "gp.csv")], "all_quarantined": "warn"},
                        {"ae.csv": CSV1, "gp.csv": CSV1})
    run(p)
    before, state = _snapshot(p), table(p, "ingest_feed_state")
    monkeypatch.setenv("CARECASE_KEY", OTHER_KEY)
    with pytest.raises(PrivacyError) as err:
        run(p)
    text = str(err.value)
    assert "not the key this project's store was built with" in text and "environment variable CARECASE_KEY" in text
    assert "original key" in text and "--new-key" in text and "clerical" in text
    for secret in _secrets(TEST_KEY, OTHER_KEY):
        assert secret not in text
    assert _snapshot(p) == before and table(p, "ingest_feed_state") == state
    # the original key again: nothing to do
    monkeypatch.setenv("CARECASE_KEY", TEST_KEY)
    assert _statuses(run(p)) == ["unchanged", "unchanged"]


def test_new_key_re_pseudonymises_on_purpose(project_factory, monkeypatch) -> None:
    p = project_factory({"sources": [event_source()]}, {"ae.csv": CSV1})
    run(p)
    old = {r["nhs_pseudo"] for r in table(p, "staging_identity")}
    monkeypatch.setenv("CARECASE_KEY", OTHER_KEY)
    s = run(p, new_key=True)
    assert _statuses(s) == ["reprocessed"]
    assert any(w.startswith("The pseudonymisation key changed: every file was pseudonymised again") for w in s["warnings"])
    new = {r["nhs_pseudo"] for r in table(p, "staging_identity")}
    assert new and not new & old
    blobs = [str(s), *(f.read_text(errors="replace") for f in p.out.rglob("*.csv")), *(
        f.read_text() for f in p.out.rglob("*.json"))]
    for secret in _secrets(TEST_KEY, OTHER_KEY):
        assert not any(secret in b for b in blobs)
    # the new key is now the store's: no flag needed, nothing to do; the old one is refused
    again = run(p)
    assert _statuses(again) == ["unchanged"] and not any("--new-key" in w for w in again["warnings"])
    monkeypatch.setenv("CARECASE_KEY", TEST_KEY)
    with pytest.raises(PrivacyError):
        run(p)
    # --new-key under the store's own key changes nothing and says nothing
    monkeypatch.setenv("CARECASE_KEY", OTHER_KEY)
    same = run(p, new_key=True)
    assert _statuses(same) == ["unchanged"] and not any("--new-key" in w for w in same["warnings"])


def test_store_from_before_the_key_check(project_factory, monkeypatch) -> None:
    """A store without a key check (an older carecase) is judged by its feed fingerprints."""
    p = project_factory({"sources": [event_source()]}, {"ae.csv": CSV1})
    run(p)
    p.engine.drop("ingest_key_check")
    s = run(p)  # the same key: confirmed by the fingerprint, and recorded
    assert _statuses(s) == ["unchanged"] and not any("key" in w for w in s["warnings"])
    assert hmac.compare_digest(table(p, "ingest_key_check")[0]["check"], key_check(TEST_KEY.encode()))
    p.engine.drop("ingest_key_check")
    monkeypatch.setenv("CARECASE_KEY", OTHER_KEY)
    s = run(p)  # cannot tell a new key from every source's settings changing: warned of
    assert _statuses(s) == ["reprocessed"]
    assert any("built before carecase recorded its key" in w for w in s["warnings"])
    monkeypatch.setenv("CARECASE_KEY", TEST_KEY)
    with pytest.raises(PrivacyError):  # and recorded from then on
        run(p)


def test_run_all_new_key_needs_ingest(project_factory) -> None:
    from carecase.pipeline import run_all

    p = project_factory({"sources": [event_source()]}, {"ae.csv": CSV1})
    with pytest.raises(ConfigError, match="--new-key re-pseudonymises at ingest"):
        run_all(p, only=["link"], new_key=True)


def test_cli_refuses_other_key_and_new_key_accepts_it(tmp_path) -> None:
    from .helpers import make_project

    p = make_project(tmp_path / "proj", {"sources": [event_source()]}, {"ae.csv": CSV1})
    p.close()
    assert _carecase("ingest", str(p.root), cwd=tmp_path).returncode == 0
    refused = _carecase("ingest", str(p.root), cwd=tmp_path, key=OTHER_KEY)
    text = " ".join(refused.stderr.split())
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "not the key this project's store was built with" in text and "--new-key" in text
    for secret in _secrets(TEST_KEY, OTHER_KEY):
        assert secret not in refused.stderr + refused.stdout
    ok = _carecase("ingest", str(p.root), "--new-key", cwd=tmp_path, key=OTHER_KEY)
    assert ok.returncode == 0, ok.stderr
    assert "The pseudonymisation key changed: every file was pseudonymised again" in " ".join(ok.stdout.split())
    helped = _carecase("ingest", "--help", cwd=tmp_path)
    assert "--new-key" in helped.stdout
