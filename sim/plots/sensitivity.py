"""Figures of a sensitivity analysis (``aieco sensitivity``), from its tidy tables, in the shared style.

- :func:`fig_sobol`: per output, S1 and ST bars with bootstrap intervals, parameters sorted by ST, the
  replication-noise floor of ST, and the moment-independent second opinion (PAWN or delta) beside it with
  its dummy-input floor;
- :func:`fig_morris`: per output, mu* bars with intervals and the mu*-sigma plane with the usual
  sigma/mu* = 0.1, 0.5, 1 lines (linear, monotonic, non-linear or interacting effects);
- :func:`fig_convergence`: per output, the indices at N/8, N/4, N/2 and N (Morris: trajectories) with
  their intervals, and the verdict of the convergence check;
- :func:`fig_overview`: every output at once: ST (Morris: mu* relative to the output's largest) as a map.

:func:`draw_sensitivity_figures` draws them all for a results folder (``aieco figures`` calls it).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.provenance import file_sha256
from sim.plots.style import NEUTRAL, caption, figure, save, short_metric_label

ST_COLOR, S1_COLOR = "#56B4E9", "#0072B2"
"""Total (light) and first-order (dark) Sobol' indices: told apart by lightness, so also in greyscale."""
SECOND_COLOR = "#E69F00"
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]
LINESTYLES = ["-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)), "-", "--"]
MAX_BARS = 25
"""At most this many parameters per bar chart (the rest are summarised in the caption)."""
MAX_LINES = 6
"""Parameters drawn in colour in a convergence plot (the most influential); the others in grey."""


def _out_label(output: str, meta: dict) -> str:
    """A title-sized name of an output, e.g. ``us_cn_gap_months_mean12`` -> "US-China gap (months,
    last-12-month mean)"; unitless shares get no unit."""
    unit = (meta.get(output) or [None])[0]
    notes = [u for u in (unit if unit and unit not in ("1", "share", "0..1") else None,
                         "last-12-month mean" if output.endswith("_mean12") else None) if u]
    return short_metric_label(output) + (f" ({', '.join(notes)})" if notes else "")


def _height(n: int, width: str, extra: float = 1.2) -> float:
    """Aspect (height / width) of a bar chart with ``n`` bars."""
    w = 7.0 if width == "double" else 3.5
    per = 0.19 if width == "double" else 0.16
    return (extra + per * n) / w


def _report(reports: pd.DataFrame, output: str) -> dict:
    if reports is None or reports.empty or output not in set(reports["output"]):
        return {}
    return reports.set_index("output").loc[output].to_dict()


def _fmt_verdict(rep: dict, short: bool = False) -> str:
    v = rep.get("verdict") or "n/a"
    w = rep.get("warnings")
    w = w if isinstance(w, str) and w else ""
    if v == "converged" or not w:
        return f"Convergence check: {v}"
    if short:
        return f"Convergence check: {v} ({w.count(' | ') + 1} warning(s): see the convergence figure)"
    return f"Convergence check: {v} ({w})"


def _shorten(names: list[str], n: int) -> list[str]:
    return [x if len(x) <= n else "…" + x[-(n - 1):] for x in names]


def _labels(names: list[str], width: str) -> list[str]:
    """Parameter labels: full paths on a full-page figure; on a single column without the section
    (``labs.``, ``market.``...), which the other parameters' names make clear, and at most 24 characters."""
    if width == "double":
        return _shorten(names, 38)
    short = [x.split(".", 1)[1] if "." in x and x.split(".", 1)[0] in _SECTIONS else x for x in names]
    return _shorten([x.replace("_per_year", "").replace("_months", "") for x in short], 24)


_SECTIONS = {"compute", "labs", "developers", "market", "governments"}


def _max_bars(width: str) -> int:
    return MAX_BARS if width == "double" else 12


def fig_sobol(indices: pd.DataFrame, output: str, reports: pd.DataFrame | None = None, meta: dict | None = None,
              width: str = "double", name: str = ""):
    """S1 and ST of ``output`` with their intervals (bars sorted by ST) and, when present, the second opinion
    (PAWN or delta) with its dummy-input floor: a panel beside the bars on a full-page figure, markers on
    the bars on a single column. The dashed line is the replication noise share of the variance: every ST
    carries about this much of it, so an ST near it means 'no effect'."""
    meta = meta or {}
    rep = _report(reports, output)
    d = indices[(indices["output"] == output) & (indices["method"] == "sobol")]
    s1 = d[d["index"] == "S1"].set_index("parameter")
    st = d[d["index"] == "ST"].set_index("parameter")
    order = list(st.sort_values("value", ascending=False).index)
    shown = order[:_max_bars(width)]
    sec = indices[(indices["output"] == output) & indices["method"].isin(["pawn", "delta"])]
    methods = list(dict.fromkeys(sec["method"]))
    n = len(shown)
    beside = bool(methods) and width == "double"
    if beside:
        fig, axes = figure(width, _height(n, width), ncols=1 + len(methods),
                           gridspec_kw={"width_ratios": [2.2] + [1] * len(methods)}, sharey=True)
        ax, axs2 = axes[0], list(axes[1:])
    else:
        fig, ax = figure(width, _height(n, width, extra=1.6 if width == "single" else 1.2))
        axs2 = []
    y = np.arange(n)[::-1]
    noise = rep.get("noise_share")
    _sobol_bars(ax, s1, st, shown, noise)
    if methods and not beside:  # single column: the second opinion as markers on the same 0..1 axis
        for m, mk in zip(methods, ("D", "o"), strict=False):
            g = sec[sec["method"] == m].set_index("parameter").reindex(shown)
            ax.scatter(g["value"], y, marker=mk, s=12, color=SECOND_COLOR, edgecolor="black", lw=0.4, zorder=4,
                       label="PAWN (distribution)" if m == "pawn" else "delta (distribution)")
    ax.set_yticks(y, _labels(shown, width))
    lo = min(0.0, float(np.nanmin(d["ci_low"]))) - 0.02
    hi = max(0.1, float(np.nanmax(d["ci_high"])) * 1.05)
    ax.set_xlim(lo, min(hi, 1.1))
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_xlabel("Sobol' index (share of output variance)")
    ax.set_title("Variance-based: S1 and ST" if beside else f"What drives {_out_label(output, meta)}", loc="left")
    if beside:
        ax.legend(loc="best", fontsize="small")
    else:
        ax.legend(loc="lower right", fontsize="small")  # bars are sorted: the lower right is empty
    ax.grid(axis="y", visible=False)
    for ax2, m in zip(axs2, methods if beside else [], strict=True):
        _second_opinion_panel(ax2, sec[sec["method"] == m].set_index("parameter"), m, shown)
    if beside:
        fig.suptitle(f"What drives {_out_label(output, meta)}", x=0.0, ha="left", fontsize="medium")
    caption(fig, _sobol_caption(d, sec, methods, rep, name, beside, len(order) - n))
    return fig


def _sobol_bars(ax, s1: pd.DataFrame, st: pd.DataFrame, shown: list[str], noise: float | None) -> None:
    """ST and S1 bars with their intervals, the zero line and the replication-noise share (dashed)."""
    y = np.arange(len(shown))[::-1]
    h = 0.38
    ax.barh(y + h / 2, st.loc[shown, "value"], h, color=ST_COLOR, edgecolor=S1_COLOR, lw=0.5, label="ST (total)")
    ax.errorbar(st.loc[shown, "value"], y + h / 2, xerr=st.loc[shown, "conf"], fmt="none", ecolor=NEUTRAL,
                elinewidth=0.7, capsize=1.5)
    ax.barh(y - h / 2, s1.loc[shown, "value"], h, color=S1_COLOR, label="S1 (first order)")
    ax.errorbar(s1.loc[shown, "value"], y - h / 2, xerr=s1.loc[shown, "conf"], fmt="none", ecolor=NEUTRAL,
                elinewidth=0.7, capsize=1.5)
    ax.axvline(0, color=NEUTRAL, lw=0.6)
    if noise is not None and np.isfinite(noise):
        ax.axvline(noise, color=NEUTRAL, ls="--", lw=0.8, label=f"replication noise ({noise:.2f})")


def _second_opinion_panel(ax2, g: pd.DataFrame, method: str, shown: list[str]) -> None:
    """PAWN or delta of the shown parameters with intervals, and the dummy input's upper bound (dotted)."""
    y = np.arange(len(shown))[::-1]
    vals = g.reindex(shown)
    ax2.barh(y, vals["value"], 0.6, color=SECOND_COLOR)
    ax2.errorbar(vals["value"], y, xerr=vals["conf"].clip(lower=0), fmt="none", ecolor=NEUTRAL, elinewidth=0.7,
                 capsize=1.5)
    xl = "PAWN (median KS distance)" if method == "pawn" else "Borgonovo's delta"
    if "(dummy)" in g.index:
        dv = float(g.at["(dummy)", "ci_high"])
        ax2.axvline(dv, color=NEUTRAL, ls=":", lw=0.9)
        xl += f"\ndotted: dummy input ({dv:.2f})"
    ax2.set_xlim(0, max(0.1, float(np.nanmax(g["ci_high"])) * 1.08))
    ax2.set_xlabel(xl)
    ax2.set_title("Moment-independent", loc="left")
    ax2.grid(axis="y", visible=False)


def _sobol_caption(d: pd.DataFrame, sec: pd.DataFrame, methods: list[str], rep: dict, name: str, beside: bool,
                   hidden: int) -> str:
    """The caption of :func:`fig_sobol`: design and N, intervals, parameters not shown, verdict, the second
    opinion's dummy floor, the noise line."""
    noise = rep.get("noise_share")
    more = f" {hidden} less influential parameters not shown." if hidden > 0 else ""
    nb = int(d["n"].max()) if len(d) else 0
    conf = float(d["conf_level"].iloc[0]) if len(d) else 0.95
    dummy = ""
    if methods:
        g = sec[sec["parameter"] == "(dummy)"]
        dummy = (" Second opinion (moment-independent, on the design's independent rows): "
                 + ("dotted line: a dummy input's upper bound; values below it mean no detectable effect."
                    if beside else
                    ", ".join(f"{'PAWN' if m == 'pawn' else 'delta'} of a dummy input {v:.2f} (values below: no "
                              f"detectable effect)"
                              for m, v in zip(g["method"], g["ci_high"], strict=True)) + "."))
    return (f"aieco sensitivity '{name}': Sobol' indices, Saltelli design, N = {nb} base samples; whiskers: "
            f"{conf:.0%} bootstrap intervals.{more} {_fmt_verdict(rep, short=True)}.{dummy}"
            + (" Dashed: replication noise share; an ST near it means no effect."
               if noise is not None and np.isfinite(noise) else ""))


def _morris_bars(ax, mus: pd.DataFrame, shown: list[str], numbered: dict[str, int], width: str,
                 floor: float | None) -> None:
    """mu* with its interval as sorted bars, the most influential numbered; the noise floor and twice it."""
    n = len(shown)
    y = np.arange(n)[::-1]
    ax.barh(y, mus.loc[shown, "value"], 0.6, color=S1_COLOR)
    ax.errorbar(mus.loc[shown, "value"], y, xerr=mus.loc[shown, "conf"], fmt="none", ecolor=NEUTRAL, elinewidth=0.7,
                capsize=1.5)
    labels = [f"{lab} [{numbered[p]}]" if p in numbered else lab for p, lab in zip(shown, _labels(shown, width),
                                                                                   strict=True)]
    ax.set_yticks(y, labels)
    ax.set_ylim(-0.7, n - 0.3)
    if floor is not None:
        ax.axvline(floor, color=NEUTRAL, ls="--", lw=0.8, label=f"noise alone ({floor:.3g})")
        ax.axvline(2 * floor, color=NEUTRAL, ls=":", lw=0.8, label="twice that")
        ax.legend(loc="lower right", fontsize="small")
    ax.set_xlabel("mu* (output change over a factor's range)")
    ax.set_title("Ranking: mean absolute effect", loc="left")
    ax.grid(axis="y", visible=False)


def _morris_plane(ax2, mus: pd.DataFrame, sig: pd.Series, numbered: dict[str, int], floor: float | None) -> float:
    """The mu*-sigma plane with the sigma/mu* = 0.1, 0.5 and 1 lines, groups (sigma undefined) on the axis and the
    numbered factors annotated. Returns the axes' limit."""
    x = mus["value"].to_numpy(float)
    s = sig.reindex(mus.index).to_numpy(float)
    top = max(float(np.nanmax(x)) if len(x) else 1.0, 1e-12)
    smax = float(np.nanmax(s)) if np.isfinite(s).any() else top
    lim = max(top, smax) * 1.1
    for r, lab in ((0.1, "0.1"), (0.5, "0.5"), (1.0, "1")):
        ax2.plot([0, lim], [0, r * lim], color="#999999", lw=0.6, ls=":")
        ax2.text(lim / max(r, 1.0) * 0.98, min(r, 1.0) * lim * 0.98, f"σ/μ* = {lab}", fontsize="x-small",
                 color="#777777", ha="right", va="top" if r >= 1 else "bottom")
    finite = np.isfinite(s)
    ax2.scatter(x[finite], s[finite], s=10, color=S1_COLOR, zorder=3)
    if (~finite).any():
        ax2.scatter(x[~finite], np.zeros((~finite).sum()), s=14, marker="|", color=NEUTRAL, zorder=3,
                    label="group (σ undefined)")
        ax2.legend(loc="upper left", fontsize="small")
    if floor is not None:
        ax2.axvline(floor, color=NEUTRAL, ls="--", lw=0.8)
    for p, k in numbered.items():
        px = float(mus.at[p, "value"])
        py = float(sig.get(p)) if np.isfinite(sig.get(p, np.nan)) else 0.0
        ax2.annotate(str(k), (px, py), xytext=(2.5, 2.5), textcoords="offset points", fontsize="x-small",
                     color="#000000", fontweight="bold")
    return lim


def fig_morris(indices: pd.DataFrame, output: str, reports: pd.DataFrame | None = None, meta: dict | None = None,
               width: str = "double", name: str = ""):
    """Morris screening of ``output``: mu* with its interval (bars, sorted) and the mu*-sigma plane with the
    sigma/mu* = 0.1, 0.5 and 1 lines; the 8 most influential factors are numbered in both panels. mu* is in
    output units per full range of the factor (unit cube). The dashed line is the mu* that replication
    noise alone gives (when the design has replications)."""
    meta = meta or {}
    rep = _report(reports, output)
    d = indices[(indices["output"] == output) & (indices["method"] == "morris")]
    mus = d[d["index"] == "mu_star"].set_index("parameter")
    sig = d[d["index"] == "sigma"].set_index("parameter")["value"]
    order = list(mus.sort_values("value", ascending=False).index)
    shown = order[:_max_bars(width)]
    numbered = {p: i + 1 for i, p in enumerate(order[:8])}
    n = len(shown)
    if width == "double":
        fig, (ax, ax2) = figure(width, max(_height(n, width), 0.5), ncols=2, gridspec_kw={"width_ratios": [1.3, 1]})
    else:  # single column: bars above, the mu*-sigma plane below
        fig, (ax, ax2) = figure(width, (0.16 * n + 3.6) / 3.5, nrows=2,
                                gridspec_kw={"height_ratios": [0.16 * n + 0.3, 2.2]})
    floor = rep.get("mu_star_floor")
    has_floor = floor is not None and np.isfinite(floor)
    _morris_bars(ax, mus, shown, numbered, width, floor if has_floor else None)
    lim = _morris_plane(ax2, mus, sig, numbered, floor if has_floor else None)
    ax2.set_xlim(0, lim)
    ax2.set_ylim(0, lim)
    ax2.set_box_aspect(1)
    ax2.set_anchor("N")
    ax2.set_xlabel("mu*")
    ax2.set_ylabel("sigma (spread of the effects)")
    ax2.set_title("Linear, monotonic or interacting?", loc="left")
    if width == "single":
        ax2.set_title("")
        ax.set_title(f"Morris screening of {_out_label(output, meta)}", loc="left")
    else:
        fig.suptitle(f"Morris screening of {_out_label(output, meta)}", x=0.0, ha="left", fontsize="medium")
    nb = int(d["n"].max()) if len(d) else 0
    conf = float(d["conf_level"].iloc[0]) if len(d) else 0.95
    more = f" {len(order) - n} less influential factors not shown." if len(order) > n else ""
    caption(fig, f"aieco sensitivity '{name}': Morris elementary effects over r = {nb} trajectories; whiskers: "
                 f"{conf:.0%} bootstrap intervals of mu*.{more} Numbers [1]-[8] mark the most influential in both "
                 f"panels; points above the σ/μ* = 1 line act non-linearly or through interactions."
                 + (" Dashed: the mu* replication noise alone gives; factors below the dotted line (twice it) are "
                    "indistinguishable from noise." if has_floor else "")
                 + f" {_fmt_verdict(rep, short=True)}.")
    return fig


def fig_convergence(convergence: pd.DataFrame, output: str, design: str, reports: pd.DataFrame | None = None,
                    meta: dict | None = None, width: str = "double", name: str = ""):
    """The indices of ``output`` at N/8, N/4, N/2 and N (Morris: r/8 ... r) with their intervals: the most
    influential parameters in colour, the others in grey. Flat lines inside narrow bands: converged."""
    meta = meta or {}
    rep = _report(reports, output)
    c = convergence[convergence["output"] == output]
    panels = ["ST", "S1"] if design == "sobol" else ["mu_star"]
    last = c[c["n"] == c["n"].max()]
    key = "ST" if design == "sobol" else "mu_star"
    top = list(last[last["index"] == key].sort_values("value", ascending=False)["parameter"][:MAX_LINES])
    if width == "double":
        fig, axes = figure(width, 0.42, ncols=len(panels), sharey=design == "sobol")
    else:  # single column: panels stacked, legend below
        fig, axes = figure(width, 0.62 * len(panels) + 0.25, nrows=len(panels), sharex=True)
    axes = np.atleast_1d(axes)
    for ax, ix in zip(axes, panels, strict=True):
        g = c[c["index"] == ix]
        for p, gp in g.groupby("parameter", sort=False):
            if p in top:
                continue
            gp = gp.sort_values("n")
            ax.plot(gp["n"], gp["value"], color="#BBBBBB", lw=0.6, zorder=1)
        for i, p in enumerate(top):
            gp = g[g["parameter"] == p].sort_values("n")
            col = PALETTE[i % len(PALETTE)]
            ax.fill_between(gp["n"], gp["ci_low"], gp["ci_high"], color=col, alpha=0.15, lw=0)
            ax.plot(gp["n"], gp["value"], color=col, ls=LINESTYLES[i % len(LINESTYLES)], marker=MARKERS[i % len(MARKERS)],
                    ms=3, label=_labels([p], width)[0], zorder=3)
        ax.set_xscale("log", base=2)
        ns = sorted(g["n"].unique())
        ax.set_xticks(ns, [str(int(v)) for v in ns])
        ax.minorticks_off()
        if width == "double" or ax is axes[-1]:
            ax.set_xlabel("base samples N" if design == "sobol" else "trajectories r")
        ax.set_title({"ST": "Total index ST", "S1": "First-order index S1", "mu_star": "mu*"}[ix], loc="left")
        if design == "sobol":
            ax.axhline(0, color=NEUTRAL, lw=0.5)
    axes[0].set_ylabel("index" if design == "sobol" else "mu*")
    v = rep.get("verdict") or "n/a"
    if width == "double":
        axes[-1].legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small")
        fig.suptitle(f"Convergence of the indices of {_out_label(output, meta)}: {v}", x=0.0, ha="left",
                     fontsize="medium")
    else:
        h, lab = axes[-1].get_legend_handles_labels()
        fig.legend(h, lab, loc="outside lower center", ncol=2, fontsize="small")
        fig.suptitle(f"Convergence, {short_metric_label(output)}: {v}", x=0.0, ha="left", fontsize="medium")
    warn = rep.get("warnings")
    warn = warn if isinstance(warn, str) and warn else "none"
    conf = float(c["conf_level"].iloc[0]) if len(c) else 0.95
    caption(fig, f"aieco sensitivity '{name}': the analysis repeated on the first 1/8, 1/4, 1/2 and all of the "
                 f"sample; bands: {conf:.0%} bootstrap intervals; grey: the other parameters. Warnings: {warn}")
    return fig


def fig_overview(indices: pd.DataFrame, design: str, outputs: list[str], meta: dict | None = None,
                 width: str = "double", name: str = "", reports: pd.DataFrame | None = None):
    """All outputs at once: ST (Sobol') or mu* relative to each output's largest (Morris) as a map, parameters
    sorted by their largest value across outputs."""
    meta = meta or {}
    key, method = ("ST", "sobol") if design == "sobol" else ("mu_star", "morris")
    d = indices[(indices["method"] == method) & (indices["index"] == key) & indices["output"].isin(outputs)]
    tab = d.pivot_table(index="parameter", columns="output", values="value", sort=False)
    tab = tab[[o for o in outputs if o in tab.columns]]
    if design == "morris":
        tab = tab / tab.max(axis=0).replace(0, np.nan)
    tab = tab.loc[tab.max(axis=1).sort_values(ascending=False).index][:MAX_BARS + 15]
    n, m = tab.shape
    fig, ax = figure(width, _height(n, width, extra=1.6))
    vals = tab.to_numpy(float)
    im = ax.imshow(np.clip(vals, 0, 1), aspect="auto", cmap="viridis", vmin=0, vmax=1)
    ax.set_yticks(range(n), _labels(list(tab.index), width))
    import textwrap

    xl = [short_metric_label(o) for o in tab.columns]
    if width == "double":
        xl = [textwrap.fill(x, max(8, int(60 / max(m, 1)))) for x in xl]
    ax.set_xticks(range(m), xl, fontsize="x-small", rotation=0 if width == "double" else 35,
                  ha="center" if width == "double" else "right")
    if any(o.endswith("_mean12") for o in tab.columns):
        ax.set_xlabel("output (mean of the last 12 months)", fontsize="x-small")
    ax.grid(False)
    for i in range(n):
        for j in range(m):
            v = vals[i, j]
            if np.isfinite(v):
                ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize="x-small",
                        color="white" if v < 0.55 else "black")
    cb = fig.colorbar(im, ax=ax, shrink=0.8, pad=0.02)
    cb.set_label("ST" if design == "sobol" else "mu* / largest mu* of the output")
    ax.set_title(("Total Sobol' index of every parameter for every output" if design == "sobol"
                  else "Morris mu* of every factor for every output (relative)") if width == "double"
                 else ("Total Sobol' index ST" if design == "sobol" else "Relative Morris mu*"), loc="left")
    noise = ""
    if design == "sobol" and reports is not None and "noise_share" in reports:
        ns = reports.set_index("output")["noise_share"].reindex(list(tab.columns)).dropna()
        if len(ns):
            noise = (" Replication noise, which every ST carries: " + ", ".join(
                f"{short_metric_label(o)} {v:.2f}" for o, v in ns.items()) + ".")
    caption(fig, f"aieco sensitivity '{name}'. Parameters sorted by their largest value across outputs. "
                 + ("ST = share of the output's variance that involves the parameter, alone or with others."
                    if design == "sobol" else "Each column divided by its largest mu*: 1 = the most influential.")
                 + noise)
    return fig


def draw_sensitivity_figures(results_dir: str | Path, formats: tuple[str, ...] = ("png", "pdf"),
                             width: str = "double", out_dir: str | Path | None = None) -> list[Path]:
    """Draw every sensitivity figure of a results folder (``aieco sensitivity`` output: ``indices.parquet``,
    ``convergence.parquet``, ``outputs.csv``, ``manifest.json``) into ``out_dir`` (default
    ``results_dir/figures``), each with a provenance sidecar. Outputs that were not analysed (constant, NaN)
    get no figure. Returns the written paths. Raises FileNotFoundError for a folder without those tables."""
    results_dir = Path(results_dir)
    man_path = results_dir / "manifest.json"
    for p in (man_path, results_dir / "indices.parquet", results_dir / "convergence.parquet"):
        if not p.is_file():
            raise FileNotFoundError(f"{results_dir}: not a sensitivity results folder ({p.name} missing)")
    manifest = json.loads(man_path.read_text(encoding="utf-8"))
    indices = pd.read_parquet(results_dir / "indices.parquet")
    convergence = pd.read_parquet(results_dir / "convergence.parquet")
    reports = pd.read_csv(results_dir / "outputs.csv") if (results_dir / "outputs.csv").is_file() else None
    design = manifest.get("design", "sobol")
    name = manifest.get("name", "")
    meta: dict = {}
    sweep_man = results_dir / (manifest.get("sweep") or "sweep") / "manifest.json"
    if sweep_man.is_file():
        meta = json.loads(sweep_man.read_text(encoding="utf-8")).get("metrics", {})
    from sim.analysis.provenance import base_manifest

    prov = {**{k: v for k, v in base_manifest("figure").items() if k in ("command", "versions", "git", "created")},
            "results": str(results_dir), "manifest_sha256": file_sha256(man_path),
            "analysis_seeds": manifest.get("analysis_seeds")}
    out = Path(out_dir) if out_dir else results_dir / "figures"
    paths: list[Path] = []
    analysed = list(dict.fromkeys(indices.loc[indices["method"].isin(["sobol", "morris"]), "output"]))
    for o in analysed:
        safe = "".join(ch if ch.isalnum() or ch in "_-" else "_" for ch in o)
        if design == "sobol":
            fig = fig_sobol(indices, o, reports, meta, width, name)
            paths += save(fig, out / f"sensitivity_sobol_{safe}_{width}", formats, prov)
        else:
            fig = fig_morris(indices, o, reports, meta, width, name)
            paths += save(fig, out / f"sensitivity_morris_{safe}_{width}", formats, prov)
        if (convergence["output"] == o).any() and convergence.loc[convergence["output"] == o, "n"].nunique() > 1:
            fig = fig_convergence(convergence, o, design, reports, meta, width, name)
            paths += save(fig, out / f"sensitivity_convergence_{safe}_{width}", formats, prov)
    if len(analysed) > 1:
        fig = fig_overview(indices, design, analysed, meta, width, name, reports)
        paths += save(fig, out / f"sensitivity_overview_{width}", formats, prov)
    return paths


__all__ = ["draw_sensitivity_figures", "fig_convergence", "fig_morris", "fig_overview", "fig_sobol"]

