"""Figures of one scenario run (one or many replications), from the run's tables.

Each function takes the stacked time-series table (``timeseries.parquet``: one row per replication and
month) and returns a matplotlib Figure; :func:`draw_run_figures` draws them all for a results folder.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from sim import REGIONS
from sim.plots.style import (
    NEUTRAL,
    REGION_COLORS,
    REGION_LABELS,
    REGION_STYLES,
    STRATEGY_COLORS,
    STRATEGY_HATCH,
    STRATEGY_LABELS,
    STRATEGY_STYLES,
    band,
    band_handles,
    caption,
    date_axis,
    figure,
    provenance,
    save,
    to_dates,
)


def _reps(ts: pd.DataFrame) -> int:
    return int(ts["replication"].nunique()) if "replication" in ts else 1


def _cap(ts: pd.DataFrame, name: str, extra: str = "", spread: bool | None = True) -> str:
    """Caption: scenario and replications; ``spread`` True: "median and middle 50%/90% across", False: "median
    of", None: the count only (the figure's own text says what is drawn)."""
    n = _reps(ts)
    if spread is None:
        what = ""
    elif spread:
        what = "median and middle 50%/90% across" if n > 1 else ""
    else:
        what = "median of" if n > 1 else ""
    return " ".join(f"aieco, scenario '{name}', {what} {n} replication{'s' if n > 1 else ''}. {extra}".split())


def fig_open_share(ts: pd.DataFrame, name: str = "", width: str = "double"):
    """Share of each region's labs whose current model is open-weight, over time (0..1): one panel per
    region (small multiples), median across replications with the middle 50% and 90% bands."""
    regions = [r for r in REGIONS if ts[f"open_share_{r}"].notna().any()]
    cols = len(regions) if width == "double" else 2
    rows = int(np.ceil(len(regions) / cols))
    fig, axes = figure(width, 0.30 if width == "double" else 0.42 * rows, rows, cols, sharey=True, sharex=True)
    axes = np.atleast_1d(axes).ravel()
    for i, (ax, r) in enumerate(zip(axes, regions, strict=False)):
        band(ax, ts, f"open_share_{r}", color=REGION_COLORS[r], label="median")
        mean = ts.groupby("date")[f"open_share_{r}"].mean()
        ax.plot(to_dates(mean.index), mean.to_numpy(), color=NEUTRAL, lw=0.7, ls=(0, (1, 1)))
        ax.set_title(REGION_LABELS[r], loc="left", color=REGION_COLORS[r], fontweight="bold")
        ax.set_ylim(-0.03, 1.03)
        if i % cols == 0:
            ax.set_ylabel("Share of labs")
        date_axis(ax)
    for ax in axes[len(regions):]:
        ax.axis("off")
    from matplotlib.lines import Line2D

    hs, labels = band_handles(NEUTRAL)
    fig.legend([Line2D([], [], color=NEUTRAL), Line2D([], [], color=NEUTRAL, lw=0.7, ls=(0, (1, 1))), *hs],
               ["median of replications", "mean", *labels], loc="outside lower center", ncols=4 if cols > 2 else 2,
               handlelength=1.8, columnspacing=1.2)
    fig.suptitle("Labs whose current model is open-weight, by region", x=0.0, ha="left",
                 fontsize=plt_rc("axes.titlesize"))
    caption(fig, _cap(ts, name, "A region's share moves in steps: it has few labs."))
    return fig


def plt_rc(key: str):
    import matplotlib.pyplot as plt

    return plt.rcParams[key]


def fig_frontier(ts: pd.DataFrame, name: str = "", width: str = "double"):
    """Left: the best closed and the best open model's capability (ECI points), median and 90%
    band, annotated with the open-closed lag at the horizon (median and 90% across replications).
    Right: the lags over time in months (open behind closed; China behind the US), with Epoch's 5-22 months."""
    double = width == "double"
    fig, (ax, ax2) = figure(width, 0.42 if double else 1.25, 1 if double else 2, 2 if double else 1)
    for s in ("closed", "open"):
        band(ax, ts, f"frontier_{s}", color=STRATEGY_COLORS[s], ls=STRATEGY_STYLES[s],
             label=f"Best {STRATEGY_LABELS[s].lower()} model", bands=(0.9,))
    last = ts[ts["month"] == ts["month"].max()]
    lag = last["open_closed_lag_months"].to_numpy(float)
    lag = lag[np.isfinite(lag)]
    if lag.size:
        lo, hi = (round(float(q)) for q in np.quantile(lag, [0.05, 0.95]))  # round(): no "-0"
        spread = f"\n(90% of replications: {lo} to {hi})" if lag.size > 1 else ""
        med = round(float(np.median(lag)))
        unit = "month" if abs(med) == 1 else "months"
        ax.text(0.98, 0.04, f"Open-weight lag in {last['date'].iloc[0]}:\nmedian {med} {unit}{spread}",
                transform=ax.transAxes, ha="right", va="bottom", fontsize=plt_rc("legend.fontsize"), color=NEUTRAL,
                bbox={"boxstyle": "round,pad=0.3", "fc": "white", "ec": "#bbbbbb", "lw": 0.5})
    ax.set_ylabel("Capability (ECI)")
    ax.set_title("Frontier capability, open vs closed", loc="left")
    date_axis(ax)
    ax.legend(loc="upper left")
    band(ax2, ts, "open_closed_lag_months", color=STRATEGY_COLORS["open"], label="Open models behind closed")
    band(ax2, ts, "us_cn_gap_months", color=REGION_COLORS["CN"], label="China behind the US", ls="--")
    ax2.axhline(0, color=NEUTRAL, lw=0.6)
    d0, d1 = to_dates(["2023-01", "2024-12"])
    ax2.fill_between([d0, d1], 5, 22, color="#999999", alpha=0.2, lw=0, zorder=0,
                     label="Epoch (2024): open lag 5-22 months\nin 2023-24")
    ax2.set_ylabel("Lag (months)")
    ax2.set_title("Capability lags", loc="left")
    date_axis(ax2)
    ax2.set_ylim(top=ax2.get_ylim()[1] + 0.25 * (ax2.get_ylim()[1] - ax2.get_ylim()[0]))  # room for the legend
    ax2.legend(loc="upper right")
    caption(fig, _cap(ts, name, spread=None, extra="Lines: median; shading: middle 90% (lags: also the middle "
                      "50%). Capability on Epoch's Capabilities Index (ECI), from log10 training FLOP x algorithmic efficiency "
                      "by the fitted link (docs/ODD.md 7.6); a lag is how many months earlier the leader's running maximum "
                      "reached the follower's. Range: Epoch AI, 'How far behind are "
                      "open models?' (2024)."))
    return fig


def fig_regions(ts: pd.DataFrame, name: str = "", width: str = "double"):
    """Frontier capability of each region's best model (ECI points), median and 90% band."""
    fig, ax = figure(width, 0.5 if width == "double" else 0.75)
    for r in REGIONS:
        band(ax, ts, f"frontier_{r}", color=REGION_COLORS[r], ls=REGION_STYLES[r], label=REGION_LABELS[r],
             bands=(0.9,))
    ax.set_ylabel("Capability (ECI)")
    ax.set_xlabel("Date")
    ax.set_title("Frontier capability by region", loc="left")
    date_axis(ax)
    ax.legend(loc="upper left", handlelength=2.6)
    caption(fig, _cap(ts, name, spread=None, extra="Lines: median; shading: middle 90%. Capability on Epoch's "
                      "Capabilities Index (ECI), from log10 training FLOP x algorithmic efficiency by the fitted link "
                      "(docs/ODD.md 7.6)."))
    return fig


def fig_adoption(ts: pd.DataFrame, name: str = "", width: str = "double"):
    """Developer adoption shares by lab region x strategy, stacked areas (median across replications,
    renormalised to sum to 1). Closed models hatched and darker, open-weight models lighter."""
    cols = [(r, s) for r in REGIONS for s in ("closed", "open")]
    med = ts.groupby("date")[[f"adopt_{r}_{s}" for r, s in cols]].median()
    med = med.div(med.sum(axis=1), axis=0)
    double = width == "double"
    fig, ax = figure(width, 0.5 if double else 1.0)
    dates = to_dates(med.index)
    polys = ax.stackplot(dates, *[med[f"adopt_{r}_{s}"].to_numpy() for r, s in cols],
                         colors=[REGION_COLORS[r] for r, _ in cols], alpha=0.9, lw=0.5, edgecolor="white",
                         labels=[f"{REGION_LABELS[r]}, {STRATEGY_LABELS[s].lower()}" for r, s in cols])
    for p, (_, s) in zip(polys, cols, strict=True):
        p.set_hatch(STRATEGY_HATCH[s])
        if s == "open":
            p.set_alpha(0.5)
    _label_bands(ax, dates, [med[f"adopt_{r}_{s}"].to_numpy() for r, s in cols],
                 [f"{'US' if r == 'US' else REGION_LABELS[r]} {s}" for r, s in cols], double)
    ax.set_ylim(0, 1)
    if len(dates) > 1:  # one month (--months 1) has no range: matplotlib's own padding then
        ax.set_xlim(dates.iloc[0], dates.iloc[-1])
    ax.set_ylabel("Share of developers")
    ax.set_xlabel("Date")
    ax.set_title("Which models developers build on (lab region x strategy)", loc="left")
    date_axis(ax)
    if double:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), reverse=True)
    else:
        fig.legend(*[x[::-1] for x in ax.get_legend_handles_labels()], loc="outside lower center", ncols=2)
    caption(fig, _cap(ts, name, "Closed models hatched. Medians of each share, renormalised to sum to 1.",
                      spread=False))
    return fig


def _label_bands(ax, dates: pd.Series, layers: list[np.ndarray], labels: list[str], double: bool) -> None:
    """Write each stacked band's name inside it, where it is thickest (away from the edges), if it is thick
    enough for the text: the areas then read without the legend, in greyscale too."""
    import matplotlib.patheffects as pe

    base = np.zeros(len(dates))
    n = len(dates)
    lo_i, hi_i = int(0.12 * n), max(int(0.88 * n), int(0.12 * n) + 1)
    min_h = 0.06 if double else 0.085
    for y, text in zip(layers, labels, strict=True):
        y = np.nan_to_num(y)
        k = lo_i + int(np.argmax(y[lo_i:hi_i]))
        if y[k] >= min_h:
            ax.text(dates.iloc[k], base[k] + y[k] / 2, text, ha="center", va="center", fontsize=6 if double else 5,
                    color="black", path_effects=[pe.withStroke(linewidth=1.6, foreground="white")], zorder=5)
        base = base + y


def fig_compute(ts: pd.DataFrame, name: str = "", width: str = "double"):
    """Compute held by each region's labs (H100-equivalents, log scale), median and 50%/90% bands."""
    fig, ax = figure(width, 0.5 if width == "double" else 0.75)
    for r in REGIONS:
        band(ax, ts, f"compute_{r}", color=REGION_COLORS[r], ls=REGION_STYLES[r], label=REGION_LABELS[r])
    ax.set_yscale("log")
    ax.set_ylabel("Compute (H100-equivalents)")
    ax.set_xlabel("Date")
    ax.set_title("Compute held by each region's labs", loc="left")
    date_axis(ax)
    ax.legend(loc="upper left", handlelength=2.6)
    caption(fig, _cap(ts, name, "H100-equivalent = 989 TFLOP/s dense BF16."))
    return fig


SOURCE_STYLES = {"revenue": ("#e7298a", "-", "revenue (net)"), "investment_parents": ("#1f78b4", "--", "parents"),
                 "investment_venture": ("#a6761d", "-.", "venture"), "investment_state": ("#66a61e", ":", "state fund"),
                 "state_funding": ("#7f7f7f", (0, (1, 2)), "chip subsidies")}
"""Colour, line style and legend label of each source of the labs' budgets (docs/ODD.md 7.9)."""


def _chips_panels(ax, ts: pd.DataFrame) -> None:
    """Panels (a) chip supply and stocks and (b) the chip price of :func:`fig_money_chips`."""
    ts["chip_production_per_year"] = 12 * ts["chip_production_h100e"]
    band(ax[0], ts, "chip_production_per_year", color="#444444", ls=":", label="world production per year")
    band(ax[0], ts, "chip_stock_h100e", color="#1b9e77", label="world installed frontier chips")
    band(ax[0], ts, "labs_compute_h100e", color="#d95f02", ls="--", label="labs' compute")
    ax[0].set_ylabel("H100e (stocks) or\nH100e a year (production)")
    ax[0].set_title("(a) Chips: supply and stocks", loc="left")
    band(ax[1], ts, "chip_price_usd", color="#7570b3", label="market-clearing price")
    band(ax[1], ts, "chip_list_price_usd", color="#444444", ls=":", label="list price (price-performance trend)")
    ax[1].set_ylabel("USD per H100e")
    ax[1].set_title("(b) Chip price", loc="left")


def _budget_panels(ax, ts: pd.DataFrame) -> None:
    """Panels (c) the world's labs' budgets by source and (d) US and Chinese investment by source."""
    for col in SOURCE_STYLES:
        ts[f"{col}_world_year"] = (12 * sum(ts[f"{col}_{r}"] for r in REGIONS)).where(lambda x: x > 0)  # log axis
        color, ls, label = SOURCE_STYLES[col]
        if ts[f"{col}_world_year"].max() > 0:
            band(ax[0], ts, f"{col}_world_year", color=color, ls=ls, label=label)
    ax[0].set_ylabel("USD per year")
    ax[0].set_title("(c) All labs' budgets by source", loc="left")
    for col in ("investment_parents", "investment_venture", "investment_state"):
        color, _, label = SOURCE_STYLES[col]
        for r, ls in (("US", "-"), ("CN", "--")):
            ts[f"{col}_{r}_year"] = (12 * ts[f"{col}_{r}"]).where(lambda x: x > 0)  # no zero on a log axis
            if ts[f"{col}_{r}_year"].max() > 0:
                band(ax[1], ts, f"{col}_{r}_year", color=color, ls=ls, label=f"{label}, {r}")
    ax[1].set_ylabel("USD per year")
    ax[1].set_title("(d) Investment: US (solid), CN (dashed)", loc="left")


def _expectation_panels(ax, ts: pd.DataFrame) -> None:
    """Panels (e) investors' expectation index by region and (f) chip spending against sales, US and China."""
    for r in REGIONS:
        band(ax[0], ts, f"expectation_{r}", color=REGION_COLORS[r], ls=REGION_STYLES[r], label=REGION_LABELS[r])
    ax[0].set_ylabel("Index (1 = investors' prior)")
    ax[0].set_title("(e) Investors' expectation index", loc="left")
    for r in ("US", "CN"):
        for col, ls, what in (("chip_spend", "-", "chip spending"), ("sales", ":", "sales")):
            ts[f"{col}_{r}_year"] = 12 * ts[f"{col}_{r}"]
            band(ax[1], ts, f"{col}_{r}_year", color=REGION_COLORS[r], ls=ls, label=f"{what}, {r}")
    ax[1].set_ylabel("USD per year")
    ax[1].set_title("(f) Capex-revenue gap: chips vs sales", loc="left")


def fig_money_chips(ts: pd.DataFrame, name: str = "", width: str = "double"):
    """Money and chips (ODD 7.3-7.4, 7.9), six panels, median and 50%/90% bands across replications:
    (a) world chip production per year, the world's installed frontier chips and the labs' compute (H100e, log);
    (b) the chip price that clears the market against the list price (USD per H100e, log);
    (c) all labs' budgets by source: net revenue, parents, venture, state funds, chip subsidies (USD a year, log);
    (d) investment in US and Chinese labs by source (USD a year, log);
    (e) investors' expectation index by region (1 = their prior growth, log);
    (f) chip spending and sales of US and Chinese labs: the capex-revenue gap (USD a year, log)."""
    double = width == "double"
    fig, axes = figure(width, 0.95 if double else 2.2, 3 if double else 6, 2 if double else 1, sharex=True)
    ax = np.atleast_1d(axes).ravel()
    ts = ts.copy()
    _chips_panels(ax[0:2], ts)
    _budget_panels(ax[2:4], ts)
    _expectation_panels(ax[4:6], ts)
    for k, a in enumerate(ax):
        a.set_yscale("log")
        date_axis(a)
        a.legend(loc="upper left" if k < 2 else "best", fontsize=6 if double else 5, handlelength=2.4,
                 framealpha=0.9, ncol=2 if k in (3, 5) else 1)
    lo, hi = ax[1].get_ylim()
    ax[1].set_ylim(lo, hi * 2.5)  # room for the legend above the price lines
    caption(fig, _cap(ts, name, "Production: cited path (Epoch AI chip sales to 2025; Sevilla et al. 2024 beyond). "
                                "Parents: Big Tech and sponsors' budgets; venture: start-ups' investors; both "
                                "scaled by the expectation index (docs/ODD.md 7.9)."))
    return fig


def fig_fan(ts: pd.DataFrame, name: str = "", width: str = "double"):
    """Headline metrics over time as fan charts (see :func:`sim.plots.fan.fig_fan`)."""
    from sim.plots.fan import fig_fan as _fan

    return _fan(ts, name, width)


RUN_FIGURES = {"open_share": fig_open_share, "frontier": fig_frontier, "frontier_regions": fig_regions,
               "adoption": fig_adoption, "compute": fig_compute, "money_chips": fig_money_chips,
               "headline_fan": fig_fan}
"""Figure name -> function(timeseries, scenario name, width) for a run folder."""


def draw_run_figures(results_dir: str | Path, formats: tuple[str, ...] = ("png", "pdf"), width: str = "double",
                     out_dir: str | Path | None = None, metrics: Sequence[str] | None = None) -> list[Path]:
    """Draw every run figure for a run folder (``timeseries.parquet`` + ``manifest.json``) into
    ``out_dir`` (default: ``results_dir/figures``), each with a provenance sidecar. Returns written paths.
    With ``metrics`` (time-series columns, e.g. ``compute_share_CN``), only a fan chart of each, ``fan_<metric>``.

    Raises FileNotFoundError when the folder lacks the tables; ValueError for a metric that is not a column of
    the time series (the message lists them)."""
    results_dir = Path(results_dir)
    ts_path, man_path = results_dir / "timeseries.parquet", results_dir / "manifest.json"
    for p in (ts_path, man_path):
        if not p.is_file():
            raise FileNotFoundError(f"{results_dir}: not a run folder ({p.name} missing)")
    ts = pd.read_parquet(ts_path)
    manifest = json.loads(man_path.read_text())
    name = manifest.get("scenario", {}).get("name", "")
    if manifest.get("overrides"):  # a changed scenario is not the named one: say how it was changed
        name += " with " + ", ".join(manifest["overrides"])
    prov = provenance(results_dir, manifest, scenario=name)
    out = Path(out_dir) if out_dir else results_dir / "figures"
    paths: list[Path] = []
    if metrics:
        from sim.plots.fan import fig_fan as _fan

        columns = [c for c in ts.columns if c not in ("replication", "month", "date", "seed")]
        bad = [m for m in metrics if m not in columns]
        if bad:
            raise ValueError(f"--metric {bad[0]!r} is not a time series of this run; allowed: {', '.join(columns)}")
        for m in metrics:
            paths += save(_fan(ts, name, width, metrics=[m]), out / f"fan_{m}_{width}", formats, prov)
        return paths
    for key, fn in RUN_FIGURES.items():
        paths += save(fn(ts, name, width), out / f"{key}_{width}", formats, prov)
    return paths
