"""From scored pairs to one person per record.

Resolution is *best match per candidate profile*, not connected components: the reference
side is already resolved into people by NHS pseudonym (an authoritative key), so a candidate
can only join an existing person. Connected components would let one misspelt record chain
two different NHS-identified people into one, which is the costly error here (it merges two
people's service use). Each candidate profile takes its highest-probability pair; ties are
broken by the smaller NHS pseudonym, then reference profile id, so results are
deterministic.

Clerical decisions override the model: a pair reviewed as ``non-match`` is removed before the
best match is chosen; a pair reviewed as ``match`` outranks every model score (method
``clerical``).

person_id is 'P' + the first 16 hex characters of SHA-256 of 'N:<nhs_pseudo>' for a person
with an NHS pseudonym, or of 'K:<profile_key>' for an unlinked profile (its details'
digest, ``profiles.profile_key``; 'R:<record_id>' for a record with no details at all):
deterministic, carrying no identifier, and unchanged when an extract is refreshed while the
person's details are the same.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

GAMMAS = ("gamma_given_name", "gamma_family_name", "gamma_dob", "gamma_postcode", "gamma_sex")


def person_id(key: ir.StringValue) -> ir.StringValue:
    return ibis.literal("P") + key.hexdigest("sha256").substr(0, 16)


def pair_id(nhs_pseudo: ir.StringValue, profile_key: ir.StringValue) -> ir.StringValue:
    """'C' and 16 hex characters of SHA-256 of the person's NHS pseudonym and the candidate
    profile's key (``profiles.profile_key``). Neither changes when an extract is re-issued or
    refreshed (record ids do), so a reviewer's decision on a pair ("this candidate is / is not
    this person") still applies next month while the candidate's details are the same.
    Candidate profiles pair with each of a person's reference profiles under one pair id."""
    return ibis.literal("C") + (nhs_pseudo + ibis.literal("|") + profile_key).hexdigest(
        "sha256"
    ).substr(0, 16)


def oriented_pairs(scored: ir.Table, reference: ir.Table, candidates: ir.Table) -> ir.Table:
    """Scored pairs as (pair_id, reference_id, candidate_id, nhs_pseudo, match_weight,
    match_probability, gamma_*), whichever side Splink put each dataset on; ``candidates``
    gives each candidate profile's ``profile_key``."""
    left_is_ref = scored.source_dataset_l == "reference"
    s = scored.mutate(
        reference_id=ibis.ifelse(left_is_ref, scored.unique_id_l, scored.unique_id_r),
        candidate_id=ibis.ifelse(left_is_ref, scored.unique_id_r, scored.unique_id_l),
    )
    ref = reference.select(ref_uid=reference.unique_id, nhs_pseudo=reference.nhs_pseudo)
    keys = candidates.filter(candidates.record_id == candidates.profile_id).select(
        c_uid=candidates.profile_id, profile_key=candidates.profile_key)
    j = s.inner_join(ref, s.reference_id == ref.ref_uid).inner_join(keys, s.candidate_id == keys.c_uid)
    return j.select(
        pair_id=pair_id(j.nhs_pseudo, j.profile_key),
        reference_id=j.reference_id,
        candidate_id=j.candidate_id,
        nhs_pseudo=j.nhs_pseudo,
        match_weight=j.match_weight.cast("float64"),
        match_probability=j.match_probability.cast("float64"),
        **{g: j[g].cast("int32") for g in GAMMAS},
    )


def apply_decisions(pairs: ir.Table, decisions: ir.Table | None) -> ir.Table:
    """Add ``decision`` ('match', 'non-match' or null) and drop reviewed non-matches."""
    if decisions is None:
        return pairs.mutate(decision=ibis.null("string"))
    d = decisions.select(d_pair=decisions.pair_id, decision=decisions.decision)
    j = pairs.left_join(d, pairs.pair_id == d.d_pair).drop("d_pair")
    return j.filter(j.decision.isnull() | (j.decision != "non-match"))


def best_matches(pairs: ir.Table, threshold: float, clerical_lower: float) -> ir.Table:
    """One row per candidate profile that has a pair: its best pair, with ``method``
    ('clerical', 'probabilistic' or null) and ``review`` (true in the grey zone)."""
    is_match = (pairs.decision == "match").fill_null(False)
    ranked = pairs.mutate(_clerical=is_match.cast("int8"))
    w = ibis.window(
        group_by=ranked.candidate_id,
        order_by=[
            ibis.desc(ranked._clerical),
            ibis.desc(ranked.match_probability),
            ranked.nhs_pseudo,
            ranked.reference_id,
        ],
    )
    ranked = ranked.mutate(_rank=ibis.row_number().over(w))
    best = ranked.filter(ranked._rank == 0)
    p = best.match_probability
    method = ibis.cases(
        (best._clerical == 1, "clerical"),
        (p >= threshold, "probabilistic"),
        else_=ibis.null("string"),
    )
    review = (best._clerical == 0) & (p >= clerical_lower) & (p < threshold)
    return best.mutate(method=method, review=review).drop("_clerical", "_rank")


def record_links(deterministic: ir.Table, candidates: ir.Table, best: ir.Table) -> ir.Table:
    """record_id, person_id, method, match_probability for every staging record.

    ``match_probability`` is the model's score for probabilistic and clerical links and null
    for deterministic links and unlinked records."""
    det = deterministic.filter(deterministic.resolved_nhs.notnull())
    det_links = det.select(
        record_id=det.record_id,
        person_key=ibis.literal("N:") + det.resolved_nhs,
        method=det.method,
        match_probability=ibis.null("float64"),
    )
    b = best.filter(best.method.notnull()).select(
        b_cand=best.candidate_id, b_nhs=best.nhs_pseudo, b_method=best.method,
        b_prob=best.match_probability,
    )
    c = candidates.left_join(b, candidates.profile_id == b.b_cand)
    linked = c.b_nhs.notnull()
    cand_links = c.select(
        record_id=c.record_id,
        person_key=ibis.ifelse(
            linked, ibis.literal("N:") + c.b_nhs,
            ibis.ifelse(c.profile_key.notnull(), ibis.literal("K:") + c.profile_key,
                        ibis.literal("R:") + c.profile_id),
        ),
        method=ibis.ifelse(linked, c.b_method, ibis.literal("unlinked")),
        match_probability=ibis.ifelse(linked, c.b_prob, ibis.null("float64")),
    )
    allr = ibis.union(det_links, cand_links, distinct=False)
    return allr.select(
        "record_id",
        person_id=person_id(allr.person_key),
        method=allr.method,
        match_probability=allr.match_probability,
        _person_key=allr.person_key,
    )
