"""The progress-bar layout shared by every long command (runs, comparisons, sweeps, calibration).

One place for the columns, so that ``aieco run``, ``aieco compare``, ``aieco sweep`` and the rest show the
same bar: description, bar, ``done/total``, optional extra text, elapsed time and ETA (rich's estimate from
the recent completion rate)."""

from __future__ import annotations

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


def progress_columns(extra: str | None = None) -> tuple[ProgressColumn, ...]:
    """Columns for :class:`rich.progress.Progress`.

    Parameters
    ----------
    extra : rich markup placed after ``done/total``; it may use the task's fields, e.g.
        ``"runs · {task.fields[failed]} failed"``. None: no extra column.
    """
    cols: list[ProgressColumn] = [TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn()]
    if extra is not None:
        cols.append(TextColumn(extra))
    return (*cols, TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn())
