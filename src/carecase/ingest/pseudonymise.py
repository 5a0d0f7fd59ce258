"""Pseudonymisation: HMAC-SHA256 of normalised identifiers under the project's secret key.

The key comes from the environment variable ``privacy.key_env`` (default ``CARECASE_KEY``)
or, when that is unset, from ``privacy.key_file``, which must lie outside the project folder
(so the key never travels with the data or the outputs). Only NHS numbers and local IDs
are hashed; names, dates of birth and postcodes stay in the linkage staging area only.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from carecase.core.errors import PrivacyError

if TYPE_CHECKING:
    from carecase.core.project import Project

MIN_KEY_LENGTH = 16


def _check_key(text: str, where: str) -> bytes:
    key = text.strip()
    if len(key) < MIN_KEY_LENGTH:
        raise PrivacyError(
            f"The pseudonymisation key from {where} is shorter than {MIN_KEY_LENGTH} characters. "
            "Use a long random secret, e.g. the output of "
            "`python -c \"import secrets; print(secrets.token_hex(32))\"`."
        )
    return key.encode("utf-8")


def key_source(project: Project) -> str:
    """Where :func:`load_key` takes the key from, in words (never the key itself)."""
    privacy = project.config.privacy
    env = os.environ.get(privacy.key_env)
    if env is not None and env.strip():
        return f"the environment variable {privacy.key_env}"
    return "privacy.key_file" if privacy.key_file else "nowhere"


#: The message of :func:`key_check`: fixed, so the check tells keys apart and nothing else.
_KEY_CHECK_MESSAGE = b"carecase key check v1"


def key_check(key: bytes) -> str:
    """An HMAC under the key of a fixed message, kept in the store (``ingest_key_check``) so
    that a run under another key is noticed. It is never shown: it is derived from the key."""
    return hmac.digest(key, _KEY_CHECK_MESSAGE, "sha256").hex()


def _key_file_path(project: Project) -> Path | None:
    """``privacy.key_file`` resolved (relative to the project folder), or None when the key
    comes from the environment variable or no key file is given."""
    privacy = project.config.privacy
    env = os.environ.get(privacy.key_env)
    if (env is not None and env.strip()) or not privacy.key_file:
        return None
    path = Path(privacy.key_file).expanduser()
    return (path if path.is_absolute() else project.root / path).resolve()


def key_file_warning(project: Project) -> str | None:
    """A warning when the key is read from ``privacy.key_file`` and the file's permissions
    let other users of the machine read it (POSIX group or other bits), naming its mode and
    path, never the key; None otherwise (the environment variable, no such bits, Windows)."""
    path = _key_file_path(project)
    if path is None or os.name != "posix":
        return None
    try:
        mode = path.stat().st_mode & 0o777
    except OSError:
        return None  # load_key says what is wrong with it
    if not mode & 0o077:
        return None
    return (f"privacy.key_file ({path}) can be read by other users of this machine (permissions "
            f"{mode:03o}): with the key, anyone who also reads the store or an output can recompute "
            "the pseudonym of any NHS number they guess. Let only its owner read it "
            f"(chmod 600 {path}), or set the environment variable {project.config.privacy.key_env} instead.")


def load_key(project: Project) -> bytes:
    """The project's secret key as bytes (surrounding whitespace removed)."""
    privacy = project.config.privacy
    env = os.environ.get(privacy.key_env)
    if env is not None and env.strip():
        return _check_key(env, f"environment variable {privacy.key_env}")
    path = _key_file_path(project)
    if path is not None:
        if path.is_relative_to(project.root.resolve()):
            raise PrivacyError(
                "privacy.key_file points inside the project folder, so the key would travel "
                "with the data. Move the key file outside the project folder and update "
                "privacy.key_file (or set the environment variable "
                f"{privacy.key_env} instead)."
            )
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as err:  # the path (never the key) says which file, resolved from the project
            why = ("does not exist" if isinstance(err, FileNotFoundError)
                   else f"cannot be read ({err.strerror or type(err).__name__})")
            raise PrivacyError(
                f"privacy.key_file ({path}) {why}. Check the path in carecase.yaml (it is relative "
                f"to the project folder), or set the environment variable {privacy.key_env}."
            ) from None
        return _check_key(text, "privacy.key_file")
    raise PrivacyError(
        "No pseudonymisation key: set the environment variable "
        f"{privacy.key_env} (e.g. export {privacy.key_env}=<long random secret>) or give "
        "privacy.key_file (a file outside the project folder) in carecase.yaml."
    )


def pseudonymise(values: pa.Array | pa.ChunkedArray | Sequence[str | None], key: bytes,
                 dictionary: bool = False) -> pa.Array:
    """HMAC-SHA256 (hex) of each already-normalised value; nulls stay null.

    Each distinct value is hashed once, so the cost scales with people, not events. With
    ``dictionary``, the digests come as a dictionary array (each distinct digest held once,
    an index a row: about 4 bytes a row rather than 68), for rows that go to the store.
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not isinstance(values, pa.Array):
        values = pa.array(list(values), type=pa.string())
    values = values.cast(pa.string())
    distinct = pc.drop_null(pc.unique(values))
    digests = pa.array(
        [hmac.digest(key, v.encode("utf-8"), "sha256").hex() for v in distinct.to_pylist()],
        type=pa.string(),
    )
    index = pc.index_in(values, value_set=distinct)
    if dictionary:
        return pa.DictionaryArray.from_arrays(index, digests)
    return pc.take(digests, index)
