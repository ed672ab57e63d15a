"""The dashboard's run logic without the page: the scenario the widgets describe, the start scenario run
alike beside it, finished runs remembered, and the export of an outcome. No Solara here."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.analysis.compare import Comparison
from sim.dashboard.export import write_scenario
from sim.scenario.schema import Scenario, with_horizon, with_values

CACHE_SIZE = 12
CACHE: dict[tuple[str, int], Any] = {}
CACHE_LOCK = threading.Lock()
"""Finished runs by (scenario as JSON, replications), shared by the server's tabs, the last CACHE_SIZE:
the start scenario is run once however many levers are tried against it."""


@dataclass
class Outcome:
    """A finished dashboard run: the start and the edited scenario, their comparison (paired seeds),
    the stacked replications of each, and the wall time from click to results."""

    start_path: Path
    start: Scenario
    edited: Scenario
    comparison: Comparison
    runs: dict[str, Any]
    seconds: float


def build_scenario(start: Scenario, values: dict[str, Any], horizon: int, base_seed: int, keep: bool,
                   name: str) -> Scenario:
    """The start scenario with the widgets' values, horizon (0: unchanged), seed (-1: unchanged), dated
    events kept or dropped, and name. Raises ScenarioError naming the field."""
    extra: dict[str, Any] = dict(values)
    if base_seed >= 0:
        extra["seed"] = base_seed
    if not keep:
        extra["events"] = []
    extra["name"] = name or (f"{start.name}_changed" if extra or horizon else start.name)
    sc = with_values(start, extra, source="dashboard")
    return with_horizon(sc, horizon) if horizon and horizon != sc.months else sc


def run_key(sc: Scenario, r: int) -> tuple[str, int]:
    """The cache key of ``r`` replications of ``sc``: its resolved values without name, description and label
    (two scenarios that differ only in name give the same runs)."""
    d = sc.resolved_dict()
    d.pop("name", None)
    d.pop("description", None)
    d.pop("label", None)
    return (repr(sorted(d.items())), r)


def reference_for(start: Scenario, edited: Scenario, keep: bool) -> Scenario:
    """The start scenario run as the edited one is: the same horizon and seed, dated events kept or
    dropped alike."""
    values: dict[str, Any] = {"seed": edited.seed, **({} if keep else {"events": []})}
    ref = with_values(start, values, source="dashboard")
    return with_horizon(ref, edited.months) if ref.months != edited.months else ref


def remember(key: tuple[str, int], reps: Any) -> None:
    """Keep ``reps`` under ``key``, dropping the oldest entries beyond :data:`CACHE_SIZE`."""
    with CACHE_LOCK:
        CACHE[key] = reps
        while len(CACHE) > CACHE_SIZE:
            CACHE.pop(next(iter(CACHE)))


def export(o: Outcome, folder: Path) -> list[Path]:
    """Write ``<folder>/<name>.toml`` (extends the start file, holds the changes), ``<folder>/run/`` (the
    edited scenario's run, as ``aieco run`` writes it) and ``<folder>/compare/`` (the comparison, as
    ``aieco compare`` writes it). Returns the written paths.

    The export appears whole or not at all, like every finished result (staged beside ``folder`` and renamed
    into place, :func:`sim.analysis.folders.finished_folder`); an earlier export there is replaced, a folder
    of other files is not. Raises FolderError (a ValueError) for those, and when another writer holds it."""
    from sim.analysis.compare import write_comparison
    from sim.analysis.folders import finished_folder
    from sim.analysis.runs import write_run
    from sim.scenario.schema import folder_name

    name = f"{folder_name(o.edited.name)}.toml"
    toml = folder.resolve() / name  # where the file will be (the staging folder is beside it: same relative paths)
    with finished_folder(folder, overwrite=True, replaceable=lambda p: p.is_file() and p.suffix == ".toml") as tmp:
        write_scenario(o.start_path, o.edited, tmp / name)
        write_run(tmp / "run", o.runs["edited"], scenario_file=str(toml))
        write_comparison(tmp / "compare", o.comparison, [str(o.start_path), str(toml)])
    return [folder / name, folder / "run", folder / "compare"]
