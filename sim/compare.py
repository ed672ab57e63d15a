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
  median and 90% interval of the per-replication differences to the reference.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.metrics import HEADLINE_METRICS, SUMMARY_METRICS, WINDOW_MONTHS
from sim.provenance import base_manifest, write_json_atomic
from sim.runs import Replications, run_replications, seed_for
from sim.scenario import Scenario, with_values

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
                   progress: Callable[[int], None] | None = None) -> Comparison:
    """Run every scenario for ``replications`` replications with common random numbers.

    Parameters
    ----------
    scenarios : two or more validated scenarios; the first is the reference for differences.
    replications : R >= 1; replication r of every scenario uses ``seed_for(base_seed, r)``.
    base_seed : default the first scenario's ``seed``; every scenario's ``seed`` is set to it.
    names : labels (default: the scenarios' names, made unique).
    progress : called with the number of runs done after each replication.

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
    seeds = [seed_for(base, r) for r in range(replications)]
    t0 = time.perf_counter()
    runs = []
    for j, sc in enumerate(resolved):
        tick = (lambda r, done=j * replications: progress(done + r + 1)) if progress else None
        runs.append(run_replications(sc, replications, base_seed=base, progress=tick))
        assert runs[-1].seeds == seeds  # common random numbers
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
    """Per headline metric and scenario: ``median``, ``lo``, ``hi`` (90% interval across replications) and
    ``n`` (finite replications); ``diff_median``, ``diff_lo``, ``diff_hi``, ``diff_n`` of the paired
    differences to the reference; ``p_up`` (share of replications where the difference is > 0) and
    ``clear`` (True when the 90% interval of the differences excludes 0). ``metric`` holds the headline
    name, ``column`` the summary column used (depends on ``window``).

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
            rows.append({"metric": m, "column": col, "scenario": name, "scenario_index": idx, "median": med,
                         "lo": lo, "hi": hi, "n": n, "diff_median": dmed, "diff_lo": dlo, "diff_hi": dhi,
                         "diff_n": dn, "p_up": float((d > 0).mean()) if d.size else np.nan,
                         "clear": bool(idx > 0 and dn > 0 and (dlo > 0 or dhi < 0))})
    return pd.DataFrame(rows)


def write_comparison(out_dir: str | Path, comp: Comparison, scenario_files: Sequence[str | None] | None = None,
                     window: str = "horizon", metrics: Sequence[str] = HEADLINE_METRICS,
                     extra: dict | None = None) -> Path:
    """Write ``compare.parquet`` (tidy summary), ``timeseries.parquet`` (stacked time series),
    ``stats.csv`` (:func:`compare_stats` of ``metrics``) and ``manifest.json`` (every resolved scenario, its file, the
    common seeds, versions, git commit, command, wall time). Returns the folder."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, df in (("compare", comp.table), ("timeseries", comp.timeseries)):
        tmp = out / f".{name}.parquet.tmp"
        df.to_parquet(tmp, index=False)
        tmp.replace(out / f"{name}.parquet")
    compare_stats(comp.table, metrics, window=window).to_csv(out / "stats.csv", index=False, float_format="%.6g")
    files = list(scenario_files) if scenario_files is not None else [None] * len(comp.names)
    manifest = base_manifest("compare")
    manifest.update({
        "reference": comp.reference, "names": comp.names,
        "scenarios": [{"name": n, "file": f, "scenario": s.resolved_dict()}
                      for n, f, s in zip(comp.names, files, comp.scenarios, strict=True)],
        "replications": len(comp.seeds), "base_seed": comp.base_seed, "seeds": comp.seeds,
        "common_random_numbers": True,
        "seed_rule": "numpy.random.SeedSequence(base_seed, spawn_key=(replication,)).generate_state(1, uint64) "
                     "& (2**63-1), the same for every scenario",
        "window": window, "window_months": WINDOW_MONTHS if window == "mean12" else None,
        "interval": INTERVAL, "metrics": list(metrics),
        "wall_seconds": round(comp.wall_seconds, 3),
        "tables": ["compare.parquet", "timeseries.parquet", "stats.csv"], **(extra or {})})
    write_json_atomic(out / "manifest.json", manifest)
    return out
