"""Shared pieces of the CLI: clean errors (exit code 2), scenario loading with --set, progress bars, tables."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NoReturn

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from sim.scenario import Scenario, ScenarioError, load_scenario

BAD_INPUT = 2
"""Exit code for bad input (invalid scenario, spec or results folder)."""

err_console = Console(stderr=True, highlight=False)
console = Console(highlight=False)


def fail(message: str, code: int = BAD_INPUT) -> NoReturn:
    """Print one clear error line (no traceback) and exit with ``code`` (default 2)."""
    err_console.print(f"[bold red]error:[/] {message}", markup=True, soft_wrap=True)
    sys.exit(code)


def scenario_or_exit(path: str, sets: tuple[str, ...] = ()) -> Scenario:
    """Load a scenario with ``--set`` overrides; on bad input print the error and exit 2.

    Warns when a ``--set`` sets a government field that a dated event of the scenario changes later: the
    value holds from the start only until that event."""
    try:
        sc = load_scenario(path, list(sets))
    except ScenarioError as e:
        fail(str(e))
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


@contextmanager
def progress_bar(total: int, label: str) -> Iterator[Callable[[int], None]]:
    """A rich progress bar on stderr with count, elapsed time and ETA; yields ``advance(n=1)``."""
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("ETA"), TimeRemainingColumn())
    with Progress(*columns, console=err_console, transient=False, disable=not err_console.is_terminal
                  and total <= 1) as prog:
        task = prog.add_task(label, total=total)
        yield lambda n=1: prog.advance(task, n)
