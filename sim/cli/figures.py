"""``aieco figures``: draw every figure a results folder supports, in the shared style, with provenance.

Exit codes: 0 figures drawn; 2 bad input (missing, malformed or unsupported results folder; bad option).
"""

from __future__ import annotations

from pathlib import Path

import click

from sim.analysis.sweep.spec import plural
from sim.cli.common import console, err_console, fail, parse_formats, staged_output


@click.command()
@click.argument("results_dir", metavar="RESULTS_DIR", type=click.Path(file_okay=True, dir_okay=True))
@click.option("--format", "formats", default="png,pdf", show_default=True,
              help="Figure formats, comma-separated: png (300 dpi), pdf and svg (vector). Same default as aieco run.")
@click.option("--width", type=click.Choice(["single", "double", "both"]), default="double", show_default=True,
              help="Figure width: single column (3.5 in), full page (7 in), or both.")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Output folder. [default: RESULTS_DIR/figures]")
@click.option("--list", "list_only", is_flag=True,
              help="List the figures this kind of results supports; draw none.")
@click.option("--metric", "metrics", multiple=True, metavar="NAME",
              help="Draw this metric (repeatable): for a run, a fan chart of that time series (fan_NAME); for a "
                   "sweep, its figures for that summary metric. A name the results lack lists those they have.")
def figures(results_dir: str, formats: str, width: str, out: str | None, list_only: bool,
            metrics: tuple[str, ...]) -> None:
    """Draw every figure RESULTS_DIR supports: a run, a comparison, a sweep, a validation, a sensitivity
    analysis or a scenario discovery (told apart by the `kind` in its manifest.json).

    \b
    Each figure is written as <figure>_<width>.<format> with <figure>_<width>.json beside it: the command,
    the results folder and the SHA-256 of its manifest, seeds, package versions and git commit.
    \b
    Examples:
      aieco figures results/baseline
      aieco figures results/sweeps/export_controls_grid --width both --format png,pdf --out figures/grid
      aieco figures results/baseline --metric compute_share_CN --metric revenue_US
      aieco figures results/sweeps/export_controls_grid --metric adopt_CN_open_mean12
    """
    from sim.plots.catalogue import CATALOGUE, ResultsError, draw_figures, results_kind

    fmts = parse_formats(formats)
    try:
        kind = results_kind(results_dir)
    except ResultsError as e:
        fail(str(e))
    if list_only:
        console.print(f"{results_dir}: {kind} results; figures:", highlight=False)
        for f in CATALOGUE[kind]:
            when = "" if f.when == "always" else f"  [when: {f.when}]"
            console.print(f"  {f.stem}  ({f.function}){when}\n      {f.shows}", highlight=False, soft_wrap=True)
        return
    notes: list[str] = []
    where = Path(out) if out else Path(results_dir) / "figures"
    with staged_output(where, merge=True) as staging:  # drawn aside, moved in when all are drawn
        try:
            paths = [where / p.relative_to(staging) for p in draw_figures(results_dir, fmts, width, staging,
                                                                           note=notes.append,
                                                                           metrics=metrics)]
        except ResultsError as e:
            fail(str(e))
    for n in dict.fromkeys(notes):
        err_console.print(f"note: {n}", highlight=False, markup=False, soft_wrap=True)
    figs = [p for p in paths if p.suffix != ".json"]
    err_console.print(f"{kind} results: {plural(len(figs), 'figure file')} and {plural(len(paths) - len(figs), 'provenance sidecar')} "
                      f"in {where}/", highlight=False, markup=False, soft_wrap=True)
    for p in figs:
        click.echo(str(p))


COMMANDS = [figures]
