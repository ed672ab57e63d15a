"""``aieco results DIR``: what a sweep results folder holds (runs done, failed, missing; metric ranges).

Exit codes: 0 (whatever the folder holds); 2 when DIR is not a sweep results folder.
"""

from __future__ import annotations

import math

import click
from rich.markup import escape
from rich.table import Table

from sim.analysis.sweep.spec import plural
from sim.analysis.sweep.store import StoreError, overview
from sim.cli.common import console, fail

_STATE = {
    "finished": "finished at {finished}",
    "interrupted": "was interrupted at {finished} (continue with --resume)",
    "running": "is still running (a sweep holds the folder's lock)",
    "crashed": "never recorded an end: it crashed or was killed (continue with --resume)",
    "running or crashed": "has no recorded end: still running, or crashed (then continue with --resume)",
}


def _num(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    ax = abs(x)
    if ax != 0 and (ax >= 1e5 or ax < 1e-3):
        return f"{x:.3g}"
    return f"{x:.4g}"


@click.command()
@click.argument("directory", metavar="DIR", type=click.Path(file_okay=False))
@click.option("--errors", "n_errors", type=click.IntRange(min=0), default=5, show_default=True,
              help="How many distinct error messages to list.")
def results(directory: str, n_errors: int) -> None:
    """Overview of the sweep results in DIR: runs done, failed and missing, the most common errors, and
    the range of every summary metric over the successful runs.

    Load the table itself in Python with `sim.load_results(DIR)`."""
    try:
        ov = overview(directory)
    except StoreError as e:
        fail(str(e))
    console.print(f"[bold]{escape(directory)}[/]: sweep {escape(repr(ov['name']))}, design {ov['design']}, "
                  f"{plural(ov['points'], 'point')} x {plural(ov['replications'], 'replication')} = "
                  f"{plural(ov['total'], 'run')}; {'factor' if len(ov['factors']) == 1 else 'factors'}: "
                  f"{escape(', '.join(ov['factors']))}",
                  soft_wrap=True, highlight=False)
    git = ov["git"] or {}
    last = ov.get("last_session")
    if last is None:
        state = "no session recorded"
    else:
        which = "which" if ov["sessions"] == 1 else "the last"
        state = f"{plural(ov['sessions'], 'session')}, {which} " + _STATE[last["state"]].format(
            finished=last.get("finished") or "?")
    console.print(f"created {ov['created']} (git {(git.get('commit') or 'unknown')[:10]}"
                  f"{', uncommitted changes' if git.get('dirty') else ''}); {escape(state)}",
                  soft_wrap=True, highlight=False)
    for session, changes in ov.get("code_changed", []):
        console.print(f"[yellow]warning[/]: session {session} ran other code than the sweep started with: "
                      f"{escape('; '.join(changes))}", soft_wrap=True, highlight=False)
    console.print(f"runs: [green]{ov['ok']} done[/], [red]{ov['failed']} failed[/], {ov['missing']} missing",
                  highlight=False)
    if ov["unreadable"]:
        bad = ov["unreadable"]
        console.print(f"[yellow]warning[/]: {plural(len(bad), 'part')} cannot be read ({escape(', '.join(bad[:5]))}"
                      f"{' ...' if len(bad) > 5 else ''}): truncated or overwritten; their runs count as missing. "
                      "`aieco sweep SPEC --out DIR --resume` sets them aside and runs them again",
                      soft_wrap=True, highlight=False)
    if ov["failed"] and n_errors:
        console.print("most common errors (count, error):", highlight=False)
        for msg, k in ov["errors"][:n_errors]:
            console.print(f"  {k:6d}  {msg}", markup=False, highlight=False, soft_wrap=True)
    if ov["ok"]:
        t = Table(title="summary metrics over the successful runs", title_justify="left")
        for col, just in (("metric", "left"), ("min", "right"), ("median", "right"), ("max", "right"),
                          ("NaN", "right")):
            t.add_column(col, justify=just)
        for row in ov["metrics"].itertuples(index=False):
            t.add_row(escape(row.metric), _num(row.min), _num(row.median), _num(row.max), str(row.nan))
        console.print(t)


COMMANDS = [results]
