"""Calibration: fit a handful of weakly constrained parameters to the 2022-2024 targets; 2025 is held out.

A calibration **spec** (TOML, e.g. ``experiments/calibration.toml``) names the scenario, the free parameters
with their bounds and reasons, the replications, the distance and the optimiser (:func:`load_spec`).
:func:`calibrate` then minimises the distance with ``scipy.optimize`` and :func:`write_calibrated_scenario`
writes the fitted values as a scenario that others can ``extends``.

**Distance** (:func:`distance`), computed on the calibration years only (default 2022-2024)::

    D = w1 * mean_{r in CN,US; y} ((s_sim(r,y) - s_emp(r,y)) / share_scale)^2        P1
      + w2 * mean_{y} ((L_sim(y) - L_emp(y)) / lag_scale_months)^2                   P2
      + w3 * ((mean log10 G_sim - log10 G_emp) / growth_scale_log10)^2               P3

- ``s_sim`` is the mean over replications of the *expected* open share of a region's releases in the year
  (the mean release probability ``p_open``; the realised share has the same expectation but is a step
  function of the parameters under common random numbers); ``s_emp`` is the empirical share (definition
  ``p1_definition``, default UNRELEASED counted as not open, see :mod:`sim.analysis.validation`).
- ``L_sim`` is the mean over replications of the yearly mean of ``open_closed_compute_lag_months``
  (:data:`sim.analysis.validation.P2_COLUMN`); ``L_emp`` Epoch's
  yearly mean lag in training compute.
- ``G_sim`` is the frontier training compute growth per year fitted from 2022-01 to the last calibration year
  (one value per replication, :func:`sim.analysis.validation.frontier_growth`); ``G_emp`` the headline empirical growth
  (running top-5 models, 2018-2025).
- Scales default to the validation tolerances (0.10 share, 6 months) and a factor 1.5 in growth
  (``log10 1.5``); pattern weights default to 1. Items with no simulated or empirical value are skipped.
  ``D = 0`` exactly when every simulated statistic equals its target.

**Common random numbers**: every candidate runs the same replication seeds ``seed_for(seed, r)``,
``r = 0..R-1``, so differences between candidates are not sampling noise. The final check runs the fitted
scenario with fresh seeds (``seed_for(seed + 1, r)``) and, if set, more developers and replications.

Optimisers: ``differential_evolution`` (default; global, robust to the residual discreteness of release
decisions; fixed ``seed``; population ``popsize x n_parameters``; ``maxiter`` generations) or
``nelder-mead`` (local, from the scenario's current values, ``maxiter`` evaluations at most).
"""

from __future__ import annotations

import math
import time
import tomllib
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim import REGIONS
from sim.analysis.calibration_spec import (
    CalibrationError,
    CalibrationSpec,
    DistanceSettings,
    Parameter,
    load_spec,
)
from sim.analysis.validation import (
    CALIBRATION_YEARS,
    P1_REGIONS,
    Targets,
    compare,
    load_targets,
    simulated_statistics,
    verdicts,
)
from sim.scenario.schema import Scenario, field_info, load_scenario, with_values

__all__ = [
    "CalibrationError",
    "CalibrationResult",
    "CalibrationSpec",
    "DistanceSettings",
    "Objective",
    "Parameter",
    "calibrate",
    "distance",
    "load_spec",
    "write_calibrated_scenario",
    "write_fit_report",
]

# --------------------------------------------------------------------------------------------------
# distance


def distance(stats: pd.DataFrame, targets: Targets, years: Sequence[int] = CALIBRATION_YEARS,
             settings: DistanceSettings | None = None) -> tuple[float, dict[str, float]]:
    """The calibration distance of per-replication statistics (:func:`sim.analysis.validation.simulated_statistics`
    layout: pattern, region, year, replication, value) from ``targets`` over ``years``.

    Returns ``(D, parts)`` with ``parts = {"P1": ..., "P2": ..., "P3": ...}`` the weighted pattern terms
    (NaN-free: a pattern without comparable items contributes 0 and is listed as NaN in ``parts``). See the
    module docstring for the formula."""
    st = settings or DistanceSettings()
    years = list(years)
    parts: dict[str, float] = {}
    p1 = stats[(stats["pattern"] == "P1") & stats["year"].isin(years)]
    z = []
    for (reg, y), g in p1.groupby(["region", "year"]):
        if reg not in P1_REGIONS:
            continue
        t = targets.share(reg, int(y))
        s = float(np.nanmean(g["value"])) if g["value"].notna().any() else math.nan
        if t is not None and np.isfinite(s) and np.isfinite(t["share"]):
            z.append((s - float(t["share"])) / st.share_scale)
    parts["P1"] = st.weights["P1"] * float(np.mean(np.square(z))) if z else math.nan
    p2 = stats[(stats["pattern"] == "P2") & stats["year"].isin(years)]
    z = []
    for y, g in p2.groupby("year"):
        emp = targets.lag_mean(int(y))
        s = float(np.nanmean(g["value"])) if g["value"].notna().any() else math.nan
        if np.isfinite(s) and np.isfinite(emp):
            z.append((s - emp) / st.lag_scale_months)
    parts["P2"] = st.weights["P2"] * float(np.mean(np.square(z))) if z else math.nan
    p3 = stats[(stats["pattern"] == "P3") & (stats["year"] == max(years))]
    v = p3["value"].to_numpy(float)
    v = v[np.isfinite(v) & (v > 0)]
    g_emp = float(targets.headline_growth["growth"])
    if v.size and np.isfinite(g_emp) and g_emp > 0:
        parts["P3"] = st.weights["P3"] * ((np.mean(np.log10(v)) - math.log10(g_emp)) / st.growth_scale_log10) ** 2
    else:
        parts["P3"] = math.nan
    total = float(sum(x for x in parts.values() if np.isfinite(x)))
    return total, parts


# --------------------------------------------------------------------------------------------------
# objective


def run_tables(scenario: Scenario, seeds: Sequence[int], roster: pd.DataFrame | None = None
               ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run ``scenario`` once per seed; return the stacked (timeseries, releases) with a ``replication`` column."""
    from sim.model.ecosystem import EcosystemModel

    ts, rel = [], []
    for r, seed in enumerate(seeds):
        m = EcosystemModel(scenario, seed=seed, roster=roster).run()
        ts.append(m.timeseries().assign(replication=r))
        rel.append(m.release_log().assign(replication=r))
    return pd.concat(ts, ignore_index=True), pd.concat(rel, ignore_index=True)


class Objective:
    """Picklable objective: parameter vector -> distance, with common random numbers (fixed seeds)."""

    def __init__(self, base: Scenario, parameters: Sequence[Parameter], seeds: Sequence[int], targets: Targets,
                 years: Sequence[int], settings: DistanceSettings, roster: pd.DataFrame | None = None):
        self.base, self.parameters, self.seeds = base, list(parameters), list(seeds)
        self.targets, self.years, self.settings = targets, tuple(years), settings
        if roster is None:
            from sim.model.labs import load_roster

            roster = load_roster(base.roster_path())
        self.roster = roster

    def scenario(self, x: Sequence[float]) -> Scenario:
        values = {p.path: _cast(p.path, float(v)) for p, v in zip(self.parameters, x, strict=True)}
        return with_values(self.base, values, source="calibration candidate")

    def evaluate(self, x: Sequence[float]) -> tuple[float, dict[str, float]]:
        ts, rel = run_tables(self.scenario(x), self.seeds, self.roster)
        stats = simulated_statistics(ts, rel, years=self.years, statistic="expected")
        return distance(stats, self.targets, self.years, self.settings)

    def __call__(self, x: Sequence[float]) -> float:
        return self.evaluate(x)[0]


def _cast(path: str, value: float) -> float | int:
    default = field_info(path)["default"]
    return int(round(value)) if isinstance(default, int) and not isinstance(default, bool) else value


def _current(scenario: Scenario, path: str) -> float:
    obj: Any = scenario
    for part in path.split("."):
        obj = obj[part] if isinstance(obj, dict) else getattr(obj, part)
    return float(obj)


@dataclass
class CalibrationResult:
    """What :func:`calibrate` found and checked."""

    spec: CalibrationSpec
    fitted: dict[str, float]
    start: dict[str, float]
    distance: float
    parts: dict[str, float]
    start_distance: float
    start_parts: dict[str, float]
    history: pd.DataFrame
    seeds: list[int]
    n_evaluations: int
    wall_seconds: float
    message: str
    check_table: pd.DataFrame
    check_verdicts: pd.DataFrame
    check_distance: float
    check_parts: dict[str, float]
    heldout_distance: float
    heldout_parts: dict[str, float]
    diagnostics: pd.DataFrame
    targets: Targets
    check_stats: pd.DataFrame
    check_timeseries: pd.DataFrame
    scenario: Scenario  # the fitted scenario at check size


def _base_scenario(spec: CalibrationSpec, n: int | None) -> Scenario:
    sc = load_scenario(spec.scenario, spec.sets)
    values: dict[str, Any] = {"months": spec.months}
    if n is not None:
        values["developers.n"] = n
    if spec.seed is not None:
        values["seed"] = spec.seed
    return with_values(sc, values, source=f"{spec.source} (months/developers_n/seed)")


def release_diagnostics(releases: pd.DataFrame, years: Sequence[int]) -> pd.DataFrame:
    """Mean release-decision terms per region over ``years``: p_open, the normalised payoff difference
    ``(pi_open - pi_closed) / (|pi_open| + |pi_closed|)``, counterfactual shares if open / if closed and their
    ratio, and the realised open share. Explains why a region's labs open or not."""
    rel = releases.assign(year=releases["date"].astype(str).str[:4].astype(int))
    rel = rel[rel["year"].isin(list(years))]
    denom = rel["pi_open"].abs() + rel["pi_closed"].abs()
    rel = rel.assign(x=np.where(denom > 0, (rel["pi_open"] - rel["pi_closed"]) / denom.where(denom > 0, 1.0), 0.0),
                     is_open=(rel["strategy"] == "OPEN").astype(float))
    g = rel.groupby("region")
    out = pd.DataFrame({"releases": g.size(), "p_open": g["p_open"].mean(), "payoff_diff_norm": g["x"].mean(),
                        "share_if_open": g["share_open"].mean(), "share_if_closed": g["share_closed"].mean(),
                        "realised_open_share": g["is_open"].mean()})
    out["share_ratio"] = out["share_if_open"] / out["share_if_closed"]
    return out.reindex([r for r in REGIONS if r in out.index]).reset_index()


def calibrate(spec: CalibrationSpec, echo: Callable[[str], None] | None = None,
              progress: Callable[[int, int, float], None] | None = None) -> CalibrationResult:
    """Run the calibration described by ``spec``: minimise :func:`distance` over the free parameters, then
    check the fit with fresh seeds at check size on calibration and held-out years.

    ``echo(msg)`` receives status lines; ``progress(done, total, best)`` is called after each batch of
    evaluations. Raises :class:`CalibrationError`, ``ScenarioError``, ``ValidationInputError`` or
    ``RosterError`` on bad input."""
    from sim.analysis.runs import seed_for

    say = echo or (lambda _m: None)
    t0 = time.perf_counter()
    targets = load_targets(spec.targets, spec.distance.p1_definition)
    base = _base_scenario(spec, spec.developers_n)
    seeds = [seed_for(base.seed, r) for r in range(spec.replications)]
    obj = Objective(base, spec.parameters, seeds, targets, spec.calibration_years, spec.distance)
    start = {p.path: _current(base, p.path) for p in spec.parameters}
    x_start = np.array([min(max(start[p.path], p.lower), p.upper) for p in spec.parameters])
    start_d, start_parts = obj.evaluate(x_start)
    say(f"start {_fmt_values(spec.parameters, x_start)}: distance {start_d:.3f} {_fmt_parts(start_parts)}")
    res, hist = _optimise(spec, obj, x_start, start_d, progress)
    i_best = int(hist["distance"].idxmin())
    x_best = hist.loc[i_best, [p.path for p in spec.parameters]].to_numpy(float)
    x_best = np.array([float(f"{v:.4g}") for v in x_best])  # the values written to the scenario file
    d_best, parts_best = obj.evaluate(x_best)
    fitted = {p.path: _cast(p.path, float(v)) for p, v in zip(spec.parameters, x_best, strict=True)}
    say(f"best {_fmt_values(spec.parameters, x_best)}: distance {d_best:.3f} {_fmt_parts(parts_best)} "
        f"after {len(hist) - 1} evaluations ({res.message})")
    check = _check_fit(spec, fitted, base.seed, targets, obj.roster, say)
    return CalibrationResult(
        spec=spec, fitted=fitted, start={k: float(v) for k, v in start.items()}, distance=d_best, parts=parts_best,
        start_distance=start_d, start_parts=start_parts, history=hist, seeds=seeds, n_evaluations=len(hist) - 1,
        wall_seconds=time.perf_counter() - t0, message=str(res.message), targets=targets, **check)


def _optimise(spec: CalibrationSpec, obj: Objective, x_start: np.ndarray, start_d: float,
              progress: Callable[[int, int, float], None] | None) -> tuple[Any, pd.DataFrame]:
    """Minimise ``obj`` from ``x_start`` with the spec's method (differential evolution or Nelder-Mead), its
    evaluations on ``spec.workers`` processes. Returns (scipy's result, every evaluation: parameters, distance)."""
    from scipy import optimize

    history: list[tuple] = [(0, *x_start, start_d)]
    dim = len(spec.parameters)
    bounds = [(p.lower, p.upper) for p in spec.parameters]
    total = (spec.maxiter + 1) * spec.popsize * dim if spec.method == "differential_evolution" else spec.maxiter
    best = [start_d]
    executor = None
    if spec.workers > 1:
        import multiprocessing as mp

        executor = ProcessPoolExecutor(spec.workers, mp_context=mp.get_context("spawn"))

    def mapper(fn, xs):  # evaluates a batch and records it
        xs = list(xs)
        fs = list(executor.map(fn, xs)) if executor is not None else [fn(x) for x in xs]
        for x, f in zip(xs, fs, strict=True):
            history.append((len(history), *np.asarray(x, float), float(f)))
            best[0] = min(best[0], float(f))
        if progress:
            progress(len(history) - 1, total, best[0])
        return fs

    try:
        if spec.method == "differential_evolution":
            res = optimize.differential_evolution(
                obj, bounds, maxiter=spec.maxiter, popsize=spec.popsize, seed=spec.optimizer_seed, tol=0.0,
                atol=0.0, polish=False, init="sobol" if _is_pow2(spec.popsize * dim) else "latinhypercube",
                updating="deferred", workers=mapper, x0=x_start)
        else:
            def single(x):
                x = np.clip(x, [b[0] for b in bounds], [b[1] for b in bounds])
                return mapper(obj, [x])[0]

            res = optimize.minimize(single, x_start, method="Nelder-Mead", bounds=bounds,
                                    options={"maxfev": spec.maxiter, "xatol": 1e-3, "fatol": 1e-4})
    finally:
        if executor is not None:
            executor.shutdown()
    return res, pd.DataFrame(history, columns=["evaluation", *[p.path for p in spec.parameters], "distance"])


def _check_fit(spec: CalibrationSpec, fitted: dict[str, float], base_seed: int, targets: Targets,
               roster: pd.DataFrame | None, say: Callable[[str], None]) -> dict[str, Any]:
    """The check of a fit: the fitted scenario at check size with fresh seeds, on the calibration and held-out
    years: the comparison table and its verdicts, the distances in and out of sample, the release diagnostics."""
    from sim.analysis.runs import seed_for

    check_sc = with_values(_base_scenario(spec, spec.check_developers_n), fitted, source="fitted values")
    check_seeds = [seed_for(base_seed + 1, r) for r in range(spec.check_replications)]
    say(f"check: {spec.check_replications} replications x {check_sc.developers.n} developers, fresh seeds")
    ts, rel = run_tables(check_sc, check_seeds, roster)
    years = tuple(sorted(set(spec.calibration_years) | set(spec.heldout_years)))
    stats = simulated_statistics(ts, rel, years=years)
    table = compare(stats, targets, years)
    exp_stats = simulated_statistics(ts, rel, years=years, statistic="expected")
    check_d, check_parts = distance(exp_stats, targets, spec.calibration_years, spec.distance)
    held_stats = exp_stats[~((exp_stats["pattern"] == "P3") & (exp_stats["year"] != max(spec.heldout_years)))]
    held_d, held_parts = distance(held_stats, targets, spec.heldout_years, spec.distance)
    return {"check_table": table, "check_verdicts": verdicts(table), "check_distance": check_d,
            "check_parts": check_parts, "heldout_distance": held_d, "heldout_parts": held_parts,
            "diagnostics": release_diagnostics(rel, years), "check_stats": stats, "check_timeseries": ts,
            "scenario": check_sc}


def _is_pow2(n: int) -> bool:
    return n > 0 and (n & (n - 1)) == 0


def _fmt_values(params: Sequence[Parameter], x: Sequence[float]) -> str:
    return ", ".join(f"{p.path}={v:.4g}" for p, v in zip(params, x, strict=True))


def _fmt_parts(parts: dict[str, float]) -> str:
    return "(" + ", ".join(f"{k} {v:.3f}" for k, v in parts.items()) + ")"


# --------------------------------------------------------------------------------------------------
# outputs


def toml_value(v: Any) -> str:
    """A TOML literal for ``v`` (bool, int, float to 4 significant digits, or str). Raises TypeError otherwise."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(float(f"{v:.4g}"))
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def fitted_tables(base: Scenario, fitted: dict[str, float]) -> dict[str, dict[str, Any]]:
    """Nested TOML tables for the fitted values. A per-region dict parameter (e.g.
    ``developers.foreign_distrust.US``) is written whole, other regions from ``base``, because a TOML
    table replaces the whole dict."""
    tables: dict[str, dict[str, Any]] = {}
    for path, value in fitted.items():
        parts = path.split(".")
        if len(parts) == 3 and parts[2] in REGIONS:
            section, key, region = parts
            full = dict(getattr(getattr(base, section), key))
            prev = tables.setdefault(f"{section}.{key}", {})
            merged = {r: prev.get(r, float(full[r])) for r in REGIONS}
            merged[region] = value
            tables[f"{section}.{key}"] = merged
        elif len(parts) == 2:
            tables.setdefault(parts[0], {})[parts[1]] = value
        else:
            raise CalibrationError(f"cannot write parameter path {path!r} to a scenario file")
    return tables


def write_calibrated_scenario(result: CalibrationResult, path: str | Path | None = None, command: str = "") -> Path:
    """Write the fitted values as a scenario TOML (default ``spec.output``) with a header comment: command,
    date, git commit, distance, data citation, and the held-out check."""
    from sim.analysis.provenance import git_commit
    from sim.empirical.epoch import EPOCH_CITATION

    spec = result.spec
    out = Path(path) if path is not None else spec.output
    git = git_commit()
    v = result.check_verdicts.set_index("pattern")["passed"]
    head = [
        "# Calibrated parameters (issue 3): written by `aieco calibrate`; do not edit by hand, rerun instead.",
        f"# Command: {command or 'aieco calibrate ' + str(spec.source)}",
        f"# Date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}; git commit {git.get('commit')}"
        f"{' (dirty tree)' if git.get('dirty') else ''}",
        f"# Fit: {spec.method}, {result.n_evaluations} evaluations, {spec.replications} replications per candidate "
        f"(common random numbers), {result.scenario.months} months, targets {spec.calibration_years[0]}-"
        f"{spec.calibration_years[-1]}.",
        f"# Distance {result.distance:.4f} {_fmt_parts(result.parts)}; at the previous values "
        f"{result.start_distance:.4f}.",
        f"# Check ({spec.check_replications} fresh replications): distance {result.check_distance:.4f}; held-out "
        f"{'/'.join(map(str, spec.heldout_years))} distance {result.heldout_distance:.4f}; patterns "
        + ", ".join(f"{k} {'pass' if ok else 'fail'}" for k, ok in v.items()) + ".",
        f"# Targets: data/targets/ derived from {EPOCH_CITATION}.",
        "# Free parameters and why they are free: see the calibration spec; the fit report is in "
        f"{_rel(spec.out_dir)}/.",
        "",
        'name = "calibrated"',
        'description = "Parameters fitted by aieco calibrate to the 2022-2024 Epoch targets (P1-P3); '
        'scenarios/baseline.toml extends this file."',
        "",
    ]
    body = []
    for table, values in fitted_tables(load_scenario(spec.scenario), result.fitted).items():
        body.append(f"[{table}]")
        for k, val in values.items():
            body.append(f"{k} = {toml_value(val)}")
        body.append("")
    out.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join(head + body)
    tomllib.loads(text)  # never write a file that does not parse
    out.write_text(text, encoding="utf-8")
    return out


def _rel(p: Path) -> str:
    try:
        return str(p.relative_to(Path.cwd()))
    except ValueError:
        return str(p)


def _md_table(df: pd.DataFrame) -> str:
    def cell(v: Any) -> str:
        return f"{v:.3f}" if isinstance(v, float) else str(v)

    rows = ["| " + " | ".join(map(str, df.columns)) + " |", "|" + "---|" * len(df.columns)]
    rows += ["| " + " | ".join(cell(v) for v in r) + " |" for r in df.itertuples(index=False)]
    return "\n".join(rows)


def write_fit_report(result: CalibrationResult, out_dir: str | Path | None = None, command: str = "",
                     formats: Sequence[str] = ("png", "pdf"), figures: Callable[..., list[Path]] | None = None
                     ) -> list[Path]:
    """Write ``fit.md``, ``fit_parameters.csv``, ``fit_history.csv``, ``check_table.csv``,
    ``diagnostics.csv``, ``manifest.json`` and (optionally) the validation figures of the check run into
    ``out_dir`` (default ``spec.out_dir``). Returns the written paths.

    ``figures``: the function that draws the check run's validation figures (the CLI passes
    :func:`sim.plots.validation.draw_validation_figures`; this layer draws nothing); None draws none."""
    from sim.analysis.provenance import write_json_atomic

    spec = result.spec
    out = Path(out_dir) if out_dir is not None else spec.out_dir
    out.mkdir(parents=True, exist_ok=True)
    prm = _parameter_table(result)
    paths = []
    for name, df in (("fit_parameters.csv", prm), ("fit_history.csv", result.history),
                     ("check_table.csv", result.check_table), ("diagnostics.csv", result.diagnostics)):
        df.to_csv(out / name, index=False, float_format="%.6g")
        paths.append(out / name)
    manifest = _fit_manifest(result)
    write_json_atomic(out / "manifest.json", manifest)
    paths.append(out / "manifest.json")
    (out / "fit.md").write_text("\n".join(_fit_markdown(result, prm, command)), encoding="utf-8")
    paths.append(out / "fit.md")
    if figures:
        prov = {k: manifest[k] for k in ("command", "versions", "git", "created")}
        prov.update({"results": str(out), "seeds_check": "seed_for(seed + 1, r)"})
        paths += figures(result.check_timeseries, result.check_stats, result.targets,
                         out / "figures", "calibrated (check)", formats, prov)
    return paths


def _parameter_table(result: CalibrationResult) -> pd.DataFrame:
    """Per free parameter: bounds, previous and fitted values, whether the fit is at a bound, unit, why free."""
    return pd.DataFrame([{"path": p.path, "lower": p.lower, "upper": p.upper, "start": result.start[p.path],
                          "fitted": result.fitted[p.path],
                          "at_bound": bool(np.isclose(result.fitted[p.path], [p.lower, p.upper], rtol=0,
                                                      atol=1e-3 * (p.upper - p.lower)).any()),
                          "unit": field_info(p.path)["unit"], "why": p.why} for p in result.spec.parameters])


def _fit_manifest(result: CalibrationResult) -> dict[str, Any]:
    from sim.analysis.provenance import base_manifest

    spec = result.spec
    manifest = base_manifest("calibration")
    manifest.update({"spec": str(spec.source), "scenario_file": str(spec.scenario), "output": str(spec.output),
                     "fitted": result.fitted, "start": result.start, "distance": result.distance,
                     "parts": result.parts, "start_distance": result.start_distance, "seeds": result.seeds,
                     "check_distance": result.check_distance, "heldout_distance": result.heldout_distance,
                     "n_evaluations": result.n_evaluations, "wall_seconds": round(result.wall_seconds, 2),
                     "optimizer": {"method": spec.method, "maxiter": spec.maxiter, "popsize": spec.popsize,
                                   "seed": spec.optimizer_seed, "workers": spec.workers,
                                   "message": result.message},
                     "scenario": result.scenario.resolved_dict()})
    return manifest


def _fit_markdown(result: CalibrationResult, prm: pd.DataFrame, command: str) -> list[str]:
    """The lines of ``fit.md``: the run, the parameters, the check's verdicts and table, 2025 held out and the
    release decisions by region."""
    spec = result.spec
    lines = [
        "# Calibration fit report", "",
        f"- Command: `{command or 'aieco calibrate ' + str(spec.source)}`",
        f"- Spec: `{spec.source}`; scenario `{spec.scenario}`; written: `{spec.output}`",
        f"- Optimiser: {spec.method} (maxiter {spec.maxiter}, popsize {spec.popsize}, seed {spec.optimizer_seed}, "
        f"workers {spec.workers}): {result.n_evaluations} evaluations in {result.wall_seconds:.0f} s; {result.message}",
        f"- Fit size: {spec.replications} replications per candidate with common random numbers, "
        f"{spec.developers_n or 'scenario'} developers, {spec.months} months from 2022-01; calibration years "
        f"{', '.join(map(str, spec.calibration_years))}; held out {', '.join(map(str, spec.heldout_years))}.",
        f"- Distance at the previous values {result.start_distance:.4f} {_fmt_parts(result.start_parts)}; "
        f"fitted {result.distance:.4f} {_fmt_parts(result.parts)}.",
        f"- Check at {result.scenario.developers.n} developers, {spec.check_replications} fresh replications: "
        f"calibration-years distance {result.check_distance:.4f} {_fmt_parts(result.check_parts)}; held-out "
        f"distance {result.heldout_distance:.4f} {_fmt_parts(result.heldout_parts)}.",
        f"- Distance scales: share {spec.distance.share_scale:g}, lag {spec.distance.lag_scale_months:g} months, "
        f"growth {spec.distance.growth_scale_log10:.3f} log10 units; weights {spec.distance.weights}; P1 definition "
        f"`{spec.distance.p1_definition}`.", "",
        "## Parameters", "", "| parameter | unit | bounds | previous | fitted | at bound | why free |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in prm.itertuples(index=False):
        lines.append(f"| `{r.path}` | {r.unit} | [{r.lower:g}, {r.upper:g}] | {r.start:.4g} | {r.fitted:.4g} | "
                     f"{'yes' if r.at_bound else 'no'} | {r.why} |")
    return lines + _check_markdown(result)


def _check_markdown(result: CalibrationResult) -> list[str]:
    """``fit.md``'s check sections: verdicts, the table, the held-out rows and the release decisions."""
    from sim.analysis.validation import display_rows, tolerance_text

    lines = ["", "## Check: simulated vs empirical (realised release shares)", "",
             "| pattern | verdict | criteria | levels |", "|---|---|---|---|"]
    for v in result.check_verdicts.itertuples(index=False):
        lines.append(f"| {v.pattern} | {'PASS' if v.passed else 'FAIL'} | {v.criteria_passed}/{v.criteria} | "
                     f"{v.levels_passed}/{v.levels} |")
    lines += [""] + [f"- {k}: {t}" for k, t in tolerance_text(result.targets).items()] + [""]
    hdr = ["pattern", "kind", "item", "role", "simulated median [5%, 95%]", "sim. mean", "empirical [90%]", "alt.",
           "tolerance", "verdict"]
    lines += ["| " + " | ".join(hdr) + " |", "|" + "---|" * len(hdr)]
    lines += ["| " + " | ".join(r) + " |" for r in display_rows(result.check_table)]
    held = result.check_table[result.check_table["role"] == "held-out"]
    lines += ["", "## Held-out 2025", ""]
    for r in held.itertuples(index=False):
        verdict = "n/a" if pd.isna(r.passed) else ("pass" if r.passed else "fail")
        lines.append(f"- {r.item}: simulated mean {r.sim_mean:.3g} (median {r.sim_median:.3g}) vs empirical "
                     f"{r.empirical:.3g}: {verdict}")
    return lines + ["", "## Release decisions by region (check run, 2022-2025 means)", "",
                    "`payoff_diff_norm` = (pi_open - pi_closed) / (|pi_open| + |pi_closed|), the term multiplied "
                    "by `labs.beta`; `share_if_open` / `share_if_closed`: counterfactual market shares of the "
                    "release.", "", _md_table(result.diagnostics), "",
                    "Data: Epoch AI, 'Data on AI Models', CC BY 4.0 (targets in data/targets/).", ""]
