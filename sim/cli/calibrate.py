"""``aieco calibrate``: fit a few free parameters to the 2022-2024 targets and write a calibrated scenario."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.table import Table

from sim.cli.common import console, err_console, fail


@click.command()
@click.argument("spec_file", metavar="SPEC", type=click.Path(dir_okay=False))
@click.option("--output", type=click.Path(dir_okay=False), default=None,
              help="Calibrated scenario to write (default: the spec's `output`).")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Folder of the fit report (default: the spec's `out_dir`).")
@click.option("--replications", "-r", type=click.IntRange(min=1), default=None,
              help="Replications per candidate (default: the spec's).")
@click.option("--check-replications", type=click.IntRange(min=1), default=None,
              help="Replications of the final check with fresh seeds (default: the spec's).")
@click.option("--maxiter", type=click.IntRange(min=1), default=None,
              help="Generations (differential evolution) or evaluations (Nelder-Mead) (default: the spec's).")
@click.option("--popsize", type=click.IntRange(min=1), default=None,
              help="Population multiplier of differential evolution (default: the spec's).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Processes evaluating candidates in parallel (default: the spec's).")
@click.option("--format", "formats", default="png,pdf", show_default=True,
              help="Figure formats, comma-separated: png, pdf, svg.")
@click.option("--no-figures", is_flag=True, help="Write the fit report tables only.")
def calibrate(spec_file: str, output: str | None, out: str | None, replications: int | None,
              check_replications: int | None, maxiter: int | None, popsize: int | None, workers: int | None,
              formats: str, no_figures: bool) -> None:
    """Fit the free parameters of SPEC (a TOML file, e.g. experiments/calibration.toml).

    \b
    Minimises a distance between simulated and empirical patterns P1-P3 over the calibration years
    (2022-2024) with scipy.optimize, every candidate run with the same seeds (common random numbers);
    then checks the fit with fresh seeds and reports the held-out year (2025). Writes the fitted values
    to the spec's `output` scenario (scenarios/calibrated.toml, which scenarios/baseline.toml extends)
    with a header comment, and fit.md, fit_parameters.csv, fit_history.csv, check_table.csv,
    diagnostics.csv, manifest.json and figures/ to the report folder. Exit code 2 for bad input.
    """
    from sim.calibration import (
        CalibrationError,
        load_spec,
        write_calibrated_scenario,
        write_fit_report,
    )
    from sim.calibration import calibrate as run_calibration
    from sim.cli.common import progress_bar
    from sim.labs import RosterError
    from sim.scenario import ScenarioError, load_scenario
    from sim.validation import ValidationInputError

    fmts = tuple(f.strip() for f in formats.split(",") if f.strip())
    bad = [f for f in fmts if f not in ("png", "pdf", "svg")]
    if bad:
        fail(f"--format: {bad[0]!r} is not one of png, pdf, svg")
    try:
        spec = load_spec(spec_file)
    except CalibrationError as e:
        fail(str(e))
    for name, value in (("replications", replications), ("check_replications", check_replications),
                        ("maxiter", maxiter), ("popsize", popsize), ("workers", workers)):
        if value is not None:
            setattr(spec, name, value)
    if output:
        spec.output = Path(output).resolve()
    if out:
        spec.out_dir = Path(out).resolve()
    dim = len(spec.parameters)
    total = (spec.maxiter + 1) * spec.popsize * dim if spec.method == "differential_evolution" else spec.maxiter
    argv = sys.argv[1:]
    command = " ".join(["aieco", *argv]) if argv[:1] == ["calibrate"] else f"aieco calibrate {spec_file}"
    try:
        with progress_bar(total, f"calibrate: {dim} parameters, {spec.method}") as advance:
            state = {"done": 0}

            def progress(done: int, _total: int, _best: float) -> None:
                advance(done - state["done"])
                state["done"] = done

            result = run_calibration(spec, echo=lambda m: err_console.print(m, soft_wrap=True), progress=progress)
    except (CalibrationError, ScenarioError, ValidationInputError) as e:
        fail(str(e))
    except RosterError as e:
        fail(f"{spec.scenario}: field 'roster': {e}")
    path = write_calibrated_scenario(result, command=command)
    try:
        load_scenario(path)
    except ScenarioError as e:  # pragma: no cover - write_calibrated_scenario checks the values
        fail(f"the written scenario does not load: {e}", code=1)
    paths = write_fit_report(result, command=command, formats=fmts, figures=not no_figures)
    t = Table(title=f"Calibration: distance {result.start_distance:.3f} -> {result.distance:.3f} "
                    f"({result.n_evaluations} evaluations, {result.wall_seconds:.0f} s)", title_justify="left")
    for h in ("parameter", "bounds", "previous", "fitted"):
        t.add_column(h, justify="left" if h == "parameter" else "right")
    for p in spec.parameters:
        t.add_row(p.path, f"[{p.lower:g}, {p.upper:g}]", f"{result.start[p.path]:.4g}", f"{result.fitted[p.path]:.4g}")
    console.print(t)
    parts = ", ".join(f"{k} {v:.3f}" for k, v in result.check_parts.items())
    held = ", ".join(f"{k} {v:.3f}" for k, v in result.heldout_parts.items())
    console.print(f"check with fresh seeds: calibration-years distance {result.check_distance:.3f} ({parts}); "
                  f"held-out {'/'.join(map(str, spec.heldout_years))} distance {result.heldout_distance:.3f} ({held})",
                  soft_wrap=True)
    console.print("patterns at the fitted values: " + ", ".join(
        f"{v.pattern} {'PASS' if v.passed else 'FAIL'} ({v.criteria_passed}/{v.criteria} criteria)"
        for v in result.check_verdicts.itertuples(index=False)))
    err_console.print(f"wrote {path} and {len(paths)} report files in {spec.out_dir}/")


COMMANDS = [calibrate]
