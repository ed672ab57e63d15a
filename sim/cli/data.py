"""``aieco data``: derive the lab roster and the empirical target tables from Epoch AI's CSV exports.

Bad input (missing file, wrong columns, unknown label, unparseable value) exits with code 2 and one
line on stderr naming the file, row or column and what was expected.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

import sim.empirical as empirical
from sim.cli.common import FiniteFloatRange
from sim.empirical import eci as eci_mod
from sim.empirical import roster as roster_mod
from sim.empirical.epoch import EPOCH_FILES_HINT

DEFAULT_EPOCH_DIR = Path("..") / "shared" / "data" / "epoch"
DEFAULT_EXITS = Path(__file__).resolve().parents[2] / "data" / "lab_exits.csv"
DEFAULT_TYPES = Path(__file__).resolve().parents[2] / "data" / "lab_types.csv"
DEFAULT_ROSTER = Path(__file__).resolve().parents[2] / "data" / "roster_2022-01.csv"
"""The roster whose labs P8 compares (``aieco data targets`` writes their 2024-2025 flagships)."""


def _default_epoch_dir() -> str | None:
    return str(DEFAULT_EPOCH_DIR) if DEFAULT_EPOCH_DIR.is_dir() else None


def _require_epoch_dir(epoch_dir: str | None) -> Path:
    if epoch_dir is None:
        raise click.UsageError(
            f"no --epoch-dir given and the default {DEFAULT_EPOCH_DIR} does not exist here. {EPOCH_FILES_HINT}")
    return Path(epoch_dir)


def _fail(exc: Exception) -> None:
    click.echo(f"error: {exc}", err=True)
    sys.exit(2)


def _header(command: str) -> list[str]:
    return [
        f"Derived from {empirical.EPOCH_CITATION}.",
        f"Regenerate with: {command}",
    ]


def build_default_roster(directory: Path, at: str, **kw):
    """The roster as ``aieco data roster`` builds it: :func:`sim.empirical.roster.build_roster` on the notable and
    large-scale exports in ``directory``, with exits from :data:`DEFAULT_EXITS`, lab types from :data:`DEFAULT_TYPES`
    (:func:`sim.empirical.roster.merge_lab_types`) and efficiency offsets from the
    ECI link (:func:`sim.empirical.eci.build_eci_tables`; used only when they lower its held-out error; none when the
    directory holds no ``eci_scores*.csv``). ``kw`` go to
    ``build_roster``. Returns (roster, load report); raises EmpiricalDataError for bad input."""
    models, report = empirical.load_epoch(directory, ("notable", "large_scale"))
    efficiency: dict[str, float] = {}
    if sorted(Path(directory).glob("eci_scores*.csv")):  # without Epoch's ECI file: no efficiency offsets
        link, _ = eci_mod.build_eci_tables(directory)
        efficiency = {k: v / link.per_oom for k, v in link.offsets.items()} if link.use_offsets else {}
    exits = empirical.read_table(DEFAULT_EXITS)
    table = empirical.build_roster(models, at, exits=exits, efficiency_oom=efficiency, **kw)
    return roster_mod.merge_lab_types(table, empirical.read_table(DEFAULT_TYPES)), report


epoch_dir_option = click.option(
    "--epoch-dir",
    type=click.Path(file_okay=False),
    default=_default_epoch_dir,
    show_default="../shared/data/epoch if it exists",
    help="Directory with Epoch's notable_ai_models_*.csv, large_scale_ai_models_*.csv, frontier_ai_models_*.csv.",
)


def _check_months(at: str, entrants_until: str | None) -> None:
    """Exit 2 unless --at (and --entrants-until) are months YYYY-MM and --entrants-until is after --at."""
    from sim.scenario.schema import month_index, parse_month

    for flag, value in (("--at", at), ("--entrants-until", entrants_until)):
        if value is not None:
            try:
                parse_month(value)
            except ValueError as e:
                raise click.BadParameter(str(e), param_hint=f"'{flag}'") from None
    if entrants_until is not None and month_index(at, entrants_until) <= 0:
        raise click.BadParameter(f"{entrants_until} is not after --at {at}; entrants are labs entering after "
                                 "the roster date", param_hint="'--entrants-until'")


@click.group()
def data() -> None:
    """Derive the initial lab roster and empirical targets from Epoch AI data (CC BY 4.0)."""


@data.command()
@epoch_dir_option
@click.option("--at", "at", default="2022-01", show_default=True, help="Roster date, YYYY-MM.")
@click.option(
    "--min-compute",
    type=FiniteFloatRange(min=0, min_open=True),
    default=1e22,
    show_default=True,
    help="Include organisations with a model of at least this training compute (FLOP) ...",
)
@click.option(
    "--window-years",
    type=FiniteFloatRange(min=0, min_open=True),
    default=3.0,
    show_default=True,
    help="... published in this many years before --at.",
)
@click.option("--entrants-until", default=None, metavar="YYYY-MM",
              help="Also list labs entering after --at up to this month, with their entry month.")
@click.option("--entrant-oom", type=FiniteFloatRange(min=0), default=1.5, show_default=True,
              help="An entrant's first model must be within this many orders of magnitude of the frontier.")
@click.option(
    "--out", type=click.Path(dir_okay=False), default=None, help="Write the CSV here instead of stdout."
)
def roster(epoch_dir: str | None, at: str, min_compute: float, window_years: float, entrants_until: str | None,
           entrant_oom: float, out: str | None) -> None:
    """Print (or write) the lab roster at --at from Epoch's notable and large-scale models, with exits from
    data/lab_exits.csv, lab types from data/lab_types.csv and efficiency offsets from the ECI link (Epoch's
    eci_scores*.csv)."""
    directory = _require_epoch_dir(epoch_dir)
    _check_months(at, entrants_until)
    try:
        if entrants_until and roster_mod._month_start(entrants_until) < roster_mod._month_start(at):
            raise click.BadParameter(f"--entrants-until {entrants_until} is before --at {at}")
        if window_years <= 0:
            raise click.BadParameter(f"--window-years must be > 0, got {window_years:g}")
        table, report = build_default_roster(directory, at, min_compute_flop=min_compute, window_years=window_years,
                                             entrants_until=entrants_until, entrant_oom=entrant_oom)
    except empirical.EmpiricalDataError as exc:
        _fail(exc)
        return
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    at_start = table["entry"].fillna("").astype(str).str.strip() == "" if "entry" in table else ~table.index.isna()
    if not at_start.any():
        _fail(f"--at {at}: no organisation has a model of at least --min-compute {min_compute:g} FLOP published "
              f"in the --window-years {window_years:g} years before it, so the roster would have no lab at the "
              "start; widen the window or lower --min-compute")
    command = f"aieco data roster --epoch-dir {epoch_dir} --at {at}"
    if min_compute != 1e22:
        command += f" --min-compute {min_compute:g}"
    if window_years != 3.0:
        command += f" --window-years {window_years:g}"
    if entrants_until:
        command += f" --entrants-until {entrants_until}"
    if entrant_oom != 1.5:
        command += f" --entrant-oom {entrant_oom:g}"
    if out:
        command += f" --out {out}"
        empirical.write_table(table, out, _header(command))
        click.echo(f"wrote {out}: {len(table)} organisations", err=True)
    else:
        for line in _header(command):
            click.echo(f"# {line}")
        click.echo(table.to_csv(index=False, float_format="%.6g", lineterminator="\n"), nl=False)
    if report.n_malformed:
        click.echo(report.summary(), err=True)


@data.command()
@epoch_dir_option
@click.option(
    "--out-dir",
    type=click.Path(file_okay=False),
    default=str(Path("data") / "targets"),
    show_default=True,
    help="Directory for the target CSVs.",
)
def targets(epoch_dir: str | None, out_dir: str) -> None:
    """Write the empirical target tables (open shares, compute trend, open-closed lag, compute shares)."""
    directory = _require_epoch_dir(epoch_dir)
    command = f"aieco data targets --epoch-dir {epoch_dir} --out-dir {out_dir}"
    try:
        tables, report = empirical.build_targets(directory, out_dir, header_lines=_header(command))
        roster_names = empirical.read_table(DEFAULT_ROSTER)["name"].tolist()
        link, eci_tables = eci_mod.build_eci_tables(directory, labs=roster_names)
        eci_header = _header(command) + [f"ECI: {eci_mod.ECI_CITATION}."]
        for name, df in eci_tables.items():
            empirical.write_table(df, Path(out_dir) / name, eci_header)
        tables.update(eci_tables)
    except empirical.EmpiricalDataError as exc:
        _fail(exc)
        return
    for name, df in tables.items():
        click.echo(f"wrote {Path(out_dir) / name}: {len(df)} rows", err=True)
    if report.n_malformed:
        click.echo(report.summary(), err=True)
