"""Running a sweep: plan, start an executor, stream batches of runs through it into the store.

:func:`run_sweep` is the whole pipeline behind ``aieco sweep``:

1. build and validate the design (every point's scenario is checked before anything is written);
2. check the output folder (new, or ``resume`` of the same sweep) and start the executor (an
   unreachable scheduler fails here, still before anything is written);
3. write the manifest and design, find the runs already done, and submit the rest in batches, keeping
   a bounded number of tasks in flight; each finished task is written as a Parquet part at once;
4. show progress (runs done, failures, ETA) and return a :class:`SweepOutcome`.

A run's seed is ``seed_for(spec.seed, point, replication)`` (or, as the spec's ``seeds`` chooses, keyed by
the replication alone or by the Saltelli block / Morris trajectory: :func:`sim.analysis.sweep.spec.run_seed`), so
results do not depend on the executor, the number of workers, the batch size or the order in which tasks
finish.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Future, wait
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import sim.analysis.sweep.store as store
from sim.analysis.progress import RunProgress
from sim.analysis.sweep.designs import check_design_size, design_matrix, salib_problem, validate_points
from sim.analysis.sweep.executors import ExecutorError, ExecutorHandle, open_executor
from sim.analysis.sweep.spec import SpecError, SweepSpec, run_seed
from sim.analysis.sweep.worker import Batch, BatchResult, RunRequest, error_record, run_batch
from sim.model.labs import RosterError, check_roster_start, load_roster
from sim.scenario.schema import folder_name

MAX_BATCH = 64
"""Largest automatic batch (runs per task)."""

TASKS_PER_WORKER = 8
"""Automatic batches aim at this many tasks per worker, for load balance and a smooth progress bar."""

INFLIGHT_PER_WORKER = 2
"""Tasks in flight per worker: enough to keep every worker busy, few enough to bound memory."""

MAX_POOL_RESTARTS = 3


class SweepError(ValueError):
    """Bad input outside the spec: an output folder that is not this sweep's, an unusable executor."""


@dataclass
class SweepOutcome:
    """What a sweep did: the folder, the totals in it (``ok``, ``failed``, ``missing`` of ``total``) and
    this session's share (``ran``, ``ran_failed``, ``seconds``)."""

    out: Path
    total: int
    ok: int
    failed: int
    missing: int
    ran: int
    ran_failed: int
    seconds: float
    executor: str
    skipped: int = 0
    restarts: int = 0

    @property
    def runs_per_second(self) -> float:
        return self.ran / self.seconds if self.seconds > 0 else float("nan")


@dataclass
class Plan:
    """A validated sweep, ready to run: spec, design and each point's (base, overrides)."""

    spec: SweepSpec
    matrix: Any
    unit: np.ndarray | None
    overrides: list[tuple[int, dict[str, Any]]]
    rosters: dict[int, Any]
    replications: int
    seed_block: int = 1
    """Design points per seed block (``seeds = "block"``): a Saltelli block or Morris trajectory."""

    def seed(self, point: int, replication: int) -> int:
        """The seed of run (point, replication) under the spec's seed mode (:func:`sim.analysis.sweep.spec.run_seed`)."""
        return run_seed(self.spec.seed, point, replication, self.spec.seeds, self.seed_block)

    @property
    def n_points(self) -> int:
        return len(self.matrix)

    @property
    def total(self) -> int:
        return self.n_points * self.replications


def plan_sweep(spec: SweepSpec, replications: int | None = None) -> Plan:
    """Build the design and validate every point. Raises SpecError (also, before building anything, for a
    design too large for this machine's memory: :func:`sim.analysis.sweep.designs.check_design_size`)."""
    check_design_size(spec, replications)
    matrix, unit = design_matrix(spec)
    if len(matrix) == 0:
        raise SpecError(f"{spec.file}: the design has no points")
    overrides = validate_points(spec, matrix)
    rosters: dict[int, Any] = {}
    if not any(f.path == "roster" for f in spec.factors):
        for i, sc in enumerate(spec.bases):
            try:
                rosters[i] = load_roster(sc.roster_path())
                if not any(f.path == "start" for f in spec.factors):
                    check_roster_start(rosters[i], sc.start, sc.roster_path())
            except RosterError as e:
                raise SpecError(f"{spec.file}: base scenario {spec.base_labels[i]}: {e}") from None
    return Plan(spec, matrix, unit, overrides, rosters, replications or spec.replications, spec.seed_block())


def auto_batch_size(remaining: int, workers: int) -> int:
    """Runs per task: about TASKS_PER_WORKER tasks per worker, at most MAX_BATCH runs each."""
    return max(1, min(MAX_BATCH, math.ceil(remaining / (workers * TASKS_PER_WORKER))))


def batch_sizes(total: int, size: int, workers: int) -> list[int]:
    """Runs per task for ``total`` runs: ``size`` each, except that the tail shrinks (guided
    self-scheduling: no task is larger than the runs left / (2 x workers)), so that the workers finish
    together instead of one idling while another works through a last full batch. One worker: all
    ``size``. The sizes sum to ``total``."""
    out, left = [], total
    while left > 0:
        n = size if workers <= 1 else max(1, min(size, math.ceil(left / (2 * workers))))
        out.append(min(n, left))
        left -= out[-1]
    return out


def _batches(plan: Plan, todo: np.ndarray, size: int, first_task: int, workers: int = 1) -> Iterator[Batch]:
    """Batches of the runs still to do, in (point, replication) order, sized by :func:`batch_sizes`;
    memory: one batch at a time."""
    spec = plan.spec
    metrics = tuple(spec.metrics)
    points, reps = np.nonzero(todo)
    task = first_task
    stop = 0
    for n in batch_sizes(len(points), size, workers):
        first, stop = stop, stop + n
        runs = []
        for p, r in zip(points[first:stop].tolist(), reps[first:stop].tolist(), strict=True):
            base, values = plan.overrides[p]
            runs.append(RunRequest(p, r, plan.seed(p, r), base, values))
        used = sorted({q.base for q in runs})
        yield Batch(task, runs, {b: spec.bases[b] for b in used},
                    {b: plan.rosters[b] for b in used if b in plan.rosters}, metrics, spec.timeseries,
                    spec.run_function)
        task += 1


def _failed_batch(batch_keys: list[tuple[int, int, int]], metrics: tuple[str, ...], exc: BaseException) -> BatchResult:
    import traceback

    msg = f"task failed: {type(exc).__name__}: {exc}".strip()
    if isinstance(exc, BrokenExecutor):
        msg = f"worker process died: {type(exc).__name__}: {exc}"
    tb = "".join(traceback.format_exception(exc))
    return BatchResult(-1, [error_record(k, metrics, msg, tb) for k in batch_keys])


def run_sweep(spec: SweepSpec, out: str | Path | None = None, *, executor: str = "processes",
              workers: int | None = None, scheduler: str | None = None, replications: int | None = None,
              resume: bool = False, retry_failed: bool = False, batch_size: int | None = None,
              timeout: float = 10.0, progress: bool = True, dask_processes: bool = True,
              start_method: str = "spawn", echo: Callable[[str], None] | None = None,
              executor_handle: ExecutorHandle | None = None) -> SweepOutcome:
    """Run (or resume) a sweep and stream its results into ``out``.

    Parameters
    ----------
    spec : a validated :class:`SweepSpec` (:func:`sim.analysis.sweep.spec.load_spec`).
    out : results folder; default ``results/sweeps/<spec.out_name>`` (the spec file's stem).
    executor, workers, scheduler, timeout, dask_processes, start_method : see
        :func:`sim.analysis.sweep.executors.open_executor`.
    replications : overrides the spec's count (on resume it may grow, not shrink).
    resume : continue the sweep in ``out``, running only what is not done.
    retry_failed : with ``resume``, run failed runs again (the new result supersedes the failure).
    batch_size : runs per task (default: the spec's, else automatic).
    progress : show a progress bar on stderr.
    echo : receives one-line notes (default: ignored).
    executor_handle : an already open executor to use instead of starting one (it is not shut down).

    Returns a :class:`SweepOutcome`; failed runs are in it and in the store, not raised.

    Raises SpecError (invalid design point), SweepError (output folder or executor unusable). Both
    are raised before anything is written. KeyboardInterrupt stops the sweep after cancelling pending
    tasks; everything finished so far is kept and ``resume`` continues from there."""
    say = echo or (lambda _m: None)
    plan = plan_sweep(spec, replications)
    reps = plan.replications
    out = Path(out) if out is not None else Path("results") / "sweeps" / (spec.out_name or folder_name(spec.name))
    manifest = None
    if (out / store.MANIFEST).is_file():
        try:
            manifest = store.read_manifest(out)
            if not resume:
                raise SweepError(f"{out} already holds a sweep; add --resume to continue it, or choose another --out")
            store.check_resume(manifest, spec, plan.matrix, reps, out)
        except store.StoreError as e:
            raise SweepError(str(e)) from None
    elif out.exists() and (not out.is_dir() or any(p.name != ".lock" for p in out.iterdir())):
        raise SweepError(f"{out} exists and is not a sweep results folder; choose another --out")
    if retry_failed and manifest is None:
        say("note: --retry-failed with nothing to retry (new sweep)")

    ctx = nullcontext(executor_handle) if executor_handle is not None else open_executor(
        executor, workers, scheduler, timeout=timeout, start_method=start_method, dask_processes=dask_processes,
        echo=say)
    try:
        handle = ctx.__enter__()
    except ExecutorError as e:
        raise SweepError(str(e)) from None
    try:
        with _lock(out):
            outcome = _execute(plan, out, manifest, handle, resume, retry_failed, batch_size, progress, say)
    except BaseException:
        if not ctx.__exit__(*sys.exc_info()):
            raise
        raise  # pragma: no cover - the executor context never swallows exceptions
    ctx.__exit__(None, None, None)
    return outcome


@contextmanager
def _lock(out: Path) -> Iterator[None]:
    """Hold the writer's lock of ``out`` (``out/.lock``, :func:`sim.analysis.folders.folder_lock`: the one lock
    every aieco writer takes, released by the OS if the process dies) while a sweep writes there, so that two
    drivers, or a driver and another command, never fill the same folder. Raises SweepError when it is held."""
    from sim.analysis.folders import FolderBusy, folder_lock

    try:
        with folder_lock(out, inside=True):
            yield
    except FolderBusy as e:
        raise SweepError(str(e)) from None


def _execute(plan: Plan, out: Path, manifest: dict | None, handle: ExecutorHandle, resume: bool, retry_failed: bool,
             batch_size: int | None, progress: bool, say: Callable[[str], None]) -> SweepOutcome:
    spec, reps = plan.spec, plan.replications
    t0 = time.perf_counter()
    manifest, resumed = _open_manifest(plan, out, manifest, handle, say)
    session = store.start_session(out, manifest, reps, handle.description, resumed, say=say)
    store.write_design(out, plan.matrix, plan.unit, spec.factor_names)

    done, failed_mask = store.done_mask(out, plan.n_points, reps, retry_failed=retry_failed)
    todo = ~done
    n_todo = int(todo.sum())
    already = int(done.sum())
    already_failed = int((failed_mask & done).sum())
    if resumed:
        say(f"resuming: {already} of {plan.total} runs already done ({already_failed} failed); {n_todo} to run")
    size = batch_size or spec.batch_size or auto_batch_size(n_todo, handle.workers)
    loop = _BatchLoop(plan, out, session, handle, todo, size, say)
    try:
        with RunProgress(progress, plan.total, already, already_failed, f"sweep {spec.name}") as bar:
            loop.run(bar)
    except BaseException:
        loop.cancel()
        try:
            store.finish_session(out, manifest, interrupted=True, ran=loop.ran, ran_failed=loop.ran_failed,
                                 wall_seconds=round(time.perf_counter() - t0, 3))
        except Exception:  # noqa: BLE001 - never mask the interruption
            pass
        raise
    seconds = time.perf_counter() - t0
    done_all, failed_all = store.done_mask(out, plan.n_points, reps)
    n_done, n_failed = int(done_all.sum()), int(failed_all.sum())
    store.finish_session(out, manifest, ran=loop.ran, ran_failed=loop.ran_failed, wall_seconds=round(seconds, 3),
                         batch_size=size, restarts=loop.restarts)
    return SweepOutcome(out, plan.total, n_done - n_failed, n_failed, plan.total - n_done, loop.ran, loop.ran_failed,
                        seconds, handle.description, skipped=already, restarts=loop.restarts)


def _open_manifest(plan: Plan, out: Path, manifest: dict | None, handle: ExecutorHandle,
                   say: Callable[[str], None]) -> tuple[dict, bool]:
    """(manifest, resumed): a new sweep's manifest, or the given one of a resumed sweep, whose folder is first
    cleared of unreadable parts (set aside) and partial files."""
    if manifest is None:
        return store.create_manifest(plan.spec, plan.matrix, salib_problem(plan.spec), plan.replications,
                                     handle.description, seed_block=plan.seed_block), False
    bad = store.set_aside_unreadable(out)
    if bad:
        say(f"set aside {len(bad)} unreadable part(s) in {out / store.UNREADABLE_DIR}/ "
            f"({', '.join(p.relative_to(out).as_posix() for p in bad[:5])}{' ...' if len(bad) > 5 else ''}); "
            "their runs run again")
    removed = store.cleanup_partial(out)
    if removed:
        say(f"removed {removed} partial file(s) left by an interrupted session")
    return manifest, True


class _BatchLoop:
    """Streams the batches of the runs to do through an executor, a bounded number in flight, writing each
    finished task as a part of the store; a lost task becomes failed runs, and a broken pool is restarted (at
    most :data:`MAX_POOL_RESTARTS` times). Counts the runs it ran (``ran``, ``ran_failed``) and the restarts."""

    def __init__(self, plan: Plan, out: Path, session: Any, handle: ExecutorHandle, todo: np.ndarray, size: int,
                 say: Callable[[str], None]) -> None:
        self.out, self.session, self.handle, self.say = out, session, handle, say
        self.metrics = tuple(plan.spec.metrics)
        self.max_inflight = max(1, INFLIGHT_PER_WORKER * handle.workers) if handle.kind != "serial" else 1
        self.batches = _batches(plan, todo, size, first_task=0, workers=handle.workers)  # serial: 1 worker
        self.inflight: dict[Future, tuple[int, list[tuple[int, int, int]]]] = {}
        self.ran = self.ran_failed = self.restarts = 0
        self.stop_submitting = False

    def submit_next(self) -> bool:
        """Submit the next batch; False when there is none left."""
        b = next(self.batches, None)
        if b is None:
            return False
        keys = [(r.point, r.replication, r.seed) for r in b.runs]
        try:
            fut = self.handle.executor.submit(run_batch, b)
        except BrokenExecutor as e:
            fut = Future()
            fut.set_exception(e)
        self.inflight[fut] = (b.task, keys)
        return True

    def fill(self) -> None:
        """Submit batches until the in-flight limit is reached, the batches run out or submitting stopped."""
        while not self.stop_submitting and len(self.inflight) < self.max_inflight and self.submit_next():
            pass

    def run(self, bar: RunProgress) -> None:
        """Run every batch, advancing ``bar`` as tasks finish."""
        self.fill()
        while self.inflight:
            finished, _ = wait(list(self.inflight), return_when=FIRST_COMPLETED)
            broken = self._collect(finished, bar)
            if broken and self.handle.restart is not None:
                self._restart(bar)
            self.fill()

    def _collect(self, finished: set[Future], bar: RunProgress) -> bool:
        """Write the finished tasks' results (a failed task's runs as failed); True when the pool broke."""
        broken = False
        for fut in finished:
            task, keys = self.inflight.pop(fut)
            try:
                res = fut.result()
            except BaseException as e:  # noqa: BLE001 - a lost task becomes failed runs, never a hang
                if isinstance(e, KeyboardInterrupt):
                    raise
                broken |= isinstance(e, BrokenExecutor)
                res = _failed_batch(keys, self.metrics, e)
            store.write_part(self.out, self.session, task, res.records, list(self.metrics), res.timeseries)
            nf = sum(r["status"] != "ok" for r in res.records)
            self.ran += len(res.records)
            self.ran_failed += nf
            bar.advance(len(res.records), nf)
        return broken

    def _restart(self, bar: RunProgress) -> None:
        """After a worker died: record every pending task as failed and restart the pool, or stop submitting
        when it died too often."""
        self.restarts += 1
        if self.restarts > MAX_POOL_RESTARTS:
            self.say(f"worker processes died {self.restarts} times; stopping (resume to continue)")
            self.stop_submitting = True
            return
        self.say("a worker process died; its tasks are recorded as failed; restarting the pool")
        for fut in list(self.inflight):  # every pending task of a broken pool is lost
            task, keys = self.inflight.pop(fut)
            res = _failed_batch(keys, self.metrics, BrokenExecutor("the executor broke: its workers died"))
            store.write_part(self.out, self.session, task, res.records, list(self.metrics))
            self.ran += len(keys)
            self.ran_failed += len(keys)
            bar.advance(len(keys), len(keys))
        self.handle.restart()

    def cancel(self) -> None:
        """Cancel the tasks still in flight."""
        for fut in self.inflight:
            fut.cancel()

