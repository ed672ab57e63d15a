"""Capability from training compute, its ECI output mapping, and lags (DESIGN.md §2, §3 step 4; docs/ODD.md).

Capability ``c`` is ``log10`` of effective training compute (FLOP x algorithmic efficiency relative to the
start date, plus a lab's efficiency offset); one unit is 10x effective compute. It is reported on Epoch's
Capabilities Index (ECI) through the fitted affine link :func:`eci_from_capability`. What a release gains from
other labs' models (distillation) is :mod:`sim.model.distillation`.
"""

from __future__ import annotations

import math

import numpy as np


def own_capability(accrued_flop: float, efficiency: float, offset_oom: float = 0.0) -> float:
    """Capability of a lab's own training: ``log10(accrued_flop * efficiency) + offset_oom``; -inf without compute.

    accrued_flop : physical training FLOP (>= 0; a negative value is treated as 0, since it can only come from
    rounding); efficiency : algorithmic efficiency A(t) > 0; offset_oom : the lab's efficiency offset (OOM)."""
    if not accrued_flop > 0:
        return -math.inf
    return float(np.log10(accrued_flop * efficiency) + offset_oom)


def eci_from_capability(c: float | np.ndarray, *, eci_per_oom: float, eci_ref: float, tau_alg_months: float,
                        start: str) -> float | np.ndarray:
    """ECI of capability ``c`` (log10 effective FLOP relative to the scenario ``start``, YYYY-MM).

    The link fitted on Epoch's data is ``ECI = eci_ref + eci_per_oom (log10 FLOP - 25) + g (year - 2024)``; with
    ``g = 12 log10(2) eci_per_oom / tau_alg_months`` (the model's own algorithmic progress) a model of physical
    FLOP ``F`` released ``t`` months after ``start`` has ``c = log10 F + t log10(2) / tau`` and so
    ``ECI = eci_ref + eci_per_oom (c - 25) + g (start - 2024)``. Affine and increasing: lags measured in months are
    the same on ``c`` and on ECI. Non-finite ``c`` gives NaN."""
    y0 = int(start[:4]) + (int(start[5:7]) - 1) / 12
    g = 12 * math.log10(2) * eci_per_oom / tau_alg_months
    c = np.asarray(c, dtype=float)
    out = np.where(np.isfinite(c), eci_ref + eci_per_oom * (c - 25.0) + g * (y0 - 2024.0), np.nan)
    return float(out) if out.ndim == 0 else out


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
    frac = (level - lo) / (hi - lo) if hi > lo and np.isfinite(lo) else 1.0  # no frontier before month s: reached at s
    return float(t - (s - 1 + frac))


def signed_lag(leader_hist: np.ndarray, follower_hist: np.ndarray, t: int, pre_slope: float) -> float:
    """Lag (months) of the follower behind the leader at month ``t``; negative when the follower leads.

    Both histories are running maxima per month (0..t)."""
    a, b = leader_hist[t], follower_hist[t]
    if b <= a:
        return lag_months(leader_hist, b, t, pre_slope)
    return -lag_months(follower_hist, a, t, pre_slope)
