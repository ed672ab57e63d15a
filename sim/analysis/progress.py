"""The progress-bar layout shared by every long command (runs, comparisons, sweeps, calibration).

One place for the columns, so that ``aieco run``, ``aieco compare``, ``aieco sweep`` and the rest show the
same bar: description, bar, ``done/total``, optional extra text, elapsed time and ETA (rich's estimate from
the recent completion rate).

The line fits an 80-column terminal: the bar is narrow (:data:`BAR_WIDTH`) and, when the line is still too
wide, only the description gives way (cut with an ellipsis); the numbers (``done/total``, the extra text,
elapsed time and ETA) are never cut."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Column
from rich.text import Text

BAR_WIDTH = 20
"""Width of the bar in characters."""


class _Description(TextColumn):
    """The task description on one line: the only column a narrow terminal shortens (with an ellipsis)."""

    def __init__(self) -> None:
        # a wrappable column is the one rich's table narrows first; the text itself never wraps
        super().__init__("[bold]{task.description}", table_column=Column(no_wrap=False))

    def render(self, task: Task) -> Text:
        text = super().render(task)
        text.no_wrap = True
        text.overflow = "ellipsis"
        return text


def progress_columns(extra: str | None = None) -> tuple[ProgressColumn, ...]:
    """Columns for :class:`rich.progress.Progress`.

    Parameters
    ----------
    extra : rich markup placed after ``done/total``; it may use the task's fields, e.g.
        ``"{task.fields[failed]} failed"``. Keep it short (about 20 characters) so that the line fits 80
        columns. None: no extra column.
    """
    def fixed() -> Column:
        return Column(no_wrap=True)

    cols: list[ProgressColumn] = [_Description(), BarColumn(bar_width=BAR_WIDTH, table_column=fixed()),
                                  MofNCompleteColumn(table_column=fixed())]
    if extra is not None:
        cols.append(TextColumn(extra))
    return (*cols, TimeElapsedColumn(table_column=fixed()), TextColumn("ETA"),
            TimeRemainingColumn(table_column=fixed()))


class RunProgress:
    """Progress of many runs on stderr (a sweep, a sensitivity analysis, replications, a comparison).

    On a terminal (or in Jupyter): a rich bar (runs done, failures, rate, elapsed time, ETA). Elsewhere
    (a SLURM log, ``nohup``, a file): plain lines such as ``sweep NAME: 500/1000 runs (3 failed), 12.1 runs/s,
    elapsed 0:00:41, ETA 0:00:41``, one every LOG_EVERY seconds and one at every 10% done, never two within
    LOG_MIN seconds, and a last one at the end when any was written. Not ``enabled``: nothing.

    ``terminal`` (default: whether stderr is a terminal), ``stream`` (default: sys.stderr at each line) and
    ``clock`` are for tests."""

    LOG_EVERY = 30.0
    LOG_MIN = 5.0

    def __init__(self, enabled: bool, total: int, done: int, failed: int, label: str, *,
                 terminal: bool | None = None, stream: Any = None, clock: Callable[[], float] = time.monotonic):
        self.failed, self.done, self.total, self.label = failed, done, total, label
        self.prog = None
        self.log = False
        self.stream, self.clock = stream, clock
        self.t0 = self.last = clock()
        self.ran = 0
        self.lines = 0
        self.logged = (done, failed)
        self.decile = self._decile()
        if not enabled:
            return
        from rich.console import Console
        from rich.progress import Progress

        console = Console(stderr=True, highlight=False)
        if terminal is None:
            terminal = console.is_terminal or console.is_jupyter
        if not terminal:
            self.log = True
            return
        self.prog = Progress(*progress_columns("[red]{task.fields[failed]} failed[/] · {task.fields[rate]}"),
                             console=console, transient=False, refresh_per_second=4)
        self.task = self.prog.add_task(label, total=total, completed=done, failed=failed, rate="")

    def _decile(self) -> int:
        return self.done * 10 // self.total if self.total > 0 else 10

    def __enter__(self) -> RunProgress:
        if self.prog is not None:
            self.prog.start()
        return self

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        if self.prog is not None:
            self.prog.stop()
        elif self.log and exc_type is None and self.lines and self.logged != (self.done, self.failed):
            self._write(self.clock())

    def advance(self, n: int, failed: int) -> None:
        self.failed += failed
        self.done += n
        self.ran += n
        if self.prog is not None:
            dt = self.clock() - self.t0
            rate = f"{self.ran / dt:.1f}/s" if dt > 0 else ""
            self.prog.update(self.task, advance=n, failed=self.failed, rate=rate)
        elif self.log:
            now = self.clock()
            since = now - self.last
            if since >= self.LOG_EVERY or (since >= self.LOG_MIN and self._decile() > self.decile):
                self._write(now)

    def line(self, now: float) -> str:
        """The plain progress line at time ``now``."""
        def hms(s: float) -> str:
            s = int(round(s))
            return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"

        dt = now - self.t0
        rate = self.ran / dt if dt > 0 else 0.0
        left = self.total - self.done
        eta = "" if left <= 0 else f", ETA {hms(left / rate)}" if rate > 0 else ", ETA ?"
        return (f"{self.label}: {self.done}/{self.total} runs ({self.failed} failed), {rate:.1f} runs/s, "
                f"elapsed {hms(dt)}{eta}")

    def _write(self, now: float) -> None:
        print(self.line(now), file=self.stream or sys.stderr, flush=True)
        self.last, self.lines = now, self.lines + 1
        self.logged, self.decile = (self.done, self.failed), self._decile()
