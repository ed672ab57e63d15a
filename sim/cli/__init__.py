"""The ``aieco`` command line interface.

One module per command group; this package only wires them together. The CLI is the top layer:
it may import everything, nothing imports it.
"""

from __future__ import annotations

import click

from sim import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="aieco")
def main() -> None:
    """aieco: agent-based simulation of open-weight vs closed AI competition under export controls."""


def _register() -> None:
    from sim.cli import run as _run

    main.add_command(_run.run)
    try:  # command groups built in parallel; each registers if present
        from sim.cli import data as _data

        main.add_command(_data.data)
    except ImportError:  # pragma: no cover - during development only
        pass


_register()
