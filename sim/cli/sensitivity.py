"""``aieco sensitivity``: global sensitivity analysis of an experiment spec (Sobol' or Morris design).

Runs the spec's design through the sweep runner and store (any executor; ``--resume`` continues an
interrupted run and re-analyses a finished one), then analyses each output with SALib and writes the tidy
tables, the figures and a manifest.

Exit codes: 0 every output analysed (warnings, e.g. a constant output or indices not yet converged, are
printed); 1 some output could not be analysed (NaN runs without --exclude-nan, or too few complete blocks) or
runs are missing; 2 bad input (spec, design too small, zero-range factor, unknown output or group, output
folder, scheduler), with one error line and nothing written; 130 interrupted (finished runs are kept).
"""

from __future__ import annotations

import math
import time
import warnings
from typing import Any

import click
from rich.table import Table

from sim.analysis.sweep.runner import SweepError
from sim.analysis.sweep.spec import SpecError, SpecWarning, plural
from sim.cli.common import (
    FiniteFloatRange,
    console,
    err_console,
    executor_options,
    fail,
    parse_formats,
    resolve_executor,
    samples_option,
    set_option,
    stop_cleanly,
)


def _num(x: float, nd: int = 2) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{x:.{nd}f}"


def _print_output(res, rep) -> None:
    if rep.status != "ok":
        style = "yellow" if rep.status == "constant" else "red"
        console.print(f"[bold]{rep.output}[/]: [{style}]{rep.status}[/] - {rep.message}", soft_wrap=True,
                      highlight=False)
        return
    top = res.top(rep.output, 6)
    from sim.model.metrics import metric_label

    named = rep.output if metric_label(rep.output) == rep.output.replace("_", " ") else \
        f"{metric_label(rep.output)} ({rep.output})"
    t = Table(title=f"{named}: {rep.verdict}" + (f"; replication noise {rep.noise_share:.0%} of variance "
                                                     f"({rep.noise_source})"
                                                     if rep.noise_share == rep.noise_share else ""),
              title_justify="left")
    t.add_column("parameter", justify="left")
    cols = ["S1", "ST"] if res.design == "sobol" else ["mu_star", "sigma"]
    for c in cols:
        t.add_column(c, justify="right")
    extra = [m for m in ("pawn", "delta") if m in top.columns]
    for m in extra:
        t.add_column(m, justify="right")
    for p, row in top.iterrows():
        cells = []
        for c in cols:
            v, ci = row.get(c), row.get(f"{c}_conf")
            cells.append(_num(v, 3) + (f" ± {_num(ci, 3)}" if ci == ci and ci is not None else ""))
        cells += [_num(row.get(m), 3) for m in extra]
        t.add_row(str(p), *cells)
    console.print(t)
    for w in rep.warnings:
        err_console.print(f"warning: {rep.output}: {w}", markup=False, highlight=False, soft_wrap=True)
    for n in rep.notes:
        err_console.print(f"note: {rep.output}: {n}", markup=False, highlight=False, soft_wrap=True)


@click.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@executor_options
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Results folder (the runs go to its sweep/ subfolder). [default: results/sensitivity/<spec file name>, with _samples=N after --samples]")
@click.option("--resume", is_flag=True, help="Continue the analysis in --out: run only missing runs, then re-analyse.")
@click.option("--retry-failed", is_flag=True, help="With --resume, run failed runs again.")
@click.option("--outputs", default=None, metavar="A,B,...",
              help="Outputs (summary metrics the spec records) to analyse. [default: all the spec records]")
@click.option("--replications", type=click.IntRange(min=1), default=None,
              help="Replications per design point, averaged before the analysis (overrides the spec).")
@click.option("--groups", default=None, metavar="NAME=F1,F2;NAME2=F3",
              help="Grouped factors: each group's factors move together and get one index. Factors in no "
                   "group are their own group. The grouped design differs from the ungrouped one.")
@click.option("--second-opinion", type=click.Choice(["pawn", "delta", "both", "none"]), default="pawn",
              show_default=True, help="Moment-independent indices beside the Sobol'/Morris ones (delta is slow).")
@click.option("--exclude-nan", is_flag=True,
              help="Analyse outputs with NaN (or failed) runs by dropping the affected Sobol' blocks or Morris "
                   "trajectories. Without it such outputs are reported and not analysed.")
@click.option("--noise-probe", type=click.IntRange(min=0), default=None, metavar="K",
              help="With one replication per point, run K design points 4 times more to measure the replication "
                   "noise (the floor every ST carries). [default: 32 for the model, 0 for deterministic test "
                   "functions or with replications]")
@click.option("--num-resamples", type=click.IntRange(min=10), default=1000, show_default=True,
              help="Bootstrap resamples of the Sobol'/Morris intervals.")
@click.option("--conf-level", type=FiniteFloatRange(0.5, 0.999), default=0.95, show_default=True,
              help="Confidence level of every interval.")
@click.option("--format", "formats", default="png,pdf", show_default=True, help="Figure formats (png, pdf, svg).")
@click.option("--no-figures", is_flag=True, help="Write the tables only.")
@click.option("--dry-run", is_flag=True, help="Check the spec and print the design size; run nothing.")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@samples_option
@set_option
def sensitivity(spec: str, executor: str | None, workers: int | None, scheduler: str | None, out: str | None,
                resume: bool, retry_failed: bool, outputs: str | None, replications: int | None, groups: str | None,
                second_opinion: str, exclude_nan: bool, noise_probe: int | None, num_resamples: int, conf_level: float, formats: str,
                no_figures: bool, batch_size: int | None, timeout: float, dry_run: bool, no_progress: bool,
                samples: int | None, sets: tuple[str, ...]) -> None:
    """Global sensitivity analysis of the experiment SPEC (design "sobol" or "morris").

    Sobol': first-order (S1) and total (ST) indices, and second-order ones when the spec's design asks for
    them (calc_second_order), with bootstrap intervals. Morris: mu*, sigma. Both with a moment-independent
    second opinion (PAWN or delta) and a convergence check at N/8, N/4, N/2 and N. Replications of a point
    are averaged first.

    \b
    Writes to --out: indices.csv/.parquet (output, method, index, parameter, value, conf, ci_low, ci_high,
    ...), convergence.csv/.parquet, outputs.csv (per output: status, verdict, warnings), figures/, and
    manifest.json; the runs themselves are in sweep/ (see `aieco results OUT/sweep`).
    \b
    Examples:
      aieco sensitivity experiments/sobol_baseline.toml --workers 2
      aieco sensitivity experiments/morris_screening.toml --outputs open_share_CN_mean12
      aieco sensitivity experiments/morris_screening.toml --samples 4      # 4 trajectories: a try in minutes
      aieco sensitivity experiments/ishigami.toml --executor serial
      aieco sensitivity experiments/sobol_baseline.toml --groups "chips=eta_alt,alt_supply_CN"
    """
    from sim.analysis.sensitivity import Options, SensitivityError, parse_groups, run_sensitivity

    executor = resolve_executor(executor, scheduler, resume, retry_failed)
    fmts = parse_formats(formats)
    try:
        sp = _load_spec(spec, replications, sets, samples)
        noise_probe = _noise_probe(sp, noise_probe)
        opts = Options(outputs=[o.strip() for o in outputs.split(",") if o.strip()] if outputs else None,
                       groups=parse_groups(groups), second_opinion=second_opinion, num_resamples=num_resamples,
                       conf_level=conf_level, exclude_nan=exclude_nan, noise_probe=noise_probe)
        if dry_run:
            _dry_run(sp, opts, out)
            return
    except (SpecError, SensitivityError) as e:
        fail(str(e))
    progress = not no_progress  # a bar on a terminal, periodic log lines otherwise (sim.analysis.progress.RunProgress)

    def echo(msg: str) -> None:
        err_console.print(msg, markup=False, highlight=False, soft_wrap=True)

    with stop_cleanly("sensitivity", spec, out or f"results/sensitivity/{sp.out_name}", replications, sets, executor,
                      scheduler, workers, (*(("--groups", groups) if groups else ()),
                                         *(("--samples", str(samples)) if samples else ()))):
        try:
            run = run_sensitivity(sp, out, options=opts, executor=executor, workers=workers, scheduler=scheduler,
                                  resume=resume, retry_failed=retry_failed, batch_size=batch_size,
                                  timeout=timeout, progress=progress, echo=echo)
        except (SpecError, SweepError, SensitivityError) as e:
            fail(str(e))
    _print_run(run, sp)
    if not no_figures:
        _draw_figures(run, fmts)
    click.echo(f"tables: {run.out / 'indices.csv'} (and .parquet), {run.out / 'convergence.csv'}, "
               f"{run.out / 'outputs.csv'}")
    _exit_status(run)


def _load_spec(spec: str, replications: int | None, sets: tuple[str, ...], samples: int | None) -> Any:
    """The sensitivity spec, its notes printed once as plain lines (not as warnings)."""
    from sim.analysis.sensitivity import load_sensitivity_spec

    with warnings.catch_warnings():  # the notes are printed below, once, as plain lines
        warnings.simplefilter("ignore", SpecWarning)
        sp = load_sensitivity_spec(spec, replications=replications, sets=sets, samples=samples)
    for note in sp.notes:
        err_console.print(f"note: {note}", markup=False, highlight=False, soft_wrap=True)
    return sp


def _noise_probe(sp: Any, noise_probe: int | None) -> int:
    """``--noise-probe``, or its default: AUTO_NOISE_PROBE points with one replication of a run function that
    declares no outputs (the model), 0 otherwise (deterministic test functions, or replications)."""
    if noise_probe is not None:
        return noise_probe
    from sim.analysis.sensitivity import AUTO_NOISE_PROBE
    from sim.analysis.sweep.spec import resolve_function

    deterministic = hasattr(resolve_function(sp.run_function), "outputs")
    return AUTO_NOISE_PROBE if sp.replications == 1 and not deterministic else 0


def _dry_run(sp: Any, opts: Any, out: str | None) -> None:
    """Check the inputs and print the design's size (``--dry-run``)."""
    from sim.analysis.sensitivity import check_inputs, design_points

    check_inputs(sp, opts)
    n = design_points(sp, opts.groups)
    noise_probe = opts.noise_probe
    probe = f" + noise probe {noise_probe} x 4 runs" if noise_probe and sp.replications == 1 else ""
    click.echo(f"{sp.file.name}: design {sp.design}, {plural(len(sp.factors), 'factor')}, {n} points x "
               f"{plural(sp.replications, 'replication')} = {plural(n * sp.replications, 'run')}{probe}; outputs: "
               f"{', '.join(opts.outputs or sp.metrics)}; results to {out or f'results/sensitivity/{sp.out_name}'}")


def _print_run(run: Any, sp: Any) -> None:
    """Print the runs' counts, a warning for failed runs, and each output's indices."""
    res, o = run.result, run.outcome
    click.echo(f"{run.out}: {sp.design} design, {o.total} runs ({o.ok} ok, {o.failed} failed, {o.missing} missing; "
               f"this session {o.ran} in {o.seconds:.1f} s on {o.executor}); analysis {res.seconds:.1f} s")
    if o.failed:
        err_console.print(f"warning: {o.failed} run(s) failed (errors in {run.out / 'sweep'}; see `aieco results "
                          f"{run.out / 'sweep'}`)", markup=False, highlight=False, soft_wrap=True)
    for rep in res.outputs:
        _print_output(res, rep)


def _draw_figures(run: Any, fmts: tuple[str, ...]) -> None:
    """Draw the sensitivity figures into ``run.out/figures`` and say how many."""
    from sim.plots.sensitivity import draw_sensitivity_figures

    t0 = time.perf_counter()
    paths = draw_sensitivity_figures(run.out, fmts)
    figs = [p for p in paths if p.suffix != ".json"]
    err_console.print(f"{len(figs)} figure files in {run.out / 'figures'} ({time.perf_counter() - t0:.1f} s)",
                      markup=False, highlight=False)


def _exit_status(run: Any) -> None:
    """Exit with code 1 when an output could not be analysed or runs are missing."""
    res, o = run.result, run.outcome
    not_done = [r for r in res.outputs if r.status not in ("ok", "constant")]
    if not_done:
        fail(f"{len(not_done)} output(s) not analysed ({', '.join(r.output for r in not_done)}): see the messages "
             f"above and {run.out / 'nan_runs.csv'}", code=1)
    if o.missing:
        fail(f"{o.missing} of {o.total} runs are missing; continue with --resume", code=1)


COMMANDS = [sensitivity]
