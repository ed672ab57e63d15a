"""Shared pieces of the CLI: clean errors (exit code 2), scenario loading with --set, progress bars, tables."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress

from sim.analysis.progress import RunProgress, progress_columns
from sim.scenario.schema import Scenario, ScenarioError, load_scenario

BAD_INPUT = 2
"""Exit code for bad input (invalid scenario, spec or results folder)."""


class FiniteFloatRange(click.FloatRange):
    """``click.FloatRange`` that also refuses ``nan`` and ``inf`` (click passes NaN through every bound) with
    "not a finite number"."""

    def convert(self, value, param, ctx):  # noqa: ANN001, ANN201 - click's signature
        """The value as a finite float within the range; fails (exit 2, naming the option) otherwise."""
        import math

        v = super().convert(value, param, ctx) if not isinstance(value, str) or value.strip().lower().lstrip(
            "+-") not in ("nan", "inf", "infinity") else float(value)
        if not math.isfinite(v):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return v

err_console = Console(stderr=True, highlight=False)
console = Console(highlight=False)


def fail(message: str, code: int = BAD_INPUT) -> NoReturn:
    """Print one clear error line (no traceback) and exit with ``code`` (default 2). ``message`` is plain
    text: brackets in it (pydantic's ``[key]``, a TOML ``[design]``) are printed as they are."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", markup=True, soft_wrap=True)
    sys.exit(code)


FIGURE_FORMATS = ("png", "pdf", "svg")


def parse_formats(formats: str) -> tuple[str, ...]:
    """The figure formats of a ``--format`` value (comma-separated, e.g. ``"png,pdf"``); exits with code 2 naming
    the option when one is not png, pdf or svg, or none is given."""
    fmts = tuple(f.strip() for f in formats.split(",") if f.strip())
    bad = [f for f in fmts if f not in FIGURE_FORMATS]
    if bad or not fmts:
        fail(f"--format: {bad[0] if bad else formats!r} is not one of {', '.join(FIGURE_FORMATS)}")
    return fmts


DEFAULT_MAX_REPLICATIONS = 400
"""--max-replications when not given: the most replications --precision adds (or --replications, if larger)."""


def max_replications_or_exit(max_replications: int | None, replications: int, precision: float | None) -> int:
    """The cap of ``--precision``'s batches: ``max_replications`` when given, else the larger of
    :data:`DEFAULT_MAX_REPLICATIONS` and ``replications`` (so ``-r 500 --precision 0.1`` needs no cap of its own).
    Exits with code 2 when ``--max-replications`` is given without ``--precision`` (it would do nothing) or is
    below ``--replications`` (the first batch)."""
    if max_replications is None:
        return max(DEFAULT_MAX_REPLICATIONS, replications)
    if precision is None:
        fail(f"--max-replications {max_replications} applies only with --precision REL (it caps the batches that "
             "--precision adds); without --precision, -r/--replications sets the replications")
    from sim.analysis.precision import check_batch_args

    try:
        check_batch_args(precision, replications, max_replications)
    except ValueError as e:
        fail(f"--max-replications / --replications: {e} (--replications is the first batch)")
    return max_replications


def wide_console(width: int) -> Console:
    """The standard-output console when it is a terminal at least ``width`` columns wide, else one of ``width``
    columns (a pipe or file gets rich's 80 by default, which would fold wide tables)."""
    return console if console.is_terminal and console.width >= width else Console(highlight=False, width=width)


def print_notes(scenario: Scenario) -> None:
    """Print on stderr, one ``note:`` line each, what loading ``scenario`` did that its files do not say outright
    (:func:`sim.scenario.schema.scenario_notes`: dated events after a shortened horizon dropped)."""
    from sim.scenario.schema import scenario_notes

    for note in scenario_notes(scenario):
        err_console.print(f"note: {note}", markup=False, highlight=False, soft_wrap=True)


def scenario_or_exit(path: str, sets: tuple[str, ...] = (), months: int | None = None) -> Scenario:
    """Load a scenario with ``--set`` overrides and, with ``months`` (``--months``), that horizon; on bad input
    print the error and exit 2. Prints the notes of :func:`print_notes`.

    Warns when a ``--set`` sets a government field that a dated event of the scenario changes later: the
    value holds from the start only until that event."""
    from sim.scenario.schema import with_horizon

    try:
        sc = load_scenario(path, list(sets))
        if months:
            sc = with_horizon(sc, months)
    except ScenarioError as e:
        fail(str(e))
    print_notes(sc)
    for text in sets:
        key = text.partition("=")[0].strip()
        parts = key.split(".")
        if len(parts) >= 3 and parts[0] == "governments":
            field = ".".join(parts[2:])
            hits = [e.month for e in sc.events if e.government == parts[1] and e.field == field]
            if hits:
                err_console.print(f"[yellow]warning:[/] --set {key}: the scenario's dated events change this field "
                                  f"in {', '.join(hits)}; your value holds only until then (edit or drop those "
                                  "events in a scenario file that extends this one to hold it throughout)",
                                  markup=True, soft_wrap=True)
    return sc


set_option = click.option("--set", "sets", multiple=True, metavar="SECTION.KEY=VALUE",
                          help="Override any scenario field, e.g. --set labs.beta=6 --set "
                               "governments.US.leakage=0.5 (repeatable; checked like the file).")


overwrite_option = click.option("--overwrite", is_flag=True,
                                help="Replace the results of this command already in the output folder (without it, "
                                     "finished results are never replaced: choose another --out).")


samples_option = click.option(
    "--samples", type=click.IntRange(min=1), default=None, metavar="N",
    help="Design size, overriding the spec's design.samples: LHS points, Sobol' base N (a power of 2; "
         "N x (factors + 2) runs), Morris trajectories. The default results folder gets _samples=N.")


@contextmanager
def progress_bar(total: int, label: str) -> Iterator[Callable[[int], None]]:
    """Progress on stderr with count, elapsed time and ETA; yields ``advance(n=1)``. On a terminal a rich bar;
    elsewhere (a log file, ``nohup``, a batch job) plain lines every 30 s and at each 10% done
    (:class:`sim.analysis.progress.RunProgress`), so a long run in the background still says how far it is."""
    if err_console.is_terminal or err_console.is_jupyter:
        with Progress(*progress_columns(), console=err_console, transient=False) as prog:
            task = prog.add_task(label, total=total)
            yield lambda n=1: prog.advance(task, n)
        return
    with RunProgress(total > 1, total, 0, 0, label, terminal=False) as bar:
        yield lambda n=1: bar.advance(n, 0)


def executor_options(f: Callable) -> Callable:
    """The options every command that runs a design shares (``aieco sweep``, ``aieco sensitivity``):
    --executor, --workers, --scheduler, --batch-size and --timeout."""
    from sim.analysis.sweep.executors import EXECUTORS

    options = [
        click.option("--executor", type=click.Choice(EXECUTORS), default=None,
                     help="Where runs execute: this process, a local process pool, or Dask. "
                          "[default: processes; dask when --scheduler is given]"),
        click.option("--workers", type=click.IntRange(min=1), default=None,
                     help="Worker processes (processes) or LocalCluster workers (dask). [default: all cores]"),
        click.option("--scheduler", metavar="ADDRESS", default=None,
                     help="Address of a running Dask scheduler (e.g. tcp://10.0.0.5:8786); implies --executor dask."),
        click.option("--batch-size", type=click.IntRange(min=1), default=None,
                     help="Runs per task. [default: the spec's, else about 8 tasks per worker, at most 64 runs]"),
        click.option("--timeout", type=click.FloatRange(min=0.1), default=10.0, show_default=True,
                     help="Seconds to wait for the Dask scheduler."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def resolve_executor(executor: str | None, scheduler: str | None, resume: bool, retry_failed: bool) -> str:
    """The executor to use (default processes, dask when a scheduler is given); exits 2 on a contradiction."""
    if executor is None:
        executor = "dask" if scheduler else "processes"
    if scheduler and executor != "dask":
        fail(f"--scheduler needs --executor dask (got --executor {executor})")
    if retry_failed and not resume:
        fail("--retry-failed needs --resume")
    return executor


def resume_hint(command: str, spec: str, out: str, replications: int | None, sets: tuple[str, ...],
                executor: str = "processes", scheduler: str | None = None, workers: int | None = None,
                extra: tuple[str, ...] = ()) -> str:
    """The command line that continues an interrupted sweep: the same spec, --out, --replications and
    --set values (those define the sweep; a resume without them is refused as a different sweep), the same
    executor, scheduler and workers (so that a cluster sweep resumes on the cluster), ``extra`` arguments
    (e.g. ``--groups``), plus --resume. Quoted for a POSIX shell."""
    import shlex

    args = ["aieco", command, spec, "--out", out]
    if replications is not None:
        args += ["--replications", str(replications)]
    for s in sets:
        args += ["--set", s]
    if scheduler:
        args += ["--scheduler", scheduler]
    elif executor != "processes":
        args += ["--executor", executor]
    if workers is not None and not scheduler:
        args += ["--workers", str(workers)]
    env = os.environ.get("PYTHONPATH")  # a run_function found through PYTHONPATH needs it again
    return (f"PYTHONPATH={shlex.quote(env)} " if env else "") + shlex.join([*args, *extra, "--resume"])


@contextmanager
def sigterm_as_interrupt() -> Iterator[dict[str, int | None]]:
    """While open, SIGTERM (what ``kill``, SLURM's ``scancel`` and time limits send) raises KeyboardInterrupt
    in the main thread, so a sweep stops the way Ctrl-C stops it: workers terminated, the session recorded
    as interrupted, the continuation command printed. Yields a dict whose ``"signal"`` is the signal number
    that stopped the command (None for Ctrl-C or none). No-op outside the main thread."""
    import signal
    import threading

    state: dict[str, int | None] = {"signal": None}
    if threading.current_thread() is not threading.main_thread():
        yield state
        return

    def handler(signum: int, _frame: object) -> None:
        state["signal"] = signum
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGTERM, handler)
    try:
        yield state
    finally:
        signal.signal(signal.SIGTERM, old)


@contextmanager
def writer_lock(folder: str | Path) -> Iterator[None]:
    """Hold the writer's lock of a folder written in parts (``folder/.lock``,
    :func:`sim.analysis.folders.folder_lock`, the lock every aieco writer takes); exit 2 at once when another
    command holds it."""
    from sim.analysis.folders import FolderBusy, folder_lock

    try:
        lock = folder_lock(folder, inside=True)
        lock.__enter__()
    except FolderBusy as e:
        fail(str(e))
    try:
        yield
    finally:
        lock.__exit__(None, None, None)


@contextmanager
def staged_output(out_dir: str | Path, overwrite: bool = False, replaceable: Callable[[Path], bool] | None = None,
                  kinds: tuple[str, ...] | None = None, merge: bool = False) -> Iterator[Path]:
    """Write a finished result to ``out_dir`` safely (:func:`sim.analysis.folders.finished_folder`): yields the
    staging folder to write into, published whole when the body completes. Another writer of the folder, or
    results already there without ``overwrite``: exit 2 at once. Ctrl-C or SIGTERM: nothing is written, one
    line says so, exit 130 or 143. A write error (full disk): exit 1, the folder left as it was. ``kinds``:
    the results kinds the folder may hold to be replaced (another command's results are never replaced);
    ``merge``: the staged files are moved into an existing folder, whose other files stay."""
    from sim.analysis.folders import FolderError, finished_folder

    with sigterm_as_interrupt() as stopped:
        try:
            with finished_folder(out_dir, overwrite, replaceable=replaceable, kinds=kinds, merge=merge) as staging:
                yield staging
        except FolderError as e:
            fail(str(e))
        except KeyboardInterrupt:
            why = "terminated (SIGTERM)" if stopped["signal"] else "interrupted"
            err_console.print(f"{why}: nothing written to {out_dir} (results appear there only when complete)",
                              markup=False, soft_wrap=True)
            sys.exit(exit_code_after_interrupt(stopped))
        except OSError as e:
            fail(write_error(e, out_dir), code=1)


def exit_code_after_interrupt(state: dict[str, int | None]) -> int:
    """128 + the signal: 143 after SIGTERM, 130 after Ctrl-C (SIGINT)."""
    import signal

    return 128 + (state.get("signal") or signal.SIGINT)


@contextmanager
def stop_cleanly(command: str, spec: str, out: str, replications: int | None, sets: tuple[str, ...],
                 executor: str = "processes", scheduler: str | None = None, workers: int | None = None,
                 extra: tuple[str, ...] = ()) -> Iterator[None]:
    """Run a sweep-like command so that Ctrl-C and SIGTERM stop it cleanly: the body's KeyboardInterrupt
    (the runner has already terminated the workers and recorded the session) becomes one line with the
    continuation command (:func:`resume_hint`) and exit code 130 (Ctrl-C) or 143 (SIGTERM)."""
    with sigterm_as_interrupt() as stopped:
        try:
            yield
        except KeyboardInterrupt:
            hint = resume_hint(command, spec, out, replications, sets, executor, scheduler, workers, extra)
            why = "terminated (SIGTERM)" if stopped["signal"] else "interrupted"
            err_console.print(f"{why}; finished runs are kept. Continue with: {hint}", markup=False, soft_wrap=True)
            sys.exit(exit_code_after_interrupt(stopped))
        except OSError as e:  # a full disk, a folder made read-only: the store stopped writing
            hint = resume_hint(command, spec, out, replications, sets, executor, scheduler, workers, extra)
            fail(f"{write_error(e, out)}; finished runs are kept. Make room (or fix the folder), then continue "
                 f"with: {hint}", code=1)


def write_error(e: OSError, out: str | Path) -> str:
    """One line for an OSError raised while writing results: what failed, the file, and the folder."""
    where = f" ({e.filename})" if e.filename else ""
    return f"cannot write to {out}: {e.strerror or e}{where}"
