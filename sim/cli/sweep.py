"""``aieco sweep``: run an experiment spec (grid, LHS, Sobol', Morris) on a serial, process-pool or Dask
executor, streaming results to a resumable Parquet store.

Exit codes: 0 all runs succeeded; 1 some runs failed (recorded in the store; the count is printed);
2 bad input (spec, output folder, scheduler), with one error line and nothing written; 130 interrupted
(everything finished so far is kept; ``--resume`` continues).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import click

from sim.analysis.sweep.designs import n_points
from sim.analysis.sweep.runner import SweepError, run_sweep
from sim.analysis.sweep.spec import SpecError, SpecWarning, load_spec, plural
from sim.cli.common import (
    err_console,
    executor_options,
    fail,
    resolve_executor,
    samples_option,
    set_option,
    stop_cleanly,
)


@click.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@executor_options
@click.option("--replications", type=click.IntRange(min=1), default=None,
              help="Replications per design point (overrides the spec).")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Results folder. [default: results/sweeps/<spec file name>, with _samples=N after --samples]")
@click.option("--resume", is_flag=True, help="Continue the sweep in --out: run only what is not done yet.")
@click.option("--retry-failed", is_flag=True, help="With --resume, run failed runs again.")
@click.option("--dry-run", is_flag=True, help="Validate the spec and print the design size; run nothing.")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@samples_option
@set_option
def sweep(spec: str, executor: str | None, workers: int | None, scheduler: str | None, replications: int | None,
          out: str | None, resume: bool, retry_failed: bool, batch_size: int | None, timeout: float, dry_run: bool,
          no_progress: bool, samples: int | None, sets: tuple[str, ...]) -> None:
    """Run the experiment SPEC (experiments/*.toml): every design point x replication.

    Results stream to --out as Parquet parts (see `aieco results DIR` and sim.load_results(DIR)). A run
    that raises is recorded with its error and the sweep goes on; the command then exits 1 and says how
    many failed. After a crash or Ctrl-C, rerun with --resume: only the missing runs run.

    \b
    Examples:
      aieco sweep experiments/export_controls_grid.toml --workers 2
      aieco sweep experiments/uncertainty_lhs.toml --replications 5 --out results/lhs --resume
      aieco sweep experiments/discovery_lhs.toml --samples 40          # a small try first
      aieco sweep experiments/uncertainty_lhs.toml --scheduler tcp://scheduler:8786
    """
    executor = resolve_executor(executor, scheduler, resume, retry_failed)
    try:
        with warnings.catch_warnings():  # the notes are printed below, once, as plain lines
            warnings.simplefilter("ignore", SpecWarning)
            sp = load_spec(spec, replications=replications, sets=sets, samples=samples)
    except SpecError as e:
        fail(str(e))
    for note in sp.notes:
        err_console.print(f"note: {note}", markup=False, highlight=False, soft_wrap=True)
    if dry_run:
        n = n_points(sp)
        reps = sp.replications
        click.echo(f"{sp.file.name}: design {sp.design}, {plural(len(sp.factors), 'factor')} "
                   f"({', '.join(sp.factor_names)}), {plural(n, 'point')} x {plural(reps, 'replication')} = "
                   f"{plural(n * reps, 'run')}; results to {out or f'results/sweeps/{sp.out_name}'}")
        if resume:
            _dry_run_resume(sp, Path(out or f"results/sweeps/{sp.out_name}"), n, reps, retry_failed)
        return
    progress = not no_progress  # a bar on a terminal, periodic log lines otherwise (sim.analysis.progress.RunProgress)

    def echo(msg: str) -> None:
        err_console.print(msg, markup=False, highlight=False, soft_wrap=True)

    with stop_cleanly("sweep", spec, out or f"results/sweeps/{sp.out_name}", replications, sets, executor, scheduler,
                      workers, ("--samples", str(samples)) if samples else ()):
        try:
            outcome = run_sweep(sp, out, executor=executor, workers=workers, scheduler=scheduler, resume=resume,
                                retry_failed=retry_failed, batch_size=batch_size, timeout=timeout,
                                progress=progress, echo=echo)
        except (SpecError, SweepError) as e:
            fail(str(e))
    o = outcome
    rate = f", {o.runs_per_second:.1f} runs/s" if o.ran else ""
    click.echo(f"{o.out}: {o.total} runs: {o.ok} ok, {o.failed} failed, {o.missing} missing "
               f"(this session: {o.ran} runs in {o.seconds:.1f} s{rate}; {o.executor})")
    if o.failed:
        fail(f"{o.failed} of {o.total} runs failed (errors and tracebacks in the results; see "
             f"`aieco results {o.out}`)", code=1)
    if o.missing:
        fail(f"{o.missing} of {o.total} runs are missing; continue with --resume", code=1)


def _dry_run_resume(sp, folder: Path, n: int, reps: int, retry_failed: bool) -> None:  # noqa: ANN001
    """With --dry-run --resume: check that the folder holds this sweep (exit 2 if not) and say how many runs
    a resume would run."""
    import sim.analysis.sweep.store as store
    from sim.analysis.sweep.designs import design_matrix

    if not (folder / store.MANIFEST).is_file():
        click.echo(f"resume: {folder} holds no sweep yet; all {plural(n * reps, 'run')} would run")
        return
    try:
        manifest = store.read_manifest(folder)
        store.check_resume(manifest, sp, design_matrix(sp)[0], reps, folder)
    except store.StoreError as e:
        fail(str(e))
    done, failed = store.done_mask(folder, n, reps, retry_failed=retry_failed)
    click.echo(f"resume of {folder}: {int(done.sum())} of {plural(n * reps, 'run')} done "
               f"({int((failed & ~done).sum() if retry_failed else failed.sum())} failed); "
               f"{plural(int((~done).sum()), 'run')} would run")


COMMANDS = [sweep]
