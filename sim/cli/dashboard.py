"""``aieco dashboard``: serve the dashboard web app (:mod:`sim.dashboard`) on this machine."""

from __future__ import annotations

from pathlib import Path

import click

from sim.cli.common import err_console, fail


def _check_paths(paths: tuple[str, ...]) -> list[Path]:
    """Each path must be a scenario file that loads or a results folder with a manifest; exit 2 otherwise."""
    from sim.plots.catalogue import ResultsError, read_manifest
    from sim.scenario.schema import ScenarioError, load_scenario

    out = []
    for p in map(Path, paths):
        if p.is_dir():
            try:
                read_manifest(p)
            except ResultsError as e:
                fail(str(e))
        elif p.is_file():
            try:
                load_scenario(p)
            except ScenarioError as e:
                fail(str(e))
        else:
            fail(f"{p}: no such scenario file or results folder")
        out.append(p.resolve())
    return out


@click.command()
@click.argument("paths", nargs=-1, metavar="[RESULTS_OR_SCENARIO]...")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port to serve on (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (127.0.0.1: this machine only).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Worker processes for the runs (default: the CPUs available, at most 4).")
@click.option("--out", type=click.Path(file_okay=False), default="results/dashboard", show_default=True,
              help="Folder under which exports are written.")
@click.option("--open/--no-open", "open_browser", default=True, show_default=True,
              help="Open the page in the default web browser.")
def dashboard(paths: tuple[str, ...], port: int, host: str, workers: int | None, out: str,
              open_browser: bool) -> None:
    """Explore scenarios in the browser: levers, runs beside the start scenario, one run month by month,
    results folders, export.

    \b
    RESULTS_OR_SCENARIO are scenario files (added to the scenarios you can start from) and results folders of
    aieco run, compare, sweep, validate or sensitivity (offered on the "Open results" tab).
    Needs the dashboard extra: pip install -e ".[dashboard]". Works offline.
    """
    try:
        import solara  # noqa: F401

        from sim.dashboard.server import free_port, port_free, serve
    except ImportError:
        fail('the dashboard needs its extra: pip install -e ".[dashboard]"')
    checked = _check_paths(paths)
    if port and not port_free(host, port):
        fail(f"--port {port}: in use on {host}; choose another port, or --port 0 for any free one")
    port = port or free_port(host)
    err_console.print(f"aieco dashboard at http://{host}:{port}/ (Ctrl-C stops it)")
    serve(checked, port, host, out, workers, open_browser)


COMMANDS = [dashboard]
