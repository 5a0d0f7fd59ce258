"""Joining a CBA model to the evaluation (``cba.from_evaluation`` in carecase.yaml).

The stage adds one outcome per evaluated service after the model's own outcomes
(:mod:`carecase.cba.from_evaluation`). Those outcomes are in no file the user wrote, so the
join is checked in the user's terms:

- :func:`check_link_cohort`: ``cba.from_evaluation.cohort`` must name one of the model's
  cohorts (the problem was reported as ``outcomes[2].cohort``, an outcome the user's file
  does not have);
- :func:`explain_generated`: any other problem found on an added outcome says where it came from.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from carecase.core.errors import CBAError

#: Where the link is written, as messages name it.
LINK = "cba.from_evaluation"


def check_link_cohort(data: Any, cohort: str, model_file: str) -> None:
    """Refuse a link whose cohort is not one of the model's (left to the model's own checks
    when its ``cohorts`` cannot be read)."""
    raw = data.get("cohorts") if isinstance(data, dict) else None
    if not isinstance(raw, list):
        return
    names = [str(c["name"]) for c in raw if isinstance(c, dict) and isinstance(c.get("name"), str)]
    if not names or cohort in names:
        return
    hint = difflib.get_close_matches(cohort, names, n=1)
    did = f" Did you mean {hint[0]!r}?" if hint else ""
    raise CBAError(
        f"carecase.yaml: {LINK}.cohort = {cohort!r}: the CBA model ({model_file}) has no cohort of "
        f"that name; its cohorts: {', '.join(names)}.{did} The evaluated effects are added to the "
        "model as outcomes of this cohort (per treated person), so it must be one of the model's. "
        f"Set {LINK}.cohort in carecase.yaml to one of {', '.join(names)} (a cohort whose "
        f"success_rate is 1), or add a cohort named {cohort!r} with success_rate: 1 to the model.")


def explain_generated(err: CBAError, first: int, services: list[str], window: str) -> CBAError:
    """``err`` with a line saying which of the outcomes it names were added from the
    evaluation (outcomes[first] on), so a path like outcomes[3] is not looked for in the
    user's file; ``err`` itself when it names none."""
    named = sorted({int(i) for i in re.findall(r"outcomes\[(\d+)\]", str(err))})
    added = [f"outcomes[{i}] is the evaluated effect on {services[i - first]}"
             for i in named if 0 <= i - first < len(services)]
    if not added:
        return err
    own = (f"the model's own outcomes are outcomes[0]–outcomes[{first - 1}]" if first > 1 else
           "the model's own outcome is outcomes[0]" if first == 1 else "the model has no outcomes of its own")
    return CBAError(f"{err}\nNot in the model you wrote: {'; '.join(added)} (window {window}), added by "
                    f"{LINK} in carecase.yaml from the evaluation's effects file; {own}.")
