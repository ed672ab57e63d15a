"""Posterior ensembles (written by ``aieco calibrate experiments/abc.toml``, :mod:`sim.analysis.abcsmc`): reading,
drawing, and posterior predictive checks.

An ensemble file (JSON, ``scenarios/posterior.json``) holds weighted particles, each a set of values for the free
parameters of the scenario it names. :func:`draw` resamples ``n`` particles by weight (multinomial, seeded): a
draw is a full set of parameter values, applied to a scenario with :func:`apply_draw`.

**Posterior predictive check** (:func:`validate_posterior`): ``n`` draws x ``R`` runs of the scenario through
2025 (draw ``i``, replication ``r`` uses seed ``seed_for(seed, i, r)``), all runs pooled as replications of one
validation (:func:`sim.analysis.validation.compare`), so each pattern's simulated 5%-95% interval is its posterior
predictive interval, carrying parameter and run-to-run uncertainty: in sample for 2022-2024, out of sample for
2025 (held out: the calibration simulated 2022-2024 only).

**Policy effects over the posterior** (:func:`run_posterior_comparison`, :func:`posterior_effects`): every
scenario runs for each of ``n`` draws x ``R`` replications with common random numbers (draw ``i``, replication
``r``: seed ``seed_for(seed, i, r)`` in every scenario; each scenario gets the draw's values for the free
parameters it does not set itself). For each scenario against the reference and each metric, the paired
difference paths give three effects (as :func:`sim.analysis.compare.paired_effects`): at the horizon, the mean from the
first policy change, and the peak of the mean path with its month. Per draw the effect is averaged over its
``R`` replications; the reported median and 90% interval are over draws (parameter uncertainty, plus the
Monte Carlo error of an R-run mean), ``spread`` the 90% interval over all draw x replication runs (parameter
and run-to-run uncertainty), and ``sign_share`` the share of draws whose effect has the sign of the median.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.scenario.schema import (
    DECISIONS,
    Scenario,
    ScenarioError,
    field_info,
    load_scenario,
    unused_parameters,
    with_values,
)

__all__ = ["Ensemble", "EnsembleError", "PosteriorComparison", "apply_draw", "draw", "load_ensemble",
           "posterior_effects", "run_posterior_comparison", "validate_posterior"]


DEFAULT_ENSEMBLE = "scenarios/posterior.json"
"""The baseline theory's posterior ensemble: what ``validate/compare --posterior`` draw from by default."""
THEORIES_ENSEMBLE = "scenarios/posterior_theories.json"
"""Every theory's ensemble merged (scripts/merge_posteriors.py): what ``validate --theories`` reads by default."""
THIN_ESS = 20.0
"""An ensemble (or a posterior generation) with an effective sample size below this rests on a few particles: the
commands that draw from or write one warn."""


def thin_ensemble_warning(ensemble: Ensemble) -> str | None:
    """The warning for an ensemble whose effective sample size is under :data:`THIN_ESS` (None otherwise)."""
    if ensemble.ess >= THIN_ESS:
        return None
    return (f"{ensemble.source} has an effective sample size of {ensemble.ess:.1f}: the draws repeat a few particles, "
            "so intervals over draws are rough")


class EnsembleError(ValueError):
    """A bad posterior ensemble file; the message names the file and the key."""


@dataclass
class Ensemble:
    """A posterior ensemble: ``particles`` (a column per parameter path and ``weight``, summing to 1), the
    ``parameters`` (dicts: path, lower, upper, unit, why), the ``scenario`` file it applies to (resolved), the
    scenario overrides ``sets``, the file's ``provenance`` and ``source`` path."""

    source: Path
    scenario: Path
    sets: list[str]
    parameters: list[dict]
    particles: pd.DataFrame
    provenance: dict
    ess: float

    @property
    def paths(self) -> list[str]:
        return [p["path"] for p in self.parameters]

    @property
    def theories(self) -> list[str]:
        """The theories of the release decision (``labs.decision``) its particles were fitted under, in
        :data:`sim.scenario.schema.DECISIONS` order (a particle without ``theory`` is ``myopic``)."""
        present = set(self.particles["theory"])
        return [t for t in DECISIONS if t in present]

    def for_theory(self, theory: str) -> Ensemble:
        """The ensemble of one theory's particles (weights renormalised; its parameters only). Raises
        :class:`EnsembleError` when it has none."""
        sub = self.particles[self.particles["theory"] == theory].reset_index(drop=True)
        if sub.empty:
            raise EnsembleError(f"{self.source}: no particles of theory {theory!r} (it has {', '.join(self.theories)})")
        params = [p for p in self.parameters if theory in p.get("theories", DECISIONS)]
        sub = sub[[p["path"] for p in params] + ["theory", "weight"]].copy()
        sub["weight"] = sub["weight"] / sub["weight"].sum()
        return Ensemble(self.source, self.scenario, self.sets, params, sub, self.provenance,
                        float(1.0 / np.sum(sub["weight"].to_numpy() ** 2)))

    def base_scenario(self, overrides: Sequence[str] = ()) -> Scenario:
        """The scenario the ensemble was fitted on, with its overrides and then ``overrides``. Raises ScenarioError,
        naming the ensemble's ``scenario`` key when that file is missing (a relative path is relative to the
        ensemble's folder: a copied ensemble needs its scenario beside it, or an absolute path there)."""
        if not Path(self.scenario).is_file():
            raise ScenarioError(f"{self.source}: key 'scenario': {self.scenario} not found (a relative path is read "
                                "from the ensemble's folder: keep the ensemble beside its scenario, or write the "
                                "scenario's absolute path in that key)")
        return load_scenario(self.scenario, [*self.sets, *overrides])


def load_ensemble(path: str | Path) -> Ensemble:
    """Read an ensemble JSON. Raises :class:`EnsembleError` naming the file and key for a missing file, bad JSON,
    a missing key, an unknown parameter path, values outside the prior or non-positive weights."""
    path = Path(path)
    if not path.is_file():
        raise EnsembleError(f"{path}: posterior ensemble not found (write one with `aieco calibrate "
                            "experiments/abc.toml`)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise EnsembleError(f"{path}: not valid JSON: {e}") from None
    if not isinstance(data, dict) or data.get("kind") != "aieco posterior ensemble":
        raise EnsembleError(f"{path}: key 'kind': expected \"aieco posterior ensemble\"")
    for key in ("scenario", "parameters", "particles"):
        if key not in data:
            raise EnsembleError(f"{path}: missing key '{key}'")
    params = data["parameters"]
    if not isinstance(params, list) or not params:
        raise EnsembleError(f"{path}: key 'parameters': expected a non-empty list")
    for i, p in enumerate(params):
        if not isinstance(p, dict) or not {"path", "lower", "upper"} <= set(p):
            raise EnsembleError(f"{path}: parameters[{i}]: expected path, lower, upper")
        try:
            field_info(p["path"])
        except ScenarioError as e:
            raise EnsembleError(f"{path}: parameters[{i}] key 'path': {e} (the model changed since the fit: "
                                "rerun the calibration)") from None
    rows = [_particle(path, i, part, params) for i, part in enumerate(data["particles"])]
    if not rows:
        raise EnsembleError(f"{path}: key 'particles': no particles")
    df = pd.DataFrame(rows)
    for p in params:
        v = df[p["path"]].to_numpy(float)
        v = v[np.isfinite(v)]
        if (v < float(p["lower"]) - 1e-9).any() or (v > float(p["upper"]) + 1e-9).any():
            raise EnsembleError(f"{path}: particles: {p['path']} outside its prior [{p['lower']}, {p['upper']}]")
    df["weight"] = df["weight"] / df["weight"].sum()
    scenario = (path.resolve().parent / data["scenario"]).resolve()
    return Ensemble(path.resolve(), scenario, list(data.get("set", [])), params, df, data.get("provenance", {}),
                    float(1.0 / np.sum(df["weight"].to_numpy() ** 2)))


def _particle(path: Path, i: int, part: Any, params: list[dict]) -> dict:
    """One particle as a row: its parameter values (NaN for a parameter its theory does not use), ``theory`` and
    ``weight``. A particle's ``theory`` (default ``myopic``) is one of :data:`sim.scenario.schema.DECISIONS`; a
    parameter with a ``theories`` list belongs to those theories only, and a particle gives exactly the parameters
    of its theory. Raises :class:`EnsembleError` naming the file, particle and key."""
    vals = part.get("values", {}) if isinstance(part, dict) else {}
    theory = part.get("theory", "myopic") if isinstance(part, dict) else "myopic"
    if theory not in DECISIONS:
        raise EnsembleError(f"{path}: particles[{i}] key 'theory': expected one of {', '.join(DECISIONS)}, "
                            f"got {theory!r}")
    names = [p["path"] for p in params if theory in p.get("theories", DECISIONS)]
    if set(vals) != set(names):
        extra, missing = sorted(set(vals) - set(names)), [n for n in names if n not in vals]
        raise EnsembleError(f"{path}: particles[{i}] key 'values' (theory {theory}): expected {', '.join(names)}"
                            + (f"; not of this theory: {', '.join(extra)}" if extra else "")
                            + (f"; missing: {', '.join(missing)}" if missing else ""))
    w = part.get("weight")
    if isinstance(w, bool) or not isinstance(w, int | float) or not w > 0:
        raise EnsembleError(f"{path}: particles[{i}] key 'weight': expected a number > 0, got {w!r}")
    return {**{p["path"]: math.nan for p in params}, **vals, "theory": theory, "weight": float(w)}


def draw(ensemble: Ensemble, n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` particles resampled with replacement by weight (``numpy.random.default_rng(seed).choice``): one row
    per draw (``draw`` 0..n-1, ``particle`` index, a column per parameter, ``theory``). Raises ValueError for
    ``n < 1``."""
    if n < 1:
        raise ValueError(f"draws must be >= 1, got {n}")
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(ensemble.particles), size=n, replace=True, p=ensemble.particles["weight"].to_numpy())
    out = ensemble.particles.iloc[idx][[*ensemble.paths, "theory"]].reset_index(drop=True)
    out.insert(0, "particle", idx)
    out.insert(0, "draw", np.arange(n))
    return out


def refuse_drawn_overrides(ensemble: Ensemble, sets: Sequence[str], flag: str = "--posterior") -> None:
    """Raise EnsembleError when a ``--set`` names what the posterior draws set (``labs.decision`` or a fitted
    parameter of any theory in ``ensemble``): the draws would overwrite it, so it would be recorded but not used."""
    from sim.scenario.schema import parse_override

    drawn = {"labs.decision", *ensemble.paths}
    bad = [t for t in sets if ".".join(parse_override(t)[0]) in drawn]
    if bad:
        raise EnsembleError(f"--set {', '.join(bad)}: with {flag} every draw sets "
                            f"{'this' if len(bad) == 1 else 'these'} (the theory and fitted parameters of "
                            f"{ensemble.source}); drop {flag} to run your value at the point, or draw from an "
                            "ensemble fitted with it")


def draw_values(row: pd.Series | dict, paths: Sequence[str], keep: Sequence[str] = (),
                decision: str | None = None) -> dict[str, Any]:
    """The values one draw sets: its theory (``labs.decision``; :func:`sim.scenario.schema.with_values` then puts
    the mechanisms it does not use at their defaults) when the row has one and ``labs.decision`` is not in ``keep``,
    and each of ``paths`` not in ``keep`` (integer parameters rounded; NaN, a parameter its theory does not use, left
    out). ``keep``: paths a scenario sets itself, which the draw leaves as they are; ``decision``: the scenario's own
    theory when it keeps it (``labs.decision`` in ``keep``), whose unused parameters the draw leaves out too."""
    inert = {f"labs.{n}" for n in unused_parameters(decision)} if decision is not None else set()
    values: dict[str, Any] = {}
    if "theory" in row and "labs.decision" not in keep:
        values["labs.decision"] = str(row["theory"])
    for p in paths:
        v = float(row[p])
        if p in keep or p in inert or math.isnan(v):
            continue
        d = field_info(p)["default"]
        values[p] = int(round(v)) if isinstance(d, int) and not isinstance(d, bool) else v
    return values


def apply_draw(scenario: Scenario, row: pd.Series | dict, paths: Sequence[str]) -> Scenario:
    """``scenario`` with the draw's values (:func:`draw_values`)."""
    return with_values(scenario, draw_values(row, paths), source="posterior draw")


@dataclass
class PosteriorValidation:
    """Outputs of :func:`validate_posterior`: the draws, pooled run tables, statistics, table and verdicts."""

    draws: pd.DataFrame
    replications: Any  # sim.analysis.runs.Replications (replication = draw * R + r)
    stats: pd.DataFrame
    table: pd.DataFrame
    verdicts: pd.DataFrame
    targets: Any
    runs_per_draw: int
    wall_seconds: float


def validate_posterior(ensemble: Ensemble, draws: int = 50, replications: int = 2, seed: int = 0,
                       months: int = 48, overrides: Sequence[str] = (), targets=None,
                       progress: Callable[[int], None] | None = None) -> PosteriorValidation:
    """Posterior predictive check (module docstring): ``draws`` x ``replications`` runs of the ensemble's
    scenario, ``months`` months from its start (48: through 2025), compared with the targets by
    :func:`sim.analysis.validation.pattern_tables` (P1-P8). ``progress(k)`` after each run."""
    from sim.analysis.runs import run_one, seed_for, stack_replications
    from sim.analysis.validation import load_targets, pattern_tables, verdicts
    from sim.model.labs import load_roster
    from sim.scenario.schema import with_horizon

    targets = targets if targets is not None else load_targets()
    base = with_horizon(ensemble.base_scenario(overrides), months)
    roster = load_roster(base.roster_path())
    dr = draw(ensemble, draws, seed)
    t0 = time.perf_counter()
    results = []
    for i, row in dr.iterrows():
        sc = apply_draw(base, row, ensemble.paths)
        for r in range(replications):
            results.append(run_one(sc, seed_for(seed, int(i), r), roster))
            if progress:
                progress(len(results))
    reps = stack_replications(base, results, time.perf_counter() - t0)
    stats, table = pattern_tables(reps.timeseries, reps.releases, targets)
    return PosteriorValidation(dr, reps, stats, table, verdicts(table), targets, replications,
                               time.perf_counter() - t0)


# --------------------------------------------------------------------------------------------------
# policy effects over the posterior


@dataclass
class PosteriorComparison:
    """Outputs of :func:`run_posterior_comparison`: scenario names (the first is the reference), the resolved
    scenarios (at the ensemble's base values), the draws, the stacked time series (columns scenario, draw,
    replication = draw * R + r, month, date and the metrics), R, the base seed and the wall time."""

    names: list[str]
    scenarios: list[Scenario]
    draws: pd.DataFrame
    timeseries: pd.DataFrame
    replications: int
    base_seed: int
    wall_seconds: float


def _own_paths(scenario: Scenario, base: Scenario, paths: Sequence[str]) -> list[str]:
    """The free-parameter paths a scenario sets to a value of its own (different from the ensemble's base), and
    ``labs.decision`` when it sets its own theory (then the parameters that theory does not use are not its own:
    they have no effect)."""
    def current(sc: Scenario, path: str) -> float:
        obj: Any = sc
        for part in path.split("."):
            obj = obj[part] if isinstance(obj, dict) else getattr(obj, part)
        return float(obj)

    own_decision = scenario.labs.decision != base.labs.decision
    inert = {f"labs.{n}" for n in unused_parameters(scenario.labs.decision)} if own_decision else set()
    own = [p for p in paths
           if p not in inert and not np.isclose(current(scenario, p), current(base, p), rtol=1e-12, atol=0.0)]
    return own + (["labs.decision"] if own_decision else [])


def kept_paths(scenarios: Sequence[Scenario], ensemble: Ensemble) -> list[list[str]]:
    """Per scenario, what it sets itself among what the draws set (a fitted parameter at a value of its own, or its
    own ``labs.decision``): :func:`run_posterior_comparison` keeps those in every draw of that scenario. Raises
    ScenarioError when the ensemble's own scenario does not load (:meth:`Ensemble.base_scenario`)."""
    base = ensemble.base_scenario()
    return [_own_paths(sc, base, ensemble.paths) for sc in scenarios]


def _run_cell(args: tuple) -> pd.DataFrame:
    """One (draw, scenario) cell: ``R`` runs with seeds ``seed_for(seed, draw, r)``; the metrics' time series."""
    from sim.analysis.runs import run_one, seed_for

    scenario, values, draw_i, reps, seed, columns, roster = args
    sc = with_values(scenario, values, source="posterior draw") if values else scenario
    out = []
    for r in range(reps):
        ts = run_one(sc, seed_for(seed, draw_i, r), roster).timeseries
        out.append(ts[[c for c in ("month", "date", *columns) if c in ts]].assign(draw=draw_i,
                                                                                   replication=draw_i * reps + r))
    return pd.concat(out, ignore_index=True)


def run_posterior_comparison(scenarios: Sequence[Scenario], ensemble: Ensemble, draws: int = 50,
                             replications: int = 10, seed: int | None = None, names: Sequence[str] | None = None,
                             metrics: Sequence[str] | None = None, workers: int = 1,
                             progress: Callable[[int], None] | None = None,
                             scheduler: str | None = None) -> PosteriorComparison:
    """Run every scenario for ``draws`` posterior draws x ``replications`` runs with common random numbers
    (module docstring). A scenario keeps its own value of a free parameter it sets (it differs from the
    ensemble's base scenario); the others take the draw's. ``workers`` > 1: cells (draw, scenario) in that many
    processes; ``scheduler``: a Dask scheduler address (``tcp://host:8786``) whose workers run the cells instead
    (they need aieco installed). ``progress(runs done)`` after each cell. Raises ValueError for fewer than two
    scenarios."""
    from sim.analysis.compare import unique_names
    from sim.model.labs import load_roster
    from sim.model.metrics import HEADLINE_METRICS

    if len(scenarios) < 2:
        raise ValueError("a comparison needs a reference and at least one other scenario")
    labels = unique_names(list(names) if names is not None else [s.name for s in scenarios])
    base_seed = int(scenarios[0].seed if seed is None else seed)
    own = kept_paths(scenarios, ensemble)
    dr = draw(ensemble, draws, base_seed)
    cols = list(metrics or HEADLINE_METRICS)
    rosters = {str(s.roster_path()): load_roster(s.roster_path()) for s in scenarios}
    tasks = []
    for i, row in dr.iterrows():
        for j, sc in enumerate(scenarios):
            values = draw_values(row, ensemble.paths, keep=own[j],
                                 decision=sc.labs.decision if "labs.decision" in own[j] else None)
            tasks.append((j, (sc, values, int(i), replications, base_seed, cols, rosters[str(sc.roster_path())])))
    t0 = time.perf_counter()
    parts: list[pd.DataFrame] = [None] * len(tasks)  # type: ignore[list-item]
    done = 0
    if scheduler:
        from distributed import Client, as_completed

        with Client(scheduler) as client:
            futures = {client.submit(_run_cell, args, pure=False): k for k, (_, args) in enumerate(tasks)}
            for fut in as_completed(futures):
                k = futures[fut]
                parts[k] = fut.result().assign(scenario=labels[tasks[k][0]])
                done += replications
                if progress:
                    progress(done)
    elif workers > 1:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn")) as ex:
            for k, res in enumerate(ex.map(_run_cell, [t[1] for t in tasks], chunksize=max(1, len(tasks) // (8 * workers)))):
                parts[k] = res.assign(scenario=labels[tasks[k][0]])
                done += replications
                if progress:
                    progress(done)
    else:
        for k, (j, args) in enumerate(tasks):
            parts[k] = _run_cell(args).assign(scenario=labels[j])
            done += replications
            if progress:
                progress(done)
    ts = pd.concat(parts, ignore_index=True)
    ts = ts[["scenario", "draw", "replication", *[c for c in ts.columns if c not in ("scenario", "draw", "replication")]]]
    return PosteriorComparison(labels, list(scenarios), dr, ts, replications, base_seed, time.perf_counter() - t0)


def _q(v: np.ndarray, interval: float) -> tuple[float, float]:
    v = v[np.isfinite(v)]
    if not v.size:
        return math.nan, math.nan
    lo, hi = np.quantile(v, [(1 - interval) / 2, 1 - (1 - interval) / 2])
    return float(lo), float(hi)


def posterior_effects(comp: PosteriorComparison, metrics: Sequence[str] | None = None,
                      interval: float = 0.90) -> pd.DataFrame:
    """Effects of each scenario against the reference over the posterior (module docstring).

    One row per (metric, scenario, effect) with ``effect`` in horizon, mean, peak; ``from_month`` (first policy
    change, :func:`sim.analysis.compare.first_policy_month`); ``median``, ``lo``, ``hi`` (over draws of the per-draw
    effect, each a mean over its R runs); ``spread_lo``, ``spread_hi`` (over all runs; for the peak, of the runs'
    differences at their draw's peak month); ``sign_share`` (share of draws whose effect has the median's sign;
    NaN when the median is 0); ``month_median``, ``month_lo``, ``month_hi`` (peak: its month index over draws);
    ``n_draws`` and ``runs``. Units are the metric's."""
    from sim.analysis.compare import difference_paths, first_policy_month
    from sim.model.metrics import HEADLINE_METRICS

    names = comp.names
    ts = comp.timeseries
    metrics = [m for m in (metrics or HEADLINE_METRICS) if m in ts.columns]
    months = np.sort(ts["month"].unique())
    ref = comp.scenarios[0]
    starts = {n: first_policy_month(ref, s) for n, s in zip(names[1:], comp.scenarios[1:], strict=True)}
    n_draws, R = len(comp.draws), comp.replications
    rows = []
    for m in metrics:
        paths = difference_paths(ts, names, m)  # (n_draws * R, T), replications in order draw * R + r
        for j, name in enumerate(names[1:], start=1):
            d = paths[name]
            if d.shape[0] != n_draws * R:
                raise ValueError(f"{name}: {d.shape[0]} paired runs, expected {n_draws} x {R}")
            f0 = int(min(max(starts[name] or 0, 0), len(months) - 1))
            win = d[:, f0:].reshape(n_draws, R, -1)
            with np.errstate(all="ignore"):
                per_run = {"horizon": d[:, -1], "mean": np.nanmean(win, axis=2).ravel()}
            base = {"metric": m, "scenario": name, "scenario_index": j, "from_month": f0,
                    "n_draws": n_draws, "runs": n_draws * R}
            for eff, v in per_run.items():
                with np.errstate(all="ignore"):
                    by_draw = np.nanmean(v.reshape(n_draws, R), axis=1)
                med = float(np.nanmedian(by_draw)) if np.isfinite(by_draw).any() else math.nan
                lo, hi = _q(by_draw, interval)
                slo, shi = _q(v, interval)
                rows.append({**base, "effect": eff, "median": med, "lo": lo, "hi": hi, "spread_lo": slo,
                             "spread_hi": shi, "sign_share": _sign_share(by_draw, med),
                             "month_median": float(months[-1]) if eff == "horizon" else math.nan,
                             "month_lo": math.nan, "month_hi": math.nan})
            with np.errstate(all="ignore"):
                mean_path = np.nanmean(win, axis=1)  # (n_draws, T'): each draw's mean path
            ok = np.isfinite(mean_path).any(axis=1)
            k = np.where(ok, np.nanargmax(np.abs(np.where(np.isfinite(mean_path), mean_path, 0.0)), axis=1), 0)
            peak = np.where(ok, mean_path[np.arange(n_draws), k], np.nan)
            at = win[np.arange(n_draws), :, k].ravel()  # each run at its draw's peak month
            med = float(np.nanmedian(peak)) if ok.any() else math.nan
            lo, hi = _q(peak, interval)
            slo, shi = _q(at, interval)
            mk = (k + f0).astype(float)[ok]
            mlo, mhi = _q(mk, interval)
            rows.append({**base, "effect": "peak", "median": med, "lo": lo, "hi": hi, "spread_lo": slo,
                         "spread_hi": shi, "sign_share": _sign_share(peak, med),
                         "month_median": float(np.median(mk)) if mk.size else math.nan, "month_lo": mlo,
                         "month_hi": mhi})
    out = pd.DataFrame(rows)
    dates = ts.drop_duplicates("month").set_index("month")["date"] if "date" in ts else None
    out["date"] = [dates.get(int(round(x)), "") if dates is not None and np.isfinite(x) else ""
                   for x in out["month_median"]]
    return out


def _sign_share(v: np.ndarray, median: float) -> float:
    v = v[np.isfinite(v)]
    if not v.size or not np.isfinite(median) or median == 0:
        return math.nan
    return float(np.mean(np.sign(v) == np.sign(median)))
