"""``aieco discover``: scenario discovery (PRIM or CART, and feature scores) on a sweep's results.

Exit codes: 0 a box was found and written; 2 bad input (not a sweep folder, an invalid, unknown-metric,
always-true or always-false condition, an option out of range, an output folder holding other results),
with one error line naming what is allowed and nothing written.
"""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from sim.cli.common import (
    FiniteFloatRange,
    console,
    err_console,
    fail,
    overwrite_option,
    parse_formats,
    staged_output,
)


def _say(msg: str) -> None:
    err_console.print(msg, markup=False, highlight=False, soft_wrap=True)


def _print(res) -> None:
    b = res.box
    what = "box" if res.options.method == "prim" else "leaf"
    console.print(f"[bold]{escape(res.where)}[/]: {res.n_interest} of {res.n_cases} runs "
                  f"({res.n_interest / res.n_cases:.0%}) are of interest; {res.options.method.upper()} {what} "
                  f"{res.chosen}: coverage {b['coverage']:.2f}, density {b['density']:.2f}, mass {b['mass']:.2f}, "
                  f"{int(b['res_dim'])} restricted", soft_wrap=True, highlight=False)
    t = Table(title="the chosen box (limits of the restricted factors; quasi-p-values of each restricted side)",
              title_justify="left")
    for col, just in (("factor", "left"), ("kind", "left"), ("lower", "right"), ("upper", "right"),
                      ("sweep range", "right"), ("qp lower", "right"), ("qp upper", "right")):
        t.add_column(col, justify=just)
    for r in res.limits[res.limits["restricted"]].itertuples():
        if r.type == "categorical":
            t.add_row(escape(r.factor), r.role, escape("{" + r.levels.replace("|", ", ") + "}"), "", "", "", "")
            continue
        qp = [f"{q:.1g}" if q == q else "" for q in (r.qp_lower, r.qp_upper)]
        t.add_row(escape(r.factor), r.role, f"{r.lower:.4g}" if r.restricted_lower else "",
                  f"{r.upper:.4g}" if r.restricted_upper else "", f"{r.data_min:.3g}-{r.data_max:.3g}", *qp)
    console.print(t)
    free = list(res.limits.loc[~res.limits["restricted"], "factor"])
    if free:
        console.print(f"unrestricted: {escape(', '.join(free))}", soft_wrap=True, highlight=False)
    s = Table(title="feature scores (extra trees): which factors matter for the condition", title_justify="left")
    for col, just in (("factor", "left"), ("kind", "left"), ("score", "right")):
        s.add_column(col, justify=just)
    for r in res.scores.itertuples():
        s.add_row(escape(r.factor), r.role, f"{r.score:.3f}")
    console.print(s)
    console.print(f"in words: {escape(res.describe_box())}", soft_wrap=True, highlight=False)


@click.command()
@click.argument("results_dir", metavar="RESULTS_DIR", type=click.Path())
@click.option("--where", "where", required=True, metavar="CONDITION",
              help="The outcome of interest, on the sweep's metrics: comparisons joined by and/or/not, e.g. "
                   "\"noncn_on_cn_open_mean12 > 0.3\".")
@click.option("--method", type=click.Choice(["prim", "cart"]), default="prim", show_default=True,
              help="PRIM's peeling trajectory, or a CART tree's leaves.")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Output folder. [default: results/discovery/<sweep name>]")
@click.option("--inputs", type=click.Choice(["all", "uncertainties", "levers"]), default="all", show_default=True,
              help="The factors to find the box in: all, or only the spec's uncertainties or levers.")
@click.option("--threshold", type=FiniteFloatRange(0, 1, min_open=True), default=0.8, show_default=True,
              help="Density the chosen box must reach (the box of highest coverage that does is chosen).")
@click.option("--box", "box_id", type=click.IntRange(min=0), default=None,
              help="Report this box of the PRIM trajectory (or CART leaf) instead of the chosen one.")
@click.option("--qp-max", type=FiniteFloatRange(0, 1, min_open=True), default=0.05, show_default=True,
              help="PRIM: drop the chosen box's restrictions whose quasi-p-values all exceed this (1: keep all).")
@click.option("--peel-alpha", type=FiniteFloatRange(0.001, 0.5), default=0.05, show_default=True,
              help="PRIM: share of the box's runs peeled off per step.")
@click.option("--paste-alpha", type=FiniteFloatRange(0.001, 0.5), default=0.05, show_default=True,
              help="PRIM: share of the box's runs pasted back per step.")
@click.option("--mass-min", type=FiniteFloatRange(0.001, 0.5), default=0.05, show_default=True,
              help="Smallest box (PRIM) or leaf (CART), as a share of the runs.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Random state of the extra-trees scores and of CART's tie-breaking.")
@click.option("--trees", "n_trees", type=click.IntRange(min=1), default=100, show_default=True,
              help="Trees of the extra-trees feature scores.")
@click.option("--format", "formats", default="png,pdf", show_default=True, help="Figure formats (png, pdf, svg).")
@click.option("--no-figures", is_flag=True, help="Write the tables only.")
@overwrite_option
def discover(results_dir: str, where: str, method: str, out: str | None, inputs: str, threshold: float,
             box_id: int | None, qp_max: float, peel_alpha: float, paste_alpha: float, mass_min: float, seed: int, n_trees: int, formats: str,
             no_figures: bool, overwrite: bool = False) -> None:
    """Scenario discovery on a sweep: in which region of its factors (uncertainties and levers) does the
    outcome CONDITION happen?

    Each successful run of the sweep in RESULTS_DIR (an `aieco sweep` folder, or an `aieco sensitivity`
    folder) is a case; --where marks the cases of interest. PRIM (default) peels the factors' box towards
    the cases of interest and reports the trajectory (coverage vs density) and the chosen box with its limits
    and quasi-p-values; CART grows a tree whose leaves are boxes. Extra-trees feature scores rank every factor.
    Methods: EMA Workbench (ema_workbench.analysis).

    \b
    Writes to --out: candidates.csv (the trajectory or the leaves), limits.csv (the chosen box), scores.csv,
    cases.parquet, cart_splits.csv and cart_tree.txt (CART), figures/ and manifest.json.
    \b
    Examples:
      aieco discover results/sweeps/discovery_lhs --where "us_cn_gap_months_mean12 < 15"
      aieco discover results/sweeps/discovery_lhs --where "noncn_on_cn_open_mean12 > 0.3" --method cart
      aieco discover results/sweeps/discovery_lhs --where "open_share_US_mean12 < 0.2" --inputs levers
    """
    from sim.analysis.discovery import DiscoveryError, Options, check_out, sweep_folder, write_results
    from sim.analysis.discovery import discover as run_discovery

    fmts = parse_formats(formats)
    opts = Options(method=method, threshold=threshold, peel_alpha=peel_alpha, paste_alpha=paste_alpha,
                   mass_min=mass_min, box=box_id, qp_max=qp_max, inputs=inputs, seed=seed, n_trees=n_trees)
    try:
        sweep = sweep_folder(results_dir)
        from sim.scenario.schema import folder_name

        # named after the sweep's folder (e.g. discovery_lhs_samples=40), so a small try keeps out of the full one's
        dest = Path(out) if out else Path("results") / "discovery" / folder_name(sweep.name)
        check_out(dest)
        res = run_discovery(results_dir, where, opts)
    except DiscoveryError as e:
        fail(str(e))
    for n in res.notes:
        _say(f"note: {n}")
    _print(res)
    figs = []
    with staged_output(dest, overwrite=overwrite, kinds=("discovery",)) as staging:  # an earlier discovery (check_out) is replaced whole
        paths = [dest / p.name for p in write_results(res, staging)]
        if not no_figures:
            from sim.plots.discovery import draw_discovery_figures

            figs = [p for p in draw_discovery_figures(staging, fmts) if p.suffix != ".json"]
    if figs:
        _say(f"{len(figs)} figure files in {dest / 'figures'}")
    click.echo(f"tables: {', '.join(str(p) for p in paths if p.suffix in ('.csv', '.txt'))}")


COMMANDS = [discover]
