"""Figures of a scenario comparison (``aieco compare``), from the comparison's tables.

* :func:`fig_compare_timeseries` -- one panel per headline metric over time, one median line and 90% band
  per scenario.
* :func:`fig_compare_differences` -- one panel per headline metric: the paired (common-random-number)
  difference of each scenario to the reference: mean with its 90% bootstrap confidence interval (thick bar) and
  the 90% spread across replications (thin line). A confidence interval that crosses zero shows no effect.
* :func:`fig_compare_difference_timeseries` -- the paired difference over time, one panel per metric: mean path
  with its pointwise 90% bootstrap confidence band, the first policy change and the peak marked.

:func:`draw_compare_figures` draws all three for a comparison folder, each with a provenance sidecar.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Sequence
from pathlib import Path

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from sim.analysis.provenance import file_sha256
from sim.model.metrics import HEADLINE_METRICS
from sim.plots.style import NEUTRAL, band, caption, figure, metric_label, save

SCENARIO_COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
"""Okabe-Ito colours for the compared scenarios in order (the reference is drawn in ``NEUTRAL``)."""
SCENARIO_STYLES = ("--", "-.", ":", (0, (5, 1, 1, 1, 1, 1)))

def panel_label(metric: str) -> tuple[str, str]:
    """(panel title, y-axis unit) of a metric, from the one table of labels (:func:`sim.plots.style.metric_label`):
    the title wrapped to two lines when long, the unit capitalised ("Share of labs", "Months")."""
    name, unit = metric_label(metric)
    if len(name) > 34:  # two lines of about equal length, broken at the space nearest the middle
        cut = min((i for i, ch in enumerate(name) if ch == " "), key=lambda i: abs(i - len(name) / 2))
        name = name[:cut] + "\n" + name[cut + 1:]
    return name, unit[:1].upper() + unit[1:]



def scenario_style(i: int) -> tuple[str, object]:
    """(colour, line style) of the i-th scenario; 0 is the reference (dark grey, solid)."""
    if i == 0:
        return NEUTRAL, "-"
    return SCENARIO_COLORS[(i - 1) % len(SCENARIO_COLORS)], SCENARIO_STYLES[(i - 1) % len(SCENARIO_STYLES)]


def _labels(metric: str, width: str = "double") -> tuple[str, str]:
    """(title wrapped to the panel width, unit) of a metric."""
    title, unit = panel_label(metric)
    if "\n" not in title or width == "single":
        title = textwrap.fill(title.replace("\n", " "), 21 if width == "single" else 30)
    return title, unit


def _year_axis(ax, ts: pd.DataFrame) -> None:
    """Year ticks spaced so that labels do not collide in narrow panels (about 0.38 in per label)."""
    years = pd.to_datetime(ts["date"], format="%Y-%m").dt.year
    span = max(1, int(years.max() - years.min()) + 1)
    panel_in = ax.get_position().width * ax.figure.get_figwidth()
    step = max(1, int(np.ceil(span * 0.38 / max(panel_in, 0.1))))
    ax.xaxis.set_major_locator(mdates.YearLocator(step))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))


def _pad_with_zero(lim: tuple[float, float]) -> tuple[float, float]:
    """x-limits that include zero with a little room on both sides."""
    lo, hi = min(lim[0], 0.0), max(lim[1], 0.0)
    pad = 0.08 * (hi - lo or 1.0)
    return lo - pad, hi + pad


def _grid(width: str, n_panels: int) -> tuple[int, int, bool]:
    """(rows, cols, legend in a spare panel): 3 columns at double width, 2 at single width."""
    cols = 3 if width == "double" else 2
    rows = int(np.ceil(n_panels / cols))
    return rows, cols, n_panels % cols != 0


def fig_compare_timeseries(ts: pd.DataFrame, names: Sequence[str], metrics: Sequence[str] = HEADLINE_METRICS,
                           width: str = "double", note: str = ""):
    """Headline metrics over time, one panel per metric, one median line and 50% band per scenario
    (the 90% intervals of the differences are in :func:`fig_compare_differences`).

    ts : stacked time series with columns scenario, replication, date and the metrics.
    names : scenario labels in order; the first is the reference. Returns the Figure."""
    rows, cols, spare = _grid(width, len(metrics))
    per_row = 0.31 if width == "double" else 0.62
    fig, axes = figure(width, per_row * rows + (0 if spare else 0.04 * (len(names) + 1)), rows, cols)
    axes = np.atleast_1d(axes).ravel()
    for j, m in enumerate(metrics):
        ax = axes[j]
        for i, name in enumerate(names):
            color, ls = scenario_style(i)
            band(ax, ts[ts["scenario"] == name], m, color=color, label=name, ls=ls, bands=(0.5,))
        title, unit = _labels(m, width)
        ax.set_title(title, loc="left")
        ax.set_ylabel(unit)
        if m.startswith("open_share"):
            ax.set_ylim(-0.02, 1.02)
        elif unit.startswith("Share"):
            ax.set_ylim(bottom=0)
        if "months" in m:
            ax.axhline(0, color=NEUTRAL, lw=0.5, zorder=0)
        _year_axis(ax, ts)
    for ax in axes[len(metrics):]:
        ax.axis("off")
    hs, labels = axes[0].get_legend_handles_labels()
    hs = [*hs, Line2D([], [], color="#bbbbbb", lw=6, alpha=0.6)]
    labels = [*[f"{n} (reference)" if i == 0 else n for i, n in enumerate(labels)], "middle 50% of replications"]
    if spare:
        axes[len(metrics)].legend(hs, labels, loc="center left", title="Scenario (median)", alignment="left",
                                  borderaxespad=0.0, handlelength=2.6)
    else:
        fig.legend(hs, labels, loc="outside upper left", title="Scenario (median)", alignment="left",
                   ncols=3 if width == "double" else 2, handlelength=2.6)
    n = int(ts["replication"].nunique()) if "replication" in ts else 1
    caption(fig, f"aieco compare: median and middle 50% across {n} replication{'s' * (n > 1)}; every scenario "
                 f"uses the same seeds (common random numbers). {note}".strip())
    return fig


def fig_compare_differences(stats: pd.DataFrame, names: Sequence[str], metrics: Sequence[str] = HEADLINE_METRICS,
                            width: str = "double", note: str = ""):
    """Paired difference of each scenario to the reference, one panel per metric.

    stats : :func:`sim.analysis.compare.compare_stats` output. names : scenario labels in order (first = reference).
    Returns the Figure, or None with fewer than two scenarios."""
    others = list(names[1:])
    if not others:
        return None
    k = len(others)
    if width == "double":
        rows, cols, _ = _grid(width, len(metrics))
        aspect = (0.14 + 0.05 * k) * rows
    else:
        rows, cols = len(metrics), 1
        aspect = (0.2 + 0.08 * k) * rows
    fig, axes = figure(width, aspect, rows, cols, sharey=True)
    axes = np.atleast_1d(axes).ravel()
    y = np.arange(k)[::-1]
    for j, m in enumerate(metrics):
        ax = axes[j]
        sub = stats[stats["metric"] == m].set_index("scenario")
        for yi, (i, name) in zip(y, enumerate(others, start=1), strict=True):
            if name not in sub.index:
                continue
            r = sub.loc[name]
            color, _ = scenario_style(i)
            ax.plot([r["diff_lo"], r["diff_hi"]], [yi, yi], color=color, lw=0.8, alpha=0.8, solid_capstyle="butt")
            if "diff_mean" in r:
                shown = not bool(r["diff_ci_has_zero"])
                ax.plot([r["diff_ci_lo"], r["diff_ci_hi"]], [yi, yi], color=color, lw=3.2, alpha=0.6,
                        solid_capstyle="butt")
                ax.plot([r["diff_mean"]], [yi], "o", color=color, ms=4, mfc=color if shown else "white", mew=1.2)
            else:  # an older stats.csv without the CI
                ax.plot([r["diff_median"]], [yi], "o", color=color, ms=4, mfc=color if r["clear"] else "white",
                        mew=1.2)
        ax.axvline(0, color=NEUTRAL, lw=0.7)
        title, unit = _labels(m, width if cols > 1 else "double")
        ax.set_title(title, loc="left")
        ax.set_xlim(*_pad_with_zero(ax.get_xlim()))
        ax.set_xlabel(f"Difference ({unit.lower()})" if unit else "Difference")
        ax.set_yticks(y, others)
        ax.set_ylim(-0.6, k - 0.4)
        ax.grid(axis="y", visible=False)
        if j % cols:
            ax.tick_params(axis="y", labelleft=False)
    for ax in axes[len(metrics):]:
        ax.axis("off")
    caption(fig, f"aieco compare: difference of each scenario to '{names[0]}' in the same replication (same seed, "
                 f"common random numbers). Dot: mean difference; thick bar: its 90% bootstrap confidence interval; "
                 f"thin line: 90% spread of the differences across replications; filled dot: the confidence interval "
                 f"excludes zero. {note}".strip())
    return fig


def fig_compare_difference_timeseries(ts: pd.DataFrame, names: Sequence[str], metrics: Sequence[str] = HEADLINE_METRICS,
                                      from_month: dict[str, int | None] | None = None, width: str = "double",
                                      note: str = ""):
    """Paired difference to the reference over time, one panel per metric, one line per other scenario: the mean
    over replications with its pointwise 90% bootstrap confidence band (:func:`sim.analysis.compare.difference_band`), a
    dotted vertical line at the scenario's first policy change (``from_month``: scenario -> 0-based month) and a
    marker at the peak of the mean path after it (:func:`sim.analysis.compare.paired_effects`).

    ts : stacked time series (scenario, replication, month, date, metrics). Returns the Figure, or None with fewer
    than two scenarios."""
    from sim.analysis.compare import difference_band, difference_paths, paired_effects

    if len(names) < 2:
        return None
    from_month = from_month or {}
    rows, cols, spare = _grid(width, len(metrics))
    in_cells = spare and rows * cols - len(metrics) >= 2  # the legend fits the empty cells; else above the panels
    per_row = 0.31 if width == "double" else 0.62
    legend_rows = 0 if in_cells else (len(names) + 3 if width == "single" else 0.8 * len(names))
    fig, axes = figure(width, per_row * rows + 0.05 * legend_rows, rows, cols)
    axes = np.atleast_1d(axes).ravel()
    dates = ts.drop_duplicates("month").sort_values("month")["date"]
    from sim.plots.style import to_dates

    x = to_dates(dates)
    eff = paired_effects(ts, names, metrics, {n: from_month.get(n) for n in names[1:]})
    eff = eff[eff["effect"] == "peak"].set_index(["metric", "scenario"])
    for j, m in enumerate(metrics):
        ax = axes[j]
        paths = difference_paths(ts, names, m)
        for i, name in enumerate(names[1:], start=1):
            color, ls = scenario_style(i)
            b = difference_band(paths[name])
            ax.fill_between(x, b["ci_lo"].to_numpy(), b["ci_hi"].to_numpy(), color=color, alpha=0.22, lw=0)
            ax.plot(x, b["mean"].to_numpy(), color=color, ls=ls, lw=1.2, label=name)
            f0 = from_month.get(name)
            if f0 is not None and 0 <= f0 < len(x):
                ax.axvline(x[int(f0)], color=color, ls=":", lw=0.8)
            if (m, name) in eff.index and np.isfinite(eff.loc[(m, name), "month"]):
                k = int(eff.loc[(m, name), "month"])
                ax.plot([x[k]], [eff.loc[(m, name), "estimate"]], marker="v", color=color, ms=4, ls="none")
        ax.axhline(0, color=NEUTRAL, lw=0.6, zorder=0)
        title, unit = _labels(m, width)
        ax.set_title(title, loc="left")
        ax.set_ylabel(f"Difference ({unit.lower()})" if unit else "Difference")
        _year_axis(ax, ts)
    for ax in axes[len(metrics):]:
        ax.axis("off")
    hs, labels = axes[0].get_legend_handles_labels()
    hs = [*hs, Line2D([], [], color="#bbbbbb", lw=6, alpha=0.6), Line2D([], [], color="#777777", ls=":", lw=0.8),
          Line2D([], [], color="#777777", marker="v", ls="none", ms=4)]
    labels = [*labels, "90% CI of the mean", "first policy change", "peak"]
    if in_cells:  # spread over the empty cells beside the first: out of the layout, so the columns stay equal
        leg = axes[len(metrics)].legend(hs, labels, loc="center left", title=f"Minus {names[0]} (mean)",
                                        alignment="left", borderaxespad=0.0, handlelength=2.6)
        leg.set_in_layout(False)
    else:
        fig.legend(hs, labels, loc="outside upper left", title=f"Minus {names[0]} (mean)", alignment="left",
                   ncols=3 if width == "double" else 1, handlelength=2.6)
    n = int(ts["replication"].nunique())
    caption(fig, f"aieco compare: each scenario minus '{names[0]}' in the same replication (common random numbers), "
                 f"mean over {n} replication{'s' * (n > 1)} with its pointwise 90% bootstrap confidence band (not "
                 f"the spread of replications). {note}".strip())
    return fig


def _relabel(ts: pd.DataFrame, stats: pd.DataFrame, names: list[str], first: dict | None,
             labels: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame, list[str], dict | None]:
    """The tables, names and first policy months with each scenario's name replaced by its label (made unique)."""
    from sim.analysis.compare import unique_names

    shown = unique_names([labels.get(n) or n for n in names])
    ren = dict(zip(names, shown, strict=True))
    first = {ren.get(k, k): v for k, v in first.items()} if first else first
    return (ts.assign(scenario=ts["scenario"].map(ren)), stats.assign(scenario=stats["scenario"].map(ren)), shown,
            first)


def draw_compare_figures(results_dir: str | Path, formats: tuple[str, ...] = ("png", "pdf"),
                         width: str = "double", out_dir: str | Path | None = None) -> list[Path]:
    """Draw the comparison figures for a compare folder (``timeseries.parquet``, ``stats.csv``,
    ``manifest.json``) into ``out_dir`` (default: ``results_dir/figures``), with provenance sidecars.

    Returns the written paths. Raises FileNotFoundError when the folder lacks the tables."""
    results_dir = Path(results_dir)
    paths = {n: results_dir / n for n in ("timeseries.parquet", "stats.csv", "manifest.json")}
    for p in paths.values():
        if not p.is_file():
            raise FileNotFoundError(f"{results_dir}: not a compare folder ({p.name} missing)")
    ts = pd.read_parquet(paths["timeseries.parquet"])
    stats = pd.read_csv(paths["stats.csv"])
    manifest = json.loads(paths["manifest.json"].read_text())
    names = manifest["names"]
    first = manifest.get("first_policy_month")
    if manifest.get("labels"):  # the scenarios' labels for a reader (their names stay in the tables)
        ts, stats, names, first = _relabel(ts, stats, names, first, manifest["labels"])
    metrics = [m for m in manifest.get("metrics", HEADLINE_METRICS) if m in ts.columns]
    window = manifest.get("window", "horizon")
    when = "at the horizon" if window == "horizon" else f"averaged over the last {manifest.get('window_months')} months"
    from sim.analysis.provenance import base_manifest

    prov = {**{k: v for k, v in base_manifest("figure").items() if k in ("command", "versions", "git", "created")},
            "results": str(results_dir), "manifest_sha256": file_sha256(paths["manifest.json"]),
            "scenarios": names, "seeds": manifest.get("seeds")}
    out = Path(out_dir) if out_dir else results_dir / "figures"
    written = save(fig_compare_timeseries(ts, names, metrics, width), out / f"compare_timeseries_{width}", formats,
                   prov)
    fig = fig_compare_differences(stats, names, metrics, width, note=f"Values {when}.")
    if fig is not None:
        written += save(fig, out / f"compare_differences_{width}", formats, prov)
    fig = fig_compare_difference_timeseries(ts, names, metrics, first, width)
    if fig is not None:
        written += save(fig, out / f"compare_difference_timeseries_{width}", formats, prov)
    return written
