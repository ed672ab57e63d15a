"""What a worker runs: a batch of (point, replication) runs, each one isolated.

Everything here is a module-level, importable function or dataclass, so tasks pickle by reference and
work with any executor (in-process, a ``spawn``/``forkserver`` process pool, a Dask cluster, Jupyter).
A run that raises is caught and returned as data (status ``"error"``, the error and its traceback); a
batch therefore always returns, one record per run, and the driver never waits for a result that
cannot come.
"""

from __future__ import annotations

import itertools
import os
import socket
import time
import traceback
import weakref
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sim.analysis.sweep.designs import build_scenario
from sim.analysis.sweep.spec import resolve_function
from sim.scenario.schema import Scenario

_FUNCTIONS: dict[str, Callable] = {}


class _WeakCounters(weakref.WeakKeyDictionary):
    """``mesa.Agent._ids`` that does not keep models alive: an id counter per live model."""

    def __getitem__(self, model: Any) -> Any:
        try:
            return super().__getitem__(model)
        except KeyError:
            counter = self[model] = itertools.count(1)
            return counter


def release_finished_models() -> bool:
    """Work around mesa#3179 (mesa <= 3.3): ``mesa.Agent._ids``, a class-level ``defaultdict`` keyed by model,
    keeps every model ever built alive, so a worker that runs thousands of models grows without bound
    (about 0.5-1 MB per run here). Replace it by a weak-keyed equivalent (same ids: a counter from 1 per
    model). Idempotent; returns whether the patch was applied. Harmless on mesa versions with the fix."""
    import mesa

    ids = getattr(mesa.Agent, "_ids", None)
    if isinstance(ids, defaultdict):
        weak = _WeakCounters()
        for model, counter in list(ids.items()):  # models alive now keep their counters
            weak[model] = counter
        mesa.Agent._ids = weak
        return True
    return False


release_finished_models()


@dataclass(frozen=True)
class RunRequest:
    """One run: its key, seed, base scenario (index into ``Batch.bases``) and the point's overrides."""

    point: int
    replication: int
    seed: int
    base: int
    values: dict[str, Any]


@dataclass
class Batch:
    """A task: runs sharing base scenarios, rosters, metrics and run function.

    bases, rosters : the base scenarios the runs use and their roster tables (shipped with the task, so
        that remote workers need no access to the driver's files)."""

    task: int
    runs: list[RunRequest]
    bases: dict[int, Scenario]
    rosters: dict[int, pd.DataFrame]
    metrics: tuple[str, ...]
    timeseries: bool = False
    run_function: str = "sim.analysis.runs:run_one"


@dataclass
class BatchResult:
    """One summary record per run (``point``, ``replication``, ``seed``, ``status``, ``error``,
    ``traceback``, ``run_seconds`` and the metrics), the stacked time series of the successful runs when
    requested, and where and how long the batch ran."""

    task: int
    records: list[dict[str, Any]]
    timeseries: pd.DataFrame | None = None
    worker: str = ""
    seconds: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)


def _function(ref: str) -> Callable:
    fn = _FUNCTIONS.get(ref)
    if fn is None:
        fn = _FUNCTIONS[ref] = resolve_function(ref)
    return fn


def error_record(req: RunRequest | tuple[int, int, int], metrics: tuple[str, ...] | list[str], error: str,
                 tb: str | None = None, seconds: float = float("nan")) -> dict[str, Any]:
    """The summary record of a failed run (metrics NaN)."""
    point, replication, seed = (req.point, req.replication, req.seed) if isinstance(req, RunRequest) else req
    return {"point": point, "replication": replication, "seed": seed, "status": "error", "error": error,
            "traceback": tb, "run_seconds": seconds, **{m: float("nan") for m in metrics}}


def run_request(req: RunRequest, batch: Batch) -> tuple[dict[str, Any], pd.DataFrame | None]:
    """Run one request; never raises (an exception becomes an error record)."""
    t0 = time.perf_counter()
    try:
        scenario = build_scenario(batch.bases, req.base, req.values)
        fn = _function(batch.run_function)
        res = fn(scenario, req.seed, batch.rosters.get(req.base))
        summary = res.summary
        rec = {"point": req.point, "replication": req.replication, "seed": req.seed, "status": "ok", "error": None,
               "traceback": None, "run_seconds": time.perf_counter() - t0,
               **{m: float(summary.get(m, float("nan"))) for m in batch.metrics}}
        ts = None
        if batch.timeseries:
            ts = res.timeseries.copy()
            ts.insert(0, "replication", req.replication)
            ts.insert(0, "point", req.point)
        return rec, ts
    except Exception as e:  # noqa: BLE001 - every failure of a run is data
        msg = f"{type(e).__name__}: {e}".strip()
        return error_record(req, batch.metrics, msg, traceback.format_exc(), time.perf_counter() - t0), None


def run_batch(batch: Batch) -> BatchResult:
    """Run every request of a batch in order and return their records. Never raises for a failing run."""
    t0 = time.perf_counter()
    records, frames = [], []
    for req in batch.runs:
        rec, ts = run_request(req, batch)
        records.append(rec)
        if ts is not None:
            frames.append(ts)
    ts_all = pd.concat(frames, ignore_index=True) if frames else None
    return BatchResult(batch.task, records, ts_all, f"{socket.gethostname()}:{os.getpid()}", time.perf_counter() - t0)
