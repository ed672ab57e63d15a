"""The figure catalogue: for each kind of results folder, the figures it supports, and one function that
draws them all.

Every results folder written by aieco has a ``manifest.json`` whose ``kind`` says what it holds:

- ``run`` (``aieco run``): :mod:`sim.plots.run` and :mod:`sim.plots.fan` -- fan charts, open-weight shares,
  frontiers and lags, adoption, compute;
- ``compare`` (``aieco compare``): :mod:`sim.plots.compare` -- metrics over time, paired differences;
- ``sweep`` (``aieco sweep``): :mod:`sim.plots.sweep` -- heatmaps, slices, tornado charts;
- ``validation`` (``aieco validate``): :mod:`sim.analysis.validation` -- simulated bands with empirical points;
- ``sensitivity`` (``aieco sensitivity``): :mod:`sim.plots.sensitivity` -- Sobol'/Morris bar charts; and
  tornado charts from the analysis's sample;
- ``discovery`` (``aieco discover``): :mod:`sim.plots.discovery` -- PRIM/CART trade-off, box limits, feature
  scores;
- ``abc`` (``aieco calibrate experiments/abc.toml``): :mod:`sim.plots.posterior` -- ESS, acceptance and epsilon
  by generation; marginal posteriors against priors.

:func:`draw_figures` detects the kind and draws every figure the folder supports, delegating to the
per-kind draw functions; :data:`CATALOGUE` lists them (``aieco figures --list``, ``figures/README.md``).
Figures whose module or input is missing are skipped with a note, never with a crash.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.analysis.provenance import read_manifest_file

WIDTHS = ("single", "double")


class ResultsError(ValueError):
    """The folder is missing, is not an aieco results folder, or its tables cannot be read."""


@dataclass(frozen=True)
class FigureInfo:
    """One figure of the catalogue: file stem (``<stem>_<width>.<fmt>``), the function that draws it, what it
    shows, and when a results folder supports it."""

    stem: str
    function: str
    shows: str
    when: str = "always"


CATALOGUE: dict[str, tuple[FigureInfo, ...]] = {
    "run": (
        FigureInfo("headline_fan", "sim.plots.fan.fig_fan",
                   "Fan charts of the headline metrics over time: median, middle 50% and 90% of replications"),
        FigureInfo("open_share", "sim.plots.run.fig_open_share",
                   "Share of each region's labs with an open-weight current model, one panel per region"),
        FigureInfo("frontier", "sim.plots.run.fig_frontier",
                   "Best open vs best closed capability with the open lag at the horizon; lags over time "
                   "(open behind closed, China behind the US) against Epoch's 5-22 months"),
        FigureInfo("frontier_regions", "sim.plots.run.fig_regions", "Frontier capability of each region"),
        FigureInfo("adoption", "sim.plots.run.fig_adoption",
                   "Which models developers build on: stacked shares by lab region x open/closed"),
        FigureInfo("compute", "sim.plots.run.fig_compute", "Compute held by each region's labs (log scale)"),
    ),
    "compare": (
        FigureInfo("compare_timeseries", "sim.plots.compare.fig_compare_timeseries",
                   "Headline metrics over time, one line and 50% band per scenario"),
        FigureInfo("compare_differences", "sim.plots.compare.fig_compare_differences",
                   "Paired (common-random-number) difference of each scenario to the reference: mean with its "
                   "90% bootstrap CI and the 90% spread across replications", "two or more scenarios"),
        FigureInfo("compare_difference_timeseries", "sim.plots.compare.fig_compare_difference_timeseries",
                   "Paired difference over time: mean with its 90% bootstrap confidence band, first policy change "
                   "and peak marked", "two or more scenarios"),
    ),
    "sweep": (
        FigureInfo("sweep_heatmap_<metric>", "sim.plots.sweep.fig_heatmap",
                   "Metric over a 2-D grid: cell means, contours where cells differ by more than their noise, "
                   "baseline marked", "grid design with two numeric factors"),
        FigureInfo("sweep_slices_<metric>", "sim.plots.sweep.fig_slices",
                   "Metric along each factor at three levels of the other, mean and middle 50% of replications",
                   "grid design with two numeric factors"),
        FigureInfo("sweep_line_<metric>", "sim.plots.sweep.fig_line",
                   "Metric along the factor of a one-factor grid", "grid design with one numeric factor"),
        FigureInfo("sweep_tornado_<metric>", "sim.plots.sweep.fig_tornado",
                   "Tornado chart: partial rank correlation of each parameter with the metric, bootstrap 90% "
                   "intervals", "LHS, Sobol' or Morris design, or three or more numeric factors"),
    ),
    "validation": (
        FigureInfo("validation_p1", "sim.plots.validation.fig_p1",
                   "P1: simulated open-weight share of releases (band) vs Epoch's (points, 90% intervals)"),
        FigureInfo("validation_p2", "sim.plots.validation.fig_p2",
                   "P2: simulated open-closed lag vs Epoch's yearly lags", "the folder has timeseries.parquet"),
        FigureInfo("validation_p3", "sim.plots.validation.fig_p3",
                   "P3: frontier training compute and its growth vs Epoch's", "the folder has timeseries.parquet"),
        FigureInfo("validation_eci", "sim.plots.validation.fig_eci",
                   "P5-P7 on Epoch's Capabilities Index: country of the best open model, open-closed and US-China lags",
                   "the folder has timeseries.parquet and P5 rows, and the targets have eci_monthly.csv"),
    ),
    "sensitivity": (
        FigureInfo("(sensitivity figures)", "sim.plots.sensitivity.draw_sensitivity_figures",
                   "Sobol' S1/ST (or Morris mu*/sigma) bar charts with confidence intervals, drawn by the "
                   "sensitivity module", "sim.plots.sensitivity is installed"),
        FigureInfo("sweep_tornado_<metric>", "sim.plots.sweep.fig_tornado",
                   "Tornado chart (PRCC) from the analysis's own sample", "the folder keeps its sweep"),
    ),
    "discovery": (
        FigureInfo("discovery_tradeoff", "sim.plots.discovery.fig_tradeoff",
                   "Coverage vs density of every candidate box (PRIM's peeling trajectory or CART's leaves), by "
                   "number of restricted factors, with the density threshold and the chosen box"),
        FigureInfo("discovery_box_limits", "sim.plots.discovery.fig_box_limits",
                   "The chosen box's limits on each restricted factor within its sweep range, with quasi-p-values; "
                   "levers and uncertainties told apart"),
        FigureInfo("discovery_feature_scores", "sim.plots.discovery.fig_feature_scores",
                   "Extra-trees feature score of every factor for the condition, levers hatched"),
    ),
    "abc": (
        FigureInfo("abc_diagnostics", "sim.plots.posterior.fig_abc_diagnostics",
                   "ABC-SMC by generation: effective sample size, acceptance rate and epsilon"),
        FigureInfo("abc_marginals", "sim.plots.posterior.fig_marginals",
                   "Marginal posterior of each free parameter (weighted histogram, median and 90% interval) against "
                   "its uniform prior", "the folder has particles.csv"),
    ),
}
"""Results kind -> the figures it supports (``<metric>``: one figure per metric of
:data:`sim.plots.sweep.SWEEP_METRICS` that the results hold)."""

Notes = Callable[[str], None]


# ---------------------------------------------------------------------------------------------
# detection
# ---------------------------------------------------------------------------------------------

def read_manifest(results_dir: str | Path) -> dict[str, Any]:
    """The manifest of an aieco results folder. Raises ResultsError when the folder or manifest is missing,
    unreadable, or has no ``kind``."""
    d = Path(results_dir)
    if not d.exists():
        raise ResultsError(f"{d}: no such folder")
    if not d.is_dir():
        raise ResultsError(f"{d}: not a folder (give the results folder written by aieco run, compare, sweep, "
                           f"validate, sensitivity or discover)")
    f = d / "manifest.json"
    m = read_manifest_file(d, ResultsError, "an aieco results folder")
    if not isinstance(m.get("kind"), str):
        raise ResultsError(f"{f}: malformed manifest (no 'kind' field)")
    return m


def results_kind(results_dir: str | Path) -> str:
    """The kind of results a folder holds (``run``, ``compare``, ``sweep``, ``validation``, ``sensitivity``).
    Raises ResultsError for a folder that is not a results folder, or of a kind without figures."""
    kind = read_manifest(results_dir)["kind"]
    if kind not in CATALOGUE:
        raise ResultsError(f"{results_dir}: results of kind {kind!r} have no figures in the catalogue "
                           f"(figures exist for: {', '.join(CATALOGUE)})")
    return kind


# ---------------------------------------------------------------------------------------------
# per-kind drawing
# ---------------------------------------------------------------------------------------------

def _need(results_dir: Path, *names: str) -> None:
    for n in names:
        if not (results_dir / n).is_file():
            raise ResultsError(f"{results_dir}: incomplete results folder ({n} missing)")


def _draw_run(d: Path, formats, width, out, note: Notes, metrics: Sequence[str] | None = None) -> list[Path]:
    from sim.plots.run import draw_run_figures

    _need(d, "timeseries.parquet")
    try:
        return draw_run_figures(d, formats, width, out, metrics)
    except ValueError as e:
        raise ResultsError(f"{d}: {e}") from None


def _draw_compare(d: Path, formats, width, out, note: Notes) -> list[Path]:
    from sim.plots.compare import draw_compare_figures

    _need(d, "timeseries.parquet", "stats.csv")
    return draw_compare_figures(d, formats, width, out)


def _draw_sweep(d: Path, formats, width, out, note: Notes, metrics: Sequence[str] | None = None) -> list[Path]:
    from sim.plots.sweep import SweepFigureError, draw_sweep_figures

    try:
        paths = draw_sweep_figures(d, formats, width, out, metrics)
    except SweepFigureError as e:
        raise ResultsError(f"{d}: {e}") from None
    if not paths:
        note(f"{d}: the sweep holds no successful runs of a metric the sweep figures draw; nothing drawn")
    return paths


def _draw_validation(d: Path, formats, width, out, note: Notes) -> list[Path]:
    import pandas as pd

    from sim.plots.style import provenance, save

    try:
        from sim.analysis.validation import load_targets
        from sim.plots.validation import fig_p1, fig_p2, fig_p3
    except ImportError as e:
        note(f"validation figures skipped: sim.analysis.validation or sim.plots.validation cannot be imported ({e})")
        return []
    _need(d, "validation_replications.csv")
    m = read_manifest(d)
    stats = pd.read_csv(d / "validation_replications.csv")
    stats["region"] = stats["region"].fillna("").astype(str)
    targets_dir = m.get("targets") if isinstance(m.get("targets"), str) and Path(m["targets"]).is_dir() else None
    targets = load_targets(targets_dir, m.get("p1_definition", "incl_unreleased"))
    name = (m.get("scenario") or {}).get("name", "")
    prov = provenance(d, m, scenario=name)
    paths = save(fig_p1(stats, targets, name, width), out / f"validation_p1_{width}", formats, prov)
    ts_path = d / "timeseries.parquet"
    if ts_path.is_file():
        ts = pd.read_parquet(ts_path)
        paths += save(fig_p2(ts, targets, name, width), out / f"validation_p2_{width}", formats, prov)
        paths += save(fig_p3(ts, stats, targets, name, width), out / f"validation_p3_{width}", formats, prov)
        from sim.analysis.validation_eci import load_eci_monthly
        from sim.plots.validation import fig_eci

        monthly = load_eci_monthly(targets.source) if targets.source else None
        if monthly is not None and (stats["pattern"] == "P5").any():
            paths += save(fig_eci(ts, stats, monthly, name, width), out / f"validation_eci_{width}", formats, prov)
    else:
        note(f"{d}: validation_p2 and validation_p3 skipped: they need the monthly time series "
             f"(timeseries.parquet), which validation folders written by earlier versions of aieco lack; "
             f"rerun `aieco validate` to get them")
    return paths


def _draw_sensitivity(d: Path, formats, width, out, note: Notes) -> list[Path]:
    paths: list[Path] = []
    try:
        from sim.plots.sensitivity import draw_sensitivity_figures
    except ImportError as e:
        note(f"Sobol'/Morris figures skipped: sim.plots.sensitivity is not available ({e})")
    else:
        paths += draw_sensitivity_figures(d, formats, width, out)
    sweep_dir = d / (read_manifest(d).get("sweep") or "sweep")
    if (sweep_dir / "manifest.json").is_file():
        from sim.plots.sweep import draw_sweep_figures

        paths += draw_sweep_figures(sweep_dir, formats, width, out)
    return paths


def _draw_discovery(d: Path, formats, width, out, note: Notes) -> list[Path]:
    from sim.plots.discovery import draw_discovery_figures

    return draw_discovery_figures(d, formats, width, out)


def _draw_abc(d: Path, formats, width, out, note: Notes) -> list[Path]:
    import pandas as pd

    from sim.plots.posterior import fig_abc_diagnostics, fig_marginals
    from sim.plots.style import provenance, save

    _need(d, "generations.csv")
    m = read_manifest(d)
    prov = provenance(d, m)
    gens = pd.read_csv(d / "generations.csv")
    t_post, min_ess = m.get("posterior_generation"), int(m.get("min_ess", 100))
    paths = save(fig_abc_diagnostics(gens, int(m["population"]), width, t_post, min_ess),
                 out / f"abc_diagnostics_{width}", formats, prov)
    if (d / "particles.csv").is_file() and m.get("parameters"):
        paths += save(fig_marginals(pd.read_csv(d / "particles.csv"), m["parameters"], width, generation=t_post),
                      out / f"abc_marginals_{width}", formats, prov)
    else:
        note("abc_marginals skipped: no particles.csv or no parameters in the manifest")
    return paths


DRAWERS: dict[str, Callable[..., list[Path]]] = {"run": _draw_run, "compare": _draw_compare, "sweep": _draw_sweep,
                                                 "validation": _draw_validation, "sensitivity": _draw_sensitivity,
                                                 "discovery": _draw_discovery, "abc": _draw_abc}
"""Results kind -> function(results_dir, formats, width, out_dir, note) that draws its figures."""


def _read_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [FileNotFoundError, KeyError, json.JSONDecodeError, UnicodeDecodeError]
    try:
        import pyarrow

        errors.append(pyarrow.ArrowException)
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        pass
    import pandas as pd

    errors += [pd.errors.ParserError, pd.errors.EmptyDataError]
    from sim.analysis.sweep.store import StoreError

    errors.append(StoreError)
    from sim.analysis.discovery import DiscoveryError

    errors.append(DiscoveryError)
    try:
        from sim.analysis.validation import ValidationInputError

        errors.append(ValidationInputError)
    except ImportError:
        pass
    return tuple(errors)


def draw_figures(results_dir: str | Path, formats: Sequence[str] = ("pdf", "svg", "png"), width: str = "double",
                 out_dir: str | Path | None = None, *, note: Notes | None = None,
                 metrics: Sequence[str] | None = None) -> list[Path]:
    """Draw every figure the results folder supports into ``out_dir`` (default ``results_dir/figures``),
    each as ``<figure>_<width>.<format>`` with a JSON provenance sidecar.

    metrics: for a run, the time series to draw as fan charts (``fan_<metric>``) instead of the run figures; for
    a sweep, the summary metrics of its figures; a ResultsError for other kinds or a metric not recorded.

    width: ``single`` (3.5 in), ``double`` (7 in) or ``both``. note: called with a line for each figure
    skipped (module or input missing); default: ignore. Returns the written paths (figures and sidecars).
    Raises ResultsError when the folder is missing, not a results folder, of a kind without figures, or
    malformed (a table missing or unreadable); ValueError for an unknown width or format."""
    from sim.plots.style import FORMATS

    widths = WIDTHS if width == "both" else (width,)
    if any(w not in WIDTHS for w in widths):
        raise ValueError(f"width must be single, double or both, got {width!r}")
    formats = tuple(formats)
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {bad[0] if bad else 'nothing'!r}")
    d = Path(results_dir)
    kind = results_kind(d)
    out = Path(out_dir) if out_dir else d / "figures"
    say = note or (lambda _msg: None)
    if metrics and kind not in ("run", "sweep"):
        raise ResultsError(f"{d}: --metric applies to the figures of a run or a sweep, not of {kind} results")
    extra = (list(metrics),) if metrics else ()
    paths: list[Path] = []
    try:
        for w in widths:
            paths += DRAWERS[kind](d, formats, w, out, say, *extra)
    except ResultsError:
        raise
    except _read_errors() as e:
        raise ResultsError(f"{d}: malformed {kind} results ({type(e).__name__}: {e})") from None
    return paths


def catalogue_markdown() -> str:
    """The catalogue as a Markdown table (kind, figure, function, what it shows, when)."""
    lines = ["| results kind | figure | function | shows | drawn when |", "|---|---|---|---|---|"]
    for kind, figs in CATALOGUE.items():
        for f in figs:
            lines.append(f"| {kind} | `{f.stem}` | `{f.function}` | {f.shows} | {f.when} |")
    return "\n".join(lines) + "\n"
