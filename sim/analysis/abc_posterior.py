"""The ABC calibration's posterior: the generations of a run, the posterior generation (the last with enough
effective sample size), its weighted particles and the ensemble file (:mod:`sim.analysis.abcsmc`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.scenario.schema import field_info

if TYPE_CHECKING:
    from sim.analysis.abcsmc import ABCRun, Prior


# --------------------------------------------------------------------------------------------------
# posterior


def generation_table(history) -> pd.DataFrame:
    """Per generation ``t``: ``epsilon``, ``samples`` (simulations), ``particles`` (accepted), ``acceptance``
    (particles / samples) and ``ess`` (effective sample size of the weights, ``1 / sum w^2``)."""
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0].copy()
    ess = []
    for t in pops["t"]:
        _df, w = history.get_distribution(m=0, t=int(t))
        w = np.asarray(w, float) / np.sum(w)
        ess.append(float(1.0 / np.sum(w ** 2)))
    pops["acceptance"] = pops["particles"] / pops["samples"]
    pops["ess"] = ess
    return pops[["t", "epsilon", "samples", "particles", "acceptance", "ess"]].reset_index(drop=True)


def history_wall_seconds(history) -> float:
    """Wall seconds from the start of the history's run to the end of its last generation (pyabc's own
    timestamps: they span every call that ran it, crashes and resumes included); NaN when unknown."""
    try:
        start = history.get_abc().start_time
        end = history.get_all_populations()["population_end_time"].max()
        return float((pd.Timestamp(end) - pd.Timestamp(start)).total_seconds())
    except (AttributeError, KeyError, TypeError, ValueError):
        return math.nan


def posterior_generation(generations: pd.DataFrame, min_ess: float) -> int:
    """The generation that is the posterior: the last whose effective sample size is at least ``min_ess``
    (a later generation whose weights collapse stays in the history and the diagnostics, but an ensemble of a
    few dozen effective particles would understate the posterior's spread), or the last generation when none
    reaches it. ``generations``: :func:`generation_table`. Raises ValueError for an empty table."""
    if not len(generations):
        raise ValueError("no generations in the history")
    ok = generations[generations["ess"] >= min_ess]
    return int((ok if len(ok) else generations)["t"].iloc[-1])


def posterior_ensemble(history, priors: Sequence[Prior], t: int | None = None) -> pd.DataFrame:
    """The weighted particles of generation ``t`` (default the last): one row per particle, a column per
    parameter path (integers rounded) and ``weight`` (summing to 1)."""
    df, w = history.get_distribution(m=0, t=history.max_t if t is None else t)
    out = pd.DataFrame({p.path: (df[p.name].round().astype(int) if p.integer else df[p.name].astype(float))
                        for p in priors})
    out["weight"] = np.asarray(w, float) / np.sum(w)
    return out.reset_index(drop=True)


def weighted_quantiles(x: np.ndarray, w: np.ndarray, qs: Sequence[float]) -> np.ndarray:
    """Quantiles ``qs`` of values ``x`` with weights ``w`` (inverse of the weighted empirical CDF, midpoints)."""
    o = np.argsort(x)
    x, w = np.asarray(x, float)[o], np.asarray(w, float)[o]
    c = (np.cumsum(w) - 0.5 * w) / np.sum(w)
    return np.interp(qs, c, x)


def posterior_summary(ensemble: pd.DataFrame, priors: Sequence[Prior]) -> pd.DataFrame:
    """Per parameter: prior bounds, weighted median and 90% interval of the posterior, and the interval's
    share of the prior's width (1 = the data say nothing, small = pinned down)."""
    rows = []
    for p in priors:
        lo, med, hi = weighted_quantiles(ensemble[p.path].to_numpy(float), ensemble["weight"].to_numpy(float),
                                         [0.05, 0.5, 0.95])
        rows.append({"parameter": p.path, "prior_lower": p.lower, "prior_upper": p.upper, "median": med,
                     "q05": lo, "q95": hi, "width_share_of_prior": (hi - lo) / (p.upper - p.lower)})
    return pd.DataFrame(rows)


def write_ensemble(result: ABCRun, path: str | Path | None = None, command: str = "", t: int | None = None,
                   generations: pd.DataFrame | None = None) -> Path:
    """Write generation ``t`` (default :func:`posterior_generation` with ``spec.min_ess``) as a posterior ensemble
    JSON (default ``spec.output``): the scenario it applies to, the priors, each particle's values and weight,
    the ESS, the generations' epsilons and acceptance rates, and provenance (command, date, git commit, versions,
    spec, history database and run, the model's source hash when the run began). ``generations``: the run's
    :func:`generation_table` when the caller already has it (it reads every generation from the database)."""
    from sim.analysis.provenance import base_manifest, write_json_atomic

    spec = result.spec
    out = Path(path) if path is not None else spec.output
    gens = generation_table(result.history) if generations is None else generations
    t = posterior_generation(gens, spec.min_ess) if t is None else t
    ens = posterior_ensemble(result.history, spec.priors, t)
    ess_t = float(1.0 / np.sum(ens["weight"].to_numpy() ** 2))
    manifest = base_manifest("posterior")
    if command:
        manifest["command"] = command
    try:
        scenario = str(spec.scenario.relative_to(out.resolve().parent))
    except ValueError:
        scenario = str(spec.scenario)
    data = {
        "kind": "aieco posterior ensemble",
        "description": f"Weighted particles of ABC-SMC generation {t} (pyabc; " + (
            f"the last with an effective sample size of at least {spec.min_ess}" if ess_t >= spec.min_ess else
            f"the last generation: none reaches an effective sample size of {spec.min_ess}, this one has {ess_t:.0f}")
                       + "); each is a set of values for the "
                       "free parameters of `scenario`. Draw with `aieco validate --posterior` / `aieco compare "
                       "--posterior`; do not edit by hand, rerun `aieco calibrate " + _rel(spec.source) + "`.",
        "scenario": scenario,
        "set": spec.sets,
        "created": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "provenance": {k: manifest.get(k) for k in ("command", "git", "versions", "created")}
        | {"spec": _rel(spec.source), "fingerprint": spec.fingerprint(), "history_db": _rel(spec.db),
           "run_id": result.run_id, "run_state": result.run_state, "months": spec.months, "replications_per_simulation": spec.replications,
           "population": spec.population, "distance": "sqrt(sum_p w_p mean_i z_i^2), z = (sim - emp) / "
           "empirical sigma (sim.analysis.abcsmc)", "weights": spec.weights, "lag_sigma_months": spec.lag_sigma_months,
           "p8_sigma": spec.p8_sigma, "targets": "data/targets (Epoch AI, 'Data on AI Models', CC BY 4.0)"},
        "generations": gens.to_dict(orient="records"),
        "generation": t,
        "epsilon": float(gens.loc[gens["t"] == t, "epsilon"].iloc[0]) if "epsilon" in gens else None,
        "min_ess": spec.min_ess,
        "ess": ess_t,
        "parameters": [{"path": p.path, "prior": "uniform", "lower": p.lower, "upper": p.upper,
                        "unit": field_info(p.path)["unit"], "why": p.why}
                       | ({"theories": list(p.theories)} if p.theories else {}) for p in spec.priors],
        "particles": [{"weight": float(r["weight"]), "values": {p.path: (int(r[p.path]) if p.integer
                                                                        else float(f"{r[p.path]:.6g}"))
                                                               for p in spec.priors}}
                      | ({"theory": spec.theory} if spec.theory else {})
                      for _, r in ens.iterrows()],
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(out, data)
    return out


@dataclass
class ABCReport:
    """What :func:`write_abc_report` wrote and computed: the ensemble file, the generations, the posterior
    generation with its particles and summary, the manifest, and the run's speed."""

    path: Path
    generations: pd.DataFrame
    posterior_t: int
    ensemble: pd.DataFrame
    summary: pd.DataFrame
    manifest: dict
    rate: float
    """Simulations per second of this call (nan when it took no time)."""
    history_simulations: int
    """Every generation's simulations in the history (the prior sample excluded)."""
    history_wall_seconds: float


def write_abc_report(result: ABCRun, command: str = "", scheduler: str | None = None) -> ABCReport:
    """Write an ABC run's results: the posterior ensemble (:func:`write_ensemble`, at ``spec.output``) and, in
    ``spec.out_dir``, generations.csv, posterior_summary.csv, particles.csv and manifest.json (``scheduler``:
    the Dask address the run used, recorded in the manifest)."""
    from sim.analysis.provenance import base_manifest, write_json_atomic

    spec = result.spec
    gens = generation_table(result.history)
    t_post = posterior_generation(gens, spec.min_ess)
    path = write_ensemble(result, command=command, t=t_post, generations=gens)
    ens = posterior_ensemble(result.history, spec.priors, t_post)
    summ = posterior_summary(ens, spec.priors)
    spec.out_dir.mkdir(parents=True, exist_ok=True)
    gens.to_csv(spec.out_dir / "generations.csv", index=False, float_format="%.6g")
    summ.to_csv(spec.out_dir / "posterior_summary.csv", index=False, float_format="%.6g")
    ens.to_csv(spec.out_dir / "particles.csv", index=False, float_format="%.6g")
    manifest = base_manifest("abc")
    rate = result.simulations / result.wall_seconds if result.wall_seconds > 0 else float("nan")
    total_sims = int(gens["samples"].sum())  # every generation's simulations (the prior sample excluded)
    total_wall = history_wall_seconds(result.history)
    manifest.update({"spec": str(spec.source), "output": str(path), "db": str(spec.db), "run_id": result.run_id,
                     "resumed": result.resumed, "wall_seconds": round(result.wall_seconds, 2),
                     "simulations": result.simulations, "simulations_per_second": round(rate, 3),
                     "history_wall_seconds": round(total_wall, 1), "history_simulations": total_sims,
                     "posterior_generation": t_post, "min_ess": spec.min_ess, "run_state": result.run_state,
                     "scheduler": scheduler, "workers": spec.workers, "population": spec.population,
                     "parameters": [{"path": p.path, "lower": p.lower, "upper": p.upper, "why": p.why}
                                    for p in spec.priors],
                     "generations": gens.to_dict(orient="records")})
    write_json_atomic(spec.out_dir / "manifest.json", manifest)
    return ABCReport(path=path, generations=gens, posterior_t=t_post, ensemble=ens, summary=summ, manifest=manifest,
                     rate=rate, history_simulations=total_sims, history_wall_seconds=total_wall)


def _rel(p: Path) -> str:
    try:
        return str(Path(p).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)
