"""Identity profiles: the distinct identities the probabilistic model compares.

An agency extract repeats a person's identity on every event row, so the model compares
distinct *profiles*, not rows — at ~1M events this is one to two orders of magnitude fewer
comparisons, and the result is identical (equal rows get equal scores). Each profile is
named by the smallest record_id it covers (an identifier-free, deterministic name).

- Reference profiles: distinct (NHS pseudonym, given, family, dob, sex, postcode) among
  records linked deterministically.
- Candidate profiles: distinct (local scope, local pseudonym, NHS pseudonym, given, family,
  dob, sex, postcode) among records still unlinked; the local pseudonym only groups records
  inside its own source. A record still unlinked has an NHS pseudonym only when the
  discordance check set it aside (``linkage.unlink_discordant``); such a record never shares
  a profile with records that have none (or another), which are pooled with the people off
  the register (``residual``) while it may not be: grouped on its details alone, it lent its
  number to the records with the same details, or they lent it theirs, and the step either
  stopped ("a record with an NHS number reached the clustering") or kept them all out,
  depending on which record id came first. A record with neither names, date of birth nor a
  local ID is a profile of its own and cannot be scored. Each candidate profile also has a
  ``profile_key``: the keyed hashes ingest made of its local scope, pseudonym and details
  (``identity_h1``, ``identity_h2``), and after them its NHS pseudonym where it has one;
  unlike its name, they do not change when an extract is re-issued: clerical decisions and
  an unlinked person's id are kept by it (``resolve.pair_id``, ``resolve.record_links``).
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis
import ibis.expr.types as ir

from carecase.link.nicknames import first_given, forms_for, forms_of

IDENTITY = ("given_name", "family_name", "dob", "sex", "postcode")


def _has_identity(t: ir.Table) -> ir.BooleanValue:
    return t.given_name.notnull() | t.family_name.notnull() | t.dob.notnull()


def reference_profiles(linked: ir.Table) -> ir.Table:
    """(unique_id, nhs_pseudo, identity columns) for deterministically linked records."""
    t = linked.filter(linked.resolved_nhs.notnull() & _has_identity(linked))
    g = t.group_by(["resolved_nhs", *IDENTITY]).aggregate(unique_id=t.record_id.min())
    return g.rename(nhs_pseudo="resolved_nhs")


def candidate_records(linked: ir.Table) -> ir.Table:
    """Unlinked records with their ``profile_id`` (the smallest record_id of the profile),
    ``profile_key`` (the keyed hashes of the values that define the profile, and its NHS
    pseudonym where it has one, stable across extract refreshes; null for an anonymous
    record) and whether the profile can be scored. Every record of a profile has the same
    NHS pseudonym, or none."""
    t = linked.filter(linked.resolved_nhs.isnull())
    scope = ibis.ifelse(t.local_pseudo.notnull(), t.source, ibis.null("string"))
    t = t.mutate(_scope=scope)
    # the NHS pseudonym too: a record unlinked from its number as discordant keeps it, and
    # must not share a profile (nor its key) with records that have none
    keys = ["_scope", "local_pseudo", "nhs_pseudo", *IDENTITY]
    grouped = t.record_id.min().over(ibis.window(group_by=[t[k] for k in keys]))
    anonymous = ~_has_identity(t) & t.local_pseudo.isnull()
    # the keyed hashes ingest made of the values grouped on here but the NHS pseudonym
    # (ingest.validate.with_identity_key), and that pseudonym where there is one: equal for
    # every record of a profile, different between profiles, and the same next month. A
    # record without one keeps the key it always had (its person_id and decisions with it).
    key = t.identity_h1.cast("string") + ibis.literal(":") + t.identity_h2.cast("string")
    key = ibis.ifelse(t.nhs_pseudo.isnull(), key, key + ibis.literal(":N:") + t.nhs_pseudo)
    return t.mutate(
        profile_id=ibis.ifelse(anonymous, t.record_id, grouped),
        profile_key=ibis.ifelse(anonymous, ibis.null("string"), key),
        scorable=_has_identity(t),
    ).drop("_scope")


def candidate_profiles(candidates: ir.Table) -> ir.Table:
    """One row per scorable candidate profile: (unique_id, identity columns)."""
    t = candidates.filter(candidates.scorable)
    return t.filter(t.record_id == t.profile_id).select(
        unique_id=t.profile_id, **{c: t[c] for c in IDENTITY}
    )


def comparison_columns(t: ir.Table, forms: Mapping[str, str] | None = None) -> ir.Table:
    """Add the derived columns the model compares and blocks on (see link.model). ``forms``:
    each short form of a given name → its forms joined by commas (link.nicknames.forms_for;
    None: the built-in list)."""
    if forms is None:
        forms = forms_for(None)
    first = first_given(t.given_name)
    pc = t.postcode.strip().upper()
    full = pc.length() >= 5  # anything shorter is not a full postcode: no sector/district
    return t.mutate(
        # 'U' (not known, not specified) is no evidence either way: Splink's null level. As
        # a value it counted as disagreeing with M or F, so true matches with an unrecorded
        # sex were penalised and EM learned that 44% of matches differ in sex (demo area).
        sex=ibis.ifelse(t.sex.isin(("M", "F")), t.sex, ibis.null("string")),
        given_prefix=t.given_name.substr(0, 2),
        # the first given name, and its forms: itself and every full name it is a short form
        # of (BILL: BILL, WILLIAM), for the level "one is a short form of the other"
        given_first=first,
        given_forms=forms_of(first, forms),
        family_prefix=t.family_name.substr(0, 2),
        dob_year=t.dob.year().cast("int32"),
        dob_month=t.dob.month().cast("int32"),
        dob_day=t.dob.day().cast("int32"),
        postcode=pc,
        # normalised 'AB1 2CD': inward code is the last 3 characters
        postcode_sector=ibis.ifelse(full, pc.substr(0, pc.length() - 2), ibis.null("string")),
        postcode_district=ibis.ifelse(
            full, pc.substr(0, pc.length() - 4).strip(), ibis.null("string")
        ),
    )
