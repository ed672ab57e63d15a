"""``aieco run``: the main job. Runs a scenario with replications and writes tables, manifest and figures."""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np
from rich.table import Table

from sim import REGIONS
from sim.cli.common import console, err_console, fail, progress_bar, scenario_or_exit, set_option, write_error
from sim.labs import RosterError
from sim.scenario import ScenarioError, with_horizon


def _fmt(values, digits: int = 2) -> str:
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return "n/a"
    med = np.median(v)
    if v.size == 1:
        return f"{med:.{digits}f}"
    lo, hi = np.quantile(v, [0.05, 0.95])
    return f"{med:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"


def horizon_table(summary, title: str) -> Table:
    """Rich table of the headline metrics at the horizon: median [5%, 95%] across replications."""
    t = Table(title=title, title_justify="left")
    t.add_column("metric at the horizon")
    t.add_column("median [90% interval]", justify="right")
    for r in REGIONS:
        t.add_row(f"open-weight share of labs, {r}", _fmt(summary[f"open_share_{r}"]))
    t.add_row("open-closed lag (months)", _fmt(summary["open_closed_lag_months"], 1))
    t.add_row("US-China capability gap (OOM)", _fmt(summary["us_cn_gap_oom"]))
    t.add_row("US-China capability gap (months)", _fmt(summary["us_cn_gap_months"], 1))
    t.add_row("developers outside China on Chinese open models", _fmt(summary["noncn_on_cn_open"], 3))
    return t


@click.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="Base seed (default: the scenario's). Replication r uses SeedSequence(seed, spawn_key=(r,)).")
@click.option("--replications", "-r", type=click.IntRange(min=1), default=1, show_default=True,
              help="Independent replications; with R > 1 figures show the median and 50%/90% bands.")
@click.option("--months", type=click.IntRange(min=1), default=None,
              help="Override the horizon (months); dated events after it are dropped.")
@set_option
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Output folder (default: results/<scenario name>).")
@click.option("--format", "formats", default="png,pdf", show_default=True,
              help="Figure formats, comma-separated: png, pdf, svg.")
@click.option("--no-figures", is_flag=True, help="Write tables and manifest only.")
@click.option("--overwrite", is_flag=True, help="Replace the results already in --out.")
def run(scenario: str, seed: int | None, replications: int, months: int | None, sets: tuple[str, ...],
        out: str | None, formats: str, no_figures: bool, overwrite: bool) -> None:
    """Run SCENARIO (a TOML file) and write Parquet tables, manifest.json and figures.

    \b
    Outputs in --out: timeseries.parquet (model level, one row per replication and month),
    labs.parquet (lab panel), releases.parquet (release log), summary.parquet (summary metrics per
    replication), manifest.json (resolved scenario, seeds, versions, git commit, command, wall time)
    and figures/*.png|pdf with provenance sidecars.
    """
    from sim.runs import run_replications, write_run

    sc = scenario_or_exit(scenario, sets + ((f"seed={seed}",) if seed is not None else ()))
    if months:
        try:
            sc = with_horizon(sc, months)
        except ScenarioError as e:
            fail(str(e))
    fmts = tuple(f.strip() for f in formats.split(",") if f.strip())
    bad = [f for f in fmts if f not in ("png", "pdf", "svg")]
    if bad:
        fail(f"--format: {bad[0]!r} is not one of png, pdf, svg")
    out_dir = Path(out) if out else Path("results") / sc.name
    if (out_dir / "manifest.json").exists() and not overwrite:
        fail(f"{out_dir} already holds results (manifest.json); choose another --out or add --overwrite")
    if overwrite and out_dir.is_dir():
        import shutil

        shutil.rmtree(out_dir)
    try:
        with progress_bar(replications, f"{sc.name}: {sc.months} months x {replications} replications") as advance:
            reps = run_replications(sc, replications, progress=lambda r: advance())
    except RosterError as e:
        fail(f"{scenario}: field 'roster': {e}")
    try:
        write_run(out_dir, reps, scenario_file=str(Path(scenario).resolve()),
                  overrides=[*sets, *([f"months={months}"] if months else [])])
    except OSError as e:
        fail(write_error(e, out_dir), code=1)
    figs = []
    if not no_figures:
        from sim.plots.run import draw_run_figures

        figs = [p for p in draw_run_figures(out_dir, fmts) if p.suffix != ".json"]
    console.print(horizon_table(reps.summary, f"{sc.name}: {sc.start} + {sc.months} months, "
                                              f"{replications} replication(s), {reps.wall_seconds:.1f} s"))
    err_console.print(f"wrote {out_dir}/: timeseries, labs, releases, summary (.parquet), manifest.json"
                      + (f", {len(figs)} figure files in figures/" if figs else ""))


COMMANDS = [run]
