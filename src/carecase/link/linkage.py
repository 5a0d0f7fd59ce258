"""Linkage end to end on the store: deterministic, then probabilistic, then resolution, then
the records still unlinked deduplicated among themselves (``residual``: people off the register).

``link(engine, identity, lookups, settings, decisions)`` is the public API: it writes
``record_links`` (and the working tables listed in ``WORK_TABLES``) and returns a
``LinkOutcome`` naming what it wrote.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.types as ir

from carecase.core.engine import Engine
from carecase.core.errors import LinkError
from carecase.link import discordance
from carecase.link.config import LinkageConfig
from carecase.link.deterministic import link_deterministic
from carecase.link.model import MODEL_COLUMNS, train_and_predict
from carecase.link.nicknames import forms_for
from carecase.link.profiles import (
    candidate_profiles,
    candidate_records,
    comparison_columns,
    reference_profiles,
)
from carecase.link.residual import RESIDUAL_PAIRS, dedupe_unregistered
from carecase.link.residual import REVIEW as RESIDUAL_REVIEW
from carecase.link.residual import TABLES as RESIDUAL_TABLES
from carecase.link.resolve import (
    GAMMAS,
    apply_decisions,
    best_matches,
    oriented_pairs,
    record_links,
)

IDENTITY_COLUMNS = (
    "record_id", "source", "batch_id", "source_row", "nhs_pseudo", "local_pseudo",
    "given_name", "family_name", "dob", "sex", "postcode", "identity_h1", "identity_h2",
)
REFERENCE = "_link_reference"
REFERENCE_MODEL = "_link_reference_model"
CANDIDATES = "_link_candidates"
CANDIDATE_PROFILES = "_link_candidate_profiles"
PAIRS = "_link_pairs"
BEST = "_link_best"
#: records linked on an NHS number, checked against the person's details (link.discordance)
DISCORDANCE = "_link_discordance"
WORK_TABLES = (DISCORDANCE, REFERENCE, REFERENCE_MODEL, CANDIDATES, CANDIDATE_PROFILES, PAIRS, BEST, *RESIDUAL_TABLES)
#: Pairs scoring below this probability are not kept (they are never links nor reviews).
SCORE_FLOOR = 0.001


@dataclass
class LinkOutcome:
    """What ``link`` wrote: table names in the store, and the trained model (or None when
    no record needed probabilistic linkage)."""

    record_links: str = "record_links"
    pairs: str = PAIRS
    best: str = BEST
    reference: str = REFERENCE
    candidate_profiles: str = CANDIDATE_PROFILES
    discordance: str = DISCORDANCE
    model: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: counts from deduplicating the unlinked records (people off the register), or None
    unregistered: dict[str, Any] | None = None
    #: that step's scored pairs and its pairs for clerical review (tables), when it ran
    residual_pairs: str | None = None
    residual_review: str | None = None


def check_identity(identity: ir.Table) -> None:
    missing = [c for c in IDENTITY_COLUMNS if c not in identity.columns]
    if missing:
        raise LinkError(
            f"staging_identity lacks column(s) {', '.join(missing)}; it is written by ingest "
            "(re-run `carecase ingest PROJECT`)."
        )


def _empty_pairs() -> ir.Table:
    import pyarrow as pa

    schema = pa.schema(
        [("pair_id", pa.string()), ("reference_id", pa.string()), ("candidate_id", pa.string()),
         ("nhs_pseudo", pa.string()), ("match_weight", pa.float64()),
         ("match_probability", pa.float64())] + [(g, pa.int32()) for g in GAMMAS]
    )
    return ibis.memtable(schema.empty_table())


def link(
    engine: Engine,
    identity: ir.Table,
    lookups: Mapping[str, ir.Table],
    settings: LinkageConfig,
    decisions: ir.Table | None = None,
    forms: Mapping[str, str] | None = None,
) -> LinkOutcome:
    """Link every staging record to one person and write ``record_links``. ``forms``: the
    given names' short forms (link.nicknames.forms_for; None: the built-in list)."""
    check_identity(identity)
    forms = forms_for(None) if forms is None else forms  # once, for every step below
    out = LinkOutcome()
    linked = link_deterministic(identity.select(*IDENTITY_COLUMNS), lookups)
    checks = engine.write(DISCORDANCE, discordance.check(linked, forms).order_by("record_id"))
    if settings.unlink_discordant:
        linked = discordance.unlink(linked, checks)
    ref = engine.write(REFERENCE, comparison_columns(reference_profiles(linked), forms).order_by("unique_id"))
    cands = engine.write(CANDIDATES, candidate_records(linked).order_by("record_id"))
    profiles = engine.write(
        CANDIDATE_PROFILES,
        comparison_columns(candidate_profiles(cands), forms).select(*MODEL_COLUMNS).order_by("unique_id"),
    )
    engine.write(REFERENCE_MODEL, ref.select(*MODEL_COLUMNS).order_by("unique_id"))
    n_ref = int(ref.count().to_pyarrow().as_py())
    n_cand = int(profiles.count().to_pyarrow().as_py())
    if n_ref and n_cand:
        out.warnings += names_warning(ref, cands)
        scored_name, out.model = train_and_predict(
            engine, REFERENCE_MODEL, CANDIDATE_PROFILES, n_reference=n_ref, n_candidates=n_cand,
            seed=settings.seed, max_pairs_u=settings.max_pairs_u,
            deterministic_recall=settings.deterministic_recall,
            threshold=min(SCORE_FLOOR, settings.clerical_lower),
        )
        out.notes += fixed_m_notes(out.model.get("carecase_fixed_m", []))
        pairs_expr = oriented_pairs(engine.table(scored_name), ref, cands)
    else:
        out.notes.append(
            "no probabilistic linkage: "
            + ("no records without an NHS number" if not n_cand else "no NHS-identified records")
        )
        pairs_expr = _empty_pairs()
    pairs = engine.write(PAIRS, pairs_expr.order_by(["candidate_id", "reference_id"]))
    if n_ref and n_cand:
        engine.drop(scored_name)
    best = engine.write(
        BEST,
        best_matches(
            apply_decisions(pairs, decisions), settings.match_probability, settings.clerical_lower
        ).order_by("candidate_id"),
    )
    clusters = None
    if settings.link_unregistered and out.model is not None:
        residual = dedupe_unregistered(
            engine, cands, best, engine.table(REFERENCE_MODEL), out.model,
            threshold=settings.match_probability, score_floor=min(SCORE_FLOOR, settings.clerical_lower),
            deterministic_recall=settings.deterministic_recall, forms=forms,
            clerical_lower=settings.clerical_lower, decisions=decisions,
        )
        clusters, out.unregistered = residual.clusters, residual.summary
        out.warnings += residual.warnings
        if residual.pairs is not None:
            out.residual_pairs, out.residual_review = RESIDUAL_PAIRS, RESIDUAL_REVIEW
    links = record_links(linked, cands, best, clusters)
    _check_person_ids(links)
    engine.write(out.record_links, links.drop("_person_key").order_by("record_id"))
    return out


#: Below this share of NHS-identified people with a name, name-bearing records without an
#: NHS number are compared mostly on date of birth, postcode and sex: ``names_warning``.
NAMED_SHARE = 0.5


def names_warning(reference: ir.Table, candidates: ir.Table) -> list[str]:
    """A warning when records without an NHS number carry names but fewer than
    :data:`NAMED_SHARE` of the people with one (``reference``: the deterministically linked
    profiles) have a given or family name on any record (typically a population register
    mapped without its name columns): the names cannot be compared, so such records link
    poorly, with no other sign. Names the sources of those records; holds no data values."""
    named = reference.given_name.notnull() | reference.family_name.notnull()
    named_nhs = ibis.ifelse(named, reference.nhs_pseudo, ibis.null("string"))
    counts = reference.aggregate(people=reference.nhs_pseudo.nunique(),
                                 named=named_nhs.nunique()).to_pyarrow().to_pylist()[0]
    people, with_name = int(counts["people"] or 0), int(counts["named"] or 0)
    if not people or with_name >= NAMED_SHARE * people:
        return []
    c = candidates.filter(candidates.scorable & (candidates.given_name.notnull() | candidates.family_name.notnull()))
    per = c.group_by("source").aggregate(records=c.count()).order_by("source").to_pyarrow().to_pylist()
    if not per:
        return []
    sources = ", ".join(r["source"] for r in per)
    records = sum(int(r["records"]) for r in per)
    who = ("no record with an NHS number carries a given or family name" if not with_name else
           f"only {with_name:,} of the {people:,} people with an NHS number ({with_name / people:.0%}) have a "
           "given or family name on any record")
    whom = "most of them" if with_name else "the people who have one"
    return [f"{who}, so the {records:,} record(s) of {sources} that have no NHS number but carry names can be "
            f"compared with {whom} only on date of birth, postcode and sex: many stay unlinked or link to the "
            "wrong person. Add given_name and family_name (or full_name) to "
            "ingest.population.ids (and to the ids of the other sources with NHS numbers that hold names), "
            "then run ingest and link again."]


def _check_person_ids(links: ir.Table) -> None:
    """A person_id is a 64-bit digest; fail loudly rather than merge two people on a clash."""
    per_id = links.group_by("person_id").aggregate(keys=links._person_key.nunique())
    clashes = int(per_id.filter(per_id["keys"] > 1).count().to_pyarrow().as_py())
    if clashes:
        raise LinkError(
            f"{clashes} person_id digest clash(es) between different people. This is "
            "astronomically unlikely; report it with the record counts (no identifiers)."
        )


def fixed_m_notes(fixed: list[dict[str, Any]]) -> list[str]:
    """One line for the comparison levels whose m probability training could not estimate or
    left below the Jeffreys floor (each level listed in the model's ``carecase_fixed_m``;
    ``trained_m`` above 0 for the latter): a line each when one or two, else one line naming
    them all (a project whose names are missing had 14 such lines)."""
    def floored(f: dict[str, Any]) -> bool:
        return bool(f.get("trained_m"))  # 0 (exactly 0) and None (untrained) are "no match showed it"

    if len(fixed) <= 2:
        return [f"{f['comparison']} '{f['level']}': training put its m probability at {f['trained_m']:.3g}, "
                f"below the Jeffreys estimate for none of {f['candidate_profiles']:,} candidate profiles, so it "
                f"is fixed at that estimate, {f['m']:.3g} (one disagreeing field would otherwise veto a match)"
                if floored(f) else
                f"{f['comparison']} '{f['level']}': no true match in training showed this level, so its m "
                f"probability is fixed at {f['m']:.3g}, the Jeffreys estimate for none of "
                f"{f['candidate_profiles']:,} candidate profiles" for f in fixed]
    levels = "; ".join(f"{f['comparison']} '{f['level']}' ({f['m']:.3g}"
                       + (f", trained {f['trained_m']:.3g})" if floored(f) else ")") for f in fixed)
    n = ", ".join(f"{v:,}" for v in sorted({int(f["candidate_profiles"]) for f in fixed}))
    low = sum(floored(f) for f in fixed)
    unseen = len(fixed) - low
    hint = (" Many such levels can mean a comparison field is missing on one side "
            "(names in the population register, say)." if unseen > 2 else "")
    if not low:
        return [f"{len(fixed)} comparison levels showed no true match in training, so their m probabilities are "
                f"fixed at the Jeffreys estimate for none of {n} candidate profiles (½ ÷ (n + 1)): {levels}.{hint}"]
    return [f"{len(fixed)} comparison levels have their m probability fixed at the Jeffreys estimate for none of "
            f"{n} candidate profiles (½ ÷ (n + 1)): {unseen} showed no true match in training, and training left "
            f"{low} below that estimate (one disagreeing field would otherwise veto a match): {levels}.{hint}"]
