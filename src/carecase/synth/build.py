"""``generate``: write a ready-to-run carecase project for a synthetic area."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from carecase.core.errors import SynthError
from carecase.synth import extracts_council as council
from carecase.synth import extracts_health as health
from carecase.synth import identity, params, programme_files, wrong_nhs
from carecase.synth.extract import Extract
from carecase.synth.model import Area, simulate
from carecase.synth.project_yaml import POST_WINDOWS, project_config, write_config
from carecase.synth.truth import (
    effects_truth,
    participant_counterfactuals,
    true_links,
    unregistered_truth,
    write_truth,
)
from carecase.synth.writers import write_table

FORMATS = ("realistic", "fast")


@dataclass
class SynthResult:
    folder: Path
    config_path: Path
    seed: int
    people: int
    participants: int
    rows: dict[str, int] = field(default_factory=dict)  # data rows per file (source name)
    broken: dict[str, dict[str, int]] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)  # relative to folder
    seconds: float = 0.0

    @property
    def headline(self) -> str:
        planted = sum(sum(v.values()) for v in self.broken.values())
        return (f"{self.people:,} people, {self.participants:,} programme participants, "
                f"{sum(self.rows.values()):,} rows in {len(self.files)} files "
                f"({planted:,} broken on purpose) in {self.seconds:.1f}s")


def _steps(area: Area, seed: int, wrong: float = 0.0) -> list[tuple[str, Any]]:
    return [
        ("population register", lambda: health.population_register(area)),
        ("A&E attendances", lambda: health.ae_attendances(area, seed)),
        ("inpatient spells", lambda: health.inpatient_spells(area, seed)),
        ("mental health stays", lambda: health.mental_health_stays(area, seed)),
        ("GP appointments", lambda: health.gp_appointments(area, seed)),
        ("ambulance incidents", lambda: health.ambulance_incidents(area, seed)),
        ("adult social care", lambda: council.social_care(area, seed)),
        ("homelessness applications", lambda: council.homelessness_applications(area, seed)),
        ("temporary accommodation", lambda: council.temporary_accommodation(area, seed)),
        ("police custody", lambda: council.police_custody(area, seed)),
        ("drug and alcohol treatment", lambda: council.drug_alcohol_treatment(area, seed, wrong)),
        ("programme register", lambda: programme_files.register(area)),
    ]


def generate(
    folder: str | Path, people: int, seed: int, *, start: dt.date = dt.date(2019, 4, 1),
    years: int = 5, formats: str = "realistic", progress: Any = None,
    unregistered: float = params.UNREGISTERED_SHARE, wrong_nhs_share: float = params.WRONG_NHS_SHARE,
    identity_noise: float = 1.0,
) -> SynthResult:
    """Synthesise ``people`` residents of a fictional area over ``years`` from ``start`` and
    write a complete carecase project into ``folder``: carecase.yaml, extracts/, programme/
    and truth/. ``formats='fast'`` writes Parquet where the realistic mix has XLSX.
    ``progress`` is a rich.progress.Progress or None. ``unregistered``: people off the
    population register, as a share of ``people`` (``synth.unregistered``; 0 for none).
    ``wrong_nhs_share``: the share of drug and alcohol treatment episodes with an NHS number that
    carry someone else's (``synth.wrong_nhs``; 0, the default, for none): listed in
    ``truth/wrong_nhs_numbers.parquet``. ``identity_noise`` multiplies the rates at which
    agencies record a name, birth date or postcode wrongly (``synth.identity.TYPO_RATES``;
    1, the default, as they are; 0 to 10), for an area harder (or easier) to link."""
    if formats not in FORMATS:
        raise SynthError(f"formats = {formats!r}: use one of {', '.join(FORMATS)}.")
    wrong_nhs.check_share(wrong_nhs_share)
    rates = identity.typo_rates(identity_noise)
    t0 = time.perf_counter()
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    task = progress.add_task("synth: people and crises", total=16) if progress is not None else None

    def advance(what: str) -> None:
        if progress is not None:
            progress.update(task, advance=1, description=f"synth: {what}")

    area = simulate(seed, people, start, years, unregistered)
    area.typo_rates = rates
    advance("people, crises, programme and service use")
    sources: list[Extract] = []
    lookups: list[Extract] = []
    population = register = None
    for label, build in _steps(area, seed, wrong_nhs_share):
        made = build()
        if isinstance(made, tuple):
            sources.append(made[0])
            lookups.append(made[1])
        elif made.name == "population":
            population = made
        elif made.name == "programme":
            register = made
        else:
            sources.append(made)
        advance(label)
    outcomes, outcome_truth = programme_files.outcomes(area, seed)
    assert population is not None and register is not None
    everything = [population, *sources, *lookups, register, outcomes]
    for e in everything:
        write_table(e.table, root / e.path(formats), e.written_type(formats), delimiter=e.delimiter,
                    sheet=e.sheet, title_rows=e.title_rows)
    advance("files written")
    config = project_config(area, sources, lookups, population, register, outcomes, formats)
    config_path = write_config(root, config)
    truth = {
        "seed": seed,
        "people": people,
        "participants": int(area.programme.person.size),
        "unregistered": unregistered_truth(area, everything),
        "period": {"start": area.period.start.isoformat(), "end": area.period.last_date.isoformat()},
        "formats": formats,
        "effects": effects_truth(area, POST_WINDOWS),
        "effect_window_note": "windows are months from each participant's start date "
        "(30.4375-day months); rate_ratio applies from the start date itself",
        "broken_rows": {e.name: {k: e.broken.get(k, 0) for k in sorted(e.broken)} for e in sources},
        "out_of_scope_rows": {e.name: e.out_of_scope for e in sources},
        "rows": {e.name: e.table.num_rows for e in everything},
        "files": {e.name: e.path(formats) for e in everything},
        "typos": {e.name: e.typos for e in sources if e.typos},
        "typo_rates": area.typo_rates,
        "outcomes": {"instrument": params.OUTCOME_INSTRUMENT, "domains": list(params.OUTCOME_DOMAINS),
                     "assessments": outcome_truth,
                     "note": "true change before rounding and clipping scores to 1-10"},
        "crises": {"episodes": int(area.crises.person.size),
                   "end_probability_per_month": params.CRISIS_END_PROB},
    }
    wrong = wrong_nhs.truth_rows(sources)
    truth["wrong_nhs_numbers"] = {
        "share": wrong_nhs_share,
        "rows": {s: int(n) for s, n in sorted(Counter(wrong.column("source").to_pylist()).items())},
        "file": "truth/wrong_nhs_numbers.parquet" if wrong.num_rows else None,
    }
    write_truth(root, truth, true_links(everything), participant_counterfactuals(area, POST_WINDOWS))
    truth_files = ["truth/truth.json", "truth/true_links.parquet",
                   "truth/participant_counterfactuals.parquet", "truth/README.md"]
    if wrong.num_rows:
        pq.write_table(wrong, root / "truth" / "wrong_nhs_numbers.parquet")
        truth_files.append("truth/wrong_nhs_numbers.parquet")
    advance("truth written")
    result = SynthResult(
        folder=root, config_path=config_path, seed=seed, people=people,
        participants=int(area.programme.person.size),
        rows={e.name: e.table.num_rows for e in everything},
        broken={e.name: dict(e.broken) for e in sources},
        files=sorted([e.path(formats) for e in everything] + ["carecase.yaml", *truth_files]),
    )
    result.seconds = time.perf_counter() - t0
    if progress is not None:
        progress.update(task, completed=16, description="synth: done")
    return result
