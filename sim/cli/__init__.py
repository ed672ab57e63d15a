"""The ``aieco`` command line interface.

One module per command group (``sim/cli/<name>.py``, each listing its click commands in ``COMMANDS``);
this package only wires them together. The CLI is the top layer: it may import everything, nothing
imports it.
"""

from __future__ import annotations

import importlib
import warnings

import click

from sim import __version__

__all__ = ["main"]

MODULES = ("run", "scenarios", "compare", "data", "validate", "calibrate", "sweep", "results", "sensitivity",
           "discover", "figures", "dashboard")


class _Group(click.Group):
    """Records the invocation's arguments for manifests (``sim.analysis.provenance.current_command``)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        from sim.analysis import provenance

        provenance.COMMAND = list(args)
        _plain_warnings()
        return super().parse_args(ctx, args)


def _plain_warnings() -> None:
    """Show a library's warning as one ``warning:`` line on stderr, without the source file and line that Python
    prints by default (``/…/site-packages/matplotlib/….py:123: UserWarning: …``): a user of the command cannot act
    on a path inside the code. Warnings that tests capture (pytest) are left to them."""
    import sys

    def show(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ANN001
        print(f"warning: {message} ({category.__name__})", file=file or sys.stderr)

    if warnings.showwarning is _DEFAULT_SHOWWARNING:
        warnings.showwarning = show


_DEFAULT_SHOWWARNING = warnings.showwarning


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="aieco")
def main() -> None:
    """aieco: agent-based simulation of open-weight vs closed AI competition under export controls.

    Start with `aieco run scenarios/baseline.toml`; every command has --help."""


def _register() -> None:
    for name in MODULES:
        try:
            mod = importlib.import_module(f"sim.cli.{name}")
        except ModuleNotFoundError as e:
            if e.name == f"sim.cli.{name}":
                continue  # command group not built (yet)
            raise
        commands = getattr(mod, "COMMANDS", None) or [getattr(mod, name)]
        for cmd in commands:
            if cmd.name not in main.commands:
                main.add_command(cmd)


_register()
