"""The pseudonymisation key a store was built with, guarded: a different key is refused
before anything is written (every pseudonym and person_id would change, and pseudonymous IDs
in earlier outputs stop matching), unless the user re-keys on purpose (``--new-key``).
Nothing derived from either key is ever shown (docs/privacy.md)."""

from __future__ import annotations

import hmac
from collections.abc import Callable

from carecase.core.errors import PrivacyError
from carecase.core.project import Project
from carecase.ingest.pseudonymise import key_check, key_source

REKEYED = ("The pseudonymisation key changed: every file was pseudonymised again under a key other than the one "
           "the store was built with, so every pseudonym and person_id changes. Pseudonymous IDs in earlier "
           "outputs (shared reports, out/link/clerical_review.csv and the clerical decisions) no longer match: "
           "run the later stages again and review clerical pairs afresh.")


def check_key(project: Project, key: bytes, new_key: bool,
              fingerprints_confirm: Callable[[], bool | None]) -> list[str]:
    """Refuse a key other than the one the store was staged under, unless ``new_key``; the
    warnings to show. Runs before anything is written.

    The store keeps :func:`~carecase.ingest.pseudonymise.key_check` of its key. A store
    written before it did (no check, but feed fingerprints) is judged by those
    (``fingerprints_confirm``: None for a new store, else whether one source's fingerprint
    matches under ``key``): when none does, either every source's settings changed (the
    period, say) or the key did, and that is only warned of."""
    engine = project.engine
    recorded: str | None = None
    if engine.has_table("ingest_key_check"):
        rows = engine.to_arrow(engine.table("ingest_key_check")).to_pylist()
        recorded = rows[0]["check"] if rows else None
    if recorded is not None:
        if hmac.compare_digest(recorded, key_check(key)):
            return []
        if new_key:
            return [REKEYED]
        raise PrivacyError(key_differs(project))
    confirmed = fingerprints_confirm()
    if confirmed is None or confirmed:
        return []
    if new_key:
        return [REKEYED]
    return [f"This store was built before carecase recorded its key, and no source's settings match under the "
            f"key from {key_source(project)}: either every source's mapping (or the period) changed, or the key "
            "did, and every file was staged again. If the key changed by mistake, every pseudonym and person_id "
            "changed: set the original key and run ingest again. From now on a different key is refused."]


def key_differs(project: Project) -> str:
    where = key_source(project)
    return (
        f"The pseudonymisation key (from {where}) is not the key this project's store was built with, so "
        "ingest stopped before changing anything. Under another key every pseudonym and person_id "
        "changes, and pseudonymous IDs in earlier outputs (shared reports, out/link/clerical_review.csv and "
        "the decisions fed back with linkage.clerical_decisions) would no longer match. "
        "A different key is usually a mistake (the wrong key file or environment): set "
        f"{project.config.privacy.key_env} (or privacy.key_file) to the original key and run again. To "
        "re-pseudonymise everything under the new key on purpose (rotating the key), run "
        f"`carecase ingest {project.root} --new-key` once (or `carecase run {project.root} --new-key`)."
    )
