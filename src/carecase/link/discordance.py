"""Demographic discordance: records linked on an NHS number whose own details say they are
someone else (a valid NHS number recorded on the wrong person's record: picked from the wrong
patient in a PAS search, or a family member's).

Deterministic linkage trusts a valid NHS number. National practice does not trust it alone:
the HES patient identifier (HESID) links on NHS number *together with* date of birth and sex
(its first step: NHS Digital, "Methodology for the creation of the HES Patient ID"), and the
Personal Demographics Service's Master Person Service accepts an NHS number where the date of
birth agrees and otherwise traces the record on its demographics. Where an NHS number is right,
its record and the person's register record rarely disagree on date of birth or sex: in
30,000 HES admissions linked to PDS by NHS number they did in 0.11% of records, against 53% for
postcode (Harron, Hagger-Johnson, Gilbert & Goldstein 2017, "Utilising identifier error
variation in linkage of large administrative data sources", *BMC Medical Research Methodology*
17:23). False matches on a shared identifier happen and bias what is analysed (Hagger-Johnson
et al. 2015, "Identifying possible false matches in anonymized hospital administrative data
without patient identifiers", *Health Services Research* 50(4); Hagger-Johnson et al. 2017,
"Probabilistic linking to enhance deterministic algorithms and reduce data linkage errors in
hospital administrative data", *J Innovation in Health Informatics* 24(2)); linkage quality
should be checked and reported, not assumed (Harron et al. 2017, "Challenges in
administrative data linkage for research", *Big Data & Society* 4(2)).

The rule (``discordant``). A record linked on an NHS number (method ``nhs_number`` or
``lookup``) is compared with that person's population-register record(s) (source
``population``: the reference PDS stands for) or, for a person with none, with the person's
other records. A field disagrees when it disagrees with every record compared (so one
matching record is enough) and can be compared with at least one:

- date of birth: not equal, not day and month swapped, and at least two of day, month and
  year different (one part wrong is a typing slip the probabilistic model also forgives);
- given name, family name: not equal, not within two edits (a transposed pair of letters
  is two), and not equal to the other record's other name (the two names swapped); a given
  name also agrees when the first given name of one is among the given names of the other
  (a middle name on one record only, MARY ANN and MARY; or a person known by their middle
  name, MARY ANN and ANN) or one first given name is a short form of the other (BILL and
  WILLIAM, as the probabilistic model's level: link.nicknames);
- sex: M against F (U or missing is no evidence).

A record is **discordant** when its date of birth disagrees AND at least one of given name,
family name or sex disagrees too. Date of birth is required because it is the field the
national algorithms verify an NHS number with and the one least often wrong on a true link
(0.11%, above); names change (marriage, nicknames, aliases) and postcodes more so (postcode is
not used). A second field is required so that a date of birth badly mistyped on an otherwise
right record is not flagged. A wrong number of someone with the same name and a date of birth
typo away, or of a twin (same date of birth), is not caught: the rule trades that recall for
few false flags.

Nothing here reads rows into Python: the checks are Ibis expressions (DuckDB and Spark alike).
The result table holds record ids, pseudonyms and true/false flags, never a value compared.
"""

from __future__ import annotations

from collections.abc import Mapping

import ibis
import ibis.expr.types as ir

from carecase.link.clerical import record_places
from carecase.link.nicknames import first_given, forms_for, short_form_of

#: staging_identity.source of the population register's records (ingest.feeds names it so)
POPULATION_SOURCE = "population"
METHODS = ("nhs_number", "lookup")
FIELDS = ("dob", "given_name", "family_name", "sex")
#: names within this many edits (Levenshtein) agree: a transposition of two letters is two
NAME_EDITS = 2
COLUMNS = ("record_id", "source", "method", "nhs_pseudo", "compared_with", "reference_record_id",
           *(f"{f}_disagrees" for f in FIELDS), "discordant")
_KEYS = ("resolved_nhs", "given_name", "family_name", "dob", "sex", "_register")


def dob_disagrees(a: ir.DateValue, b: ir.DateValue) -> ir.BooleanValue:
    """Both known, and different beyond a typing slip: not day and month swapped, and at
    least two of day, month and year different."""
    parts = ((a.year() != b.year()).cast("int8") + (a.month() != b.month()).cast("int8")
             + (a.day() != b.day()).cast("int8"))
    swapped = (a.year() == b.year()) & (a.month() == b.day()) & (a.day() == b.month())
    return a.notnull() & b.notnull() & (parts >= 2) & ~swapped


def name_agrees(a: ir.StringValue, b: ir.StringValue, b_other: ir.StringValue) -> ir.BooleanValue:
    """``a`` is ``b`` give or take :data:`NAME_EDITS` edits, or the other record's other name
    (given and family name swapped)."""
    return (a == b) | (a.levenshtein(b) <= NAME_EDITS) | (a == b_other).fill_null(False)


def one_of_the_given_names(a: ir.StringValue, b: ir.StringValue) -> ir.BooleanValue:
    """The first given name of ``a`` is one of ``b``'s given names, or the first of ``b`` one
    of ``a``'s (normalised names: one space between words)."""
    return (b.split(" ").contains(first_given(a)) | a.split(" ").contains(first_given(b))).fill_null(False)


def _status(comparable: ir.BooleanValue, agrees: ir.BooleanValue) -> ir.IntegerValue:
    """1 agrees, 0 disagrees, null when either side is missing."""
    return ibis.ifelse(comparable, agrees.cast("int8"), ibis.null("int8"))


def check(linked: ir.Table, forms: Mapping[str, str] | None = None) -> ir.Table:
    """Every record linked on an NHS number that could be checked (a date of birth, and a
    register record or another record of the person to compare with), with :data:`COLUMNS`:
    which fields disagree and whether it is ``discordant``. ``linked`` is
    ``link_deterministic``'s output (record_id, source, identity columns, resolved_nhs,
    method). ``reference_record_id`` is the smallest record id it was compared with;
    ``compared_with`` is 'population register' or 'other records'. Register records
    themselves are the reference and are not checked. ``forms``: the given names' short
    forms (link.nicknames.forms_for; None: the built-in list)."""
    forms = forms_for(None) if forms is None else forms
    t = linked.filter(linked.resolved_nhs.notnull() & linked.method.isin(METHODS))
    t = t.mutate(_register=(t.source == POPULATION_SOURCE).fill_null(False))
    w = ibis.window(group_by=[t[k] for k in _KEYS])
    t = t.mutate(_pid=t.record_id.min().over(w), _n=t.record_id.count().over(w))
    person = ibis.window(group_by=t.resolved_nhs)
    t = t.mutate(_has_register=t._register.cast("int8").max().over(person) == 1)
    prof = t.filter(t.record_id == t._pid)
    subj = prof.filter(~prof._register & prof.dob.notnull())
    ref = prof.filter(prof._register | ~prof._has_register).select(
        r_nhs=prof.resolved_nhs, r_pid=prof._pid, r_given=prof.given_name, r_family=prof.family_name,
        r_dob=prof.dob, r_sex=prof.sex, r_register=prof._register)
    # a person without a register record: the record's others (itself too when another record
    # has exactly its details, so that it agrees)
    j = subj.inner_join(ref, [subj.resolved_nhs == ref.r_nhs,
                              ref.r_register | (ref.r_pid != subj._pid) | (subj._n >= 2)])
    known_sex = j.sex.isin(("M", "F")) & j.r_sex.isin(("M", "F"))
    pairs = j.select(
        _pid=j._pid,
        r_pid=j.r_pid,
        compared_register=j.r_register,
        dob=_status(j.dob.notnull() & j.r_dob.notnull(), ~dob_disagrees(j.dob, j.r_dob)),
        given_name=_status(j.given_name.notnull() & j.r_given.notnull(),
                           name_agrees(j.given_name, j.r_given, j.r_family)
                           | one_of_the_given_names(j.given_name, j.r_given)
                           | short_form_of(j.given_name, j.r_given, forms).fill_null(False)),
        family_name=_status(j.family_name.notnull() & j.r_family.notnull(),
                            name_agrees(j.family_name, j.r_family, j.r_given)),
        sex=_status(known_sex.fill_null(False), j.sex == j.r_sex),
    )
    agg = pairs.group_by(p_pid=pairs._pid).aggregate(
        reference_record_id=pairs.r_pid.min(),
        compared_register=pairs.compared_register.cast("int8").max(),
        **{f: pairs[f].max() for f in FIELDS},
    )
    dis = {f"{f}_disagrees": (agg[f].fill_null(1) == 0) for f in FIELDS}
    agg = agg.mutate(**dis).mutate(
        discordant=lambda a: a.dob_disagrees & (a.given_name_disagrees | a.family_name_disagrees
                                                | a.sex_disagrees),
        compared_with=ibis.ifelse(agg.compared_register == 1, "population register", "other records"),
    )
    recs = t.inner_join(agg, t._pid == agg.p_pid)
    return recs.select(
        "record_id", "source", "method", nhs_pseudo=recs.resolved_nhs,
        compared_with=recs.compared_with, reference_record_id=recs.reference_record_id,
        **{f"{f}_disagrees": recs[f"{f}_disagrees"] for f in FIELDS},
        discordant=recs.discordant,
    )


def unlink(linked: ir.Table, checks: ir.Table) -> ir.Table:
    """``linked`` with the discordant records' NHS number set aside (``resolved_nhs`` and
    ``method`` null): they go on to probabilistic linkage as records without one
    (``linkage.unlink_discordant``). The record keeps its own ``nhs_pseudo``, so it is left
    out of the pool of people off the register (``residual``) if the model does not link it."""
    flagged = checks.filter(checks.discordant).select(f_rid=checks.record_id)
    j = linked.left_join(flagged, linked.record_id == flagged.f_rid)
    off = j.f_rid.notnull()
    return j.mutate(
        resolved_nhs=ibis.ifelse(off, ibis.null("string"), j.resolved_nhs),
        method=ibis.ifelse(off, ibis.null("string"), j.method),
    ).drop("f_rid")


REVIEW_FILE = "nhs_number_discordance.csv"
RULE = ("date of birth different beyond a typing slip (not day and month swapped, two or more of day, month "
        "and year different) and given name, family name or sex different too, against the person's "
        "population-register record (or, without one, every other record of the person)")


def review_table(checks: ir.Table, links: ir.Table, records: ir.Table | None = None,
                 files: ir.Table | None = None) -> ir.Table:
    """The discordant records for clerical review, sorted by record_id: ``record_id``,
    ``source``, ``file`` and ``row`` (the extract and its data row, with ``records`` and
    ``files`` as for the clerical file), ``linked_on`` (nhs_number or lookup), ``method`` and
    ``person_id`` (how and to whom the record is linked now), ``reference_record_id`` and
    ``compared_with``, and ``disagreeing``: the fields that disagree, e.g. 'dob;given_name;sex'.
    Pseudonymous ids and field names only: never a name, date of birth or NHS number."""
    d = checks.filter(checks.discordant)
    words = [ibis.ifelse(d[f"{f}_disagrees"], ibis.literal(f), ibis.literal("")) for f in FIELDS]
    joined = words[0]
    for w in words[1:]:
        joined = joined + ibis.literal(" ") + w
    lk = links.select(l_rid=links.record_id, person_id=links.person_id, l_method=links.method)
    j = d.left_join(lk, d.record_id == lk.l_rid)
    out = j.select(
        "record_id", "source", linked_on=j.method, method=j.l_method, person_id=j.person_id,
        reference_record_id=j.reference_record_id, compared_with=j.compared_with,
        disagreeing=joined.strip().re_replace(" +", ";"),
    )
    if records is not None and files is not None:
        where = record_places(records, files).rename(file="w_path", row="w_row")
        out = out.left_join(where, out.record_id == where.w_id).drop("w_id")
        out = out.relocate("file", "row", after="source")
    return out.order_by("record_id")


def summary(checks: ir.Table, review: list[dict], unlinked: bool, file: str) -> dict:
    """Counts for summary.json's ``nhs_discordance`` (no data values): records ``checked``,
    ``flagged``, flagged ``by_source``, ``fields`` (flagged records disagreeing on each field),
    ``method_now`` (how the flagged records are linked now: nhs_number or lookup when kept,
    else probabilistic, clerical or unlinked), ``unlinked`` (``linkage.unlink_discordant``)."""
    checked = int(checks.count().to_pyarrow().as_py())
    by_source: dict[str, int] = {}
    fields = dict.fromkeys(FIELDS, 0)
    now: dict[str, int] = {}
    for r in review:
        by_source[r["source"]] = by_source.get(r["source"], 0) + 1
        now[str(r["method"])] = now.get(str(r["method"]), 0) + 1
        for f in str(r["disagreeing"]).split(";"):
            if f in fields:
                fields[f] += 1
    return {"checked": checked, "flagged": len(review), "by_source": dict(sorted(by_source.items())),
            "fields": fields, "method_now": dict(sorted(now.items())), "unlinked": unlinked,
            "file": file, "rule": RULE}
