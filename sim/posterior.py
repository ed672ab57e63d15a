"""Posterior ensembles (written by ``aieco calibrate experiments/abc.toml``, :mod:`sim.abcsmc`): reading,
drawing, and posterior predictive checks.

An ensemble file (JSON, ``scenarios/posterior.json``) holds weighted particles, each a set of values for the free
parameters of the scenario it names. :func:`draw` resamples ``n`` particles by weight (multinomial, seeded): a
draw is a full set of parameter values, applied to a scenario with :func:`apply_draw`.

**Posterior predictive check** (:func:`validate_posterior`): ``n`` draws x ``R`` runs of the scenario through
2025 (draw ``i``, replication ``r`` uses seed ``seed_for(seed, i, r)``), all runs pooled as replications of one
validation (:func:`sim.validation.compare`), so each pattern's simulated 5%-95% interval is its posterior
predictive interval, carrying parameter and run-to-run uncertainty: in sample for 2022-2024, out of sample for
2025 (held out: the calibration simulated 2022-2024 only).
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

from sim.scenario import Scenario, ScenarioError, field_info, load_scenario, with_values

__all__ = ["Ensemble", "EnsembleError", "apply_draw", "draw", "load_ensemble", "validate_posterior"]


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

    def base_scenario(self, overrides: Sequence[str] = ()) -> Scenario:
        """The scenario the ensemble was fitted on, with its overrides and then ``overrides``."""
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
    names = [p["path"] for p in params]
    rows = []
    for i, part in enumerate(data["particles"]):
        vals = part.get("values", {}) if isinstance(part, dict) else {}
        if set(vals) != set(names):
            raise EnsembleError(f"{path}: particles[{i}] key 'values': expected {', '.join(names)}")
        w = part.get("weight")
        if isinstance(w, bool) or not isinstance(w, int | float) or not w > 0:
            raise EnsembleError(f"{path}: particles[{i}] key 'weight': expected a number > 0, got {w!r}")
        rows.append({**vals, "weight": float(w)})
    if not rows:
        raise EnsembleError(f"{path}: key 'particles': no particles")
    df = pd.DataFrame(rows)
    for p in params:
        v = df[p["path"]].to_numpy(float)
        if (v < float(p["lower"]) - 1e-9).any() or (v > float(p["upper"]) + 1e-9).any():
            raise EnsembleError(f"{path}: particles: {p['path']} outside its prior [{p['lower']}, {p['upper']}]")
    df["weight"] = df["weight"] / df["weight"].sum()
    scenario = (path.resolve().parent / data["scenario"]).resolve()
    return Ensemble(path.resolve(), scenario, list(data.get("set", [])), params, df, data.get("provenance", {}),
                    float(1.0 / np.sum(df["weight"].to_numpy() ** 2)))


def draw(ensemble: Ensemble, n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` particles resampled with replacement by weight (``numpy.random.default_rng(seed).choice``): one row
    per draw (``draw`` 0..n-1, ``particle`` index, a column per parameter). Raises ValueError for ``n < 1``."""
    if n < 1:
        raise ValueError(f"draws must be >= 1, got {n}")
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(ensemble.particles), size=n, replace=True, p=ensemble.particles["weight"].to_numpy())
    out = ensemble.particles.iloc[idx][ensemble.paths].reset_index(drop=True)
    out.insert(0, "particle", idx)
    out.insert(0, "draw", np.arange(n))
    return out


def apply_draw(scenario: Scenario, row: pd.Series | dict, paths: Sequence[str]) -> Scenario:
    """``scenario`` with the draw's parameter values (integer parameters rounded)."""
    values: dict[str, Any] = {}
    for p in paths:
        v = float(row[p])
        d = field_info(p)["default"]
        values[p] = int(round(v)) if isinstance(d, int) and not isinstance(d, bool) else v
    return with_values(scenario, values, source="posterior draw")


@dataclass
class PosteriorValidation:
    """Outputs of :func:`validate_posterior`: the draws, pooled run tables, statistics, table and verdicts."""

    draws: pd.DataFrame
    replications: Any  # sim.runs.Replications (replication = draw * R + r)
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
    :func:`sim.validation.compare` and the ECI patterns. ``progress(k)`` after each run."""
    from sim.labs import load_roster
    from sim.runs import run_one, seed_for, stack_replications
    from sim.scenario import with_horizon
    from sim.validation import compare, load_targets, simulated_statistics, verdicts
    from sim.validation_eci import compare_eci, eci_statistics

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
    stats = simulated_statistics(reps.timeseries, reps.releases)
    table = compare(stats, targets)
    if targets.eci_patterns is not None:
        eci = eci_statistics(reps.timeseries, reps.releases)
        table = pd.concat([table, compare_eci(eci, targets.eci_patterns, targets.lab_flagships)], ignore_index=True)
        stats = pd.concat([stats, eci], ignore_index=True)
    return PosteriorValidation(dr, reps, stats, table, verdicts(table), targets, replications,
                               time.perf_counter() - t0)


def _finite(x: float) -> bool:
    return x is not None and not (isinstance(x, float) and math.isnan(x))
