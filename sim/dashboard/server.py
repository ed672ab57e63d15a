"""Serving the dashboard: Solara's server (uvicorn) in this process, offline.

The front-end assets come from the ``solara-assets`` package (the version pinned with solara), Solara's
usage statistics and its version check are switched off, so that no request leaves the machine.
"""

from __future__ import annotations

import os
import socket
import warnings
from collections.abc import Sequence
from pathlib import Path

OFFLINE_ENV = {
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",  # Solara's usage statistics would leave the machine
}
"""Environment that keeps Solara from contacting anything outside this machine."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on ``host`` now."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def port_free(host: str, port: int) -> bool:
    """True when ``port`` can be bound on ``host`` now."""
    with socket.socket() as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def serve(paths: Sequence[Path], port: int, host: str = "127.0.0.1", out: str | Path = "results/dashboard",
          workers: int | None = None, open_browser: bool = False) -> None:
    """Serve :mod:`sim.dashboard.app` on ``host:port`` until interrupted.

    paths : checked scenario files and results folders to offer. out : folder for exports. workers : worker
    processes for runs (default :func:`sim.dashboard.jobs.default_workers`). Raises ImportError when the
    dashboard extra is not installed."""
    from solara.__main__ import run as solara_run

    from sim.dashboard import jobs

    os.environ.update(OFFLINE_ENV)
    # Solara warns on every first page load from a host other than "localhost" (e.g. 127.0.0.1) that it cannot set
    # a SameSite=None cookie over http and falls back to SameSite=Lax: the right cookie for a local server
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https", category=UserWarning)
    os.environ["AIECO_DASHBOARD_PATHS"] = os.pathsep.join(str(Path(p).resolve()) for p in paths)
    os.environ["AIECO_DASHBOARD_OUT"] = str(Path(out).resolve())
    if workers:
        os.environ["AIECO_DASHBOARD_WORKERS"] = str(workers)
    jobs.warm_up(workers)  # worker processes import the model while the server starts
    args = ["sim.dashboard.app", "--port", str(port), "--host", host, "--production", "--no-check-version",
            "--no-access-log", "--log-level-uvicorn", "warning", "--open" if open_browser else "--no-open"]
    try:
        solara_run.main(args=args, prog_name="aieco dashboard", standalone_mode=True)
    finally:  # Ctrl-C or SIGTERM (uvicorn shuts down on both); the workers also end with their parent
        jobs.shutdown_pool()
