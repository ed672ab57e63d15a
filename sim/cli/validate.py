"""``aieco validate``: simulated patterns P1-P3, P4 (direction), and P5-P8 on Epoch's Capabilities Index, side by side with the
empirical targets (issues 3 and 13)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from sim.analysis.posterior import DEFAULT_ENSEMBLE, THEORIES_ENSEMBLE
from sim.analysis.validation import P1_DEFINITIONS, VERDICT_RULE
from sim.cli.common import (
    err_console,
    fail,
    overwrite_option,
    parse_formats,
    progress_bar,
    scenario_or_exit,
    set_option,
    staged_output,
    wide_console,
)
from sim.scenario.schema import ScenarioError, folder_name

DEFAULT_SCENARIO = str(Path("scenarios") / "baseline.toml")


def verdict_table(result, title: str) -> Table:
    """Rich table of the side-by-side comparison with a pass/fail per row (tolerances printed below it)."""
    from sim.analysis.validation import display_rows

    t = Table(title=title, title_justify="left")
    for h, just in (("pattern", "left"), ("item", "left"), ("role", "left"), ("simulated median [5%, 95%]", "right"),
                    ("sim. mean", "right"), ("empirical [90%]", "right"), ("passes when", "left"),
                    ("verdict", "left")):
        t.add_column(h, justify=just, no_wrap=h not in ("item", "passes when"))
    for row in display_rows(result.table):
        pattern, kind, item, role, sim, mean, emp, _alt, tol, verdict = row
        style = {"FAIL": "red", "pass": "green"}.get(verdict, "")
        rule = tol if len(tol) <= 50 else "see the rule below"  # P3's envelope differs from the fits' 90% CI shown
        t.add_row(f"{pattern} {kind}", item, role, sim, mean, emp, rule,
                  f"[{style}]{verdict}[/]" if style else verdict)
    return t


@click.command()
@click.argument("scenario", required=False, default=DEFAULT_SCENARIO, type=click.Path(dir_okay=False))
@click.option("--replications", "-r", type=click.IntRange(min=1), default=None,
              help="Replications (seeds SeedSequence(seed, spawn_key=(r,))); default 20, or with --posterior 2 "
                   "runs per draw.")
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Base seed (default: the scenario's).")
@set_option
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Output folder (default: results/validation/<scenario name>, or "
                   "results/validation/<scenario name>_posterior with --posterior; said before the runs start).")
@click.option("--targets", "targets_dir", type=click.Path(file_okay=False), default=None,
              help="Folder of the target tables (default: data/targets of this project).")
@click.option("--p1-definition", type=click.Choice(P1_DEFINITIONS), default="incl_unreleased", show_default=True,
              help="Empirical P1 share: UNRELEASED models counted as not open, or known accessibility only.")
@click.option("--format", "formats", default="png,pdf", show_default=True,
              help="Figure formats, comma-separated: png, pdf, svg.")
@click.option("--no-figures", is_flag=True, help="Write the tables only.")
@click.option("--posterior", "use_posterior", is_flag=True,
              help="Posterior predictive check: draw --draws parameter sets from --ensemble and run each "
                   "--replications times; SCENARIO is then the ensemble's own.")
@click.option("--ensemble", type=click.Path(dir_okay=False), default=None,
              help="The posterior ensemble: with --posterior, default scenarios/posterior.json (the baseline theory's, "
                   "aieco calibrate experiments/abc.toml); with --theories, default scenarios/posterior_theories.json "
                   "(every theory's, scripts/merge_posteriors.py).")
@click.option("--draws", type=click.IntRange(min=1), default=50, show_default=True,
              help="With --posterior: parameter sets drawn from the ensemble (by weight).")
@click.option("--theories", "use_theories", is_flag=True,
              help="Run each theory of the release decision in --ensemble (a particle's `theory`; myopic when "
                   "absent) at its own posterior (--draws x --replications runs, the same seeds for each) and write "
                   "theories.csv (theory x pattern x row, in sample or held out, strict verdict), "
                   "theories_verdicts.csv, theories_ranking.csv and theories.md; no figures.")
@click.option("--strict", is_flag=True,
              help="Exit with code 1 when any pattern fails (the verdict rule is always the strict one).")
@overwrite_option
def validate(scenario: str, replications: int | None, seed: int | None, sets: tuple[str, ...], out: str | None,
             targets_dir: str | None, p1_definition: str, formats: str, no_figures: bool, use_posterior: bool,
             ensemble: str | None, draws: int, use_theories: bool, strict: bool, overwrite: bool = False) -> None:
    """Compare SCENARIO (default scenarios/baseline.toml) with the empirical patterns P1-P3, P4 (developers outside
    China on Chinese open models rising, direction only) and, on Epoch's Capabilities Index, P5-P8 (best open
    model's country, open-closed and US-China lags, named labs' strategies).

    \b
    P1 open-weight share of releases, China and US, 2022-2025; P2 open-closed lag (yearly mean, months);
    P3 frontier training compute growth per year; P4 the share of developers outside China on Chinese open
    models, higher in 2025H2 than 2024H1 and rising (direction only: it passes when the simulated 95% quantile of
    each difference or slope is above 0). Simulated median and 90% interval across replications vs
    the empirical value and its 90% interval (data/targets, from Epoch AI, CC BY 4.0), with pass/fail under
    the tolerances printed below the table. 2025 is held out from calibration; 2019-2021 are not simulated.

    \b
    Writes to --out: validation.csv and validation.md (the table and verdicts),
    validation_replications.csv (per-replication statistics), manifest.json and
    figures/validation_p{1,2,3}_double.{png,pdf} and validation_eci_double.{png,pdf} (P5-P7) with provenance
    sidecars.
    Verdicts are strict: a row passes when the simulated 5%-95% interval overlaps the empirical interval (or
    contains the empirical point), widened by nothing else; a pattern passes when all its rows pass.
    \b
    --posterior: draws --draws parameter sets from --ensemble (aieco calibrate experiments/abc.toml)
    and runs each --replications times through 2025; the intervals are then posterior predictive intervals
    (in sample 2022-2024, held out 2025).
    Exit code 0 whatever the verdict unless --strict (1 when a pattern fails); 2 for bad input.
    """
    from sim.analysis.validation import ValidationInputError, load_targets

    fmts = parse_formats(formats)
    draws_given = click.get_current_context().get_parameter_source("draws") != click.core.ParameterSource.DEFAULT
    given = [f for f, g in (("--ensemble", ensemble is not None), ("--draws", draws_given)) if g]
    if not (use_posterior or use_theories) and given:
        fail(f"{' and '.join(given)} {'is' if len(given) == 1 else 'are'} read only with --posterior or --theories")
    posterior = ensemble or (THEORIES_ENSEMBLE if use_theories else DEFAULT_ENSEMBLE)
    use_posterior = use_posterior or use_theories
    if replications is None:
        replications = 2 if use_posterior else 20
    sc, ensemble, scenario = _resolve(scenario, posterior if use_posterior else None, sets, seed,
                                      "--theories" if use_theories else "--posterior")
    suffix = "_theories" if use_theories else ("_posterior" if ensemble is not None else "")
    default_out = Path("results") / "validation" / folder_name(sc.name + suffix)
    out_dir = Path(out) if out else default_out
    what = (f"each theory of {Path(ensemble.source).name} on {sc.name}" if use_theories else
            f"{sc.name} over {Path(ensemble.source).name}" if ensemble is not None else sc.name)
    err_console.print(f"validating {what} against Epoch's targets; results go to {out_dir}/", markup=False,
                      soft_wrap=True)
    try:
        targets = load_targets(targets_dir, p1_definition)
    except ValidationInputError as e:
        fail(str(e))
    if use_theories:
        _theories(sc, ensemble, targets, out_dir, replications, draws, seed, sets, p1_definition, overwrite, strict)
        return
    with staged_output(out_dir, overwrite=overwrite, kinds=("validation",)) as staging:  # replaced whole, when complete
        result, runs_label, replications = _compute(sc, scenario, ensemble, targets, replications, draws, seed, sets)
        title, n_fig = _write(staging, out_dir, result, sc, scenario, ensemble, targets, replications, draws,
                              p1_definition, None if no_figures else fmts)
    _report(result, f"{title}: {runs_label}", targets, out_dir, ensemble is not None, n_fig, strict)


def _resolve(scenario: str, posterior: str | None, sets: tuple[str, ...], seed: int | None,
             flag: str = "--posterior") -> tuple:
    """(scenario, ensemble or None, scenario path): with ``posterior``, the ensemble's own scenario (exit 2 when
    SCENARIO names another one); else SCENARIO with ``sets`` and ``seed``."""
    if posterior is None:
        extra = list(sets) + ([f"seed={seed}"] if seed is not None else [])
        return scenario_or_exit(scenario, tuple(extra)), None, scenario
    from sim.analysis.posterior import EnsembleError, load_ensemble, refuse_drawn_overrides, thin_ensemble_warning

    try:
        ensemble = load_ensemble(posterior)
        refuse_drawn_overrides(ensemble, sets, flag)
        sc = ensemble.base_scenario(list(sets))
    except (EnsembleError, ScenarioError) as e:
        fail(str(e))
    if scenario != DEFAULT_SCENARIO and Path(scenario).resolve() != Path(ensemble.scenario).resolve():
        fail(f"--posterior checks the scenario the ensemble was fitted on ({ensemble.scenario}), not {scenario}: "
             "drop SCENARIO, or validate it without --posterior (its point values), or fit an ensemble on it "
             "(a spec whose `scenario` is that file)")
    if flag == "--posterior" and (thin := thin_ensemble_warning(ensemble)):
        err_console.print(f"[yellow]warning:[/] {thin}", markup=True, soft_wrap=True)
    return sc, ensemble, str(ensemble.scenario)


def _report(result, title: str, targets, out_dir: Path, drawn: bool, n_fig: int, strict: bool) -> None:  # noqa: ANN001
    """Print the verdict table, rules and summary; exit 1 under ``strict`` when a pattern fails."""
    from sim.analysis.validation import tolerance_text

    out_console = wide_console(180)
    out_console.print(verdict_table(result, title))
    out_console.print(f"[bold]verdict rule[/] (strict): {VERDICT_RULE}.", soft_wrap=True)
    for k, text in tolerance_text(targets).items():
        out_console.print(f"[bold]{k}[/]: {text}", soft_wrap=True)
    summary = ", ".join(f"{v.pattern} {'PASS' if v.passed else 'FAIL'} (criteria {v.criteria_passed}/{v.criteria}, "
                        f"levels {v.levels_passed}/{v.levels})" for v in result.verdicts.itertuples(index=False))
    out_console.print(f"verdict: {summary}", soft_wrap=True)
    err_console.print(f"wrote {out_dir}/: validation.csv, validation.md, validation_replications.csv, "
                      "timeseries.parquet, manifest.json" + (", draws.csv" if drawn else "")
                      + (f", {n_fig} figure files in figures/" if n_fig else ""))
    failed = [v.pattern for v in result.verdicts.itertuples(index=False) if not v.passed]
    if strict and failed:
        err_console.print(f"--strict: {len(failed)} pattern(s) fail: {', '.join(failed)}")
        raise SystemExit(1)


def _compute(sc, scenario: str, ensemble, targets, replications: int, draws: int, seed: int | None,  # noqa: ANN001
             sets: tuple[str, ...]) -> tuple:
    """Run the validation (or the posterior predictive check with ``ensemble``): (result, what was run, runs)."""
    from sim.analysis.validation import ValidationInputError
    from sim.analysis.validation import validate as run_validation
    from sim.model.labs import RosterError

    try:
        if ensemble is not None:
            from sim.analysis.posterior import validate_posterior

            with progress_bar(draws * replications, f"validate --posterior: {draws} draws x {replications} runs") as adv:
                result = validate_posterior(ensemble, draws, replications, seed=sc.seed if seed is None else seed,
                                            overrides=list(sets), targets=targets, progress=lambda k: adv())
            return result, f"{draws} draws x {replications} run{'s' if replications > 1 else ''}", draws * replications
        with progress_bar(replications, f"validate {sc.name}: {replications} replications") as adv:
            result = run_validation(sc, replications, targets, progress=lambda r: adv())
        if sc.projection:  # it uses inputs dated after 2024-12: 2025 is in sample for it
            result.table["role"] = result.table["role"].replace("held-out", "in-sample (projection)")
        return result, f"{replications} replication{'s' if replications > 1 else ''}", replications
    except ValidationInputError as e:
        fail(str(e))
    except RosterError as e:
        fail(f"{scenario}: field 'roster': {e}")


def _write(folder: Path, out_dir: Path, result, sc, scenario: str, ensemble, targets,  # noqa: ANN001
           replications: int, draws: int, p1_definition: str, fmts: tuple[str, ...] | None) -> tuple[str, int]:
    """Write the validation's tables, report, manifest and (with ``fmts``) figures into ``folder`` (published as
    ``out_dir``); returns (the report's title, figure files)."""
    from sim.analysis.provenance import base_manifest, write_json_atomic
    from sim.analysis.validation import to_markdown, tolerance_text

    result.table.to_csv(folder / "validation.csv", index=False, float_format="%.6g")
    result.stats.to_csv(folder / "validation_replications.csv", index=False, float_format="%.6g")
    # the monthly series of every replication: `aieco figures` redraws P2 and P3 from them (about 1 MB)
    result.replications.timeseries.to_parquet(folder / "timeseries.parquet", index=False)
    months = int(result.replications.scenario.months)
    notes = [f"Scenario `{Path(scenario)}` ('{sc.name}'), {replications} replications, {sc.developers.n} developers, "
             f"{sc.start} + {months} months, base seed {sc.seed}."]
    title = f"Validation of '{sc.name}' against Epoch AI data (patterns P1-P8)"
    if ensemble is not None:
        notes.append(f"Posterior predictive check: {draws} draws from `{ensemble.source}` (theory "
                     f"{', '.join(ensemble.theories)}; ESS {ensemble.ess:.1f}) x "
                     f"{result.runs_per_draw} runs each; intervals are posterior predictive (parameter and run-to-run "
                     "uncertainty); 2022-2024 in sample, 2025 held out.")
        title = f"Posterior predictive check of '{sc.name}' against Epoch AI data (patterns P1-P8)"
        result.draws.to_csv(folder / "draws.csv", index=False, float_format="%.6g")
    (folder / "validation.md").write_text(to_markdown(result.table, result.verdicts, targets, title, notes),
                                          encoding="utf-8")
    manifest = base_manifest("validation")
    manifest.update({"scenario_file": str(Path(scenario).resolve()), "scenario": sc.resolved_dict(),
                     "replications": replications, "seeds": result.replications.seeds, "targets": targets.source,
                     "p1_definition": p1_definition, "verdict_rule": VERDICT_RULE,
                     "tolerances": tolerance_text(targets), "verdicts": result.verdicts.to_dict(orient="records")})
    if ensemble is not None:
        manifest["posterior"] = {"ensemble": str(ensemble.source), "draws": draws,
                                 "runs_per_draw": result.runs_per_draw, "ess": ensemble.ess,
                                 "theories": ensemble.theories,
                                 "seed_rule": "draw i, run r: seed_for(seed, i, r); draws: "
                                              "numpy.random.default_rng(seed).choice by weight",
                                 "ensemble_provenance": ensemble.provenance}
    write_json_atomic(folder / "manifest.json", manifest)
    if fmts is None:
        return title, 0
    from sim.plots.validation import draw_validation_figures

    prov = {k: manifest[k] for k in ("command", "versions", "git", "created")}
    prov.update({"results": str(out_dir), "seeds": result.replications.seeds, "scenario": sc.name})
    paths = draw_validation_figures(result.replications.timeseries, result.stats, targets, folder / "figures",
                                    sc.name, fmts, prov)
    return title, sum(p.suffix != ".json" for p in paths)

def _theories(sc, ensemble, targets, out_dir: Path, replications: int, draws: int, seed: int | None,  # noqa: ANN001
              sets: tuple[str, ...], p1_definition: str, overwrite: bool, strict: bool) -> None:
    """``--theories``: each theory of ``ensemble`` at its own posterior (:mod:`sim.analysis.theories`); writes the
    tables, the report and the manifest to ``out_dir``; with ``strict``, exit 1 when the best-supported theory
    fails a pattern in sample."""
    from sim.analysis.provenance import base_manifest, write_json_atomic
    from sim.analysis.theories import theory_fits, to_markdown, validate_theories
    from sim.analysis.validation import ValidationInputError, tolerance_text
    from sim.model.labs import RosterError

    theories = ensemble.theories
    seed = sc.seed if seed is None else seed
    with staged_output(out_dir, overwrite=overwrite, kinds=("validation",)) as staging:
        with progress_bar(len(theories) * draws * replications,
                          f"validate --theories: {', '.join(theories)}: {draws} draws x {replications} runs each") as adv:
            try:
                res = validate_theories(ensemble, draws, replications, seed=seed, overrides=list(sets),
                                        targets=targets, progress=lambda k: adv())
            except ValidationInputError as e:
                fail(str(e))
            except RosterError as e:
                fail(f"{ensemble.scenario}: field 'roster': {e}")
        res.table.to_csv(staging / "theories.csv", index=False, float_format="%.6g")
        res.verdicts.to_csv(staging / "theories_verdicts.csv", index=False)
        res.ranking.to_csv(staging / "theories_ranking.csv", index=False, float_format="%.6g")
        context = (f"Ensemble `{ensemble.source}`; {draws} draws x {replications} runs per theory, seed {seed}; "
                   f"scenario `{sc.name}`{' with ' + ', '.join(sets) if sets else ''}; P1 counts releases "
                   f"`{p1_definition}`.")
        (staging / "theories.md").write_text(to_markdown(res, context=context, fits=theory_fits(ensemble)),
                                             encoding="utf-8")
        manifest = base_manifest("validation")
        manifest.update({"scenario": sc.resolved_dict(), "ensemble": str(ensemble.source), "theories": theories,
                         "draws": draws, "runs_per_draw": replications, "seed": seed, "targets": targets.source,
                         "p1_definition": p1_definition, "verdict_rule": VERDICT_RULE,
                         "tolerances": tolerance_text(targets), "ranking": res.ranking.to_dict(orient="records")})
        write_json_atomic(staging / "manifest.json", manifest)
    out_console = wide_console(180)
    for r in res.ranking.itertuples(index=False):
        n_in = int(res.verdicts.loc[res.verdicts["theory"] == r.theory, "in_sample"].count())
        n_out = int(res.verdicts.loc[res.verdicts["theory"] == r.theory, "held_out"].count())
        out_console.print(f"{r.rank}. {r.theory}: {r.in_sample_passed} of {n_in} patterns pass strictly in sample, "
                          f"{r.held_out_passed} of {n_out} held out", soft_wrap=True)
    err_console.print(f"wrote {out_dir}/: theories.csv, theories_verdicts.csv, theories_ranking.csv, theories.md, "
                      "manifest.json")
    best = res.ranking.iloc[0]["theory"] if len(res.ranking) else None
    failed = res.verdicts[(res.verdicts["theory"] == best) & ~res.verdicts["in_sample"].fillna(True).astype(bool)]
    if strict and len(failed):
        err_console.print(f"--strict: the best-supported theory ({best}) fails in sample: "
                          f"{', '.join(failed['pattern'])}")
        raise SystemExit(1)


COMMANDS = [validate]
