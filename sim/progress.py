"""The progress-bar layout shared by every long command (runs, comparisons, sweeps, calibration).

One place for the columns, so that ``aieco run``, ``aieco compare``, ``aieco sweep`` and the rest show the
same bar: description, bar, ``done/total``, optional extra text, elapsed time and ETA (rich's estimate from
the recent completion rate).

The line fits an 80-column terminal: the bar is narrow (:data:`BAR_WIDTH`) and, when the line is still too
wide, only the description gives way (cut with an ellipsis); the numbers (``done/total``, the extra text,
elapsed time and ETA) are never cut."""

from __future__ import annotations

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
