"""The ABC calibration's summary statistics, their observed values and the distance between them (the
statistics and the distance are described in :mod:`sim.analysis.abcsmc`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

Z90 = 1.6448536269514722
"""Standard normal 95% quantile: a central 90% interval spans 2 x Z90 standard deviations."""
MISSING_Z = 3.0
"""z of a statistic the simulation cannot compute (no releases in a region-year): three sigmas off."""

PATTERNS = ("P1", "P2", "P3", "P5", "P6", "P7", "P8")
"""Patterns with a summary statistic up to 2024 (P4 is a direction without data; see docs/ODD.md)."""
CALIBRATION_YEARS = (2022, 2023, 2024)
ECI_YEAR = 2024


class ABCError(ValueError):
    """A bad ABC spec or option; the message names the file and the key."""


# --------------------------------------------------------------------------------------------------
# statistics and distance


def _year(dates: pd.Series) -> np.ndarray:
    return dates.astype(str).str[:4].astype(int).to_numpy()


def summary_statistics(timeseries: pd.DataFrame, releases: pd.DataFrame,
                       labs: Sequence[str] = ()) -> dict[str, float]:
    """The ABC summary statistics of one or more runs (stacked with a ``replication`` column, averaged over it).

    Keys: ``P1_CN_2022`` .. ``P1_US_2024`` (mean p_open of the region's releases in the year, 0..1),
    ``P2_2022`` .. ``P2_2024`` (mean open-closed training-compute lag, months), ``P3`` (log10 of the frontier
    training-compute growth per year, fitted 2022-01..2024-12), ``P5`` (2024 share of months with a Chinese best
    open model), ``P6``/``P7`` (2024 mean open-closed and US-China lags on ECI, months) and ``P8_<lab>`` for each
    lab of ``labs`` (the open share of its 2024 releases). NaN where a run gives no value (no releases)."""
    from sim.analysis.validation import P2_COLUMN, frontier_growth

    ts = timeseries if "replication" in timeseries else timeseries.assign(replication=0)
    rel = releases if "replication" in releases else releases.assign(replication=0)
    ty = _year(ts["date"])
    ry = _year(rel["date"]) if len(rel) else np.array([], dtype=int)
    out: dict[str, float] = {}
    for reg in ("CN", "US"):
        for y in CALIBRATION_YEARS:
            sel = rel[(rel["region"].to_numpy() == reg) & (ry == y)]
            per_rep = sel.groupby("replication")["p_open"].mean()
            out[f"P1_{reg}_{y}"] = float(per_rep.mean()) if len(per_rep) else math.nan
    for y in CALIBRATION_YEARS:
        v = ts.loc[ty == y, P2_COLUMN].to_numpy(float)
        out[f"P2_{y}"] = float(np.nanmean(v)) if np.isfinite(v).any() else math.nan
    g = [frontier_growth(gr, CALIBRATION_YEARS[-1]) for _, gr in ts.groupby("replication")]
    g = np.array([x for x in g if np.isfinite(x) and x > 0])
    out["P3"] = float(np.mean(np.log10(g))) if g.size else math.nan
    sel = ts[ty == ECI_YEAR]
    for key, col in (("P5", "best_open_CN"), ("P6", "open_closed_lag_months"), ("P7", "us_cn_gap_months")):
        v = sel[col].to_numpy(float)
        out[key] = float(np.nanmean(v)) if np.isfinite(v).any() else math.nan
    rel24 = rel[ry == ECI_YEAR]
    for lab in labs:
        sel = rel24[rel24["lab"] == lab]
        per_rep = (sel["strategy"] == "OPEN").groupby(sel["replication"]).mean()
        out[f"P8_{lab}"] = float(per_rep.mean()) if len(per_rep) else math.nan
    return out


def observed_statistics(targets, lag_sigma_months: float = 5.2, p8_sigma: float = 0.5,
                        labs: Sequence[str] | None = None) -> tuple[dict[str, float], dict[str, float]]:
    """The empirical values of :func:`summary_statistics`'s keys and their standard deviations (the empirical
    uncertainty each statistic is weighed by; see the module docstring). ``targets``: :class:`sim.analysis.validation.
    Targets` with the ECI tables. ``labs``: the named labs of P8 (default: every lab with a 2024 flagship).

    Raises ABCError when the targets lack a value the statistics need."""
    obs: dict[str, float] = {}
    sig: dict[str, float] = {}
    for reg in ("CN", "US"):
        for y in CALIBRATION_YEARS:
            t = targets.share(reg, y)
            if t is None or not np.isfinite(t["share"]):
                raise ABCError(f"{targets.source}: no P1 open share for {reg} {y}")
            obs[f"P1_{reg}_{y}"] = float(t["share"])
            sig[f"P1_{reg}_{y}"] = max(float(t["hi"] - t["lo"]) / (2 * Z90), 1e-3)
    for y in CALIBRATION_YEARS:
        v = targets.lag_mean(y)
        if not np.isfinite(v):
            raise ABCError(f"{targets.source}: no P2 lag for {y}")
        obs[f"P2_{y}"], sig[f"P2_{y}"] = float(v), lag_sigma_months
    lo, hi = targets.growth_band
    obs["P3"] = math.log10(float(targets.headline_growth["growth"]))
    sig["P3"] = (math.log10(hi) - math.log10(lo)) / (2 * Z90)
    e = targets.eci_patterns
    if e is None or not (e["year"] == ECI_YEAR).any():
        raise ABCError(f"{targets.source}: eci_patterns_by_year.csv with a {ECI_YEAR} row is needed (P5-P7)")
    row = e[e["year"] == ECI_YEAR].iloc[0]
    share, n = float(row["best_open_cn_share"]), int(row["n_months"])
    from sim.analysis.validation import _wilson

    w_lo, w_hi = _wilson(np.array([round(share * n)]), np.array([n]))
    obs["P5"], sig["P5"] = share, float(w_hi[0] - w_lo[0]) / (2 * Z90)
    obs["P6"], sig["P6"] = float(row["open_closed_lag_mean"]), lag_sigma_months
    obs["P7"], sig["P7"] = float(row["us_cn_lag_mean"]), lag_sigma_months
    fl = targets.lab_flagships
    fl = fl[fl["year"] == ECI_YEAR]
    for f in fl.itertuples(index=False):
        if labs is not None and f.lab not in labs:
            continue
        obs[f"P8_{f.lab}"] = 1.0 if f.accessibility == "OPEN" else 0.0
        sig[f"P8_{f.lab}"] = p8_sigma
    return obs, sig


class Distance:
    """``d(x, x0) = sqrt(sum_p w_p * mean_{i in p} ((x_i - x0_i) / sigma_i)^2)`` over the keys of ``sigma``
    (see the module docstring); a key missing from ``x`` or NaN there counts as ``z = MISSING_Z``, except a P8
    lab without releases that year, which is left out (as in validation). Picklable
    (a pyabc distance callable ``d(x, x0)``)."""

    def __init__(self, sigma: dict[str, float], weights: dict[str, float] | None = None):
        self.sigma = dict(sigma)
        self.weights = dict(weights or dict.fromkeys(PATTERNS, 1.0))

    def parts(self, x: dict, x0: dict) -> dict[str, float]:
        """Per pattern: ``w_p * mean z^2`` (only patterns with at least one statistic)."""
        acc: dict[str, list[float]] = {}
        for k, s in self.sigma.items():
            pat = k.split("_")[0]
            v = x.get(k, math.nan)
            v = float(v) if v is not None else math.nan
            if not np.isfinite(v) and pat == "P8":
                continue  # the lab released nothing that year (or left): not comparable, as in validation
            z = (v - float(x0[k])) / s if np.isfinite(v) else MISSING_Z
            acc.setdefault(pat, []).append(z * z)
        return {p: self.weights.get(p, 1.0) * float(np.mean(z2)) for p, z2 in acc.items()}

    def __call__(self, x: dict, x0: dict) -> float:
        return math.sqrt(sum(self.parts(x, x0).values()))


