"""Pseudonymisation: HMAC-SHA256 (RFC 2104 / FIPS 198-1) under the project key."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carecase.core.errors import PrivacyError
from carecase.ingest.pseudonymise import key_file_warning, load_key, pseudonymise

from .helpers import TEST_KEY, event_source, make_project


def test_rfc4231_test_case_2() -> None:
    """RFC 4231 section 4.3: key 'Jefe', data 'what do ya want for nothing?'."""
    out = pseudonymise(["what do ya want for nothing?", None], b"Jefe").to_pylist()
    assert out == ["5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", None]


@settings(deadline=None)
@given(st.lists(st.text(max_size=12), max_size=20))
def test_equal_values_equal_hashes_and_key_matters(values: list[str]) -> None:
    a = pseudonymise(values, b"k" * 20).to_pylist()
    b = pseudonymise(values, b"j" * 20).to_pylist()
    for i, v in enumerate(values):
        for j, w in enumerate(values):
            assert (a[i] == a[j]) == (v == w)
        assert a[i] != b[i]
        assert len(a[i]) == 64


def _project(tmp_path: Path, privacy: dict | None = None):
    return make_project(tmp_path / "p", {"sources": [event_source()]}, {}, privacy=privacy)


def test_key_from_environment(tmp_path: Path) -> None:
    assert load_key(_project(tmp_path)) == TEST_KEY.encode()


def test_missing_key_says_how_to_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CARECASE_KEY")
    with pytest.raises(PrivacyError, match="CARECASE_KEY.*key_file"):
        load_key(_project(tmp_path))


def test_key_file_outside_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CARECASE_KEY")
    (tmp_path / "secret.key").write_text("a-long-secret-from-a-file\n")
    p = _project(tmp_path, {"key_file": str(tmp_path / "secret.key")})
    assert load_key(p) == b"a-long-secret-from-a-file"


def test_a_missing_key_file_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """'privacy.key_file cannot be read (missing or no permission)' left the analyst to work
    out which file a relative key_file (the demo's ../demo.key) named, and which of the two."""
    monkeypatch.delenv("CARECASE_KEY")
    p = _project(tmp_path, {"key_file": "../gone.key"})
    gone = (tmp_path / "gone.key").resolve()
    with pytest.raises(PrivacyError, match=rf"^privacy.key_file \({re.escape(str(gone))}\) does not exist\. "
                                           r"Check the path in carecase.yaml \(it is relative to the project "
                                           r"folder\), or set the environment variable CARECASE_KEY\."):
        load_key(p)
    (tmp_path / "gone.key").mkdir()  # there, but not a file that can be read
    with pytest.raises(PrivacyError, match=r"\) cannot be read \(Is a directory\)"):
        load_key(p)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_key_file_that_others_can_read_is_warned_about(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ingest warns (naming the file and its mode, never the key) when other users of the
    machine can read the key file; a file only its owner reads, or the environment variable,
    gives no warning."""
    from carecase.ingest.stage import run

    monkeypatch.delenv("CARECASE_KEY")
    key = tmp_path / "secret.key"
    key.write_text("a-long-secret-from-a-file\n")
    key.chmod(0o644)
    p = make_project(tmp_path / "p", {"sources": [event_source()]},
                     {"ae.csv": "nhs,mrn,code,date\n9434765919,M1,AE,05/06/2023\n"}, privacy={"key_file": str(key)})
    warning = key_file_warning(p)
    assert warning is not None and "644" in warning and "chmod 600" in warning
    assert "a-long-secret" not in warning
    assert any("privacy.key_file" in w and "644" in w for w in run(p)["warnings"])
    key.chmod(0o600)
    assert key_file_warning(p) is None
    key.chmod(0o640)
    assert key_file_warning(p) is not None
    monkeypatch.setenv("CARECASE_KEY", TEST_KEY)
    assert key_file_warning(p) is None
    p.close()


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_demo_key_is_readable_by_its_owner_alone(tmp_path: Path) -> None:
    from carecase.demo import demo_key, write_demo_key

    path = tmp_path / "demo.key"
    path.write_text("old\n")
    path.chmod(0o644)  # an earlier demo's key, written before the demo restricted it
    write_demo_key(path, 11)
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.read_text() == demo_key(11) + "\n"


def test_key_file_inside_project_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CARECASE_KEY")
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "secret.key").write_text("a-long-secret-from-a-file\n")
    p = _project(tmp_path, {"key_file": "secret.key"})
    with pytest.raises(PrivacyError, match="inside the project folder") as err:
        load_key(p)
    assert "a-long-secret" not in str(err.value)


def test_short_key_refused_without_echoing_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARECASE_KEY", "short")
    with pytest.raises(PrivacyError) as err:
        load_key(_project(tmp_path))
    assert "short" not in str(err.value).replace("shorter", "")
