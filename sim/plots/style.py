"""One style for every aieco figure: colourblind-safe colours, paper widths, captions, saving with provenance.

Colours are the Okabe-Ito palette (Okabe & Ito 2008, "Color Universal Design"), fixed per region and per
strategy so a region has the same colour in every figure. Regions and strategies also differ by line style
(closed models are hatched in areas), so figures stay readable in greyscale. Maps (heatmaps) use viridis,
whose lightness rises monotonically, so they read in greyscale too.

Sizes: ``figure(width)`` gives a 3.5 in (single column) or 7 in (full page) figure with fonts of 6-9 pt at
print size; ``save`` writes vector PDF/SVG and 300-dpi PNG plus a JSON provenance sidecar.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import matplotlib

if "ipykernel" not in sys.modules and not os.environ.get("MPLBACKEND"):
    matplotlib.use("Agg")  # headless for the CLI and scripts; Jupyter keeps its inline backend
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

REGION_COLORS = {"US": "#0072B2", "CN": "#D55E00", "EU": "#009E73", "ROW": "#CC79A7"}
REGION_LABELS = {"US": "United States", "CN": "China", "EU": "Europe", "ROW": "Rest of world"}
STRATEGY_COLORS = {"open": "#E69F00", "closed": "#56B4E9"}
STRATEGY_STYLES = {"open": "-", "closed": "--"}
STRATEGY_HATCH = {"open": "", "closed": "///"}
STRATEGY_LABELS = {"open": "Open-weight", "closed": "Closed"}
REGION_STYLES = {"US": "-", "CN": "--", "EU": "-.", "ROW": (0, (1, 1.2))}
"""Line style per region, so that region lines differ in greyscale as well as in colour."""
NEUTRAL = "#444444"
SEQUENTIAL_CMAP = "viridis"
"""Colour map of heatmaps: perceptually uniform, colourblind-safe, lightness monotonic (greyscale-safe)."""
POSITIVE, NEGATIVE = "#0072B2", "#D55E00"
"""Colours of positive and negative effects (tornado bars); negative bars are also hatched."""
WIDTHS_IN = {"single": 3.5, "double": 7.0}
"""Figure widths in inches: single journal column and full page width."""
FORMATS = ("pdf", "svg", "png")
PNG_DPI = 300
EPOCH_CITATION = "Epoch AI, 'Data on AI Models' (2026), CC BY 4.0"


def apply_style(width: str = "double") -> None:
    """Set matplotlib rcParams for the given width (``single`` or ``double``): font sizes readable at print size."""
    small = width == "single"
    plt.rcParams.update({
        "font.size": 7 if small else 8, "axes.titlesize": 7.5 if small else 9, "axes.labelsize": 7 if small else 8,
        "xtick.labelsize": 6.5 if small else 7.5, "ytick.labelsize": 6.5 if small else 7.5,
        "legend.fontsize": 6 if small else 7, "legend.frameon": False, "axes.spines.top": False,
        "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.25, "grid.linewidth": 0.5,
        "lines.linewidth": 1.2, "figure.dpi": 100, "savefig.dpi": PNG_DPI, "pdf.fonttype": 42, "svg.fonttype": "none",
        "font.family": "DejaVu Sans",
    })


def figure(width: str = "double", aspect: float = 0.55, nrows: int = 1, ncols: int = 1, **kw: Any):
    """A new figure of the given paper width (``single`` 3.5 in, ``double`` 7 in) and height/width ``aspect``.

    Returns (fig, axes) as ``plt.subplots``. Raises ValueError for an unknown width."""
    if width not in WIDTHS_IN:
        raise ValueError(f"width must be one of {', '.join(WIDTHS_IN)}, got {width!r}")
    apply_style(width)
    w = WIDTHS_IN[width]
    return plt.subplots(nrows, ncols, figsize=(w, w * aspect), layout="constrained", **kw)


def to_dates(labels: Iterable[str]) -> pd.DatetimeIndex:
    """``YYYY-MM`` labels to timestamps (first of the month)."""
    return pd.to_datetime(pd.Series(list(labels)), format="%Y-%m")


def date_axis(ax, span_years: float | None = None) -> None:
    """Years on a time axis, spaced so that the labels do not collide in the panel (about 0.32 in per label); the
    axis spans the data drawn so far exactly (no margin that would show a year the data do not reach, e.g. 2031
    for data ending 2030-12). Call it after drawing.

    span_years: the years shown (default: from the axis limits)."""
    x0, x1 = ax.dataLim.intervalx
    if np.isfinite(x0) and np.isfinite(x1) and x1 > x0:
        ax.set_xlim(x0, x1)
    if span_years is None:
        lo, hi = ax.get_xlim()
        span_years = max(1.0, (hi - lo) / 365.25)
    spec = ax.get_subplotspec()
    ncols = spec.get_gridspec().ncols if spec is not None else 1
    panel_in = 0.8 * ax.figure.get_figwidth() / ncols  # positions are final only at draw time
    if spec is not None and ax.figure.get_layout_engine() is None:
        panel_in = ax.get_position().width * ax.figure.get_figwidth()
    labels = max(panel_in / 0.32 - 1.0, 1.0)
    step = max(1, int(np.ceil(span_years / labels - 1e-9)))
    ax.xaxis.set_major_locator(mdates.YearLocator(step))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))


def band(ax, df: pd.DataFrame, col: str, *, color: str, label: str, ls: str = "-", x: str = "date",
         bands: tuple[float, ...] = (0.90, 0.50)) -> None:
    """Median line with central bands (default 90% and 50%) across replications.

    df holds one row per (replication, month) with columns ``x`` (YYYY-MM) and ``col``. With a single
    replication only the line is drawn."""
    g = df.groupby(x)[col]
    med = g.median()
    dates = to_dates(med.index)
    if df.get("replication") is not None and df["replication"].nunique() > 1:
        for i, b in enumerate(bands):
            lo, hi = g.quantile((1 - b) / 2), g.quantile(1 - (1 - b) / 2)
            ax.fill_between(dates, lo.to_numpy(), hi.to_numpy(), color=color, alpha=0.12 + 0.1 * i, lw=0)
    ax.plot(dates, med.to_numpy(), color=color, ls=ls, label=label)


def band_handles(color: str = "#888888", bands: tuple[float, ...] = (0.90, 0.50)) -> tuple[list, list[str]]:
    """Legend proxies (handles, labels) for the bands drawn by :func:`band` ("90% of replications" ...)."""
    from matplotlib.patches import Patch

    handles = [Patch(facecolor=color, alpha=0.12 + 0.1 * i + (0.12 if i else 0), lw=0)
               for i, _ in enumerate(bands)]
    return handles, [f"middle {b:.0%} of replications" for b in bands]


def caption(fig, text: str) -> None:
    """A source/caption line under the figure (small, grey), wrapped to the figure width (it lies below the
    figure's box; ``save`` crops to include it)."""
    import textwrap

    size = plt.rcParams["legend.fontsize"]
    chars = max(20, int(fig.get_figwidth() * 72 / (size * 0.53)))
    fig.text(0.0, -0.004 * 7 / fig.get_figheight(), textwrap.fill(" ".join(text.split()), chars), ha="left",
             va="top", fontsize=size, color="#555555", linespacing=1.3, transform=fig.transFigure)


def _palette_png(path: Path) -> None:
    """Rewrite a PNG with an adaptive 256-colour palette (no dithering): the same look for flat-coloured
    figures at about 40% of the size."""
    from PIL import Image

    with Image.open(path) as im:
        im.load()
        rgb = im.convert("RGB")
    rgb.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        path, optimize=True, dpi=(PNG_DPI, PNG_DPI))


def save(fig, out_stem: str | Path, formats: Iterable[str] = ("png", "pdf"), provenance: dict | None = None,
         compact_png: bool = True) -> list[Path]:
    """Save ``fig`` as ``out_stem.<fmt>`` for each format (PNG at 300 dpi; with ``compact_png`` as a 256-colour
    palette image) plus ``out_stem.json``, a sidecar with the provenance (command, results manifest hash,
    seeds, versions, git commit). Closes the figure.

    Raises ValueError for an unknown format. Returns the written paths."""
    out_stem = Path(out_stem)
    out_stem.parent.mkdir(parents=True, exist_ok=True)
    if fig.get_layout_engine() is not None and fig.legends:
        # Freeze the constrained layout, then pin figure legends to the figure box: bbox_inches="tight" would
        # otherwise anchor an "outside" legend to the cropped box, over the caption.
        fig.draw_without_rendering()
        fig.set_layout_engine("none")
        for leg in fig.legends:
            leg.set_bbox_to_anchor((0, 0, 1, 1), transform=fig.transFigure)
    paths = []
    for fmt in formats:
        if fmt not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
        p = out_stem.with_suffix(f".{fmt}")
        fig.savefig(p, bbox_inches="tight", pad_inches=0.05, dpi=PNG_DPI if fmt == "png" else None)
        if fmt == "png" and compact_png:
            _palette_png(p)
        paths.append(p)
    if provenance is not None:
        side = out_stem.with_suffix(".json")
        series = figure_series(fig)
        side.write_text(json.dumps({"figure": out_stem.name, "files": [p.name for p in paths], **provenance,
                                    **({"series": series} if series else {})}, indent=2, default=str) + "\n")
        paths.append(side)
    plt.close(fig)
    return paths


def figure_series(fig, min_points: int = 12) -> dict[str, dict[str, dict[str, float]]]:
    """The figure's own data, for checking sentences about it (tests/test_claims.py): for every line of at least
    ``min_points`` points on a time axis, its calendar-year means, keyed by the panel's title (whitespace
    normalised) and the line's label (``line <k>`` when unlabelled), e.g. ``{"China's lag behind the US":
    {"line 0": {"2022": 4.9, ...}}}``. Lines on other axes are left out."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for ax in fig.axes:
        title = " ".join(ax.get_title(loc="left").split()) or " ".join(ax.get_title().split())
        if not title:
            continue
        lines: dict[str, dict[str, float]] = {}
        for k, line in enumerate(ax.get_lines()):
            x, y = line.get_xdata(orig=True), np.asarray(line.get_ydata(orig=True), dtype=float)
            if len(y) < min_points:
                continue
            try:
                xa = np.asarray(x)
                if xa.dtype.kind in "fi":
                    if not isinstance(ax.xaxis.get_converter(), mdates.DateConverter | mdates.ConciseDateConverter
                                      | mdates._SwitchableDateConverter):
                        continue
                    years = pd.DatetimeIndex(mdates.num2date(xa)).year
                else:
                    years = pd.DatetimeIndex(pd.to_datetime(pd.Series(xa))).year
            except (TypeError, ValueError, AttributeError):
                continue
            by_year = pd.Series(y).groupby(np.asarray(years)).mean()
            label = line.get_label()
            key = label if label and not label.startswith("_") else f"line {k}"
            lines[key] = {str(int(yr)): round(float(v), 6) for yr, v in by_year.items() if np.isfinite(v)}
        if lines:
            out[title] = lines
    return out


def provenance(results_dir: str | Path, manifest: dict | None = None, **extra: Any) -> dict[str, Any]:
    """Sidecar fields of a figure drawn from a results folder: the command that drew it, versions, git
    commit, time, the results folder, the SHA-256 of its ``manifest.json`` and the seeds it records
    (``extra`` fields are added, and override)."""
    from sim.analysis.folders import published_path
    from sim.analysis.provenance import base_manifest, file_sha256

    results_dir = Path(results_dir)
    man_path = results_dir / "manifest.json"
    if manifest is None and man_path.is_file():
        manifest = json.loads(man_path.read_text())
    manifest = manifest or {}
    seeds: Any = manifest.get("seeds")
    if manifest.get("kind") == "sweep":  # a table of points x replications: the rule, not the list
        seeds = {"base_seed": manifest.get("base_seed"), "rule": manifest.get("seed_rule"),
                 "runs": manifest.get("total_runs")}
    now = base_manifest("figure")
    return {**{k: now[k] for k in ("command", "versions", "git", "created")},
            "results": str(published_path(results_dir)), "results_kind": manifest.get("kind"),
            "manifest_sha256": file_sha256(man_path) if man_path.is_file() else None,
            "results_command": manifest.get("command"), "results_git": manifest.get("git"),
            "seeds": seeds, **extra}


def metric_label(metric: str) -> tuple[str, str]:
    """(readable name, unit) of a summary metric, from the one table of labels (:data:`sim.model.metrics.METRIC_LABELS`,
    :func:`sim.model.metrics.metric_unit`), e.g. ``open_share_CN_mean12`` -> ("Open-weight share of Chinese labs,
    mean of last 12 months", "share of labs")."""
    from sim.model.metrics import metric_label as reader_label
    from sim.model.metrics import metric_unit

    return reader_label(metric), metric_unit(metric)


def short_metric_label(metric: str) -> str:
    """A column-header-sized name of a summary metric (``_mean12`` dropped: say it once elsewhere), e.g.
    ``noncn_on_cn_open_mean12`` -> "Non-CN devs on CN open"; unknown metrics: underscores become spaces."""
    from sim.model.metrics import metric_label as reader_label

    return reader_label(metric, short=True)


def finite_or_nan(x: float) -> float:
    return float(x) if np.isfinite(x) else float("nan")
