"""``aieco compare``: run several scenarios with the same seeds and report paired differences."""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np
from rich import box
from rich.markup import escape
from rich.table import Table

from sim.cli.common import (
    FiniteFloatRange,
    err_console,
    fail,
    max_replications_or_exit,
    overwrite_option,
    parse_formats,
    progress_bar,
    set_option,
    staged_output,
    wide_console,
)
from sim.model.labs import RosterError
from sim.model.metrics import HEADLINE_METRICS, SUMMARY_METRICS, metric_label, metric_unit
from sim.scenario.schema import ScenarioError, folder_name, load_scenario, month_label, with_horizon

DIGITS = {"open_closed_lag_months": 1, "us_cn_gap_months": 1, "noncn_on_cn_open": 3, "compute_share_CN": 3, "cn_on_cn_open": 3, "us_on_cn_open": 3,
          "adopt_CN_open": 3}


def _fmt(digits: int, signed: bool, *values: float) -> str:
    """A format for ``values``: fixed with ``digits`` decimals, or 3 significant digits in e-notation when any is
    1e5 or more in size (money in USD a month: ``2.6e+09``, not ``2603974272.17``)."""
    big = any(np.isfinite(v) and abs(v) >= 1e5 for v in values)
    return f"{{:{'+' if signed else ''}.{'3g' if big else f'{digits}f'}}}"


def _iv(med: float, lo: float, hi: float, n: int, digits: int, signed: bool = False) -> str:
    if n == 0 or not np.isfinite(med):
        return "n/a"
    f = _fmt(digits, signed, med, lo, hi)
    if n == 1:
        return f.format(med)
    return f"{f.format(med)} [{f.format(lo)}, {f.format(hi)}]"


def _ci(est: float, lo: float, hi: float, digits: int, flag: bool = True) -> str:
    """``+1.2 [+0.3, +2.1]``, with `` ~0`` when the interval includes zero (``flag``)."""
    if not np.isfinite(est):
        return "n/a"
    f = _fmt(digits, True, est, lo, hi)
    zero = not (lo > 0 or hi < 0) if np.isfinite(lo) and np.isfinite(hi) else True
    return f"{f.format(est)} [{f.format(lo)}, {f.format(hi)}]" + (" ~0" if flag and zero else "   ")


def stats_table(stats, reference: str, title: str, effects=None, precision=None, labels=None) -> Table:
    """One rich table: per metric (a section) and scenario, the median [90% spread across replications] of the
    value, and the paired difference to the reference as its mean [90% bootstrap CI] at the table's window; with
    ``effects`` (:func:`sim.analysis.compare.paired_effects`) also the mean difference from the first policy change and the
    peak difference with its month. `` ~0`` flags a difference whose CI includes zero. With ``precision`` (a dict
    (metric, scenario) -> bool, or (bool, replications at which it was first reached)) a column says whether the
    precision target was reached. ``labels``: scenario name -> the reader's name shown (the scenario's label)."""
    shown = labels or {}
    t = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    t.add_column("metric / scenario")
    t.add_column("value: median [90% spread]", justify="right")
    t.add_column(f"diff. to {escape(shown.get(reference) or reference)}: mean [90% CI]", justify="right")
    if effects is not None:
        t.add_column("mean diff. from policy change [CI]", justify="right")
        t.add_column("peak diff. [CI] @month (interval)", justify="right")
    if precision is not None:
        t.add_column("precise", justify="center")
    eff = effects.set_index(["metric", "scenario", "effect"]) if effects is not None else None
    for k, (metric, g) in enumerate(stats.groupby("metric", sort=False)):
        d = DIGITS.get(metric, 2)
        if k:
            t.add_section()
        t.add_row(f"[bold]{escape(metric_label(metric))}[/] ({metric_unit(metric)})", *[""] * (len(t.columns) - 1))
        for row in g.sort_values("scenario_index").itertuples():
            cells = [f"  {escape(shown.get(row.scenario) or row.scenario)}", _iv(row.median, row.lo, row.hi, row.n, d)]
            if row.scenario_index == 0:
                cells += ["(reference)"] + (["", ""] if eff is not None else [])
            else:
                cells.append(_ci(row.diff_mean, row.diff_ci_lo, row.diff_ci_hi, d))
                if eff is not None:
                    if (metric, row.scenario, "mean") in eff.index:
                        m = eff.loc[(metric, row.scenario, "mean")]
                        pk = eff.loc[(metric, row.scenario, "peak")]
                        cells.append(_ci(m["estimate"], m["ci_lo"], m["ci_hi"], d))
                        when = (f" @{_month(pk['month'])} ({_month(pk['month_lo'])}..{_month(pk['month_hi'])})"
                                if np.isfinite(pk["month"]) else "")
                        cells.append(_ci(pk["estimate"], pk["ci_lo"], pk["ci_hi"], d).rstrip() + when)
                    else:
                        cells += ["n/a", "n/a"]
            if precision is not None:
                got = precision.get((metric, row.scenario))
                if got is None:
                    cells.append("")
                else:
                    ok, at = got if isinstance(got, tuple) else (got, 0)
                    cells.append(f"yes ({at})" if ok and at else "yes" if ok else "[red]no[/]")
            t.add_row(*cells)
    return t


_START = [None]


def _month(k: float) -> str:
    """Month index as ``YYYY-MM`` with the start set by the command (``_START``), else the index."""
    if not np.isfinite(k):
        return "n/a"
    return month_label(_START[0], int(k))[2:] if _START[0] else str(int(k))


def metric_notes(stats) -> list[str]:
    """One line per metric: its name, unit and meaning."""
    out = []
    for metric, g in stats.groupby("metric", sort=False):
        unit, desc = SUMMARY_METRICS[g["column"].iloc[0]]
        out.append(f"  {metric_label(metric)} = {metric}: {desc} ({unit})")
    return out


@click.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--replications", "-r", type=click.IntRange(min=1), default=20, show_default=True,
              help="Replications per scenario; replication r uses the same seed in every scenario.")
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="Common base seed (default: the first scenario's). Replication r uses "
                   "SeedSequence(seed, spawn_key=(r,)) in every scenario.")
@click.option("--months", type=click.IntRange(min=1), default=None,
              help="Override every scenario's horizon (months); dated events after it are dropped.")
@set_option
@click.option("--window", type=click.Choice(["horizon", "mean12"]), default="horizon", show_default=True,
              help="Metric values at the horizon, or averaged over the last 12 months (less noisy; all months of a "
                   "shorter run).")
@click.option("--also", "also", multiple=True, metavar="METRIC",
              help="Report this summary metric too (repeatable), e.g. --also compute_share_CN --also us_cn_gap_oom.")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Output folder (default: results/compare_<name1>_vs_<name2>...).")
@click.option("--format", "formats", default="png,pdf", show_default=True,
              help="Figure formats, comma-separated: png, pdf, svg.")
@click.option("--width", type=click.Choice(["single", "double", "both"]), default="double", show_default=True,
              help="Figure width: single column (3.5 in), full page (7 in), or both.")
@click.option("--no-figures", is_flag=True, help="Write tables and manifest only.")
@click.option("--precision", "precision", type=FiniteFloatRange(min=0, min_open=True), default=None, metavar="REL",
              help="Add replications in batches until the 90% bootstrap CI of every mean paired difference (at the "
                   "window, and from the first policy change) has half-width <= REL x max(|difference|, floor: "
                   "1 month, 0.02 share), or --max-replications is reached; --replications is the first batch.")
@click.option("--max-replications", type=click.IntRange(min=1), default=None,
              help="Most replications per scenario with --precision (default: 400, or --replications if larger).")
@click.option("--posterior", "posterior", type=click.IntRange(min=1), default=None, metavar="N",
              help="Policy effects over the posterior: N parameter sets drawn from --ensemble, each run "
                   "--replications times in every scenario with common seeds (for a publishable figure: 50 or more draws, 10 or more replications).")
@click.option("--ensemble", type=click.Path(dir_okay=False), default=None,
              help="With --posterior: the posterior ensemble (default scenarios/posterior.json, the baseline theory's; "
                   "aieco calibrate experiments/abc.toml).")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Processes running the runs: the (scenario, replication) cells, with --posterior the (draw, "
                   "scenario) cells. The numbers do not depend on it.")
@click.option("--resume", is_flag=True,
              help="With --precision: continue an interrupted comparison from the runs kept in OUT.partial/.")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="With --posterior: run the cells on the Dask cluster at this scheduler address instead.")
@overwrite_option
def compare(scenarios: tuple[str, ...], replications: int, seed: int | None, months: int | None,
            sets: tuple[str, ...], window: str, also: tuple[str, ...], out: str | None, formats: str, width: str,
            no_figures: bool, precision: float | None, max_replications: int | None, posterior: int | None, ensemble: str | None,
            workers: int, resume: bool, scheduler: str | None, overwrite: bool = False) -> None:
    """Run SCENARIOS (TOML files; the first is the reference) with common random numbers and compare.

    \b
    Every scenario runs the same replications with the same seeds, so differences are paired per
    replication. --set applies to every scenario. Prints, per headline metric, each scenario's median and the
    90% spread across replications, and its paired difference to the first scenario: the mean difference at the
    horizon (or --window), its mean from the first policy change to the horizon, and its peak with the peak's
    month, each with its 90% bootstrap confidence interval (~0 marks an interval that includes 0).
    With --precision REL, replications are added in batches until every mean difference is that precise; after
    each batch it says which are still short and about how long is left, and keeps the runs in OUT.partial/,
    so that an interrupted comparison continues with --resume.
    \b
    Outputs in --out: compare.parquet (tidy: scenario, replication, seed, metric, value, diff),
    timeseries.parquet (all scenarios' time series), stats.csv (values and window differences), effects.csv
    (horizon, mean and peak differences with CIs and spreads), manifest.json
    (every resolved scenario, seeds, versions, git commit, command) and figures/compare_*.png|pdf.
    \b
    --posterior N: every scenario runs N draws from --ensemble x --replications runs (draw i, run r: the same
    seed in every scenario); prints each effect (at the horizon, mean from the first policy change, peak with
    its month) as the median and 90% interval over draws, the 90% spread over all runs, and the share of
    draws with the median's sign; writes posterior_effects.csv, draws.csv, timeseries.parquet, manifest.json.
    """
    from sim.analysis.compare import write_comparison

    if len(scenarios) < 2:
        fail(f"compare needs at least two scenarios (the first is the reference), got {len(scenarios)}: "
             f"e.g. aieco compare {scenarios[0]} scenarios/no_export_controls.toml; for one scenario use aieco run")
    fmts = parse_formats(formats)
    metrics = list(dict.fromkeys([*HEADLINE_METRICS, *also]))
    for m in also:
        if m not in SUMMARY_METRICS or m.endswith("_mean12"):
            allowed = ", ".join(k for k in SUMMARY_METRICS if not k.endswith("_mean12"))
            fail(f"--also: unknown metric {m!r}; allowed: {allowed}")
    loaded, names = _load_all(scenarios, sets, months)
    given = click.get_current_context().get_parameter_source("replications") != click.core.ParameterSource.DEFAULT
    if precision is not None and max_replications is not None and not given:
        replications = min(replications, max_replications)  # the first batch fits under the cap asked for
    max_replications = max_replications_or_exit(max_replications, replications, precision)
    if posterior is None and ensemble is not None:
        fail("--ensemble is read only with --posterior N (policy effects over N draws from it)")
    if posterior is not None:
        from sim.analysis.posterior import DEFAULT_ENSEMBLE

        ensemble = ensemble or DEFAULT_ENSEMBLE
        _compare_posterior(loaded, names, scenarios, posterior, replications, seed, ensemble, workers, metrics,
                           out, sets, months, scheduler, overwrite=overwrite)
        return
    out_dir = Path(out) if out else Path("results") / folder_name("compare_" + "_vs_".join(dict.fromkeys(names)))[:120]
    partial = _partial_folder(out_dir, precision, resume)
    with staged_output(out_dir, overwrite=overwrite, kinds=("compare",)) as staging:  # replaced whole, when complete
        comp, status, history = _run(loaded, names, replications, precision, max_replications, seed, metrics, window,
                                     workers, partial, resume)
        extra = {"sets": list(sets), "months_override": months}
        if status is not None:
            extra["precision"] = {"rel": precision, "max_replications": max_replications, "batches": history,
                                  "targets": [{"metric": k[0], "scenario": k[1], "effect": k[2], **v}
                                              for k, v in status.items()]}
        write_comparison(staging, comp, [str(Path(p).resolve()) for p in scenarios], window=window, metrics=metrics,
                         extra=extra)
        _print_comparison(comp, names, metrics, window, status, history, precision, max_replications)
        figs = []
        if not no_figures:
            from sim.plots.compare import draw_compare_figures

            for w in (("single", "double") if width == "both" else (width,)):
                figs += [p for p in draw_compare_figures(staging, fmts, w) if p.suffix == ".png"]
    if partial is not None:
        from sim.analysis.batches import PartialRuns

        PartialRuns(partial).remove()  # the comparison is written: the kept runs are no longer needed
    err_console.print(f"wrote {out_dir}/: compare.parquet, timeseries.parquet, stats.csv, effects.csv, manifest.json"
                      + "".join(f"\n  figure: {out_dir / 'figures' / p.name}" for p in figs), soft_wrap=True, highlight=False)


def _load_all(scenarios: tuple[str, ...], sets: tuple[str, ...], months: int | None) -> tuple[list, list[str]]:
    """Every scenario with ``--set`` and ``--months`` (every bad file reported before exiting 2), the notes of
    loading them, and their unique names; notes a scenario whose policy equals the reference's in the horizon."""
    from sim.analysis.compare import first_policy_month, unique_names
    from sim.scenario.schema import scenario_notes

    loaded, errors = [], []
    for path in scenarios:
        try:
            sc = load_scenario(path, list(sets))
            loaded.append(with_horizon(sc, months) if months else sc)
        except ScenarioError as e:
            errors.append(str(e))
    if errors:
        fail("\n".join(errors))
    for path, sc in zip(scenarios, loaded, strict=True):
        for note in scenario_notes(sc):
            click.echo(f"note: {path}: {note}" if note.startswith("--months") else f"note: {note}", err=True)
    names = unique_names([s.name for s in loaded])
    same = [n for n, s in zip(names[1:], loaded[1:], strict=True) if first_policy_month(loaded[0], s) is None]
    if same:
        click.echo(f"note: {', '.join(same)} {'has' if len(same) == 1 else 'have'} the same policy as {names[0]} over "
                   "the horizon (any policy change falls after it): the differences are zero by construction, and "
                   "'precise' or '~0' say nothing about the policy", err=True)
    return loaded, names


def _partial_folder(out_dir: Path, precision: float | None, resume: bool) -> Path | None:
    """Where ``--precision`` keeps its runs between batches (``OUT.partial``); exit 2 for ``--resume`` without
    ``--precision``, or kept runs without ``--resume`` (they are not overwritten silently)."""
    if precision is None:
        if resume:
            fail("--resume continues an interrupted `compare --precision`: give --precision too")
        return None
    partial = out_dir.with_name(out_dir.name + ".partial")
    if (partial / "state.json").is_file() and not resume:
        fail(f"{partial} holds the runs of an interrupted comparison: add --resume to continue it, or remove the "
             "folder to start again")
    if resume and not (partial / "state.json").is_file():
        err_console.print(f"note: nothing to resume in {partial}; starting anew", markup=False, soft_wrap=True)
    return partial


def _run(loaded: list, names: list[str], replications: int, precision: float | None, max_replications: int,
         seed: int | None, metrics: list[str], window: str, workers: int = 1, partial: Path | None = None,
         resume: bool = False) -> tuple:
    """The comparison (in batches until precise with ``precision``): (comparison, status or None, batches or None);
    exit 2 naming the roster for a bad roster or a partial folder of another comparison."""
    from sim.analysis.batches import PartialError
    from sim.analysis.compare import run_comparison, run_comparison_until_precise

    try:
        if precision is not None:
            return _run_until_precise(loaded, names, replications, precision, max_replications, seed, metrics,
                                      window, workers, partial, resume, run_comparison_until_precise)
        with progress_bar(replications * len(loaded), f"{len(loaded)} scenarios x {replications} replications") as adv:
            done = [0]

            def step(k: int) -> None:
                adv(k - done[0])
                done[0] = k

            return (run_comparison(loaded, replications, base_seed=seed, names=names, progress=step, workers=workers),
                    None, None)
    except RosterError as e:
        fail(f"field 'roster': {e}")
    except PartialError as e:
        fail(str(e))


def _run_until_precise(loaded, names, replications, precision, max_replications, seed, metrics, window,  # noqa: ANN001
                       workers, partial, resume, runner) -> tuple:  # noqa: ANN001
    """The batches of ``--precision``, each followed by its report (targets still short, next batch, time left);
    on Ctrl-C or SIGTERM, one line saying where the runs are kept and how to continue."""
    from sim.analysis.provenance import current_command

    def say(report) -> None:  # noqa: ANN001 - a sim.analysis.batches.BatchReport
        for line in report.lines():
            err_console.print(line, markup=False, highlight=False, soft_wrap=True)

    try:
        return runner(loaded, replications, precision, max_replications, base_seed=seed, names=names, metrics=metrics,
                      window=window, workers=workers, partial=partial, resume=resume, report=say)
    except KeyboardInterrupt:
        import json

        command = current_command()
        try:
            done = json.loads((partial / "state.json").read_text(encoding="utf-8"))["done"]
        except (OSError, ValueError, KeyError):
            err_console.print("no batch had finished: nothing is kept", markup=False, soft_wrap=True)
            raise
        err_console.print(f"the runs of the finished batches ({done} replications per scenario) are kept in {partial}; "
                          f"continue with: {command if '--resume' in command else command + ' --resume'}",
                          markup=False, soft_wrap=True)
        raise


def _print_comparison(comp, names: list[str], metrics: list[str], window: str, status: dict | None,  # noqa: ANN001
                      history: list | None, precision: float | None, max_replications: int) -> None:
    """Print the comparison's table (values, differences, effects over time) and what its columns mean."""
    from sim.analysis.compare import compare_stats, comparison_effects, window_text

    reps = len(comp.seeds)
    stats = compare_stats(comp.table, metrics, window=window)
    effects = comparison_effects(comp, [m for m in metrics if m in comp.timeseries.columns])
    sc0 = comp.scenarios[0]
    _START[0] = sc0.start
    when = window_text(window, sc0.start, sc0.months)
    reached = None
    if status is not None:
        reached = {}
        for (m, n, _), v in status.items():
            ok, at = reached.get((m, n), (True, 0))
            reached[(m, n)] = (ok and v["reached"], max(at, v.get("reached_at") or 0))
    out_console = wide_console(170)
    out_console.print(stats_table(stats, comp.reference,
                                  f"{' vs '.join(names)}: values {when}, {reps} replication(s) with common "
                                  f"seeds (base {comp.base_seed}), {comp.wall_seconds:.1f} s", effects, reached))
    first = {n: effects.loc[effects["scenario"] == n, "from_month"].iloc[0] for n in names[1:]
             if (effects["scenario"] == n).any()}
    from sim.analysis.compare import first_policy_month

    same = {n for n, s in zip(comp.names[1:], comp.scenarios[1:], strict=True)
            if first_policy_month(comp.scenarios[0], s) is None}
    labelled = [f"{n} = {s.label}" for n, s in zip(comp.names, comp.scenarios, strict=True) if s.label]
    few = ([f"note: {reps} replication{'s' * (reps != 1)}: intervals from fewer than 5 replications are rough "
            "(a bootstrap over so few values cannot show the noise); use -r 10 or more, or --precision"]
           if reps < 5 else [])
    lines = few + ([f"scenarios: {'; '.join(labelled)}."] if labelled else []) + [
             "value: median across replications [the 90% spread of the replications' values: it does not narrow "
             "with more replications].",
             "diff.: mean paired difference (same seed) [its 90% bootstrap confidence interval (CI): it narrows with "
             "more replications]; ~0 marks a CI that includes 0 (no effect shown).",
             "mean diff. from policy change: the difference averaged from the first month the scenario's policy "
             "differs (" + ", ".join(f"{n}: {month_label(sc0.start, int(k))}" if n not in same else
                                     f"{n}: n/a, the same policy over the horizon: the whole run"
                                     for n, k in first.items())
             + ") to the horizon; peak: the largest mean difference in size [its CI], @ its month (YY-MM) and the "
             "90% interval of that month over bootstrap resamples. The peak is picked over many months, so its CI "
             "excludes 0 even for a policy that does nothing; read it for timing, not as a test. With 90% CIs about "
             "1 in 10 excludes 0 by chance when there is no effect."]
    if status is not None:
        ok = sum(v["reached"] for v in status.values())
        lines.append(f"precise: every mean difference of the row (at the window and from the policy change) has a CI "
                     f"half-width <= {precision:g} x max(|difference|, floor) ({ok} of {len(status)} targets reached "
                     f"after {reps} replications; batches {history}; at most {max_replications}; in brackets the "
                     f"replications at which the row first got there).")
    notes = metric_notes(stats)
    if window == "mean12" and sc0.months < 12:  # the metrics' own descriptions say 12 months
        notes = [n.replace("mean of the last 12 months", f"mean of all {sc0.months} months") for n in notes]
    out_console.print("\n".join([*lines, *notes]), highlight=False, markup=False)


def _compare_posterior(loaded, names, files, draws: int, replications: int, seed: int | None, ensemble_file: str,
                       workers: int, metrics, out: str | None, sets, months: int | None,
                       scheduler: str | None = None, overwrite: bool = False) -> None:
    """``aieco compare --posterior N`` (:func:`sim.analysis.posterior.run_posterior_comparison`): run, write the
    folder (published whole), print the effects."""
    from sim.analysis.posterior import (
        EnsembleError,
        load_ensemble,
        kept_paths,
        posterior_effects,
        refuse_drawn_overrides,
        run_posterior_comparison,
        thin_ensemble_warning,
    )

    try:
        ens = load_ensemble(ensemble_file)
        refuse_drawn_overrides(ens, sets)
        kept = kept_paths(loaded, ens)  # the scenario it was fitted on must load (a relative path from a moved file)
    except (EnsembleError, ScenarioError) as e:
        fail(str(e))
    for name, paths in zip(names, kept, strict=True):
        if paths:
            err_console.print(f"note: {name} sets {', '.join(paths)} itself: its runs keep "
                              f"{'that value' if len(paths) == 1 else 'those values'} in every draw (the draws set "
                              "the rest)", soft_wrap=True)
    if thin := thin_ensemble_warning(ens):
        err_console.print(f"[yellow]warning:[/] {thin}", markup=True, soft_wrap=True)
    out_dir = Path(out) if out else Path("results") / folder_name("compare_posterior_" + "_vs_".join(dict.fromkeys(names)))[:120]
    total = draws * replications * len(loaded)
    with staged_output(out_dir, overwrite=overwrite, kinds=("compare_posterior",)) as staging:
        try:
            with progress_bar(total, f"{len(loaded)} scenarios x {draws} draws x {replications} runs") as advance:
                done = [0]

                def step(k: int) -> None:
                    advance(k - done[0])
                    done[0] = k

                comp = run_posterior_comparison(loaded, ens, draws, replications, seed=seed, names=names,
                                                metrics=metrics, workers=workers, progress=step,
                                                scheduler=scheduler)
        except RosterError as e:
            fail(f"field 'roster': {e}")
        eff = posterior_effects(comp, metrics)
        _write_posterior(staging, comp, eff, ens, names, files, loaded, draws, replications,
                         {"sets": list(sets), "months_override": months, "workers": workers, "scheduler": scheduler,
                          "kept_by_scenario": dict(zip(names, kept, strict=True)),
                          "runs": total})
    _print_posterior(eff, comp, ens, names, loaded, draws, replications)
    err_console.print(f"wrote {out_dir}/: posterior_effects.csv, draws.csv, timeseries.parquet, manifest.json",
                      highlight=False)


def _write_posterior(staging: Path, comp, eff, ens, names, files, loaded, draws: int,  # noqa: ANN001
                     replications: int, extra: dict) -> None:
    """The posterior comparison's tables and manifest, into the staging folder."""
    from sim.analysis.provenance import base_manifest, write_json_atomic

    eff.to_csv(staging / "posterior_effects.csv", index=False, float_format="%.6g")
    comp.draws.to_csv(staging / "draws.csv", index=False, float_format="%.6g")
    comp.timeseries.to_parquet(staging / "timeseries.parquet", index=False)
    manifest = base_manifest("compare_posterior")
    manifest.update({
        "reference": names[0], "names": names,
        "scenarios": [{"name": n, "file": str(Path(f).resolve()), "scenario": s.resolved_dict()}
                      for n, f, s in zip(names, files, loaded, strict=True)],
        "ensemble": str(ens.source), "ensemble_theories": ens.theories, "ensemble_ess": ens.ess,
        "ensemble_provenance": ens.provenance,
        "draws": draws, "replications": replications, "base_seed": comp.base_seed,
        "seed_rule": "draw i, replication r: seed_for(base_seed, i, r) in every scenario; draws: "
                     "numpy.random.default_rng(base_seed).choice by weight",
        **extra, "wall_seconds": round(comp.wall_seconds, 2),
        "tables": ["posterior_effects.csv", "draws.csv", "timeseries.parquet"]})
    write_json_atomic(staging / "manifest.json", manifest)


def _print_posterior(eff, comp, ens, names, loaded, draws: int, replications: int) -> None:  # noqa: ANN001
    """The effects over the posterior: per metric, scenario and effect, the median and 90% interval over draws,
    the spread over runs, the share of draws with the median's sign and the month."""
    t = Table(title=f"{' vs '.join(names)}: effects over the posterior ({draws} draws from {Path(ens.source).name}, "
                    f"theories drawn: {', '.join(t for t in ens.theories if t in set(comp.draws['theory']))}, "
                    f"ESS {ens.ess:.0f}, x {replications} runs, common seeds; {comp.wall_seconds:.0f} s)",
              title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for h in ("metric / scenario / effect", "median [90% over draws]", "spread over runs [90%]", "same sign",
              "month"):
        t.add_column(h, justify="left" if h.startswith("metric") else "right")
    for k, (metric, g) in enumerate(eff.groupby("metric", sort=False)):
        if k:
            t.add_section()
        t.add_row(f"[bold]{escape(metric_label(metric))}[/] ({metric_unit(metric)})", "", "", "", "")
        for name, gs in g.groupby("scenario", sort=False):
            t.add_row(f"  {name}", "", "", "", "")
            for r in gs.itertuples():
                t.add_row(*_posterior_row(r, DIGITS.get(metric, 2), loaded[0].start))
    out_console = wide_console(150)
    out_console.print(t)
    out_console.print("median and interval: over posterior draws of each draw's mean effect (parameter "
                      "uncertainty); spread: over all runs (parameter and run-to-run); same sign: share of draws "
                      "whose effect has the median's sign.", highlight=False)


def _posterior_row(r, d: int, start: str) -> list[str]:  # noqa: ANN001 - a row of posterior_effects
    """One effect's cells: its name, the median [90% over draws], the spread over runs, the same-sign share, and
    the peak's month [interval] or the mean's first month."""
    month = ""
    if r.effect == "peak" and np.isfinite(r.month_median):
        month = f"{r.date} [{month_label(start, int(r.month_lo))}, {month_label(start, int(r.month_hi))}]"
    elif r.effect == "mean":
        month = f"from {month_label(start, int(r.from_month))}"
    share = f"{r.sign_share:.2f}" if np.isfinite(r.sign_share) else "n/a"
    return [f"    {r.effect}", _iv(r.median, r.lo, r.hi, r.n_draws, d, signed=True),
            _iv(r.median, r.spread_lo, r.spread_hi, r.runs, d, signed=True).split(" ", 1)[-1], share, month]



COMMANDS = [compare]
