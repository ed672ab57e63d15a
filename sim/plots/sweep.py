"""Figures of a parameter sweep (``aieco sweep``), from its tidy results table (:func:`sim.analysis.sweep.load_results`).

* :func:`fig_heatmap` -- a metric over a 2-D grid (for example China's open-weight share over export-control
  strictness x leakage): the mean of each cell over replications, printed in the cell; contour lines of
  the cell means only at levels that the cells cross by more than their run-to-run noise
  (:func:`contour_levels`); colour scales that do not turn noise into contrast; the baseline marked.
* :func:`fig_slices` -- the same metric along each factor at a few levels of the other: mean line with the
  middle 50% of replications.
* :func:`fig_line` -- a metric along the single numeric factor of a 1-D sweep.
* :func:`fig_tornado` -- which uncertain parameters move a metric most, from a sampled design (LHS, Sobol',
  Morris) or a grid: partial rank correlation coefficients (PRCC) or standardised regression coefficients
  (SRC), with bootstrap 90% intervals.

:func:`draw_sweep_figures` draws every figure a sweep folder supports, each with a provenance sidecar.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.plots.style import (
    NEGATIVE,
    NEUTRAL,
    POSITIVE,
    SEQUENTIAL_CMAP,
    caption,
    figure,
    metric_label,
    provenance,
    save,
)
from sim.plots.sweep_inputs import (
    FACTOR_ALIASES,  # noqa: F401 - re-exported
    FACTOR_LABELS,  # noqa: F401 - re-exported
    SWEEP_METRICS,
    SweepFigureError,
    _factor_paths,
    _lower_first,
    _ok,
    _when,
    baseline_point,
    factor_label,
    horizon,
    numeric_factors,
    pick_metric,
)

SAMPLED_DESIGNS = ("lhs", "sobol", "morris")

NOISE_SES = 4.0
"""Heatmap colour scales of non-share metrics span at least +/- this many standard errors of a cell mean."""

MIN_CONTOUR_SPAN = 0.05
"""No contours when the cell means vary by less than this share of the colour scale (a flat surface)."""

CONTOUR_STEP_SES = 3.0
"""Contour levels are at least this many standard errors of a cell mean apart."""


LEVEL_STYLES = ("-", "--", (0, (1, 1.2)))
LEVEL_SHADES = (0.15, 0.5, 0.8)
"""Slices at up to three levels: line style and position in the viridis colour map (dark, middle, light)."""


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def _edges(levels: np.ndarray) -> np.ndarray:
    """Cell edges for sorted grid levels (midpoints; the outer cells are as wide as their neighbours)."""
    if levels.size == 1:
        return np.array([levels[0] - 0.5, levels[0] + 0.5])
    mid = (levels[1:] + levels[:-1]) / 2
    return np.concatenate([[levels[0] - (mid[0] - levels[0])], mid, [levels[-1] + (levels[-1] - mid[-1])]])


def _digits(span: float, se: float = float("nan"), largest: float = 1.0) -> int:
    """Decimals for cell values: enough to tell apart values over ``span`` (two significant digits of the
    span), no more than the standard error ``se`` of a value supports, and no more than three significant
    digits of the ``largest`` value."""
    span = abs(span) if np.isfinite(span) and span > 0 else 1.0
    d = int(np.clip(1 - np.floor(np.log10(span)), 0, 6))
    if np.isfinite(se) and se > 0:
        d = min(d, int(np.clip(-np.floor(np.log10(se)), 0, 6)))
    if np.isfinite(largest) and largest > 0:
        d = min(d, int(np.clip(2 - np.floor(np.log10(largest)), 0, 6)))
    return d


def _sig(v: float) -> str:
    """``v`` to two significant digits (a standard error)."""
    return f"{v:.2g}" if np.isfinite(v) else ""


# ---------------------------------------------------------------------------------------------
# 2-D heatmap and slices
# ---------------------------------------------------------------------------------------------

def fig_heatmap(results: pd.DataFrame, x: str, y: str, metric: str, *, baseline: dict[str, float] | None = None,
                width: str = "double", x_label: str | None = None, y_label: str | None = None, note: str = ""):
    """Heatmap of ``metric`` over the grid of factors ``x`` (horizontal) and ``y`` (vertical).

    Cells: mean over replications (printed). Lines: contours of the cell means at the levels of
    :func:`contour_levels` (none when the differences are within noise; the caption says why). Star: the
    baseline point (``baseline[x], baseline[y]``) when given. Returns the Figure."""
    df = _ok(results, [x, y, metric])
    if df.empty:
        raise SweepFigureError(f"no successful runs with {metric!r}")
    xs, ys = np.sort(df[x].unique()).astype(float), np.sort(df[y].unique()).astype(float)
    cell = df.groupby([y, x])[metric].agg(["mean", "std", "count"])
    mean = cell["mean"].unstack(x).reindex(index=ys, columns=xs)
    Z = mean.to_numpy(float)
    double = width == "double"
    fig, ax = figure(width, 0.62 if double else 0.95)

    lo, hi = (float(np.nanmin(Z)), float(np.nanmax(Z))) if np.isfinite(Z).any() else (0.0, 1.0)
    name, unit = metric_label(metric)
    n = int(cell["count"].median()) if len(cell) else 0
    se = float(np.nanmedian(cell["std"] / np.sqrt(cell["count"]))) if n > 1 else float("nan")
    vmin, vmax = _colour_range(lo, hi, unit, float(np.nanmean(Z)), se)
    mesh = ax.pcolormesh(_edges(xs), _edges(ys), Z, cmap=SEQUENTIAL_CMAP, shading="flat", lw=0, vmin=vmin,
                         vmax=vmax)
    cb = fig.colorbar(mesh, ax=ax, pad=0.02, fraction=0.05 if double else 0.07, aspect=25)
    cb.set_label(f"{unit.capitalize()} (mean of replications)" if unit else "Mean of replications")
    cb.outline.set_visible(False)
    span = hi - lo
    digits = _digits(span, se, float(np.nanmax(np.abs(Z))) if np.isfinite(Z).any() else 1.0)
    if xs.size * ys.size <= 100:
        _cell_values(ax, mesh, xs, ys, Z, (vmin, vmax), digits, double)
    fit = ""
    if xs.size >= 2 and ys.size >= 2 and np.isfinite(Z).all():
        fit = _contours(ax, xs, ys, Z, se, vmax - vmin, double)
    if baseline and x in baseline and y in baseline:
        _baseline_star(ax, baseline[x], baseline[y], double)
    _heatmap_axes(ax, xs, ys, x_label or factor_label(x), y_label or factor_label(y), name, double)
    caption(fig, f"aieco sweep: mean of {n} replication{'s' * (n > 1)} per cell.{_noise_note(se, unit)}{fit} "
                 f"{note}".strip())
    return fig


def _cell_values(ax, mesh, xs: np.ndarray, ys: np.ndarray, Z: np.ndarray, vrange: tuple[float, float], digits: int,
                 double: bool) -> None:
    """Print each cell's mean in it, white on dark cells, with a halo of the cell's colour."""
    import matplotlib.patheffects as pe

    vmin, vmax = vrange
    for i, yv in enumerate(ys):
        for j, xv in enumerate(xs):
            v = Z[i, j]
            dark = np.isfinite(v) and (v - vmin) / ((vmax - vmin) or 1) < 0.55
            face = mesh.cmap(mesh.norm(v)) if np.isfinite(v) else "white"
            ax.text(xv, yv, f"{v:.{digits}f}" if np.isfinite(v) else "", ha="center", va="center",
                    fontsize=6 if double else 5, color="white" if dark else "black", zorder=4,
                    path_effects=[pe.withStroke(linewidth=2.5, foreground=face)])  # hides lines beneath


def _contours(ax, xs: np.ndarray, ys: np.ndarray, Z: np.ndarray, se: float, colour_span: float, double: bool) -> str:
    """Draw labelled contours of the cell means at :func:`contour_levels`; returns the caption's sentence on them."""
    import matplotlib.patheffects as pe

    levels, why = contour_levels(Z, se, colour_span)
    if not levels:
        return f" No contour lines: {why}."
    cs = ax.contour(xs, ys, Z, levels=levels, colors="white", linewidths=0.9)
    for c in _contour_artists(cs):
        c.set_path_effects([pe.Stroke(linewidth=2.0, foreground="black", alpha=0.55), pe.Normal()])
    step = levels[1] - levels[0] if len(levels) > 1 else abs(levels[0]) or 1.0
    ldig = max(0, int(-np.floor(np.log10(step) + 1e-9)))
    texts = ax.clabel(cs, fontsize=6 if double else 5, fmt=lambda v: f"{v:.{ldig}f}",
                      inline_spacing=2, manual=_label_spots(cs, xs, ys))
    for t in texts:
        t.set_color("white")
        t.set_path_effects([pe.withStroke(linewidth=1.5, foreground="black")])
    return (" Lines: contours of the cell means (interpolated between cells), at levels at least "
            f"{CONTOUR_STEP_SES:g} standard errors apart that the cells clearly cross.")


def _baseline_star(ax, bx: float, by: float, double: bool) -> None:
    """Mark the baseline point with a labelled star."""
    import matplotlib.patheffects as pe

    ax.plot([bx], [by], marker="*", ms=11 if double else 8, color="white", mec="black",
            mew=0.8, ls="none", zorder=5)
    ax.annotate("baseline", xy=(bx, by), xytext=(0, 7 if double else 5),
                textcoords="offset points", ha="center", va="bottom", fontsize=6 if double else 5,
                color="white", zorder=6, path_effects=[pe.withStroke(linewidth=1.5, foreground="black")])


def _heatmap_axes(ax, xs: np.ndarray, ys: np.ndarray, x_label: str, y_label: str, title: str, double: bool) -> None:
    """Limits at the cells' edges, a tick per level, no grid or spines, the labels and the title."""
    ax.set_xlim(_edges(xs)[[0, -1]])
    ax.set_ylim(_edges(ys)[[0, -1]])
    ax.set_xticks(xs)
    ax.set_yticks(ys)
    ax.grid(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.tick_params(length=0)
    ax.set_xlabel(x_label)
    ax.set_ylabel(textwrap.fill(y_label, 28 if double else 24))
    ax.set_title(textwrap.fill(title, 60 if double else 44), loc="left")


def _noise_note(se: float, unit: str) -> str:
    """The caption's sentences on the replication noise of a cell mean (standard error ``se``)."""
    noise = f" Typical standard error of a cell mean: {_sig(se)} {unit}." if np.isfinite(se) else ""
    if se == 0:
        noise = " Most cells have the same value in every replication."
    if np.isfinite(se) and not unit.startswith("share"):
        noise += f" The colour scale spans at least \u00b1{NOISE_SES:g} standard errors."
    return noise


def _colour_range(lo: float, hi: float, unit: str, centre: float = float("nan"),
                  se: float = float("nan")) -> tuple[float, float]:
    """Colour limits. Shares: from zero (colours show proportions) to a round value above the maximum, or to
    1 when they exceed 0.5. Other metrics: the range of the cell means, widened to at least
    ``centre`` +/- NOISE_SES standard errors of a cell mean, so that differences within run-to-run noise
    take only the middle of the colour scale."""
    from matplotlib.ticker import MaxNLocator

    if not (np.isfinite(lo) and np.isfinite(hi)):
        return 0.0, 1.0
    if lo >= 0 and unit.startswith("share"):
        if hi > 0.5:
            return 0.0, 1.0
        ticks = MaxNLocator(5).tick_values(0.0, hi)
        return 0.0, float(ticks[ticks >= hi][0]) if (ticks >= hi).any() else hi
    if np.isfinite(centre) and np.isfinite(se) and se > 0:
        lo, hi = min(lo, centre - NOISE_SES * se), max(hi, centre + NOISE_SES * se)
    return lo, hi


def contour_levels(Z: np.ndarray, se: float, colour_span: float) -> tuple[list[float], str]:
    """Contour levels for a grid of cell means ``Z`` whose means have standard error ``se``: round levels
    inside the range of ``Z``, at least CONTOUR_STEP_SES standard errors apart, dropping a level when more than
    a quarter of the cells lie within 2 standard errors of it (its line would trace noise). None when the cells
    vary by less than MIN_CONTOUR_SPAN of the colour scale, or when ``se`` is NaN (one replication per cell:
    the noise is unknown). Returns (levels, reason when there are none)."""
    from matplotlib.ticker import MaxNLocator

    lo, hi = float(np.nanmin(Z)), float(np.nanmax(Z))
    if not hi > lo:
        return [], "every cell has the same value"
    if colour_span > 0 and hi - lo < MIN_CONTOUR_SPAN * colour_span:
        return [], (f"the cell means vary by only {_sig(hi - lo)}, under {MIN_CONTOUR_SPAN:.0%} of the colour "
                    "scale")
    if not np.isfinite(se):  # one replication per cell: how far apart cells must be to differ is unknown
        return [], "with one replication per cell the run-to-run noise is unknown (add replications for contours)"
    se = max(se, 0.0)  # 0: a deterministic model
    levels: list[float] = []
    for n in (4, 3, 2, 1):  # few lines: a map with many contours is hard to read
        ticks = [float(v) for v in MaxNLocator(n).tick_values(lo, hi) if lo < v < hi]
        step = ticks[1] - ticks[0] if len(ticks) > 1 else hi - lo
        if step >= CONTOUR_STEP_SES * se:
            levels = ticks
            break
    if se > 0:
        levels = [v for v in levels if np.mean(np.abs(Z - v) < 2 * se) <= 0.25]
    if not levels:
        return [], "the differences between cells are within run-to-run noise"
    return levels, ""


def _label_spots(cs, xs: np.ndarray, ys: np.ndarray) -> list[tuple[float, float]]:
    """One spot per contour level for its label: the point of the line farthest from the numbers printed at
    the cell centres (and away from the plot's edges), so that labels and cell values do not overlap."""
    dx = float(np.diff(xs).min()) if xs.size > 1 else 1.0
    dy = float(np.diff(ys).min()) if ys.size > 1 else 1.0
    spots = []
    for segs in cs.allsegs:
        best, score = None, -1.0
        for seg in segs:
            for px, py in seg:
                u, v = (px - xs[0]) / ((xs[-1] - xs[0]) or 1), (py - ys[0]) / ((ys[-1] - ys[0]) or 1)
                if not (0.04 <= u <= 0.96 and 0.04 <= v <= 0.96):
                    continue
                du = float(np.min(np.abs(px - xs))) / dx  # 0 at a cell centre, 0.5 on its edge
                dv = float(np.min(np.abs(py - ys))) / dy
                sc = max(du / 0.45, dv / 0.25)
                if sc > score:
                    best, score = (float(px), float(py)), sc
        if best is not None:
            spots.append(best)
    return spots


def _contour_artists(cs) -> list:
    return [cs] if not hasattr(cs, "collections") or not cs.collections else list(cs.collections)


def _slice_levels(levels: np.ndarray, baseline: float | None = None) -> list[float]:
    """Up to three levels to slice at: lowest, the one nearest the baseline (else the middle), highest."""
    levels = np.sort(levels)
    if levels.size <= 3:
        return [float(v) for v in levels]
    mid = levels[np.argmin(np.abs(levels - baseline))] if baseline is not None else levels[levels.size // 2]
    out = [float(levels[0]), float(mid), float(levels[-1])]
    return sorted(set(out)) if len(set(out)) == 3 else [float(levels[0]), float(levels[levels.size // 2]),
                                                         float(levels[-1])]


def _slice_panel(ax, df: pd.DataFrame, along: str, at: str, metric: str, at_levels: list[float],
                 at_label: str, baseline: dict[str, float] | None) -> None:
    import matplotlib as mpl

    cmap = mpl.colormaps[SEQUENTIAL_CMAP]
    for k, lev in enumerate(at_levels):
        sub = df[np.isclose(df[at].astype(float), lev)]
        g = sub.groupby(along)[metric]
        xs = np.array(sorted(g.groups), dtype=float)
        color = cmap(LEVEL_SHADES[k % 3] if len(at_levels) > 1 else 0.15)
        if sub["replication"].nunique() > 1:
            ax.fill_between(xs, g.quantile(0.25).to_numpy(), g.quantile(0.75).to_numpy(), color=color, alpha=0.16,
                            lw=0)
        ax.plot(xs, g.mean().to_numpy(), color=color, ls=LEVEL_STYLES[k % 3], marker="o", ms=2.5,
                label=f"{lev:g}")
    if baseline and along in baseline:
        ax.axvline(baseline[along], color=NEUTRAL, lw=0.7, ls=(0, (1, 1.5)), label="baseline")
    # above the panel, in one row: never over the data
    ax.legend(title=at_label, loc="lower left", bbox_to_anchor=(0.0, 1.01), ncols=len(at_levels) + 1,
              alignment="left", handlelength=2.0, columnspacing=1.0, borderaxespad=0.0)


def fig_slices(results: pd.DataFrame, x: str, y: str, metric: str, *, baseline: dict[str, float] | None = None,
               width: str = "double", x_label: str | None = None, y_label: str | None = None, note: str = ""):
    """``metric`` along ``x`` at up to three levels of ``y`` (left or top panel) and along ``y`` at up to three
    levels of ``x`` (right or bottom): mean over replications with the middle 50% of replications.
    Returns the Figure."""
    df = _ok(results, [x, y, metric])
    if df.empty:
        raise SweepFigureError(f"no successful runs with {metric!r}")
    double = width == "double"
    fig, (a1, a2) = figure(width, 0.42 if double else 1.3, 1 if double else 2, 2 if double else 1, sharey=True)
    xl, yl = x_label or factor_label(x), y_label or factor_label(y)
    b = baseline or {}
    _slice_panel(a1, df, x, y, metric, _slice_levels(df[y].unique(), b.get(y)), yl, baseline)
    _slice_panel(a2, df, y, x, metric, _slice_levels(df[x].unique(), b.get(x)), xl, baseline)
    name, unit = metric_label(metric)
    a1.set_xlabel(xl)
    a2.set_xlabel(yl)
    a1.set_ylabel(unit.capitalize())
    if not double:
        a2.set_ylabel(unit.capitalize())
        a2.tick_params(labelleft=True)
    if unit.startswith("share"):
        lo = min(0.0, float(df[metric].min()))
        a1.set_ylim(bottom=lo)
    fig.suptitle(textwrap.fill(name, 70 if double else 48), x=0.0, ha="left",
                 fontsize=a1.title.get_fontsize())
    n = int(df.groupby([x, y]).size().median())
    caption(fig, f"aieco sweep: lines are the mean of {n} replication{'s' * (n > 1)} at each grid point; "
                 f"shading, the middle 50% of replications. {note}".strip())
    return fig


def fig_line(results: pd.DataFrame, x: str, metric: str, *, baseline: dict[str, float] | None = None,
             width: str = "double", x_label: str | None = None, note: str = ""):
    """``metric`` along the one numeric factor ``x`` of a sweep: mean and middle 50% of replications."""
    df = _ok(results, [x, metric]).assign(_all=0.0)
    if df.empty:
        raise SweepFigureError(f"no successful runs with {metric!r}")
    fig, ax = figure(width, 0.5 if width == "double" else 0.75)
    _slice_panel(ax, df, x, "_all", metric, [0.0], "", baseline)
    ax.get_legend().remove()
    if baseline and x in baseline:
        ax.legend(handles=[ax.get_lines()[-1]], loc="best")
    name, unit = metric_label(metric)
    ax.set_xlabel(x_label or factor_label(x))
    ax.set_ylabel(unit.capitalize())
    ax.set_title(textwrap.fill(name, 60 if width == "double" else 44), loc="left")
    n = int(df.groupby(x).size().median())
    caption(fig, f"aieco sweep: mean of {n} replication{'s' * (n > 1)} per level; shading, the middle 50% of "
                 f"replications. {note}".strip())
    return fig


# ---------------------------------------------------------------------------------------------
# tornado: PRCC / SRC
# ---------------------------------------------------------------------------------------------

def _prcc(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Partial rank correlation of each column of X with y, controlling for the other columns."""
    from scipy.stats import rankdata

    R = np.column_stack([rankdata(X[:, j]) for j in range(X.shape[1])] + [rankdata(y)])
    C = np.corrcoef(R, rowvar=False)
    P = np.linalg.pinv(C)
    k = X.shape[1]
    return -P[:k, k] / np.sqrt(np.abs(P[np.arange(k), np.arange(k)] * P[k, k]))


def _src(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Standardised regression coefficients of y on the columns of X."""
    Xs = (X - X.mean(0)) / np.where(X.std(0) > 0, X.std(0), 1)
    ys = (y - y.mean()) / (y.std() or 1)
    coef, *_ = np.linalg.lstsq(np.column_stack([np.ones(len(ys)), Xs]), ys, rcond=None)
    return coef[1:]


def sensitivity_indices(results: pd.DataFrame, factors: Sequence[str], metric: str, method: str = "prcc",
                        n_boot: int = 300, seed: int = 0) -> tuple[pd.DataFrame, float]:
    """PRCC (``method="prcc"``) or SRC (``"src"``) of ``metric`` on each numeric factor, over the successful
    runs, with bootstrap 90% intervals.

    Returns (table with columns factor, value, lo, hi, sorted by |value| descending; R^2 of the linear
    regression of the metric on the factors, on ranks for PRCC). Raises SweepFigureError with too few runs."""
    if method not in ("prcc", "src"):
        raise ValueError(f"method must be 'prcc' or 'src', got {method!r}")
    factors = numeric_factors(results, factors)
    df = _ok(results, [*factors, metric])
    if len(factors) < 1 or len(df) < len(factors) + 3:
        raise SweepFigureError(f"{len(df)} successful runs with {len(factors)} numeric factors: too few for "
                               f"{method.upper()}")
    X, y = df[factors].to_numpy(float), df[metric].to_numpy(float)
    fn = _prcc if method == "prcc" else _src
    value = fn(X, y)
    rng = np.random.default_rng(seed)
    boots = np.array([fn(X[i], y[i]) for i in (rng.integers(0, len(y), len(y)) for _ in range(n_boot))])
    lo, hi = np.nanquantile(boots, [0.05, 0.95], axis=0)
    from scipy.stats import rankdata

    A, b = (np.column_stack([rankdata(c) for c in X.T]), rankdata(y)) if method == "prcc" else (X, y)
    A1 = np.column_stack([np.ones(len(b)), A])
    coef, *_ = np.linalg.lstsq(A1, b, rcond=None)
    r2 = 1 - (b - A1 @ coef).var() / b.var() if b.var() > 0 else float("nan")
    table = pd.DataFrame({"factor": factors, "value": value, "lo": lo, "hi": hi})
    table = table.reindex(table["value"].abs().sort_values(ascending=False).index).reset_index(drop=True)
    return table, float(r2)


def fig_tornado(results: pd.DataFrame, factors: Sequence[str], metric: str, *, method: str = "prcc",
                labels: dict[str, str] | None = None, width: str = "double", max_factors: int = 16,
                note: str = ""):
    """Tornado chart: each factor's PRCC or SRC with ``metric`` as a horizontal bar (largest on top) with its
    bootstrap 90% interval. Positive bars blue, negative bars vermillion and hatched. Returns the Figure."""
    table, r2 = sensitivity_indices(results, factors, metric, method)
    table = table.head(max_factors)
    k = len(table)
    double = width == "double"
    fig, ax = figure(width, (0.12 + 0.035 * k) if double else (0.25 + 0.075 * k))
    yy = np.arange(k)[::-1]
    for yi, r in zip(yy, table.itertuples(index=False), strict=True):
        pos = r.value >= 0
        ax.barh(yi, r.value, height=0.7, color=POSITIVE if pos else NEGATIVE, alpha=0.85,
                hatch="" if pos else "////", edgecolor="white", lw=0)
        ax.plot([r.lo, r.hi], [yi, yi], color=NEUTRAL, lw=0.8, solid_capstyle="butt")
    labels = labels or {}
    wrap = 40 if double else 24
    ax.set_yticks(yy, [textwrap.fill(labels.get(f, factor_label(f, unit=False)), wrap) for f in table["factor"]])
    ax.axvline(0, color=NEUTRAL, lw=0.7)
    ax.set_xlim(-1.05, 1.05)
    ax.set_ylim(-0.6, k - 0.4)
    ax.grid(axis="y", visible=False)
    ax.tick_params(axis="y", length=0)
    what = "Partial rank correlation (PRCC)" if method == "prcc" else "Standardised regression coefficient (SRC)"
    ax.set_xlabel(f"{what} with the metric" if double else f"{method.upper()} with the metric")
    name, _ = metric_label(metric)
    fig.suptitle(textwrap.fill(f"What moves it: {name}", 80 if double else 50), x=0.0, ha="left",
                 fontsize=ax.title.get_fontsize())
    from matplotlib.patches import Patch

    fig.legend([Patch(color=POSITIVE, alpha=0.85), Patch(facecolor=NEGATIVE, alpha=0.85, hatch="////",
                                                          edgecolor="white", lw=0)],
              ["raises the metric", "lowers the metric"], loc="outside lower center", ncols=2)
    n = int(_ok(results, [metric])["status"].size) if "status" in results else len(results)
    fit = "rank regression" if method == "prcc" else "linear regression"
    caption(fig, f"aieco sweep: {n} runs. Bars: {method.upper()} of each parameter with the metric, controlling "
                 f"for the others; whiskers: bootstrap 90% intervals. R\u00b2 of the {fit} on all parameters: "
                 f"{r2:.2f} (the share of the metric's variation these monotone effects explain). {note}".strip())
    return fig


# ---------------------------------------------------------------------------------------------
# drawing a sweep folder
# ---------------------------------------------------------------------------------------------

def _load(results_dir: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    from sim.analysis.sweep.store import StoreError, load_results, read_manifest

    try:
        manifest = read_manifest(results_dir)
        results = load_results(results_dir, include_traceback=False)
    except StoreError as e:
        raise FileNotFoundError(str(e)) from None
    return results, manifest


def sweep_plan(results: pd.DataFrame, manifest: dict[str, Any],
               metrics: Sequence[str] | None = None) -> list[tuple[str, str, dict[str, Any]]]:
    """The figures a sweep supports: (figure stem, function name, arguments) for each, without drawing."""
    factors = list(manifest["design"]["factors"])
    num = numeric_factors(results, factors)
    design = manifest["design"].get("kind", "")
    mets = []
    for m in metrics or SWEEP_METRICS:
        try:
            mets.append(pick_metric(results, m))
        except SweepFigureError:
            continue
    plan: list[tuple[str, str, dict[str, Any]]] = []
    ok = results[results["status"] == "ok"] if "status" in results else results
    if ok.empty:
        return plan
    for m in mets:
        short = m.removesuffix("_mean12")
        if design == "grid" and len(num) >= 2:
            x, y = num[0], num[1]
            plan.append((f"heatmap_{short}", "fig_heatmap", {"x": x, "y": y, "metric": m}))
            plan.append((f"slices_{short}", "fig_slices", {"x": x, "y": y, "metric": m}))
        elif design == "grid" and len(num) == 1:
            plan.append((f"line_{short}", "fig_line", {"x": num[0], "metric": m}))
        if (design in SAMPLED_DESIGNS or len(num) >= 3) and len(ok) >= len(num) + 3:
            plan.append((f"tornado_{short}", "fig_tornado", {"factors": num, "metric": m}))
    return plan


def sweep_figure(results: pd.DataFrame, manifest: dict[str, Any], fn_name: str, kw: dict[str, Any],
                 width: str = "double"):
    """One sweep figure: ``fn_name`` (``fig_heatmap``, ``fig_slices``, ``fig_line`` or ``fig_tornado``) with
    the arguments ``kw`` of :func:`sweep_plan` (factors and metric), labelled and captioned from the
    sweep's manifest (factor units, horizon, baseline point). Returns the Figure; raises SweepFigureError
    when no run has the metric, ValueError for an unknown figure function."""
    paths = _factor_paths(manifest)
    factors = list(manifest["design"]["factors"])
    base = baseline_point(manifest, factors)
    labels = {f: factor_label(f, paths.get(f)) for f in factors}
    name = manifest.get("name", "")
    base_label = (manifest.get("bases") or [{}])[0].get("label", "baseline")
    base_note = ""
    if base:
        vals = "; ".join(f"{_lower_first(factor_label(f, paths.get(f), unit=False))} = {v:g}"
                         for f, v in base.items())
        base_note = f" Baseline: scenario '{base_label}' at the horizon ({vals})."
    note = f"Sweep '{name}'." + _when(kw["metric"], horizon(manifest))
    if fn_name == "fig_heatmap":
        return fig_heatmap(results, kw["x"], kw["y"], kw["metric"], baseline=base, width=width,
                           x_label=labels[kw["x"]], y_label=labels[kw["y"]], note=note + base_note)
    if fn_name == "fig_slices":
        return fig_slices(results, kw["x"], kw["y"], kw["metric"], baseline=base, width=width,
                          x_label=labels[kw["x"]], y_label=labels[kw["y"]], note=note + base_note)
    if fn_name == "fig_line":
        return fig_line(results, kw["x"], kw["metric"], baseline=base, width=width, x_label=labels[kw["x"]],
                        note=note + base_note)
    if fn_name == "fig_tornado":
        return fig_tornado(results, kw["factors"], kw["metric"], width=width,
                           labels={f: factor_label(f, paths.get(f), unit=False) for f in factors}, note=note)
    raise ValueError(f"unknown sweep figure {fn_name!r}")


def load_sweep(results_dir: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """(tidy results, manifest) of a sweep folder. Raises FileNotFoundError when it is not one."""
    return _load(Path(results_dir))


def draw_sweep_figures(results_dir: str | Path, formats: tuple[str, ...] = ("png", "pdf"), width: str = "double",
                       out_dir: str | Path | None = None, metrics: Sequence[str] | None = None) -> list[Path]:
    """Draw every figure a sweep folder supports (:func:`sweep_plan`) into ``out_dir`` (default
    ``results_dir/figures``), named ``sweep_<figure>_<width>``, each with a provenance sidecar.

    ``metrics``: the summary metrics to draw (default :data:`SWEEP_METRICS`, those recorded); a metric asked for
    that the sweep did not record raises SweepFigureError naming the recorded ones.

    Raises FileNotFoundError when the folder is not a sweep results folder."""
    results_dir = Path(results_dir)
    results, manifest = _load(results_dir)
    for m in metrics or ():
        try:
            pick_metric(results, m)
        except SweepFigureError:
            recorded = [c for c in manifest.get("metrics", []) if c in results]
            raise SweepFigureError(f"--metric {m!r} is not in the sweep results; recorded: "
                                   f"{', '.join(recorded)}") from None
    prov = provenance(results_dir, manifest, sweep=manifest.get("name", ""), design=manifest["design"].get("kind"))
    out = Path(out_dir) if out_dir else results_dir / "figures"
    written: list[Path] = []
    for stem, fn_name, kw in sweep_plan(results, manifest, metrics):
        fig = sweep_figure(results, manifest, fn_name, kw, width)
        written += save(fig, out / f"sweep_{stem}_{width}", formats, {**prov, "figure_args": kw})
    return written
