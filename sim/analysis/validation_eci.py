"""Patterns on Epoch's Capabilities Index (P5-P7) and lab by lab (P8), beside P1-P3 (:mod:`sim.analysis.validation`).

Empirical targets (committed in ``data/targets/`` by ``aieco data targets``; :mod:`sim.empirical.eci`):

- **P5** the country of the best open-weight model: the share of a year's month ends at which the best open-weight
  model on ECI (running maximum) is Chinese (``eci_patterns_by_year.csv``: 2024 0.42, 2025 1.00). Simulated: the
  share of the year's months with ``best_open_CN`` = 1.
- **P6** the open-closed lag on ECI: the yearly mean of the month-end running-maximum lag (months) of the best open
  model behind the best closed one. Simulated: yearly mean of ``open_closed_lag_months`` (the same running-maximum
  method on the model's capability, which is affine in ECI, so months are the same on either scale).
- **P7** the US-China gap on ECI: the same for the best Chinese model behind the best US one; simulated
  ``us_cn_gap_months``.
- **P8** lab by lab: for each named lab with a flagship in 2024 or 2025 (``lab_flagships.csv``: its best ECI model
  that year, else its largest-compute model), whether the lab's simulated releases that year were mostly open
  (mean over replications of the open share of its releases > 0.5) matches the flagship's accessibility. Both years
  are out of sample: the roster's open_bias uses releases before 2024 only.

The ECI file starts in 2023-02, so 2023's running maxima are censored (GPT-4 and LLaMA enter as the first records);
only 2024 (calibration) and 2025 (held out) are compared.

Verdict rule (strict, as the calibration issue asks): each P5-P7 row (one per year, a criterion) passes when the
empirical value lies within the simulated 5%-95% interval across replications (nothing else widens it); each P8
lab-year (a level) matches when the lab's simulated releases that year are mostly open (mean open share over
replications > 0.5) exactly when its flagship was open (one binary observation: a classification, not an interval),
and P8's criterion passes when at least :data:`P8_MATCH_RATE` of the lab-years with simulated releases match. A
pattern passes when all its rows, criteria and levels, pass: P8 only when every lab-year matches. Years the run does not simulate give no
rows.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from sim.empirical.epoch import read_table

ECI_YEARS: tuple[int, ...] = (2024, 2025)
P8_MATCH_RATE = 0.75
ECI_PATTERNS = ("P5", "P6", "P7", "P8")
_SIM_COLUMNS = {"P5": "best_open_CN", "P6": "open_closed_lag_months", "P7": "us_cn_gap_months"}
_EMP_COLUMNS = {"P5": "best_open_cn_share", "P6": "open_closed_lag_mean", "P7": "us_cn_lag_mean"}
_ITEMS = {"P5": "best open-weight model is Chinese, share of months",
          "P6": "open-closed lag on ECI, yearly mean of month ends (months)",
          "P7": "US-China gap on ECI, yearly mean of month ends (months)"}
TOLERANCE = {
    "P5": "empirical within the simulated 5%-95% interval",
    "P6": "empirical within the simulated 5%-95% interval",
    "P7": "empirical within the simulated 5%-95% interval",
    "P8": ("a lab-year (level) matches when the lab's simulated releases that year are mostly open (mean open share > "
           f"0.5) exactly when its flagship was open; criterion row: the share of lab-years that match, 2024 and 2025 "
           f"pooled, passes at >= {P8_MATCH_RATE:.0%}; the pattern (strict) passes only when every lab-year row "
           "passes"),
}


def load_eci_targets(targets_dir: str | Path) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """(``eci_patterns_by_year.csv``, ``lab_flagships.csv``) from ``targets_dir``; None when they are absent (an
    older targets folder), so P1-P3 still validate."""
    d = Path(targets_dir)
    a, b = d / "eci_patterns_by_year.csv", d / "lab_flagships.csv"
    if not a.is_file() or not b.is_file():
        return None
    return read_table(a), read_table(b)


def eci_statistics(timeseries: pd.DataFrame, releases: pd.DataFrame, years=ECI_YEARS) -> pd.DataFrame:
    """Per-replication statistics of P5-P7 (yearly means of the monthly columns) and P8 (per lab and year, the open
    share of the lab's releases). Columns ``pattern``, ``region`` (P8: the lab), ``year``, ``replication``,
    ``value``, ``n``."""
    ts = timeseries if "replication" in timeseries else timeseries.assign(replication=0)
    rel = releases if "replication" in releases else releases.assign(replication=0)
    ts = ts.assign(year=ts["date"].astype(str).str[:4].astype(int))
    rows = []
    for p, col in _SIM_COLUMNS.items():
        g = ts[ts["year"].isin(years)].groupby(["replication", "year"])[col].agg(["mean", "count"])
        rows += [(p, "", int(y), int(r), float(v["mean"]), int(v["count"])) for (r, y), v in g.iterrows()]
    if len(rel):
        rel = rel.assign(year=rel["date"].astype(str).str[:4].astype(int), is_open=rel["strategy"] == "OPEN")
        g = rel[rel["year"].isin(years)].groupby(["replication", "lab", "year"])["is_open"].agg(["mean", "count"])
        rows += [("P8", lab, int(y), int(r), float(v["mean"]), int(v["count"])) for (r, lab, y), v in g.iterrows()]
    return pd.DataFrame(rows, columns=["pattern", "region", "year", "replication", "value", "n"])


def _summ(v: np.ndarray) -> tuple[int, float, float, float, float]:
    v = np.asarray(v, float)
    v = v[np.isfinite(v)]
    if not v.size:
        return 0, math.nan, math.nan, math.nan, math.nan
    lo, med, hi = np.quantile(v, [0.05, 0.5, 0.95])
    return int(v.size), float(med), float(lo), float(hi), float(v.mean())


def _row(pattern, kind, item, region, year, summ, emp, tol, passed) -> dict:
    n, med, lo, hi, mean = summ
    return dict(pattern=pattern, kind=kind, item=item, region=region, year=year,
                role="held-out" if year in (2025,) else "calibration", n_reps=n, sim_median=med, sim_lo=lo,
                sim_hi=hi, sim_mean=mean, empirical=emp, emp_lo=math.nan, emp_hi=math.nan, empirical_alt=math.nan,
                tolerance=tol, passed=passed)


def compare_eci(stats: pd.DataFrame, patterns: pd.DataFrame, flagships: pd.DataFrame, years=ECI_YEARS) -> pd.DataFrame:
    """Rows of :data:`sim.analysis.validation.TABLE_COLUMNS` for P5-P8 (see the module docstring)."""
    rows = []
    simulated = set(stats.loc[stats["pattern"].isin(_SIM_COLUMNS), "year"])
    years = [y for y in years if y in simulated]  # a shorter run does not simulate 2025: no row, not a failure
    for p in ("P5", "P6", "P7"):
        for y in years:
            s = _summ(stats[(stats["pattern"] == p) & (stats["year"] == y)]["value"].to_numpy(float))
            e = patterns[patterns["year"] == y]
            emp = float(e[_EMP_COLUMNS[p]].iloc[0]) if len(e) else math.nan
            ok = pd.NA if not (s[0] and np.isfinite(emp)) else bool(s[2] - 1e-9 <= emp <= s[3] + 1e-9)
            rows.append(_row(p, "criterion", f"{_ITEMS[p]}, {y}", "", y, s, emp, TOLERANCE[p], ok))
    p8 = stats[stats["pattern"] == "P8"]
    matches, match_years, skipped = [], set(), 0
    for f in flagships[flagships["year"].isin(years)].itertuples(index=False):
        vals = p8[(p8["region"] == f.lab) & (p8["year"] == f.year)]["value"].to_numpy(float)
        s = _summ(vals)
        if not s[0]:  # the lab released nothing that year in any replication (e.g. it left): not comparable
            skipped += 1
            continue
        obs = 1.0 if f.accessibility == "OPEN" else 0.0
        ok = bool((s[4] > 0.5) == (obs == 1.0))
        matches.append(ok)
        match_years.add(int(f.year))
        rows.append(_row("P8", "level", f"{f.lab} {f.year}: open share of releases (flagship {f.flagship}: "
                         f"{f.accessibility})", f.lab, int(f.year), s, obs, "mean > 0.5 iff flagship open", ok))
    if matches:
        rate = float(np.mean(matches))
        note = f", {skipped} without simulated releases left out" if skipped else ""
        row = _row("P8", "criterion", f"lab-years whose simulated strategy matches ({len(matches)}{note})", "",
                   max(match_years), (int(p8["replication"].nunique()), rate, rate, rate, rate), 1.0,
                   TOLERANCE["P8"], rate >= P8_MATCH_RATE)
        row["role"] = "both" if 2025 in match_years and min(match_years) < 2025 else (
            "held-out" if 2025 in match_years else "calibration")
        rows.append(row)
    out = pd.DataFrame(rows)
    out["passed"] = out["passed"].astype("boolean")
    return out


def row_counts(g: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, int, int]:
    """A pattern's criterion rows, level rows and how many of each passed (a missing result is not a pass)."""
    crit, lev = g[g["kind"] == "criterion"], g[g["kind"] == "level"]
    return (crit, lev, int(crit["passed"].fillna(False).astype(bool).sum()),
            int(lev["passed"].fillna(False).astype(bool).sum()))


def pattern_verdicts(table: pd.DataFrame, patterns) -> pd.DataFrame:
    """One row per pattern of ``patterns`` present in ``table``: ``pattern, passed, criteria_passed, criteria,
    levels_passed, levels``. A pattern passes when it has criterion rows and every one of its rows, criteria and
    levels, passes (the strict rule of issue 16; a missing result is not a pass; P5-P7: each year's row; P8: the
    share of matching lab-years; P8's levels: each lab-year's match)."""
    rows = []
    for p in patterns:
        g = table[table["pattern"] == p]
        if g.empty:
            continue
        crit, lev, c_ok, l_ok = row_counts(g)
        rows.append(dict(pattern=p, passed=bool(len(crit)) and c_ok == len(crit) and l_ok == len(lev),
                         criteria_passed=c_ok,
                         criteria=len(crit), levels_passed=l_ok, levels=len(lev)))
    return pd.DataFrame(rows, columns=["pattern", "passed", "criteria_passed", "criteria", "levels_passed", "levels"])


def eci_verdicts(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`pattern_verdicts` of P5-P8."""
    return pattern_verdicts(table, ECI_PATTERNS)


def load_eci_monthly(targets_dir: str | Path) -> pd.DataFrame | None:
    """``eci_monthly.csv`` (month-end ECI frontiers and lags, :func:`sim.empirical.eci.eci_monthly`) or None if absent."""
    p = Path(targets_dir) / "eci_monthly.csv"
    return read_table(p) if p.is_file() else None
