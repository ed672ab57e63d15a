"""Opening results folders in the dashboard: a sweep with factor and metric pickers (heatmap and slices,
line, tornado), and any other folder (run, comparison, validation, sensitivity) through the figure
catalogue (:func:`sim.plots.catalogue.draw_figures`), drawn as PNG into a temporary folder."""

from __future__ import annotations

import tempfile
from pathlib import Path

import solara
import solara.lab

from sim.dashboard.views import png
from sim.model.metrics import SUMMARY_METRICS
from sim.plots.catalogue import ResultsError, draw_figures, results_kind


def catalogue_pngs(folder: Path) -> dict[str, bytes]:
    """{figure file name: PNG} of every figure the folder supports. Raises ResultsError."""
    with tempfile.TemporaryDirectory(prefix="aieco-dashboard-") as tmp:
        paths = draw_figures(folder, ("png",), "double", out_dir=tmp)
        return {p.name: p.read_bytes() for p in sorted(paths) if p.suffix == ".png"}


def sweep_choices(results, manifest) -> tuple[list[str], list[str]]:
    """(numeric factors, metrics with values) of a sweep, for the pickers."""
    from sim.plots.sweep import numeric_factors

    factors = numeric_factors(results, list(manifest["design"]["factors"]))
    metrics = [m for m in SUMMARY_METRICS if m in results.columns and results[m].notna().any()]
    return factors, metrics


@solara.component
def SweepView(folder: Path):
    """Pickers for the factors and the metric, and the figures they give."""
    from sim.plots.sweep import SWEEP_METRICS, SweepFigureError, load_sweep, sweep_figure

    loaded = solara.use_memo(lambda: load_sweep(folder), dependencies=[str(folder)])
    results, manifest = loaded
    factors, metrics = sweep_choices(results, manifest)
    x = solara.use_reactive(factors[0] if factors else None)
    y = solara.use_reactive(factors[1] if len(factors) > 1 else None)
    default_metric = next((m for m in (*SWEEP_METRICS, *metrics) if m in metrics), None)
    metric = solara.use_reactive(default_metric)
    solara.Markdown(f"Sweep **{manifest.get('name', folder.name)}**: {manifest['design'].get('kind')} design, "
                    f"{len(results)} runs, factors {', '.join(manifest['design']['factors'])}.")
    if not factors or not metrics:
        solara.Warning("no numeric factor or no metric with values to draw")
        return
    with solara.Row():
        solara.Select("x factor", factors, x, classes=["sweep-x"])
        if len(factors) > 1:
            solara.Select("y factor", [f for f in factors if f != x.value], y, classes=["sweep-y"])
        solara.Select("metric", metrics, metric, classes=["sweep-metric"])
    if len(factors) > 1 and y.value == x.value:
        y.set(next(f for f in factors if f != x.value))
        return
    if len(factors) > 1:
        plan = [("fig_heatmap", {"x": x.value, "y": y.value, "metric": metric.value}),
                ("fig_slices", {"x": x.value, "y": y.value, "metric": metric.value})]
    else:
        plan = [("fig_line", {"x": x.value, "metric": metric.value})]
    for fn, kw in plan:
        try:
            solara.Image(png(sweep_figure(results, manifest, fn, kw)), width="min(100%, 900px)", classes=[f"sweep-{fn}"])
        except SweepFigureError as e:
            solara.Warning(str(e))


@solara.component
def CatalogueView(folder: Path):
    """Every catalogue figure of a run, comparison, validation or sensitivity folder."""
    task = solara.lab.use_task(lambda: catalogue_pngs(folder), dependencies=[str(folder)])
    if task.pending or task.not_called:
        solara.ProgressLinear(True)
        solara.Text("drawing the figures ...")
    elif task.error:
        solara.Error(str(task.exception))
    else:
        for name, data in (task.value or {}).items():
            solara.Markdown(f"*{name}*")
            solara.Image(data, width="min(100%, 1000px)")


@solara.component
def ResultsView(given: list[Path]):
    """A folder picker (the folders named on the command line, or any path typed in) and its figures."""
    typed = solara.use_reactive(str(given[0]) if given else "")
    opened = solara.use_reactive(str(given[0]) if given else "")
    with solara.Row():
        solara.InputText("results folder (a run, comparison, sweep, validation or sensitivity)", value=typed,
                         classes=["results-path"], style={"min-width": "40em"})
        solara.Button("Open", on_click=lambda: opened.set(typed.value), classes=["open-button"])
    if given:
        solara.Text("Given on the command line: " + ", ".join(str(p) for p in given))
    if not opened.value:
        solara.Info("Type the path of a results folder and press Open.")
        return
    folder = Path(opened.value).expanduser()
    try:
        kind = results_kind(folder)
    except ResultsError as e:
        solara.Error(str(e))
        return
    solara.Text(f"{folder}: {kind} results", classes=["results-kind"])
    if kind == "sweep":
        SweepView(folder)
    else:
        CatalogueView(folder)
