"""Running a scenario: replications with independent seeds, and the output folder of a run.

A replication's seed is derived from the scenario seed with numpy's ``SeedSequence`` keyed by the
replication index, so replication ``r`` has the same seed whatever the number of replications, and two
scenarios run with the same base seed use common random numbers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.metrics import summarize
from sim.model import EcosystemModel
from sim.provenance import base_manifest, write_atomic, write_json_atomic
from sim.scenario import Scenario

OUTPUT_TABLES = ("timeseries", "labs", "releases", "summary")


def seed_for(base_seed: int, *key: int) -> int:
    """A 63-bit seed for the run keyed by ``key`` (e.g. (replication,) or (point, replication)), derived
    from ``base_seed`` with ``numpy.random.SeedSequence(base_seed, spawn_key=key)``."""
    ss = np.random.SeedSequence(int(base_seed), spawn_key=tuple(int(k) for k in key))
    return int(ss.generate_state(1, dtype=np.uint64)[0] & np.uint64(2**63 - 1))


@dataclass
class RunResult:
    """The outputs of one run: time series, lab panel, release log (DataFrames) and summary metrics."""

    seed: int
    timeseries: pd.DataFrame
    labs: pd.DataFrame
    releases: pd.DataFrame
    summary: dict[str, float]


def run_one(scenario: Scenario, seed: int, roster: pd.DataFrame | None = None) -> RunResult:
    """Run one replication of ``scenario`` with ``seed`` and return its outputs."""
    model = EcosystemModel(scenario, seed=seed, roster=roster).run()
    ts, rel = model.timeseries(), model.release_log()
    return RunResult(seed, ts, model.lab_panel(), rel, summarize(ts, rel))


@dataclass
class Replications:
    """Outputs of R replications, stacked with a ``replication`` column (tables) and their seeds."""

    scenario: Scenario
    seeds: list[int]
    timeseries: pd.DataFrame
    labs: pd.DataFrame
    releases: pd.DataFrame
    summary: pd.DataFrame
    wall_seconds: float

    def table(self, name: str) -> pd.DataFrame:
        return getattr(self, name)


def run_replications(scenario: Scenario, replications: int = 1, base_seed: int | None = None,
                     progress: Callable[[int], None] | None = None) -> Replications:
    """Run ``replications`` independent replications (seeds ``seed_for(base_seed, r)``).

    base_seed defaults to ``scenario.seed``; ``progress(r)`` is called after each replication.
    Raises ValueError for ``replications < 1`` and RosterError for a bad roster."""
    if replications < 1:
        raise ValueError(f"replications must be >= 1, got {replications}")
    from sim.labs import check_roster_start, load_roster

    roster = load_roster(scenario.roster_path())
    check_roster_start(roster, scenario.start, scenario.roster_path())
    base = scenario.seed if base_seed is None else base_seed
    seeds = [seed_for(base, r) for r in range(replications)]
    t0 = time.perf_counter()
    results = []
    for r, seed in enumerate(seeds):
        results.append(run_one(scenario, seed, roster))
        if progress:
            progress(r)
    return stack_replications(scenario, results, time.perf_counter() - t0)


def stack_replications(scenario: Scenario, results: list[RunResult], wall_seconds: float) -> Replications:
    """:class:`Replications` from the runs of replications ``0..len(results)-1`` in order (each table
    gains a ``replication`` column). Raises ValueError for an empty list."""
    if not results:
        raise ValueError("need at least one replication")
    parts: dict[str, list[pd.DataFrame]] = {k: [] for k in OUTPUT_TABLES}
    for r, res in enumerate(results):
        parts["timeseries"].append(res.timeseries.assign(replication=r))
        parts["labs"].append(res.labs.assign(replication=r))
        parts["releases"].append(res.releases.assign(replication=r))
        parts["summary"].append(pd.DataFrame([{"replication": r, "seed": res.seed, **res.summary}]))
    tables = {k: pd.concat(v, ignore_index=True) for k, v in parts.items()}
    return Replications(scenario, [res.seed for res in results], tables["timeseries"], tables["labs"],
                        tables["releases"], tables["summary"], wall_seconds)


def write_run(out_dir: str | Path, reps: Replications, scenario_file: str | None = None,
              overrides: list[str] | None = None) -> Path:
    """Write a run folder: ``timeseries.parquet``, ``labs.parquet``, ``releases.parquet``,
    ``summary.parquet`` and ``manifest.json`` (resolved scenario, seeds, versions, git commit, command,
    wall time, and ``overrides``: the changes to the scenario file, e.g. ``["governments.US.leakage=0.6"]``,
    which figure captions name). Returns the folder."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name in OUTPUT_TABLES:
        write_atomic(out / f"{name}.parquet", lambda tmp, t=reps.table(name): t.to_parquet(tmp, index=False))
    manifest = base_manifest("run")
    manifest.update({
        "scenario_file": scenario_file, "scenario": reps.scenario.resolved_dict(),
        "replications": len(reps.seeds), "base_seed": reps.scenario.seed, "seeds": reps.seeds,
        "seed_rule": "numpy.random.SeedSequence(base_seed, spawn_key=(replication,)).generate_state(1, uint64) & (2**63-1)",
        "wall_seconds": round(reps.wall_seconds, 3), "tables": [f"{n}.parquet" for n in OUTPUT_TABLES],
        "overrides": list(overrides or [])})
    write_json_atomic(out / "manifest.json", manifest)
    return out
