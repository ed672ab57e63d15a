"""P4 (DESIGN.md §1): under access blocks and compute limits, developers outside China increasingly build on Chinese
open models through 2024-2025. Direction only.

Evidence of the direction (public download and derivative counts by model origin): "Economies of Open
Intelligence" (arXiv 2512.03073; Hugging Face downloads and derivatives by the developer's origin, Chinese open
models' share rising through 2024-2025) and the ATOM project's report (arXiv 2604.07190; Chinese open-weight models
overtaking US ones in downloads and fine-tunes in 2025). Neither gives a level the model's share of developers
could be held to, so P4 is a direction: the empirical interval is the positive half-line.

Simulated statistic (one value per replication, :func:`p4_statistics`), from the model's monthly
``noncn_on_cn_open`` (share of developers outside China on Chinese open models):

- ``rise``: its mean over 2025H2 minus its mean over 2024H1 (criterion, held out: involves 2025);
- ``slope``: the OLS slope on time of its monthly values over 2024-01..2025-12, per year (criterion, held out);
- ``slope_2024``: the same slope over 2024 alone (level, calibration: the in-sample part of "through 2024-2025").

The strict verdict rule (:data:`sim.analysis.validation.VERDICT_RULE`) applies unchanged: a row passes when the
simulated 5%-95% interval overlaps the empirical interval, here ``(0, inf)``: when the 95% quantile is above 0.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

P4_COLUMN = "noncn_on_cn_open"
P4_STATISTICS = {
    "rise": ("criterion", (2024, 2025), "non-CN developers on CN open models, 2025H2 mean minus 2024H1 mean"),
    "slope": ("criterion", (2024, 2025), "non-CN developers on CN open models, slope 2024-2025 (per year)"),
    "slope_2024": ("level", (2024,), "non-CN developers on CN open models, slope 2024 (per year)"),
}
"""Each statistic's kind, the years it involves and its row label."""
TOLERANCE = {"P4": ("direction only (arXiv 2512.03073; arXiv 2604.07190): each row's simulated 5%-95% interval "
                    "overlaps (0, inf): the 2025H2 mean above the 2024H1 mean, the 2024-2025 slope and the 2024 slope "
                    "positive")}


def _slope(t: np.ndarray, v: np.ndarray) -> float:
    ok = np.isfinite(v)
    return float(np.polyfit(t[ok], v[ok], 1)[0]) if ok.sum() >= 3 else math.nan


def _half_mean(v: np.ndarray, ok: np.ndarray) -> float:
    w = v[ok & np.isfinite(v)]
    return float(w.mean()) if w.size else math.nan


def p4_statistics(timeseries: pd.DataFrame) -> pd.DataFrame:
    """Per-replication P4 statistics (module docstring) of stacked time series (a ``replication`` column; one run
    without it counts as replication 0). Columns ``pattern`` ("P4"), ``region`` (the statistic's name), ``year``
    (the last year it involves), ``replication``, ``value`` (share, or share per year), ``n`` (months used); NaN
    (n = 0) when the run does not cover the months."""
    ts = timeseries if "replication" in timeseries else timeseries.assign(replication=0)
    rows = []
    if P4_COLUMN not in ts:
        return pd.DataFrame(rows, columns=["pattern", "region", "year", "replication", "value", "n"])
    for r, g in ts.groupby("replication"):
        dates = g["date"].astype(str)
        year = dates.str[:4].astype(int).to_numpy()
        month = dates.str[5:7].astype(int).to_numpy()
        t = year + (month - 1) / 12
        v = g[P4_COLUMN].to_numpy(float)
        h1 = (year == 2024) & (month <= 6)
        h2 = (year == 2025) & (month >= 7)
        both = (year >= 2024) & (year <= 2025)
        y24 = year == 2024
        covered = h1.any() and h2.any()
        rise = _half_mean(v, h2) - _half_mean(v, h1) if covered else math.nan
        rows += [("P4", "rise", 2025, int(r), rise, int((h1 | h2).sum()) if covered else 0),
                 ("P4", "slope", 2025, int(r), _slope(t[both], v[both]) if covered else math.nan,
                  int(both.sum()) if covered else 0),
                 ("P4", "slope_2024", 2024, int(r), _slope(t[y24], v[y24]), int(y24.sum()))]
    return pd.DataFrame(rows, columns=["pattern", "region", "year", "replication", "value", "n"])


def compare_p4(stats: pd.DataFrame) -> pd.DataFrame:
    """P4's rows of the side-by-side table (:data:`sim.analysis.validation.TABLE_COLUMNS`) from
    :func:`p4_statistics`: empirical interval (0, inf) (``empirical`` blank: direction only)."""
    from sim.analysis.validation import TABLE_COLUMNS, _row, _summ

    p4 = stats[stats["pattern"] == "P4"]
    rows = []
    for name, (kind, years, item) in P4_STATISTICS.items():
        s = _summ(p4[p4["region"] == name]["value"].to_numpy(float))
        rows.append(_row("P4", kind, item, "non-CN", years[-1], years, s, math.nan, 0.0, math.inf, math.nan,
                         "5-95% overlaps (0, inf): rising", rising(s[2], s[3])))
    out = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    out["passed"] = out["passed"].astype("boolean")
    return out


def rising(sim_lo: float, sim_hi: float):
    """The strict rule against the positive half-line: the simulated 5%-95% interval reaches above 0 (a flat share,
    0, is no rise); NA when the interval is missing."""
    if not (np.isfinite(sim_lo) and np.isfinite(sim_hi)):
        return pd.NA
    return bool(sim_hi > 0)
