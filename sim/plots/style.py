"""One style for every aieco figure: colourblind-safe colours, paper widths, captions, saving with provenance.

Colours are the Okabe-Ito palette (Okabe & Ito 2008, "Color Universal Design"), fixed per region and per
strategy so a region has the same colour in every figure. Strategies also differ by line style, so figures
stay readable in greyscale.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # headless by default; notebooks can switch backends before importing aieco
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

REGION_COLORS = {"US": "#0072B2", "CN": "#D55E00", "EU": "#009E73", "ROW": "#CC79A7"}
REGION_LABELS = {"US": "United States", "CN": "China", "EU": "Europe", "ROW": "Rest of world"}
STRATEGY_COLORS = {"open": "#E69F00", "closed": "#56B4E9"}
STRATEGY_STYLES = {"open": "-", "closed": "--"}
STRATEGY_HATCH = {"open": "", "closed": "///"}
NEUTRAL = "#444444"
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


def date_axis(ax) -> None:
    """Years on a time axis."""
    ax.xaxis.set_major_locator(mdates.YearLocator(2 if ax.figure.get_figwidth() < 5 else 1))
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


def caption(fig, text: str) -> None:
    """A source/caption line under the figure (small, grey)."""
    fig.text(0.0, -0.01, text, ha="left", va="top", fontsize=plt.rcParams["legend.fontsize"], color="#555555",
             wrap=True, transform=fig.transFigure)


def save(fig, out_stem: str | Path, formats: Iterable[str] = ("png", "pdf"), provenance: dict | None = None) -> list[Path]:
    """Save ``fig`` as ``out_stem.<fmt>`` for each format (PNG at 300 dpi) plus ``out_stem.json``, a sidecar
    with the provenance (command, results manifest hash, seeds, versions, git commit). Closes the figure.

    Raises ValueError for an unknown format. Returns the written paths."""
    out_stem = Path(out_stem)
    out_stem.parent.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt in formats:
        if fmt not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
        p = out_stem.with_suffix(f".{fmt}")
        fig.savefig(p, bbox_inches="tight", pad_inches=0.05, dpi=PNG_DPI if fmt == "png" else None)
        paths.append(p)
    if provenance is not None:
        side = out_stem.with_suffix(".json")
        side.write_text(json.dumps({"figure": out_stem.name, "files": [p.name for p in paths], **provenance},
                                   indent=2, default=str) + "\n")
        paths.append(side)
    plt.close(fig)
    return paths


def finite_or_nan(x: float) -> float:
    return float(x) if np.isfinite(x) else float("nan")
