"""``aieco calibrate``: fit a few free parameters to the 2022-2024 targets and write a calibrated scenario."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from sim.cli.common import console, err_console, fail, parse_formats, wide_console, writer_lock


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
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="ABC spec: evaluate particles on the Dask cluster at this scheduler address "
                   "(e.g. tcp://10.0.0.5:8786); the workers need aieco installed.")
@click.option("--population", type=click.IntRange(min=2), default=None,
              help="ABC spec: accepted particles per generation (default: the spec's).")
@click.option("--generations", type=click.IntRange(min=1), default=None,
              help="ABC spec: generations at most, counting those already in the history (default: the spec's).")
@click.option("--db", type=click.Path(dir_okay=False), default=None,
              help="ABC spec: history database (SQLite; default: the spec's `db`).")
@click.option("--new", "new_run", is_flag=True,
              help="ABC spec: start a new run even when the history holds one of this spec to resume.")
@click.option("--min-ess", type=click.FloatRange(min=1), default=None,
              help="ABC spec: the posterior is the last generation whose effective sample size is at least this "
                   "(default: the spec's min_ess); rerun on a finished history to rewrite the posterior only.")
@click.option("--theory", type=click.Choice(["myopic", "learning", "imitation", "strategic"]), default=None,
              help="ABC spec: fit this theory of the release decision (labs.decision) with its parameters (a "
                   "[[parameters]] table's `theories`), the spec's budget, into <output>_<theory>.json and "
                   "<out_dir>/<theory>/ (unless --output, --out or --db are given); merge the theories with "
                   "scripts/merge_posteriors.py. Default: the scenario's own labs.decision, into the spec's output.")
def calibrate(spec_file: str, output: str | None, out: str | None, replications: int | None,
              check_replications: int | None, maxiter: int | None, popsize: int | None, workers: int | None,
              formats: str, no_figures: bool, scheduler: str | None, population: int | None,
              generations: int | None, db: str | None, new_run: bool, min_ess: float | None,
              theory: str | None) -> None:
    """Fit the free parameters of SPEC (a TOML file, e.g. experiments/calibration.toml).

    \b
    Minimises a distance between simulated and empirical patterns P1-P3 over the calibration years
    (2022-2024) with scipy.optimize, every candidate run with the same seeds (common random numbers);
    then checks the fit with fresh seeds and reports the held-out year (2025). Writes the fitted values
    to the spec's `output` scenario (scenarios/calibrated.toml, which scenarios/baseline.toml extends)
    with a header comment, and fit.md, fit_parameters.csv, fit_history.csv, check_table.csv,
    diagnostics.csv, manifest.json and figures/ to the report folder. Exit code 2 for bad input.

    \b
    A spec with an [abc] table (experiments/abc.toml) runs approximate Bayesian computation instead
    (ABC-SMC, pyabc): it prints a wall-time estimate, keeps its history in a database (rerun the same
    command to resume after a crash; --new to start over), runs on --workers local processes or on a
    Dask cluster (--scheduler), and writes the posterior ensemble (the spec's `output`,
    scenarios/posterior.json) and diagnostics (generations.csv, posterior_summary.csv, figures/). It fits
    the scenario's own theory of the release decision (labs.decision: the parameters that theory uses, its
    particles tagged with it); --theory T fits theory T instead, with the same budget, into
    <output stem>_T.json and <out_dir>/T/ unless --output/--out/--db say otherwise (issue 28's theory test).
    """
    if _is_abc_spec(spec_file):
        _calibrate_abc(spec_file, output, out, workers, formats, no_figures, scheduler, population, generations,
                       db, new_run, theory, min_ess)
        return
    if theory is not None:
        fail("--theory needs an ABC spec (a spec with an [abc] table, e.g. experiments/abc.toml)")
    from sim.analysis.calibration import (
        CalibrationError,
        load_spec,
        write_calibrated_scenario,
        write_fit_report,
    )
    from sim.scenario.schema import ScenarioError, load_scenario

    fmts = parse_formats(formats)
    try:
        spec = load_spec(spec_file)
    except CalibrationError as e:
        fail(str(e))
    _override(spec, {"replications": replications, "check_replications": check_replications, "maxiter": maxiter,
                     "popsize": popsize, "workers": workers}, output, out)
    command = _command(spec_file)
    with writer_lock(spec.out_dir):  # one writer of the fit's folder at a time
        result = _run_fit(spec)
        path = write_calibrated_scenario(result, command=command)
        try:
            load_scenario(path)
        except ScenarioError as e:  # pragma: no cover - write_calibrated_scenario checks the values
            fail(f"the written scenario does not load: {e}", code=1)
        from sim.plots.validation import draw_validation_figures

        paths = write_fit_report(result, command=command, formats=fmts,
                                 figures=None if no_figures else draw_validation_figures)
        _print_fit(result, spec)
        err_console.print(f"wrote {path} and {len(paths)} report files in {spec.out_dir}/")


def _override(spec: Any, values: dict[str, Any], output: str | None, out: str | None, **paths: str | None) -> None:
    """Set the options given on the command line (None: keep the spec's) on ``spec``: ``values`` as they are,
    ``output``, ``out`` (as ``out_dir``) and ``paths`` as resolved paths."""
    for name, value in values.items():
        if value is not None:
            setattr(spec, name, value)
    if output:
        spec.output = Path(output).resolve()
    if out:
        spec.out_dir = Path(out).resolve()
    for name, value in paths.items():
        if value:
            setattr(spec, name, Path(value).resolve())


def _command(spec_file: str) -> str:
    """The command line to record in the outputs: this one, or its equivalent when called from elsewhere."""
    argv = sys.argv[1:]
    return " ".join(["aieco", *argv]) if argv[:1] == ["calibrate"] else f"aieco calibrate {spec_file}"


def _run_fit(spec: Any) -> Any:
    """Run the calibration of ``spec`` under a progress bar; exits with code 2 on bad input."""
    from sim.analysis.calibration import CalibrationError
    from sim.analysis.calibration import calibrate as run_calibration
    from sim.analysis.validation import ValidationInputError
    from sim.cli.common import progress_bar
    from sim.model.labs import RosterError
    from sim.scenario.schema import ScenarioError

    dim = len(spec.parameters)
    total = (spec.maxiter + 1) * spec.popsize * dim if spec.method == "differential_evolution" else spec.maxiter
    try:
        with progress_bar(total, f"calibrate: {dim} parameters, {spec.method}") as advance:
            state = {"done": 0}

            def progress(done: int, _total: int, _best: float) -> None:
                advance(done - state["done"])
                state["done"] = done

            return run_calibration(spec, echo=lambda m: err_console.print(m, soft_wrap=True), progress=progress)
    except (CalibrationError, ScenarioError, ValidationInputError) as e:
        fail(str(e))
    except RosterError as e:
        fail(f"{spec.scenario}: field 'roster': {e}")


def _print_fit(result: Any, spec: Any) -> None:
    """Print the fitted values, the check with fresh seeds and the patterns' verdicts."""
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


def _is_abc_spec(path: str) -> bool:
    import tomllib

    try:
        return "abc" in tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False  # load_spec reports the problem


def _calibrate_abc(spec_file: str, output: str | None, out: str | None, workers: int | None, formats: str,
                   no_figures: bool, scheduler: str | None, population: int | None, generations: int | None,
                   db: str | None, new_run: bool, theory: str | None = None, min_ess: float | None = None) -> None:
    """``aieco calibrate`` on an ABC spec (see :mod:`sim.analysis.abcsmc`), of one theory with ``theory``."""
    from sim.analysis.abcsmc import ABCError, for_theory, load_abc_spec, own_theory, write_abc_report
    from sim.scenario.schema import ScenarioError

    fmts = parse_formats(formats)
    try:
        spec = load_abc_spec(spec_file)
        spec = for_theory(spec, theory) if theory is not None else own_theory(spec)
    except (ABCError, ScenarioError) as e:
        fail(str(e))
    _override(spec, {"population": population, "generations": generations, "workers": workers, "min_ess": min_ess},
              output, out, db=db)
    try:
        import pyabc  # noqa: F401
    except ImportError:
        fail("ABC calibration needs pyabc: pip install 'aieco[abc]'", code=1)
    command = _command(spec_file)
    with writer_lock(spec.out_dir):  # one writer of the fit's folder at a time
        result = _run_abc(spec, scheduler, new_run)
        report = write_abc_report(result, command=command, scheduler=scheduler)
        n_fig = 0 if no_figures else _abc_figures(report, spec, fmts)
        ess = _print_abc(result, report, spec)
        _warn_abc_ess(report, spec, ess)
        err_console.print(f"wrote {report.path}; {spec.out_dir}/: generations.csv, posterior_summary.csv, "
                          f"particles.csv, manifest.json" + (f", {n_fig} figure files in figures/" if n_fig else ""))


def _run_abc(spec: Any, scheduler: str | None, new_run: bool) -> Any:
    """Run (or resume) ABC-SMC on ``spec``; exits with code 2 on bad input, 1 when the cluster fails."""
    from sim.analysis.abcsmc import ABCError, run_abc
    from sim.analysis.validation import ValidationInputError
    from sim.model.labs import RosterError
    from sim.scenario.schema import ScenarioError

    try:
        return run_abc(spec, scheduler=scheduler, new=new_run, echo=lambda m: err_console.print(m, soft_wrap=True))
    except (ABCError, ScenarioError, ValidationInputError) as e:
        fail(str(e))
    except RosterError as e:
        fail(f"{spec.scenario}: field 'roster': {e}")
    except OSError as e:  # e.g. no Dask scheduler at the address
        fail(f"--scheduler {scheduler}: {e}" if scheduler else str(e), code=1)


def _abc_figures(report: Any, spec: Any, fmts: tuple[str, ...]) -> int:
    """Draw the ABC figures into ``spec.out_dir/figures``; returns the number of figure files."""
    from sim.plots.posterior import draw_abc_figures

    ens_params = [{"path": p.path, "lower": p.lower, "upper": p.upper} for p in spec.priors]
    prov = {k: report.manifest[k] for k in ("command", "versions", "git", "created")} | {"results": str(spec.out_dir)}
    return len([p for p in draw_abc_figures(report.generations, report.ensemble, ens_params, spec.population,
                                            spec.out_dir / "figures", fmts, prov, posterior_t=report.posterior_t,
                                            min_ess=spec.min_ess) if p.suffix != ".json"])


def _print_abc(result: Any, report: Any, spec: Any) -> float:
    """Print the posterior's summary and the generations; returns the posterior generation's ESS."""
    gens, t_post, total_sims, total_wall = (report.generations, report.posterior_t, report.history_simulations,
                                            report.history_wall_seconds)
    ess = float(gens.loc[gens["t"] == t_post, "ess"].iloc[0])
    total = (f"; the whole run {total_sims} simulations in {total_wall:.0f} s ({total_sims / total_wall:.2f} per s)"
             if total_wall > 0 and result.resumed else "")
    which = (f"the last with ESS >= {spec.min_ess}" if ess >= spec.min_ess else
             f"the last; none reaches ESS {spec.min_ess}")
    t = Table(title=f"ABC-SMC posterior: generation {t_post} of 0-{int(gens['t'].max())} ({which}), ESS {ess:.0f} of "
                    f"{spec.population}; this call {result.simulations} simulations "
                    f"in {result.wall_seconds:.0f} s ({report.rate:.2f} per s){total}", title_justify="left")
    for h in ("parameter", "prior", "median", "90% interval", "share of prior"):
        t.add_column(h, justify="left" if h == "parameter" else "right")
    for r in report.summary.itertuples(index=False):
        t.add_row(r.parameter, f"[{r.prior_lower:g}, {r.prior_upper:g}]", f"{r.median:.4g}",
                  f"[{r.q05:.4g}, {r.q95:.4g}]", f"{r.width_share_of_prior:.2f}")
    wide_console(130).print(t)
    g = Table(title="by generation", title_justify="left")
    for h in ("t", "epsilon", "simulations", "acceptance", "ESS"):
        g.add_column(h, justify="right")
    for r in gens.itertuples(index=False):
        g.add_row(str(r.t), f"{r.epsilon:.4g}", str(r.samples), f"{r.acceptance:.3f}", f"{r.ess:.0f}")
    wide_console(130).print(g)
    return ess


def _warn_abc_ess(report: Any, spec: Any, ess: float) -> None:
    """Warn when no generation reaches the spec's ESS, or the posterior's is under
    :data:`sim.analysis.posterior.THIN_ESS`; or note later generations passed over for too small an ESS."""
    from sim.analysis.posterior import THIN_ESS

    gens, t_post = report.generations, report.posterior_t
    if ess < spec.min_ess:
        err_console.print(f"[yellow]warning:[/] no generation has an effective sample size of {spec.min_ess}: the "
                          f"posterior (generation {t_post}) has {ess:.0f}; rerun with a larger --population (--new), "
                          f"e.g. --population {int(spec.population * 1.1 * spec.min_ess / max(ess, 1))}",
                          markup=True, soft_wrap=True)
    elif ess < min(THIN_ESS, spec.population / 5):  # a floor of 1 keeps the last generation, however thin
        err_console.print(f"[yellow]warning:[/] the posterior (generation {t_post}) rests on an effective sample "
                          f"size of {ess:.1f} of {spec.population} particles: its medians and intervals are rough; "
                          "a larger --population (--new) gives more", markup=True, soft_wrap=True)
    elif t_post < int(gens["t"].max()):
        later = gens[gens["t"] > t_post]
        err_console.print(f"note: generation(s) {', '.join(str(int(x)) for x in later['t'])} reached epsilon "
                          f"{later['epsilon'].iloc[-1]:.4g} but with an ESS of "
                          f"{', '.join(f'{x:.0f}' for x in later['ess'])} (< {spec.min_ess}): the posterior is "
                          f"generation {t_post} (epsilon {gens.loc[gens['t'] == t_post, 'epsilon'].iloc[0]:.4g}); a "
                          f"larger --population (--new) would keep the later one", soft_wrap=True)


COMMANDS = [calibrate]
