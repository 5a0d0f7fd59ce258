"""Regression bias correction of matched controls (Abadie & Imbens 2011, J Bus Econ Stat
29:1). Matching on many covariates leaves small differences between each treated person
and their controls; at a crisis peak these matter, because the further a person is from the
mean the more they regress. Each control's rate per person-year in every window is moved
by ``(x_treated − x_control) · β``, where ``β`` comes from a weighted least-squares
regression of the matched controls' rates on the standardised matching covariates, fitted
separately for each window and outcome column. Amounts are then rebuilt from the adjusted
rates and the control's own person-time, so the DiD machinery is unchanged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from carecase.evaluate.panel import DAYS_PER_YEAR, Panel


def bias_corrected(panel: Panel, members: pd.DataFrame, x: pd.DataFrame) -> Panel:
    """A copy of ``panel`` whose control rows' amounts are regression-adjusted towards their
    treated person's covariates. ``x`` holds the matching covariates indexed by row_id."""
    ctrl = members[~members["treated"]]
    if len(ctrl) == 0:
        return panel
    values = x.to_numpy(float)
    sd = values.std(axis=0)
    keep = sd > 1e-12
    z = pd.DataFrame((values[:, keep] - values[:, keep].mean(axis=0)) / sd[keep], index=x.index)
    xc = z.loc[ctrl["row_id"].to_numpy()].to_numpy()
    xt = z.loc[ctrl["set_id"].to_numpy()].to_numpy()  # a set's id is its treated row's id
    pos = panel.position(ctrl["row_id"].to_numpy())
    days = panel.days[pos]  # (n_c, W)
    amount = panel.amount[pos]  # (n_c, W, Q)
    if len(ctrl) <= xc.shape[1] + 2:
        return panel
    design = np.column_stack([np.ones(len(xc)), xc])
    new_amount = panel.amount.copy()
    base_w = ctrl["weight"].to_numpy(float)
    for w in range(days.shape[1]):
        obs = days[:, w] > 0
        if obs.sum() <= design.shape[1]:
            continue
        rate = np.zeros(amount[:, w, :].shape)
        rate[obs] = amount[obs, w, :] / days[obs, w, None] * DAYS_PER_YEAR
        sw = np.sqrt(base_w * obs)
        beta, *_ = np.linalg.lstsq(design * sw[:, None], rate * sw[:, None], rcond=None)
        shift = (xt - xc) @ beta[1:]  # (n_c, Q)
        adjusted = (rate + shift) * days[:, w, None] / DAYS_PER_YEAR
        new_amount[pos, w, :] = np.where(obs[:, None], adjusted, amount[:, w, :])
    return Panel(panel.row_ids, panel.windows, panel.columns, new_amount, panel.days)
