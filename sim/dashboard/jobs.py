"""Background runs for the dashboard: replications in worker processes, with progress and cancel.

The web server's process only waits and draws: every replication is one task (:func:`sim.analysis.runs.run_one`
with the seed ``seed_for(base_seed, r)``) in a pool of worker processes started once per server
(:func:`worker_pool`, ``spawn`` so that no server thread is forked). Results are stacked in replication
order with :func:`sim.analysis.runs.stack_replications`, so a dashboard run gives the same tables as ``aieco run``
with the same scenario and seed. Cancelling drops the replications not yet started; the ones running
finish in the background (one replication is well under a second) and are ignored.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor

from sim.analysis.runs import Replications, run_one, seed_for, stack_replications
from sim.model.labs import load_roster
from sim.scenario.schema import Scenario

_POOL: ProcessPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def default_workers() -> int:
    """Worker processes by default: the CPUs this process may use, at most 4."""
    return max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))


def _exit_with_parent(parent: int, poll: float = 0.5) -> None:
    """In a worker: end this process as soon as its parent ``parent`` (the server) is gone, however the server
    ended (Ctrl-C, ``kill -TERM``, a crash, ``kill -KILL``): a worker never outlives its server."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _warm(parent: int | None = None) -> None:
    """Runs in each new worker: watch the server (:func:`_exit_with_parent`), and import the model and the figures
    so that the first task does not pay for it."""
    if parent is not None:
        _exit_with_parent(parent)
    import sim.analysis.runs  # noqa: F401
    import sim.dashboard.views  # noqa: F401
    import sim.plots.compare  # noqa: F401
    import sim.plots.run  # noqa: F401


def worker_pool(workers: int | None = None) -> ProcessPoolExecutor:
    """The server's pool of ``workers`` (default :func:`default_workers`) processes, created on first use
    and kept for the life of the server; a pool broken by a crashed worker is replaced."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None or getattr(_POOL, "_broken", False):
            n = workers or int(os.environ.get("AIECO_DASHBOARD_WORKERS", 0)) or default_workers()
            _POOL = ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("spawn"), initializer=_warm,
                                        initargs=(os.getpid(),))
        return _POOL


def shutdown_pool(timeout: float = 5.0) -> None:
    """Stop the server's worker processes: the replications not yet started are dropped, the running ones get
    ``timeout`` seconds to end, then their workers are terminated."""
    global _POOL
    with _POOL_LOCK:
        pool, _POOL = _POOL, None
    if pool is None:
        return
    procs = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    deadline = time.monotonic() + timeout
    for proc in procs:  # a replication is well under a second: let the running ones end cleanly
        proc.join(max(0.0, deadline - time.monotonic()))
        if proc.is_alive():
            proc.terminate()


def warm_up(workers: int | None = None) -> None:
    """Start the worker processes now (in the background), so that the first run starts at once."""
    pool = worker_pool(workers)
    for _ in range(pool._max_workers):
        pool.submit(_warm)


class Job:
    """``replications`` replications of each scenario in ``scenarios`` ({label: scenario}), all with the
    seeds ``seed_for(base_seed, r)``, submitted to ``pool`` at once.

    Raises RosterError (from :func:`sim.model.labs.load_roster`) for a bad roster, ValueError for
    ``replications < 1``."""

    def __init__(self, scenarios: dict[str, Scenario], replications: int, base_seed: int,
                 pool: ProcessPoolExecutor | None = None) -> None:
        if replications < 1:
            raise ValueError(f"replications must be >= 1, got {replications}")
        pool = pool or worker_pool()
        self.scenarios = dict(scenarios)
        self.seeds = [seed_for(base_seed, r) for r in range(replications)]
        self.t0 = time.perf_counter()
        self.cancelled = False
        self._done = 0
        self._lock = threading.Lock()
        self.futures: dict[str, list[Future]] = {}
        for label, sc in self.scenarios.items():
            roster = load_roster(sc.roster_path())
            self.futures[label] = [pool.submit(run_one, sc, seed, roster) for seed in self.seeds]
        for futs in self.futures.values():
            for f in futs:
                f.add_done_callback(self._tick)

    def _tick(self, _f: Future) -> None:
        with self._lock:
            self._done += 1

    @property
    def total(self) -> int:
        """Replications to run, over all scenarios."""
        return len(self.seeds) * len(self.scenarios)

    @property
    def done(self) -> int:
        """Replications finished (or cancelled) so far."""
        return self._done

    def finished(self) -> bool:
        """True when every replication has finished or was cancelled."""
        return all(f.done() for futs in self.futures.values() for f in futs)

    def cancel(self) -> None:
        """Drop the replications not yet started."""
        self.cancelled = True
        for futs in self.futures.values():
            for f in futs:
                f.cancel()

    def wait(self, poll: float = 0.05) -> None:
        """Block until :meth:`finished`."""
        while not self.finished():
            time.sleep(poll)

    def result(self) -> dict[str, Replications]:
        """{label: stacked replications}. Raises CancelledError after :meth:`cancel`, and the worker's
        exception when a replication failed."""
        wall = time.perf_counter() - self.t0
        return {label: stack_replications(self.scenarios[label], [f.result() for f in futs], wall)
                for label, futs in self.futures.items()}
