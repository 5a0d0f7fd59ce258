"""The terms a board meets in the report, in plain words (a board member's reading of the
demo found DiD, person-year, SMD, MDE, E-value, deadweight and others used unexplained)."""

from __future__ import annotations

from carecase.report.content import Column, Table

#: (term, what it means here), in the order a reader meets them
TERMS: list[tuple[str, str]] = [
    ("Person-year", "One person observed for one year (two people for six months each is also one). Rates "
     "are per person-year so that people followed for different lengths of time count fairly."),
    ("Naive before/after", "The participants' own change from the year before joining to the months after. "
     "It counts as savings what would have happened anyway (regression to the mean)."),
    ("Regression to the mean", "People referred at a crisis tend to use fewer services afterwards whatever "
     "is done; the comparison group's own change shows how much."),
    ("Matched comparison group", "People who had not joined, chosen to resemble each participant on the "
     "same date (age, sex, deprivation, past service use)."),
    ("Difference-in-differences (DiD)", "The participants' change less the comparison group's change: the "
     "estimated effect of the programme."),
    ("95% interval (CI)", "The range the effect probably lies in; an interval that includes 0 means no "
     "change cannot be ruled out."),
    ("Minimum detectable effect (MDE)", "The smallest true effect these numbers would have shown as "
     "significant; a smaller effect may be real but unseen."),
    ("Rate ratio", "Participants' change in a service's use relative to the comparison group's: 0.8 is 20% "
     "less use, 1.3 is 30% more."),
    ("E-value", "How strong a factor that matching did not account for would have to be to explain an "
     "effect away; larger is more robust."),
    ("SMD (standardised mean difference)", "How far apart the two groups are on a characteristic, in "
     "standard deviations; under 0.1 counts as balanced."),
    ("Entropy balancing", "Weights on the comparison group's people, chosen so that the weighted group "
     "matches the participants exactly on average on each characteristic matched on. Unequal weights make "
     "the comparison group count as fewer people: its effective size."),
    ("Rate ratio dispersion (α)", "How far service use varies between people beyond chance (0: not at all); "
     "from the negative binomial model."),
    ("Cluster jackknife", "A way of finding an interval: each group of matched people is left out in turn "
     "and the estimate made again; how much it moves gives the interval."),
    ("Net present value (NPV)", "Benefits less costs over the appraisal period, with future £ discounted "
     "(HM Treasury Green Book rates)."),
    ("Benefit-cost ratio (BCR), ROI", "£ of benefit per £1 of cost; below 1 the programme costs more than "
     "it returns."),
    ("Deadweight", "The share of an outcome that would have happened anyway (0 for an effect measured "
     "against a matched comparison group, which has already taken it out)."),
    ("Attribution", "The share of an outcome owed to other programmes or agencies."),
    ("Displacement", "The share of an outcome that only moves a problem elsewhere."),
    ("Drop-off", "How much an outcome fades each year after the first."),
    ("Optimism bias", "An adjustment for appraisals' known tendency to be too hopeful: costs raised and "
     "benefits lowered, more for weaker evidence."),
    ("Cashable", "The part of a saving that can be released from a budget as money, rather than freed "
     "capacity."),
    ("Public value", "All the benefits the model values, fiscal (public budgets), economic (for example "
     "self-funded care) and social, less transfers such as benefit payments, which move money "
     "without creating value."),
    ("Net present budget impact", "Cashable benefits less the cash costs, in present values: what the "
     "budgets gain or lose in money (in-kind costs left out)."),
    ("Break-even", "The saving per participant per year at which benefits equal costs (NPV = 0)."),
    ("Avoided demand, intended increase", "A fall in use of a service the programme aims to reduce, and a "
     "rise it set out to make (more treatment, more GP contact): the second is a cost the programme chose."),
    ("Lorenz curve, Gini", "How unevenly cost is spread across people: the curve shows the share of cost "
     "carried by each share of people; the Gini is 0 when everyone costs the same and near 1 when a few "
     "people carry almost all of it."),
    ("Suppressed cell (*)", "A figure hidden to protect people: it rests on a few people, one or two "
     "people make up almost all of it, or it would let such a figure be worked out from others."),
]


def glossary() -> Table:
    return Table("glossary", "Terms used in this report", [Column("term", "Term"), Column("meaning", "Meaning")],
                 [{"term": t, "meaning": m} for t, m in TERMS], protect_columns=False, protect_rows=False)
