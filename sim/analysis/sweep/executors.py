"""One executor interface (:class:`concurrent.futures.Executor`) for every way to run a sweep.

- ``serial``: :class:`SerialExecutor`, runs each task in the calling process when it is submitted.
- ``processes``: :class:`concurrent.futures.ProcessPoolExecutor` with an explicit multiprocessing
  context (``spawn`` by default). The global start method is never changed (mesa's ``batch_run`` forces
  it to ``spawn`` at import; this module neither relies on nor alters it).
- ``dask``: :class:`DaskExecutor` over ``distributed.Client(address)`` (``pure=False`` so that two
  identical submissions are two tasks, not one; every future ends within a bounded time, a lost result
  included), or a :class:`distributed.LocalCluster` when no address is given. An unreachable scheduler raises :class:`ExecutorError` after ``timeout`` seconds.

:func:`open_executor` is a context manager yielding an :class:`ExecutorHandle` (the executor, its
parallelism, a description and the Dask dashboard address) and shutting everything down on exit.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import BrokenExecutor, Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

EXECUTORS = ("serial", "processes", "dask")


class ExecutorError(RuntimeError):
    """The executor cannot be started (for example an unreachable Dask scheduler)."""


def available_cores() -> int:
    """CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


class SerialExecutor(Executor):
    """Runs each submitted call immediately in the calling thread; returns a finished Future."""

    def __init__(self) -> None:
        self._shutdown = False

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> Future:
        if self._shutdown:
            raise RuntimeError("cannot submit after shutdown")
        f: Future = Future()
        try:
            f.set_result(fn(*args, **kwargs))
        except Exception as e:  # noqa: BLE001 - delivered through the future, like any executor
            f.set_exception(e)
        return f

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._shutdown = True


DASK_RESULT_TIMEOUT = float(os.environ.get("AIECO_DASK_RESULT_TIMEOUT", 30.0))
"""Seconds a finished Dask task's result may take to reach the driver before the task counts as lost
(environment variable ``AIECO_DASK_RESULT_TIMEOUT``)."""
DASK_LOST_AFTER = float(os.environ.get("AIECO_DASK_LOST_AFTER", 30.0))
"""Seconds a pending Dask task may wait, run by no worker while a worker is idle, before it counts as lost,
and a cluster may have no worker before it counts as gone (environment variable ``AIECO_DASK_LOST_AFTER``)."""
DASK_RESUBMIT = 1
"""How many times a lost Dask task is submitted again before its runs are recorded as failed."""


class DaskExecutor(Executor):
    """``concurrent.futures`` over a ``distributed.Client`` (``pure=False``: two identical submissions are two
    tasks), whose every future ends within a bounded time once its task ends.

    ``Client.get_executor`` hands a finished task's result over with an unbounded gather: when the worker
    holding the result dies first (a run that kills its worker process), the gather can wait forever for
    data that will never come, and the sweep hangs (issue 17: 2 sweeps in 8). Here the result is fetched
    with ``result(timeout=result_timeout)`` in a helper thread, and a watch thread notices a task that the
    scheduler has lost (no worker runs it for ``lost_after`` seconds while a worker is idle or none is left).
    A lost task is submitted again (:data:`DASK_RESUBMIT` times), then its future fails, and the runner
    records its runs as failed. A task that fails by itself (``KilledWorker`` after its own workers died,
    an exception) fails its future at once."""

    def __init__(self, client: Any, result_timeout: float | None = None, lost_after: float | None = None) -> None:
        import threading
        from concurrent.futures import ThreadPoolExecutor

        self.client = client
        self.result_timeout = DASK_RESULT_TIMEOUT if result_timeout is None else result_timeout
        self.lost_after = DASK_LOST_AFTER if lost_after is None else lost_after
        self._fetch = ThreadPoolExecutor(max_workers=4, thread_name_prefix="aieco-dask-result")
        self._pending: dict[Future, Any] = {}
        self._unattended: dict[Future, float] = {}  # since when a pending task has waited beside an idle worker
        self._calls: dict[Future, tuple[Callable, tuple, dict]] = {}
        self._tries: dict[Future, int] = {}
        self.resubmit = DASK_RESUBMIT
        self.broken: str | None = None
        self._no_workers_since: float | None = None
        self._stop = threading.Event()
        self._lock = threading.RLock()
        threading.Thread(target=self._watch, name="aieco-dask-watch", daemon=True).start()

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> Future:
        if self.broken:
            raise BrokenExecutor(self.broken)
        cf: Future = Future()
        self._calls[cf] = (fn, args, kwargs)
        self._send(cf)
        return cf

    def _send(self, cf: Future) -> None:
        """Submit ``cf``'s call as a new Dask task (the first time, or again after a lost one)."""
        fn, args, kwargs = self._calls[cf]
        dask_future = self.client.submit(fn, *args, pure=False, **kwargs)
        self._pending[cf] = dask_future
        dask_future.add_done_callback(lambda f: self._fetch.submit(self._deliver, f, cf))

    def _lost(self, cf: Future, dask_future: Any, why: str) -> None:
        """A task of ``cf`` was lost (not failed): submit it again, up to ``resubmit`` times, else fail ``cf``."""
        with self._lock:
            if self._pending.get(cf) is not dask_future:
                return  # already settled or resubmitted
            tries = self._tries[cf] = self._tries.get(cf, 0) + 1
            self._unattended.pop(cf, None)
            if tries <= self.resubmit:
                self._send(cf)
        dask_future.cancel()
        if tries > self.resubmit:
            self._settle(cf, error=RuntimeError(f"{why}; submitted {tries} times"))

    def _watch(self) -> None:
        """Every few seconds: a pending task that no worker runs while some worker is idle, or no worker is
        left, has been lost (its workers died and it was never handed out again); after ``lost_after``
        seconds in that state its future fails."""
        import time

        while not self._stop.wait(min(5.0, self.lost_after / 4)):
            try:
                self._expire_lost(time.monotonic())
            except Exception:  # noqa: BLE001 - scheduler unreachable: try again; the result timeouts still apply
                continue

    def _expire_lost(self, now: float) -> None:
        """One look of :meth:`_watch` at the scheduler: fail the futures of tasks lost for ``lost_after`` s."""
        processing = self.client.processing()
        if processing:
            self._no_workers_since = None
        elif self._no_workers_since is None:
            self._no_workers_since = now
        elif now - self._no_workers_since > self.lost_after:
            self._break(f"the Dask cluster has had no workers for {self.lost_after:g} s (they died: a run may end "
                        "its process)")
            return
        running = {k for keys in processing.values() for k in keys}
        idle = not processing or any(not keys for keys in processing.values())  # no worker left, or one idle
        for cf, dask_future in list(self._pending.items()):
            if not idle or dask_future.done() or dask_future.key in running:
                self._unattended.pop(cf, None)
            elif now - self._unattended.setdefault(cf, now) > self.lost_after:
                self._lost(cf, dask_future, f"the Dask scheduler lost this task: no worker ran it for "
                                            f"{self.lost_after:g} s while workers were idle or none was left")

    def _break(self, why: str) -> None:
        """The cluster is gone: fail every pending future, and every later submission, with BrokenExecutor
        (the runner records their runs as failed at once; ``--resume --retry-failed`` runs them again)."""
        self.broken = why
        for cf, dask_future in list(self._pending.items()):
            self._settle(cf, error=BrokenExecutor(why))
            dask_future.cancel()

    def _deliver(self, dask_future: Any, cf: Future) -> None:
        """Move a finished Dask task's outcome into ``cf`` (in a helper thread, never the client's loop)."""
        if self._pending.get(cf) is not dask_future:
            return  # a task replaced by a resubmission
        if dask_future.status == "cancelled":
            self._lost(cf, dask_future, "the Dask task was cancelled (its worker or the scheduler went away)")
            return
        try:
            result = dask_future.result(timeout=self.result_timeout)
        except TimeoutError:
            self._lost(cf, dask_future, f"the result of this Dask task did not arrive within {self.result_timeout:g} "
                                        "s (the worker holding it died)")
        except BaseException as e:  # noqa: BLE001 - the task's own failure (KilledWorker, ...) ends the future
            self._settle(cf, error=e)
        else:
            self._settle(cf, result)

    def _settle(self, cf: Future, result: Any = None, error: BaseException | None = None) -> None:
        """End ``cf`` with ``result`` or ``error`` unless it has ended already (a result and the lost-task
        watch may race; the first wins)."""
        with self._lock:
            self._pending.pop(cf, None)
            self._unattended.pop(cf, None)
            self._calls.pop(cf, None)
            self._tries.pop(cf, None)
            if cf.done() or not cf.set_running_or_notify_cancel():
                return
            if error is None:
                cf.set_result(result)
            else:
                cf.set_exception(error)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._stop.set()
        if cancel_futures:
            for cf, dask_future in list(self._pending.items()):
                cf.cancel()
                dask_future.cancel()
        self._fetch.shutdown(wait=wait, cancel_futures=cancel_futures)


@dataclass
class ExecutorHandle:
    """A live executor.

    executor : the ``concurrent.futures.Executor``.
    workers : how many tasks run at once (sizes batches and the number of tasks in flight).
    description : e.g. ``"processes (2 workers, spawn)"``.
    dashboard : the Dask dashboard address, when there is one.
    restart : rebuilds a broken process pool (None for other executors)."""

    kind: str
    executor: Executor
    workers: int
    description: str
    dashboard: str | None = None
    restart: Callable[[], Executor] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


ORPHAN_CHECK_SECONDS = 2.0
"""How often a pool worker checks that its driver is still alive."""


def worker_init(driver_pid: int) -> None:
    """Initializer of the pool's worker processes.

    - SIGINT is ignored: a terminal's Ctrl-C reaches every process of the foreground group; the workers leave
      it to the driver, which stops them (:func:`kill_pool`), instead of each printing a traceback.
    - A daemon thread ends the worker (``os._exit``) when the driver is gone, e.g. after ``kill -9`` of the
      driver alone: a worker stuck in a run would otherwise hold its core until the run ends."""
    import os
    import signal
    import threading
    import time

    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while True:
            time.sleep(ORPHAN_CHECK_SECONDS)
            if os.getppid() != driver_pid:  # reparented: the driver has died
                os._exit(1)

    threading.Thread(target=watch, name="aieco-orphan-watch", daemon=True).start()


def _process_pool(workers: int, start_method: str) -> ProcessPoolExecutor:
    import os

    ctx = multiprocessing.get_context(start_method)
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=worker_init,
                               initargs=(os.getpid(),))


def kill_pool(pool: ProcessPoolExecutor, grace: float = 2.0) -> None:
    """Stop a process pool at once: cancel its pending tasks and terminate its worker processes (SIGTERM,
    then SIGKILL after ``grace`` seconds). ``shutdown(wait=False)`` alone is not enough: Python joins the
    pool at exit, so a run that is stuck (or merely long) would keep an interrupted sweep from exiting.
    Uses the pool's ``_processes`` table (CPython's ProcessPoolExecutor; absent elsewhere: then only
    cancels)."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    for p in procs:
        if p.is_alive():
            p.terminate()
    shutdown_now(pool, grace)
    for p in procs:
        p.join(timeout=grace)
        if p.is_alive():
            p.kill()
            p.join(timeout=grace)


def shutdown_now(pool: ProcessPoolExecutor, timeout: float = 2.0) -> None:
    """``pool.shutdown(wait=False, cancel_futures=True)``, then wait (up to ``timeout`` seconds) for the
    pool's manager thread to end. Otherwise, at interpreter exit, CPython's
    ``concurrent.futures.process._python_exit`` may wake that thread through a pipe the thread is closing at
    the same moment, which prints ``Exception ignored in: <module 'threading'> ... OSError: [Errno 9] Bad
    file descriptor`` after an interrupted sweep (a race fixed in Python 3.12). Uses the pool's
    ``_executor_manager_thread`` (CPython; elsewhere only shuts down)."""
    manager = getattr(pool, "_executor_manager_thread", None)  # shutdown() forgets it
    pool.shutdown(wait=False, cancel_futures=True)
    if manager is not None:
        manager.join(timeout)


@contextmanager
def open_executor(kind: str = "processes", workers: int | None = None, scheduler: str | None = None, *,
                  timeout: float = 10.0, start_method: str = "spawn", dask_processes: bool = True,
                  echo: Callable[[str], None] | None = None) -> Iterator[ExecutorHandle]:
    """Start an executor and yield its :class:`ExecutorHandle`; shut it down on exit.

    Parameters
    ----------
    kind : ``serial``, ``processes`` or ``dask``.
    workers : processes (``processes``) or LocalCluster workers (``dask`` without a scheduler); default
        all available cores. Ignored for ``serial`` and for an existing Dask cluster.
    scheduler : address of a running Dask scheduler (``tcp://host:8786``); only with ``dask``.
    timeout : seconds to wait for the scheduler before giving up.
    start_method : multiprocessing context of the process pool (``spawn``, ``forkserver`` or ``fork``).
    dask_processes : LocalCluster workers are processes (True) or threads of this process (False).
    echo : receives one-line notes (the dashboard address).

    Raises ExecutorError for an unknown kind, bad worker count or unreachable scheduler."""
    say = echo or (lambda _msg: None)
    if kind not in EXECUTORS:
        raise ExecutorError(f"unknown executor {kind!r} (allowed: {', '.join(EXECUTORS)})")
    if workers is not None and workers < 1:
        raise ExecutorError(f"--workers must be >= 1, got {workers}")
    if scheduler and kind != "dask":
        raise ExecutorError(f"--scheduler needs --executor dask (got --executor {kind})")
    if kind == "serial":
        opened = _serial_executor()
    elif kind == "processes":
        opened = _process_executor(workers or available_cores(), start_method)
    else:
        opened = _dask_executor(workers, scheduler, timeout, dask_processes, say)
    with opened as handle:
        yield handle


@contextmanager
def _serial_executor() -> Iterator[ExecutorHandle]:
    ex = SerialExecutor()
    try:
        yield ExecutorHandle("serial", ex, 1, "serial (this process)")
    finally:
        ex.shutdown()


@contextmanager
def _process_executor(n: int, start_method: str) -> Iterator[ExecutorHandle]:
    """A pool of ``n`` processes that can be restarted (a dead worker); killed when the body is interrupted or
    fails, shut down (waiting for its tasks) otherwise."""
    if start_method not in multiprocessing.get_all_start_methods():
        raise ExecutorError(f"start method {start_method!r} is not available here "
                            f"(allowed: {', '.join(multiprocessing.get_all_start_methods())})")
    handle = ExecutorHandle("processes", _process_pool(n, start_method), n,
                            f"processes ({n} worker{'s' if n != 1 else ''}, {start_method})")

    def restart() -> Executor:
        shutdown_now(handle.executor)
        handle.executor = _process_pool(n, start_method)
        return handle.executor

    handle.restart = restart
    try:
        yield handle
    except BaseException:  # interrupted (Ctrl-C, SIGTERM) or failed: stop the workers now
        kill_pool(handle.executor)
        raise
    handle.executor.shutdown(wait=True)


@contextmanager
def _dask_executor(workers: int | None, scheduler: str | None, timeout: float, dask_processes: bool,
                   say: Callable[[str], None]) -> Iterator[ExecutorHandle]:
    """A client of the running scheduler at ``scheduler``, or of a LocalCluster of ``workers`` started here;
    closed on exit (a dead cluster that cannot close cleanly is gone either way)."""
    live: dict[str, Any] = {"cluster": None, "client": None, "ex": None}

    def close() -> None:
        if live["ex"] is not None:
            live["ex"].shutdown(wait=False, cancel_futures=True)
        for key in ("client", "cluster"):
            if live[key] is not None:
                try:
                    live[key].close(timeout=10)
                except Exception:  # noqa: BLE001 - a dead cluster may not close cleanly; it is gone either way
                    pass
                live[key] = None

    where = _start_dask(live, workers, scheduler, timeout, dask_processes, close)
    try:
        client = live["client"]
        nthreads = sum(client.nthreads().values()) or 1
        dashboard = _dashboard_link(client)
        say(f"{where}: {nthreads} worker threads; dashboard: {dashboard or 'not available'}")
        live["ex"] = DaskExecutor(client)
        yield ExecutorHandle("dask", live["ex"], nthreads, f"{where} ({nthreads} threads)", dashboard,
                             extra={"client": client})
    finally:
        close()


def _start_dask(live: dict[str, Any], workers: int | None, scheduler: str | None, timeout: float,
                dask_processes: bool, close: Callable[[], None]) -> str:
    """Connect to ``scheduler`` or start a LocalCluster (into ``live``); returns where the runs go. Raises
    ExecutorError, after closing what was started, when either fails."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as e:  # pragma: no cover - dask[distributed] is a dependency
        raise ExecutorError(f"--executor dask needs dask.distributed: {e}") from None
    try:
        if scheduler:
            try:
                live["client"] = Client(scheduler, timeout=f"{timeout}s", set_as_default=False)
            except (OSError, TimeoutError) as e:
                raise ExecutorError(f"cannot reach the Dask scheduler at {scheduler} within {timeout:g} s: "
                                    f"{type(e).__name__}: {e}") from None
            return f"dask cluster at {scheduler}"
        n = workers or available_cores()
        live["cluster"] = LocalCluster(n_workers=n, threads_per_worker=1, processes=dask_processes,
                                       dashboard_address=":0", silence_logs=40)
        live["client"] = Client(live["cluster"], set_as_default=False)
        return f"dask LocalCluster ({n} {'processes' if dask_processes else 'threads'})"
    except ExecutorError:
        raise
    except Exception as e:  # noqa: BLE001 - any start-up failure is reported as one line
        close()
        raise ExecutorError(f"cannot start dask: {type(e).__name__}: {e}") from None


def _dashboard_link(client: Any) -> str | None:
    """The Dask dashboard's address (with a hint when bokeh is missing), or None when there is none."""
    try:
        dashboard = client.dashboard_link
        if "dashboard" not in (client.scheduler_info().get("services") or {}):
            dashboard = None  # e.g. a scheduler started with --no-dashboard: the link would lead nowhere
    except Exception:  # noqa: BLE001 - no dashboard (bokeh missing) is not an error
        dashboard = None
    if dashboard and "bokeh" not in _installed():
        dashboard += " (install bokeh to see it)"
    return dashboard


def _installed() -> set[str]:
    import importlib.util

    return {m for m in ("bokeh",) if importlib.util.find_spec(m) is not None}
