"""``aieco run``: the main job. Runs a scenario with replications and writes tables, manifest and figures."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click
import numpy as np
from rich import box
from rich.table import Table

from sim.analysis.runs import headline_table
from sim.cli.common import (
    FiniteFloatRange,
    console,
    err_console,
    fail,
    max_replications_or_exit,
    parse_formats,
    progress_bar,
    scenario_or_exit,
    set_option,
    staged_output,
)
from sim.model.labs import RosterError
from sim.scenario.schema import Scenario

if TYPE_CHECKING:  # pragma: no cover
    from sim.analysis.runs import RecordedRun, Replications


def _num(x: float, d: int) -> str:
    return "n/a" if not np.isfinite(x) else f"{x:.{d}f}"


def horizon_table(summary, title: str, precision: dict | None = None) -> Table:
    """Rich table of the headline metrics at the horizon: median [5%, 95%] across replications (the spread; the
    value itself with one replication) and, with more than one replication, the 90% bootstrap confidence interval
    of the median; with ``precision`` (metric -> status of :func:`sim.analysis.runs.run_precision`) whether it is precise."""
    t = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
    t.add_column("metric at the horizon", no_wrap=True)
    many = len(summary) > 1
    t.add_column("median [90% spread]" if many else "value", justify="right", no_wrap=True)
    if many:
        t.add_column("90% CI of median", justify="right", no_wrap=True)
    if precision is not None:
        t.add_column("precise", justify="center", no_wrap=True)
    for r in headline_table(summary).itertuples():
        d = r.digits
        label = r.label + ("" if r.unit.startswith("share") or "(" in r.label else f" ({r.unit})")
        spread = f" [{_num(r.spread_5, d)}, {_num(r.spread_95, d)}]" if r.replications > 1 else ""
        cells = [label, _num(r.median, d) + spread]
        if many:
            cells.append(f"[{_num(r.ci_median_lo, d)}, {_num(r.ci_median_hi, d)}]" if r.replications > 1 else "n/a")
        col = r.metric
        if precision is not None:
            st = precision.get(col)
            at = st.get("reached_at") if st else None
            cells.append("" if st is None else (f"n={at}" if st["reached"] and at else "yes" if st["reached"]
                                                else "[red]no[/]"))
        t.add_row(*cells)
    return t


def changes_slug(changes: list[str], limit: int = 60) -> str:
    """A folder-name part for a run's changes to its scenario (``--set``, ``--months``, ``--seed``): each
    ``key=value`` with the key's last two parts (``governments.US.leakage=0.6`` -> ``US.leakage=0.6``),
    joined by ``_``; characters other than letters, digits and ``._=-`` become ``-``; above ``limit``
    characters, cut and suffixed with a short hash of the whole."""
    import hashlib
    import re

    parts = []
    for c in changes:
        key, _, value = c.partition("=")
        parts.append(".".join(key.strip().split(".")[-2:]) + "=" + value.strip())
    slug = "_".join(re.sub(r"[^A-Za-z0-9._=-]+", "-", p) for p in parts)
    if len(slug) > limit:
        slug = slug[: limit - 9].rstrip("-_") + "_" + hashlib.sha256("\n".join(changes).encode()).hexdigest()[:8]
    return slug


def default_out(name: str, changes: list[str]) -> Path:
    """``results/<scenario name>``, or ``results/<name>_<changes>`` for a run that changes its scenario; the name
    made safe as a folder name (:func:`sim.scenario.schema.folder_name`), so the folder is always inside
    ``results/``."""
    from sim.scenario.schema import folder_name

    safe = folder_name(name)
    changes = [c for c in changes if not c.startswith(("name=", "label="))]  # the name is the folder already
    return Path("results") / (f"{safe}_{changes_slug(changes)}" if changes else safe)


@click.command()
@click.argument("scenario", type=click.Path(dir_okay=False), required=False)
@click.option("--from", "from_dir", type=click.Path(file_okay=False), default=None, metavar="RESULTS_DIR",
              help="Run again what RESULTS_DIR (a folder of aieco run) recorded: its resolved scenario, seeds and "
                   "replications; then check that the tables come out identical.")
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="Base seed (default: the scenario's). Replication r uses SeedSequence(seed, spawn_key=(r,)).")
@click.option("--replications", "-r", type=click.IntRange(min=1), default=None,
              help="Independent replications; with R > 1 figures show the median and 50%/90% bands. [default: 1]")
@click.option("--months", type=click.IntRange(min=1), default=None,
              help="Override the horizon (months); dated events after it are dropped.")
@set_option
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Output folder (default: results/<scenario name>, plus the changes when --set, --months or --seed "
                   "change the scenario, e.g. results/baseline_US.leakage=0.6; with --from: RESULTS_DIR-rerun).")
@click.option("--format", "formats", default="png,pdf", show_default=True,
              help="Figure formats, comma-separated: png, pdf, svg.")
@click.option("--no-figures", is_flag=True, help="Write tables and manifest only.")
@click.option("--csv", "csv", is_flag=True, help="Also write each table as CSV (timeseries.csv, ...).")
@click.option("--overwrite", is_flag=True, help="Replace the results already in --out.")
@click.option("--precision", "precision", type=FiniteFloatRange(min=0, min_open=True), default=None, metavar="REL",
              help="Add replications in batches until the 90% bootstrap CI of each headline metric's median has "
                   "half-width <= REL x max(|median|, floor: 1 month, 0.02 share), or --max-replications is "
                   "reached; --replications (default 10 here) is the first batch.")
@click.option("--max-replications", type=click.IntRange(min=1), default=None,
              help="Most replications with --precision (default: 400, or --replications if larger).")
def run(scenario: str | None, from_dir: str | None, seed: int | None, replications: int | None, months: int | None,
        sets: tuple[str, ...], out: str | None, formats: str, no_figures: bool, csv: bool, overwrite: bool,
        precision: float | None, max_replications: int | None) -> None:
    """Run SCENARIO (a TOML file) and write Parquet tables, manifest.json and figures.

    \b
    Outputs in --out: timeseries.parquet (model level, one row per replication and month),
    labs.parquet (lab panel), releases.parquet (release log), summary.parquet (summary metrics per
    replication), manifest.json (resolved scenario, seeds, versions, git commit, command, wall time)
    and figures/*.png|pdf with provenance sidecars; with --csv also the tables as CSV.

    \b
    Reproduce a finished run from its folder (same scenario, seeds and replications; the tables are
    compared with the original's and the command says whether they are identical):
      aieco run --from results/baseline
    """
    fmts = parse_formats(formats)
    if from_dir is not None:
        given = [n for n, v in (("SCENARIO", scenario), ("--seed", seed), ("--replications", replications),
                                ("--months", months), ("--set", sets), ("--precision", precision)) if v]
        if given:
            fail(f"--from {from_dir}: runs exactly what the folder recorded; drop {', '.join(given)} (to change "
                 "the run, give the scenario file with the changes instead)")
        job = _recorded_job(from_dir, out)
    else:
        if scenario is None:
            fail("give a SCENARIO file (e.g. scenarios/baseline.toml), or --from RESULTS_DIR to run a finished run "
                 "again")
        sc = scenario_or_exit(scenario, sets + ((f"seed={seed}",) if seed is not None else ()), months)
        changes = [*sets, *([f"months={months}"] if months else []), *([f"seed={seed}"] if seed is not None else [])]
        job = _Job(sc, replications or (10 if precision is not None else 1), str(Path(scenario).resolve()),
                   changes, Path(out) if out else default_out(sc.name, changes), scenario)
    job.max_replications = max_replications_or_exit(max_replications, job.replications, precision)
    _check_roster(job)  # before anything is written
    with staged_output(job.out_dir, overwrite, kinds=("run",)) as staging:
        reps, status, history = _compute(job, precision)
        figs = _write(job, reps, staging, precision, status, history, csv, None if no_figures else fmts)
    _say(job, reps, status, history, precision, csv, len(figs))


@dataclass
class _Job:
    """What ``aieco run`` is to do: the scenario, replications, where it comes from, its changes, the folder."""

    sc: Scenario
    replications: int
    source: str
    changes: list[str]
    out_dir: Path
    shown: str
    recorded: RecordedRun | None = None
    max_replications: int = 0


def _recorded_job(from_dir: str, out: str | None) -> _Job:
    """The job of ``--from RESULTS_DIR``: what the folder's manifest recorded (checked fully; exit 2 otherwise)."""
    from sim.analysis.runs import RunFolderError, read_run

    try:
        recorded = read_run(from_dir)
    except RunFolderError as e:
        fail(str(e))
    source = str(recorded.folder / "manifest.json")
    out_dir = Path(out) if out else Path(f"{Path(from_dir).as_posix().rstrip('/')}-rerun")
    return _Job(recorded.scenario, recorded.replications, source, recorded.overrides, out_dir, source, recorded)


def _check_roster(job: _Job) -> None:
    """Exit 2 naming the roster file, row and column when the job's roster is not valid for its scenario; note a
    region whose labs all enter after the horizon (its outputs are n/a)."""
    from sim.model.labs import check_roster_start, load_roster, regions_entering_late

    sc = job.sc
    try:
        roster = load_roster(sc.roster_path())
        check_roster_start(roster, sc.start, sc.roster_path())
    except RosterError as e:
        fail(f"{job.shown}: field 'roster': {e}")
    for region, first in regions_entering_late(roster, sc.start, sc.months).items():
        err_console.print(f"note: {sc.roster_path()}: every {region} lab enters after the horizon (the first in "
                          f"{first}): {region} has no lab in this run, so its outputs are n/a", markup=False,
                          soft_wrap=True)


def _compute(job: _Job, precision: float | None) -> tuple[Replications, dict | None, list[int] | None]:
    """Run the job's replications (in batches until precise with ``precision``); exit 2 for a bad roster."""
    from sim.analysis.runs import run_replications, run_until_precise

    sc = job.sc
    try:
        if precision is not None:
            reps, status, history = run_until_precise(
                sc, job.replications, precision, job.max_replications,
                progress=lambda n, cap: err_console.print(f"{n} replications done (at most {cap})", highlight=False))
            job.replications = len(reps.seeds)
            return reps, status, history
        with progress_bar(job.replications, f"{sc.name}: {sc.months} months x {job.replications} replications") as adv:
            return run_replications(sc, job.replications, progress=lambda r: adv()), None, None
    except RosterError as e:
        fail(f"{job.shown}: field 'roster': {e}")


def _write(job: _Job, reps: Replications, folder: Path, precision: float | None, status: dict | None,
           history: list[int] | None, csv: bool, fmts: tuple[str, ...] | None) -> list[Path]:
    """Write the run's tables, manifest and (with ``fmts``) figures into ``folder``; returns the figure files."""
    from sim.analysis.runs import write_run

    write_run(folder, reps, scenario_file=job.recorded.scenario_file if job.recorded else job.source,
              overrides=job.changes, csv=csv, extra=None if status is None else {"precision": {
                  "rel": precision, "max_replications": job.max_replications, "batches": history,
                  "targets": [{"metric": m, **v} for m, v in status.items()]}})
    if fmts is None:
        return []
    from sim.plots.run import draw_run_figures

    return [p for p in draw_run_figures(folder, fmts) if p.suffix != ".json"]


def _say(job: _Job, reps: Replications, status: dict | None, history: list[int] | None, precision: float | None,
         csv: bool, n_figures: int) -> None:
    """Print the horizon table, the notes and what was written; for --from, whether the run reproduced."""
    from sim.analysis.runs import table_differences

    sc, replications, out_dir = job.sc, job.replications, job.out_dir
    shown = f" ({', '.join(job.changes)})" if job.changes else ""
    console.print(horizon_table(reps.summary, f"{sc.name}{shown}: {sc.start} + {sc.months} months, "
                                              f"{replications} replication(s), {reps.wall_seconds:.1f} s", status))
    if replications > 1:
        note = ("The spread is where 90% of the replications' values lie (it does not narrow with more "
                "replications); the CI is the 90% bootstrap confidence interval of the median (it narrows).")
        if status is not None:
            ok = [m for m, v in status.items() if v["reached"]]
            note += (f" Precise: CI half-width <= {precision:g} x max(|median|, floor) for {len(ok)} of {len(status)} "
                     f"headline metrics after {replications} replications (batches {history}; at most "
                     f"{job.max_replications}); n= the replications at which each first got there.")
        console.print(note, markup=False, highlight=False, soft_wrap=True)
    err_console.print(f"wrote {out_dir}/: timeseries, labs, releases, summary (.parquet{', .csv' if csv else ''}), "
                      "the table above (headline.csv, .md), manifest.json"
                      + (f", {n_figures} figure files in figures/" if n_figures else ""),
                      markup=False, soft_wrap=True)
    if job.recorded is not None:
        _report_reproduction(job.recorded, out_dir, table_differences(job.recorded.folder, out_dir))


def _report_reproduction(recorded, out_dir: Path, differences: list[str]) -> None:  # noqa: ANN001
    """Say whether a --from run reproduced the recorded tables; exit 1 when it did not."""
    from sim.analysis.provenance import git_commit, package_versions
    from sim.analysis.sweep.store import code_changes

    if not differences:
        err_console.print(f"reproduced {recorded.folder}: timeseries, labs, releases and summary are identical",
                          markup=False, soft_wrap=True)
        return
    m = recorded.manifest
    code = code_changes({"git": m.get("git"), "versions": m.get("versions")},
                        {"git": git_commit(), "versions": package_versions()})
    why = f" (the code differs from the recorded run: {'; '.join(code)})" if code else ""
    fail(f"{out_dir} does not reproduce {recorded.folder}: {'; '.join(differences)}{why}", code=1)


COMMANDS = [run]
