"""Linkage settings (``linkage:`` in carecase.yaml)."""

from __future__ import annotations

from pydantic import Field, model_validator

from carecase.core.model import StrictModel


class LinkageConfig(StrictModel):
    match_probability: float = Field(
        0.95, gt=0, lt=1, description="A record links to its best person when the probability that it "
        "is that person (its pair's, shared among every person it was scored against) is at or above this."
    )
    clerical_lower: float = Field(
        0.5, gt=0, lt=1, description="A record that does not link but whose best pair scores at least this goes to "
        "clerical review; so does a pair of records of people off the register that scores at least this and "
        "stays apart (link_unregistered)."
    )
    clerical_decisions: str | None = Field(
        None, description="CSV of reviewed pairs (pair_id, decision: match/non-match) fed back in. "
        "Pair ids do not change when extracts are refreshed: keep one file and add to it."
    )
    nicknames: str | None = Field(
        None, description="CSV of given names' short forms (header name,short_form; one pair a row, "
        "e.g. WILLIAM,BILL) for the given-name level 'one a short form of the other'. Replaces the "
        "built-in list of common English short forms (carecase.link.nicknames); a header alone turns "
        "the level off.",
    )
    max_pairs_u: float = Field(2e6, ge=1, description="Most pairs compared to estimate u probabilities: "
                               "where the reference × candidate pairs are more, every pair of a seeded "
                               "sample of each table (the same on every engine).")
    seed: int = Field(20240401, description="Seed for the sample of profiles that estimates u.")
    deterministic_recall: float = Field(
        0.8, gt=0, le=1,
        description="Share of true matches the exact name + date of birth rule is believed to "
        "find; used to estimate the prior probability that two records match.",
    )
    link_unregistered: bool = Field(
        True,
        description="After linking to the people on the population register, deduplicate the records "
        "still unlinked among themselves (people off the register: often rough sleepers and people in "
        "temporary accommodation), with the register model's comparisons and trained m/u, clustering "
        "pairs at match_probability; each cluster is one person (method 'unregistered'). False: every "
        "unlinked record's profile stays a person of its own.",
    )
    unlink_discordant: bool = Field(
        False,
        description="A record linked on an NHS number whose own date of birth disagrees with that person's "
        "population-register record beyond a typing slip, and whose given name, family name or sex does too, "
        "may carry someone else's NHS number (carecase.link.discordance). Such records are always counted "
        "(summary.json nhs_discordance) and listed for review in out/link/nhs_number_discordance.csv. False "
        "(default): they stay linked on the number. True: they are unlinked from it and go to probabilistic "
        "linkage as records without one.",
    )
    truth: str | None = Field(
        None,
        description="CSV or Parquet of known links (record_id, true_person), e.g. from synthetic "
        "data or a clerically reviewed sample; when given, the linkage report adds precision "
        "and recall.",
    )

    @model_validator(mode="after")
    def _order(self) -> LinkageConfig:
        if self.clerical_lower >= self.match_probability:
            raise ValueError("clerical_lower must be below match_probability")
        return self
