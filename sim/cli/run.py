"""``aieco run``: the main job. Runs a scenario with replications and writes tables, manifest and figures."""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np
from rich import box
from rich.table import Table

from sim import REGIONS
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
    write_error,
)
from sim.model.labs import RosterError


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


def _ci(values, digits: int) -> str:
    from sim.analysis.precision import bootstrap_ci

    est, lo, hi = bootstrap_ci(np.asarray(values, float), "median")
    return "n/a" if not np.isfinite(est) else f"[{lo:.{digits}f}, {hi:.{digits}f}]"


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
    rows = [*[(f"open share of labs, {r}", f"open_share_{r}", 2) for r in REGIONS],
            ("open-closed lag (months)", "open_closed_lag_months", 1),
            ("US-China gap (OOM)", "us_cn_gap_oom", 2),
            ("US-China gap (months)", "us_cn_gap_months", 1),
            ("non-CN devs on CN open", "noncn_on_cn_open", 3)]
    for label, col, digits in rows:
        cells = [label, _fmt(summary[col], digits)]
        if many:
            cells.append(_ci(summary[col], digits))
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
    from sim.analysis.runs import RunFolderError, read_run, run_replications, table_differences, write_run

    fmts = parse_formats(formats)
    recorded = None
    if from_dir is not None:
        given = [n for n, v in (("SCENARIO", scenario), ("--seed", seed), ("--replications", replications),
                                ("--months", months), ("--set", sets), ("--precision", precision)) if v]
        if given:
            fail(f"--from {from_dir}: runs exactly what the folder recorded; drop {', '.join(given)} (to change "
                 "the run, give the scenario file with the changes instead)")
        try:
            recorded = read_run(from_dir)
        except RunFolderError as e:
            fail(str(e))
        sc, replications, source = recorded.scenario, recorded.replications, str(recorded.folder / "manifest.json")
        changes = recorded.overrides
        out_dir = Path(out) if out else Path(f"{Path(from_dir).as_posix().rstrip('/')}-rerun")
    else:
        if scenario is None:
            fail("give a SCENARIO file (e.g. scenarios/baseline.toml), or --from RESULTS_DIR to run a finished run "
                 "again")
        sc = scenario_or_exit(scenario, sets + ((f"seed={seed}",) if seed is not None else ()), months)
        replications = replications or (10 if precision is not None else 1)
        source = str(Path(scenario).resolve())
        changes = [*sets, *([f"months={months}"] if months else []), *([f"seed={seed}"] if seed is not None else [])]
        out_dir = Path(out) if out else default_out(sc.name, changes)
    max_replications = max_replications_or_exit(max_replications, replications, precision)
    if (out_dir / "manifest.json").exists() and not overwrite:
        fail(f"{out_dir} already holds results (manifest.json); choose another --out or add --overwrite")
    if overwrite and out_dir.is_dir():
        import shutil

        shutil.rmtree(out_dir)
    status = None
    try:
        if precision is not None:
            from sim.analysis.runs import run_until_precise

            reps, status, history = run_until_precise(
                sc, replications, precision, max_replications,
                progress=lambda n, cap: err_console.print(f"{n} replications done (at most {cap})", highlight=False))
            replications = len(reps.seeds)
        else:
            with progress_bar(replications, f"{sc.name}: {sc.months} months x {replications} replications") as advance:
                reps = run_replications(sc, replications, progress=lambda r: advance())
    except RosterError as e:
        fail(f"{scenario or source}: field 'roster': {e}")
    try:
        write_run(out_dir, reps, scenario_file=recorded.scenario_file if recorded else source, overrides=changes,
                  csv=csv, extra=None if status is None else {"precision": {
                      "rel": precision, "max_replications": max_replications, "batches": history,
                      "targets": [{"metric": m, **v} for m, v in status.items()]}})
    except OSError as e:
        fail(write_error(e, out_dir), code=1)
    figs = []
    if not no_figures:
        from sim.plots.run import draw_run_figures

        figs = [p for p in draw_run_figures(out_dir, fmts) if p.suffix != ".json"]
    console.print(horizon_table(reps.summary, f"{sc.name}: {sc.start} + {sc.months} months, "
                                              f"{replications} replication(s), {reps.wall_seconds:.1f} s", status))
    if replications > 1:
        note = ("The spread is where 90% of the replications' values lie (it does not narrow with more "
                "replications); the CI is the 90% bootstrap confidence interval of the median (it narrows).")
        if status is not None:
            ok = [m for m, v in status.items() if v["reached"]]
            note += (f" Precise: CI half-width <= {precision:g} x max(|median|, floor) for {len(ok)} of {len(status)} "
                     f"headline metrics after {replications} replications (batches {history}; at most "
                     f"{max_replications}); n= the replications at which each first got there.")
        console.print(note, markup=False, highlight=False, soft_wrap=True)
    err_console.print(f"wrote {out_dir}/: timeseries, labs, releases, summary (.parquet{', .csv' if csv else ''}), "
                      "manifest.json" + (f", {len(figs)} figure files in figures/" if figs else ""),
                      markup=False, soft_wrap=True)
    if recorded is not None:
        _report_reproduction(recorded, out_dir, table_differences(recorded.folder, out_dir))


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
