"""Replications of a comparison in batches: on worker processes, with a report after each batch (what is still short
of the precision asked, the next batch, an estimate of the time left) and the runs done so far kept on disk, so that
an interrupted ``aieco compare --precision`` continues where it stopped (``--resume``).

A batch runs the (scenario, replication) cells ``first..first+n-1`` of every scenario with the seeds
``seed_for(base_seed, r)``: the same numbers whatever the number of workers and however the batches fall.

The partial folder (``<out>.partial/``) holds ``state.json`` (the resolved scenarios, base seed, names, metrics,
window and the batches so far) and, per scenario ``k``, ``k.timeseries.parquet`` and ``k.summary.parquet``: what a
comparison needs (the lab panels and release logs of the runs are not kept). It is removed when the comparison is
written.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.provenance import write_atomic, write_json_atomic
from sim.analysis.runs import (
    Replications,
    RunResult,
    concat_replications,
    run_one,
    seed_for,
    stack_replications,
)
from sim.scenario.schema import Scenario, scenario_from_dict

__all__ = ["BatchReport", "PartialError", "PartialRuns", "batch_report", "extend_runs", "run_cells", "worker_pool"]


class PartialError(ValueError):
    """A partial folder that cannot be continued (another comparison's, or unreadable); the message says which."""


def _run_cell(args: tuple[Scenario, int]) -> RunResult:
    scenario, seed = args
    return run_one(scenario, seed)


@contextmanager
def worker_pool(workers: int) -> Iterator[Any]:
    """A process pool of ``workers`` for :func:`run_cells` (None for 1: runs in this process), shared by the batches
    of a comparison. Its workers ignore Ctrl-C and end with their driver (the sweep's pool,
    :func:`sim.analysis.sweep.executors.worker_init`); interrupted or failed, the pool is killed at once (no worker
    left behind, no wait for a stuck run); otherwise shut down."""
    if workers <= 1:
        yield None
        return
    from sim.analysis.sweep.executors import _process_pool, kill_pool

    pool = _process_pool(workers, "spawn")
    try:
        yield pool
    except BaseException:
        kill_pool(pool)
        raise
    pool.shutdown(wait=True)


def run_cells(scenarios: Sequence[Scenario], base_seed: int, first: int, n: int, pool: Any = None,
              progress: Callable[[int], None] | None = None) -> list[Replications]:
    """Replications ``first..first+n-1`` of every scenario (seeds ``seed_for(base_seed, r)``), on ``pool`` (a
    :func:`worker_pool`; None: this process). ``progress(k)`` after each finished run (k runs done in this call).
    Returns one :class:`~sim.analysis.runs.Replications` per scenario, in order (without lab panels and release
    logs: a comparison uses time series and summaries, and hundreds of replications' panels would fill the
    memory)."""
    seeds = [seed_for(base_seed, r) for r in range(first, first + n)]
    cells = [(sc, s) for sc in scenarios for s in seeds]
    t0 = time.perf_counter()
    results: list[RunResult] = []
    for k, res in enumerate(pool.map(_run_cell, cells) if pool is not None else map(_run_cell, cells), start=1):
        results.append(res)
        if progress:
            progress(k)
    wall = time.perf_counter() - t0
    return [_without_panels(stack_replications(sc, results[j * n:(j + 1) * n], wall / len(scenarios), first=first))
            for j, sc in enumerate(scenarios)]


@dataclass
class BatchReport:
    """Where a run in batches stands after a batch: replications done of at most ``cap``, targets reached,
    the ones still short (key, CI half-width, target; worst first), the next batch, and the seconds one replication
    of every scenario took. ``eta_seconds``: the time to the replications the short targets need (from the
    half-widths shrinking as 1/sqrt(n)), at most to the cap; None when all are reached."""

    done: int
    cap: int
    reached: int
    targets: int
    short: list[tuple[Any, float, float]] = field(default_factory=list)
    next_batch: int = 0
    seconds_per_replication: float = float("nan")
    eta_seconds: float | None = None
    to_cap: bool = False
    """The short targets need more replications than the cap: the estimate is the time to the cap."""

    def lines(self, show: int = 3) -> list[str]:
        """The report as the lines ``aieco compare --precision`` prints."""
        head = (f"{self.done} replications per scenario done (at most {self.cap}): {self.reached} of {self.targets} "
                f"targets precise")
        if not self.short:
            return [head]
        worst = "; ".join(f"{_key_text(k)} ±{hw:.3g} (target ±{tg:.3g})" for k, hw, tg in self.short[:show])
        more = f" and {len(self.short) - show} more" if len(self.short) > show else ""
        if not self.next_batch:
            return [head, f"  still short: {worst}{more}", "  the cap is reached"]
        eta = f"; about {_duration(self.eta_seconds)} left" + (f" to the cap of {self.cap} (the targets need more)"
                                                                if self.to_cap else "")
        return [head, f"  still short: {worst}{more}", f"  next batch +{self.next_batch}{eta}"]


_EFFECTS = {"horizon": "at the horizon", "mean12": "over the last 12 months", "mean": "from the policy change"}


def _key_text(key: Any) -> str:
    """A precision target (metric, scenario, effect) in words: "US-China gap, strict_controls, at the horizon"."""
    from sim.model.metrics import metric_label

    if isinstance(key, tuple) and len(key) == 3:
        metric, scenario, effect = key
        return f"{metric_label(metric, short=True)}, {scenario}, {_EFFECTS.get(effect, effect)}"
    return str(key)


def batch_report(status: dict, done: int, cap: int, next_batch: int, seconds_per_replication: float) -> BatchReport:
    """The :class:`BatchReport` of a precision ``status`` (:func:`sim.analysis.precision.precision_status`)."""
    short = sorted(((k, s["half_width"], s["target"]) for k, s in status.items() if not s["reached"]),
                   key=lambda t: -(t[1] / t[2]) if np.isfinite(t[1]) and t[2] > 0 else -np.inf)
    eta, need = None, done
    if short:
        for _k, hw, target in short:
            need = max(need, cap if not (np.isfinite(hw) and target > 0) else math.ceil(done * (hw / target) ** 2))
        eta = max(0, min(need, cap) - done) * seconds_per_replication
    return BatchReport(done, cap, len(status) - len(short), len(status), short, next_batch, seconds_per_replication,
                       eta, need > cap)


def _duration(seconds: float) -> str:
    if not np.isfinite(seconds):
        return "an unknown time"
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min" if seconds < 5400 else \
        f"{seconds / 3600:.1f} h"


class PartialRuns:
    """The runs of an interrupted comparison kept in ``folder`` (see the module docstring)."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    def exists(self) -> bool:
        return (self.folder / "state.json").is_file()

    @staticmethod
    def identity(scenarios: Sequence[Scenario], base_seed: int, names: Sequence[str], metrics: Sequence[str],
                 window: str) -> dict[str, Any]:
        """What a continued comparison must share with the interrupted one."""
        return {"scenarios": [sc.resolved_dict() for sc in scenarios], "base_seed": int(base_seed),
                "names": list(names), "metrics": list(metrics), "window": window}

    def save(self, runs: Sequence[Replications], identity: dict[str, Any], history: list[int]) -> None:
        """Write the runs so far (each table and then the state, atomically: a crash leaves the last whole batch)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        for k, r in enumerate(runs):
            for table in ("timeseries", "summary"):
                df = r.table(table)
                write_atomic(self.folder / f"{k}.{table}.parquet", lambda tmp, d=df: d.to_parquet(tmp, index=False))
        write_json_atomic(self.folder / "state.json", {**identity, "done": len(runs[0].seeds), "history": history,
                                                       "seeds": list(runs[0].seeds)})

    def load(self, identity: dict[str, Any]) -> tuple[list[Replications], list[int]]:
        """The runs kept and the batches so far. Raises PartialError when they are another comparison's (the
        scenarios, base seed, names, metrics or window differ) or cannot be read."""
        try:
            state = json.loads((self.folder / "state.json").read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as e:
            raise PartialError(f"{self.folder}: cannot read state.json ({e}); remove the folder to start again") from None
        differ = [k for k in identity if state.get(k) != identity[k]]
        if differ:
            raise PartialError(f"{self.folder} holds the partial runs of another comparison ({', '.join(differ)} "
                               "differ); remove it to start again, or continue with the same scenarios and options")
        runs = []
        try:
            for k, d in enumerate(state["scenarios"]):
                ts = pd.read_parquet(self.folder / f"{k}.timeseries.parquet")
                summary = pd.read_parquet(self.folder / f"{k}.summary.parquet")
                runs.append(Replications(scenario_from_dict(d, source=str(self.folder / "state.json")),
                                         list(state["seeds"]), ts, pd.DataFrame(), pd.DataFrame(), summary, 0.0))
        except (OSError, ValueError, KeyError) as e:
            raise PartialError(f"{self.folder}: cannot read the partial runs ({type(e).__name__}: {e}); remove the "
                               "folder to start again") from None
        return runs, list(state.get("history", []))

    def remove(self) -> None:
        import shutil

        shutil.rmtree(self.folder, ignore_errors=True)


def extend_runs(runs: list[Replications], scenarios: Sequence[Scenario], base_seed: int, more: int,
                pool: Any = None, progress: Callable[[int], None] | None = None) -> list[Replications]:
    """``runs`` with ``more`` replications added to every scenario (the next seeds; :func:`run_cells`)."""
    n = len(runs[0].seeds)
    batch = run_cells(scenarios, base_seed, n, more, pool, progress)
    return [concat_replications(r, b) for r, b in zip(runs, batch, strict=True)]


def _without_panels(r: Replications) -> Replications:
    return Replications(r.scenario, r.seeds, r.timeseries, pd.DataFrame(), pd.DataFrame(), r.summary, r.wall_seconds)
