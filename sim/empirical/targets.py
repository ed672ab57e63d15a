"""The empirical targets of the patterns, from Epoch AI's model records: open-weight share of releases by region
and year (P1), the open-closed lag in training compute (P2), the frontier training-compute trend (P3) and compute
shares by region; :func:`build_targets` writes them to ``data/targets/``.

Source: Epoch AI, 'Data on AI Models' (CC BY 4.0), read by :mod:`sim.empirical.epoch`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from sim import REGIONS
from sim.empirical.epoch import (
    _DAYS_PER_MONTH,
    CLOSED,
    OPEN,
    UNRELEASED,
    LoadReport,
    load_epoch,
    write_table,
)

__all__ = ["build_targets", "compute_share_by_region_year", "frontier_compute_trend", "open_closed_lag_by_year",
           "open_share_by_region_year", "running_top_n"]

# --------------------------------------------------------------------------------------------------
# target tables


def _years(years: Iterable[int] | None) -> list[int]:
    return list(range(2019, 2026)) if years is None else [int(y) for y in years]


def _explode_regions(models: pd.DataFrame) -> pd.DataFrame:
    """One row per (model, distinct region); ``weight`` = 1 / number of distinct regions."""
    df = models.loc[models["regions"].map(len) > 0].copy()
    df["weight"] = 1.0 / df["regions"].map(len)
    df = df.explode("regions").rename(columns={"regions": "region"})
    return df


def open_share_by_region_year(
    models: pd.DataFrame,
    years: Iterable[int] | None = None,
    *,
    confidence: float = 0.90,
    method: str = "wilson",
) -> pd.DataFrame:
    """Open-weight share of models by region and publication year.

    Counts models with accessibility OPEN or CLOSED only (UNRELEASED and UNKNOWN excluded). A model
    with countries in several regions counts once in each of them. ``years`` default 2019..2025.

    Returns columns ``region, year, n_open, n_closed, n_known, open_share, ci_low, ci_high``, one row
    per region (REGIONS order) and year; ``open_share = n_open / n_known`` and the two-sided
    ``confidence`` interval by ``scipy.stats.binomtest(...).proportion_ci(method=method)`` ("wilson",
    "wilsoncc" or "exact"); NaN where ``n_known == 0``. Two further columns give the alternative
    definition used for pattern P1 in DESIGN.md: ``n_unreleased`` and ``open_share_incl_unreleased =
    n_open / (n_known + n_unreleased)`` (UNRELEASED counted as not open).
    """
    ys = _years(years)
    df = _explode_regions(models[models["accessibility"].isin((OPEN, CLOSED, UNRELEASED))])
    df = df[df["year"].isin(ys)]
    rows = []
    for region in REGIONS:
        for y in ys:
            g = df[(df["region"] == region) & (df["year"] == y)]
            k = int((g["accessibility"] == OPEN).sum())
            n = int(g["accessibility"].isin((OPEN, CLOSED)).sum())
            u = int((g["accessibility"] == UNRELEASED).sum())
            if n:
                ci = stats.binomtest(k, n).proportion_ci(confidence_level=confidence, method=method)
                share, lo, hi = k / n, float(ci.low), float(ci.high)
            else:
                share = lo = hi = math.nan
            rows.append((region, y, k, n - k, n, share, lo, hi, u, k / (n + u) if n + u else math.nan))
    return pd.DataFrame(
        rows,
        columns=["region", "year", "n_open", "n_closed", "n_known", "open_share", "ci_low", "ci_high",
                 "n_unreleased", "open_share_incl_unreleased"],
    )  # fmt: skip


def compute_share_by_region_year(models: pd.DataFrame, years: Iterable[int] | None = None) -> pd.DataFrame:
    """Share of total training compute of the models published each year, by region.

    Uses models with known training compute and at least one country; a model's compute is split
    equally among its distinct regions, so the shares of a year add up to 1.

    Returns columns ``region, year, n_models, compute_flop, share``: ``n_models`` models that count
    (fully or partly) for the region, ``compute_flop`` the attributed compute (FLOP), ``share`` its
    fraction of the year's total (NaN if the year has none).
    """
    ys = _years(years)
    df = _explode_regions(models[models["training_compute_flop"].notna()])
    df = df[df["year"].isin(ys)]
    df["attributed"] = df["training_compute_flop"] * df["weight"]
    totals = df.groupby("year")["attributed"].sum()
    rows = []
    for region in REGIONS:
        for y in ys:
            g = df[(df["region"] == region) & (df["year"] == y)]
            c = float(g["attributed"].sum())
            tot = float(totals.get(y, 0.0))
            rows.append((region, y, len(g), c, c / tot if tot > 0 else math.nan))
    return pd.DataFrame(rows, columns=["region", "year", "n_models", "compute_flop", "share"])


def running_top_n(models: pd.DataFrame, n: int = 5) -> pd.Series:
    """Boolean Series: was the model among the ``n`` largest training runs published up to its date?

    Considers models with known compute and date (others are False). A model is flagged if fewer than
    ``n`` models published on or before its publication date have strictly larger compute.
    """
    ok = models["training_compute_flop"].notna() & models["publication_date"].notna()
    d = models.loc[ok, "publication_date"].to_numpy()
    c = models.loc[ok, "training_compute_flop"].to_numpy()
    flags = np.zeros(len(d), dtype=bool)
    for i in range(len(d)):
        flags[i] = np.count_nonzero((d <= d[i]) & (c > c[i])) < n
    out = pd.Series(False, index=models.index)
    out.loc[ok] = flags
    return out


def _decimal_year(dates: pd.Series) -> np.ndarray:
    d = pd.to_datetime(dates)
    start = pd.to_datetime(d.dt.year.astype(str) + "-01-01")
    length = np.where(d.dt.is_leap_year, 366.0, 365.0)
    return (d.dt.year + (d - start).dt.days / length).to_numpy(dtype=float)


def _loglinear_fit(sub: pd.DataFrame, confidence: float) -> dict[str, float]:
    x = _decimal_year(sub["publication_date"])
    y = np.log10(sub["training_compute_flop"].to_numpy(dtype=float))
    n = len(x)
    if n < 3:
        nan = math.nan
        return dict(n=n, slope=nan, growth=nan, lo=nan, hi=nan, r2=nan)
    fit = stats.linregress(x, y)
    tq = stats.t.ppf(0.5 + confidence / 2, n - 2)
    return dict(
        n=n,
        slope=fit.slope,
        growth=10**fit.slope,
        lo=10 ** (fit.slope - tq * fit.stderr),
        hi=10 ** (fit.slope + tq * fit.stderr),
        r2=fit.rvalue**2,
    )


def frontier_compute_trend(
    models: pd.DataFrame,
    frontier_models: pd.DataFrame | None = None,
    *,
    start: str = "2018-01-01",
    end: str = "2025-12-31",
    top_n: int = 5,
    confidence: float = 0.90,
) -> pd.DataFrame:
    """Log-linear trend of frontier training compute: growth factor per year with a CI.

    Fits ``log10(training compute, FLOP) = a + b * decimal_year`` by ordinary least squares
    (``scipy.stats.linregress``) on models published in ``[start, end]`` with known compute; growth per
    year is ``10**b`` and the ``confidence`` interval is ``10**(b ± t * se)`` with n - 2 degrees of
    freedom. One row per frontier definition, the first being the headline:

    - ``running_top{n}``: models in the running top ``top_n`` (:func:`running_top_n`) of ``models``
      (history before ``start`` counts for the ranking);
    - ``epoch_frontier_flag``: models in ``models`` with Epoch's "Frontier model" flag (if any);
    - ``epoch_frontier_file``: all models of ``frontier_models`` (Epoch's frontier export), if given.

    Returns columns ``method, window_start, window_end, n, slope_log10_per_year, growth_per_year,
    ci_low, ci_high, confidence, r2``.
    """
    t0, t1 = pd.Timestamp(start), pd.Timestamp(end)

    def window(df: pd.DataFrame) -> pd.DataFrame:
        ok = df["training_compute_flop"].gt(0) & df["publication_date"].between(t0, t1)
        return df[ok]

    sets = [(f"running_top{top_n}", window(models[running_top_n(models, top_n)]))]
    if models["frontier_flag"].any():
        sets.append(("epoch_frontier_flag", window(models[models["frontier_flag"]])))
    if frontier_models is not None:
        sets.append(("epoch_frontier_file", window(frontier_models)))
    rows = []
    for name, sub in sets:
        f = _loglinear_fit(sub, confidence)
        rows.append(
            (name, t0.strftime("%Y-%m-%d"), t1.strftime("%Y-%m-%d"), f["n"], f["slope"], f["growth"],
             f["lo"], f["hi"], confidence, f["r2"])
        )  # fmt: skip
    return pd.DataFrame(
        rows,
        columns=["method", "window_start", "window_end", "n", "slope_log10_per_year", "growth_per_year",
                 "ci_low", "ci_high", "confidence", "r2"],
    )  # fmt: skip


def _frontier_step(df: pd.DataFrame, date_col: str = "publication_date", value_col: str = "training_compute_flop"
                   ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Record-setting models: dates, running-max ``value_col`` (default compute) and names, each strictly above
    the last."""
    df = df.sort_values([date_col, value_col], ascending=[True, False])
    dates, vals, names = [], [], []
    best = -math.inf
    for d, c, m in zip(df[date_col], df[value_col], df["model"], strict=True):
        if c > best:
            best = c
            dates.append(d)
            vals.append(c)
            names.append(m)
    return np.array(dates, dtype="datetime64[ns]"), np.array(vals, dtype=float), names


def _lag_at(t: np.datetime64, lead: tuple, trail_value: float) -> float:
    """Months from when the leader's running max first reached ``trail_value`` to ``t``."""
    ldates, lvals, _ = lead
    i = int(np.argmax(lvals >= trail_value))
    return float((t - ldates[i]) / np.timedelta64(1, "D")) / _DAYS_PER_MONTH


def open_closed_lag_by_year(
    models: pd.DataFrame,
    years: Iterable[int] | None = None,
    *,
    closed_includes_unreleased: bool = True,
) -> pd.DataFrame:
    """How far open-weight models trail closed ones in training compute, by year.

    For a reference date ``t``, let ``O(t)`` and ``C(t)`` be the largest training compute of OPEN and of
    closed models published on or before ``t`` (closed = CLOSED, plus UNRELEASED if
    ``closed_includes_unreleased``, as in Epoch's comparison, which counts e.g. PaLM and Chinchilla as
    closed). The lag at ``t`` is the horizontal distance between the two frontier step curves: months
    from the first date the closed running max reached ``O(t)`` to ``t`` (negative, by the same rule
    with roles swapped, if open leads). The OOM gap is ``log10(C(t) / O(t))``.

    For each year: ``lag_months`` and ``oom_gap`` at 31 December (the last model date in the data if
    earlier), ``lag_months_mean`` and ``oom_gap_mean`` averaged over the 12 month-ends (those up to the
    last model date), and the best open and closed models at year end. Months are 365.25/12 days.
    """
    ys = _years(years)
    closed_set = (CLOSED, UNRELEASED) if closed_includes_unreleased else (CLOSED,)
    ok = models["training_compute_flop"].gt(0) & models["publication_date"].notna()
    df = models[ok]
    last = df["publication_date"].max()
    op = _frontier_step(df[df["accessibility"] == OPEN])
    cl = _frontier_step(df[df["accessibility"].isin(closed_set)])

    def at(t: pd.Timestamp) -> tuple[float, float, str, float, str, float] | None:
        tt = np.datetime64(t, "ns")
        io = np.searchsorted(op[0], tt, side="right") - 1
        ic = np.searchsorted(cl[0], tt, side="right") - 1
        if io < 0 or ic < 0:
            return None
        o, c = op[1][io], cl[1][ic]
        lag = _lag_at(tt, cl, o) if o <= c else -_lag_at(tt, op, c)
        return lag, math.log10(c / o), op[2][io], o, cl[2][ic], c

    rows = []
    for y in ys:
        ends = [e for e in pd.date_range(f"{y}-01-01", f"{y}-12-31", freq="ME") if e <= last]
        if not ends:
            rows.append((y, "", math.nan, math.nan, math.nan, math.nan, "", math.nan, "", math.nan))
            continue
        ref = min(pd.Timestamp(f"{y}-12-31"), last)
        vals = [v for v in map(at, ends) if v is not None]
        v = at(ref)
        if v is None or not vals:
            rows.append((y, ref.strftime("%Y-%m-%d"), math.nan, math.nan, math.nan, math.nan, "", math.nan,
                         "", math.nan))  # fmt: skip
            continue
        rows.append(
            (y, ref.strftime("%Y-%m-%d"), v[0], float(np.mean([x[0] for x in vals])), v[1],
             float(np.mean([x[1] for x in vals])), v[2], v[3], v[4], v[5])
        )  # fmt: skip
    return pd.DataFrame(
        rows,
        columns=["year", "ref_date", "lag_months", "lag_months_mean", "oom_gap", "oom_gap_mean",
                 "best_open_model", "best_open_flop", "best_closed_model", "best_closed_flop"],
    )  # fmt: skip




def build_targets(
    epoch_dir: str | Path,
    out_dir: str | Path | None = None,
    *,
    years: Iterable[int] | None = None,
    header_lines: Sequence[str] = (),
    confidence: float = 0.90,
) -> tuple[dict[str, pd.DataFrame], LoadReport]:
    """Build the empirical target tables from the Epoch exports in ``epoch_dir``.

    - ``open_share_by_region_year.csv`` (:func:`open_share_by_region_year`) and
      ``compute_share_by_region_year.csv`` (:func:`compute_share_by_region_year`): notable models.
    - ``frontier_compute_trend.csv`` (:func:`frontier_compute_trend`) and
      ``open_closed_lag_by_year.csv`` (:func:`open_closed_lag_by_year`): notable and large-scale models
      combined (de-duplicated by name); the trend also fits Epoch's frontier export.

    ``years`` default 2019..2025. If ``out_dir`` is given, each table is written there with
    :func:`write_table` (``header_lines`` as ``#`` comments). Returns ``(tables, report)``: a dict file
    name -> DataFrame, and the combined :class:`LoadReport`. Raises :class:`EmpiricalDataError` on bad
    input.
    """
    notable, _ = load_epoch(epoch_dir, ("notable",))
    combined, rep_c = load_epoch(epoch_dir, ("notable", "large_scale"))
    frontier, rep_f = load_epoch(epoch_dir, ("frontier",))
    report = rep_c.merge(rep_f)
    tables = {
        "open_share_by_region_year.csv": open_share_by_region_year(notable, years, confidence=confidence),
        "frontier_compute_trend.csv": frontier_compute_trend(combined, frontier, confidence=confidence),
        "open_closed_lag_by_year.csv": open_closed_lag_by_year(combined, years),
        "compute_share_by_region_year.csv": compute_share_by_region_year(notable, years),
    }
    if out_dir is not None:
        for name, df in tables.items():
            write_table(df, Path(out_dir) / name, header_lines)
    return tables, report
