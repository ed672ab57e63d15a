"""What the dashboard shows of a comparison, as plain data: figures as PNG bytes, the metric table as HTML.

No Solara here, so that these are tested (and timed) without a browser. Figures are the project's own
(:mod:`sim.plots`), drawn at screen resolution.
"""

from __future__ import annotations

import html
import io
from concurrent.futures import Executor

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sim.analysis.compare import Comparison, compare_stats
from sim.model.metrics import HEADLINE_METRICS, SUMMARY_METRICS, metric_label, metric_unit

SCREEN_DPI = 110
"""Resolution of the figures on the page."""

EXTRA_METRICS = ("compute_share_CN", "adopt_CN_open")
"""Shown besides the headline metrics: where the compute goes, and the adoption of Chinese open models."""


def shown_metrics(comp: Comparison) -> list[str]:
    """The headline metrics and :data:`EXTRA_METRICS` that the comparison's time series holds."""
    return [m for m in (*HEADLINE_METRICS, *EXTRA_METRICS) if m in comp.timeseries.columns and m in SUMMARY_METRICS]


def png(fig) -> bytes:
    """The figure as PNG bytes at :data:`SCREEN_DPI`; closes the figure."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=SCREEN_DPI, bbox_inches="tight", pad_inches=0.05)
    plt.close(fig)
    return buf.getvalue()


def _fmt(v: float, unit: str) -> str:
    if not np.isfinite(v):
        return "n/a"
    return f"{v:.1f}" if unit == "months" else f"{v:.3g}"


def metric_table_html(comp: Comparison, metrics: list[str] | None = None) -> str:
    """An HTML table: per metric, each scenario's median at the horizon [90% interval] and, with two
    scenarios, the median paired difference [90% interval]. Each row carries ``data-metric``; the
    difference cell ``data-diff`` (the median difference, a plain number) for tests and scripts."""
    metrics = metrics or shown_metrics(comp)
    stats = compare_stats(comp.table, metrics)
    paired = len(comp.names) > 1
    rows = []
    for m in metrics:
        unit, desc = SUMMARY_METRICS[m]
        s = stats[stats["metric"] == m].set_index("scenario")
        cells = [f"<td title='{html.escape(m)}: {html.escape(desc)}'>{html.escape(metric_label(m))} "
                 f"<small>({html.escape(metric_unit(m))})</small></td>"]
        for name in comp.names:
            r = s.loc[name]
            cells.append(f"<td>{_fmt(r['median'], unit)} <small>[{_fmt(r['lo'], unit)}, {_fmt(r['hi'], unit)}]"
                         "</small></td>")
        if paired:
            b = s.loc[comp.names[-1]]
            mark = "clear" if b["clear"] else "noise"
            cells.append(f"<td class='diff {mark}' data-diff='{b['diff_median']:.12g}'>"
                         f"{_fmt(b['diff_median'], unit)} <small>[{_fmt(b['diff_lo'], unit)}, "
                         f"{_fmt(b['diff_hi'], unit)}]</small></td>")
        rows.append(f"<tr data-metric='{html.escape(m)}'>{''.join(cells)}</tr>")
    n = len(comp.seeds)
    head = ("<tr><th>metric at the horizon</th>" + "".join(f"<th>{html.escape(x)}</th>" for x in comp.names)
            + ("<th>paired difference</th>" if paired else "") + "</tr>")
    note = (" in both scenarios (common random numbers); the difference is taken per replication. A bold "
            "difference is clear of the run-to-run noise (its 90% interval excludes 0)" if paired else "")
    return ("<table class='aieco-metrics'>" + head + "".join(rows) + "</table>"
            f"<p><small>Median [90% interval] across {n} replication{'s' * (n != 1)}, the same seeds{note}."
            "</small></p>")


TABLE_CSS = """
table.aieco-metrics { border-collapse: collapse; font-size: 14px; }
table.aieco-metrics td, table.aieco-metrics th { padding: 3px 10px; border-bottom: 1px solid #ddd; text-align: right; }
table.aieco-metrics td:first-child, table.aieco-metrics th:first-child { text-align: left; }
table.aieco-metrics td.diff.clear { font-weight: bold; }
"""


def _draw(kind: str, data: pd.DataFrame, names: list[str], metrics: list[str]) -> bytes:
    """One figure of :func:`comparison_figures` as PNG (runs in a worker process or here)."""
    from sim.plots.compare import fig_compare_differences, fig_compare_timeseries
    from sim.plots.run import fig_adoption

    if kind == "timeseries":
        return png(fig_compare_timeseries(data, names, metrics))
    if kind == "differences":
        return png(fig_compare_differences(data, names, metrics))
    if kind == "paired":
        return png(fig_paired_differences(data, names, metrics))
    return png(fig_adoption(data, names[0], "single"))


def paired_differences(comp: Comparison, metrics: list[str]) -> pd.DataFrame:
    """The second scenario's time series minus the first's, replication by replication and month by month
    (the same seeds): columns replication, month, date and ``metrics``."""
    ts = comp.timeseries
    a, b = (ts[ts["scenario"] == n].set_index(["replication", "month"]) for n in comp.names[:2])
    d = b[metrics] - a[metrics]
    d.insert(0, "date", b["date"])
    return d.reset_index()


def fig_paired_differences(diffs: pd.DataFrame, names: list[str], metrics: list[str]):
    """Fan charts of :func:`paired_differences` (median, middle 50% and 90% across replications), one panel
    per metric, with the zero line. Returns the Figure."""
    from sim.plots.fan import fig_fan
    from sim.plots.style import NEUTRAL

    fig = fig_fan(diffs, f"{names[1]} minus {names[0]}, paired by replication", "double", metrics)
    for ax, m in zip(fig.axes, metrics, strict=False):
        v = diffs[m].to_numpy(float)
        v = v[np.isfinite(v)]
        lo, hi = (min(v.min(), 0.0), max(v.max(), 0.0)) if v.size else (-1.0, 1.0)
        pad = 0.06 * (hi - lo or 1.0)
        ax.set_ylim(lo - pad, hi + pad)
        ax.axhline(0, color=NEUTRAL, lw=0.6, zorder=0)
        ax.set_ylabel(f"Difference ({ax.get_ylabel().lower()})")
    return fig


def figure_plan(comp: Comparison) -> dict[str, tuple[str, pd.DataFrame, list[str], list[str]]]:
    """{title: arguments of :func:`_draw`} of a comparison: the metrics over time (median, middle 50%),
    with two scenarios the paired differences over time and at the horizon, and each scenario's
    developer adoption."""
    metrics = shown_metrics(comp)
    plan = {"Over time": ("timeseries", comp.timeseries, list(comp.names), metrics)}
    if len(comp.names) > 1:
        plan["Paired differences over time"] = ("paired", paired_differences(comp, metrics), list(comp.names),
                                                metrics)
        plan["Paired differences at the horizon"] = ("differences", compare_stats(comp.table, metrics),
                                                     list(comp.names), metrics)
    for name in comp.names:
        plan[f"Adoption: {name}"] = ("adoption", comp.timeseries[comp.timeseries["scenario"] == name], [name], [])
    return plan


def comparison_figures(comp: Comparison, pool: Executor | None = None) -> dict[str, bytes]:
    """{title: PNG} of :func:`figure_plan`, drawn in ``pool``'s processes at once when given (the figures
    are independent), else one after another here."""
    plan = figure_plan(comp)
    if pool is None:
        return {title: _draw(*args) for title, args in plan.items()}
    futures = {title: pool.submit(_draw, *args) for title, args in plan.items()}
    return {title: f.result() for title, f in futures.items()}


def month_state(ts: pd.DataFrame, labs: pd.DataFrame, month: int) -> tuple[pd.Series, pd.DataFrame]:
    """One month of one run: the model-level row and the labs active that month. Raises IndexError for
    a month the run has not reached."""
    row = ts[ts["month"] == month]
    if row.empty:
        raise IndexError(f"month {month} is not in the run (0..{int(ts['month'].max())})")
    return row.iloc[0], labs[labs["month"] == month]


def fig_month(ts: pd.DataFrame, labs: pd.DataFrame, month: int, name: str = ""):
    """One month of one run in three panels: each lab's capability and strategy (by region), compute by
    region (H100e, log scale) and developer adoption by lab region x strategy. Returns the Figure."""
    from sim import REGIONS
    from sim.plots.style import REGION_COLORS, STRATEGY_COLORS, caption, figure

    row, lab = month_state(ts, labs, month)
    fig, (a1, a2, a3) = figure("double", 0.34, 1, 3)
    for i, r in enumerate(REGIONS):
        sub = lab[lab["region"] == r].sort_values("capability", ascending=False)
        for strat, marker in (("OPEN", "o"), ("CLOSED", "s")):
            s = sub[sub["strategy"] == strat]
            a1.scatter(np.full(len(s), i) + np.linspace(-0.25, 0.25, max(len(s), 1))[:len(s)], s["capability"],
                       marker=marker, s=14, color=REGION_COLORS[r],
                       facecolors=REGION_COLORS[r] if strat == "CLOSED" else "white", linewidths=1)
    a1.set_xticks(range(len(REGIONS)), REGIONS)
    a1.set_title("Labs' capability", loc="left")
    a1.set_ylabel("log10 effective FLOP")
    comp = [float(row.get(f"compute_{r}", np.nan)) for r in REGIONS]
    a2.bar(REGIONS, comp, color=[REGION_COLORS[r] for r in REGIONS])
    if all(np.isfinite(c) and c > 0 for c in comp):
        a2.set_yscale("log")
    a2.set_title("Compute by region (H100e)", loc="left")
    bottom = np.zeros(len(REGIONS))
    for s in ("closed", "open"):
        vals = np.array([float(row.get(f"adopt_{r}_{s}", 0.0)) for r in REGIONS])
        a3.bar(REGIONS, vals, bottom=bottom, color=STRATEGY_COLORS[s], label=s)
        bottom += vals
    a3.set_ylim(0, 1)
    a3.legend(loc="upper right", title="models")
    a3.set_title("Developers on each region's models", loc="left")
    caption(fig, f"{name}: {row['date']} (month {month + 1} of the run). Left: one marker per lab, filled squares "
                 "closed, open circles open-weight.")
    return fig
