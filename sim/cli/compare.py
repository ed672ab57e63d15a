"""``aieco compare``: run several scenarios with the same seeds and report paired differences."""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np
from rich import box
from rich.console import Console
from rich.table import Table

from sim.cli.common import console, err_console, fail, progress_bar, set_option
from sim.labs import RosterError
from sim.metrics import HEADLINE_METRICS, SUMMARY_METRICS
from sim.model import month_label
from sim.scenario import ScenarioError, load_scenario, with_horizon

DIGITS = {"open_closed_lag_months": 1, "us_cn_gap_months": 1, "noncn_on_cn_open": 3, "compute_share_CN": 3,
          "adopt_CN_open": 3}


def _iv(med: float, lo: float, hi: float, n: int, digits: int, signed: bool = False) -> str:
    if n == 0 or not np.isfinite(med):
        return "n/a"
    f = f"{{:{'+' if signed else ''}.{digits}f}}"
    if n == 1:
        return f.format(med)
    return f"{f.format(med)} [{f.format(lo)}, {f.format(hi)}]"


def stats_table(stats, reference: str, title: str) -> Table:
    """One rich table: per metric (a section) and scenario, the median [90% interval] across replications
    and the paired difference to the reference (median [90% interval] of per-seed differences)."""
    t = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    t.add_column("metric / scenario")
    t.add_column("median [90% interval]", justify="right")
    t.add_column(f"difference to {reference} [90%]", justify="right")
    t.add_column("P(diff>0)", justify="right")
    for k, (metric, g) in enumerate(stats.groupby("metric", sort=False)):
        unit, _ = SUMMARY_METRICS[g["column"].iloc[0]]
        d = DIGITS.get(metric, 2)
        if k:
            t.add_section()
        t.add_row(f"[bold]{metric}[/] ({unit})", "", "", "")
        for row in g.sort_values("scenario_index").itertuples():
            if row.scenario_index == 0:
                diff, p = "(reference)  ", ""
            else:
                diff = _iv(row.diff_median, row.diff_lo, row.diff_hi, row.diff_n, d, signed=True)
                diff += " *" if row.clear else "  "
                p = f"{row.p_up:.2f}" if np.isfinite(row.p_up) else "n/a"
            t.add_row(f"  {row.scenario}", _iv(row.median, row.lo, row.hi, row.n, d), diff, p)
    return t


def metric_notes(stats) -> list[str]:
    """One line per metric: its name, unit and meaning."""
    out = []
    for metric, g in stats.groupby("metric", sort=False):
        unit, desc = SUMMARY_METRICS[g["column"].iloc[0]]
        out.append(f"  {metric}: {desc} ({unit})")
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
              help="Metric values at the horizon, or averaged over the last 12 months (less noisy).")
@click.option("--also", "also", multiple=True, metavar="METRIC",
              help="Report this summary metric too (repeatable), e.g. --also compute_share_CN --also us_cn_gap_oom.")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Output folder (default: results/compare_<name1>_vs_<name2>...).")
@click.option("--format", "formats", default="png,pdf", show_default=True,
              help="Figure formats, comma-separated: png, pdf, svg.")
@click.option("--width", type=click.Choice(["single", "double", "both"]), default="double", show_default=True,
              help="Figure width: single column (3.5 in), full page (7 in), or both.")
@click.option("--no-figures", is_flag=True, help="Write tables and manifest only.")
@click.option("--posterior", "posterior", type=click.IntRange(min=1), default=None, metavar="N",
              help="Policy effects over the posterior: N parameter sets drawn from --ensemble, each run "
                   "--replications times in every scenario with common seeds (issue 16: N >= 50, R >= 10).")
@click.option("--ensemble", type=click.Path(dir_okay=False), default="scenarios/posterior.json", show_default=True,
              help="With --posterior: the posterior ensemble (aieco calibrate experiments/abc.toml).")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="With --posterior: processes running the (draw, scenario) cells.")
def compare(scenarios: tuple[str, ...], replications: int, seed: int | None, months: int | None,
            sets: tuple[str, ...], window: str, also: tuple[str, ...], out: str | None, formats: str, width: str,
            no_figures: bool, posterior: int | None, ensemble: str, workers: int) -> None:
    """Run SCENARIOS (TOML files; the first is the reference) with common random numbers and compare.

    \b
    Every scenario runs the same replications with the same seeds, so differences are paired per
    replication. --set applies to every scenario. Prints, per headline metric, each scenario's median
    and 90% interval across replications and its paired difference to the first scenario (median and
    90% interval of the per-seed differences; * marks an interval that excludes 0).
    \b
    Outputs in --out: compare.parquet (tidy: scenario, replication, seed, metric, value, diff),
    timeseries.parquet (all scenarios' time series), stats.csv (the printed numbers), manifest.json
    (every resolved scenario, seeds, versions, git commit, command) and figures/compare_*.png|pdf.
    \b
    --posterior N: every scenario runs N draws from --ensemble x --replications runs (draw i, run r: the same
    seed in every scenario); prints each effect (at the horizon, mean from the first policy change, peak with
    its month) as the median and 90% interval over draws, the 90% spread over all runs, and the share of
    draws with the median's sign; writes posterior_effects.csv, draws.csv, timeseries.parquet, manifest.json.
    """
    from sim.compare import run_comparison, write_comparison

    if len(scenarios) < 2:
        fail(f"compare needs at least two scenarios (the first is the reference), got {len(scenarios)}: "
             f"e.g. aieco compare {scenarios[0]} scenarios/no_export_controls.toml; for one scenario use aieco run")
    fmts = tuple(f.strip() for f in formats.split(",") if f.strip())
    bad = [f for f in fmts if f not in ("png", "pdf", "svg")]
    if bad:
        fail(f"--format: {bad[0]!r} is not one of png, pdf, svg")
    metrics = list(dict.fromkeys([*HEADLINE_METRICS, *also]))
    for m in also:
        if m not in SUMMARY_METRICS or m.endswith("_mean12"):
            allowed = ", ".join(k for k in SUMMARY_METRICS if not k.endswith("_mean12"))
            fail(f"--also: unknown metric {m!r}; allowed: {allowed}")
    loaded, errors = [], []
    for path in scenarios:  # report every bad file before exiting
        try:
            sc = load_scenario(path, list(sets))
            loaded.append(with_horizon(sc, months) if months else sc)
        except ScenarioError as e:
            errors.append(str(e))
    if errors:
        fail("\n".join(errors))
    from sim.compare import unique_names

    names = unique_names([s.name for s in loaded])
    if posterior is not None:
        _compare_posterior(loaded, names, scenarios, posterior, replications, seed, ensemble, workers, metrics,
                           out, sets, months)
        return
    out_dir = Path(out) if out else Path("results") / ("compare_" + "_vs_".join(dict.fromkeys(names)))[:120]
    total = replications * len(loaded)
    try:
        with progress_bar(total, f"{len(loaded)} scenarios x {replications} replications") as advance:
            done = [0]

            def step(k: int) -> None:
                advance(k - done[0])
                done[0] = k

            comp = run_comparison(loaded, replications, base_seed=seed, names=names, progress=step)
    except RosterError as e:
        fail(f"field 'roster': {e}")
    write_comparison(out_dir, comp, [str(Path(p).resolve()) for p in scenarios], window=window, metrics=metrics,
                     extra={"sets": list(sets), "months_override": months})
    from sim.compare import compare_stats

    stats = compare_stats(comp.table, metrics, window=window)
    sc0 = comp.scenarios[0]
    when = (f"at the horizon ({month_label(sc0.start, sc0.months - 1)})" if window == "horizon"
            else "averaged over the last 12 months")
    out_console = console if console.width >= 100 else Console(highlight=False, width=100)
    out_console.print(stats_table(stats, comp.reference,
                              f"{' vs '.join(names)}: values {when}, {replications} replication(s) with common "
                              f"seeds (base {comp.base_seed}), {comp.wall_seconds:.1f} s"))
    out_console.print("\n".join(["* the 90% interval of the per-seed differences excludes 0 (an effect larger than "
                             "the run-to-run noise).", *metric_notes(stats)]), highlight=False)
    figs = []
    if not no_figures:
        from sim.plots.compare import draw_compare_figures

        for w in (("single", "double") if width == "both" else (width,)):
            figs += [p for p in draw_compare_figures(out_dir, fmts, w) if p.suffix == ".png"]
    err_console.print(f"wrote {out_dir}/: compare.parquet, timeseries.parquet, stats.csv, manifest.json"
                      + "".join(f"\n  figure: {p}" for p in figs), soft_wrap=True, highlight=False)


def _compare_posterior(loaded, names, files, draws: int, replications: int, seed: int | None, ensemble_file: str,
                       workers: int, metrics, out: str | None, sets, months: int | None) -> None:
    """``aieco compare --posterior N`` (:func:`sim.posterior.run_posterior_comparison`)."""
    from sim.posterior import EnsembleError, load_ensemble, posterior_effects, run_posterior_comparison
    from sim.provenance import base_manifest, write_json_atomic

    try:
        ens = load_ensemble(ensemble_file)
    except EnsembleError as e:
        fail(str(e))
    out_dir = Path(out) if out else Path("results") / ("compare_posterior_" + "_vs_".join(dict.fromkeys(names)))[:120]
    total = draws * replications * len(loaded)
    try:
        with progress_bar(total, f"{len(loaded)} scenarios x {draws} draws x {replications} runs") as advance:
            done = [0]

            def step(k: int) -> None:
                advance(k - done[0])
                done[0] = k

            comp = run_posterior_comparison(loaded, ens, draws, replications, seed=seed, names=names,
                                            metrics=metrics, workers=workers, progress=step)
    except RosterError as e:
        fail(f"field 'roster': {e}")
    eff = posterior_effects(comp, metrics)
    out_dir.mkdir(parents=True, exist_ok=True)
    eff.to_csv(out_dir / "posterior_effects.csv", index=False, float_format="%.6g")
    comp.draws.to_csv(out_dir / "draws.csv", index=False, float_format="%.6g")
    comp.timeseries.to_parquet(out_dir / "timeseries.parquet", index=False)
    manifest = base_manifest("compare_posterior")
    manifest.update({
        "reference": names[0], "names": names,
        "scenarios": [{"name": n, "file": str(Path(f).resolve()), "scenario": s.resolved_dict()}
                      for n, f, s in zip(names, files, loaded, strict=True)],
        "ensemble": str(ens.source), "ensemble_ess": ens.ess, "ensemble_provenance": ens.provenance,
        "draws": draws, "replications": replications, "base_seed": comp.base_seed,
        "seed_rule": "draw i, replication r: seed_for(base_seed, i, r) in every scenario; draws: "
                     "numpy.random.default_rng(base_seed).choice by weight",
        "sets": list(sets), "months_override": months, "workers": workers,
        "wall_seconds": round(comp.wall_seconds, 2), "runs": total,
        "tables": ["posterior_effects.csv", "draws.csv", "timeseries.parquet"]})
    write_json_atomic(out_dir / "manifest.json", manifest)
    t = Table(title=f"{' vs '.join(names)}: effects over the posterior ({draws} draws from {Path(ens.source).name}, "
                    f"ESS {ens.ess:.0f}, x {replications} runs, common seeds; {comp.wall_seconds:.0f} s)",
              title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for h in ("metric / scenario / effect", "median [90% over draws]", "spread over runs [90%]", "same sign",
              "month"):
        t.add_column(h, justify="left" if h.startswith("metric") else "right")
    for k, (metric, g) in enumerate(eff.groupby("metric", sort=False)):
        d = DIGITS.get(metric, 2)
        if k:
            t.add_section()
        unit = SUMMARY_METRICS.get(metric, ("", ""))[0]
        t.add_row(f"[bold]{metric}[/] ({unit})", "", "", "", "")
        for name, gs in g.groupby("scenario", sort=False):
            t.add_row(f"  {name}", "", "", "", "")
            for r in gs.itertuples():
                month = ""
                if r.effect == "peak" and np.isfinite(r.month_median):
                    month = f"{r.date} [{month_label(loaded[0].start, int(r.month_lo))}, " \
                            f"{month_label(loaded[0].start, int(r.month_hi))}]"
                elif r.effect == "mean":
                    month = f"from {month_label(loaded[0].start, int(r.from_month))}"
                share = f"{r.sign_share:.2f}" if np.isfinite(r.sign_share) else "n/a"
                t.add_row(f"    {r.effect}", _iv(r.median, r.lo, r.hi, r.n_draws, d, signed=True),
                          _iv(r.median, r.spread_lo, r.spread_hi, r.runs, d, signed=True).split(" ", 1)[-1],
                          share, month)
    out_console = console if console.width >= 120 else Console(highlight=False, width=140)
    out_console.print(t)
    out_console.print("median and interval: over posterior draws of each draw's mean effect (parameter "
                      "uncertainty); spread: over all runs (parameter and run-to-run); same sign: share of draws "
                      "whose effect has the median's sign.", highlight=False)
    err_console.print(f"wrote {out_dir}/: posterior_effects.csv, draws.csv, timeseries.parquet, manifest.json",
                      highlight=False)


COMMANDS = [compare]
