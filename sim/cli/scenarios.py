"""``aieco scenarios``: list the scenario library, show a resolved scenario, validate scenario files."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import click

from sim.cli.common import BAD_INPUT, console, err_console, fail, scenario_or_exit, set_option
from sim.scenario.schema import ScenarioError, load_scenario

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


# ------------------------------------------------------------------------------------------------
# A small TOML writer for resolved scenarios (the standard library reads TOML but does not write it)
# ------------------------------------------------------------------------------------------------

def _key(k: str) -> str:
    return k if _BARE_KEY.match(k) else json.dumps(k)


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_value(x) for x in v if x is not None) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items() if x is not None) + " }"
    raise TypeError(f"cannot write {type(v).__name__} as TOML")


def _is_table_array(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)


def to_toml(data: dict[str, Any], _name: str = "") -> str:
    """TOML text of a plain dict: each table's scalars and arrays, then its ``[sub.tables]`` and
    ``[[arrays.of.tables]]``. ``None`` values are left out (TOML has no null; in a scenario None is the
    field's default)."""
    scalars = [(k, v) for k, v in data.items() if v is not None and not isinstance(v, dict) and not _is_table_array(v)]
    tables = [(k, v) for k, v in data.items() if isinstance(v, dict)]
    arrays = [(k, v) for k, v in data.items() if _is_table_array(v)]
    body = "\n".join(f"{_key(k)} = {_value(v)}" for k, v in scalars)
    parts = []
    if not _name:
        parts.append(body)
    elif scalars or not (tables or arrays):
        parts.append(f"[{_name}]" + (f"\n{body}" if body else ""))
    for k, v in tables:
        parts.append(to_toml(v, f"{_name}.{_key(k)}" if _name else _key(k)))
    for k, v in arrays:
        full = f"{_name}.{_key(k)}" if _name else _key(k)
        for item in v:
            parts.append(f"[[{full}]]\n" + "\n".join(f"{_key(a)} = {_value(b)}" for a, b in item.items() if b is not None))
    return "\n\n".join(x for x in parts if x)


# ------------------------------------------------------------------------------------------------
# Commands
# ------------------------------------------------------------------------------------------------

def one_line(text: str, limit: int = 110) -> str:
    """The first sentence of a description, on one line, cut at ``limit`` characters."""
    flat = " ".join(text.split())
    m = re.search(r"(?<=\.)\s+(?=[A-Z(])", flat)
    first = flat[: m.start()] if m else flat
    return first if len(first) <= limit else first[: limit - 3].rstrip() + "..."


@click.group()
def scenarios() -> None:
    """List, show and validate scenario files (TOML).

    \b
    A scenario may `extends = "parent.toml"` (relative to its own file) and override any field; its
    [[events]] are added to the parent's in date order (events_mode = "merge", the default) or replace
    them (events_mode = "replace"). --set section.key=value overrides come last.
    """


@scenarios.command("list")
@click.argument("directory", required=False, default="scenarios", type=click.Path(file_okay=False))
def list_(directory: str) -> None:
    """Name, label and one-line description of every scenario in DIRECTORY (default: scenarios/)."""
    d = Path(directory)
    if not d.is_dir():
        fail(f"{directory}: no such directory")
    files = sorted(d.glob("*.toml"))
    if not files:
        fail(f"{directory}: no scenario files (*.toml)")
    rows = []
    for f in files:
        try:
            sc = load_scenario(f)
            name = sc.name if sc.name == f.stem else f"{sc.name} ({f.name})"
            rows.append((name, (f"{sc.label}: " if sc.label else "") + (one_line(sc.description) or "(no description)")))
        except ScenarioError as e:
            rows.append((f.stem, f"INVALID: {str(e).splitlines()[0]}"))
    w = max(len(n) for n, _ in rows)
    for name, desc in rows:
        click.echo(f"{name:<{w}}  {desc}")


@scenarios.command()
@click.argument("file", type=click.Path(dir_okay=False))
@set_option
@click.option("--format", "fmt", type=click.Choice(["toml", "json"]), default="toml", show_default=True,
              help="Output format.")
def show(file: str, sets: tuple[str, ...], fmt: str) -> None:
    """Print FILE resolved: after inheritance (extends), event merging and --set overrides.

    The output is a complete scenario (every field, the roster path absolute) that loads on its own
    and gives the same runs; it is what manifest.json records."""
    sc = scenario_or_exit(file, sets)
    data = sc.resolved_dict()
    data.pop("extends", None)
    data.pop("events_mode", None)
    if fmt == "json":
        click.echo(json.dumps(data, indent=2))
    else:
        header = f"# {Path(file).name} resolved" + (f" with --set {' '.join(sets)}" if sets else "")
        click.echo(header + "\n" + to_toml(data))


@scenarios.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@set_option
@click.option("--roster/--no-roster", default=True, show_default=True, help="Also check each scenario's roster file.")
def validate(files: tuple[str, ...], sets: tuple[str, ...], roster: bool) -> None:
    """Check scenario FILES; report every error at once (file, field, what is allowed). Exit 2 if any
    file is invalid."""
    from sim.model.labs import RosterError, check_roster_start, load_roster

    bad = 0
    for f in files:
        try:
            sc = load_scenario(f, list(sets))
            if roster:
                try:
                    check_roster_start(load_roster(sc.roster_path()), sc.start, sc.roster_path())
                except (RosterError, OSError) as e:
                    raise ScenarioError(f"{f}: field 'roster': {e}") from None
        except ScenarioError as e:
            bad += 1
            for line in str(e).splitlines():
                err_console.print(f"[bold red]invalid:[/] {line}", markup=True, highlight=False, soft_wrap=True)
            continue
        console.print(f"ok: {f} ({sc.name}: {sc.start} + {sc.months} months, {len(sc.events)} event(s))",
                      highlight=False, soft_wrap=True)
    if bad:
        err_console.print(f"{bad} of {len(files)} scenario file(s) invalid", highlight=False)
        raise SystemExit(BAD_INPUT)


@scenarios.command()
@click.option("--format", "fmt", type=click.Choice(["markdown", "csv"]), default="markdown", show_default=True,
              help="Output format.")
@click.option("--specs", type=click.Path(file_okay=False), default="experiments", show_default=True,
              help="Folder of sweep/sensitivity specs whose factors mark a parameter as varied.")
def params(fmt: str, specs: str) -> None:
    """Print the table of every scenario parameter: path, unit, default, valid range, plausible range,
    source or assumption, and which shipped specs vary it (docs/parameters.md is this, in Markdown)."""
    from sim.scenario.paramdoc import parameter_table, to_markdown

    table = parameter_table(specs if Path(specs).is_dir() else None)
    click.echo(to_markdown(table) if fmt == "markdown" else table.to_csv(index=False), nl=False)


COMMANDS = [scenarios]
