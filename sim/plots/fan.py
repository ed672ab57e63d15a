"""Fan charts: the median across replications with its middle 50% and 90% bands, one panel per metric.

:func:`fan` draws one fan on an axis; :func:`fig_fan` draws the headline metrics of a run (one scenario,
many replications) as small multiples, each with its unit on the y axis and dates on the x axis.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.model.metrics import HEADLINE_METRICS
from sim.plots.style import (
    NEUTRAL,
    REGION_COLORS,
    STRATEGY_COLORS,
    band,
    band_handles,
    caption,
    date_axis,
    figure,
    metric_label,
)

FAN_BANDS = (0.90, 0.50)
"""Central bands of a fan chart: 90% (light) and 50% (darker) of replications."""


def metric_color(metric: str) -> str:
    """The colour of a metric in fan charts: its region's colour, the open-weight colour for the open lag."""
    for r, c in REGION_COLORS.items():
        if metric.endswith(f"_{r}") or f"_{r}_" in metric:
            return c
    if metric.startswith("us_cn") or metric.startswith("noncn_on_cn"):
        return REGION_COLORS["CN"]
    if metric.startswith("open_closed"):
        return STRATEGY_COLORS["open"]
    return NEUTRAL


def fan(ax, ts: pd.DataFrame, col: str, *, color: str | None = None, label: str = "median",
        ls: str = "-") -> None:
    """Median of ``col`` across replications over time, with the middle 90% and 50% bands.

    ts: one row per replication and month, with columns ``date`` (YYYY-MM), ``replication`` and ``col``."""
    band(ax, ts, col, color=color or metric_color(col), label=label, ls=ls, bands=FAN_BANDS)


def _reps(ts: pd.DataFrame) -> int:
    return int(ts["replication"].nunique()) if "replication" in ts else 1


def fig_fan(ts: pd.DataFrame, name: str = "", width: str = "double",
            metrics: Sequence[str] = HEADLINE_METRICS):
    """Headline metrics over time as fan charts (median, 50% and 90% of replications), one panel per metric.

    ts: a run's ``timeseries.parquet`` (one row per replication and month). Returns the Figure."""
    metrics = [m for m in metrics if m in ts.columns]
    cols = 3 if width == "double" and len(metrics) > 1 else 2
    rows = int(np.ceil((len(metrics) + 1) / cols))  # one spare panel for the legend
    fig, axes = figure(width, (0.27 if width == "double" else 0.55) * rows, rows, cols)
    axes = np.atleast_1d(axes).ravel()
    for ax, m in zip(axes, metrics, strict=False):
        fan(ax, ts, m)
        title, unit = metric_label(m)
        ax.set_title(_wrap(title, 26 if width == "double" else 22), loc="left")
        if unit.startswith("USD") and np.nanmax(np.abs(ts[m].to_numpy(float)), initial=0.0) >= 1e9:
            from matplotlib.ticker import FuncFormatter

            ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _pos: f"{y / 1e9:g}"))
            unit = unit.replace("USD", "USD billion", 1)
        ax.set_ylabel(unit[:1].upper() + unit[1:])
        if m.startswith("open_share"):
            ax.set_ylim(-0.02, 1.02)
        elif unit.startswith("share"):
            ax.set_ylim(bottom=0)
        if "months" in m:
            ax.axhline(0, color=NEUTRAL, lw=0.5, zorder=0)
        date_axis(ax)
    for ax in axes[len(metrics):]:
        ax.axis("off")
    from matplotlib.lines import Line2D

    hs, _ = band_handles(NEUTRAL, FAN_BANDS)
    axes[len(metrics)].legend([Line2D([], [], color=NEUTRAL), *hs], ["median", "middle 90%", "middle 50%"],
                              loc="center", title="Across replications", alignment="left", borderaxespad=0.0)
    n = _reps(ts)
    caption(fig, f"aieco, scenario '{name}', {n} replication{'s' * (n > 1)}: median (line), middle 50% and 90% "
                 "(shaded) across replications, month by month.")
    return fig


def _wrap(text: str, n: int) -> str:
    import textwrap

    return textwrap.fill(text, n)
