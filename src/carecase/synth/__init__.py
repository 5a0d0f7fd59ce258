"""carecase.synth: a synthetic multi-agency area, written as a ready-to-run carecase project.

``generate(folder, people, seed)`` writes ``carecase.yaml``, agency extracts in their own
shapes (with planted broken rows and identity typos), the programme's register and outcome
readings, and ``truth/`` (planted effects, broken-row counts, true links) for tests.
"""

from carecase.synth.generate import SynthResult, generate
from carecase.synth.nhs_number import nhs_number_is_valid, nhs_numbers_valid

__all__ = ["SynthResult", "generate", "nhs_number_is_valid", "nhs_numbers_valid"]
