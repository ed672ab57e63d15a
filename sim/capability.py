"""Capability from training compute, the open-weight spillover floor and lags (DESIGN.md §2, §3 step 4).

Capability ``c`` is ``log10`` of effective training compute (FLOP x algorithmic efficiency relative to the
start date); one unit is 10x effective compute.
"""

from __future__ import annotations

import numpy as np


def release_capability(old: float, accrued_flop: float, efficiency: float, open_floor: float) -> float:
    """Capability of a new release: ``max(old, log10(accrued_flop * efficiency), open_floor)``.

    ``open_floor`` is the best accessible open capability minus the distillation gap (-inf when there is
    no open model). Capability never falls. Raises ValueError for negative compute."""
    if accrued_flop < 0:
        raise ValueError(f"accrued training compute must be >= 0, got {accrued_flop}")
    own = np.log10(accrued_flop * efficiency) if accrued_flop > 0 else -np.inf
    return float(max(old, own, open_floor))


def lag_months(history: np.ndarray, level: float, t: int, pre_slope: float) -> float:
    """Months since the frontier ``history`` (running maximum, one value per month 0..t) first reached ``level``.

    Linear interpolation between months; before month 0 the frontier is extrapolated backwards at
    ``pre_slope`` OOM per month. Returns 0 when ``level`` is at or above the current frontier.

    history : (t+1,) non-decreasing capability of the leading group, month 0..t.
    """
    h = history[: t + 1]
    if level >= h[-1]:
        return 0.0
    if level < h[0]:
        return t + (h[0] - level) / pre_slope
    s = int(np.searchsorted(h, level, side="left"))  # first month with h[s] >= level, s >= 1 here
    if s == 0:
        return float(t)
    lo, hi = h[s - 1], h[s]
    frac = (level - lo) / (hi - lo) if hi > lo else 1.0
    return float(t - (s - 1 + frac))


def signed_lag(leader_hist: np.ndarray, follower_hist: np.ndarray, t: int, pre_slope: float) -> float:
    """Lag (months) of the follower behind the leader at month ``t``; negative when the follower leads.

    Both histories are running maxima per month (0..t)."""
    a, b = leader_hist[t], follower_hist[t]
    if b <= a:
        return lag_months(leader_hist, b, t, pre_slope)
    return -lag_months(follower_hist, a, t, pre_slope)
