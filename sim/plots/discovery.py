"""Figures of a scenario discovery (``aieco discover``), from its tables, in the shared style.

- :func:`fig_tradeoff`: coverage against density of every candidate box (PRIM's peeling trajectory, or
  CART's leaves), coloured by the number of restricted factors, the density threshold and the chosen box;
- :func:`fig_box_limits`: the chosen box's limits on each restricted factor, drawn on the factor's range in
  the sweep, with the quasi-p-values; levers and uncertainties told apart;
- :func:`fig_feature_scores`: the extra-trees score of every factor, levers hatched.

:func:`draw_discovery_figures` draws them all for a discovery folder (``aieco figures`` calls it).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.plots.sensitivity import _height, _labels
from sim.plots.style import NEUTRAL, SEQUENTIAL_CMAP, caption, figure, provenance, save

ROLE_COLORS = {"uncertainty": "#0072B2", "lever": "#E69F00"}
"""Uncertainties blue, levers orange (Okabe-Ito); levers are also hatched, so they differ in greyscale."""
ROLE_HATCH = {"uncertainty": "", "lever": "////"}
ROLE_LABELS = {"uncertainty": "uncertainty", "lever": "policy lever"}


def _rate(manifest: dict) -> str:
    n, k = manifest.get("cases"), manifest.get("cases_of_interest")
    return f"{k} of {n} runs ({k / n:.0%})" if n and k is not None else "the runs"


def _condition(manifest: dict) -> str:
    return manifest.get("where", "")


def fig_tradeoff(candidates: pd.DataFrame, manifest: dict, width: str = "double"):
    """Coverage (x) against density (y) of each candidate box, coloured by its number of restricted factors
    (viridis); PRIM's trajectory joined in peeling order, boxes made by dropping insignificant restrictions
    hollow; the density threshold dashed, the share of all runs of interest dotted; the chosen box ringed."""
    method = manifest.get("method", "prim")
    threshold = (manifest.get("options") or {}).get("threshold")
    fig, ax = figure(width, 0.62 if width == "double" else 0.85)
    c = candidates.sort_values("id") if method == "prim" else candidates
    pruned = c["pruned"].astype(bool) if "pruned" in c else pd.Series(False, index=c.index)
    if method == "prim":
        ax.plot(c.loc[~pruned, "coverage"], c.loc[~pruned, "density"], color="#BBBBBB", lw=0.7, zorder=1)
    size = 14 if width == "double" else 9
    import matplotlib as mpl

    top = max(1, int(c["res_dim"].max()))
    norm = mpl.colors.BoundaryNorm(np.arange(-0.5, top + 1.5), mpl.colormaps[SEQUENTIAL_CMAP].N)
    cmap = mpl.colormaps[SEQUENTIAL_CMAP]
    ax.scatter(c.loc[~pruned, "coverage"], c.loc[~pruned, "density"], s=size, c=c.loc[~pruned, "res_dim"], cmap=cmap,
               norm=norm, zorder=2, lw=0.3, edgecolor="white")
    if pruned.any():
        ax.scatter(c.loc[pruned, "coverage"], c.loc[pruned, "density"], s=size * 2.5, facecolor="none", zorder=2,
                   edgecolor=cmap(norm(c.loc[pruned, "res_dim"].to_numpy())), lw=1.0, label="after dropping "
                   f"restrictions\nwith qp > {(manifest.get('options') or {}).get('qp_max', 0.05):g}")
        ax.legend(loc="lower left", fontsize="x-small")
    cb = fig.colorbar(mpl.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, shrink=0.8, pad=0.02,
                      ticks=range(0, top + 1, max(1, (top + 1) // 6)))
    cb.set_label("restricted factors")
    ch = c[c["chosen"].astype(bool)].iloc[0]
    ax.scatter([ch["coverage"]], [ch["density"]], s=110, facecolor="none", edgecolor="black", lw=1.1, zorder=3)
    what = "box" if method == "prim" else "leaf"
    ax.annotate(f"chosen {what} {int(ch['id'])}: coverage {ch['coverage']:.2f},\ndensity {ch['density']:.2f}, "
                f"mass {ch['mass']:.2f}", (ch["coverage"], ch["density"]), xytext=(-14, -26), textcoords="offset points",
                ha="right", va="top", fontsize="small" if width == "double" else "x-small", zorder=4,
                bbox=dict(facecolor="white", edgecolor="none", alpha=0.85, pad=1.5),
                arrowprops=dict(arrowstyle="-", color=NEUTRAL, lw=0.6))
    if threshold is not None:
        ax.axhline(threshold, color=NEUTRAL, ls="--", lw=0.8)
        ax.text(0.01, threshold, f" density threshold {threshold:g}", transform=ax.get_yaxis_transform(), va="bottom",
                fontsize="x-small", color=NEUTRAL)
    base = (manifest.get("cases_of_interest") or 0) / max(1, manifest.get("cases") or 1)
    ax.axhline(base, color=NEUTRAL, ls=":", lw=0.8)
    ax.text(0.01, base, f" share of all runs of interest {base:.2f}", transform=ax.get_yaxis_transform(),
            va="bottom", fontsize="x-small", color=NEUTRAL)
    ax.set_xlim(-0.02, 1.05)
    ax.set_ylim(0, 1.06)
    ax.set_xlabel("Coverage: share of the cases of interest inside the box")
    ax.set_ylabel("Density: share of the box's\nruns that are of interest")
    title = "PRIM peeling trajectory" if method == "prim" else "CART leaves"
    ax.set_title(f"{title}: where does '{_condition(manifest)}' happen?" if width == "double" else title, loc="left")
    caption(fig, f"aieco discover on sweep '{manifest.get('name', '')}': {_rate(manifest)} meet "
                 f"'{_condition(manifest)}'. "
                 + ("Each point is a box on PRIM's peeling trajectory (EMA Workbench), from the whole input space "
                    "(coverage 1) inwards; " if method == "prim" else "Each point is a leaf of a CART tree "
                                                                       "(EMA Workbench / scikit-learn); ")
                 + f"the chosen {what} has the highest coverage among those at or above the density threshold"
                 + (", with the restrictions whose quasi-p-values all exceed "
                    f"{(manifest.get('options') or {}).get('qp_max', 0.05):g} then dropped (hollow)."
                    if "pruned" in candidates and candidates["pruned"].astype(bool).any() else "."))
    return fig


def fig_box_limits(limits: pd.DataFrame, manifest: dict, width: str = "double"):
    """The chosen box on each restricted factor: the factor's range in the sweep (grey, 0 to 1), the box's
    part of it (coloured by role: uncertainty or lever), its limits as numbers and the quasi-p-value of each
    restricted side. Unrestricted factors are named in the caption."""
    r = limits[limits["restricted"].astype(bool)].copy()
    if "qp_lower" in r:
        r["_qp"] = r[["qp_lower", "qp_upper"]].min(axis=1).fillna(1.0)
        r = r.sort_values("_qp", kind="stable")
    n = max(1, len(r))
    fig, ax = figure(width, _height(n, width, extra=1.4) * 1.4)
    labels = _labels(list(r["factor"]), width)
    y = np.arange(len(r))[::-1]
    for yi, row in zip(y, r.itertuples(), strict=True):
        col = ROLE_COLORS.get(row.role, NEUTRAL)
        ax.plot([0, 1], [yi, yi], color="#CCCCCC", lw=5, solid_capstyle="butt", zorder=1)
        if row.type == "categorical":
            ax.text(0.5, yi, "{" + str(row.levels).replace("|", ", ") + "}", ha="center", va="center",
                    fontsize="x-small", color=col, zorder=3)
        else:
            span = (row.data_max - row.data_min) or 1.0
            a, b = (row.lower - row.data_min) / span, (row.upper - row.data_min) / span
            ax.barh(yi, b - a, left=a, height=0.5, color=col, hatch=ROLE_HATCH.get(row.role, ""), edgecolor="white",
                    lw=0.3, zorder=2)
            for v, q, pos, ok, ha in ((row.lower, row.qp_lower, a, row.restricted_lower, "right"),
                                      (row.upper, row.qp_upper, b, row.restricted_upper, "left")):
                if ok:
                    qp = f" (qp {q:.1g})" if q == q else ""
                    ax.text(pos + (-0.01 if ha == "right" else 0.01), yi + 0.3, f"{v:.3g}{qp}", ha=ha, va="bottom",
                            fontsize="x-small", color="black")
            ax.text(-0.01, yi, f"{row.data_min:.3g}", ha="right", va="center", fontsize="xx-small", color=NEUTRAL)
            ax.text(1.01, yi, f"{row.data_max:.3g}", ha="left", va="center", fontsize="xx-small", color=NEUTRAL)
    ax.set_yticks(y, [f"{lab}{' (lever)' if role == 'lever' else ''}" for lab, role in zip(labels, r["role"],
                                                                                           strict=True)])
    ax.set_ylim(-0.7, len(r) - 0.2 if len(r) else 0.7)
    ax.set_xlim(-0.12 if width == "double" else -0.22, 1.12)
    ax.set_xticks([0, 1], ["min in the sweep", "max in the sweep"])
    ax.grid(False)
    ax.spines["left"].set_visible(False)
    if not len(r):
        ax.text(0.5, 0, "no factor restricted: the box is the whole input space", ha="center", va="center",
                fontsize="small")
    box = manifest.get("box") or {}
    what = "PRIM box" if manifest.get("method", "prim") == "prim" else "CART leaf"
    stats = (f"coverage {box.get('coverage', float('nan')):.2f}, density {box.get('density', float('nan')):.2f}, "
             f"mass {box.get('mass', float('nan')):.2f}")
    ax.set_title(f"The chosen {what}: {stats}" if width == "double" else f"The chosen {what}\n{stats}", loc="left")
    ax.tick_params(axis="y", length=0)
    free = list(limits.loc[~limits["restricted"].astype(bool), "factor"])
    from matplotlib.patches import Patch

    roles = list(dict.fromkeys(r["role"])) or ["uncertainty"]
    if width == "double":  # on a single column the "(lever)" in the labels says it
        ax.legend([Patch(facecolor=ROLE_COLORS[k], hatch=ROLE_HATCH[k], edgecolor="white") for k in roles],
                  [ROLE_LABELS[k] for k in roles], loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=len(roles),
                  fontsize="x-small")
    caption(fig, f"'{_condition(manifest)}' on sweep '{manifest.get('name', '')}' ({_rate(manifest)}). Each bar is "
                 f"the box's part of the factor's range in the sweep, with its limits; quasi-p-values (qp) (one-sided binomial test, Bryant "
                 f"and Lempert 2010) say how likely the restriction's gain in density is by chance. "
                 + (f"Unrestricted: {', '.join(free)}." if free else "Every factor is restricted."))
    return fig


def fig_feature_scores(scores: pd.DataFrame, manifest: dict, width: str = "double"):
    """Extra-trees feature score of each factor for the condition (they sum to 1), sorted, levers hatched; the
    dotted line is an equal share (1 / number of factors)."""
    s = scores.sort_values("score", ascending=False)
    n = len(s)
    fig, ax = figure(width, _height(n, width, extra=1.3))
    y = np.arange(n)[::-1]
    for yi, score, role in zip(y, s["score"], s["role"], strict=True):
        ax.barh(yi, score, 0.65, color=ROLE_COLORS.get(role, NEUTRAL), hatch=ROLE_HATCH.get(role, ""),
                edgecolor="white", lw=0.3)
    ax.axvline(1 / n, color=NEUTRAL, ls=":", lw=0.8)
    ax.text(1 / n, n - 0.4, " equal share", fontsize="x-small", color=NEUTRAL, va="bottom")
    ax.set_yticks(y, _labels(list(s["factor"]), width))
    ax.set_ylim(-0.6, n - 0.1)
    ax.set_xlabel("Feature score (extra trees, impurity importance; sums to 1)")
    ax.grid(axis="y", visible=False)
    from matplotlib.patches import Patch

    roles = list(dict.fromkeys(s["role"]))
    ax.legend([Patch(facecolor=ROLE_COLORS[k], hatch=ROLE_HATCH[k], edgecolor="white") for k in roles],
              [ROLE_LABELS[k] for k in roles], loc="lower right", fontsize="x-small")
    ax.set_title(f"Which factors decide '{_condition(manifest)}'?" if width == "double" else "Feature scores",
                 loc="left")
    caption(fig, f"aieco discover on sweep '{manifest.get('name', '')}' ({_rate(manifest)} of interest). Score of "
                 f"each factor in an extra-trees classifier of the condition ({(manifest.get('options') or {}).get('n_trees', '')} "
                 f"trees, EMA Workbench's get_ex_feature_scores): a first look at which inputs matter at all, "
                 f"before the box says where.")
    return fig


def draw_discovery_figures(results_dir: str | Path, formats: tuple[str, ...] = ("png", "pdf"), width: str = "double",
                           out_dir: str | Path | None = None) -> list[Path]:
    """Draw the trade-off, box-limits and feature-score figures of a discovery folder (``aieco discover``
    output) into ``out_dir`` (default ``results_dir/figures``) as ``discovery_<figure>_<width>.<format>``,
    each with a provenance sidecar. Returns the written paths. Raises sim.analysis.discovery.DiscoveryError for a
    folder that is not a discovery folder."""
    from sim.analysis.discovery import load_discovery

    results_dir = Path(results_dir)
    manifest, t = load_discovery(results_dir)
    out = Path(out_dir) if out_dir else results_dir / "figures"
    prov = provenance(results_dir, manifest, where=manifest.get("where"), method=manifest.get("method"),
                      sweep=manifest.get("sweep"), sweep_manifest_sha256=manifest.get("sweep_manifest_sha256"))
    paths: list[Path] = []
    paths += save(fig_tradeoff(t["candidates"], manifest, width), out / f"discovery_tradeoff_{width}", formats, prov)
    paths += save(fig_box_limits(t["limits"], manifest, width), out / f"discovery_box_limits_{width}", formats, prov)
    paths += save(fig_feature_scores(t["scores"], manifest, width), out / f"discovery_feature_scores_{width}", formats,
                  prov)
    return paths


__all__ = ["draw_discovery_figures", "fig_box_limits", "fig_feature_scores", "fig_tradeoff"]
