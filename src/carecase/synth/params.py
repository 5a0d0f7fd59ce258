"""The parameters of the synthetic area: service rates, crisis sensitivity, lengths of stay
and the planted programme effects. Every number the generator uses lives here."""

from __future__ import annotations

from dataclasses import dataclass

NEED_GROUPS: tuple[str, ...] = (
    "physical", "primary", "mental", "social", "housing", "justice", "substance",
)
# loading of each need group on the person's complexity z, and its own spread (log scale)
NEED_LOADING: dict[str, float] = {
    "physical": 0.6, "primary": 0.4, "mental": 1.2, "social": 0.5,
    "housing": 1.5, "justice": 1.6, "substance": 1.6,
}
NEED_SPREAD = 0.6

# Crisis: a monthly on/off Markov chain. Onset odds rise with complexity z.
CRISIS_ONSET_INTERCEPT = -5.0
CRISIS_ONSET_SLOPE = 1.2
CRISIS_END_PROB = 0.3  # per month: mean crisis length about 3.3 months
CRISIS_SEVERITY_SHAPE = 2.0  # severity = 1 + Gamma(shape, scale): mean 5 times the usual rate
CRISIS_SEVERITY_SCALE = 2.0

# Programme: referrals at crisis peaks, weight = severity ** REFERRAL_SEVERITY_POWER
PARTICIPANTS_PER_PERSON = 250 / 4000
REFERRAL_SEVERITY_POWER = 2.0
REFERRAL_NEED_GROUPS: tuple[str, ...] = ("housing", "justice", "substance", "mental")
REFERRAL_NEED_POWER = 1.5
REFERRAL_AGE_SLOPE = -0.03  # the programme mostly takes working-age adults
REFERRAL_AGE_CENTRE = 35.0
PROGRAMME_MIN_PRE_MONTHS = 12
PROGRAMME_MIN_POST_MONTHS = 13
PROGRAMME_WAIT_DAYS = (14, 56)  # referral (at the crisis peak) to start: 2 to 8 weeks


@dataclass(frozen=True)
class ServiceParams:
    code: str
    group: str
    annual_rate: float  # new events (or spells/packages) per person-year at the age centre
    crisis_power: float  # rate × severity ** power during a crisis
    age_slope: float  # log rate per year of age from age_centre
    age_centre: float
    male_ratio: float  # rate ratio men vs women
    effect: float  # planted rate ratio for programme participants from their start date
    length_shape: float | None = None  # gamma length of stay / package (days)
    length_scale: float | None = None


SERVICE_PARAMS: tuple[ServiceParams, ...] = (
    ServiceParams("AE_ATTEND", "physical", 0.28, 1.0, 0.005, 50, 1.0, 0.70),
    ServiceParams("NEL_ADMIT", "physical", 0.08, 1.0, 0.03, 60, 1.0, 0.75, 1.3, 4.6),
    ServiceParams("EL_ADMIT", "physical", 0.07, 0.0, 0.025, 60, 1.0, 1.00, 1.5, 2.0),
    ServiceParams("MH_INPATIENT", "mental", 0.004, 1.2, -0.01, 40, 1.1, 0.80, 1.5, 22.0),
    ServiceParams("GP_APPT", "primary", 3.5, 0.4, 0.015, 50, 0.8, 1.30),
    ServiceParams("AMBULANCE", "physical", 0.09, 1.0, 0.02, 60, 1.0, 0.75),
    ServiceParams("ASC_HOMECARE", "social", 0.015, 0.5, 0.07, 75, 0.9, 1.00, 1.2, 300.0),
    ServiceParams("ASC_RESIDENTIAL", "social", 0.003, 0.3, 0.08, 80, 0.8, 1.00, 1.5, 500.0),
    ServiceParams("HOU_HOMELESS_APP", "housing", 0.012, 1.0, -0.02, 35, 1.2, 0.70),
    ServiceParams("HOU_TEMP_ACCOM", "housing", 0.006, 1.0, -0.02, 35, 1.2, 0.60, 1.0, 75.0),
    ServiceParams("POL_CUSTODY", "justice", 0.012, 1.1, -0.04, 30, 3.0, 0.60),
    ServiceParams("DA_TREATMENT", "substance", 0.008, 0.8, -0.01, 40, 1.8, 1.50, 2.0, 80.0),
)
BY_CODE: dict[str, ServiceParams] = {p.code: p for p in SERVICE_PARAMS}

# Out-of-scope activity planted in extracts (mapped to 'ignore'): per person-year
AMBULANCE_NOT_CONVEYED_SHARE = 0.4  # hear-and-treat / see-and-treat per conveyed incident
MATERNITY_RATE_WOMEN_18_45 = 0.03

HOMECARE_HOURS_SHAPE = 2.0  # hours per week ~ Gamma(2, 6): mean 12
HOMECARE_HOURS_SCALE = 6.0

# Outcome measure: a generic Complex Needs Outcome Scale, 10 domains scored 1-10
OUTCOME_INSTRUMENT = "cnos"
OUTCOME_DOMAINS: tuple[str, ...] = (
    "accommodation", "physical_health", "mental_wellbeing", "substance_use", "offending",
    "relationships", "money", "daily_living", "safety", "engagement",
)
OUTCOME_BASELINE_MEAN = 3.6
OUTCOME_TRUE_CHANGE: dict[str, float] = {"baseline": 0.0, "8m": 1.5, "11m": 2.0}
OUTCOME_ASSESSMENT_MONTHS: dict[str, int] = {"baseline": 0, "8m": 8, "11m": 11}
OUTCOME_MISSING_SHARE: dict[str, float] = {"baseline": 0.0, "8m": 0.1, "11m": 0.15}

# People off the population register (no GP registration, so no NHS number on any record):
# often rough sleepers and people in temporary accommodation. Their number is this share of
# the registered people; their complexity z is shifted up, so they are over-represented
# among people with housing and police contact. They appear only in these name-only sources.
UNREGISTERED_SHARE = 0.03
UNREGISTERED_COMPLEXITY_SHIFT = 1.25
UNREGISTERED_SERVICES: tuple[str, ...] = ("HOU_HOMELESS_APP", "HOU_TEMP_ACCOM", "POL_CUSTODY")

# Records carrying someone else's valid NHS number (synth.wrong_nhs): the share of the drug and
# alcohol treatment episodes with an NHS number (the NHS-numbered source that also records names,
# date of birth and sex). 0: none, so the demo area is as before.
WRONG_NHS_SHARE = 0.0
