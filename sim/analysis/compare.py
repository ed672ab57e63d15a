"""Comparing scenarios with common random numbers (CRN).

Every scenario runs the same replications with the same seeds: replication ``r`` of every scenario uses
``seed_for(base_seed, r)``. Differences between scenarios are then taken per replication (paired), which
removes the part of the run-to-run noise the scenarios share; two identical scenarios give exactly zero
difference. The model draws a varying number of random numbers once policies differ (developers who
lose access re-choose), so the streams stay aligned only until the scenarios' paths diverge: CRN reduces
the noise of a difference, it does not remove it.

Outputs (all tidy, one observation per row):

* :attr:`Comparison.table` -- one row per (scenario, replication, metric): value and the paired difference
  to the first scenario (the reference). Written as ``compare.parquet``.
* :attr:`Comparison.timeseries` -- the model's time series stacked with ``scenario`` and ``replication``
  columns (one row per scenario, replication and month). Written as ``timeseries.parquet``.
* :func:`compare_stats` -- per metric and scenario: median and 90% interval across replications, and the
  median and 90% interval of the per-replication differences to the reference, with the mean difference and its
  bootstrap confidence interval.
* :func:`paired_effects` / :func:`comparison_effects` -- effects over time: each paired difference at the
  horizon, its mean from the first policy change (:func:`first_policy_month`) to the horizon, and its peak with
  the peak's month, each with a bootstrap confidence interval and the spread across replications. Written as
  ``effects.csv``. Reusable on any stacked time series of paired runs (e.g. runs on posterior draws).

Two kinds of interval appear: the *spread* (the 90% of replications' values; it does not narrow with more
replications) and the *confidence interval* (CI) of an estimate such as a mean or median (percentile bootstrap
over replications; it narrows as replications are added).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.analysis.precision import BOOTSTRAP_SAMPLES, bootstrap_ci
from sim.analysis.provenance import base_manifest, write_json_atomic
from sim.analysis.runs import Replications
from sim.model.metrics import HEADLINE_METRICS, SUMMARY_METRICS, WINDOW_MONTHS
from sim.scenario.schema import Scenario, month_index, with_values

if TYPE_CHECKING:
    from sim.analysis.batches import BatchReport

INTERVAL = 0.90
"""Central interval reported for values and for paired differences."""

WINDOWS = ("horizon", "mean12")
"""Which summary of a run a metric is taken from: the value at the horizon, or the mean of the last
``WINDOW_MONTHS`` months (less noisy for the discrete lab shares)."""


def metric_column(metric: str, window: str = "horizon") -> str:
    """Summary-metric column of a headline metric for a window (``open_share_CN`` -> ``open_share_CN_mean12``).

    Raises ValueError for an unknown window or metric."""
    if window not in WINDOWS:
        raise ValueError(f"window must be one of {', '.join(WINDOWS)}, got {window!r}")
    col = metric if window == "horizon" else f"{metric}_mean12"
    if col not in SUMMARY_METRICS:
        raise ValueError(f"unknown summary metric {col!r}; allowed: {', '.join(SUMMARY_METRICS)}")
    return col


def window_months(window: str, months: int) -> int | None:
    """The months the ``mean12`` window averages over a run of ``months`` months: the last 12, or all of a
    shorter run; None for ``horizon``."""
    return min(WINDOW_MONTHS, months) if window == "mean12" else None


def window_text(window: str, start: str, months: int) -> str:
    """How a comparison's values are taken, naming the months as they are: ``at the horizon (2030-12)``,
    ``averaged over the last 12 months (2030-01 to 2030-12)`` or, for a run shorter than 12 months,
    ``averaged over all 6 months of the run (...)``."""
    from sim.scenario.schema import month_label

    end = month_label(start, months - 1)
    if window == "horizon":
        return f"at the horizon ({end})"
    n = window_months(window, months)
    span = f"{month_label(start, months - n)} to {end}"
    if n < WINDOW_MONTHS:
        return f"averaged over all {n} months of the run ({span}; --window mean12 takes up to {WINDOW_MONTHS})"
    return f"averaged over the last {n} months ({span})"


def unique_names(names: Sequence[str]) -> list[str]:
    """Scenario labels, made unique by suffixes ``#2``, ``#3`` where names repeat (e.g. one file twice)."""
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n}#{seen[n]}")
    return out


@dataclass
class Comparison:
    """Outputs of :func:`run_comparison`.

    names : scenario labels, the first is the reference. scenarios : the resolved scenarios (with the common
    seed). seeds : replication seeds shared by all scenarios. table : tidy summary (see module docstring).
    timeseries : stacked time series. wall_seconds : total run time."""

    names: list[str]
    scenarios: list[Scenario]
    base_seed: int
    seeds: list[int]
    table: pd.DataFrame
    timeseries: pd.DataFrame
    wall_seconds: float

    @property
    def reference(self) -> str:
        return self.names[0]


def run_comparison(scenarios: Sequence[Scenario], replications: int, base_seed: int | None = None,
                   names: Sequence[str] | None = None,
                   progress: Callable[[int], None] | None = None, workers: int = 1) -> Comparison:
    """Run every scenario for ``replications`` replications with common random numbers.

    Parameters
    ----------
    scenarios : two or more validated scenarios; the first is the reference for differences.
    replications : R >= 1; replication r of every scenario uses ``seed_for(base_seed, r)``.
    base_seed : default the first scenario's ``seed``; every scenario's ``seed`` is set to it.
    names : labels (default: the scenarios' names, made unique).
    progress : called with the number of runs done after each replication.
    workers : processes running the (scenario, replication) cells (:func:`sim.analysis.batches.run_cells`; the
        same numbers for any count). The runs' lab panels and release logs are not kept (a comparison uses the
        time series and summaries).

    Returns a :class:`Comparison`. Raises ValueError for fewer than one scenario or replication, or for
    names of the wrong length; RosterError for a bad roster.
    """
    if not scenarios:
        raise ValueError("need at least one scenario")
    if replications < 1:
        raise ValueError(f"replications must be >= 1, got {replications}")
    labels = unique_names(list(names) if names is not None else [s.name for s in scenarios])
    if len(labels) != len(scenarios):
        raise ValueError(f"{len(labels)} names for {len(scenarios)} scenarios")
    base = int(scenarios[0].seed if base_seed is None else base_seed)
    resolved = [s if s.seed == base else with_values(s, {"seed": base}) for s in scenarios]
    from sim.analysis.batches import run_cells, worker_pool

    t0 = time.perf_counter()
    with worker_pool(min(workers, len(resolved) * replications)) as pool:
        runs = run_cells(resolved, base, 0, replications, pool, progress)
    return comparison_of(runs, labels, time.perf_counter() - t0)


def comparison_of(runs: Sequence[Replications], names: Sequence[str], wall_seconds: float) -> Comparison:
    """A :class:`Comparison` of runs made with the same seeds (the first is the reference).

    Raises ValueError when the runs' seeds differ (no common random numbers) or names and runs differ
    in number."""
    if len(runs) != len(names) or not runs:
        raise ValueError(f"{len(names)} names for {len(runs)} runs")
    if any(r.seeds != runs[0].seeds for r in runs):
        raise ValueError("the runs do not share their seeds (common random numbers)")
    labels = list(names)
    summary = pd.concat([r.summary.assign(scenario=n) for r, n in zip(runs, labels, strict=True)], ignore_index=True)
    ts = pd.concat([r.timeseries.assign(scenario=n) for r, n in zip(runs, labels, strict=True)], ignore_index=True)
    ts = ts[["scenario", "replication", *[c for c in ts.columns if c not in ("scenario", "replication")]]]
    return Comparison(labels, [r.scenario for r in runs], int(runs[0].scenario.seed), list(runs[0].seeds),
                      tidy_table(summary, labels), ts, wall_seconds)


def tidy_table(summary: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """Long table from per-run summaries (columns scenario, replication, seed and metrics).

    Returns columns scenario, scenario_index, replication, seed, metric, value, diff (value minus the
    reference scenario's value in the same replication; NaN where either is NaN)."""
    metrics = [c for c in summary.columns if c in SUMMARY_METRICS]
    long = summary.melt(id_vars=["scenario", "replication", "seed"], value_vars=metrics, var_name="metric")
    ref = long[long["scenario"] == names[0]][["replication", "metric", "value"]].rename(columns={"value": "ref"})
    long = long.merge(ref, on=["replication", "metric"], how="left")
    long["diff"] = long["value"] - long["ref"]
    order = {n: i for i, n in enumerate(names)}
    long["scenario_index"] = long["scenario"].map(order).astype(int)
    long = long.sort_values(["scenario_index", "metric", "replication"], kind="stable").reset_index(drop=True)
    return long[["scenario", "scenario_index", "replication", "seed", "metric", "value", "diff"]]


def _interval(v: np.ndarray) -> tuple[float, float, float, int]:
    v = v[np.isfinite(v)]
    if v.size == 0:
        return (np.nan, np.nan, np.nan, 0)
    lo, hi = np.quantile(v, [(1 - INTERVAL) / 2, 1 - (1 - INTERVAL) / 2])
    return float(np.median(v)), float(lo), float(hi), int(v.size)


def compare_stats(table: pd.DataFrame, metrics: Sequence[str] = HEADLINE_METRICS,
                  window: str = "horizon") -> pd.DataFrame:
    """Per headline metric and scenario: ``median``, ``lo``, ``hi`` (90% interval across replications: the spread)
    and ``n`` (finite replications); ``median_ci_lo``/``median_ci_hi`` (90% bootstrap confidence interval of the
    median, :func:`bootstrap_ci`); ``diff_median``, ``diff_lo``, ``diff_hi``, ``diff_n`` of the paired
    differences to the reference (their spread across replications); ``diff_mean`` with ``diff_ci_lo``/
    ``diff_ci_hi`` (the mean paired difference and its 90% bootstrap confidence interval) and ``diff_ci_has_zero``
    (that interval includes 0); ``p_up`` (share of replications where the difference is > 0) and ``clear`` (True
    when the 90% spread of the differences excludes 0). ``metric`` holds the headline name, ``column`` the
    summary column used (depends on ``window``).

    Raises ValueError for an unknown metric or window."""
    rows = []
    for m in metrics:
        col = metric_column(m, window)
        sub = table[table["metric"] == col]
        for (idx, name), g in sub.groupby(["scenario_index", "scenario"], sort=True):
            med, lo, hi, n = _interval(g["value"].to_numpy(float))
            d = g["diff"].to_numpy(float)
            dmed, dlo, dhi, dn = _interval(d)
            d = d[np.isfinite(d)]
            vmed, vclo, vchi = bootstrap_ci(g["value"].to_numpy(float), "median")
            dmean, dclo, dchi = bootstrap_ci(d, "mean") if idx > 0 else (0.0, 0.0, 0.0)
            rows.append({"metric": m, "column": col, "scenario": name, "scenario_index": idx, "median": med,
                         "median_ci_lo": vclo, "median_ci_hi": vchi, "diff_mean": dmean, "diff_ci_lo": dclo,
                         "diff_ci_hi": dchi, "diff_ci_has_zero": bool(idx > 0 and not (dclo > 0 or dchi < 0)),
                         "lo": lo, "hi": hi, "n": n, "diff_median": dmed, "diff_lo": dlo, "diff_hi": dhi,
                         "diff_n": dn, "p_up": float((d > 0).mean()) if d.size else np.nan,
                         "clear": bool(idx > 0 and dn > 0 and (dlo > 0 or dhi < 0))})
    return pd.DataFrame(rows)


def write_comparison(out_dir: str | Path, comp: Comparison, scenario_files: Sequence[str | None] | None = None,
                     window: str = "horizon", metrics: Sequence[str] = HEADLINE_METRICS,
                     extra: dict | None = None) -> Path:
    """Write ``compare.parquet`` (tidy summary), ``timeseries.parquet`` (stacked time series),
    ``stats.csv`` (:func:`compare_stats` of ``metrics``), ``effects.csv`` (:func:`comparison_effects`: horizon,
    mean from the first policy change and peak of each paired difference, with intervals) and ``manifest.json`` (every resolved scenario, its file, the
    common seeds, versions, git commit, command, wall time). Returns the folder."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, df in (("compare", comp.table), ("timeseries", comp.timeseries)):
        tmp = out / f".{name}.parquet.tmp"
        df.to_parquet(tmp, index=False)
        tmp.replace(out / f"{name}.parquet")
    compare_stats(comp.table, metrics, window=window).to_csv(out / "stats.csv", index=False, float_format="%.6g")
    if len(comp.names) > 1:
        comparison_effects(comp, [m for m in metrics if m in comp.timeseries.columns]).to_csv(
            out / "effects.csv", index=False, float_format="%.6g")
    files = list(scenario_files) if scenario_files is not None else [None] * len(comp.names)
    manifest = base_manifest("compare")
    manifest.update({
        "reference": comp.reference, "names": comp.names,
        "labels": {n: s.display_name for n, s in zip(comp.names, comp.scenarios, strict=True)},
        "scenarios": [{"name": n, "file": f, "scenario": s.resolved_dict()}
                      for n, f, s in zip(comp.names, files, comp.scenarios, strict=True)],
        "replications": len(comp.seeds), "base_seed": comp.base_seed, "seeds": comp.seeds,
        "common_random_numbers": True,
        "seed_rule": "numpy.random.SeedSequence(base_seed, spawn_key=(replication,)).generate_state(1, uint64) "
                     "& (2**63-1), the same for every scenario",
        "window": window, "window_months": window_months(window, comp.scenarios[0].months),
        "interval": INTERVAL, "metrics": list(metrics),
        "wall_seconds": round(comp.wall_seconds, 3),
        "first_policy_month": {n: first_policy_month(comp.scenarios[0], sc)
                               for n, sc in zip(comp.names[1:], comp.scenarios[1:], strict=True)},
        "bootstrap_samples": BOOTSTRAP_SAMPLES,
        "tables": ["compare.parquet", "timeseries.parquet", "stats.csv", "effects.csv"], **(extra or {})})
    write_json_atomic(out / "manifest.json", manifest)
    return out


# ---------------------------------------------------------------------------------------------------------------
# Effects over time: the paired difference at the horizon, its mean from the first policy change, and its peak

EFFECTS = ("horizon", "mean", "peak")
"""The summaries of a paired difference path that :func:`paired_effects` reports."""

_NOT_POLICY = ("name", "description", "label", "extends", "events_mode", "seed", "events")


def first_policy_month(reference: Scenario, other: Scenario) -> int | None:
    """Month index (0-based from ``reference.start``) of the first policy difference between two scenarios.

    0 when anything but the events, name, description, label and seed differs (a different start setting, parameter,
    horizon or roster acts from the first month), except parameters named ``*_after_*`` only, which act from
    ``projection_from`` (its month then); otherwise the earliest month of an event that one scenario has
    and the other has not (compared as month, government, field and value). None when the two are the same
    policy (then effects are averaged over the whole run). Raises nothing."""
    a, b = reference.resolved_dict(), other.resolved_dict()
    changed = _differing_paths({k: v for k, v in a.items() if k not in _NOT_POLICY and k != "events"},
                               {k: v for k, v in b.items() if k not in _NOT_POLICY and k != "events"})
    if changed:  # a parameter named *_after_* acts only from projection_from (the same in both)
        if all("_after_" in path.rsplit(".", 1)[-1] for path in changed):
            return max(0, month_index(reference.start, reference.projection_from))
        return 0

    def key(e: dict) -> tuple:
        return (e["month"], e["government"], e["field"], repr(e["value"]))

    ea, eb = {key(e) for e in a.get("events", [])}, {key(e) for e in b.get("events", [])}
    diff = ea ^ eb
    if not diff:
        return None
    return max(0, min(month_index(reference.start, k[0]) for k in diff))


def _differing_paths(a: dict, b: dict, prefix: str = "") -> list[str]:
    """The dotted paths of the leaves where two nested dicts differ (a key only one has counts)."""
    out = []
    for k in sorted(set(a) | set(b), key=str):
        x, y = a.get(k), b.get(k)
        if isinstance(x, dict) and isinstance(y, dict):
            out += _differing_paths(x, y, f"{prefix}{k}.")
        elif x != y:
            out.append(f"{prefix}{k}")
    return out


def _spread(v: np.ndarray, interval: float) -> tuple[float, float]:
    v = v[np.isfinite(v)]
    if v.size == 0:
        return (np.nan, np.nan)
    lo, hi = np.quantile(v, [(1 - interval) / 2, 1 - (1 - interval) / 2])
    return float(lo), float(hi)


def difference_paths(ts: pd.DataFrame, names: Sequence[str], metric: str) -> dict[str, np.ndarray]:
    """Per scenario (all but the reference ``names[0]``), the (n_replications, n_months) array of paired
    differences ``metric(scenario, r, t) - metric(reference, r, t)``, replications in order of their index, months
    in order. ``ts`` is a stacked time series (columns scenario, replication, month and ``metric``). Replications
    missing from either scenario are dropped. Raises KeyError for a missing column."""
    wide = ts.pivot_table(index=["scenario", "replication"], columns="month", values=metric, dropna=False,
                          aggfunc="first")
    ref = wide.loc[names[0]]
    out = {}
    for n in names[1:]:
        cur = wide.loc[n]
        reps = ref.index.intersection(cur.index)
        out[n] = cur.loc[reps].to_numpy(float) - ref.loc[reps].to_numpy(float)
    return out


def paired_effects(ts: pd.DataFrame, names: Sequence[str], metrics: Sequence[str] = HEADLINE_METRICS,
                   from_month: int | dict[str, int | None] | None = 0, interval: float = INTERVAL,
                   samples: int = BOOTSTRAP_SAMPLES, seed: int = 0) -> pd.DataFrame:
    """Effects of each scenario against the reference over time, from paired (common-random-number) runs.

    For each metric and each scenario but the reference (``names[0]``) the paired difference path
    ``d_r(t) = x_scenario(r, t) - x_reference(r, t)`` (one per replication r) is summarised three ways:

    * ``horizon``: ``d_r`` at the last month;
    * ``mean``: the mean of ``d_r(t)`` over months ``from_month..horizon`` (from the first policy change);
    * ``peak``: the mean path ``mean_r d_r(t)`` at the month (from ``from_month`` on) where its absolute value is
      largest (signed value, and that month). Its confidence interval is that of the mean at the peak month; the
      month's interval comes from the peak months of bootstrap resamples. Picking the largest of many noisy
      months biases the peak away from zero, more so with few replications: read it with the mean effect.

    Parameters
    ----------
    ts : stacked time series (columns scenario, replication, month, date and the metrics), as
        :attr:`Comparison.timeseries`. Months that are NaN in a replication are left out of that replication's
        mean; a horizon that is NaN drops the replication from the horizon effect.
    names : scenario labels, the first is the reference.
    metrics : time-series columns (default the headline metrics).
    from_month : 0-based month where averaging and the peak search start: one int for every scenario or a dict
        scenario -> month (None: 0), e.g. from :func:`first_policy_month`.
    interval : central probability of every interval (0.90). samples, seed : bootstrap resamples and seed.

    Returns one row per (metric, scenario, effect) with: ``metric``, ``scenario``, ``scenario_index`` (1..),
    ``effect`` (horizon, mean, peak), ``from_month``, ``estimate`` (mean over replications of the per-replication
    value; for the peak, the peak of the mean path), ``ci_lo``/``ci_hi`` (percentile-bootstrap confidence interval
    of the estimate, resampling replications: it narrows with more replications), ``spread_lo``/``spread_hi`` (the
    ``interval`` of the per-replication values across replications: the run-to-run spread, which does not narrow;
    for the peak, of ``d_r`` at the peak month), ``month`` (horizon: last month; mean: NaN; peak: the peak's month)
    with ``month_lo``/``month_hi`` (bootstrap interval of the peak's month), ``date`` (YYYY-MM of ``month``), ``n``
    (replications used) and ``ci_has_zero`` (True when the confidence interval includes 0: no effect is shown).
    Units are the metric's. Raises ValueError when fewer than two scenarios are given; KeyError for an unknown
    metric column.
    """
    if len(names) < 2:
        raise ValueError("paired effects need a reference and at least one other scenario")
    months = np.sort(ts["month"].unique())
    dates = ts.drop_duplicates("month").set_index("month")["date"] if "date" in ts else None
    rows = []
    for m in metrics:
        paths = difference_paths(ts, names, m)
        for j, name in enumerate(names[1:], start=1):
            d = paths[name]
            f0 = from_month.get(name) if isinstance(from_month, dict) else from_month
            f0 = int(min(max(f0 or 0, 0), len(months) - 1))
            win = d[:, f0:]
            base = {"metric": m, "scenario": name, "scenario_index": j, "from_month": f0}
            # horizon
            h = d[:, -1]
            est, lo, hi = bootstrap_ci(h, "mean", interval, samples, seed)
            rows.append({**base, "effect": "horizon", "estimate": est, "ci_lo": lo, "ci_hi": hi,
                         **dict(zip(("spread_lo", "spread_hi"), _spread(h, interval), strict=True)),
                         "month": float(months[-1]), "month_lo": np.nan, "month_hi": np.nan,
                         "n": int(np.isfinite(h).sum())})
            # mean from the first policy change
            with np.errstate(all="ignore"):
                mr = np.nanmean(np.where(np.isfinite(win), win, np.nan), axis=1) if win.size else np.array([])
            est, lo, hi = bootstrap_ci(mr, "mean", interval, samples, seed)
            rows.append({**base, "effect": "mean", "estimate": est, "ci_lo": lo, "ci_hi": hi,
                         **dict(zip(("spread_lo", "spread_hi"), _spread(mr, interval), strict=True)),
                         "month": np.nan, "month_lo": np.nan, "month_hi": np.nan,
                         "n": int(np.isfinite(mr).sum())})
            # peak of the mean path, with bootstrap over replications
            rows.append({**base, **_peak(win, f0, interval, samples, seed), "effect": "peak"})
    out = pd.DataFrame(rows)
    out["month"] = out["month"].astype(float)
    out["date"] = [dates.get(int(x), "") if dates is not None and np.isfinite(x) else "" for x in out["month"]]
    out["ci_has_zero"] = ~((out["ci_lo"] > 0) | (out["ci_hi"] < 0))
    cols = ["metric", "scenario", "scenario_index", "effect", "from_month", "estimate", "ci_lo", "ci_hi",
            "spread_lo", "spread_hi", "month", "month_lo", "month_hi", "date", "n", "ci_has_zero"]
    return out[cols]


def _peak(win: np.ndarray, f0: int, interval: float, samples: int, seed: int) -> dict:
    """Peak of the mean path of ``win`` (n, T) (largest |mean| over months; months offset by ``f0``): its value with
    the bootstrap CI of the mean at that month, and the bootstrap interval of the month (the peak month of each
    resample's mean path)."""
    ok = np.isfinite(win)
    n_ok = ok.sum(axis=0)
    none = {"estimate": np.nan, "ci_lo": np.nan, "ci_hi": np.nan, "spread_lo": np.nan, "spread_hi": np.nan,
            "month": np.nan, "month_lo": np.nan, "month_hi": np.nan, "n": 0}
    if win.size == 0 or not (n_ok > 0).any():
        return none
    x = np.where(ok, win, 0.0)
    with np.errstate(all="ignore"):
        path = np.where(n_ok > 0, x.sum(axis=0) / n_ok, np.nan)
    k = int(np.nanargmax(np.abs(path)))
    at = win[:, k]
    s_lo, s_hi = _spread(at, interval)
    n = win.shape[0]
    est, lo, hi = bootstrap_ci(at, "mean", interval, samples, seed)
    if n > 1:
        rng = np.random.default_rng(seed)
        counts = rng.multinomial(n, np.full(n, 1.0 / n), size=samples).astype(float)  # (B, n) resample weights
        with np.errstate(all="ignore"):
            bpath = (counts @ x) / (counts @ ok.astype(float))  # (B, T)
        bk = np.argmax(np.abs(np.where(np.isfinite(bpath), bpath, 0.0)), axis=1)
        mlo, mhi = np.quantile(bk + f0, [(1 - interval) / 2, 1 - (1 - interval) / 2])
    else:
        mlo = mhi = k + f0
    return {"estimate": float(path[k]), "ci_lo": lo, "ci_hi": hi, "spread_lo": s_lo,
            "spread_hi": s_hi, "month": float(k + f0), "month_lo": float(mlo), "month_hi": float(mhi),
            "n": int(np.isfinite(at).sum())}


def comparison_effects(comp: Comparison, metrics: Sequence[str] = HEADLINE_METRICS, interval: float = INTERVAL,
                       samples: int = BOOTSTRAP_SAMPLES, seed: int = 0) -> pd.DataFrame:
    """:func:`paired_effects` of a :class:`Comparison`, each scenario averaged from its first policy difference
    to the reference (:func:`first_policy_month`). Same columns as :func:`paired_effects`."""
    ref = comp.scenarios[0]
    start = {n: first_policy_month(ref, s) for n, s in zip(comp.names[1:], comp.scenarios[1:], strict=True)}
    return paired_effects(comp.timeseries, comp.names, metrics, start, interval, samples, seed)


def difference_band(d: np.ndarray, interval: float = INTERVAL, samples: int = BOOTSTRAP_SAMPLES,
                    seed: int = 0) -> pd.DataFrame:
    """Month by month summary of paired difference paths ``d`` (n_replications, n_months), as drawn in the
    difference-over-time figure: ``mean`` (over replications, NaNs left out), ``ci_lo``/``ci_hi`` (pointwise
    percentile-bootstrap confidence interval of the mean, resampling whole replications) and ``spread_lo``/
    ``spread_hi`` (the ``interval`` across replications). One row per month (column ``k``, 0-based position)."""
    d = np.asarray(d, float)
    ok = np.isfinite(d)
    x = np.where(ok, d, 0.0)
    n = d.shape[0]
    with np.errstate(all="ignore"):
        mean = x.sum(axis=0) / ok.sum(axis=0)
        q = [(1 - interval) / 2, 1 - (1 - interval) / 2]
        if n > 1:
            counts = np.random.default_rng(seed).multinomial(n, np.full(n, 1.0 / n), size=samples).astype(float)
            boot = (counts @ x) / (counts @ ok.astype(float))
            lo, hi = np.nanquantile(boot, q, axis=0)
        else:
            lo = hi = mean
        slo, shi = np.nanquantile(np.where(ok, d, np.nan), q, axis=0) if d.size else (mean, mean)
    return pd.DataFrame({"k": np.arange(d.shape[1]), "mean": mean, "ci_lo": lo, "ci_hi": hi,
                         "spread_lo": slo, "spread_hi": shi})


def comparison_precision(comp: Comparison, rel: float, metrics: Sequence[str] = HEADLINE_METRICS,
                         window: str = "horizon") -> dict[tuple[str, str, str], dict]:
    """Whether each mean paired difference of ``comp`` is known to relative precision ``rel``
    (:func:`sim.analysis.precision.precision_status`; floors from :func:`sim.analysis.precision.metric_floor`).

    Keys are (metric, scenario, effect) for every scenario but the reference, effect ``window`` (the table's
    difference: at the horizon or over the last 12 months) and ``mean`` (from the first policy change)."""
    from sim.analysis.precision import metric_floor, precision_status

    stats = compare_stats(comp.table, metrics, window=window)
    cis = {}
    for r in stats[stats["scenario_index"] > 0].itertuples():
        cis[(r.metric, r.scenario, window)] = (r.diff_mean, r.diff_ci_lo, r.diff_ci_hi, metric_floor(r.metric))
    eff = comparison_effects(comp, [m for m in metrics if m in comp.timeseries.columns])
    for r in eff[eff["effect"] == "mean"].itertuples():
        cis[(r.metric, r.scenario, "mean")] = (r.estimate, r.ci_lo, r.ci_hi, metric_floor(r.metric))
    return precision_status(cis, rel)


def run_comparison_until_precise(scenarios: Sequence[Scenario], replications: int, rel: float,
                                 max_replications: int, base_seed: int | None = None,
                                 names: Sequence[str] | None = None, metrics: Sequence[str] = HEADLINE_METRICS,
                                 window: str = "horizon",
                                 progress: Callable[[int, int], None] | None = None, *, workers: int = 1,
                                 partial: str | Path | None = None, resume: bool = False,
                                 report: Callable[[BatchReport], None] | None = None) -> tuple[Comparison, dict, list[int]]:
    """:func:`run_comparison` with ``replications`` first, then batches of replications (the same seeds in every
    scenario: replication r always uses ``seed_for(base_seed, r)``) until every :func:`comparison_precision` key
    is reached or ``max_replications`` is.

    rel : relative precision (> 0), e.g. 0.1. progress : called with (replications done, of at most) after each
    batch; ``report`` with a :class:`sim.analysis.batches.BatchReport` (the targets still short, the next batch,
    the time left). workers : processes running the (scenario, replication) cells (the same numbers for any
    count). partial : a folder keeping the runs done after each batch; with ``resume`` they are read from it and
    the comparison continues from there (:class:`sim.analysis.batches.PartialRuns`). Returns (comparison, precision
    status of the last check (each with ``reached_at``: the replications after the first batch that reached it,
    None if none did), replications after each batch). Raises ValueError for rel <= 0 or max_replications <
    replications; PartialError for a partial folder of another comparison."""
    from sim.analysis.batches import PartialRuns, worker_pool
    from sim.analysis.precision import check_batch_args

    check_batch_args(rel, replications, max_replications)
    labels = unique_names(list(names) if names is not None else [s.name for s in scenarios])
    base = int(scenarios[0].seed if base_seed is None else base_seed)
    resolved = [s if s.seed == base else with_values(s, {"seed": base}) for s in scenarios]
    keep = PartialRuns(partial) if partial is not None else None
    identity = PartialRuns.identity(resolved, base, labels, metrics, window)
    runs, hist = (keep.load(identity) if keep is not None and resume and keep.exists() else (None, []))
    with worker_pool(workers) as pool:  # one pool for every batch
        return _batches_until_precise(resolved, base, labels, replications, rel, max_replications, metrics, window,
                                      pool, keep, identity, runs, hist, progress, report)


def _batches_until_precise(resolved, base, labels, replications, rel, max_replications, metrics, window,  # noqa: ANN001
                           pool, keep, identity, runs, hist, progress, report) -> tuple:  # noqa: ANN001
    """The loop of :func:`run_comparison_until_precise`: the first batch (or the kept runs, completed to
    ``replications``), then batches until precise, each checked, kept and reported; runs on ``pool``
    (:func:`sim.analysis.batches.worker_pool`, None: this process)."""
    from sim.analysis.batches import batch_report, extend_runs, run_cells
    from sim.analysis.precision import next_batch, until_precise

    t0 = time.perf_counter()
    if runs is None:
        runs = run_cells(resolved, base, 0, replications, pool)
    elif len(runs[0].seeds) < replications:
        runs = extend_runs(runs, resolved, base, replications - len(runs[0].seeds), pool)
    clock = {"t": time.perf_counter(), "n": hist[-1] if hist else 0}
    if not hist:
        clock["t"] = t0

    def check(state: list) -> tuple[dict, int, Comparison]:
        comp = comparison_of(state, labels, time.perf_counter() - t0)
        status, n = comparison_precision(comp, rel, metrics, window), len(comp.seeds)
        if not hist or hist[-1] != n:
            hist.append(n)
        if keep is not None:
            keep.save(state, identity, hist)
        if report:
            per_rep = (time.perf_counter() - clock["t"]) / max(n - clock["n"], 1)
            report(batch_report(status, n, max_replications, next_batch(n, status, max_replications), per_rep))
        clock.update(t=time.perf_counter(), n=n)
        return status, n, comp

    def extend(state: list, n: int, more: int) -> list:
        return extend_runs(state, resolved, base, more, pool)

    comp, status, _ = until_precise(runs, check, extend, max_replications, progress)
    return comp, status, hist
