"""One executor interface (:class:`concurrent.futures.Executor`) for every way to run a sweep.

- ``serial``: :class:`SerialExecutor`, runs each task in the calling process when it is submitted.
- ``processes``: :class:`concurrent.futures.ProcessPoolExecutor` with an explicit multiprocessing
  context (``spawn`` by default). The global start method is never changed (mesa's ``batch_run`` forces
  it to ``spawn`` at import; this module neither relies on nor alters it).
- ``dask``: ``distributed.Client(address).get_executor(pure=False)`` (``pure=False`` so that two
  identical submissions are two tasks, not one), or a :class:`distributed.LocalCluster` when no address
  is given. An unreachable scheduler raises :class:`ExecutorError` after ``timeout`` seconds.

:func:`open_executor` is a context manager yielding an :class:`ExecutorHandle` (the executor, its
parallelism, a description and the Dask dashboard address) and shutting everything down on exit.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
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
        ex = SerialExecutor()
        try:
            yield ExecutorHandle("serial", ex, 1, "serial (this process)")
        finally:
            ex.shutdown()
        return
    if kind == "processes":
        if start_method not in multiprocessing.get_all_start_methods():
            raise ExecutorError(f"start method {start_method!r} is not available here "
                                f"(allowed: {', '.join(multiprocessing.get_all_start_methods())})")
        n = workers or available_cores()
        handle = ExecutorHandle("processes", _process_pool(n, start_method), n, f"processes ({n} worker{'s' if n != 1 else ''}, {start_method})")

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
        return

    # dask
    try:
        from distributed import Client, LocalCluster
    except ImportError as e:  # pragma: no cover - dask[distributed] is a dependency
        raise ExecutorError(f"--executor dask needs dask.distributed: {e}") from None
    cluster = None
    try:
        if scheduler:
            try:
                client = Client(scheduler, timeout=f"{timeout}s", set_as_default=False)
            except (OSError, TimeoutError) as e:
                raise ExecutorError(f"cannot reach the Dask scheduler at {scheduler} within {timeout:g} s: "
                                    f"{type(e).__name__}: {e}") from None
            where = f"dask cluster at {scheduler}"
        else:
            n = workers or available_cores()
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=dask_processes,
                                   dashboard_address=":0", silence_logs=40)
            client = Client(cluster, set_as_default=False)
            where = f"dask LocalCluster ({n} {'processes' if dask_processes else 'threads'})"
    except ExecutorError:
        raise
    except Exception as e:  # noqa: BLE001 - any start-up failure is reported as one line
        if cluster is not None:
            cluster.close()
        raise ExecutorError(f"cannot start dask: {type(e).__name__}: {e}") from None
    try:
        nthreads = sum(client.nthreads().values()) or 1
        try:
            dashboard = client.dashboard_link
            if "dashboard" not in (client.scheduler_info().get("services") or {}):
                dashboard = None  # e.g. a scheduler started with --no-dashboard: the link would lead nowhere
        except Exception:  # noqa: BLE001 - no dashboard (bokeh missing) is not an error
            dashboard = None
        if dashboard and "bokeh" not in _installed():
            dashboard += " (install bokeh to see it)"
        say(f"{where}: {nthreads} worker threads; dashboard: {dashboard or 'not available'}")
        ex = client.get_executor(pure=False)
        yield ExecutorHandle("dask", ex, nthreads, f"{where} ({nthreads} threads)", dashboard,
                             extra={"client": client})
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _installed() -> set[str]:
    import importlib.util

    return {m for m in ("bokeh",) if importlib.util.find_spec(m) is not None}
