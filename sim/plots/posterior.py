"""Figures of an ABC-SMC calibration (:mod:`sim.analysis.abcsmc`): diagnostics by generation and marginal posteriors."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from sim.plots.style import NEUTRAL, POSITIVE, caption, figure, save


def fig_abc_diagnostics(generations: pd.DataFrame, population: int, width: str = "double",
                        posterior_t: int | None = None, min_ess: int = 100):
    """Three panels by generation ``t``: effective sample size (with the population and the floor ``min_ess``),
    acceptance rate (log scale) and epsilon (log scale); ``posterior_t`` (the generation the ensemble is, see
    :func:`sim.analysis.abcsmc.posterior_generation`) is ringed in each. ``generations``: :func:`sim.analysis.abcsmc.generation_table`."""
    double = width == "double"
    fig, axes = figure(width, 0.32 if double else 1.9, 1 if double else 3, 3 if double else 1)
    t = generations["t"].to_numpy()
    ax = axes[0]
    ax.plot(t, generations["ess"], "o-", color=POSITIVE)
    ax.axhline(population, color=NEUTRAL, ls=":", lw=0.8, label=f"population {population}")
    if min_ess > 1:  # a floor of 1 is the theory test's rule: the last generation
        ax.axhline(min_ess, color=NEUTRAL, ls="--", lw=0.8, label=f"floor {min_ess}")
    ax.set_ylim(0, population * 1.75)  # room above the population line for the legend
    ax.set_title("Effective sample size", loc="left")
    ax.legend(loc="upper right", fontsize="x-small")
    axes[1].plot(t, generations["acceptance"], "o-", color=POSITIVE)
    axes[1].set_yscale("log")
    axes[1].set_title("Acceptance rate", loc="left")
    axes[2].plot(t, generations["epsilon"], "o-", color=POSITIVE)
    axes[2].set_yscale("log")
    axes[2].set_title("Epsilon (distance threshold)", loc="left")
    for ax, col in zip(axes, ("ess", "acceptance", "epsilon"), strict=True):
        ax.set_xlabel("Generation")
        ax.set_xticks(t)
        if posterior_t is not None and (generations["t"] == posterior_t).any():
            y = float(generations.loc[generations["t"] == posterior_t, col].iloc[0])
            ax.plot([posterior_t], [y], "o", ms=10, mfc="none", mec="black", mew=1.0,
                    label="posterior generation" if col == "ess" else None)
    if posterior_t is not None:
        axes[0].legend(loc="upper right", fontsize="x-small")
    rule = f"the last with an ESS of at least {min_ess}" if min_ess > 1 else "the last generation"
    post = f" Ringed: generation {posterior_t}, the posterior ({rule})." if posterior_t is not None else ""
    caption(fig, f"aieco ABC-SMC (pyabc): population {population}, {len(t)} generations.{post} Epsilon: median of the "
                 "previous generation's distances; distance: root of the sum over patterns of the mean squared "
                 "z-score against the empirical uncertainty (sim.analysis.abcsmc).")
    return fig


def fig_marginals(ensemble: pd.DataFrame, parameters: Sequence[dict], width: str = "double", bins: int = 20,
                  generation: int | None = None):
    """One panel per parameter: the weighted posterior histogram (density) against the uniform prior, with the
    weighted median and 90% interval. ``parameters``: dicts with path, lower, upper (the ensemble file's)."""
    from sim.analysis.abcsmc import weighted_quantiles

    n = len(parameters)
    ncols = min(3, n) if width == "double" else min(2, n)
    nrows = int(np.ceil(n / ncols))
    fig, axes = figure(width, 0.3 * nrows * (3 / ncols), nrows, ncols, squeeze=False)
    w = ensemble["weight"].to_numpy(float)
    for k, p in enumerate(parameters):
        ax = axes[k // ncols][k % ncols]
        x = ensemble[p["path"]].to_numpy(float)
        lo, hi = float(p["lower"]), float(p["upper"])
        ax.hist(x, bins=np.linspace(lo, hi, bins + 1), weights=w, density=True, color=POSITIVE, alpha=0.6,
                label="posterior")
        ax.hlines(1.0 / (hi - lo), lo, hi, color=NEUTRAL, ls="--", lw=1.0, label="prior (uniform)")
        q05, med, q95 = weighted_quantiles(x, w, [0.05, 0.5, 0.95])
        ax.axvline(med, color="black", lw=1.0)
        ax.axvspan(q05, q95, color=POSITIVE, alpha=0.12, lw=0)
        ax.set_title(p["path"], loc="left", fontsize="small")
        ax.set_xlim(lo, hi)
        if k == 0:
            ax.legend(loc="upper right", fontsize="x-small")
    for k in range(n, nrows * ncols):
        axes[k // ncols][k % ncols].set_visible(False)
    which = f"generation {generation}" if generation is not None else "the posterior generation"
    caption(fig, f"aieco ABC-SMC: weighted posterior ({which}, bars) against the uniform prior on the "
                 "parameter's plausible range (dashed); line: weighted median, band: 90% interval.")
    return fig


def draw_abc_figures(generations: pd.DataFrame, ensemble: pd.DataFrame, parameters: Sequence[dict],
                     population: int, out_dir: str | Path, formats: Sequence[str] = ("png", "pdf"),
                     provenance: dict | None = None, width: str = "double", posterior_t: int | None = None,
                     min_ess: int = 100) -> list[Path]:
    """Write ``abc_diagnostics_<width>`` and ``abc_marginals_<width>`` (with provenance sidecars) into
    ``out_dir``; ``posterior_t``: the generation ``ensemble`` is. Returns the paths."""
    out = Path(out_dir)
    prov = provenance or {}
    paths = save(fig_abc_diagnostics(generations, population, width, posterior_t, min_ess),
                 out / f"abc_diagnostics_{width}", formats, prov)
    paths += save(fig_marginals(ensemble, parameters, width, generation=posterior_t), out / f"abc_marginals_{width}",
                  formats, prov)
    return paths
