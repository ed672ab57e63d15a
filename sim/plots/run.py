"""Figures of one scenario run (one or many replications), from the run's tables.

Each function takes the stacked time-series table (``timeseries.parquet``: one row per replication and
month) and returns a matplotlib Figure; :func:`draw_run_figures` draws them all for a results folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from sim import REGIONS
from sim.plots.style import (
    NEUTRAL,
    REGION_COLORS,
    REGION_LABELS,
    STRATEGY_COLORS,
    STRATEGY_HATCH,
    STRATEGY_STYLES,
    band,
    caption,
    date_axis,
    figure,
    save,
    to_dates,
)
from sim.provenance import file_sha256


def _reps(ts: pd.DataFrame) -> int:
    return int(ts["replication"].nunique()) if "replication" in ts else 1


def _cap(ts: pd.DataFrame, name: str, extra: str = "") -> str:
    n = _reps(ts)
    spread = "median and 50%/90% bands across" if n > 1 else "one"
    return f"aieco, scenario '{name}', {spread} {n} replication{'s' if n > 1 else ''}. {extra}".strip()


def fig_open_share(ts: pd.DataFrame, name: str = "", width: str = "double"):
    """Share of each region's labs whose current model is open-weight, over time (y: 0..1)."""
    fig, ax = figure(width, 0.5)
    for r in REGIONS:
        if ts[f"open_share_{r}"].notna().any():
            band(ax, ts, f"open_share_{r}", color=REGION_COLORS[r], label=REGION_LABELS[r])
    ax.set_ylim(-0.02, 1.02)
    ax.set_ylabel("Labs with open-weight current model (share)")
    ax.set_xlabel("Date")
    ax.set_title("Open-weight share of labs by region")
    date_axis(ax)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    caption(fig, _cap(ts, name))
    return fig


def fig_frontier(ts: pd.DataFrame, name: str = "", width: str = "double"):
    """Frontier capability by region and by strategy (log10 effective FLOP), and the open-closed lag (months)."""
    fig, (ax, ax2) = figure(width, 0.42 if width == "double" else 1.1, 1 if width == "double" else 2,
                            2 if width == "double" else 1)
    for r in REGIONS:
        band(ax, ts, f"frontier_{r}", color=REGION_COLORS[r], label=REGION_LABELS[r], bands=(0.9,))
    for s in ("open", "closed"):
        band(ax, ts, f"frontier_{s}", color=NEUTRAL, ls=STRATEGY_STYLES[s] if s == "closed" else ":",
             label=f"Best {s} model", bands=())
    ax.set_ylabel("Capability (log10 effective FLOP)")
    ax.set_title("Frontier capability")
    date_axis(ax)
    ax.legend(loc="upper left", ncols=1)
    band(ax2, ts, "open_closed_lag_months", color=STRATEGY_COLORS["open"], label="Open behind closed")
    band(ax2, ts, "us_cn_gap_months", color=REGION_COLORS["CN"], label="China behind US", ls="--")
    ax2.axhline(0, color=NEUTRAL, lw=0.6)
    ax2.axhspan(5, 22, color="#999999", alpha=0.12, lw=0, label="Epoch: open lag 5-22 months")
    last = ts[ts["month"] == ts["month"].max()]
    lag = float(np.nanmedian(last["open_closed_lag_months"]))
    if np.isfinite(lag):
        ax2.annotate(f"{lag:.0f} months", xy=(to_dates([last["date"].iloc[0]])[0], lag), xytext=(-4, 6),
                     textcoords="offset points", ha="right", fontsize=7, color=STRATEGY_COLORS["open"])
    ax2.set_ylabel("Lag (months)")
    ax2.set_title("Capability lags")
    date_axis(ax2)
    ax2.legend(loc="upper left")
    caption(fig, _cap(ts, name, "Capability = log10 of training FLOP x algorithmic efficiency (2022-01 = 1). "
                      "Lag range: Epoch AI, 'How far behind are open models?' (2024)."))
    return fig


def fig_adoption(ts: pd.DataFrame, name: str = "", width: str = "double"):
    """Developer adoption shares by lab region x strategy, stacked areas (median across replications,
    renormalised to sum to 1)."""
    cols = [(r, s) for r in REGIONS for s in ("closed", "open")]
    med = ts.groupby("date")[[f"adopt_{r}_{s}" for r, s in cols]].median()
    med = med.div(med.sum(axis=1), axis=0)
    fig, ax = figure(width, 0.5)
    dates = to_dates(med.index)
    polys = ax.stackplot(dates, *[med[f"adopt_{r}_{s}"].to_numpy() for r, s in cols],
                         colors=[REGION_COLORS[r] for r, _ in cols], alpha=0.9, lw=0.3, edgecolor="white",
                         labels=[f"{REGION_LABELS[r]}, {s}" for r, s in cols])
    for p, (_, s) in zip(polys, cols, strict=True):
        p.set_hatch(STRATEGY_HATCH[s])
        if s == "open":
            p.set_alpha(0.55)
    ax.set_ylim(0, 1)
    ax.set_xlim(dates.iloc[0], dates.iloc[-1])
    ax.set_ylabel("Share of developers")
    ax.set_xlabel("Date")
    ax.set_title("Which models developers build on (lab region x strategy)")
    date_axis(ax)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), reverse=True)
    caption(fig, _cap(ts, name, "Closed models hatched; medians renormalised to sum to 1."))
    return fig


def fig_compute(ts: pd.DataFrame, name: str = "", width: str = "double"):
    """Compute held by each region's labs (H100-equivalents, log scale)."""
    fig, ax = figure(width, 0.5)
    for r in REGIONS:
        band(ax, ts, f"compute_{r}", color=REGION_COLORS[r], label=REGION_LABELS[r])
    ax.set_yscale("log")
    ax.set_ylabel("Compute (H100-equivalents)")
    ax.set_xlabel("Date")
    ax.set_title("Compute by region")
    date_axis(ax)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    caption(fig, _cap(ts, name, "H100e = 989 TFLOP/s dense BF16."))
    return fig


RUN_FIGURES = {"open_share": fig_open_share, "frontier": fig_frontier, "adoption": fig_adoption,
               "compute": fig_compute}
"""Figure name -> function(timeseries, scenario name, width) for a run folder."""


def draw_run_figures(results_dir: str | Path, formats: tuple[str, ...] = ("png", "pdf"), width: str = "double",
                     out_dir: str | Path | None = None) -> list[Path]:
    """Draw every run figure for a run folder (``timeseries.parquet`` + ``manifest.json``) into
    ``out_dir`` (default: ``results_dir/figures``), each with a provenance sidecar. Returns written paths.

    Raises FileNotFoundError when the folder lacks the tables."""
    results_dir = Path(results_dir)
    ts_path, man_path = results_dir / "timeseries.parquet", results_dir / "manifest.json"
    for p in (ts_path, man_path):
        if not p.is_file():
            raise FileNotFoundError(f"{results_dir}: not a run folder ({p.name} missing)")
    ts = pd.read_parquet(ts_path)
    manifest = json.loads(man_path.read_text())
    from sim.provenance import base_manifest

    prov = {**{k: v for k, v in base_manifest("figure").items() if k in ("command", "versions", "git", "created")},
            "results": str(results_dir), "manifest_sha256": file_sha256(man_path), "seeds": manifest.get("seeds")}
    name = manifest.get("scenario", {}).get("name", "")
    out = Path(out_dir) if out_dir else results_dir / "figures"
    paths: list[Path] = []
    for key, fn in RUN_FIGURES.items():
        paths += save(fn(ts, name, width), out / f"{key}_{width}", formats, prov)
    return paths
