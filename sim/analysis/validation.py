"""Validation: simulated patterns P1-P8 (DESIGN.md §1) side by side with the empirical targets.

The empirical targets are the committed tables in ``data/targets/`` (derived from Epoch AI, 'Data on AI
Models', CC BY 4.0, by :mod:`sim.empirical.epoch`). The model starts in 2022-01, so only 2022-2025 can be compared;
2019-2021 targets are not simulated. 2022-2024 is the calibration period, 2025 is held out.

Simulated statistics (one value per replication, :func:`simulated_statistics`):

- **P1** open-weight share of releases by region (CN, US) and calendar year: the share of the year's releases
  in the model's release log that were OPEN (``statistic="realised"``), or the mean probability of an open
  release ``p_open`` of those releases (``statistic="expected"``, the same quantity in expectation but smooth
  in the parameters; used by calibration). Empirical: Epoch notable models by publication year. By default
  (``p1_definition="incl_unreleased"``) "Unreleased" models count as not open, as in DESIGN.md §1 and as the
  roster does for flagships (the model has no third option: a lab that does not publish weights is CLOSED);
  ``"known_only"`` uses the headline ``open_share`` (OPEN / (OPEN + CLOSED)). Both come with 90% Wilson
  intervals.
- **P2** open-closed lag: the yearly mean of the model's monthly ``open_closed_compute_lag_months``
  (``P2_COLUMN``: months by which the largest open release so far trails the largest closed one in physical
  training compute, the horizontal distance between the two running-maximum curves, as Epoch measures it)
  vs Epoch's yearly mean of month-end lags in training compute (``lag_months_mean``). The model's capability
  lag ``open_closed_lag_months`` (effective compute including the distillation floor, comparable to Epoch's
  benchmark lag of ~13 months) is drawn alongside.
- **P3** frontier training compute growth: ``10**slope`` of an OLS fit of ``frontier_train_flop`` (log10
  physical FLOP of the largest current release) on time, over the months 2022-01 to December of the end
  year, vs the growth fitted to Epoch's running top-5 models 2018-2025 (headline) and Epoch's 4-5x per year.

Verdict rule (strict, issue 16; stated in every output as :data:`VERDICT_RULE`): a row passes when the simulated
5%-95% interval across replications (for ``aieco validate --posterior``: the posterior predictive interval)
overlaps the empirical interval, widened by nothing else; where the data give a point, the point must lie inside
the simulated interval. A pattern passes only when every one of its rows, levels and criteria, passes (a row
that cannot be computed is not a pass).

- P1 level, per region and year: the empirical 90% Wilson interval. P1 criteria: the CN - US difference in each
  year 2023-2025 and its change from 2023 to 2025 (the gap widening), against the empirical difference with a
  90% interval from the two Wilson intervals (normal approximation, standard errors added in quadrature).
- P2 level, per year: Epoch's yearly mean lag (a point). P2 criterion: the 2023-2024 mean lag against Epoch's
  5-22 month range (Epoch, "How far behind are open models?", 2024: mean 13, range 5-22).
- P3 level and criterion: the growth per year against the envelope of Epoch's 4-5x and the 90% confidence
  intervals of the three empirical fits (4.0-5.48x with the committed table).
- **P4** non-Chinese developers on Chinese open models rising through 2024-2025 (direction only):
  :mod:`sim.analysis.validation_p4`.
- P5-P8: :mod:`sim.analysis.validation_eci` (P8's lab-years: the flagship's accessibility, 0 or 1, inside the simulated
  interval of the lab's open share).

``P1_SHARE_TOL`` and ``P2_LAG_TOL_MONTHS`` no longer widen any verdict; they remain the scales of the
point-estimate calibration's distance (:mod:`sim.analysis.calibration`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats as sps

from sim.analysis.validation_eci import (
    ECI_PATTERNS,
    compare_eci,
    eci_statistics,
    load_eci_targets,
    pattern_verdicts,
)
from sim.analysis.validation_eci import TOLERANCE as ECI_TOLERANCE
from sim.analysis.validation_p4 import TOLERANCE as P4_TOLERANCE
from sim.analysis.validation_p4 import compare_p4, p4_statistics
from sim.empirical.epoch import read_table

__all__ = [
    "CALIBRATION_YEARS",
    "DEFAULT_TARGETS_DIR",
    "EPOCH_GROWTH_BAND",
    "HELDOUT_YEARS",
    "P1_DEFINITIONS",
    "P1_REGIONS",
    "P1_SHARE_TOL",
    "P2_BAND",
    "P2_COLUMN",
    "P2_BAND_YEARS",
    "P2_LAG_TOL_MONTHS",
    "SIM_YEARS",
    "TABLE_COLUMNS",
    "Targets",
    "VERDICT_RULE",
    "ValidationInputError",
    "compare",
    "load_targets",
    "simulated_statistics",
    "tolerance_text",
    "to_markdown",
    "validate",
    "verdicts",
]

DEFAULT_TARGETS_DIR = Path(__file__).resolve().parents[2] / "data" / "targets"
P1_REGIONS: tuple[str, ...] = ("CN", "US")
SIM_YEARS: tuple[int, ...] = (2022, 2023, 2024, 2025)
CALIBRATION_YEARS: tuple[int, ...] = (2022, 2023, 2024)
HELDOUT_YEARS: tuple[int, ...] = (2025,)
P1_SHARE_TOL = 0.10
P1_ORDER_YEARS: tuple[int, ...] = (2023, 2024, 2025)
P1_DEFINITIONS = ("incl_unreleased", "known_only")
P2_LAG_TOL_MONTHS = 6.0
P2_COLUMN = "open_closed_compute_lag_months"
"""Simulated lag compared with Epoch's training-compute lag (like with like)."""
P2_BAND = (5.0, 22.0)
P2_BAND_YEARS: tuple[int, ...] = (2023, 2024)
EPOCH_GROWTH_BAND = (4.0, 5.0)
GROWTH_START_YEAR = 2022
HEADLINE_TREND = "running_top5"
CONFIDENCE = 0.90
Z90 = 1.6448536269514722
VERDICT_RULE = ("a row passes when the simulated 5%-95% interval overlaps the empirical interval (where the data "
                "give a point: contains it), widened by nothing else; a pattern passes only when every one of its "
                "level and criterion rows passes")
"""The verdict rule, printed with every validation output."""

TABLE_COLUMNS = ("pattern", "kind", "item", "region", "year", "role", "n_reps", "sim_median", "sim_lo",
                 "sim_hi", "sim_mean", "empirical", "emp_lo", "emp_hi", "empirical_alt", "tolerance", "passed")
"""Columns of the side-by-side table (:func:`compare`). ``kind`` is "level" or "criterion"; ``role`` is
"calibration" (2022-2024 only) or "held-out" (involves 2025); ``sim_lo``/``sim_hi`` are the 5% and 95%
quantiles across replications; ``emp_lo``/``emp_hi`` the empirical 90% interval (blank where the data give
none); ``empirical_alt`` the other P1 definition; ``passed`` True/False, or missing when not computable."""

_TARGET_NEEDS = {
    "open_share_by_region_year.csv": ("region", "year", "n_open", "n_known", "open_share", "ci_low", "ci_high",
                                      "n_unreleased", "open_share_incl_unreleased"),
    "open_closed_lag_by_year.csv": ("year", "lag_months", "lag_months_mean"),
    "frontier_compute_trend.csv": ("method", "growth_per_year", "ci_low", "ci_high"),
}


class ValidationInputError(ValueError):
    """Bad validation input (missing target file or column, unknown option); the message names it."""


# --------------------------------------------------------------------------------------------------
# targets


@dataclass
class Targets:
    """Empirical targets, reduced to what P1-P3 compare.

    open_share: region, year, share, lo, hi, n, share_alt (the other definition) for the chosen
    ``p1_definition``; lag: year, lag_mean, lag_end (months) and, if the table has it, frontier_flop (largest
    training run published by year end, FLOP); trend: method, growth, lo, hi (x per year),
    headline first; growth_band: (lo, hi) tolerance envelope for P3; source: folder the tables came from."""

    open_share: pd.DataFrame
    lag: pd.DataFrame
    trend: pd.DataFrame
    growth_band: tuple[float, float]
    p1_definition: str = "incl_unreleased"
    source: str = ""
    eci_patterns: pd.DataFrame | None = None
    lab_flagships: pd.DataFrame | None = None

    def share(self, region: str, year: int) -> pd.Series | None:
        row = self.open_share[(self.open_share["region"] == region) & (self.open_share["year"] == year)]
        return None if row.empty else row.iloc[0]

    def lag_mean(self, year: int) -> float:
        row = self.lag[self.lag["year"] == year]
        return float(row["lag_mean"].iloc[0]) if len(row) else math.nan

    @property
    def headline_growth(self) -> pd.Series:
        return self.trend.iloc[0]


def _wilson(k: np.ndarray, n: np.ndarray, confidence: float = CONFIDENCE) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = np.full(len(k), np.nan), np.full(len(k), np.nan)
    for i, (kk, nn) in enumerate(zip(k, n, strict=True)):
        if nn > 0:
            ci = sps.binomtest(int(kk), int(nn)).proportion_ci(confidence_level=confidence, method="wilson")
            lo[i], hi[i] = ci.low, ci.high
    return lo, hi


def growth_band(trend: pd.DataFrame) -> tuple[float, float]:
    """P3 tolerance: the envelope of Epoch's 4-5x per year and the CIs of all fits in ``trend``
    (columns lo, hi)."""
    lo = float(np.nanmin([EPOCH_GROWTH_BAND[0], *trend["lo"].to_numpy(float)]))
    hi = float(np.nanmax([EPOCH_GROWTH_BAND[1], *trend["hi"].to_numpy(float)]))
    return lo, hi


def load_targets(targets_dir: str | Path | None = None, p1_definition: str = "incl_unreleased") -> Targets:
    """Read the committed target tables from ``targets_dir`` (default ``data/targets``).

    ``p1_definition``: "incl_unreleased" (UNRELEASED counted as not open; 90% Wilson interval computed here
    from the counts) or "known_only" (the table's ``open_share`` and interval).
    Raises :class:`ValidationInputError` naming the file and column when something is missing."""
    if p1_definition not in P1_DEFINITIONS:
        raise ValidationInputError(f"p1_definition must be one of {', '.join(P1_DEFINITIONS)}, not {p1_definition!r}")
    d = Path(targets_dir) if targets_dir is not None else DEFAULT_TARGETS_DIR
    if not d.is_dir():
        raise ValidationInputError(f"{d}: targets folder not found (expected the output of `aieco data targets`)")
    tables = {}
    for name, cols in _TARGET_NEEDS.items():
        path = d / name
        if not path.is_file():
            raise ValidationInputError(f"{path}: target table not found (regenerate with `aieco data targets`)")
        try:
            df = read_table(path)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
            raise ValidationInputError(f"{path}: cannot read as CSV ({e})") from None
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise ValidationInputError(f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(cols)}")
        tables[name] = df
    os_ = tables["open_share_by_region_year.csv"]
    n_incl = (os_["n_known"] + os_["n_unreleased"]).to_numpy(int)
    lo_i, hi_i = _wilson(os_["n_open"].to_numpy(int), n_incl)
    incl = pd.DataFrame({"region": os_["region"], "year": os_["year"].astype(int),
                         "share": os_["open_share_incl_unreleased"], "lo": lo_i, "hi": hi_i, "n": n_incl,
                         "share_alt": os_["open_share"]})
    known = pd.DataFrame({"region": os_["region"], "year": os_["year"].astype(int), "share": os_["open_share"],
                          "lo": os_["ci_low"], "hi": os_["ci_high"], "n": os_["n_known"].astype(int),
                          "share_alt": os_["open_share_incl_unreleased"]})
    share = incl if p1_definition == "incl_unreleased" else known
    lg = tables["open_closed_lag_by_year.csv"]
    lag = pd.DataFrame({"year": lg["year"].astype(int), "lag_mean": lg["lag_months_mean"],
                        "lag_end": lg["lag_months"]})
    if {"best_open_flop", "best_closed_flop"} <= set(lg.columns):  # optional: year-end frontier (for P3 figure)
        lag["frontier_flop"] = np.fmax(lg["best_open_flop"].to_numpy(float), lg["best_closed_flop"].to_numpy(float))
    tr = tables["frontier_compute_trend.csv"]
    trend = pd.DataFrame({"method": tr["method"], "growth": tr["growth_per_year"], "lo": tr["ci_low"],
                          "hi": tr["ci_high"]})
    if trend.empty:
        raise ValidationInputError(f"{d / 'frontier_compute_trend.csv'}: no rows")
    head = trend["method"] == HEADLINE_TREND
    trend = pd.concat([trend[head], trend[~head]], ignore_index=True)
    eci = load_eci_targets(d)
    return Targets(share, lag, trend, growth_band(trend), p1_definition, str(d),
                   eci_patterns=eci[0] if eci else None, lab_flagships=eci[1] if eci else None)


# --------------------------------------------------------------------------------------------------
# simulated statistics


def _years_of(dates: pd.Series) -> np.ndarray:
    return dates.astype(str).str[:4].astype(int).to_numpy()


def frontier_growth(ts: pd.DataFrame, end_year: int, start_year: int = GROWTH_START_YEAR) -> float:
    """Growth per year of ``frontier_train_flop`` (log10 FLOP): ``10**slope`` of an OLS fit on decimal years
    over the months of ``start_year``-``end_year`` in one replication's time series. NaN if < 3 months."""
    y = _years_of(ts["date"])
    m = ts["date"].astype(str).str[5:7].astype(int).to_numpy()
    v = ts["frontier_train_flop"].to_numpy(float)
    ok = (y >= start_year) & (y <= end_year) & np.isfinite(v)
    if ok.sum() < 3:
        return math.nan
    x = y[ok] + (m[ok] - 1) / 12
    return float(10 ** np.polyfit(x, v[ok], 1)[0])


def simulated_statistics(timeseries: pd.DataFrame, releases: pd.DataFrame, years: Sequence[int] = SIM_YEARS,
                         statistic: str = "realised", regions: Sequence[str] = P1_REGIONS) -> pd.DataFrame:
    """Per-replication statistics of P1-P3 from stacked run tables (a ``replication`` column; one run
    without it counts as replication 0).

    Returns a tidy DataFrame with columns ``pattern`` (P1/P2/P3), ``region`` ("" unless P1), ``year`` (P3:
    end year of the fit window that starts in 2022-01), ``replication``, ``value`` (P1 share, P2 months,
    P3 x per year) and ``n`` (P1: releases in the region-year; P2: months; P3: months in the window).
    Years not simulated give no rows; a region-year without releases gives value NaN with n = 0.
    ``statistic``: "realised" (share of OPEN releases) or "expected" (mean ``p_open`` of the releases)."""
    if statistic not in ("realised", "expected"):
        raise ValidationInputError(f"statistic must be 'realised' or 'expected', not {statistic!r}")
    ts = timeseries if "replication" in timeseries else timeseries.assign(replication=0)
    rel = releases if "replication" in releases else releases.assign(replication=0)
    reps = sorted(ts["replication"].unique())
    ts_year = pd.Series(_years_of(ts["date"]), index=ts.index)
    rel = rel.assign(year=_years_of(rel["date"]) if len(rel) else np.array([], dtype=int))
    rel = rel.assign(value=(rel["strategy"] == "OPEN").astype(float) if statistic == "realised"
                     else rel["p_open"].astype(float))
    sim_years = [y for y in years if (ts_year == y).any()]
    rows: list[tuple] = []
    p1 = rel.groupby(["replication", "region", "year"])["value"].agg(["mean", "count"])
    for r in reps:
        for reg in regions:
            for y in sim_years:
                key = (r, reg, y)
                if key in p1.index:
                    mean, cnt = p1.loc[key]
                    rows.append(("P1", reg, y, r, float(mean), int(cnt)))
                else:
                    rows.append(("P1", reg, y, r, math.nan, 0))
    lag = ts.assign(year=ts_year).groupby(["replication", "year"])[P2_COLUMN].agg(["mean", "count"])
    for r in reps:
        for y in sim_years:
            mean, cnt = lag.loc[(r, y)] if (r, y) in lag.index else (math.nan, 0)
            rows.append(("P2", "", y, r, float(mean), int(cnt)))
    for r, g in ts.groupby("replication"):
        for y in sim_years:
            if y == GROWTH_START_YEAR:
                continue
            months = int(((ts_year.loc[g.index] >= GROWTH_START_YEAR) & (ts_year.loc[g.index] <= y)).sum())
            rows.append(("P3", "", y, r, frontier_growth(g, y), months))
    out = pd.DataFrame(rows, columns=["pattern", "region", "year", "replication", "value", "n"])
    return out.astype({"year": int, "replication": int, "n": int})


# --------------------------------------------------------------------------------------------------
# comparison


def tolerance_text(targets: Targets | None = None) -> dict[str, str]:
    """One line per pattern stating the tolerances used (for outputs)."""
    band = targets.growth_band if targets is not None else (EPOCH_GROWTH_BAND[0], EPOCH_GROWTH_BAND[1])
    defn = targets.p1_definition if targets is not None else "incl_unreleased"
    return {
        "P1": (f"open share of releases ({defn}): each region-year's simulated 5-95% interval overlaps the empirical "
               f"90% Wilson interval; criteria: the CN - US difference in each of {P1_ORDER_YEARS[0]}-"
               f"{P1_ORDER_YEARS[-1]} and its change {P1_ORDER_YEARS[0]} to {P1_ORDER_YEARS[-1]} overlap the "
               "empirical difference's 90% interval (from the Wilson intervals)"),
        "P2": (f"open-closed training-compute lag: each year's simulated 5-95% interval contains Epoch's yearly mean; criterion: the "
               f"{P2_BAND_YEARS[0]}-{P2_BAND_YEARS[-1]} mean lag's interval overlaps {P2_BAND[0]:g}-{P2_BAND[1]:g} "
               "months"),
        "P3": (f"frontier training compute growth (fit from {GROWTH_START_YEAR}-01): the simulated 5-95% interval "
               f"overlaps {band[0]:.2f}-{band[1]:.2f}x per year (Epoch 4-5x and the 90% CIs of the empirical fits)"),
        **P4_TOLERANCE,
        **ECI_TOLERANCE,
    }


def _summ(values: np.ndarray) -> tuple[int, float, float, float, float]:
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return 0, math.nan, math.nan, math.nan, math.nan
    lo, med, hi = np.quantile(v, [0.05, 0.5, 0.95])
    return int(v.size), float(med), float(lo), float(hi), float(v.mean())


def _role(years: Iterable[int]) -> str:
    return "held-out" if any(y in HELDOUT_YEARS for y in years) else "calibration"


def _row(pattern, kind, item, region, year, years, summ, emp, emp_lo, emp_hi, alt, tol, passed) -> dict:
    n, med, lo, hi, mean = summ
    return dict(pattern=pattern, kind=kind, item=item, region=region, year=year, role=_role(years), n_reps=n,
                sim_median=med, sim_lo=lo, sim_hi=hi, sim_mean=mean, empirical=emp, emp_lo=emp_lo, emp_hi=emp_hi,
                empirical_alt=alt, tolerance=tol, passed=passed)


def _maybe(cond: bool, *values: float):
    return pd.NA if any(not np.isfinite(v) for v in values) else bool(cond)


def overlaps(sim_lo: float, sim_hi: float, emp_lo: float, emp_hi: float):
    """The strict rule (:data:`VERDICT_RULE`): True when ``[sim_lo, sim_hi]`` and ``[emp_lo, emp_hi]`` overlap
    (a point when ``emp_lo == emp_hi``); NA when any bound is missing."""
    return _maybe(sim_lo - 1e-9 <= emp_hi and emp_lo <= sim_hi + 1e-9, sim_lo, sim_hi, emp_lo, emp_hi)


def _se(t) -> float:
    return float(t["hi"] - t["lo"]) / (2 * Z90)


def compare(sim: pd.DataFrame, targets: Targets, years: Sequence[int] = SIM_YEARS) -> pd.DataFrame:
    """The side-by-side table (columns :data:`TABLE_COLUMNS`) of simulated statistics
    (:func:`simulated_statistics`, or a hand-made table with the same columns) and ``targets``.

    Rows: P1 level per region and year, P1 criteria (CN above US per year, gap widening), P2 level per year,
    P2 criterion (band), P3 level per fit window and the P3 criterion (the longest window). Years missing
    from ``sim`` are left out (the model starts in 2022)."""
    sim_years = [y for y in years if (sim["year"] == y).any()]
    p1 = sim[sim["pattern"] == "P1"]
    rows = [*_p1_level_rows(p1, targets, sim_years), *_p1_criterion_rows(p1, targets, sim_years),
            *_p2_rows(sim[sim["pattern"] == "P2"], targets, sim_years),
            *_p3_rows(sim[sim["pattern"] == "P3"], targets, sim_years)]
    out = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    out["passed"] = out["passed"].astype("boolean")
    return out


def _p1_level_rows(p1: pd.DataFrame, targets: Targets, sim_years: list[int]) -> list[dict]:
    """P1 level rows: the open share of releases per region and year."""
    rows = []
    for reg in P1_REGIONS:
        for y in sim_years:
            vals = p1[(p1["region"] == reg) & (p1["year"] == y)]["value"].to_numpy(float)
            s = _summ(vals)
            t = targets.share(reg, y)
            emp, lo, hi, alt = (math.nan,) * 4 if t is None else (t["share"], t["lo"], t["hi"], t["share_alt"])
            ok = overlaps(s[2], s[3], lo, hi)
            rows.append(_row("P1", "level", f"open share of releases, {reg} {y}", reg, y, [y], s, emp, lo, hi, alt,
                             f"5-95% overlaps [{lo:.2f}, {hi:.2f}]" if np.isfinite(lo) else "", ok))
    return rows


def _emp_gap(targets: Targets, y: int, col: str = "share") -> float:
    """The empirical CN minus US open share of year ``y`` (NaN when a region has no target)."""
    a, b = targets.share("CN", y), targets.share("US", y)
    return math.nan if a is None or b is None else float(a[col] - b[col])


def _emp_gap_se(targets: Targets, *years: int) -> float:
    """Standard error of the empirical CN and US shares of ``years`` combined (of their gap, or change of gap)."""
    ts_ = [targets.share(r, y) for y in years for r in ("CN", "US")]
    return math.nan if any(t is None for t in ts_) else math.sqrt(sum(_se(t) ** 2 for t in ts_))


def _p1_criterion_rows(p1: pd.DataFrame, targets: Targets, sim_years: list[int]) -> list[dict]:
    """P1 criterion rows: CN minus US open share per year, and the gap's widening from the first to the last."""
    wide = p1.pivot_table(index="replication", columns=["region", "year"], values="value", dropna=False)

    def diff(y: int) -> np.ndarray:
        if ("CN", y) not in wide or ("US", y) not in wide:
            return np.array([])
        return (wide[("CN", y)] - wide[("US", y)]).to_numpy(float)

    rows = []
    order_years = [y for y in P1_ORDER_YEARS if y in sim_years]
    for y in order_years:
        s = _summ(diff(y))
        e, h = _emp_gap(targets, y), Z90 * _emp_gap_se(targets, y)
        rows.append(_row("P1", "criterion", f"CN minus US open share, {y}", "CN-US", y, [y], s, e, e - h, e + h,
                         _emp_gap(targets, y, "share_alt"), f"5-95% overlaps [{e - h:.2f}, {e + h:.2f}]",
                         overlaps(s[2], s[3], e - h, e + h)))
    if len(order_years) >= 2:
        y0, y1 = order_years[0], order_years[-1]
        d0, d1 = diff(y0), diff(y1)
        s = _summ(d1 - d0 if d0.size and d1.size else np.array([]))
        e, h = _emp_gap(targets, y1) - _emp_gap(targets, y0), Z90 * _emp_gap_se(targets, y0, y1)
        rows.append(_row("P1", "criterion", f"CN-US gap widening, {y0} to {y1}", "CN-US", y1, [y0, y1], s,
                         e, e - h, e + h, _emp_gap(targets, y1, "share_alt") - _emp_gap(targets, y0, "share_alt"),
                         f"5-95% overlaps [{e - h:.2f}, {e + h:.2f}]", overlaps(s[2], s[3], e - h, e + h)))
    return rows


def _p2_rows(p2: pd.DataFrame, targets: Targets, sim_years: list[int]) -> list[dict]:
    """P2 rows: the open-closed lag per year (level) and its mean over the band years (criterion)."""
    rows = []
    for y in sim_years:
        s = _summ(p2[p2["year"] == y]["value"].to_numpy(float))
        emp = targets.lag_mean(y)
        ok = overlaps(s[2], s[3], emp, emp)
        end = targets.lag[targets.lag["year"] == y]["lag_end"]
        rows.append(_row("P2", "level", f"open-closed training-compute lag, {y} mean (months)", "", y, [y], s, emp, math.nan,
                         math.nan, float(end.iloc[0]) if len(end) else math.nan,
                         "5-95% contains the empirical mean", ok))
    band_years = [y for y in P2_BAND_YEARS if y in sim_years]
    if band_years:
        per_rep = p2[p2["year"].isin(band_years)].groupby("replication")["value"].mean().to_numpy(float)
        s = _summ(per_rep)
        emp = float(np.mean([targets.lag_mean(y) for y in band_years]))
        rows.append(_row("P2", "criterion", f"open-closed training-compute lag, {band_years[0]}-{band_years[-1]} mean (months)", "",
                         band_years[-1], band_years, s, emp, P2_BAND[0], P2_BAND[1], math.nan,
                         f"5-95% overlaps [{P2_BAND[0]:g}, {P2_BAND[1]:g}]",
                         overlaps(s[2], s[3], *P2_BAND)))
    return rows


def _p3_rows(p3: pd.DataFrame, targets: Targets, sim_years: list[int]) -> list[dict]:
    """P3 rows: frontier compute growth from GROWTH_START_YEAR to each later year (the longest window: criterion)."""
    rows = []
    head = targets.headline_growth
    lo_b, hi_b = targets.growth_band
    p3_years = [y for y in sim_years if y > GROWTH_START_YEAR]
    for y in p3_years:
        s = _summ(p3[p3["year"] == y]["value"].to_numpy(float))
        kind = "criterion" if y == p3_years[-1] else "level"
        rows.append(_row("P3", kind, f"frontier training compute growth {GROWTH_START_YEAR}-{y} (x/yr)", "", y,
                         range(GROWTH_START_YEAR, y + 1), s, float(head["growth"]), float(head["lo"]),
                         float(head["hi"]), math.nan, f"5-95% overlaps [{lo_b:.2f}, {hi_b:.2f}]",
                         overlaps(s[2], s[3], lo_b, hi_b)))
    return rows


def verdicts(table: pd.DataFrame) -> pd.DataFrame:
    """One row per pattern (P1-P3, then P4 and P5-P8 when the table has them): ``pattern, passed, criteria_passed,
    criteria, levels_passed, levels`` (:func:`sim.analysis.validation_eci.pattern_verdicts`). A pattern passes when every
    one of its rows, criteria and levels, passes (a missing result counts as not passed)."""
    return pattern_verdicts(table, ("P1", "P2", "P3", "P4", *ECI_PATTERNS))


def _fmt(x: float, digits: int) -> str:
    return "" if x is None or (isinstance(x, float) and not np.isfinite(x)) or pd.isna(x) else f"{x:.{digits}f}"


def display_rows(table: pd.DataFrame) -> list[list[str]]:
    """Rows of strings for printing: item, role, simulated median [90%], mean, empirical [interval], alt, verdict."""
    out = []
    for r in table.itertuples(index=False):
        d = 2 if r.pattern in ("P1", "P5", "P8") else 1
        sim = f"{_fmt(r.sim_median, d)} [{_fmt(r.sim_lo, d)}, {_fmt(r.sim_hi, d)}]" if r.n_reps else "n/a"
        emp = _fmt(r.empirical, d)
        if np.isfinite(r.emp_lo) and np.isfinite(r.emp_hi):
            emp += f" [{_fmt(r.emp_lo, d)}, {_fmt(r.emp_hi, d)}]"
        verdict = "n/a" if pd.isna(r.passed) else ("pass" if r.passed else "FAIL")
        out.append([r.pattern, r.kind, r.item, r.role, sim, _fmt(r.sim_mean, d), emp, _fmt(r.empirical_alt, d),
                    r.tolerance, verdict])
    return out


DISPLAY_HEADER = ["pattern", "kind", "item", "role", "simulated median [5%, 95%]", "sim. mean", "empirical [90%]",
                  "empirical alt.", "tolerance", "verdict"]


def to_markdown(table: pd.DataFrame, verdict: pd.DataFrame, targets: Targets, title: str = "Validation",
                notes: Sequence[str] = ()) -> str:
    """Markdown report: title, tolerances, verdict per pattern and the side-by-side table."""
    lines = [f"# {title}", ""]
    lines += [f"- {n}" for n in notes]
    if notes:
        lines.append("")
    lines += ["## Verdict", "", "| pattern | verdict | criteria passed | level rows passed |", "|---|---|---|---|"]
    for v in verdict.itertuples(index=False):
        lines.append(f"| {v.pattern} | {'PASS' if v.passed else 'FAIL'} | {v.criteria_passed}/{v.criteria} | "
                     f"{v.levels_passed}/{v.levels} |")
    lines += ["", "## Verdict rule", "", f"Strict: {VERDICT_RULE}.", ""]
    lines += [f"- **{k}**: {t}" for k, t in tolerance_text(targets).items()]
    lines += ["", "## Simulated vs empirical", "",
              "| " + " | ".join(DISPLAY_HEADER) + " |", "|" + "---|" * len(DISPLAY_HEADER)]
    for r in display_rows(table):
        lines.append("| " + " | ".join(s.replace("|", "/") for s in r) + " |")
    alt = "known accessibility only" if targets.p1_definition == "incl_unreleased" else "UNRELEASED counted as not open"
    lines += ["", f"P1 empirical: Epoch notable models, definition `{targets.p1_definition}`; 'empirical alt.' is the "
              f"share with {alt}. P2 'empirical alt.' is the year-end lag. Empirical data: Epoch AI, 'Data on AI "
              "Models', CC BY 4.0 (tables in data/targets/). 2019-2021 targets are not simulated (the model starts "
              "in 2022-01); 2025 is held out from calibration.", ""]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------------
# running


@dataclass
class ValidationResult:
    """Outputs of :func:`validate`: the run tables, per-replication statistics, the table and verdicts."""

    replications: object  # sim.analysis.runs.Replications
    stats: pd.DataFrame
    table: pd.DataFrame
    verdicts: pd.DataFrame
    targets: Targets


def validate(scenario, replications: int = 20, targets: Targets | None = None, base_seed: int | None = None,
             progress: Callable[[int], None] | None = None) -> ValidationResult:
    """Run ``scenario`` with ``replications`` replications (:func:`sim.analysis.runs.run_replications`) and compare.

    Raises :class:`ValidationInputError` if the scenario simulates none of the target years, RosterError for a
    bad roster."""
    from sim.analysis.runs import run_replications

    y0 = int(scenario.start[:4])
    y_end = (int(scenario.start[:4]) * 12 + int(scenario.start[5:7]) - 1 + scenario.months - 1) // 12
    if y_end < SIM_YEARS[0] or y0 > SIM_YEARS[-1]:
        raise ValidationInputError(f"scenario '{scenario.name}' covers {y0}-{y_end}; it must simulate part of "
                                   f"{SIM_YEARS[0]}-{SIM_YEARS[-1]} to be compared with the targets")
    targets = targets if targets is not None else load_targets()
    reps = run_replications(scenario, replications, base_seed=base_seed, progress=progress)
    stats, table = pattern_tables(reps.timeseries, reps.releases, targets)
    return ValidationResult(reps, stats, table, verdicts(table), targets)


def pattern_tables(timeseries: pd.DataFrame, releases: pd.DataFrame, targets: Targets) -> tuple[pd.DataFrame,
                                                                                              pd.DataFrame]:
    """(statistics, side-by-side table) of every pattern from stacked run tables: P1-P3 (:func:`compare`), P4
    (:mod:`sim.analysis.validation_p4`) and, when the targets have them, P5-P8 (:mod:`sim.analysis.validation_eci`)."""
    stats = simulated_statistics(timeseries, releases)
    p4 = p4_statistics(timeseries)
    table = pd.concat([compare(stats, targets), compare_p4(p4)], ignore_index=True)
    stats = pd.concat([stats, p4], ignore_index=True)
    if targets.eci_patterns is not None:
        eci_stats = eci_statistics(timeseries, releases)
        table = pd.concat([table, compare_eci(eci_stats, targets.eci_patterns, targets.lab_flagships)],
                          ignore_index=True)
        stats = pd.concat([stats, eci_stats], ignore_index=True)
    return stats, table
