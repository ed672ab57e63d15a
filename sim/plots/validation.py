"""Figures of the validation (patterns P1-P3 against Epoch's targets, and P5-P7 on Epoch's Capabilities Index):
drawn from the statistics :mod:`sim.analysis.validation` and :mod:`sim.analysis.validation_eci` compute.

Data: Epoch AI, 'Data on AI Models' and the Epoch Capabilities Index (CC BY 4.0), through the committed targets in
``data/targets/``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.validation import (
    EPOCH_GROWTH_BAND,
    GROWTH_START_YEAR,
    P1_REGIONS,
    P2_BAND,
    P2_COLUMN,
    Targets,
)
from sim.analysis.validation_eci import ECI_YEARS, load_eci_monthly

__all__ = ["draw_validation_figures", "fig_eci", "fig_p1", "fig_p2", "fig_p3"]


def _held_out_shade(ax, dates: bool = False) -> None:
    if dates:
        ax.axvspan(pd.Timestamp("2025-01-01"), pd.Timestamp("2025-12-31"), color="#999999", alpha=0.10, lw=0)
    else:
        ax.axvspan(2024.5, 2025.5, color="#999999", alpha=0.10, lw=0)



def _legend(ax, width: str) -> None:
    """Legend beside the panel on a full-page figure; below it on a single column, where a legend at the
    side would squeeze the panel to a sliver."""
    if width == "double":
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    else:
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=1, fontsize="x-small")



def fig_p1(stats: pd.DataFrame, targets: Targets, name: str = "", width: str = "double"):
    """P1: open share of releases by year, CN and US: simulated median, mean and 90% band across replications,
    empirical shares with 90% Wilson intervals (2019-2025)."""
    from sim.plots.style import REGION_COLORS, REGION_LABELS, caption, figure

    fig, ax = figure(width, 0.5 if width == "double" else 1.3)
    p1 = stats[stats["pattern"] == "P1"]
    for reg in P1_REGIONS:
        col = REGION_COLORS[reg]
        g = p1[p1["region"] == reg].groupby("year")["value"]
        yrs = np.array(sorted(g.groups))
        if yrs.size:
            lo, hi = g.quantile(0.05).to_numpy(), g.quantile(0.95).to_numpy()
            ax.fill_between(yrs, lo, hi, color=col, alpha=0.15, lw=0)
            ax.plot(yrs, g.median().to_numpy(), color=col, ls="-", label=f"{REGION_LABELS[reg]}, simulated median")
            ax.plot(yrs, g.mean().to_numpy(), color=col, ls=":", marker="o", ms=2.5, mfc="white",
                    label=f"{REGION_LABELS[reg]}, simulated mean")
        e = targets.open_share[targets.open_share["region"] == reg].dropna(subset=["share"])
        off = -0.08 if reg == "CN" else 0.08
        ax.errorbar(e["year"] + off, e["share"], yerr=[e["share"] - e["lo"], e["hi"] - e["share"]], fmt="s",
                    color=col, ms=3.5, capsize=2, lw=0.8, label=f"{REGION_LABELS[reg]}, Epoch (90% CI)")
    _held_out_shade(ax)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("Year")
    ax.set_ylabel("Open-weight share of releases")
    ax.set_title("P1: open-weight share of releases, China vs United States" if width == "double"
                 else "P1: open-weight share, CN vs US", loc="left")
    _legend(ax, width)
    n = int(p1["replication"].nunique()) if len(p1) else 0
    caption(fig, f"aieco, scenario '{name}', {n} replications: band = 5-95% across replications. Points: Epoch AI "
                 f"notable models ({targets.p1_definition}), 90% Wilson intervals. Grey: 2025, held out from "
                 "calibration. Data: Epoch AI, 'Data on AI Models', CC BY 4.0.")
    return fig



def fig_p2(ts: pd.DataFrame, targets: Targets, name: str = "", width: str = "double"):
    """P2: monthly open-closed lag (median, 50%/90% bands) with Epoch's yearly mean and year-end lags and the
    5-22 month range."""
    from sim.plots.style import NEUTRAL, STRATEGY_COLORS, band, caption, date_axis, figure

    fig, ax = figure(width, 0.45 if width == "double" else 1.35)
    ax.axhspan(P2_BAND[0], P2_BAND[1], color="#999999", alpha=0.12, lw=0,
               label=f"Epoch: {P2_BAND[0]:g}-{P2_BAND[1]:g} months (benchmarks)")
    band(ax, ts, P2_COLUMN, color=STRATEGY_COLORS["open"], label="Simulated, training compute (median, 50/90%)")
    band(ax, ts, "open_closed_lag_months", color=NEUTRAL, ls="--", bands=(),
         label="Simulated, capability (median)")
    lag = targets.lag.dropna(subset=["lag_mean"])
    ax.plot(pd.to_datetime(lag["year"].astype(str) + "-07-01"), lag["lag_mean"], "s", color=NEUTRAL, ms=3.5,
            label="Epoch training compute: yearly mean")
    ax.plot(pd.to_datetime(lag["year"].astype(str) + "-12-31"), lag["lag_end"], "o", color=NEUTRAL, ms=3,
            mfc="white", label="Epoch: at year end")
    ax.axhline(0, color=NEUTRAL, lw=0.6)
    _held_out_shade(ax, dates=True)
    ax.set_ylabel("Open behind closed (months)")
    ax.set_xlabel("Date")
    ax.set_title("P2: lag of the best open model behind the best closed model" if width == "double"
                 else "P2: best open behind best closed", loc="left")
    date_axis(ax)
    _legend(ax, width)
    caption(fig, f"aieco, scenario '{name}'. Simulated: lag in training compute (band) and in capability "
                 "(dashed); empirical: lag in training compute of Epoch AI's notable and large-scale models (CC BY 4.0). Range: Epoch AI, "
                 "'How far behind are open models?' (2024). Grey: 2025, held out.")
    return fig



def fig_p3(ts: pd.DataFrame, stats: pd.DataFrame, targets: Targets, name: str = "", width: str = "double"):
    """P3: largest training run over time (simulated band, Epoch's year-end frontier) and the fitted growth
    per year (simulated median and 90% interval vs the empirical fits and the 4-5x band)."""
    from sim.plots.style import NEUTRAL, REGION_COLORS, band, caption, date_axis, figure

    if width == "double":
        fig, (ax, ax2) = figure(width, 0.42, 1, 2, gridspec_kw={"width_ratios": [1.6, 1]})
    else:  # one column: the two panels stacked
        fig, (ax, ax2) = figure(width, 1.55, 2, 1)
    band(ax, ts, "frontier_train_flop", color=REGION_COLORS["US"], label="Simulated (median, 50/90%)")
    if "frontier_flop" in targets.lag:
        lag = targets.lag.dropna(subset=["frontier_flop"])
        ax.plot(pd.to_datetime(lag["year"].astype(str) + "-12-31"), np.log10(lag["frontier_flop"]), "s",
                color=NEUTRAL, ms=3.5, label="Epoch: largest run, year end")
    _held_out_shade(ax, dates=True)
    ax.set_ylabel("Largest training run (log10 FLOP)")
    ax.set_xlabel("Date")
    ax.set_title("P3: frontier training compute")
    date_axis(ax)
    ax.legend(loc="upper left")
    p3 = stats[stats["pattern"] == "P3"]
    labels, k = [], 0
    for y, g in p3.groupby("year"):
        v = g["value"].dropna().to_numpy(float)
        if v.size:
            med, lo, hi = np.quantile(v, [0.5, 0.05, 0.95])
            ax2.errorbar([k], [med], yerr=[[med - lo], [hi - med]], fmt="o", color=REGION_COLORS["US"], capsize=2)
            labels.append(f"sim.\n{GROWTH_START_YEAR}-{str(y)[2:]}")
            k += 1
    for t in targets.trend.itertuples(index=False):
        ax2.errorbar([k], [t.growth], yerr=[[t.growth - t.lo], [t.hi - t.growth]], fmt="s", color=NEUTRAL, capsize=2)
        labels.append(str(t.method).replace("epoch_", "").replace("_", "\n"))
        k += 1
    ax2.axhspan(*EPOCH_GROWTH_BAND, color="#999999", alpha=0.15, lw=0, label="Epoch 4-5x/yr")
    ax2.set_xticks(range(k), [x.replace("\n", " ") for x in labels] if width == "single" else labels,
                   fontsize=6, rotation=0 if width == "double" else 30, ha="center" if width == "double" else "right")
    ax2.set_yscale("log")
    from matplotlib.ticker import FixedLocator, NullFormatter, ScalarFormatter

    ticks = [t for t in (1, 1.5, 2, 3, 4, 5, 6, 8, 10) if ax2.get_ylim()[0] <= t <= ax2.get_ylim()[1]]
    ax2.yaxis.set_major_locator(FixedLocator(ticks))
    ax2.yaxis.set_major_formatter(ScalarFormatter())
    ax2.yaxis.set_minor_formatter(NullFormatter())
    ax2.set_ylabel("Growth per year (x)")
    ax2.set_title("Fitted growth (90% intervals)")
    ax2.legend(loc="upper left")
    caption(fig, f"aieco, scenario '{name}'. Simulated: log10 physical FLOP of the largest current release; growth "
                 "= 10^slope of an OLS fit from 2022-01. Empirical: Epoch AI notable and large-scale models "
                 "(CC BY 4.0), fits 2018-2025; Epoch (2024) 4-5x per year. Grey: 2025, held out.")
    return fig



def fig_eci(ts: pd.DataFrame, stats: pd.DataFrame, monthly: pd.DataFrame, name: str = "", width: str = "double"):
    """P5-P7 against Epoch's ECI: the yearly share of months whose best open-weight model is Chinese (simulated
    median and 5-95% interval vs empirical), and the monthly open-closed and US-China lags (simulated median and
    bands vs Epoch's month-end running-maximum lags)."""
    from sim.plots.style import NEUTRAL, REGION_COLORS, STRATEGY_COLORS, band, caption, date_axis, figure

    double = width == "double"
    fig, axes = figure(width, 0.36 if double else 2.1, 1 if double else 3, 3 if double else 1)
    ax = axes[0]
    p5 = stats[stats["pattern"] == "P5"]
    for k, y in enumerate(sorted(p5["year"].unique())):
        v = p5[p5["year"] == y]["value"].dropna().to_numpy(float)
        if v.size:
            med, lo, hi = np.quantile(v, [0.5, 0.05, 0.95])
            ax.errorbar([y - 0.1], [med], yerr=[[med - lo], [hi - med]], fmt="o", color=REGION_COLORS["CN"],
                        capsize=2, label="Simulated (median, 5-95%)" if k == 0 else None)
    m = monthly.assign(year=monthly["month"].str[:4].astype(int))
    emp = m[m["year"].isin(ECI_YEARS)].groupby("year")["best_open_region"].apply(lambda r: float((r == "CN").mean()))
    ax.plot(emp.index + 0.1, emp.to_numpy(), "s", color=NEUTRAL, ms=4, label="Epoch ECI")
    ax.set_xticks(list(ECI_YEARS))
    ax.set_ylim(-0.05, 1.05)
    ax.set_ylabel("Share of months")
    ax.set_title("P5: best open model is Chinese", loc="left")
    ax.legend(loc="upper left", fontsize="x-small")
    emp_dates = pd.to_datetime(monthly["month"] + "-15")
    window = ts[(ts["date"] >= "2023-01") & (ts["date"] <= "2025-12")]
    for ax, col, emp_col, color, title in (
            (axes[1], "open_closed_lag_months", "open_closed_lag_months", STRATEGY_COLORS["open"],
             "P6: open behind closed (ECI)"),
            (axes[2], "us_cn_gap_months", "us_cn_lag_months", REGION_COLORS["CN"], "P7: China behind the US (ECI)")):
        band(ax, window, col, color=color, label="Simulated (median, 50/90%)")
        ax.plot(emp_dates, monthly[emp_col], color=NEUTRAL, lw=1.2, label="Epoch ECI, running max")
        ax.axhline(0, color=NEUTRAL, lw=0.6)
        ax.axvspan(pd.Timestamp("2025-01-01"), pd.Timestamp("2025-12-31"), color="#999999", alpha=0.10, lw=0)
        ax.set_ylabel("Lag (months)")
        ax.set_title(title, loc="left")
        date_axis(ax)
        ax.legend(loc="upper left", fontsize="x-small")
    n = int(ts["replication"].nunique()) if "replication" in ts else 1
    caption(fig, f"aieco, scenario '{name}', {n} replications. Empirical: Epoch AI, Epoch Capabilities Index "
                 "(2025-12, CC BY 4.0): month-end running maxima; a lag is the months since the leader's running "
                 "maximum first reached the follower's. Grey: 2025, held out. 2023 is censored by the file's start.")
    return fig



def draw_validation_figures(ts: pd.DataFrame, stats: pd.DataFrame, targets: Targets, out_dir: str | Path,
                            name: str = "", formats: Sequence[str] = ("png", "pdf"), provenance: dict | None = None,
                            width: str = "double") -> list[Path]:
    """Draw the P1, P2 and P3 figures into ``out_dir`` (``validation_p1_<width>.png`` etc.) and, when the targets
    have the ECI tables and ``stats`` the P5 rows, the P5-P7 figure ``validation_eci_<width>``, with provenance
    sidecars via :func:`sim.plots.style.save`. Returns the written paths."""
    from sim.plots.style import save

    out = Path(out_dir)
    prov = provenance if provenance is not None else {}
    paths: list[Path] = []
    paths += save(fig_p1(stats, targets, name, width), out / f"validation_p1_{width}", formats, prov)
    paths += save(fig_p2(ts, targets, name, width), out / f"validation_p2_{width}", formats, prov)
    paths += save(fig_p3(ts, stats, targets, name, width), out / f"validation_p3_{width}", formats, prov)
    monthly = load_eci_monthly(targets.source) if targets.source else None
    if monthly is not None and (stats["pattern"] == "P5").any():
        paths += save(fig_eci(ts, stats, monthly, name, width), out / f"validation_eci_{width}", formats, prov)
    return paths
